import { startImageServer } from '../server/image-server';
import { credentialType, runNode, searchModels, testCredential } from '../harness/n8n';

type Server = Awaited<ReturnType<typeof startImageServer>>;

const API_KEY = 'sk-credential-test-key';
let server: Server;

beforeAll(async () => {
	server = await startImageServer({ apiKey: API_KEY, imageSize: { width: 8, height: 8 } });
});
afterAll(async () => await server.close());
beforeEach(() => server.reset());

const bearer = () => ({ authentication: 'bearer', baseUrl: `${server.baseUrl}//`, apiKey: API_KEY });

describe('credential authenticate', () => {
	test('bearer: Authorization header with the trimmed key, plus custom headers', async () => {
		const options = await credentialType.authenticate(
			{ authentication: 'bearer', apiKey: `  ${API_KEY}\n`, customHeaders: { header: [{ name: ' X-Group ', value: 'vip' }, { name: '', value: 'ignored' }] } },
			{ url: 'x', headers: { Accept: 'application/json' } },
		);
		expect(options.headers).toEqual({ Accept: 'application/json', Authorization: `Bearer ${API_KEY}`, 'X-Group': 'vip' });
		expect(options.qs).toEqual({});
	});

	test('azure: api-key header and api-version query, no Authorization', async () => {
		const options = await credentialType.authenticate(
			{ authentication: 'azure', apiKey: API_KEY, apiVersion: '2025-04-01-preview' },
			{ url: 'x' },
		);
		expect(options.headers).toEqual({ 'api-key': API_KEY });
		expect(options.qs).toEqual({ 'api-version': '2025-04-01-preview' });
	});

	test('azure: the model is the deployment in the path', async () => {
		await runNode({
			parameters: { operation: 'generate', model: { __rl: true, mode: 'id', value: 'my-dalle3' }, prompt: 'Azure' } as never,
			credentials: { authentication: 'azure', baseUrl: server.url, apiKey: API_KEY, apiVersion: '2024-10-21' },
		});
		const [request] = server.imageRequests();
		expect(request.path).toBe('/openai/deployments/my-dalle3/images/generations');
		expect(request.query).toEqual({ 'api-version': '2024-10-21' });
		expect(request.headers['api-key']).toBe(API_KEY);
		expect(request.headers.authorization).toBeUndefined();
	});
});

describe('credential test (GET {base}/models)', () => {
	test('a good key passes and says how many models there are', async () => {
		const result = await testCredential(bearer());
		expect(result).toEqual({ status: 'OK', message: expect.stringMatching(/^Connection successful: \d+ models available$/) });
		expect(server.requests[0].path).toBe('/v1/models');
		expect(server.requests[0].headers.authorization).toBe(`Bearer ${API_KEY}`);
	});

	test('a bad key shows the server message and status', async () => {
		const result = await testCredential({ ...bearer(), apiKey: 'wrong-key' });
		expect(result).toEqual({ status: 'Error', message: 'Incorrect API key provided. (HTTP 401)' });
	});

	test('an HTML page instead of the API is reported', async () => {
		server.respondNext({ status: 502, html: '<html><title>502 Bad Gateway</title></html>' });
		expect(await testCredential(bearer())).toEqual({ status: 'Error', message: 'HTML error page: 502 Bad Gateway (HTTP 502)' });
	});

	test('a 200 that is not a model list means a wrong base URL', async () => {
		server.respondNext({ status: 200, html: '<html><title>Welcome</title></html>' });
		const result = await testCredential(bearer());
		expect(result.status).toBe('Error');
		expect(result.message).toMatch(/did not answer with a model list.*\/v1/);
	});

	test('a base URL without scheme is refused before any request', async () => {
		const result = await testCredential({ ...bearer(), baseUrl: 'api.openai.com/v1' });
		expect(result).toEqual({ status: 'Error', message: 'Base URL "api.openai.com/v1" must start with http:// or https://' });
		expect(server.requests).toHaveLength(0);
	});

	test('an unreachable server is reported', async () => {
		const result = await testCredential({ ...bearer(), baseUrl: 'http://127.0.0.1:9/v1' });
		expect(result.status).toBe('Error');
		expect(result.message).toMatch(/Could not reach http:\/\/127\.0\.0\.1:9\/v1\/models: ECONNREFUSED/);
	});

	test('azure tests against {endpoint}/openai/models with api-version', async () => {
		const result = await testCredential({ authentication: 'azure', baseUrl: server.url, apiKey: API_KEY, apiVersion: '2024-10-21' });
		expect(result.status).toBe('OK');
		expect(server.requests[0].path).toBe('/openai/models');
		expect(server.requests[0].query).toEqual({ 'api-version': '2024-10-21' });
	});
});

describe('model list (From List)', () => {
	test('image models come first, then the rest, alphabetically', async () => {
		const { results } = await searchModels(bearer());
		expect(results.map((result) => result.value)).toEqual([
			'black-forest-labs/FLUX.1-schnell', 'dall-e-2', 'dall-e-3', 'doubao-seedream-4-0-250828',
			'gpt-image-1', 'gpt-image-1-mini', 'gpt-image-1.5', 'gpt-image-2',
			'gpt-4o', 'text-embedding-3-small', 'whisper-1',
		]);
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
		const { results } = await searchModels({ authentication: 'azure', baseUrl: server.url, apiKey: API_KEY, apiVersion: '2024-10-21' });
		expect(server.requests[0].path).toBe('/openai/models');
		expect(results.length).toBeGreaterThan(0);
		for (const result of results) expect(result.description).toMatch(/deployment name: enter it with By ID and choose its Model Family/);
	});

	test('when the server answers with an error, the well-known models remain, saying why', async () => {
		server.respondNext({ status: 500, json: { error: { message: 'models endpoint disabled' } }, times: 5 });
		const { results } = await searchModels(bearer());
		expect(results.map((result) => result.value)).toContain('gpt-image-1');
		expect(results[0].description).toMatch(/models endpoint disabled \(HTTP 500\).*By ID/);
	});
});
