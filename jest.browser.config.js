/**
 * Editor tests: the built package in the real n8n 2.x editor, driven in headless Chromium
 * (Debian's /usr/bin/chromium, through playwright-core). One n8n, one browser, one page.
 *
 *   npm run build && npm run test:browser
 *   BROWSER_SCREENSHOTS=all npm run test:browser   # screenshots of every case in test-results/browser/
 */
module.exports = {
	testEnvironment: 'node',
	roots: ['<rootDir>/test/browser'],
	testMatch: ['**/test/browser/**/*.test.js'],
	transform: {},
	globalSetup: '<rootDir>/test/browser/global-setup.js',
	maxWorkers: 1,
	testTimeout: 60000,
	verbose: true,
};
