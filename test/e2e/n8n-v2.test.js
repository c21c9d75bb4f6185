'use strict';
// n8n 2.x (2.41.1 on Node 24): see suite.js. Skipped when N8N_E2E_MAJORS does not list 2.
require('./suite').describeMajor('2');
