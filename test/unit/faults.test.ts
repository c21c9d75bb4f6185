/**
 * Faults upstream, bad input and broken credentials, each driven through n8n-core's real
 * execution context and HTTP layer against the loopback server. For every case: a clear error
 * naming the cause (or a correct result), every input item accounted for (an image or an error
 * item paired with it; most cases run in a batch with Continue On Fail, so the other items still
 * get their images), no secret in anything n8n shows, stores or logs, no unhandled rejection and
 * no hang. Retries are proven in resilience.test.ts, so the faults run with Max Retries 0.
 */

import type { IDataObject, INodeExecutionData } from 'n8n-workflow';

import {
	captureLogs,
	expectAccounted,
	expectNoSecrets,
	logAsN8n,
	logLines,
	logsSince,
	printTally,
	tally,
	watchUnhandledRejections,
	type Expected,
} from '../harness/checks';
import { prepareItems, runNode, type InputFile } from '../harness/n8n';
import { startImageServer } from '../server/image-server';
import { closedPort } from '../server/ports';
import { encodePng, renderPromptImage } from '../server/images';

captureLogs();
// No case may hang: the slowest waits for a 1 s Timeout twice.
jest.setTimeout(10_000);

type Server = Awaited<ReturnType<typeof startImageServer>>;
type Recorded = Server['requests'][number];
type Behaviour = Parameters<Server['respondNext']>[0];

const API_KEY = 'sk-faults-SECRET-4f9a2c7e1b0d';
const GROUP = 'group-SECRET-77d1e0aa';
const ORG = 'org-SECRET-5b3a91cc';
const SECRETS = [API_KEY, GROUP, ORG];
/** The per-attempt Timeout option, in seconds, for the cases that would otherwise wait for ever. */
const TIMEOUT_S = 1;

let server: Server;
let credentials: IDataObject;
const unhandled = watchUnhandledRejections();

beforeAll(async () => {
	server = await startImageServer({ apiKey: API_KEY, imageSize: { width: 8, height: 8 }, strictPaths: true });
	credentials = {
		authentication: 'bearer',
		baseUrl: server.baseUrl,
		apiKey: API_KEY,
		customHeaders: { header: [{ name: 'X-Group', value: GROUP }, { name: 'OpenAI-Organization', value: ORG }] },
	};
});
afterAll(async () => {
	await server.close();
	await new Promise((resolve) => setTimeout(resolve, 50));
	unhandled.check();
	unhandled.stop();
	printTally('faults.test.ts');
});
beforeEach(() => server.reset());
afterEach(async () => {
	// Let stray promises settle, then make sure none was left rejected without a handler.
	await new Promise((resolve) => setTimeout(resolve, 20));
	unhandled.check();
});

const model = (id: string) => ({ __rl: true, mode: 'id', value: id });
const png = encodePng(renderPromptImage('served', 8, 8));

interface RunSpec {
	parameters: IDataObject;
	items: INodeExecutionData[];
	continueOnFail: boolean;
	credentials?: IDataObject;
}
const run = (spec: RunSpec) =>
	runNode({
		parameters: spec.parameters as never,
		items: spec.items,
		credentials: (spec.credentials ?? credentials) as never,
		continueOnFail: spec.continueOnFail,
	});

/** Runs and returns the error the node threw (failing the test when it did not throw). */
async function errorOf(spec: RunSpec): Promise<Error & IDataObject> {
	const outcome = await run(spec).then(
		(output) => ({ output }),
		(error: Error) => ({ error }),
	);
	if ('output' in outcome) throw new Error(`expected the node to fail, it returned ${JSON.stringify(outcome.output).slice(0, 300)}`);
	return outcome.error as Error & IDataObject;
}

/**
 * The checks every case shares. The batch runs with Continue On Fail: every item must be accounted
 * for as expected, and nothing it output or logged may hold a secret. When an item fails, the
 * failing input runs again alone without Continue On Fail: the node must throw an n8n error with
 * the same message and the item index, and neither it (JSON, inspected, cause chain, context,
 * errorResponse) nor what n8n logs of it may hold a secret.
 */
async function expectCase(
	label: string,
	batch: RunSpec,
	expected: Expected[],
	alone?: { spec: RunSpec; arm?: () => void },
	errorDetails: { description?: RegExp; httpCode?: string } = {},
): Promise<{ output: INodeExecutionData[]; sent: Recorded[] }> {
	const mark = logLines.length;
	const output = await run({ ...batch, continueOnFail: true });
	const sent = server.imageRequests();
	expectAccounted(output, expected);
	const failed = output.filter((item) => item.json.error !== undefined);
	for (const item of failed) {
		if (errorDetails.description) expect(String(item.json.description)).toMatch(errorDetails.description);
		if (errorDetails.httpCode) expect(item.json.httpCode).toBe(errorDetails.httpCode);
	}
	expectNoSecrets(SECRETS, `${label} (output)`, output);
	if (alone) {
		server.reset();
		alone.arm?.();
		const error = await errorOf({ ...alone.spec, continueOnFail: false });
		expect(error.constructor.name).toMatch(/^Node(Api|Operation)Error$/);
		expect(error.message).toBe(failed[0]?.json.error);
		expect((error.context as IDataObject).itemIndex).toBe(0);
		logAsN8n(error);
		expectNoSecrets(SECRETS, `${label} (error)`, error);
	}
	expectNoSecrets(SECRETS, `${label} (logs)`, logsSince(mark));
	return { output, sent };
}

describe('Upstream faults, one failing item in a batch of three', () => {
	const FAIL = 'FAIL';
	const isFailing = (request: Recorded) => request.body?.prompt === FAIL;
	const prompts = (...values: string[]) => values.map((p) => ({ json: { p } }));
	const parameters = (options: IDataObject = {}) => ({
		operation: 'generate',
		model: model('flux-dev'),
		prompt: '={{ $json.p }}',
		options: { maxRetries: 0, timeout: TIMEOUT_S, ...options },
	});

	let fileCounter = 0;
	/** The failing item's answer is a URL whose download misbehaves; `serve` makes the file exist first. */
	const downloadFault = (behaviour: Behaviour, serve = false) => {
		const path = `/files/fault-${++fileCounter}.png`;
		return () => {
		if (serve) server.serve(path, png);
		server.respondNext({ when: isFailing, json: { created: 1, data: [{ url: `${server.url}${path}` }] } });
		server.respondNext({ only: 'download', when: (request) => request.path === path, ...behaviour });
		};
	};
	const answer = (behaviour: Behaviour) => () => server.respondNext({ ...behaviour, when: isFailing });

	interface FaultCase {
		name: string;
		arm: () => void;
		message: RegExp;
		description?: RegExp;
		httpCode?: string;
		/** Upper bound for one run, in ms. */
		within?: number;
	}

	async function expectFault({ name, arm, message, description, httpCode, within = 2500 }: FaultCase) {
		arm();
		const started = Date.now();
		await expectCase(
			name,
			{ parameters: parameters(), items: prompts('first', FAIL, 'last'), continueOnFail: true },
			['image', message, 'image'],
			{ spec: { parameters: parameters(), items: prompts(FAIL), continueOnFail: false }, arm },
			{ description, httpCode },
		);
		// Two runs: the batch and the failing item alone.
		expect(Date.now() - started).toBeLessThan(2 * within);
		tally.faultCases++;
	}

	const STATUSES = [400, 401, 403, 404, 413, 422, 429, 500, 502, 503];
	const HINTS: Record<number, RegExp> = {
		400: /The provider rejected the request/,
		401: /Check the API key/,
		403: /Check the API key/,
		404: /no such endpoint, or no such model.*The node sent the request to http:\/\/127\.0\.0\.1:\d+\/v1\/images\/generations/,
		413: /larger than the server or a proxy in front of it accepts/,
		422: /The provider rejected the request/,
		429: /Rate limited or out of quota/,
		500: /usually temporary/,
		502: /usually temporary/,
		503: /usually temporary/,
	};
	const statusCases: FaultCase[] = STATUSES.flatMap((status) => [
		{
			name: `HTTP ${status} with an OpenAI JSON error`,
			arm: answer({ status, json: { error: { message: `Simulated problem ${status}`, type: 'invalid_request_error', param: null, code: 'simulated' } } }),
			message: new RegExp(`^Simulated problem ${status} \\(HTTP ${status}\\)$`),
			description: HINTS[status],
			httpCode: String(status),
		},
		{
			name: `HTTP ${status} with a plain-text body`,
			arm: answer({ status, text: `Plain failure ${status}: upstream said no` }),
			message: new RegExp(`^Plain failure ${status}: upstream said no \\(HTTP ${status}\\)$`),
			description: HINTS[status],
			httpCode: String(status),
		},
		{
			name: `HTTP ${status} with an HTML page`,
			arm: answer({ status, html: `<!DOCTYPE html><html><head><title>${status} Proxy Error</title></head><body><h1>nginx</h1></body></html>` }),
			message: new RegExp(`^HTML error page: ${status} Proxy Error \\(HTTP ${status}\\)$`),
			description: HINTS[status],
			httpCode: String(status),
		},
	]);

	test.each(statusCases.map((kase) => [kase.name, kase] as const))('%s', async (_name, kase) => await expectFault(kase));

	const bodyCases: FaultCase[] = [
		{ name: 'HTTP 200 with an error body', arm: answer({ shape: 'error200' }), message: /^Upstream channel failed \(HTTP 200 with an error body\)$/, httpCode: '200' },
		{
			name: 'malformed JSON: {"data": [',
			arm: answer({ status: 200, text: '{"data": [', headers: { 'content-type': 'application/json' } }),
			message: /^The server answered HTTP 200 with a body that is not a JSON object: \{"data": \[$/,
			description: /cut off, or it is a web page/,
		},
		{ name: 'a JSON array instead of an object', arm: answer({ status: 200, json: [] }), message: /body that is not a JSON object/ },
		{ name: 'a JSON null', arm: answer({ status: 200, text: 'null', headers: { 'content-type': 'application/json' } }), message: /body that is not a JSON object: null/ },
		{ name: 'an empty 200 body', arm: answer({ status: 200, text: '' }), message: /body that is not a JSON object: the server sent no error message/ },
		{ name: 'a body cut off mid-way (connection closed)', arm: answer({ truncate: true }), message: /^The connection to the server at 127\.0\.0\.1:\d+ failed: the server closed the connection before the answer was complete$/ },
		{ name: 'a connection reset (TCP RST) mid-response', arm: answer({ reset: true }), message: /failed: the server closed the connection before the answer was complete$/ },
		{ name: 'a connection reset before any answer', arm: answer({ destroy: true }), message: /failed: the server closed the connection before the answer was complete$/ },
		{ name: '`data` empty', arm: answer({ shape: 'empty' }), message: /^The provider returned no image$/, description: /moderation/ },
		{ name: '`data` not a list', arm: answer({ json: { created: 1, data: { url: 'x' } } }), message: /^The provider returned no image$/ },
		{ name: 'an entry with neither url nor b64_json', arm: answer({ shape: 'noImageData' }), message: /^The provider returned no image: its one entry has neither b64_json nor url$/, description: /moderation or safety filter/ },
		{ name: 'an entry that is null', arm: answer({ json: { data: [null] } }), message: /^The provider returned no image: its one entry has neither b64_json nor url$/ },
		{ name: 'b64_json that is a number', arm: answer({ json: { data: [{ b64_json: 12345 }] } }), message: /neither b64_json nor url/ },
		{ name: 'invalid base64', arm: answer({ shape: 'invalidBase64' }), message: /^The provider returned image data that is not valid base64$/ },
		{ name: 'base64 of bytes that are not an image', arm: answer({ shape: 'notAnImage' }), message: /^The provider returned data that is not a PNG, JPEG, WebP, GIF or SVG image$/ },
		{ name: 'a data: URL of text', arm: answer({ json: { data: [{ url: `data:text/plain;base64,${Buffer.from('hello').toString('base64')}` }] } }), message: /not a PNG, JPEG, WebP, GIF or SVG image/ },
		{
			name: 'a server that accepts and never answers',
			arm: answer({ hang: true }),
			message: new RegExp(`^The server at 127\\.0\\.0\\.1:\\d+ did not answer within ${TIMEOUT_S} s$`),
			description: /raise the Timeout option/,
		},
		{ name: 'an answer that stalls after its headers', arm: answer({ stall: true }), message: /did not answer within 1 s$/ },
		{ name: 'an answer that trickles and never ends', arm: answer({ trickleMs: 200 }), message: /did not answer within 1 s$/ },
	];
	test.each(bodyCases.map((kase) => [kase.name, kase] as const))('%s', async (_name, kase) => await expectFault(kase));

	// The image host is the Base URL's own origin on loopback: a private address, allowed, whose
	// answers are never shown (a public host's are: dns-rebinding.test.ts).
	const downloadCases: FaultCase[] = [
		{ name: 'an image URL that answers 404', arm: downloadFault({ status: 404 }), message: /^Downloading the image from 127\.0\.0\.1:\d+ failed: the private host's answer is not shown \(HTTP 404\)$/, httpCode: '404' },
		{ name: 'an image URL that answers an HTML 403 page', arm: downloadFault({ status: 403, html: '<html><title>Access Denied</title></html>' }), message: /failed: the private host's answer is not shown \(HTTP 403\)$/ },
		{ name: 'an image URL that answers a 200 HTML page', arm: downloadFault({ status: 200, html: '<html><title>Log in</title></html>' }), message: /^The provider returned data that is not a PNG, JPEG, WebP, GIF or SVG image from http:\/\/127\.0\.0\.1:\d+\/files\/fault-\d+\.png$/, description: /^It came from a private address, so nothing of it is shown\.$/ },
		{ name: 'an image URL that answers text', arm: downloadFault({ status: 200, text: 'not a picture' }), message: /not a PNG, JPEG, WebP, GIF or SVG image from/ },
		{ name: 'an image URL that answers an empty body', arm: downloadFault({ status: 200, text: '' }), message: /not a PNG, JPEG, WebP, GIF or SVG image from/ },
		{ name: 'an image URL in a redirect loop', arm: downloadFault({ redirect: 'self', times: 50 }), message: /^Could not download the image from 127\.0\.0\.1:\d+: too many redirects$/ },
		{ name: 'an image URL redirecting to file:', arm: downloadFault({ redirect: 'file:///etc/passwd' }), message: /: it redirected to an address that is not http\(s\)$/ },
		{ name: 'an image URL redirecting to ftp:', arm: downloadFault({ redirect: 'ftp://127.0.0.1/x.png' }), message: /: it redirected to an address that is not http\(s\)$/ },
		{ name: 'an image download that never starts', arm: downloadFault({ hang: true }), message: /^Could not download the image from 127\.0\.0\.1:\d+: no complete answer within 1 s$/ },
		{ name: 'an image download that stalls', arm: downloadFault({ stall: true }, true), message: /: no complete answer within 1 s$/ },
		{ name: 'an image download that never ends', arm: downloadFault({ trickleMs: 100 }, true), message: /: no complete answer within 1 s$/ },
		{ name: 'an image download cut off', arm: downloadFault({ truncate: true }, true), message: /: the server closed the connection before the answer was complete$/ },
		{ name: 'an image download reset mid-way', arm: downloadFault({ reset: true }, true), message: /: the server closed the connection before the answer was complete$/ },
		{ name: 'an image download reset before any answer', arm: downloadFault({ destroy: true }), message: /: the server closed the connection before the answer was complete$/ },
	];
	test.each(downloadCases.map((kase) => [kase.name, kase] as const))('%s', async (_name, kase) => await expectFault(kase));

	test('a large mixed batch: upstream, download and input failures between successes, two at a time', async () => {
		server.respondNext({ when: (request) => request.body?.prompt === 'rate limited', status: 429, json: { error: { message: 'Slow down' } } });
		server.respondNext({ when: (request) => request.body?.prompt === 'expired url', json: { data: [{ url: `${server.url}/files/gone.png` }] } });
		server.respondNext({ when: (request) => request.body?.prompt === 'blocked', shape: 'empty' });
		const values = ['one', 'rate limited', '', 'two', 'expired url', 'x'.repeat(1001), 'blocked', 'three'];
		const { output, sent } = await expectCase(
			'mixed batch',
			{ parameters: { ...parameters({ concurrency: 2 }), model: model('dall-e-2') }, items: prompts(...values), continueOnFail: true },
			['image', /^Slow down \(HTTP 429\)$/, /^Prompt is empty$/, 'image', /Downloading the image .* \(HTTP 404\)$/, /Prompt is too long for DALL·E 2/, /no image/, 'image'],
		);
		expect(output.filter((item) => item.binary).map((item) => item.json.prompt)).toEqual(['one', 'two', 'three']);
		// The items that failed validation sent nothing.
		expect(sent).toHaveLength(6);
		expect(server.state.maxInFlight).toBeLessThanOrEqual(2);
		tally.faultCases++;
	});
});

describe('Bad input, one bad item between two good ones', () => {
	const GOOD = { prompt: 'fine', n: 1, size: '256x256', model: 'dall-e-2' };
	/** Every field comes from the item through an expression, as the brief's `={{ ... }}` parameters. */
	const parameters = {
		operation: 'generate',
		model: model('={{ $json.model }}'),
		prompt: '={{ $json.prompt }}',
		n: '={{ $json.n }}',
		size: '={{ $json.size }}',
		options: { extraBody: '={{ $json.extra }}', maxRetries: 0 },
	};
	const batch = (bad: IDataObject): INodeExecutionData[] => [
		{ json: { ...GOOD, prompt: 'first' } },
		{ json: { ...GOOD, ...bad } },
		{ json: { ...GOOD, prompt: 'last' } },
	];

	const errors: Array<[string, IDataObject, RegExp]> = [
		['blank prompt', { prompt: '  \n ' }, /^Prompt is empty$/],
		['empty prompt', { prompt: '' }, /^Prompt is empty$/],
		['prompt resolving to null', { prompt: null }, /^Prompt must be text, got null$/],
		['prompt resolving to an object', { prompt: { text: 'a' } }, /^Prompt must be text, got \{"text":"a"\}$/],
		['prompt resolving to a list', { prompt: ['a', 'b'] }, /^Prompt must be text, got \["a","b"\]$/],
		['prompt resolving to a boolean', { prompt: true }, /^Prompt must be text, got true$/],
		['oversized prompt for DALL·E 2', { prompt: 'x'.repeat(1001) }, /^Prompt is too long for DALL·E 2: 1001 characters, the limit is 1000$/],
		['oversized prompt for DALL·E 3', { model: 'dall-e-3', size: '1024x1024', prompt: 'x'.repeat(4001) }, /limit is 4000$/],
		['oversized prompt for a GPT image model', { model: 'gpt-image-1', size: 'auto', prompt: 'x'.repeat(32001) }, /^Prompt is too long for GPT Image: 32001 characters, the limit is 32000$/],
		['n of 0', { n: 0 }, /^Number of Images must be a whole number from 1 to 10, not 0$/],
		['n of 11', { n: 11 }, /from 1 to 10, not 11$/],
		['n of -1', { n: -1 }, /not -1$/],
		['n of 2.5', { n: 2.5 }, /not 2\.5$/],
		['n resolving to null', { n: null }, /not null$/],
		['n resolving to an object', { n: { count: 2 } }, /not \{"count":2\}$/],
		['n resolving to text', { n: 'two' }, /not "two"$/],
		['size resolving to a number', { size: 1024 }, /^Size must be text, not 1024$/],
		['size resolving to an object', { size: { width: 1 } }, /^Size must be text, not \{"width":1\}$/],
		['unknown size for DALL·E 2', { size: '640x480' }, /^Size "640x480" is not accepted by DALL·E 2 models$/],
		['unknown size for DALL·E 3', { model: 'dall-e-3', size: '512x512' }, /^Size "512x512" is not accepted by DALL·E 3 models$/],
		['size not a multiple of 16 for GPT Image 2', { model: 'gpt-image-2', size: '1000x1000' }, /multiples of 16/],
		['size with spaces for another model', { model: 'flux-dev', size: '1024 x 1024' }, /remove the spaces/],
		['model resolving to null', { model: null }, /^Model is required, got null$/],
		['model resolving to an empty string', { model: '  ' }, /^Model is required, got "  "$/],
		['model resolving to an object', { model: { id: 'dall-e-2' } }, /^Model must be a model ID \(text\), got \{"id":"dall-e-2"\}$/],
		['malformed extra JSON', { extra: '{"guidance_scale": ' }, /^Extra Body Fields \(JSON\) is not valid JSON: /],
		['extra JSON that is a list', { extra: '[1, 2]' }, /^Extra Body Fields \(JSON\) must be a JSON object, not \[1,2\]$/],
		['extra JSON that is null', { extra: 'null' }, /must be a JSON object, not null$/],
		['extra fields resolving to a number', { extra: 42 }, /must be a JSON object, not 42$/],
	];

	test.each(errors)('%s', async (name, bad, message) => {
		const { sent } = await expectCase(name, { parameters, items: batch(bad), continueOnFail: true }, ['image', message, 'image'], {
			spec: { parameters, items: [{ json: { ...GOOD, ...bad } }], continueOnFail: false },
		});
		// Validation fails before anything is sent for the item: only the good ones went out.
		expect(sent.map((request) => request.body.prompt)).toEqual(expect.arrayContaining(['first', 'last']));
		expect(sent).toHaveLength(2);
		expect(server.imageRequests()).toHaveLength(0);
		tally.badInputCases++;
	});

	const results: Array<[string, IDataObject, (sent: IDataObject) => void]> = [
		['prompt resolving to a number is its text', { prompt: 42 }, (sent) => expect(sent.prompt).toBe('42')],
		['n resolving to numeric text', { n: '2' }, (sent) => expect(sent.n).toBe(2)],
		['size resolving to null takes the default', { size: null }, (sent) => expect(sent.size).toBe('1024x1024')],
		['model resolving to a number is its text', { model: 42, size: null }, (sent) => expect(sent.model).toBe('42')],
		['surrounding spaces are trimmed', { prompt: '  spaced  ', model: ' dall-e-2 ', size: ' 512x512 ' }, (sent) => expect(sent).toMatchObject({ prompt: 'spaced', model: 'dall-e-2', size: '512x512' })],
		['extra fields resolving to an object', { extra: { cfg_scale: 7 } }, (sent) => expect(sent.cfg_scale).toBe(7)],
	];
	test.each(results)('%s', async (name, value, check) => {
		const { sent } = await expectCase(name, { parameters, items: batch(value), continueOnFail: true }, ['image', 'image', 'image']);
		check(sent.find((request) => !['first', 'last'].includes(request.body.prompt))?.body);
		tally.badInputCases++;
	});

	test('an empty input gives an empty output and sends nothing', async () => {
		for (const operation of ['generate', 'edit', 'variation']) {
			expect(await run({ parameters: { ...parameters, operation }, items: [], continueOnFail: false })).toEqual([]);
			expect(await run({ parameters: { ...parameters, operation }, items: [], continueOnFail: true })).toEqual([]);
		}
		expect(server.requests).toHaveLength(0);
		tally.badInputCases++;
	});
});

describe('Bad input images for Edit, one bad item between two good ones', () => {
	const image = encodePng(renderPromptImage('input', 16, 16));
	const goodBinary: Record<string, InputFile> = { data: { data: image, fileName: 'in.png' } };
	const parameters = (extra: IDataObject = {}) => ({
		operation: 'edit',
		model: model('gpt-image-1'),
		prompt: 'Edit it',
		binaryPropertyName: '={{ $json.property ?? "data" }}',
		options: { maxRetries: 0 },
		...extra,
	});
	const cases: Array<[string, Record<string, InputFile> | undefined, IDataObject, RegExp, IDataObject?]> = [
		['no binary data at all', undefined, {}, /^Input Binary Properties: the item has no binary property "data"$/],
		['the named binary property missing', { other: { data: image } }, {}, /no binary property "data"$/],
		['a binary that is not an image', { data: { data: Buffer.from('%PDF-1.7 not a picture'), fileName: 'doc.png', mimeType: 'image/png' } }, {}, /^The input image in binary property "data" is not an image: its content is not PNG, JPEG, WebP or GIF \(the item says image\/png\)$/],
		['an empty binary', { data: { data: Buffer.alloc(0), fileName: 'empty.png', mimeType: 'image/png' } }, {}, /is not an image/],
		['a property name resolving to a number', goodBinary, { property: 5 }, /no binary property "5"$/],
		['a mask that is missing', goodBinary, {}, /^Mask Binary Property: the item has no binary property "mask"$/, { maskBinaryPropertyName: 'mask' }],
	];
	test.each(cases)('%s', async (name, binary, json, message, extra = {}) => {
		const masked = extra.maskBinaryPropertyName !== undefined;
		const good = { binary: { ...goodBinary, ...(masked ? { mask: { data: encodePng(renderPromptImage('m', 16, 16, { transparent: true })) } } : {}) } };
		const items = await prepareItems([good, { json, ...(binary ? { binary } : {}) }, good]);
		const alone = await prepareItems([{ json, ...(binary ? { binary } : {}) }]);
		const { sent } = await expectCase(name, { parameters: parameters(extra), items, continueOnFail: true }, ['image', message, 'image'], {
			spec: { parameters: parameters(extra), items: alone, continueOnFail: false },
		});
		expect(sent).toHaveLength(2);
		expect(server.imageRequests()).toHaveLength(0);
		tally.badInputCases++;
	});
});

describe('Credential', () => {
	const items = [{ json: { p: 'one' } }, { json: { p: 'two' } }];
	const parameters = { operation: 'generate', model: model('flux-dev'), prompt: '={{ $json.p }}', options: { maxRetries: 0, timeout: TIMEOUT_S } };
	const withCredential = (changes: IDataObject) => ({ ...credentials, ...changes });

	/** Both items fail with the same error; alone, the node throws it. */
	async function expectBroken(name: string, changes: IDataObject, message: RegExp, description?: RegExp, arm?: () => void) {
		const credential = withCredential(changes);
		arm?.();
		await expectCase(name, { parameters, items, continueOnFail: true, credentials: credential }, [message, message], {
			spec: { parameters, items: items.slice(0, 1), continueOnFail: false, credentials: credential },
			arm,
		}, { description });
		tally.faultCases++;
	}


	test('a Base URL without a scheme: says to add https://, sends nothing', async () => {
		const bare = server.baseUrl.replace('http://', '');
		await expectBroken('no scheme', { baseUrl: bare }, /^The credential's Base URL "127\.0\.0\.1:\d+\/v1" is not a valid http\(s\) URL$/, /^Add the scheme: https:\/\/127\.0\.0\.1:\d+\/v1 \(or http:\/\/ for a local server\)/);
		expect(server.requests).toHaveLength(0);
	});

	test.each([
		['only a scheme', 'https://', /^It must start with http:\/\/ or https:\/\/ and a host name\./],
		['a query string', `http://127.0.0.1:1/v1?key=abc`, /^Remove the query \(\?\.\.\.\), fragment/],
		['another scheme', 'ftp://127.0.0.1/v1', /^It must start with http:\/\/ or https:\/\//],
		['spaces inside', 'http://127.0.0.1/ v1', /^Remove the query \(\?\.\.\.\), fragment \(#\.\.\.\) or spaces/],
	])('a Base URL with %s is refused before any request, saying what to fix', async (name, baseUrl, description) => {
		await expectBroken(name, { baseUrl }, /^The credential's Base URL ".*" is not a valid http\(s\) URL$/, description);
		expect(server.requests).toHaveLength(0);
	});

	test('a Base URL with an extra path: the 404 names the URL that was requested and the Base URL', async () => {
		await expectBroken(
			'extra path',
			{ baseUrl: `${server.baseUrl}/extra` },
			/^Unknown path \/v1\/extra\/images\/generations \(HTTP 404\)$/,
			/Check the Base URL in the credential: it must be the API root.*The node sent the request to http:\/\/127\.0\.0\.1:\d+\/v1\/extra\/images\/generations\./,
		);
	});

	test.each([['/v1/v1'], ['/v1/v1/']])('a Base URL ending in %s: the error says to remove the doubled /v1', async (suffix) => {
		await expectBroken(
			'doubled /v1',
			{ baseUrl: `${server.url}${suffix}` },
			/^Unknown path \/v1\/v1\/images\/generations \(HTTP 404\)$/,
			/The Base URL in the credential ends in \/v1\/v1: remove one \/v1, so that it reads http:\/\/127\.0\.0\.1:\d+\/v1\./,
		);
	});

	test('a doubled /v1 on a gateway that answers unknown paths with its web page points at the Base URL too', async () => {
		const webPage = () => server.respondNext({ status: 200, html: '<!doctype html><html><head><title>New API</title></head></html>', only: 'other', times: 2 });
		await expectBroken('doubled /v1, web page', { baseUrl: `${server.url}/v1/v1` }, /^The server answered HTTP 200 with a body that is not a JSON object: HTML error page: New API$/, /ends in \/v1\/v1: remove one \/v1/, webPage);
	});

	test.each([
		['the generations endpoint', '/images/generations'],
		['the generations endpoint and a slash', '/images/generations/'],
		['the models endpoint', '/models'],
	])('a Base URL with %s pasted on works: the node strips it', async (_name, suffix) => {
		const output = await run({ parameters, items, continueOnFail: false, credentials: withCredential({ baseUrl: `${server.baseUrl}${suffix}` }) });
		expectAccounted(output, ['image', 'image']);
		expect(server.imageRequests().map((request) => request.path)).toEqual(['/v1/images/generations', '/v1/images/generations']);
		tally.faultCases++;
	});

	test('an unreachable host (a closed port on 127.0.0.1): the error says nothing accepts connections', async () => {
		const port = await closedPort();
		await expectBroken(
			'closed port',
			{ baseUrl: `http://127.0.0.1:${port}/v1` },
			new RegExp(`^The connection to the server at 127\\.0\\.0\\.1:${port} failed: nothing accepts connections at that address$`),
			/^ECONNREFUSED: check the Base URL in the credential/,
		);
	});

	test('a key with whitespace around it works: it is sent trimmed', async () => {
		const output = await run({ parameters, items, continueOnFail: false, credentials: withCredential({ apiKey: ` \t${API_KEY}\r\n ` }) });
		expectAccounted(output, ['image', 'image']);
		expect(server.imageRequests().map((request) => request.headers.authorization)).toEqual([`Bearer ${API_KEY}`, `Bearer ${API_KEY}`]);
		tally.faultCases++;
	});

	test('custom header values with whitespace around them are sent trimmed', async () => {
		await run({ parameters, items: items.slice(0, 1), continueOnFail: false, credentials: withCredential({ customHeaders: { header: [{ name: ' X-Group ', value: `  ${GROUP}\n` }] } }) });
		expect(server.imageRequests()[0].headers['x-group']).toBe(GROUP);
		tally.faultCases++;
	});

	test.each([
		['a line break inside the key', { apiKey: `${API_KEY.slice(0, 10)}\n${API_KEY.slice(10)}` }, /^The API key contains a space, a line break or a character that cannot be sent in an HTTP header\./],
		['a space inside the key', { apiKey: `${API_KEY.slice(0, 10)} ${API_KEY.slice(10)}` }, /^The API key contains a space/],
		['a custom header name with a space', { customHeaders: { header: [{ name: 'X Group', value: GROUP }] } }, /^The custom header name "X Group" is not a valid HTTP header name/],
		['a custom header value with a line break', { customHeaders: { header: [{ name: 'X-Group', value: `${GROUP}\nInjected: yes` }] } }, /^The value of the custom header "X-Group" contains a line break/],
	])('%s: a clear error naming the field, nothing sent', async (name, changes, message) => {
		await expectBroken(name, changes, message, /Open the credential/);
		expect(server.requests).toHaveLength(0);
	});
});
