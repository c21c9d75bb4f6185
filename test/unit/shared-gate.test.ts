/**
 * One adaptive gate per account (same Base URL and key), shared by every execution in the process:
 * two simultaneous runs of one credential send no more together than one run would; two
 * credentials each have their own; a cancelled run gives its slots back at once.
 */
import { accountGate, accountGateCount } from '../../nodes/OpenAiCompatibleImages/transport/gate';
import { useImageServer } from '../harness/fixture';

// No key check: each test uses keys of its own, so that no gate carries over between tests.
const api = useImageServer({ apiKey: '', imageSize: { width: 8, height: 8 }, latencyMs: 300 });

const credentialsFor = (apiKey: string) => ({ baseUrl: api.server.baseUrl, apiKey, authentication: 'bearer' });
const items = (count: number) => Array.from({ length: count }, (_, index) => ({ json: { p: `item ${index}` } }));
const generate = (apiKey: string, count: number, abortSignal?: AbortSignal) =>
	api.run(
		{ operation: 'generate', model: api.model('flux-dev'), prompt: '={{ $json.p }}', options: { concurrency: 8 } },
		{ credentials: credentialsFor(apiKey), items: items(count), continueOnFail: true, abortSignal },
	);
const failed = (output: Awaited<ReturnType<typeof generate>>) => output.filter((item) => item.json.error);

describe('the rate-limit gate of an account', () => {
	test('two simultaneous runs of one credential share it: 8 requests in flight at most, not 16', async () => {
		const [first, second] = await Promise.all([generate('sk-shared', 8), generate('sk-shared', 8)]);
		expect(failed(first)).toEqual([]);
		expect(failed(second)).toEqual([]);
		expect(api.server.imageRequests()).toHaveLength(16);
		expect(api.server.state.maxInFlight).toBe(8);
	});

	test('two credentials (different keys) do not share one: 16 in flight', async () => {
		const [first, second] = await Promise.all([generate('sk-one', 8), generate('sk-two', 8)]);
		expect(failed([...first, ...second])).toEqual([]);
		expect(api.server.state.maxInFlight).toBe(16);
	});

	test('a limit learned from 429s by one run holds for the next run of the credential', async () => {
		api.server.limitConcurrency({ max: 2, headers: { 'retry-after-ms': '100' } });
		expect(failed(await generate('sk-learned', 8))).toEqual([]);
		const refusedFirst = api.server.state.rateLimited;
		expect(refusedFirst).toBeGreaterThan(0);
		api.server.reset();
		api.server.limitConcurrency({ max: 2, headers: { 'retry-after-ms': '100' } });
		expect(failed(await generate('sk-learned', 4))).toEqual([]);
		// The second run starts at the lowered limit: at most the odd probe beyond it is refused.
		expect(api.server.state.rateLimited).toBeLessThan(refusedFirst);
		expect(api.server.state.rateLimited).toBeLessThanOrEqual(1);
	});

	test('a cancelled run releases its slots: the next run of the credential sends at full width at once', async () => {
		const gate = accountGate(credentialsFor('sk-cancel'), 8);
		api.server.respondNext({ hang: true, times: 16 });
		const controller = new AbortController();
		const cancelled = generate('sk-cancel', 16, controller.signal).catch((error: Error) => error);
		// 8 in flight, 8 waiting for the gate.
		while (api.server.state.inFlight < 8) await new Promise((resolve) => setTimeout(resolve, 20));
		expect(gate.active).toBe(8);
		controller.abort();
		expect(String(await cancelled)).toMatch(/cancelled/);
		expect(gate.active).toBe(0);
		expect(gate.idle).toBe(true);
		api.server.reset();
		// Long enough that all 8 must be in flight together, even on a busy machine.
		api.server.setLatency(1500);
		const started = Date.now();
		expect(failed(await generate('sk-cancel', 8))).toEqual([]);
		api.server.setLatency(300);
		// All 8 reached the server before the first was answered.
		const requests = api.server.imageRequests();
		expect(requests).toHaveLength(8);
		expect(Math.max(...requests.map((request) => request.startedAt))).toBeLessThan(Math.min(...requests.map((request) => request.endedAt ?? 0)));
		expect(Date.now() - started).toBeLessThan(4000);
	});

	test('the gates kept are bounded: idle ones are forgotten, least recently used first', () => {
		const kept = accountGate(credentialsFor('sk-bound-0'), 4);
		for (let index = 1; index <= 100; index++) accountGate(credentialsFor(`sk-bound-${index}`), 4);
		expect(accountGateCount()).toBeLessThanOrEqual(64);
		// The first one was idle and the least recently used: a new run of it gets a new gate.
		expect(accountGate(credentialsFor('sk-bound-0'), 4)).not.toBe(kept);
		// The newest stays shared.
		expect(accountGate(credentialsFor('sk-bound-100'), 4)).toBe(accountGate(credentialsFor('sk-bound-100'), 4));
	});
});
