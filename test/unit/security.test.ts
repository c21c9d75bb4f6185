/**
 * Security, through n8n-core's real execution context, HTTP layer and filesystem binary storage:
 * the API key and custom header values never show in output items, errors (message, description,
 * context, errorResponse, cause chain, stack) or n8n's logs, also when the HTTP layer fails or a
 * server echoes them back; they never travel to an image host or along a redirect; only http(s)
 * image URLs are fetched; and a response cannot steer where or under which name n8n stores a file.
 * faults.test.ts runs the same secret checks for every upstream, input and credential fault.
 */
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';

import type { ICredentialDataDecryptedObject, IDataObject, INodeExecutionData } from 'n8n-workflow';

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
import { useImageServer, type ImageServerFixture } from '../harness/fixture';
import { binaryDataService, prepareItems, runCredentialTestRequest, searchModels, useBinaryDataMode } from '../harness/n8n';
import { closedPort } from '../server/ports';
import { encodePng, renderPromptImage } from '../server/images';

captureLogs();
// No case may hang: the slowest waits for a 1 s Timeout twice.
jest.setTimeout(10_000);

type Recorded = ImageServerFixture['server']['requests'][number];

const API_KEY = 'sk-security-SECRET-9a8b7c6d5e4f';
// Custom header values that are credentials by the redaction rule: by the header's name (a gateway
// key) and by the value's look (an organization id shaped like a key).
const GROUP = 'group-SECRET-1f2e3d4c';
const ORG = 'org-SECRET6a7b8c9d0e1f2a3b';
const SECRETS = [API_KEY, GROUP, ORG];
const HEADERS = { header: [{ name: 'X-Group-Key', value: GROUP }, { name: 'OpenAI-Organization', value: ORG }] };

const api = useImageServer({ apiKey: API_KEY, imageSize: { width: 8, height: 8 }, strictPaths: true });
/** A second server on another port of the same host, serving images only (a private host: allowed by the option); it checks no key. */
const imageHost = useImageServer({ apiKey: '', imageSize: { width: 8, height: 8 } });
const { model } = api;
let sandbox: string;
let storage: string;
const unhandled = watchUnhandledRejections();

const bearer = (): ICredentialDataDecryptedObject => ({ authentication: 'bearer', baseUrl: api.server.baseUrl, apiKey: API_KEY, customHeaders: HEADERS });
// Azure sends the key as api-key: a header n8n's redirect handling knows nothing about.
const azure = (): ICredentialDataDecryptedObject => ({ authentication: 'azure', baseUrl: api.server.url, apiKey: API_KEY, apiVersion: '2024-10-21', customHeaders: HEADERS });
const AUTHS = [['bearer', bearer], ['azure', azure]] as const;

beforeAll(async () => {
	sandbox = fs.mkdtempSync(path.join(os.tmpdir(), 'n8n-images-security-'));
	storage = path.join(sandbox, 'storage');
	fs.mkdirSync(storage);
	await useBinaryDataMode('filesystem', storage);
});
afterAll(async () => {
	fs.rmSync(sandbox, { recursive: true, force: true });
	await new Promise((resolve) => setTimeout(resolve, 50));
	unhandled.check();
	unhandled.stop();
	printTally('security.test.ts');
});
afterEach(async () => {
	await new Promise((resolve) => setTimeout(resolve, 20));
	unhandled.check();
});

const png = encodePng(renderPromptImage('served', 8, 8));
const prompts = (...values: string[]) => values.map((p) => ({ json: { p } }));
const generate = (options: IDataObject = {}) => ({
	operation: 'generate',
	model: model('flux-dev'),
	prompt: '={{ $json.p }}',
	// Every server here is on loopback: the image host beside the API is a private host.
	options: { maxRetries: 0, timeout: 1, allowPrivateImageHosts: true, ...options },
});

async function run(parameters: IDataObject, items: INodeExecutionData[], credentials: IDataObject, continueOnFail: boolean) {
	return await api.run(parameters, { items, credentials: credentials as never, continueOnFail });
}

/**
 * Runs the batch with Continue On Fail and the first failing input alone without it; checks that
 * every item is accounted for, and that neither output, error nor logs hold a secret.
 */
async function expectSafe(
	label: string,
	parameters: IDataObject,
	items: INodeExecutionData[],
	credentials: IDataObject,
	expected: Expected[],
	arm: () => void = () => {},
): Promise<{ output: INodeExecutionData[]; error?: Error & IDataObject }> {
	const mark = logLines.length;
	arm();
	const output = await run(parameters, items, credentials, true);
	expectAccounted(output, expected);
	expectNoSecrets(SECRETS, `${label} (output)`, output);
	const failing = expected.findIndex((want) => want !== 'image');
	let error: (Error & IDataObject) | undefined;
	if (failing >= 0) {
		api.server.reset();
		imageHost.server.reset();
		arm();
		error = await run(parameters, [items[failing]], credentials, false).then(
			() => undefined,
			(caught: Error & IDataObject) => caught,
		);
		expect(error?.message).toBe(output.find((item) => item.json.error)?.json.error);
		logAsN8n(error);
		expectNoSecrets(SECRETS, `${label} (error)`, error);
	}
	expectNoSecrets(SECRETS, `${label} (logs)`, logsSince(mark));
	return { output, error };
}

/** No request header value sent to the image host (or anywhere listed) holds a secret or names auth. */
function expectCleanHeaders(label: string, requests: Recorded[]) {
	expect(requests.length).toBeGreaterThan(0);
	for (const request of requests) {
		expect(request.headers.authorization).toBeUndefined();
		expect(request.headers['api-key']).toBeUndefined();
		expect(request.headers['x-group-key']).toBeUndefined();
		expect(request.headers['openai-organization']).toBeUndefined();
		expectNoSecrets(SECRETS, `${label}: headers of ${request.path}`, request.headers, request.query);
	}
}

describe('Failures raised by the HTTP layer show no secret', () => {
	/** A TCP server that answers every connection with bytes that are not HTTP. */
	async function notHttp(): Promise<{ url: string; close: () => Promise<void> }> {
		const sockets = new Set<net.Socket>();
		const tcp = net.createServer((socket) => {
			sockets.add(socket);
			socket.end('SSH-2.0-OpenSSH_9.6\r\n\r\n');
		});
		await new Promise<void>((resolve) => tcp.listen(0, '127.0.0.1', resolve));
		const { port } = tcp.address() as net.AddressInfo;
		const close = async () => {
			for (const socket of sockets) socket.destroy();
			await new Promise<void>((resolve) => tcp.close(() => resolve()));
		};
		return { url: `http://127.0.0.1:${port}`, close };
	}

	const failures: Array<[string, () => Promise<{ base: string; arm?: () => void; done?: () => Promise<void> }>, RegExp]> = [
		['connection refused', async () => ({ base: `http://127.0.0.1:${await closedPort()}` }), /failed: nothing accepts connections at that address$/],
		['no answer (timeout)', async () => ({ base: api.server.url, arm: () => api.server.respondNext({ hang: true, times: 2 }) }), /did not answer within 1 s$/],
		['TLS spoken to a plain-HTTP server', async () => ({ base: api.server.url.replace('http:', 'https:') }), /failed: the secure \(TLS\) connection failed$/],
		['a server that does not speak HTTP', async () => {
			const tcp = await notHttp();
			return { base: tcp.url, done: tcp.close };
		}, /failed: the server did not answer with valid HTTP$/],
		['a connection reset', async () => ({ base: api.server.url, arm: () => api.server.respondNext({ destroy: true, times: 2 }) }), /failed: the server closed the connection before the answer was complete$/],
	];

	for (const [auth, credentialsFor] of AUTHS) {
		test.each(failures)(`${auth}: %s`, async (name, setup, message) => {
			const { base, arm, done } = await setup();
			const credentials = { ...credentialsFor(), baseUrl: auth === 'azure' ? base : `${base}/v1` };
			const { error } = await expectSafe(`${auth} ${name}`, generate(), prompts('a', 'b'), credentials, [message, message], arm);
			// The node's own error, not n8n's wrapped one that holds the request configuration.
			expect(error?.constructor.name).toBe('NodeApiError');
			expect(error?.cause).toBeUndefined();
			if (name.startsWith('TLS')) expect(error?.description).toMatch(/^EPROTO: check that the Base URL's scheme fits the server/);
			await done?.();
			tally.faultCases++;
		});
	}
});

describe('A server that echoes the secrets back: they are redacted', () => {
	const echo = `key ${API_KEY}, group ${GROUP}, organization ${ORG}`;
	const cases: Array<[string, () => void, Expected]> = [
		['401 JSON error message', () => api.server.respondNext({ status: 401, json: { error: { message: `Incorrect API key provided: ${API_KEY}`, code: 'invalid_api_key' } } }), /^Incorrect API key provided: \[redacted\] \(HTTP 401\)$/],
		['400 JSON error with the request in it', () => api.server.respondNext({ status: 400, json: { error: { message: 'Bad request', param: API_KEY, request: { headers: { authorization: `Bearer ${API_KEY}`, 'x-group-key': GROUP, 'openai-organization': ORG } } } } }), /^Bad request \(HTTP 400\)$/],
		['500 plain text', () => api.server.respondNext({ status: 500, text: `upstream failed for ${echo}` }), /^upstream failed for key \[redacted\], group \[redacted\], organization \[redacted\] \(HTTP 500\)$/],
		['502 HTML page', () => api.server.respondNext({ status: 502, html: `<html><title>Bad gateway for ${API_KEY}</title></html>` }), /^HTML error page: Bad gateway for \[redacted\] \(HTTP 502\)$/],
		['HTTP 200 with an error body', () => api.server.respondNext({ json: { error: { message: `Channel error: ${echo}` } } }), /^Channel error: key \[redacted\].* \(HTTP 200 with an error body\)$/],
		['HTTP 200 without images, echoing the request', () => api.server.respondNext({ json: { data: [], request: { headers: { authorization: `Bearer ${API_KEY}`, 'x-group-key': GROUP } } } }), /^The provider returned no image$/],
		['HTTP 200 that is not JSON', () => api.server.respondNext({ status: 200, text: `Authorization: Bearer ${API_KEY}` }), /not a JSON object: Authorization: Bearer \[redacted\]$/],
		['an image URL with the key in it that fails', () => api.server.respondNext({ json: { data: [{ url: `${imageHost.server.url}/files/missing.png?token=${API_KEY}` }] } }), /^Downloading the image from 127\.0\.0\.1:\d+ failed/],
		['a refused image URL with the key in it', () => api.server.respondNext({ json: { data: [{ url: `file:///${API_KEY}/${GROUP}` }] } }), /will not fetch \(scheme file:\): "file:\/\/\/\[redacted\]\/\[redacted\]"$/],
	];
	test.each(cases)('%s', async (name, arm, expected) => {
		const only = () => {
			arm();
			// Only the middle item gets the echo; `when` on the last behaviour pushed.
		};
		const { output } = await expectSafe(name, generate(), prompts('echo'), bearer(), [expected], only);
		expect(JSON.stringify(output)).toMatch(/\[redacted\]|no image|Downloading/);
		tally.faultCases++;
	});

	test('a successful answer echoing secrets in usage and the image URL: redacted in the items', async () => {
		const url = imageHost.server.serve('/files/echo.png', png);
		api.server.respondNext({
			json: { created: 1, usage: { note: echo }, data: [{ url: `${url}?token=${API_KEY}`, revised_prompt: 'A picture for the echo' }] },
		});
		const { output } = await expectSafe('success echo', generate(), prompts('echo'), bearer(), ['image']);
		expect(output[0].json).toMatchObject({
			revised_prompt: 'A picture for the echo',
			usage: { note: 'key [redacted], group [redacted], organization [redacted]' },
			url: `${url}?token=[redacted]`,
		});
		// The download itself used the URL as given.
		expect(imageHost.server.requests[0].query.token).toBe(API_KEY);
		tally.faultCases++;
	});

	test('the model list shows no secret when the server echoes them in its error', async () => {
		api.server.respondNext({ status: 500, json: { error: { message: `models failed for ${echo}` } }, times: 2 });
		const mark = logLines.length;
		const list = await searchModels(bearer());
		expect(list.results[0].description).toMatch(/models failed for key \[redacted\]/);
		expectNoSecrets(SECRETS, 'model list', list, logsSince(mark));
	});

	test('the credential test shows no secret when the server echoes them', async () => {
		// n8n's tester shows the 401 rule's fixed text (2.x) or n8n's own message (1.x), never the body.
		api.server.respondNext({ status: 401, text: `bad key ${echo}`, times: 2 });
		const outcome = await runCredentialTestRequest(bearer());
		expect(outcome).toMatchObject({ ok: false, status: 401 });
		expectNoSecrets(SECRETS, 'credential test', outcome);
	});
});

describe('Image downloads never carry the key or custom headers', () => {
	const answerWithUrl = (url: string) => api.server.respondNext({ json: { created: 1, data: [{ url }] } });

	for (const [auth, credentialsFor] of AUTHS) {
		test(`${auth}: an image on the same host, another port`, async () => {
			answerWithUrl(imageHost.server.serve('/files/other-port.png', png));
			await expectSafe('other port', generate(), prompts('a'), credentialsFor(), ['image']);
			expectCleanHeaders('other port', imageHost.server.requests);
			// The API request itself did carry them, so the check above means something.
			const [apiCall] = api.server.imageRequests();
			expect(apiCall.headers[auth === 'azure' ? 'api-key' : 'authorization']).toContain(API_KEY);
			expect(apiCall.headers['x-group-key']).toBe(GROUP);
		});

		test.each([['/static/images/x.png'], ['/v1/files/x.png'], ['/v1/images/generations/result.png']])(`${auth}: an image on the Base URL's own host and port, at %s`, async (filePath) => {
			answerWithUrl(api.server.serve(filePath, png));
			await expectSafe('same origin', generate(), prompts('a'), credentialsFor(), ['image']);
			expectCleanHeaders('same origin', api.server.requests.filter((request) => request.kind === 'download'));
		});

		test(`${auth}: an image URL that redirects to the API server`, async () => {
			const target = api.server.serve('/files/after-redirect.png', png);
			answerWithUrl(`${imageHost.server.url}/files/start.png`);
			imageHost.server.respondNext({ only: 'download', redirect: target });
			await expectSafe('redirected download', generate(), prompts('a'), credentialsFor(), ['image']);
			expectCleanHeaders('redirected download', [...imageHost.server.requests, ...api.server.requests.filter((request) => request.kind === 'download')]);
		});
	}

	test('Edit: uploads go to the API only; the result URL is downloaded without the key', async () => {
		const items = await prepareItems([{ binary: { data: { data: encodePng(renderPromptImage('in', 16, 16)), fileName: 'in.png' } } }]);
		answerWithUrl(imageHost.server.serve('/files/edited.png', png));
		await expectSafe('edit download', { operation: 'edit', model: model('gpt-image-1'), prompt: 'Edit', options: { maxRetries: 0, allowPrivateImageHosts: true } }, items, bearer(), ['image']);
		expectCleanHeaders('edit download', imageHost.server.requests);
	});
});

describe('API requests never follow redirects (custom headers would go along)', () => {
	for (const [auth, credentialsFor] of AUTHS) {
		test(`${auth}: a redirect to another origin is reported with the Base URL to use; nothing reaches it`, async () => {
			const apiPath = auth === 'azure' ? '/openai/deployments/flux-dev/images/generations' : '/v1/images/generations';
			const arm = () => api.server.respondNext({ status: 307, redirect: `${imageHost.server.url}${apiPath}?secret=${API_KEY}`, times: 2 });
			const expectedBase = auth === 'azure' ? imageHost.server.url : `${imageHost.server.url}/v1`;
			const message = new RegExp(`^The server redirected the request to ${imageHost.server.url}${apiPath} \\(HTTP 307\\)$`);
			const { output } = await expectSafe('cross-origin redirect', generate(), prompts('a', 'b'), credentialsFor(), [message, message], arm);
			expect(output[0].json.description).toContain(`set the Base URL in the credential to ${expectedBase}.`);
			expect(output[0].json.httpCode).toBe('307');
			expect(imageHost.server.requests).toHaveLength(0);
			tally.faultCases++;
		});
	}

	test('a redirect on the same origin is reported too, and not followed', async () => {
		const arm = () => api.server.respondNext({ status: 301, redirect: '/v2/images/generations' });
		await expectSafe('same-origin redirect', generate(), prompts('a'), bearer(), [/^The server redirected the request to http:\/\/127\.0\.0\.1:\d+\/v2\/images\/generations \(HTTP 301\)$/], arm);
		expect(api.server.requests.map((request) => request.path)).toEqual(['/v1/images/generations']);
		tally.faultCases++;
	});

	test('the credential test does not follow a redirect either', async () => {
		api.server.respondNext({ only: 'models', status: 302, redirect: `${imageHost.server.url}/v1/models` });
		const outcome = await runCredentialTestRequest(bearer());
		expect(outcome).toMatchObject({ ok: false, status: 302 });
		expect(imageHost.server.requests).toHaveLength(0);
		expectNoSecrets(SECRETS, 'credential test redirect', outcome);
	});

	test('the model list does not follow a redirect either', async () => {
		api.server.respondNext({ only: 'models', status: 302, redirect: `${imageHost.server.url}/v1/models`, times: 2 });
		const list = await searchModels(bearer());
		expect(list.results[0].description).toMatch(/redirected the request to http:\/\/127\.0\.0\.1:\d+\/v1\/models/);
		expect(imageHost.server.requests).toHaveLength(0);
	});
});

describe('Only http(s) image URLs are fetched; data: URLs are decoded', () => {
	const refused: Array<[string, RegExp]> = [
		['file:///etc/passwd', / \(scheme file:\)/],
		['FILE:///etc/passwd', / \(scheme file:\)/],
		['file:C:/Windows/win.ini', / \(scheme file:\)/],
		['ftp://127.0.0.1/x.png', / \(scheme ftp:\)/],
		['javascript:alert(document.cookie)', / \(scheme javascript:\)/],
		['gopher://127.0.0.1:70/_x', / \(scheme gopher:\)/],
		['ws://127.0.0.1/x.png', / \(scheme ws:\)/],
		['about:blank', / \(scheme about:\)/],
		['blob:http://127.0.0.1/x', / \(scheme blob:\)/],
		['/files/relative.png', /, not a full URL/],
		['//127.0.0.1/protocol-relative.png', /, not a full URL/],
		['not a url at all', /, not a full URL/],
	];
	test.each(refused)('%s is refused with a clear error; nothing is fetched', async (url, scheme) => {
		const arm = () => api.server.respondNext({ when: (request) => request.body?.prompt === 'bad', json: { data: [{ url }] } });
		const message = new RegExp(`^The provider returned an image URL the node will not fetch${scheme.source}`);
		const { output } = await expectSafe(url, generate(), prompts('good', 'bad'), bearer(), ['image', message], arm);
		expect(output[1].json.description).toBe('Only http and https image URLs are downloaded, and data: URLs decoded.');
		expect(api.server.requests.every((request) => request.kind === 'generate')).toBe(true);
		expect(imageHost.server.requests).toHaveLength(0);
		tally.faultCases++;
	});

	test.each([
		['data: URL', `data:image/png;base64,${png.toString('base64')}`],
		['upper-case DATA: URL', `DATA:IMAGE/PNG;BASE64,${png.toString('base64')}`],
		['data: URL with a misleading type', `data:text/html;base64,${png.toString('base64')}`],
	])('a %s is decoded, not fetched', async (_name, url) => {
		api.server.respondNext({ json: { data: [{ url }] } });
		const { output } = await expectSafe('data url', generate(), prompts('a'), bearer(), ['image']);
		expect(output[0].binary?.data).toMatchObject({ mimeType: 'image/png', fileExtension: 'png' });
		expect(api.server.requests.map((request) => request.kind)).toEqual(['generate']);
	});
});

describe('A response cannot steer where n8n stores a file or what it is called', () => {
	function filesUnder(dir: string): string[] {
		return fs.readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
			const full = path.join(dir, entry.name);
			return entry.isDirectory() ? filesUnder(full) : [full];
		});
	}

	/** Names without any path, the stored file inside the storage folder, nothing written elsewhere. */
	async function expectContained(output: INodeExecutionData[], before: string[]) {
		const service = await binaryDataService();
		for (const item of output) {
			for (const binary of Object.values(item.binary ?? {})) {
				expect(binary.fileName).toMatch(/^[a-z0-9-]+-\d+\.(png|jpg|webp|gif)$/);
				expect(binary.fileName).not.toMatch(/\.\.|[/\\]/);
				expect(binary.fileExtension).toMatch(/^(png|jpg|webp|gif)$/);
				expect(binary.mimeType).toMatch(/^image\/(png|jpeg|webp|gif)$/);
				expect(binary.id).toMatch(/^filesystem-v2:/);
				const stored = path.resolve(service.getPath(binary.id as string));
				expect(stored.startsWith(`${storage}${path.sep}`)).toBe(true);
				expect(fs.existsSync(stored)).toBe(true);
				tally.securityAssertions++;
			}
			if (item.json.fileName !== undefined) expect(item.json.fileName).not.toMatch(/[/\\]/);
		}
		// Every new file is inside the storage folder.
		const after = filesUnder(sandbox).filter((file) => !before.includes(file));
		expect(after.length).toBeGreaterThan(0);
		for (const file of after) expect(file.startsWith(`${storage}${path.sep}`)).toBe(true);
	}

	const hostile = [
		'../../etc/passwd',
		'..\\..\\x',
		'/etc/passwd',
		'C:\\Windows\\System32\\drivers\\etc\\hosts',
		'....//....//x',
		'%2e%2e%2f%2e%2e%2fx',
		'a\u0000b/../c',
		'..',
		'~/.ssh/id_rsa',
		'<script>alert(1)</script>',
		'ﾃｽﾄ/../../ü',
	];

	test('hostile prompts give plain file names, stored inside the storage folder', async () => {
		const before = filesUnder(sandbox);
		const { output } = await expectSafe('hostile prompts', generate(), prompts(...hostile), bearer(), hostile.map(() => 'image' as const));
		expect(output.map((item) => item.binary?.data.fileName)).toEqual([
			'etc-passwd-1.png', 'x-1.png', 'etc-passwd-1.png', 'c-windows-system32-drivers-etc-hosts-1.png', 'x-1.png',
			'2e-2e-2f-2e-2e-2fx-1.png', 'a-b-c-1.png', 'image-1.png', 'ssh-id-rsa-1.png', 'script-alert-1-script-1.png', 'u-1.png',
		]);
		await expectContained(output, before);
		tally.faultCases++;
	});

	test.each([
		['a URL path with ../ segments', '/files/../../x.png', '/x.png'],
		['a URL path with encoded ../', '/files/..%2F..%2Fx.png', '/files/..%2F..%2Fx.png'],
		['a URL path with a backslash', '/files/..\\..\\y.png', '/y.png'],
	])('%s: the image is named after the prompt', async (_name, urlPath, servedAt) => {
		imageHost.server.serve(servedAt, png);
		api.server.respondNext({ json: { created: 1, output_format: '../../evil', data: [{ url: `${imageHost.server.url}${urlPath}` }] } });
		const before = filesUnder(sandbox);
		const { output } = await expectSafe('url path', generate(), prompts('Safe name'), bearer(), ['image']);
		expect(output[0].binary?.data).toMatchObject({ fileName: 'safe-name-1.png', fileExtension: 'png', mimeType: 'image/png' });
		expect(imageHost.server.requests.map((request) => request.path)).toEqual([servedAt]);
		await expectContained(output, before);
	});

	test('all images in one item, and a binary property name with path characters, stay in storage too', async () => {
		const before = filesUnder(sandbox);
		const { output } = await expectSafe(
			'combined',
			{ ...generate({ combineImages: true, binaryPropertyOutput: '../../out' }), n: 3 },
			prompts('../three'),
			bearer(),
			['image'],
		);
		expect(Object.keys(output[0].binary ?? {})).toEqual(['../../out', '../../out_1', '../../out_2']);
		for (const binary of Object.values(output[0].binary ?? {})) expect(binary.fileName).toMatch(/^three-[123]\.png$/);
		await expectContained([{ json: {}, binary: output[0].binary }], before);
	});

	test('Edit: an input file name with a path is uploaded under its plain name', async () => {
		const image = encodePng(renderPromptImage('in', 16, 16));
		const items = await prepareItems([
			{ binary: { data: { data: image, fileName: '../../etc/passwd.png', mimeType: 'image/png' } } },
			{ binary: { data: { data: image, fileName: '..\\..\\windows\\win.png', mimeType: 'image/png' } } },
		]);
		await expectSafe('edit upload names', { operation: 'edit', model: model('gpt-image-1'), prompt: 'Edit', options: { maxRetries: 0, allowPrivateImageHosts: true } }, items, bearer(), ['image', 'image']);
		const names = api.server.imageRequests().map((request) => request.parts?.find((part) => part.name === 'image')?.filename);
		// n8n keeps the base name of the first; the node makes a plain name of the second.
		expect(names.sort()).toEqual(['passwd.png', 'windows-win.png']);
	});
});
