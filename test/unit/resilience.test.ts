/**
 * Throughput, retries, timeouts and cancellation, proven against the loopback server through
 * n8n-core's real execution context and HTTP layer.
 */
import { forgetAccountGates } from '../../nodes/OpenAiCompatibleImages/transport/gate';
import { startImageServer } from '../server/image-server';
import { encodeImage, renderPromptImage } from '../server/images';
import { binaryBytes, runNode } from '../harness/n8n';

type Server = Awaited<ReturnType<typeof startImageServer>>;
type Recorded = Server['requests'][number];

const API_KEY = 'sk-test-secret-key-123';
let server: Server;
let credentials: { baseUrl: string; apiKey: string; authentication: string };

const unhandled: unknown[] = [];
const onUnhandled = (reason: unknown) => unhandled.push(reason);

beforeAll(async () => {
	process.on('unhandledRejection', onUnhandled);
	server = await startImageServer({ apiKey: API_KEY, imageSize: { width: 24, height: 16 } });
	credentials = { baseUrl: server.baseUrl, apiKey: API_KEY, authentication: 'bearer' };
});
afterAll(async () => {
	process.off('unhandledRejection', onUnhandled);
	await server.close();
});
beforeEach(() => {
	// Each test starts without the rate limit an earlier one taught the credential's shared gate.
	forgetAccountGates();
	server.reset();
	server.setLatency(0);
});
afterEach(async () => {
	// Let stray promises settle, then make sure none was left rejected without a handler.
	await new Promise((resolve) => setTimeout(resolve, 20));
	expect(unhandled).toEqual([]);
});

const model = (id: string) => ({ __rl: true, mode: 'id', value: id });
const promptItems = (count: number) => Array.from({ length: count }, (_, index) => ({ json: { p: `item ${index}` } }));
const generate = (parameters: Record<string, unknown>, extra: Partial<Parameters<typeof runNode>[0]> = {}) =>
	runNode({ parameters: { operation: 'generate', ...parameters } as never, credentials, ...extra });
/** A quick Generate call; `options` are the node's Options collection. */
const generateWith = (options: Record<string, unknown>, extra: Partial<Parameters<typeof runNode>[0]> = {}) =>
	generate({ model: model('flux-dev'), prompt: 'Resilience', options }, extra);

/** How long the client waited between the end of one request and the start of the next. */
const gapsBetween = (requests: Recorded[]) =>
	requests.slice(1).map((request, index) => request.startedAt - (requests[index].endedAt ?? requests[index].startedAt));

async function timed<T>(run: () => Promise<T>): Promise<{ ms: number; result: PromiseSettledResult<T> }> {
	const started = Date.now();
	const [result] = await Promise.allSettled([run()]);
	return { ms: Date.now() - started, result };
}

const reasonOf = (result: PromiseSettledResult<unknown>) => {
	if (result.status !== 'rejected') throw new Error('expected the run to fail');
	return result.reason as Error;
};

async function until(condition: () => boolean, timeoutMs = 5000): Promise<void> {
	const deadline = Date.now() + timeoutMs;
	while (!condition()) {
		if (Date.now() > deadline) throw new Error('condition not met in time');
		await new Promise((resolve) => setTimeout(resolve, 5));
	}
}

describe('Concurrency', () => {
	test('Concurrency 3 keeps exactly 3 requests in flight for 10 items', async () => {
		server.setLatency(80);
		const output = await generate({ model: model('dall-e-2'), prompt: '={{ $json.p }}', options: { concurrency: 3 } }, { items: promptItems(10) });
		expect(server.imageRequests()).toHaveLength(10);
		expect(server.state.maxInFlight).toBe(3);
		expect(output.map((item) => item.json.prompt)).toEqual(promptItems(10).map((item) => item.json.p));
		expect(output.map((item) => item.pairedItem)).toEqual(promptItems(10).map((_, index) => ({ item: index })));
	});

	test('the default concurrency is 8', async () => {
		server.setLatency(80);
		await generate({ model: model('dall-e-2'), prompt: '={{ $json.p }}' }, { items: promptItems(20) });
		expect(server.imageRequests()).toHaveLength(20);
		expect(server.state.maxInFlight).toBe(8);
	});

	test('output order and pairedItem follow the input when later items are answered first', async () => {
		const count = 6;
		server.delayBy((request) => (count - Number(/\d+/.exec(String(request.body?.prompt))?.[0])) * 40);
		const output = await generate(
			{ model: model('dall-e-2'), prompt: '={{ $json.p }}', n: 2 },
			{ items: promptItems(count) },
		);
		const finished = [...server.imageRequests()].sort((a, b) => (a.endedAt ?? 0) - (b.endedAt ?? 0));
		expect(finished.map((request) => request.body.prompt)).toEqual(promptItems(count).map((item) => item.json.p).reverse());
		expect(output).toHaveLength(count * 2);
		output.forEach((item, position) => {
			const itemIndex = Math.floor(position / 2);
			expect(item.json).toMatchObject({ prompt: `item ${itemIndex}`, index: position % 2 });
			expect(item.pairedItem).toEqual({ item: itemIndex });
		});
	});
});

describe('Fan-out: dall-e-3 asked for several images', () => {
	/** Four answers, each a distinct picture; the first call to arrive is answered last. */
	function answerFourCallsInReverse(): Buffer[] {
		const pictures = [0, 1, 2, 3].map((call) => encodeImage('png', renderPromptImage(`call ${call}`, 24, 16)));
		pictures.forEach((bytes, call) => {
			server.respondNext({
				json: { created: 1, data: [{ b64_json: bytes.toString('base64'), revised_prompt: `call ${call}` }] },
				delayMs: (4 - call) * 60,
			});
		});
		return pictures;
	}

	test('n=4 sends 4 overlapping calls with n=1 and merges the images in order', async () => {
		const pictures = answerFourCallsInReverse();
		const output = await generate({ model: model('dall-e-3'), prompt: 'Four', n: 4 });
		const calls = server.imageRequests();
		expect(calls.map((call) => call.body.n)).toEqual([1, 1, 1, 1]);
		expect(server.state.maxInFlight).toBe(4);
		const firstEnd = Math.min(...calls.map((call) => call.endedAt ?? Infinity));
		expect(calls.every((call) => call.startedAt < firstEnd)).toBe(true);
		expect(output.map((item) => [item.json.index, item.json.revised_prompt, item.pairedItem])).toEqual(
			[0, 1, 2, 3].map((index) => [index, `call ${index}`, { item: 0 }]),
		);
		for (const [index, item] of output.entries()) expect(await binaryBytes(item)).toEqual(pictures[index]);
	});

	test('the same in "Put All Images in One Item" mode', async () => {
		const pictures = answerFourCallsInReverse();
		const output = await generate({ model: model('dall-e-3'), prompt: 'Four', n: 4, options: { combineImages: true } });
		expect(output).toHaveLength(1);
		const [item] = output;
		expect(item.json.imageCount).toBe(4);
		expect((item.json.images as Array<{ index: number; revised_prompt: string; binaryProperty: string }>).map((image) => [image.index, image.revised_prompt, image.binaryProperty])).toEqual([
			[0, 'call 0', 'data'],
			[1, 'call 1', 'data_1'],
			[2, 'call 2', 'data_2'],
			[3, 'call 3', 'data_3'],
		]);
		expect(await binaryBytes(item, 'data')).toEqual(pictures[0]);
		expect(await binaryBytes(item, 'data_3')).toEqual(pictures[3]);
		expect(server.state.maxInFlight).toBe(4);
	});
});

describe('Retries', () => {
	const quickly = { 'retry-after-ms': '10' };

	test.each([408, 409, 429, 500, 502, 503, 504])('HTTP %i with retry-after is retried, then succeeds', async (status) => {
		server.respondNext({ status, headers: quickly });
		const output = await generateWith({});
		expect(output).toHaveLength(1);
		expect(server.imageRequests()).toHaveLength(2);
	});

	test.each([400, 401, 403, 404, 422, 501])('HTTP %i is sent exactly once', async (status) => {
		server.respondNext({ status, headers: quickly, times: 3 });
		await expect(generateWith({})).rejects.toThrow(`(HTTP ${status})`);
		expect(server.imageRequests()).toHaveLength(1);
	});

	// Lost after sending: the server may have made (and billed) the images, so by default the
	// request is not sent again; the opt-in sends it again.
	const lostAfterSending = [
		['a connection reset', { destroy: true }],
		['an answer reset (TCP RST) half-way', { reset: true }],
		['an answer closed half-way', { truncate: true }],
	] as const;
	test.each(lostAfterSending)('%s is not sent again by default, and the error says why', async (_name, behaviour) => {
		server.respondNext(behaviour);
		await expect(generateWith({ maxRetries: 2 })).rejects.toMatchObject({
			message: expect.not.stringContaining('attempts'),
			description: expect.stringContaining('Not sent again: the server may have made (and billed) the images already. The option Retry Possibly Billed Requests'),
		});
		expect(server.imageRequests()).toHaveLength(1);
	});

	test.each(lostAfterSending)('%s is retried with Retry Possibly Billed Requests', async (_name, behaviour) => {
		server.respondNext(behaviour);
		const output = await generateWith({ maxRetries: 1, retryMayBeProcessed: true });
		expect(output).toHaveLength(1);
		expect(server.imageRequests()).toHaveLength(2);
	});

	test.each([502, 504, 520])('HTTP %i without retry-after (a proxy that lost the origin) is sent once by default', async (status) => {
		server.respondNext({ status, times: 3 });
		await expect(generateWith({})).rejects.toMatchObject({
			message: expect.stringMatching(new RegExp(`\\(HTTP ${status}\\)$`)),
			description: expect.stringContaining('Not sent again'),
		});
		expect(server.imageRequests()).toHaveLength(1);
	});

	test('HTTP 502 without retry-after is retried with the opt-in', async () => {
		server.respondNext({ status: 502 });
		const output = await generateWith({ retryMayBeProcessed: true });
		expect(output).toHaveLength(1);
		expect(server.imageRequests()).toHaveLength(2);
	});

	test.each([429, 500, 503])('HTTP %i without retry-after is retried by default (the work was not done)', async (status) => {
		server.respondNext({ status });
		const output = await generateWith({ maxRetries: 1 });
		expect(output).toHaveLength(1);
		expect(server.imageRequests()).toHaveLength(2);
	});

	test('a refused connection (nothing was sent) is retried by default', async () => {
		const closed = await startImageServer();
		const refusedBaseUrl = closed.baseUrl;
		await closed.close();
		const error = await runNode({
			parameters: { operation: 'generate', model: model('flux-dev'), prompt: 'Refused', options: { maxRetries: 2 } } as never,
			credentials: { ...credentials, baseUrl: refusedBaseUrl },
		}).catch((caught: Error) => caught);
		expect((error as Error).message).toMatch(/nothing accepts connections at that address \(after 3 attempts\)$/);
	});

	test('downloads (GET) are still retried after a connection lost mid-body', async () => {
		server.respondNext({ only: 'download', reset: true });
		const [item] = await generate({ model: model('dall-e-2'), prompt: 'Download', options: { response_format: 'url', maxRetries: 1 } });
		expect(server.requests.filter((request) => request.kind === 'download')).toHaveLength(2);
		expect(item.binary?.data).toBeDefined();
	});

	test('after the last retry the error says how many attempts were made', async () => {
		server.respondNext({ status: 503, headers: quickly, times: 3 });
		await expect(generateWith({})).rejects.toThrow(/\(HTTP 503\) \(after 3 attempts\)/);
		expect(server.imageRequests()).toHaveLength(3);
	});

	test('connection resets to the end say so too', async () => {
		server.respondNext({ destroy: true, times: 2 });
		await expect(generateWith({ maxRetries: 1, retryMayBeProcessed: true })).rejects.toMatchObject({
			message: expect.stringMatching(/^The connection to the server at 127\.0\.0\.1:\d+ failed: the server closed the connection before the answer was complete \(after 2 attempts\)$/),
			description: expect.stringContaining('ECONNRESET'),
		});
		expect(server.imageRequests()).toHaveLength(2);
	});

	test('Max Retries 0 sends once', async () => {
		server.respondNext({ status: 500 });
		await expect(generateWith({ maxRetries: 0 })).rejects.toThrow(/HTTP 500/);
		expect(server.imageRequests()).toHaveLength(1);
	});
});

describe('Retry-After', () => {
	test('retry-after-ms: 300 waits about 300 ms', async () => {
		server.respondNext({ status: 429, headers: { 'retry-after-ms': '300' } });
		await generateWith({});
		const [gap] = gapsBetween(server.imageRequests());
		expect(gap).toBeGreaterThanOrEqual(280);
		expect(gap).toBeLessThan(1000);
	});

	test('retry-after: 1 (seconds) waits about a second', async () => {
		server.respondNext({ status: 503, headers: { 'retry-after': '1' } });
		await generateWith({});
		const [gap] = gapsBetween(server.imageRequests());
		expect(gap).toBeGreaterThanOrEqual(950);
		expect(gap).toBeLessThan(1500);
	});

	test('retry-after as an HTTP date waits until then', async () => {
		// HTTP dates have whole seconds, so the wait is between 1 and 2 s; back-off alone would be < 0.5 s.
		server.respondNext({ status: 429, headers: { 'retry-after': new Date(Date.now() + 2000).toUTCString() } });
		await generateWith({});
		const [gap] = gapsBetween(server.imageRequests());
		expect(gap).toBeGreaterThanOrEqual(900);
		expect(gap).toBeLessThan(2200);
	});

	test('without a hint, the back-off grows: about 0.5 s, then 1 s', async () => {
		server.respondNext({ status: 500, times: 2 });
		await generateWith({});
		const [first, second] = gapsBetween(server.imageRequests());
		expect(first).toBeGreaterThanOrEqual(350);
		expect(first).toBeLessThan(700);
		expect(second).toBeGreaterThanOrEqual(730);
		expect(second).toBeLessThan(1200);
	});
});

describe('Timeout', () => {
	test('a server that never answers fails after the Timeout, naming it', async () => {
		server.respondNext({ hang: true });
		const { ms, result } = await timed(() => generateWith({ timeout: 1, maxRetries: 0 }));
		expect(reasonOf(result).message).toMatch(/did not answer within 1 s$/);
		expect(ms).toBeGreaterThanOrEqual(950);
		expect(ms).toBeLessThan(2000);
		expect(server.imageRequests()).toHaveLength(1);
	});

	test('a timed-out generation is not sent again by default: it may still be generated and billed', async () => {
		server.respondNext({ hang: true, times: 3 });
		const { ms, result } = await timed(() => generateWith({ timeout: 1, maxRetries: 2 }));
		expect(reasonOf(result).message).toMatch(/did not answer within 1 s$/);
		expect((reasonOf(result) as Error & { description: string }).description).toContain('Not sent again');
		expect(server.imageRequests()).toHaveLength(1);
		expect(ms).toBeLessThan(2000);
	});

	test('with retries (opted in), every attempt times out and the message counts them', async () => {
		server.respondNext({ hang: true, times: 2 });
		const { ms, result } = await timed(() => generateWith({ timeout: 1, maxRetries: 1, retryMayBeProcessed: true }));
		expect(reasonOf(result).message).toMatch(/did not answer within 1 s \(after 2 attempts\)/);
		expect(server.imageRequests()).toHaveLength(2);
		expect(ms).toBeLessThan(3500);
	});

	test('a timed-out attempt is retried (opted in) and the next one succeeds', async () => {
		server.respondNext({ hang: true });
		const output = await generateWith({ timeout: 1, maxRetries: 1, retryMayBeProcessed: true });
		expect(output).toHaveLength(1);
		expect(server.imageRequests()).toHaveLength(2);
	});

	// (A body that stalls without another byte is left to the server to close: n8n's HTTP layer
	// hands the body over through a reader that only notices its end on the next byte.)
	test('an answer that trickles for ever fails after the Timeout and its connection is closed', async () => {
		server.respondNext({ trickleMs: 100 });
		const { ms, result } = await timed(() => generateWith({ timeout: 1, maxRetries: 0 }));
		expect(reasonOf(result).message).toMatch(/did not answer within 1 s$/);
		expect(ms).toBeLessThan(2000);
		// Disconnected at the deadline, not left open for as long as the server keeps sending.
		await until(() => server.imageRequests()[0].endedAt !== undefined, 500);
		expect(server.imageRequests()[0].endedAt! - server.imageRequests()[0].startedAt).toBeLessThan(1500);
	});
});

describe('Cancellation', () => {
	async function cancelWhen(condition: () => boolean, run: (signal: AbortSignal) => Promise<unknown>) {
		const controller = new AbortController();
		const running = timed(() => run(controller.signal));
		await until(condition);
		await new Promise((resolve) => setTimeout(resolve, 50));
		const abortedAt = Date.now();
		controller.abort();
		const { result } = await running;
		return { afterAbortMs: Date.now() - abortedAt, error: reasonOf(result) };
	}

	test('cancelling during a back-off (retry-after: 30) ends the run at once', async () => {
		server.respondNext({ status: 429, headers: { 'retry-after': '30' } });
		const { afterAbortMs, error } = await cancelWhen(
			() => server.imageRequests().length === 1,
			(abortSignal) => generateWith({}, { abortSignal }),
		);
		expect(error.message).toMatch(/cancelled/i);
		expect(afterAbortMs).toBeLessThan(300);
		expect(server.imageRequests()).toHaveLength(1);
	});

	test('cancelling while a request is in flight aborts it and ends the run at once', async () => {
		server.respondNext({ hang: true });
		const { afterAbortMs, error } = await cancelWhen(
			() => server.imageRequests().length === 1,
			(abortSignal) => generateWith({}, { abortSignal }),
		);
		expect(error.message).toMatch(/cancelled/i);
		expect(afterAbortMs).toBeLessThan(300);
		expect(server.imageRequests()).toHaveLength(1);
		// The connection was closed, not left waiting for the 10-minute timeout.
		await until(() => server.imageRequests()[0].endedAt !== undefined, 1000);
	});

	test('cancelling while an image downloads aborts the download too', async () => {
		server.respondNext({ only: 'download', hang: true });
		const download = () => server.requests.find((request) => request.kind === 'download');
		const { afterAbortMs, error } = await cancelWhen(
			() => download() !== undefined,
			(abortSignal) => generate({ model: model('dall-e-2'), prompt: 'Download', options: { response_format: 'url' } }, { abortSignal }),
		);
		expect(error.message).toMatch(/cancelled/i);
		expect(afterAbortMs).toBeLessThan(300);
		await until(() => download()?.endedAt !== undefined, 1000);
	});

	test('after a cancel no further request starts, with Continue On Fail too', async () => {
		server.setLatency(150);
		const { afterAbortMs, error } = await cancelWhen(
			() => server.imageRequests().length === 2,
			(abortSignal) =>
				generate(
					{ model: model('dall-e-2'), prompt: '={{ $json.p }}', options: { concurrency: 2 } },
					{ items: promptItems(10), abortSignal, continueOnFail: true },
				),
		);
		expect(error.message).toMatch(/cancelled/i);
		expect(afterAbortMs).toBeLessThan(300);
		expect(server.imageRequests()).toHaveLength(2);
	});

	test('an execution cancelled before the node runs sends nothing', async () => {
		const controller = new AbortController();
		controller.abort();
		await expect(generateWith({}, { abortSignal: controller.signal })).rejects.toThrow(/cancelled/i);
		expect(server.imageRequests()).toHaveLength(0);
	});
});

describe('Downloads of URL results', () => {
	const downloads = () => server.requests.filter((request) => request.kind === 'download');

	test('a download answering 503 once is retried and succeeds', async () => {
		server.respondNext({ only: 'download', status: 503, headers: { 'retry-after-ms': '10' } });
		const [item] = await generate({ model: model('dall-e-2'), prompt: 'Download', options: { response_format: 'url' } });
		expect(downloads()).toHaveLength(2);
		expect((await binaryBytes(item)).subarray(0, 4).toString('hex')).toBe('89504e47');
	});

	test('a download reset once is retried', async () => {
		server.respondNext({ only: 'download', destroy: true });
		const [item] = await generate({ model: model('dall-e-2'), prompt: 'Download', options: { response_format: 'url', maxRetries: 1 } });
		expect(downloads()).toHaveLength(2);
		expect(item.json.url).toMatch(/\/files\//);
	});

	test('a download that keeps failing says how often it was tried', async () => {
		server.respondNext({ only: 'download', status: 502, headers: { 'retry-after-ms': '10' }, times: 2 });
		await expect(
			generate({ model: model('dall-e-2'), prompt: 'Download', options: { response_format: 'url', maxRetries: 1 } }),
		).rejects.toThrow(/Downloading the image .* \(HTTP 502\) \(after 2 attempts\)/);
		expect(downloads()).toHaveLength(2);
	});

	test('an expired URL (404) is not retried', async () => {
		server.respondNext({ only: 'download', status: 404 });
		await expect(
			generate({ model: model('dall-e-2'), prompt: 'Download', options: { response_format: 'url' } }),
		).rejects.toThrow(/HTTP 404/);
		expect(downloads()).toHaveLength(1);
	});
});
