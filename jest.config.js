/**
 * Unit and integration tests: the node runs in n8n-core's real execution context against a loopback
 * server. This is the fast inner loop (`npm run test:unit`); the deliberately slow suites (faults,
 * retries and timeouts, size limits, rate limits, DNS, a real gateway) run with
 * `npm run test:slow` (jest.slow.config.js). `npm test` runs both.
 */
const SLOW_SUITES = ['faults', 'resilience', 'size-limits', 'large-images', 'rate-limits', 'dns-rebinding', 'portkey-gateway', 'n8n-ssrf'];

module.exports = {
	testEnvironment: 'node',
	roots: ['<rootDir>/test'],
	testMatch: ['**/test/unit/**/*.test.ts'],
	testPathIgnorePatterns: ['/node_modules/', `/test/unit/(${SLOW_SUITES.join('|')})\\.test\\.ts$`],
	transform: { '^.+\\.ts$': ['ts-jest', { tsconfig: 'tsconfig.json' }] },
	setupFiles: ['<rootDir>/test/harness/setup.js'],
	testTimeout: 30000,
	// Jest's default on a 2-core machine is one worker; the files spend much of their time waiting
	// on loopback servers and timers, so two workers halve the wall time (40 s to 25 s here).
	maxWorkers: 2,
};

Object.defineProperty(module.exports, 'SLOW_SUITES', { value: SLOW_SUITES, enumerable: false });
