/**
 * End-to-end tests: the built package installed into a real n8n (2.41.1 on Node 24 and 1.123.81
 * on Node 20), driven through n8n's CLI, REST API and webhooks against a loopback image server.
 *
 *   npm run build && npm run test:e2e
 *   N8N_E2E_MAJORS=2 npm run test:e2e     # only n8n 2.x (1 for only 1.x; default 2,1)
 *
 * The first run installs the n8n runtimes into a cache folder (a few minutes); later runs reuse them.
 */
module.exports = {
	testEnvironment: 'node',
	roots: ['<rootDir>/test/e2e'],
	testMatch: ['**/test/e2e/**/*.test.js'],
	// Plain JavaScript: no transform needed.
	transform: {},
	globalSetup: '<rootDir>/test/e2e/global-setup.js',
	// One n8n at a time: each test file runs its own n8n processes and image server.
	maxWorkers: 1,
	testTimeout: 180000,
	verbose: true,
};
