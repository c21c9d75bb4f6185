/**
 * The node through Portkey's real AI gateway (@portkey-ai/gateway, pinned in package.json),
 * started by this suite on 127.0.0.1 (test/server/portkey.js), in front of loopback imitations of
 * the providers (test/server/image-server.js speaks OpenAI, Azure OpenAI and the native APIs the
 * gateway translates to: Stability v1, Vertex AI Imagen, Gemini). The node runs in n8n-core's real
 * execution context (test/harness), routed the way users route Portkey: the credential's Base URL
 * is the gateway, its Custom Headers name the provider and (always) the custom host. Nothing
 * leaves loopback: the gateway process can connect nowhere else (test/server/loopback-only.js).
 */
import { spawn } from 'node:child_process';
import net from 'node:net';

import type { NodeExecutionHint } from 'n8n-workflow';

import { binaryBytes, runNode } from '../harness/n8n';
import { startImageServer } from '../server/image-server';
import { startPortkey } from '../server/portkey';

type Server = Awaited<ReturnType<typeof startImageServer>>;

const API_KEY = 'sk-upstream-key-4f3e2d1c0b9a8';
let gateway: Awaited<ReturnType<typeof startPortkey>>;
let upstream: Server;
/** A service beside the gateway on the same host, which no image URL may reach. */
let beside: Server;

beforeAll(async () => {
	[gateway, upstream, beside] = await Promise.all([
		startPortkey(),
		startImageServer({ apiKey: API_KEY, imageSize: { width: 8, height: 8 } }),
		startImageServer({ imageSize: { width: 8, height: 8 } }),
	]);
});
afterAll(async () => await Promise.all([gateway?.close(), upstream?.close(), beside?.close()]));
beforeEach(() => {
	upstream.reset();
	beside.reset();
});

/** A credential for the gateway: its Base URL, the provider's key, and Portkey's routing headers. */
function through(headers: Record<string, string>, baseUrl = `${gateway.url}/v1`) {
	return {
		authentication: 'bearer',
		baseUrl,
		apiKey: API_KEY,
		customHeaders: { header: Object.entries(headers).map(([name, value]) => ({ name, value })) },
	};
}
const openai = () => ({ 'x-portkey-provider': 'openai', 'x-portkey-custom-host': upstream.baseUrl });
const model = (id: string) => ({ __rl: true, mode: 'id', value: id });

async function run(id: string, headers: Record<string, string>, extra: Record<string, unknown> = {}, options: Record<string, unknown> = {}, baseUrl?: string) {
	const hints: NodeExecutionHint[] = [];
	const output = await runNode({
		parameters: { operation: 'generate', model: model(id), prompt: 'An openai logo made of fruit', options: { maxRetries: 0, ...options }, ...extra } as never,
		credentials: through(headers, baseUrl) as never,
		continueOnFail: true,
		hints,
	});
	return { output, hints, json: output[0].json as Record<string, unknown> & { error?: string; description?: string } };
}
/** The picture the upstream drew for the last request's `index`th image. */
const drawn = (index = 0) => upstream.imageRequests().at(-1)?.images?.[index]?.bytes;

async function closedPort(): Promise<number> {
	const probe = net.createServer();
	await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
	const { port } = probe.address() as net.AddressInfo;
	await new Promise((resolve) => probe.close(resolve));
	return port;
}

describe('The gateway process stays on loopback', () => {
	test('it listens on 127.0.0.1 only, and its connections anywhere else fail before any lookup', async () => {
		// Bound to 127.0.0.1 alone: another loopback address of the same port finds nothing (it would, bound to all).
		const other = await new Promise<string>((resolve) => {
			const socket = net.connect(gateway.port, '127.0.0.2');
			socket.once('connect', () => resolve((socket.destroy(), 'connected')));
			socket.once('error', (error: NodeJS.ErrnoException) => resolve(error.code ?? ''));
		});
		expect(other).toBe('ECONNREFUSED');
		// The same preload, in a bare process: a TEST-NET address (never routed) and a public name.
		const script = "const net = require('node:net'); const tries = [['203.0.113.1', 443], ['api.openai.com', 443]].map(([host, port]) => new Promise((resolve) => net.connect(port, host).on('error', (error) => resolve(error.message)))); Promise.all(tries).then((messages) => process.send(messages, () => process.exit(0)));";
		const child = spawn(process.execPath, ['--require', require.resolve('../server/loopback-only'), '-e', script], { stdio: ['ignore', 'ignore', 'ignore', 'ipc'] });
		const messages = await new Promise((resolve) => child.once('message', resolve));
		expect(messages).toEqual(['connect ECONNREFUSED 203.0.113.1 (loopback-only test guard)', 'connect ECONNREFUSED api.openai.com (loopback-only test guard)']);
	});
});

describe('Routes through the gateway', () => {
	test('OpenAI: DALL·E 3 with its revised_prompt, which names the provider and is output as written', async () => {
		const { output, json } = await run('dall-e-3', openai());
		expect(json.error).toBeUndefined();
		expect(json.revised_prompt).toBe('An openai logo made of fruit (revised)');
		expect(await binaryBytes(output[0])).toEqual(drawn());
		expect(upstream.imageRequests()[0].headers.authorization).toBe(`Bearer ${API_KEY}`);
	});

	test('OpenAI GPT image fields: the images route drops output_format and background; /v1/proxy passes them through', async () => {
		const fields = { output_format: 'webp', background: 'transparent' };
		await run('gpt-image-1', openai(), {}, fields);
		const dropped = upstream.imageRequests()[0].body;
		await run('gpt-image-1', openai(), {}, fields, `${gateway.url}/v1/proxy`);
		const passed = upstream.imageRequests()[1].body;
		expect(dropped).not.toHaveProperty('output_format');
		expect(passed).toMatchObject({ output_format: 'webp', background: 'transparent' });
	});

	test('Azure OpenAI: the deployment path, api-version and api-key header reach the upstream', async () => {
		const { output, json } = await run('dall-e-3', {
			'x-portkey-provider': 'azure-openai',
			'x-portkey-custom-host': `${upstream.url}/openai`,
			'x-portkey-azure-resource-name': 'my-resource-eastus2',
			'x-portkey-azure-deployment-id': 'dalle3-eastus',
			'x-portkey-azure-api-version': '2025-04-01-preview',
		});
		expect(json.error).toBeUndefined();
		expect(await binaryBytes(output[0])).toEqual(drawn());
		const [request] = upstream.imageRequests();
		expect(request.path).toBe('/openai/deployments/dalle3-eastus/images/generations');
		expect(request.query['api-version']).toBe('2025-04-01-preview');
		expect(request.headers['api-key']).toBe(API_KEY);
	});

	test('Azure OpenAI error naming the deployment: shown as the provider wrote it, with the hop', async () => {
		upstream.respondNext({ status: 404, json: { error: { code: 'DeploymentNotFound', message: 'The API deployment dalle3-eastus does not exist.' } } });
		const { json } = await run('dall-e-3', {
			'x-portkey-provider': 'azure-openai',
			'x-portkey-custom-host': `${upstream.url}/openai`,
			'x-portkey-azure-resource-name': 'my-resource-eastus2',
			'x-portkey-azure-deployment-id': 'dalle3-eastus',
			'x-portkey-azure-api-version': '2025-04-01-preview',
		});
		expect(json.error).toBe('azure-openai error: The API deployment dalle3-eastus does not exist. (HTTP 404)');
		expect(json.description).toMatch(/^The gateway answered and passed on this error from the provider behind it \(azure-openai\)\. Not found: /);
	});

	test('Stability (translated): text_prompts and samples go up, artifacts come back as two images', async () => {
		const { output } = await run('stable-diffusion-xl-1024-v1-0', { 'x-portkey-provider': 'stability-ai', 'x-portkey-custom-host': upstream.url }, { n: 2 });
		const [request] = upstream.imageRequests();
		expect(request.path).toBe('/v1/generation/stable-diffusion-xl-1024-v1-0/text-to-image');
		expect(request.body).toMatchObject({ text_prompts: [{ text: 'An openai logo made of fruit' }], samples: 2 });
		expect(output).toHaveLength(2);
		expect(await binaryBytes(output[1])).toEqual(drawn(1));
	});

	test('Vertex AI Imagen (translated), one of two images blocked by safety: the other is output, with the counts and the warning', async () => {
		upstream.respondNext({ blocked: 1 });
		const { output, hints } = await run('imagen-3.0-generate-002', {
			'x-portkey-provider': 'vertex-ai',
			'x-portkey-custom-host': upstream.url,
			'x-portkey-vertex-project-id': 'my-project-123456',
			'x-portkey-vertex-region': 'us-central1',
		}, { n: 2 });
		expect(upstream.imageRequests()[0].path).toBe('/v1/projects/my-project-123456/locations/us-central1/publishers/google/models/imagen-3.0-generate-002:predict');
		expect(output).toHaveLength(1);
		expect(output[0].json).toMatchObject({ imagesRequested: 2, imagesReturned: 1 });
		expect(await binaryBytes(output[0])).toEqual(drawn(1));
		expect(hints.map((hint) => hint.message)).toEqual([
			'The provider returned fewer images than asked for (item 1: 1 of 2). Some providers and gateways ignore Number of Images or drop images by moderation; the items show imagesRequested and imagesReturned.',
		]);
	});

	test('Gemini through chat completions (translated): the image in content_blocks is output with the text', async () => {
		const { output, json } = await run('gemini-2.5-flash-image', {
			'x-portkey-provider': 'google',
			'x-portkey-custom-host': upstream.url,
			'x-portkey-strict-open-ai-compliance': 'false',
		});
		expect(json.error).toBeUndefined();
		expect(upstream.imageRequests()[0].path).toBe('/v1beta/models/gemini-2.5-flash-image:generateContent');
		expect(json.text).toBe('Here is your image.');
		expect(await binaryBytes(output[0])).toEqual(drawn());
	});

	test('Gemini without x-portkey-strict-open-ai-compliance: false: the gateway drops the image, and the error says which header brings it back', async () => {
		const { json } = await run('gemini-2.5-flash-image', { 'x-portkey-provider': 'google', 'x-portkey-custom-host': upstream.url });
		expect(json.error).toBe('The model returned no image, only text: "Here is your image."');
		expect(json.description).toMatch(/ Portkey keeps images out of its OpenAI-compliant answer: add the Custom Header x-portkey-strict-open-ai-compliance: false\.$/);
	});
});

describe('Failures through the gateway: the message users read', () => {
	test('the provider’s error passed on: the provider name (a routing header value) is shown, not redacted', async () => {
		upstream.respondNext({ status: 400, json: { error: { message: 'Invalid size 5x5', type: 'invalid_request_error', param: 'size' } } });
		const { json } = await run('dall-e-3', openai());
		expect(json.error).toBe('openai error: Invalid size 5x5 (HTTP 400)');
		expect(json.description).toBe('The gateway answered and passed on this error from the provider behind it (openai). The provider rejected the parameter "size".');
	});

	test('the provider is down: the gateway’s own words and the hop, not n8n’s "refused the connection"', async () => {
		const port = await closedPort();
		const { json } = await run('dall-e-3', { 'x-portkey-provider': 'openai', 'x-portkey-custom-host': `http://127.0.0.1:${port}/v1` });
		expect(json.error).toBe(`The gateway could not reach the provider behind it: fetch failed (connect ECONNREFUSED 127.0.0.1:${port}) (HTTP 500)`);
		expect(json.description).toMatch(/^The gateway answered, but the provider behind it did not: /);
	});

	test('the provider’s proxy answers an nginx 502 page: its title, never the HTML', async () => {
		upstream.respondNext({ status: 502, html: '<html><head><title>502 Bad Gateway</title></head><body><center><h1>502 Bad Gateway</h1></center><hr><center>nginx</center></body></html>' });
		const { json } = await run('dall-e-3', openai());
		expect(json.error).toBe('HTML error page: 502 Bad Gateway (HTTP 502)');
		expect(JSON.stringify(json)).not.toMatch(/<html|<center/);
	});

	test('a translated provider’s HTML page (Stability): decoded out of the gateway’s wrapping', async () => {
		upstream.respondNext({ status: 502, html: '<html><head><title>502 Bad Gateway</title></head><body>nginx</body></html>' });
		const { json } = await run('stable-diffusion-xl-1024-v1-0', { 'x-portkey-provider': 'stability-ai', 'x-portkey-custom-host': upstream.url });
		expect(json.error).toBe('Invalid response received from stability-ai: HTML error page: 502 Bad Gateway (HTTP 502)');
		expect(JSON.stringify(json)).not.toMatch(/<html|nginx/);
	});

	test('the gateway refuses the route itself: its message, and the gateway named as the hop', async () => {
		const { json } = await run('dall-e-3', { 'x-portkey-provider': 'groq', 'x-portkey-custom-host': upstream.baseUrl });
		expect(json.error).toBe('imageGenerate is not supported by groq (HTTP 500)');
		expect(json.description).toMatch(/^The gateway itself refused the request, before any provider: /);
		expect(upstream.requests).toHaveLength(0);
	});
});

describe('A gateway on the n8n host: image URLs pointing beside it', () => {
	test('an image URL on another local port is refused, nothing is fetched or shown', async () => {
		const url = beside.serve('/admin/config', Buffer.from('{"service":"internal-admin","db_password":"hunter2"}'), 'application/json');
		upstream.respondNext({ json: { created: 1, data: [{ url }] } });
		const { json } = await run('dall-e-3', openai());
		expect(json.error).toBe(`The image URL points at a private address: 127.0.0.1:${beside.port}`);
		expect(beside.requests).toHaveLength(0);
		expect(JSON.stringify(json)).not.toContain('hunter2');
	});

	test('with Allow Private Image Hosts the provider’s hosted image downloads', async () => {
		const { output, json } = await run('dall-e-3', openai(), {}, { allowPrivateImageHosts: true, response_format: 'url' });
		expect(json.error).toBeUndefined();
		expect(await binaryBytes(output[0])).toEqual(drawn());
	});
});
