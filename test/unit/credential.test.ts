import { startImageServer } from '../server/image-server';
import { credentialType, runCredentialTestRequest, runNode, searchModels } from '../harness/n8n';
import { useImageServer } from '../harness/fixture';

const API_KEY = 'sk-credential-test-key';
const api = useImageServer({ apiKey: API_KEY, imageSize: { width: 8, height: 8 } });

const bearer = () => ({ authentication: 'bearer', baseUrl: `${api.server.baseUrl}//`, apiKey: API_KEY });

describe('credential authenticate', () => {
	test('bearer: Authorization header with the trimmed key, plus custom headers', async () => {
		const options = await credentialType.authenticate(
			{ authentication: 'bearer', baseUrl: api.server.baseUrl, apiKey: `  ${API_KEY}\n`, customHeaders: { header: [{ name: ' X-Group ', value: 'vip' }, { name: '', value: 'ignored' }] } },
			{ url: 'x', headers: { Accept: 'application/json' } },
		);
		expect(options.headers).toEqual({ Accept: 'application/json', Authorization: `Bearer ${API_KEY}`, 'X-Group': 'vip' });
		expect(options.qs).toEqual({});
	});

	test('azure: api-key header and api-version query, no Authorization', async () => {
		const options = await credentialType.authenticate(
			{ authentication: 'azure', baseUrl: api.server.url, apiKey: API_KEY, apiVersion: '2025-04-01-preview' },
			{ url: 'x' },
		);
		expect(options.headers).toEqual({ 'api-key': API_KEY });
		expect(options.qs).toEqual({ 'api-version': '2025-04-01-preview' });
	});

	test('azure: the model is the deployment in the path', async () => {
		await runNode({
			parameters: { operation: 'generate', model: { __rl: true, mode: 'id', value: 'my-dalle3' }, prompt: 'Azure' } as never,
			credentials: { authentication: 'azure', baseUrl: api.server.url, apiKey: API_KEY, apiVersion: '2024-10-21' },
		});
		const [request] = api.server.imageRequests();
		expect(request.path).toBe('/openai/deployments/my-dalle3/images/generations');
		expect(request.query).toEqual({ 'api-version': '2024-10-21' });
		expect(request.headers['api-key']).toBe(API_KEY);
		expect(request.headers.authorization).toBeUndefined();
	});
});

describe('credential test (GET {base}/models, run as n8n runs a declarative test)', () => {
	// n8n's credentials tester judges this outcome with the credential's rules; the messages it
	// shows are checked over n8n's REST API in test/e2e/suite.js on n8n 2.x and 1.x.
	const rule = (type: string, value: unknown) =>
		(credentialType.test.rules as Array<{ type: string; properties: { value?: unknown; key?: string; message: string } }>).find(
			(candidate) => candidate.type === type && candidate.properties.value === value,
		);

	test('a good key gets the model list, with the trimmed key', async () => {
		const outcome = await runCredentialTestRequest({ ...bearer(), apiKey: ` ${API_KEY} ` });
		expect(outcome.ok && (outcome.body as { data: unknown[] }).data.length).toBeGreaterThan(0);
		expect(api.server.requests.map((request) => [request.method, request.path, request.headers.authorization])).toEqual([
			['GET', '/v1/models', `Bearer ${API_KEY}`],
		]);
	});

	test('a pasted endpoint path and spaces around the Base URL are removed, as for requests', async () => {
		const outcome = await runCredentialTestRequest({ ...bearer(), baseUrl: `  ${api.server.baseUrl}/images/generations/ ` });
		expect(outcome.ok).toBe(true);
		expect(api.server.requests[0].path).toBe('/v1/models');
	});

	test('a bad key fails with HTTP 401, which has a rule naming the fix', async () => {
		const outcome = await runCredentialTestRequest({ ...bearer(), apiKey: 'wrong-key' });
		expect(outcome).toMatchObject({ ok: false, status: 401 });
		expect(rule('responseCode', 401)?.properties.message).toMatch(/rejected the API key \(HTTP 401\)\. Check the key/);
	});

	test('a 200 that is not a model list matches the body rule (a wrong Base URL)', async () => {
		api.server.respondNext({ status: 200, html: '<html><title>Welcome</title></html>' });
		const outcome = await runCredentialTestRequest(bearer());
		expect(outcome.ok).toBe(true);
		const bodyRule = rule('responseSuccessBody', undefined);
		expect(bodyRule?.properties.key).toBe('data');
		expect((outcome as { body: Record<string, unknown> }).body[bodyRule?.properties.key ?? '']).toBeUndefined();
		expect(bodyRule?.properties.message).toMatch(/not with a model list.*\/v1/);
	});

	test('a redirect is not followed: the key reaches no other server', async () => {
		api.server.respondNext({ redirect: 'http://127.0.0.1:9/v1/models' });
		const outcome = await runCredentialTestRequest(bearer());
		expect(outcome).toMatchObject({ ok: false, status: 302 });
		expect(api.server.requests).toHaveLength(1);
		expect(rule('responseCode', 302)?.properties.message).toMatch(/redirects.*Set the Base URL/);
	});

	test('a base URL without scheme is refused before any request, naming the field', async () => {
		const outcome = await runCredentialTestRequest({ ...bearer(), baseUrl: 'api.openai.com/v1' });
		expect(outcome).toMatchObject({ ok: false, message: expect.stringMatching(/^The Base URL "api\.openai\.com\/v1" must start with http:\/\/ or https:\/\//) });
		expect(api.server.requests).toHaveLength(0);
	});

	test('a key with a line break is refused before any request, without showing it', async () => {
		const outcome = await runCredentialTestRequest({ ...bearer(), apiKey: 'sk-abc\ndef' });
		expect(outcome).toMatchObject({ ok: false, message: expect.stringMatching(/^The API key contains .*line break/) });
		expect(JSON.stringify(outcome)).not.toContain('sk-abc');
		expect(api.server.requests).toHaveLength(0);
	});

	test('an unreachable server fails with the connection error code', async () => {
		const outcome = await runCredentialTestRequest({ ...bearer(), baseUrl: 'http://127.0.0.1:9/v1' });
		expect(outcome).toMatchObject({ ok: false, code: 'ECONNREFUSED' });
	});

	test('azure tests against {endpoint}/openai/models with api-version and the api-key header', async () => {
		const outcome = await runCredentialTestRequest({ authentication: 'azure', baseUrl: api.server.url, apiKey: API_KEY, apiVersion: '2024-10-21' });
		expect(outcome.ok).toBe(true);
		expect(api.server.requests[0].path).toBe('/openai/models');
		expect(api.server.requests[0].query).toEqual({ 'api-version': '2024-10-21' });
		expect(api.server.requests[0].headers['api-key']).toBe(API_KEY);
	});
});

describe('model list (From List)', () => {
	test('current image models first (the table\'s order), other image models, retired ones, then the rest', async () => {
		const { results } = await searchModels(bearer());
		expect(results.map((result) => result.value)).toEqual([
			'gpt-image-2', 'doubao-seedream-4-0-250828',
			'black-forest-labs/FLUX.1-schnell',
			'dall-e-2', 'dall-e-3', 'gpt-image-1', 'gpt-image-1-mini', 'gpt-image-1.5',
			'gpt-4o', 'text-embedding-3-small', 'whisper-1',
		]);
		const described = Object.fromEntries(results.map((result) => [result.value, result.description]));
		expect(described['gpt-image-2']).toBe('GPT Image 2 fields');
		expect(described['dall-e-3']).toBe('Retired by OpenAI on 2026-05-12: use gpt-image-2 (gateways may still serve it)');
		expect(described['gpt-4o']).toBeUndefined();
	});

	test('the search filters, case-insensitively', async () => {
		const { results } = await searchModels(bearer(), 'DALL');
		expect(results.map((result) => result.value)).toEqual(['dall-e-2', 'dall-e-3']);
	});

	test('hundreds of models are listed', async () => {
		const big = await startImageServer({ models: Array.from({ length: 600 }, (_, index) => `chat-model-${index}`).concat(['flux-pro']) });
		try {
			const { results } = await searchModels({ authentication: 'bearer', baseUrl: big.baseUrl, apiKey: 'k' });
			expect(results).toHaveLength(601);
			expect(results[0].value).toBe('flux-pro');
		} finally {
			await big.close();
		}
	});

	test('on Azure the base models are listed with the hint that requests need the deployment name', async () => {
		const { results } = await searchModels({ authentication: 'azure', baseUrl: api.server.url, apiKey: API_KEY, apiVersion: '2024-10-21' });
		expect(api.server.requests[0].path).toBe('/openai/models');
		expect(results.length).toBeGreaterThan(0);
		for (const result of results) expect(result.description).toMatch(/deployment name: enter it with By ID and choose its Model Family/);
	});

	test('when the server answers with an error, the well-known models remain, saying why', async () => {
		api.server.respondNext({ status: 500, json: { error: { message: 'models endpoint disabled' } }, times: 5 });
		const { results } = await searchModels(bearer());
		expect(results.map((result) => result.value)).toContain('gpt-image-2');
		expect(results.map((result) => result.value)).not.toContain('dall-e-3');
		expect(results[0].description).toMatch(/models endpoint disabled \(HTTP 500\).*By ID/);
	});
});
