/** The deliberately slow unit suites (see jest.config.js): faults, retries, size and rate limits, DNS, a real gateway. */
const base = require('./jest.config');

module.exports = {
	...base,
	testPathIgnorePatterns: ['/node_modules/'],
	// One file at a time: these suites measure retries, timeouts and rate limits in wall time.
	maxWorkers: 1,
	testMatch: base.SLOW_SUITES.map((suite) => `**/test/unit/${suite}.test.ts`),
};
