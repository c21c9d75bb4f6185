'use strict';
// n8n 1.x (1.123.81 on Node 20): see suite.js. Skipped when N8N_E2E_MAJORS does not list 1.
require('./suite').describeMajor('1');
