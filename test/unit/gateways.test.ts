/**
 * The node behind a gateway (Portkey, LiteLLM, new-api, OpenRouter, Cloudflare AI Gateway), on
 * loopback: the loopback server answers with the envelopes Portkey's gateway really sends (taken
 * from @portkey-ai/gateway 1.15.2; portkey-gateway.test.ts runs the real gateway). Each case
 * checks the exact text the user reads: routing header values shown as sent, credentials
 * redacted, the provider's answer untouched, images in `content_blocks`, a partial answer kept,
 * and gateway errors that name the failing hop without raw HTML.
 */
import type { NodeExecutionHint } from 'n8n-workflow';

import { secretsOf, secretsOfHeader } from '../../credentials/OpenAiCompatibleImagesApi.credentials';
import { binaryBytes } from '../harness/n8n';
import { useImageServer } from '../harness/fixture';
import { encodeImage, renderPromptImage } from '../server/images';

const API_KEY = 'sk-gateway-test-key-123';
const PORTKEY_KEY = 'pk-live-7Hq2Lm9Xv4Rt8Wz1';
const api = useImageServer({ apiKey: API_KEY, imageSize: { width: 8, height: 8 } });
const { model } = api;
const png = encodeImage('png', renderPromptImage('gateway', 8, 8));

/** A credential routed the way Portkey's users route it: through Custom Headers. */
const portkey = (headers: Record<string, string> = {}) => ({
	authentication: 'bearer',
	baseUrl: api.server.baseUrl,
	apiKey: API_KEY,
	customHeaders: {
		header: Object.entries({ 'x-portkey-provider': 'openai', 'x-portkey-api-key': PORTKEY_KEY, ...headers }).map(([name, value]) => ({ name, value })),
	},
});
const generate = (id: string, extra: Record<string, unknown> = {}, headers: Record<string, string> = {}, hints?: NodeExecutionHint[]) =>
	api.run(
		{ operation: 'generate', model: model(id), prompt: 'An openai logo made of fruit', options: { maxRetries: 0 }, ...extra },
		{ credentials: portkey(headers) as never, continueOnFail: true, hints },
	);
const failed = async (...args: Parameters<typeof generate>) => {
	const [item] = await generate(...args);
	return item.json as { error: string; description: string; httpCode?: string };
};

describe('The redaction rule (secretsOfHeader): real gateway headers', () => {
	// [header, value, what must never be shown ([] = a routing value, shown as sent)]
	const table: Array<[string, string, string[]]> = [
		['x-portkey-provider', 'openai', []],
		['x-portkey-custom-host', 'http://127.0.0.1:8080/v1', []],
		['x-portkey-strict-open-ai-compliance', 'false', []],
		['x-portkey-config', 'pc-images-prod', []],
		['x-portkey-metadata', '{"_user":"jane","team":"marketing"}', []],
		['x-portkey-trace-id', 'n8n-run-42', []],
		['x-portkey-azure-resource-name', 'my-resource-eastus2', []],
		['x-portkey-azure-deployment-id', 'dalle3-eastus', []],
		['x-portkey-azure-api-version', '2025-04-01-preview', []],
		['x-portkey-vertex-region', 'us-central1', []],
		['x-portkey-vertex-project-id', 'my-project-123456', []],
		['HTTP-Referer', 'https://n8n.example.com/workflow/42', []],
		['X-Title', 'n8n image workflow', []],
		['X-Group', 'default-group', []],
		['New-Api-User', '1', []],
		['cf-aig-cache-ttl', '3600', []],
		['cf-aig-metadata', '{"workflow":"images"}', []],
		['x-portkey-api-key', PORTKEY_KEY, [PORTKEY_KEY, '7Hq2Lm9Xv4Rt8Wz1']],
		['x-portkey-virtual-key', 'openai-prod-vk', ['openai-prod-vk']],
		['x-portkey-config', '{"provider":"azure-openai","api_key":"az-secret-value"}', ['{"provider":"azure-openai","api_key":"az-secret-value"}', 'az-secret-value']],
		['x-portkey-vertex-service-account-json', '{"type":"service_account","private_key":"-----BEGIN KEY-----"}', ['{"type":"service_account","private_key":"-----BEGIN KEY-----"}', '-----BEGIN KEY-----']],
		['x-portkey-aws-secret-access-key', 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY', ['wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY']],
		['x-portkey-aws-session-token', 'short-token', ['short-token']],
		['api-key', '0123456789abcdef0123456789abcdef', ['0123456789abcdef0123456789abcdef', '0123456789abcdef0123456789abcdef']],
		['cf-aig-authorization', 'Bearer cf-Ab12Cd34Ef56Gh78', ['Bearer cf-Ab12Cd34Ef56Gh78', 'Ab12Cd34Ef56Gh78', 'cf-Ab12Cd34Ef56Gh78']],
		['x-litellm-api-key', 'sk-1234', ['sk-1234']],
		['Helicone-Auth', 'Bearer sk-helicone-abc', ['Bearer sk-helicone-abc', 'sk-helicone-abc']],
		['x-goog-api-key', 'AIzaSyA1b2C3d4E5f6G7h8', ['AIzaSyA1b2C3d4E5f6G7h8', 'AIzaSyA1b2C3d4E5f6G7h8']],
		['Ocp-Apim-Subscription-Key', 'f00dfeed', ['f00dfeed']],
		['OpenAI-Organization', 'org-AbCdEf1234567890XyZ', ['org-AbCdEf1234567890XyZ', 'AbCdEf1234567890XyZ']],
		['OpenAI-Project', 'proj_Ab12Cd34Ef56Gh78Ij', ['proj_Ab12Cd34Ef56Gh78Ij', 'Ab12Cd34Ef56Gh78Ij']],
		['X-Signature', 'sha256=deadbeef', ['sha256=deadbeef']],
		['Cookie', 'session=abc', ['session=abc']],
		['X-Forwarded-Tenant', 'tenant-9f8e7d6c5b4a3f2e1d', ['tenant-9f8e7d6c5b4a3f2e1d', '9f8e7d6c5b4a3f2e1d']],
	];
	test.each(table)('%s: %s', (name, value, secrets) => expect(secretsOfHeader(name, value)).toEqual(secrets));

	test('the API key is always a secret, short routing values never are; longest first', () => {
		const credentials = portkey({ 'x-portkey-provider': 'openai', 'X-Title': 'n8n' });
		expect(secretsOf(credentials)).toEqual([PORTKEY_KEY, API_KEY, '7Hq2Lm9Xv4Rt8Wz1']);
	});
});

describe('Routing values are shown as sent; credentials are redacted; the provider’s answer is untouched', () => {
	test('Portkey passing on an OpenAI error: the provider name stays, the Portkey key is redacted, the hop is named', async () => {
		api.server.respondNext({
			status: 400,
			json: { error: { message: `openai error: Invalid size 5x5 (key ${PORTKEY_KEY})`, type: 'invalid_request_error', param: 'size', code: null }, provider: 'openai' },
		});
		const error = await failed('dall-e-3');
		expect(error.error).toBe('openai error: Invalid size 5x5 (key [redacted]) (HTTP 400)');
		expect(error.description).toBe('The gateway answered and passed on this error from the provider behind it (openai). The provider rejected the parameter "size".');
	});

	test('an Azure deployment name from a routing header stays in the error', async () => {
		api.server.respondNext({ status: 404, json: { error: { message: 'azure-openai error: The API deployment dalle3-eastus does not exist', code: 'DeploymentNotFound' }, provider: 'azure-openai' } });
		const error = await failed('dall-e-3', {}, { 'x-portkey-provider': 'azure-openai', 'x-portkey-azure-deployment-id': 'dalle3-eastus' });
		expect(error.error).toBe('azure-openai error: The API deployment dalle3-eastus does not exist (HTTP 404)');
		expect(error.description).toMatch(/^The gateway answered and passed on this error from the provider behind it \(azure-openai\)\. Not found: /);
	});

	test('DALL·E 3’s revised_prompt naming the provider is output as the provider wrote it', async () => {
		api.server.respondNext({ json: { created: 1, data: [{ b64_json: png.toString('base64'), revised_prompt: 'An openai logo made of fruit, in a bowl' }] } });
		const [item] = await generate('dall-e-3');
		expect(item.json.revised_prompt).toBe('An openai logo made of fruit, in a bowl');
		expect(await binaryBytes(item)).toEqual(png);
	});
});

describe('Portkey’s Gemini route: images in message.content_blocks', () => {
	test('the image in content_blocks is stored; the text is kept once', async () => {
		const dataUrl = `data:image/png;base64,${png.toString('base64')}`;
		api.server.respondNext({
			json: {
				id: 'portkey-1',
				object: 'chat.completion',
				created: 1,
				provider: 'google',
				choices: [
					{
						index: 0,
						finish_reason: 'STOP',
						message: {
							role: 'assistant',
							content: 'Here is your image',
							content_blocks: [{ type: 'text', text: 'Here is your image' }, { type: 'image_url', image_url: { url: dataUrl } }],
						},
					},
				],
				usage: { prompt_tokens: 3, completion_tokens: 1290, total_tokens: 1293 },
			},
		});
		const [item] = await generate('gemini-2.5-flash-image', {}, { 'x-portkey-provider': 'google', 'x-portkey-strict-open-ai-compliance': 'false' });
		expect(item.json.error).toBeUndefined();
		expect(item.json.text).toBe('Here is your image');
		expect(await binaryBytes(item)).toEqual(png);
	});
});

describe('A partial answer keeps the images that came', () => {
	test.each([
		['Vertex Imagen: an empty entry', [{}, { b64_json: png.toString('base64') }]],
		['Stability: a null b64_json', [{ b64_json: png.toString('base64') }, { b64_json: null }]],
		['a null entry', [null, { b64_json: png.toString('base64') }]],
	])('%s: one image of two, imagesRequested/imagesReturned and the warning', async (_name, data) => {
		api.server.respondNext({ json: { created: 1, data, provider: 'vertex-ai' } });
		const hints: NodeExecutionHint[] = [];
		const output = await generate('imagen-3.0-generate-002', { n: 2 }, { 'x-portkey-provider': 'vertex-ai' }, hints);
		expect(output).toHaveLength(1);
		expect(output[0].json).toMatchObject({ imagesRequested: 2, imagesReturned: 1, index: 0 });
		expect(await binaryBytes(output[0])).toEqual(png);
		expect(hints.map((hint) => hint.message)).toEqual([
			'The provider returned fewer images than asked for (item 1: 1 of 2). Some providers and gateways ignore Number of Images or drop images by moderation; the items show imagesRequested and imagesReturned.',
		]);
	});

	test('all entries empty: an error that says so', async () => {
		api.server.respondNext({ json: { created: 1, data: [{}, {}] } });
		const error = await failed('imagen-3.0-generate-002', { n: 2 });
		expect(error.error).toBe('The provider returned no image: all 2 entries have neither b64_json nor url');
	});
});

describe('Gateway error envelopes: the gateway’s message, the failing hop, never raw HTML', () => {
	test('Portkey could not reach the provider (html-message, fetch failed): not n8n’s generic "refused the connection"', async () => {
		api.server.respondNext({ status: 500, json: { 'html-message': 'Message: fetch failed Cause: Error: connect ECONNREFUSED 127.0.0.1:9 Name: TypeError' } });
		const error = await failed('dall-e-3');
		expect(error.error).toBe('The gateway could not reach the provider behind it: fetch failed (connect ECONNREFUSED 127.0.0.1:9) (HTTP 500)');
		expect(error.description).toBe(
			"The gateway answered, but the provider behind it did not: check the gateway's route to the provider (Portkey: x-portkey-provider and x-portkey-custom-host, or its config) and that the provider is up. The node reached the gateway at the Base URL. The provider or gateway failed. This is usually temporary; try again later.",
		);
	});

	test('an nginx page passed on inside html-message: its title, no HTML', async () => {
		api.server.respondNext({
			status: 502,
			json: { 'html-message': '<html><head><title>502 Bad Gateway</title></head><body><center><h1>502 Bad Gateway</h1></center><hr><center>nginx</center></body></html>' },
		});
		const error = await failed('dall-e-3');
		expect(error.error).toBe('HTML error page: 502 Bad Gateway (HTTP 502)');
		expect(error.description).toBe('The gateway answered and passed on this error from the provider behind it. The provider or gateway failed. This is usually temporary; try again later.');
	});

	test('an HTML page wrapped in a translated provider’s error (Stability): decoded, no HTML', async () => {
		const inner = JSON.stringify({ 'html-message': '<html><head><title>502 Bad Gateway</title></head><body>nginx</body></html>' });
		api.server.respondNext({ status: 502, json: { error: { message: `Invalid response received from stability-ai: ${inner}`, type: null, param: null, code: null }, provider: 'stability-ai' } });
		const error = await failed('stable-diffusion-xl-1024-v1-0');
		expect(error.error).toBe('Invalid response received from stability-ai: HTML error page: 502 Bad Gateway (HTTP 502)');
		expect(error.description).toMatch(/^The gateway answered and passed on this error from the provider behind it \(stability-ai\)\. /);
		expect(JSON.stringify(error)).not.toMatch(/<html|nginx/);
	});

	test('Portkey refusing an unknown provider (HTTP 400): the gateway’s message and the fix, no blame on a provider', async () => {
		api.server.respondNext({ status: 400, json: { status: 'failure', message: 'Invalid provider passed' } });
		const error = await failed('dall-e-3', {}, { 'x-portkey-provider': 'opneai' });
		expect(error.error).toBe('Invalid provider passed (HTTP 400)');
		expect(error.description).toBe(
			"The gateway itself refused the request, before any provider: check its routing headers under the credential's Custom Headers (Portkey: x-portkey-provider, x-portkey-config, x-portkey-custom-host).",
		);
	});

	test('Portkey’s own refusal ({status: "failure"}): the gateway’s message, the gateway named as the hop', async () => {
		api.server.respondNext({ status: 500, json: { status: 'failure', message: 'imageGenerate is not supported by groq' } });
		const error = await failed('dall-e-3', {}, { 'x-portkey-provider': 'groq' });
		expect(error.error).toBe('imageGenerate is not supported by groq (HTTP 500)');
		expect(error.description).toBe(
			"The gateway itself refused the request, before any provider: check its routing headers under the credential's Custom Headers (Portkey: x-portkey-provider, x-portkey-config, x-portkey-custom-host). The provider or gateway failed. This is usually temporary; try again later.",
		);
	});
});
