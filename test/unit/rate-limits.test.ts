/**
 * Rate limits absorbed: against a server that accepts only 3 image requests at a time and answers
 * the rest 429 with retry-after, the pool lowers the requests in flight, honours retry-after and
 * finishes a 20-item batch with no failed item, close to the time that limit allows.
 */
import { startImageServer } from '../server/image-server';
import { runNode } from '../harness/n8n';

type Server = Awaited<ReturnType<typeof startImageServer>>;
let server: Server;
let credentials: { baseUrl: string; apiKey: string; authentication: string };

beforeAll(async () => {
	server = await startImageServer({ apiKey: 'k', imageSize: { width: 8, height: 8 } });
	credentials = { baseUrl: server.baseUrl, apiKey: 'k', authentication: 'bearer' };
});
afterAll(async () => await server.close());
beforeEach(() => server.reset());

const items = (count: number) => Array.from({ length: count }, (_, index) => ({ json: { p: `item ${index}` } }));
const generate = (count: number, options: Record<string, unknown> = {}) =>
	runNode({
		parameters: { operation: 'generate', model: { __rl: true, mode: 'id', value: 'flux-dev' }, prompt: '={{ $json.p }}', options } as never,
		credentials,
		items: items(count),
		continueOnFail: true,
	});

describe('A server that accepts 3 requests at a time', () => {
	const LATENCY = 800;

	test('a 20-item batch at default settings: no failed item, within 1.3x of the floor', async () => {
		server.setLatency(LATENCY);
		server.limitConcurrency({ max: 3, headers: { 'retry-after-ms': '500' } });
		const started = Date.now();
		const output = await generate(20);
		const ms = Date.now() - started;
		const floor = Math.ceil(20 / 3) * LATENCY;
		console.log(`rate-limits.test.ts: 20 items, 3 at a time, ${LATENCY} ms each: ${ms} ms, floor ${floor} ms (${(ms / floor).toFixed(2)}x), ${server.state.rateLimited} answers 429`);
		expect(output.filter((item) => item.json.error)).toEqual([]);
		expect(output).toHaveLength(20);
		expect(output.map((item) => item.pairedItem)).toEqual(items(20).map((_, index) => ({ item: index })));
		expect(server.state.maxApiAccepted).toBe(3);
		expect(ms).toBeLessThan(1.3 * floor);
		// The first burst is refused (8 sent, 3 taken); afterwards only the rare probe beyond 3.
		expect(server.state.rateLimited).toBeLessThan(12);
	});

	test('retry-after is honoured: a refused request waits at least that long', async () => {
		server.setLatency(50);
		server.limitConcurrency({ max: 1, headers: { 'retry-after-ms': '500' } });
		const output = await generate(2, { concurrency: 2 });
		expect(output.filter((item) => item.json.error)).toEqual([]);
		const refused = server.imageRequests().find((request) => request.status === 429);
		const retried = server.imageRequests().filter((request) => request.body.prompt === refused?.body.prompt && request.status === 200)[0];
		expect(retried.startedAt - (refused?.endedAt ?? 0)).toBeGreaterThanOrEqual(480);
	});

	test('Max Retries 0 sends once, 429 too', async () => {
		server.respondNext({ status: 429, headers: { 'retry-after-ms': '10' }, times: 5 });
		const [item] = await generate(1, { maxRetries: 0 });
		expect(item.json.error).toMatch(/HTTP 429/);
		expect(server.imageRequests()).toHaveLength(1);
	});

	test('the wait on 429s is bounded by the Timeout (5 minutes at most), then the item fails with the 429', async () => {
		server.respondNext({ status: 429, headers: { 'retry-after-ms': '300' }, times: 100 });
		const started = Date.now();
		const [item] = await generate(1, { timeout: 1 });
		expect(item.json.error).toMatch(/HTTP 429\) \(after 4 attempts\)$/);
		expect(Date.now() - started).toBeLessThan(2000);
	});
});
