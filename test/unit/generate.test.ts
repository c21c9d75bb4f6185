import { binaryBytes } from '../harness/n8n';
import { TEST_API_KEY, useImageServer } from '../harness/fixture';

// A Base URL with a trailing slash and a key with whitespace around it: both are trimmed.
const api = useImageServer({ credentials: (server, apiKey) => ({ baseUrl: `${server.baseUrl}/`, apiKey: ` ${apiKey}\n`, authentication: 'bearer' }) });
const { model } = api;
const generate = (parameters: Record<string, unknown>, extra?: Parameters<typeof api.run>[1]) => api.run({ operation: 'generate', ...parameters }, extra);

describe('Generate: what each model family sends', () => {
	test('dall-e-3 sends its own fields, b64_json by default, one call per image', async () => {
		const output = await generate({ model: model('dall-e-3'), prompt: 'A red fox', n: 2, sizeDallE3: '1792x1024', qualityDallE3: 'hd', styleDallE3: 'natural' });
		const bodies = api.server.imageRequests().map((request) => request.body);
		expect(bodies).toEqual([
			{ model: 'dall-e-3', prompt: 'A red fox', n: 1, size: '1792x1024', quality: 'hd', style: 'natural', response_format: 'b64_json' },
			{ model: 'dall-e-3', prompt: 'A red fox', n: 1, size: '1792x1024', quality: 'hd', style: 'natural', response_format: 'b64_json' },
		]);
		expect(output).toHaveLength(2);
		expect(output.map((item) => item.json.index)).toEqual([0, 1]);
		expect(output[0].json).toMatchObject({ model: 'dall-e-3', prompt: 'A red fox', revised_prompt: 'A red fox (revised)', size: '1792x1024', quality: 'hd', style: 'natural' });
	});

	test('dall-e-2 sends size, response_format and user; never quality or style', async () => {
		await generate({ model: model('dall-e-2'), prompt: 'A cat', n: 3, sizeDallE2: '512x512', options: { user: 'user-42', response_format: 'url' } });
		expect(api.server.imageRequests().map((request) => request.body)).toEqual([
			{ model: 'dall-e-2', prompt: 'A cat', n: 3, size: '512x512', response_format: 'url', user: 'user-42' },
		]);
	});

	test('gpt-image-1 never gets response_format, and gets its own options', async () => {
		const output = await generate({
			model: model('gpt-image-1'),
			prompt: 'A logo',
			n: 2,
			sizeGptImage: '1536x1024',
			qualityGptImage: 'high',
			options: { background: 'transparent', output_format: 'webp', output_compression: 80, moderation: 'low', user: 'u1' },
		});
		expect(api.server.imageRequests()[0].body).toEqual({
			model: 'gpt-image-1', prompt: 'A logo', n: 2, size: '1536x1024', quality: 'high',
			background: 'transparent', output_format: 'webp', output_compression: 80, moderation: 'low', user: 'u1',
		});
		expect(output).toHaveLength(2);
		expect(output[0].binary?.data).toMatchObject({ mimeType: 'image/webp', fileExtension: 'webp', fileName: 'a-logo-1.webp' });
		expect(output[0].json.usage).toEqual({ input_tokens: 50, output_tokens: 8320, total_tokens: 8370, input_tokens_details: { text_tokens: 50, image_tokens: 0 } });
	});

	test('gpt-image-1 defaults: size auto and quality auto, nothing else', async () => {
		await generate({ model: model('gpt-image-1'), prompt: 'A tree' });
		expect(api.server.imageRequests()[0].body).toEqual({ model: 'gpt-image-1', prompt: 'A tree', n: 1, size: 'auto', quality: 'auto' });
	});

	test('gpt-image-2 takes any valid WxH', async () => {
		await generate({ model: model('gpt-image-2'), prompt: 'Wide', sizeGptImage2: '3840x2160' });
		expect(api.server.imageRequests()[0].body).toMatchObject({ model: 'gpt-image-2', size: '3840x2160' });
	});

	test('a custom model gets free size, watermark, seed, negative prompt and extra body fields', async () => {
		await generate({
			model: model('doubao-seedream-3-0-t2i-250415'),
			prompt: 'A city',
			size: '2K',
			options: { watermark: false, seed: 7, negative_prompt: 'blur', extraBody: '{"guidance_scale": 5, "sequential_image_generation": "auto"}' },
		});
		expect(api.server.imageRequests()[0].body).toEqual({
			model: 'doubao-seedream-3-0-t2i-250415', prompt: 'A city', n: 1, size: '2K', watermark: false, seed: 7,
			negative_prompt: 'blur', guidance_scale: 5, sequential_image_generation: 'auto',
		});
	});

	test('a custom model with no size sends no size', async () => {
		await generate({ model: model('black-forest-labs/FLUX.1-schnell'), prompt: 'A boat' });
		expect(api.server.imageRequests()[0].body).toEqual({ model: 'black-forest-labs/FLUX.1-schnell', prompt: 'A boat', n: 1 });
	});

	test('the request carries the trimmed key and goes to the base URL without a doubled slash', async () => {
		await generate({ model: model('dall-e-2'), prompt: 'A key' });
		const [request] = api.server.imageRequests();
		expect(request.path).toBe('/v1/images/generations');
		expect(request.headers.authorization).toBe(`Bearer ${TEST_API_KEY}`);
		expect(request.headers['content-type']).toMatch(/application\/json/);
	});

	test('expressions are resolved per item', async () => {
		const output = await generate(
			{ model: model('={{ $json.model }}'), prompt: '={{ $json.idea }}' },
			{ items: [{ json: { model: 'dall-e-2', idea: 'first' } }, { json: { model: 'gpt-image-1', idea: 'second' } }] },
		);
		expect(api.server.imageRequests().map((request) => [request.body.model, request.body.prompt])).toEqual([
			['dall-e-2', 'first'],
			['gpt-image-1', 'second'],
		]);
		expect(output.map((item) => item.pairedItem)).toEqual([{ item: 0 }, { item: 1 }]);
	});
});

describe('Generate: validation before any request', () => {
	const cases: Array<[string, Record<string, unknown>, RegExp]> = [
		['blank prompt', { model: model('dall-e-3'), prompt: '   ' }, /Prompt is empty/],
		['prompt too long for dall-e-2', { model: model('dall-e-2'), prompt: 'x'.repeat(1001) }, /Prompt is too long for DALL·E 2: 1001 characters, the limit is 1000/],
		['prompt too long for dall-e-3', { model: model('dall-e-3'), prompt: 'x'.repeat(4001) }, /limit is 4000/],
		['n of 0', { model: model('gpt-image-1'), prompt: 'a', n: 0 }, /Number of Images must be a whole number from 1 to 10, not 0/],
		['n of 11', { model: model('dall-e-2'), prompt: 'a', n: 11 }, /from 1 to 10, not 11/],
		['size dall-e-3 does not take', { model: model('dall-e-3'), prompt: 'a', sizeDallE3: '256x256' }, /Size "256x256" is not accepted by DALL·E 3 models/],
		['gpt-image-2 side not divisible by 16', { model: model('gpt-image-2'), prompt: 'a', sizeGptImage2: '1000x1000' }, /multiples of 16/],
		['gpt-image-2 ratio beyond 3:1', { model: model('gpt-image-2'), prompt: 'a', sizeGptImage2: '3840x1024' }, /between 1:3 and 3:1/],
		['gpt-image-2 too large', { model: model('gpt-image-2'), prompt: 'a', sizeGptImage2: '4096x2304' }, /the longest side is at most 3840$/],
		['gpt-image-2 malformed size', { model: model('gpt-image-2'), prompt: 'a', sizeGptImage2: 'big' }, /WIDTHxHEIGHT/],
		// Another family's default (Seedream's 2K) is refused like any other value, not swapped for this family's.
		['gpt-image-2 with a size only Seedream takes', { model: model('gpt-image-2'), prompt: 'a', sizeGptImage2: '2K' }, /^Size "2K" is not valid for GPT Image 2: /],
		['a SiliconFlow model with GPT image\'s size auto', { model: model('Kwai-Kolors/Kolors'), prompt: 'a', sizePixels: 'auto' }, /^Size "auto" is not valid for SiliconFlow: use WIDTHxHEIGHT/],
		['compression above 100', { model: model('gpt-image-1'), prompt: 'a', options: { output_format: 'jpeg', output_compression: 101 } }, /Output Compression must be a whole number from 0 to 100, not 101/],
		['transparent jpeg', { model: model('gpt-image-1'), prompt: 'a', options: { background: 'transparent', output_format: 'jpeg' } }, /transparent.*jpeg/i],
		['malformed extra JSON', { model: model('flux-dev'), prompt: 'a', options: { extraBody: '{"a": ' } }, /Extra Body Fields \(JSON\) is not valid JSON/],
		['extra JSON that is an array', { model: model('flux-dev'), prompt: 'a', options: { extraBody: '[1]' } }, /must be a JSON object/],
		['empty model', { model: model(''), prompt: 'a' }, /Model is required/],
		['quality dall-e-3 does not take', { model: model('dall-e-3'), prompt: 'a', qualityDallE3: 'ultra' }, /Quality "ultra" is not accepted by DALL·E 3 models/],
	];

	test.each(cases)('%s', async (_name, parameters, message) => {
		await expect(generate(parameters)).rejects.toThrow(message);
		expect(api.server.imageRequests()).toHaveLength(0);
	});

	test('the error names the allowed values', async () => {
		const error = await generate({ model: model('dall-e-3'), prompt: 'a', sizeDallE3: '256x256' }).catch((caught) => caught);
		expect(error.description).toBe('Use one of: 1024x1024, 1792x1024, 1024x1792.');
	});

	test('one bad item stops the node before any item is sent', async () => {
		const items = [{ json: { p: 'fine' } }, { json: { p: '' } }];
		await expect(generate({ model: model('dall-e-2'), prompt: '={{ $json.p }}' }, { items })).rejects.toThrow(/Prompt is empty/);
		expect(api.server.imageRequests()).toHaveLength(0);
	});
});

describe('Generate: every response shape becomes binary data', () => {
	test.each([
		['b64_json', {}],
		['url, downloaded without the key', { shape: 'url' as const }],
		['data: URL in b64_json', { shape: 'dataUrlInB64' as const }],
		['data: URL in url', { shape: 'dataUrlInUrl' as const }],
		['empty url beside b64_json', { shape: 'emptyUrlBesideB64' as const }],
		['SiliconFlow images[]', { shape: 'siliconflow' as const }],
		['Together without created', { shape: 'together' as const }],
		['missing created', { shape: 'noCreated' as const }],
	])('%s', async (_name, behaviour) => {
		api.server.respondNext(behaviour);
		const [item] = await generate({ model: model('flux-dev'), prompt: 'Shape test' });
		const bytes = await binaryBytes(item);
		expect(bytes.subarray(0, 8).toString('hex')).toBe('89504e470d0a1a0a');
		expect(item.binary?.data).toMatchObject({ mimeType: 'image/png', fileExtension: 'png', fileName: 'shape-test-1.png' });
		expect(item.json).toMatchObject({ model: 'flux-dev', prompt: 'Shape test', width: 24, height: 16, index: 0 });
		expect(item.pairedItem).toEqual({ item: 0 });
	});

	test('a URL result is downloaded at once, with neither the key nor custom headers', async () => {
		const withHeaders = { ...api.credentials, customHeaders: { header: [{ name: 'X-Group', value: 'secret-group' }] } };
		api.server.respondNext({ shape: 'url' });
		const [item] = await generate({ model: model('dall-e-2'), prompt: 'Downloaded' }, { credentials: withHeaders });
		const download = api.server.requests.find((request) => request.path.startsWith('/files/'));
		expect(download).toBeDefined();
		expect(download?.headers.authorization).toBeUndefined();
		expect(download?.headers['x-group']).toBeUndefined();
		expect(api.server.imageRequests()[0].headers['x-group']).toBe('secret-group');
		expect(item.json.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/files\//);
		const served = await binaryBytes(item);
		expect(served.length).toBeGreaterThan(50);
	});

	test.each([
		['jpeg', 'image/jpeg', 'jpg'],
		['webp', 'image/webp', 'webp'],
		['gif', 'image/gif', 'gif'],
	] as const)('mime type comes from the bytes: %s', async (format, mimeType, extension) => {
		api.server.respondNext({ format });
		const [item] = await generate({ model: model('flux-dev'), prompt: 'Format' });
		expect(item.binary?.data).toMatchObject({ mimeType, fileExtension: extension, fileName: `format-1.${extension}` });
		expect(item.json).toMatchObject({ width: 24, height: 16, mimeType });
	});

	test('all images of an item in one item: data, data_1, data_2', async () => {
		const [item, ...rest] = await generate({ model: model('dall-e-2'), prompt: 'Three', n: 3, options: { combineImages: true } });
		expect(rest).toHaveLength(0);
		expect(Object.keys(item.binary ?? {})).toEqual(['data', 'data_1', 'data_2']);
		expect(item.json).toMatchObject({ model: 'dall-e-2', prompt: 'Three', imageCount: 3 });
		expect((item.json.images as Array<{ binaryProperty: string }>).map((image) => image.binaryProperty)).toEqual(['data', 'data_1', 'data_2']);
		expect(item.pairedItem).toEqual({ item: 0 });
	});

	test('a custom binary property name', async () => {
		const [item] = await generate({ model: model('dall-e-2'), prompt: 'Named', options: { binaryPropertyOutput: 'picture' } });
		expect(Object.keys(item.binary ?? {})).toEqual(['picture']);
	});
});

describe('Generate: upstream errors', () => {
	test('an OpenAI error body gives the provider message and HTTP status', async () => {
		api.server.respondNext({ status: 400, json: { error: { message: "Invalid value: 'hd'. Supported values are: 'standard'.", type: 'invalid_request_error', param: 'quality', code: 'invalid_value' } } });
		const error = await generate({ model: model('flux-dev'), prompt: 'a' }).catch((caught) => caught);
		expect(error.constructor.name).toBe('NodeApiError');
		expect(error.message).toBe("Invalid value: 'hd'. Supported values are: 'standard'. (HTTP 400)");
		expect(error.httpCode).toBe('400');
		expect(error.description).toMatch(/quality/);
		expect(api.server.imageRequests()).toHaveLength(1);
	});

	test('an HTML 502 page is summarised', async () => {
		api.server.respondNext({ status: 502, html: '<html><head><title>502 Bad Gateway</title></head><body>nginx</body></html>', times: 3 });
		const error = await generate({ model: model('flux-dev'), prompt: 'a', options: { maxRetries: 0 } }).catch((caught) => caught);
		expect(error.message).toBe('HTML error page: 502 Bad Gateway (HTTP 502)');
		expect(error.httpCode).toBe('502');
	});

	test('a plain-text error', async () => {
		api.server.respondNext({ status: 403, text: 'Forbidden: group quota exhausted' });
		await expect(generate({ model: model('flux-dev'), prompt: 'a' })).rejects.toThrow('Forbidden: group quota exhausted (HTTP 403)');
	});

	test('HTTP 200 with an error body is an error', async () => {
		api.server.respondNext({ shape: 'error200' });
		await expect(generate({ model: model('flux-dev'), prompt: 'a' })).rejects.toThrow('Upstream channel failed (HTTP 200 with an error body)');
	});

	test('empty data says no image came back', async () => {
		api.server.respondNext({ shape: 'empty' });
		const error = await generate({ model: model('grok-2-image'), prompt: 'a' }).catch((caught) => caught);
		expect(error.message).toBe('The provider returned no image');
		expect(error.description).toMatch(/moderation blocked the prompt/);
	});

	test('a wrong key gives the provider message', async () => {
		const error = await generate({ model: model('dall-e-2'), prompt: 'a' }, { credentials: { ...api.credentials, apiKey: 'wrong' } }).catch((caught) => caught);
		expect(error.message).toBe('Incorrect API key provided. (HTTP 401)');
		expect(error.description).toMatch(/API key/);
	});

	test('with Continue On Fail, a failed item yields an error item and the others go on', async () => {
		api.server.respondNext({ status: 400, json: { error: { message: 'Your prompt was blocked', code: 'moderation_blocked' } }, only: 'generate' });
		const items = [{ json: { p: 'bad' } }, { json: { p: '' } }, { json: { p: 'good' } }];
		const output = await generate({ model: model('dall-e-2'), prompt: '={{ $json.p }}', options: { concurrency: 1 } }, { items, continueOnFail: true });
		expect(output).toHaveLength(3);
		expect(output[0].json).toMatchObject({ error: 'Your prompt was blocked (HTTP 400)', httpCode: '400' });
		expect(output[0].pairedItem).toEqual({ item: 0 });
		expect(output[1].json.error).toMatch(/Prompt is empty/);
		expect(output[1].pairedItem).toEqual({ item: 1 });
		expect(output[2].json).toMatchObject({ prompt: 'good' });
		expect(output[2].binary?.data).toBeDefined();
		expect(output[2].pairedItem).toEqual({ item: 2 });
		expect(JSON.stringify(output)).not.toContain(TEST_API_KEY);
	});
});
