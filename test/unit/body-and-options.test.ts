/**
 * Lenient where it costs nothing (a BOM or whitespace around a JSON answer), strict where it
 * matters (Extra Body Fields cannot undo what was validated), and options read per item.
 */
import type { NodeExecutionHint } from 'n8n-workflow';

import { encodeImage, renderPromptImage } from '../server/images';
import { binaryBytes, runCredentialTestRequest } from '../harness/n8n';
import { useImageServer } from '../harness/fixture';

const api = useImageServer();
const { model } = api;
const run = (parameters: Record<string, unknown>, extra?: Parameters<typeof api.run>[1]) => api.run({ operation: 'generate', ...parameters }, extra);
const picture = encodeImage('png', renderPromptImage('bom', 24, 16));
const answer = JSON.stringify({ created: 1, data: [{ b64_json: picture.toString('base64') }] });

describe('A BOM or whitespace around a JSON answer', () => {
	test.each([
		['a UTF-8 BOM', `\uFEFF${answer}`],
		['a BOM and line breaks around it', `\uFEFF\r\n  ${answer}\n\n`],
		['spaces and tabs around it', ` \t${answer} \t\r\n`],
	])('%s is accepted', async (_name, text) => {
		api.server.respondNext({ text });
		const [item] = await run({ model: model('flux-dev'), prompt: 'Bom' });
		expect(await binaryBytes(item)).toEqual(picture);
	});

	test('the model list with a BOM passes the credential test', async () => {
		api.server.respondNext({ only: 'models', text: `\uFEFF${JSON.stringify({ data: [{ id: 'dall-e-3' }] })}\n` } as never);
		// n8n's tester passes it when the body has the model list (the rule on `data` does not match).
		const outcome = await runCredentialTestRequest(api.credentials);
		expect(outcome.ok && (outcome.body as { data?: unknown }).data).toEqual([{ id: 'dall-e-3' }]);
	});

	test('a BOM before something that is not JSON is still an error', async () => {
		api.server.respondNext({ text: '\uFEFF<html>gateway</html>' });
		await expect(run({ model: model('flux-dev'), prompt: 'Bom', options: { maxRetries: 0 } })).rejects.toThrow(/not a JSON object/);
	});
});

describe('Extra Body Fields: what the node sends itself is refused, any other value is sent (a warning when the table does not know it)', () => {
	const refused: Array<[string, string, string, RegExp]> = [
		['n (undoing the DALL·E 3 split)', 'dall-e-3', '{"n": 4}', /^Extra Body Fields \(JSON\) must not set "n": the node sends it from the field Number of Images$/],
		['model', 'dall-e-3', '{"model": "dall-e-2"}', /must not set "model": the node sends it from the field Model$/],
		['prompt', 'gpt-image-2', '{"prompt": "other"}', /must not set "prompt": the node sends it from the field Prompt$/],
	];

	test.each(refused)('%s is refused, naming the field to use', async (_name, id, extraBody, message) => {
		const error = await run({ model: model(id), prompt: 'Extra', options: { extraBody } }).catch((caught: Error) => caught);
		expect((error as Error).message).toMatch(message);
		expect((error as Error & { description: string }).description).toMatch(/Remove "\w+" from Extra Body Fields\.$/);
		expect(api.server.imageRequests()).toHaveLength(0);
	});

	const warned: Array<[string, string, string, Record<string, unknown>, string]> = [
		['quality "max" on gpt-image-2 (the table stops at high)', 'gpt-image-2', '{"quality": "max"}', { quality: 'max' }, 'Extra Body Fields (JSON) sets quality to "max": the node does not know the value "max" for quality for gpt-image-2 (GPT Image 2, generate), so it is sent as given and the provider decides.'],
		['a size outside the dropdown for dall-e-3', 'dall-e-3', '{"size": "2048x2048"}', { size: '2048x2048' }, 'Extra Body Fields (JSON) sets size to "2048x2048": the node does not know the value "2048x2048" for size for dall-e-3 (DALL·E 3, generate), so it is sent as given and the provider decides.'],
		['a table field the family does not take', 'gpt-image-2', '{"response_format": "url"}', { response_format: 'url' }, 'Extra Body Fields (JSON) sets response_format to "url": the node does not know the field response_format for gpt-image-2 (GPT Image 2, generate), so it is sent as given and the provider decides.'],
		['output_format "svg" on gpt-image-2', 'gpt-image-2', '{"output_format": "svg"}', { output_format: 'svg' }, 'Extra Body Fields (JSON) sets output_format to "svg": the node does not know the value "svg" for output_format for gpt-image-2 (GPT Image 2, generate), so it is sent as given and the provider decides.'],
	];

	test.each(warned)('%s is sent as given, with a warning naming the field', async (_name, id, extraBody, sent, warning) => {
		const hints: NodeExecutionHint[] = [];
		await run({ model: model(id), prompt: 'Extra', options: { extraBody } }, { hints });
		expect(api.server.imageRequests()[0].body).toMatchObject(sent);
		expect(hints).toEqual([{ type: 'warning', location: 'outputPane', message: warning }]);
	});

	test('a value the table knows for the model is sent without a warning (quality "max" on gpt-image-2.5-flare)', async () => {
		const hints: NodeExecutionHint[] = [];
		await run({ model: model('gpt-image-2.5-flare'), prompt: 'Extra', options: { extraBody: '{"quality": "max"}' } }, { hints });
		expect(api.server.imageRequests()[0].body).toMatchObject({ quality: 'max' });
		expect(hints).toEqual([]);
	});

	test('one warning for a batch, not one per item', async () => {
		const hints: NodeExecutionHint[] = [];
		await run({ model: model('gpt-image-2'), prompt: 'Extra', options: { extraBody: '{"quality": "xhigh"}' } }, { hints, items: [{ json: {} }, { json: {} }, { json: {} }] });
		expect(api.server.imageRequests()).toHaveLength(3);
		expect(hints).toHaveLength(1);
	});

	test('OpenRouter input_references cannot replace the checked edit images', async () => {
		const error = await api.run({ operation: 'edit', model: model('google/gemini-2.5-flash-image'), modelFamily: 'openrouter-images', prompt: 'a', imageSource: 'urls', imageUrls: 'https://example.com/a.png', options: { extraBody: '{"input_references": [{"type": "image_url", "image_url": {"url": "https://example.com/other.png"}}]}' } }).catch((caught: Error) => caught);
		expect((error as Error).message).toBe('Extra Body Fields (JSON) must not set "input_references": the node sends the input images itself');
		expect(api.server.imageRequests()).toHaveLength(0);
	});

	test('edit input images cannot be replaced through Extra Body', async () => {
		const error = await api.run({ operation: 'edit', model: model('flux-dev'), prompt: 'a', imageInputMode: 'json', imageSource: 'urls', imageUrls: 'https://example.com/a.png', options: { extraBody: '{"image": "https://example.com/other.png"}' } }).catch((caught: Error) => caught);
		expect((error as Error).message).toMatch(/must not set "image": the node sends the input images itself/);
		expect(api.server.imageRequests()).toHaveLength(0);
	});

	test('provider fields pass: for other models also the table fields no rule covers', async () => {
		await run({ model: model('flux-dev'), prompt: 'Extra', options: { extraBody: '{"guidance_scale": 5, "quality": "hd", "image": "https://example.com/ref.png"}' } });
		expect(api.server.imageRequests()[0].body).toMatchObject({ model: 'flux-dev', n: 1, guidance_scale: 5, quality: 'hd', image: 'https://example.com/ref.png' });
	});

	test('with Continue On Fail only the item with the bad extra fails', async () => {
		const output = await run(
			{ model: model('dall-e-3'), prompt: 'Extra', options: { extraBody: '={{ $json.extra }}' } },
			{ items: [{ json: { extra: '{}' } }, { json: { extra: '{"n": 4}' } }], continueOnFail: true },
		);
		expect(output.map((item) => [Boolean(item.binary), item.pairedItem])).toEqual([[true, { item: 0 }], [false, { item: 1 }]]);
		expect(output[1].json.error).toMatch(/must not set "n"/);
		expect(api.server.imageRequests().map((request) => request.body.n)).toEqual([1]);
	});
});

describe('Options are read per item', () => {
	const items = [{ json: { p: 'first', property: 'image', combine: false } }, { json: { p: 'second', property: 'picture', combine: true } }];

	test('Binary Property and Put All Images in One Item follow each item', async () => {
		const output = await run(
			{ model: model('dall-e-2'), prompt: '={{ $json.p }}', n: 2, options: { binaryPropertyOutput: '={{ $json.property }}', combineImages: '={{ $json.combine }}' } },
			{ items },
		);
		expect(output.map((item) => [item.pairedItem, Object.keys(item.binary ?? {})])).toEqual([
			[{ item: 0 }, ['image']],
			[{ item: 0 }, ['image']],
			[{ item: 1 }, ['picture', 'picture_1']],
		]);
	});

	test('Timeout and Max Retries follow each item', async () => {
		// Both items get a 503 first: the first item may retry, the second may not.
		api.server.respondNext({ status: 503, headers: { 'retry-after-ms': '10' }, times: 2 });
		const output = await run(
			{ model: model('flux-dev'), prompt: '={{ $json.p }}', options: { maxRetries: '={{ $json.retries }}', timeout: '={{ $json.timeout }}', concurrency: 1 } },
			{ items: [{ json: { p: 'first', retries: 0, timeout: 5 } }, { json: { p: 'second', retries: 2, timeout: 5 } }], continueOnFail: true },
		);
		expect(output[0].json.error).toMatch(/HTTP 503/);
		expect(output[1].binary?.data).toBeDefined();
		expect(api.server.imageRequests().map((request) => request.body.prompt)).toEqual(['first', 'second', 'second']);
	});

	test('a Timeout per item: the slow item with the short Timeout fails, the other succeeds', async () => {
		api.server.delayBy((request) => (request.body?.prompt === 'slow' ? 1500 : 0));
		const output = await run(
			{ model: model('flux-dev'), prompt: '={{ $json.p }}', options: { timeout: '={{ $json.timeout }}', maxRetries: 0 } },
			{ items: [{ json: { p: 'slow', timeout: 1 } }, { json: { p: 'slow', timeout: 5 } }], continueOnFail: true },
		);
		expect(output[0].json.error).toMatch(/did not answer within 1 s/);
		expect(output[1].binary?.data).toBeDefined();
	});

	test('an invalid option on one item fails that item only', async () => {
		const output = await run(
			{ model: model('flux-dev'), prompt: '={{ $json.p }}', options: { maxRetries: '={{ $json.retries }}' } },
			{ items: [{ json: { p: 'a', retries: 1 } }, { json: { p: 'b', retries: 99 } }], continueOnFail: true },
		);
		expect(output[0].binary?.data).toBeDefined();
		expect(output[1].json.error).toBe('Max Retries must be a whole number from 0 to 10, not 99');
		expect(output[1].pairedItem).toEqual({ item: 1 });
	});

	test('Concurrency is per run: an expression that differs between items is a clear error', async () => {
		const error = await run(
			{ model: model('flux-dev'), prompt: '={{ $json.p }}', options: { concurrency: '={{ $json.c }}' } },
			{ items: [{ json: { p: 'a', c: 8 } }, { json: { p: 'b', c: 8 } }, { json: { p: 'c', c: 2 } }], continueOnFail: true },
		).catch((caught: Error) => caught);
		expect((error as Error).message).toBe('Concurrency must be the same for all items: item 3 gives 2, item 1 gives 8');
		expect((error as Error & { description: string }).description).toMatch(/whole run/);
		expect(api.server.imageRequests()).toHaveLength(0);
	});

	test('Concurrency from an expression that gives every item the same value works', async () => {
		api.server.setLatency(50);
		await run(
			{ model: model('flux-dev'), prompt: '={{ $json.p }}', options: { concurrency: '={{ 2 }}' } },
			{ items: [1, 2, 3, 4, 5].map((index) => ({ json: { p: `item ${index}` } })) },
		);
		api.server.setLatency(0);
		expect(api.server.state.maxInFlight).toBe(2);
	});
});
