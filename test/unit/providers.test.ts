/**
 * Provider-native model families (models.ts): SiliconFlow, xAI, Volcengine Seedream 4 group
 * generation, Together and OpenRouter's images endpoint each get their own field names, count
 * field and response shape. The loopback server reads each request the way that provider does
 * and answers in its shape (test/server/shapes.js); the node turns every answer into binary items.
 */
import { createHash } from 'node:crypto';

import type { NodeExecutionHint } from 'n8n-workflow';

import { sortModels } from '../../nodes/OpenAiCompatibleImages/methods/listSearch';
import { familyOf } from '../../nodes/OpenAiCompatibleImages/models';
import { binaryBytes, prepareItems } from '../harness/n8n';
import { useImageServer } from '../harness/fixture';
import { encodeImage, renderPromptImage } from '../server/images';

const api = useImageServer({ apiKey: 'k', imageSize: { width: 20, height: 12 } });
const { model } = api;
const run = (parameters: Record<string, unknown>, extra?: Parameters<typeof api.run>[1]) => api.run({ operation: 'generate', ...parameters }, extra);
const sha = (bytes: Buffer) => createHash('sha256').update(bytes).digest('hex');
const bodies = () => api.server.imageRequests().map((request) => request.body);
/** Every stored image matches a picture the server sent, in order. */
async function expectServed(output: Awaited<ReturnType<typeof api.run>>) {
	const sent = api.server.imageRequests().flatMap((request) => request.images ?? []).map((image) => image.sha256);
	expect(await Promise.all(output.map(async (item) => sha(await binaryBytes(item))))).toEqual(sent);
}

describe('family detection from the model ID', () => {
	test.each([
		['gemini-2.5-flash-image', 'chat-image'],
		['gemini-2.5-flash-image-preview', 'chat-image'],
		['google/gemini-3-pro-image-preview', 'chat-image'],
		['Gemini-2.5-Flash-Image', 'chat-image'],
		['nano-banana-pro', 'chat-image'],
		['openai/gpt-5-image-mini', 'chat-image'],
		['gemini-2.5-flash', 'other'],
		['grok-2-image-1212', 'xai'],
		['xai/grok-imagine-image', 'xai'],
		['doubao-seedream-4-0-250828', 'seedream-4'],
		['seedream-4.0', 'seedream-4'],
		['doubao-seedream-3-0-t2i-250415', 'other'],
		['bytedance-seed/seedream-4.5', 'other'],
		['Kwai-Kolors/Kolors', 'siliconflow'],
		['Qwen/Qwen-Image', 'siliconflow'],
		// Served by SiliconFlow and Together alike: the Model Family choice decides.
		['black-forest-labs/FLUX.1-schnell', 'other'],
		['gpt-image-1', 'gpt-image'],
	])('%s is %s', (id, family) => {
		expect(familyOf(id).id).toBe(family);
	});

	test('families recognised only when chosen are never detected', () => {
		for (const id of ['together', 'openrouter-images', 'black-forest-labs/FLUX.1-dev', 'openrouter/auto']) {
			expect(['together', 'openrouter-images']).not.toContain(familyOf(id).id);
		}
	});

	test('the model list puts chat and provider image models first', () => {
		expect(
			sortModels(['gpt-4o', 'gemini-2.5-flash', 'google/nano-banana', 'gemini-2.5-flash-image', 'grok-imagine-image', 'Kwai-Kolors/Kolors', 'claude-3', 'google/gemini-3-pro-image-preview']),
		).toEqual([
			'gemini-2.5-flash-image', 'grok-imagine-image', 'Kwai-Kolors/Kolors',
			'google/gemini-3-pro-image-preview', 'google/nano-banana',
			'claude-3', 'gemini-2.5-flash', 'gpt-4o',
		]);
	});
});

describe('SiliconFlow', () => {
	test('image_size, batch_size, num_inference_steps, guidance_scale, negative_prompt and seed; answer images[].url', async () => {
		const output = await run({
			model: model('Kwai-Kolors/Kolors'),
			prompt: 'A koi pond',
			n: 2,
			sizePixels: '768x1024',
			options: { steps: 25, guidance_scale: 7.5, negative_prompt: 'blurry', seed: 123 },
		});
		expect(bodies()).toEqual([
			{ model: 'Kwai-Kolors/Kolors', prompt: 'A koi pond', batch_size: 2, image_size: '768x1024', num_inference_steps: 25, guidance_scale: 7.5, negative_prompt: 'blurry', seed: 123 },
		]);
		expect(output).toHaveLength(2);
		expect(output[0].json).toMatchObject({ size: '768x1024', seed: 123, timings: { inference: 0.5 } });
		await expectServed(output);
	});

	test('more images than one call makes (batch_size 1-4) are split over calls', async () => {
		const output = await run({ model: model('Qwen/Qwen-Image'), prompt: 'Six', n: 6 });
		expect(bodies().map((body) => body.batch_size)).toEqual([4, 2]);
		expect(bodies()[0]).not.toHaveProperty('n');
		expect(output.map((item) => item.json.index)).toEqual([0, 1, 2, 3, 4, 5]);
	});

	test('a size that is not WIDTHxHEIGHT fails before sending, naming the field and the fix', async () => {
		await expect(run({ model: model('Kwai-Kolors/Kolors'), prompt: 'x', sizePixels: '1024*1024' })).rejects.toThrow(/Size "1024\*1024" is not valid for SiliconFlow: use WIDTHxHEIGHT/);
		expect(api.server.imageRequests()).toHaveLength(0);
	});

	test('an edit sends the reference image as image in JSON, whatever Image Input Mode says', async () => {
		const reference = encodeImage('png', renderPromptImage('ref', 16, 16));
		const items = await prepareItems([{ binary: { data: { data: reference, fileName: 'ref.png' } } }]);
		await run({ operation: 'edit', model: model('Kwai-Kolors/Kolors'), prompt: 'Night', imageInputMode: 'upload' }, { items });
		const [request] = api.server.imageRequests();
		expect(request.path).toBe('/v1/images/generations');
		expect(request.body).toMatchObject({ batch_size: 1, image: `data:image/png;base64,${reference.toString('base64')}` });
	});
});

describe('xAI', () => {
	test('no size: aspect_ratio and resolution, n, b64_json', async () => {
		const output = await run({ model: model('grok-imagine-image'), prompt: 'A rover on Mars', n: 2, aspect_ratio: '16:9', resolution: '2k' });
		expect(bodies()).toEqual([
			{ model: 'grok-imagine-image', prompt: 'A rover on Mars', n: 2, aspect_ratio: '16:9', resolution: '2k', response_format: 'b64_json' },
		]);
		expect(output).toHaveLength(2);
		await expectServed(output);
	});

	test('left alone, only the model, prompt, n and response format are sent', async () => {
		await run({ model: model('grok-2-image'), prompt: 'A cat' });
		expect(bodies()).toEqual([{ model: 'grok-2-image', prompt: 'A cat', n: 1, response_format: 'b64_json' }]);
	});
});

describe('Volcengine Seedream 4', () => {
	test('several images are one group request: sequential_image_generation auto with max_images', async () => {
		const output = await run({
			model: model('doubao-seedream-4-0-250828'),
			prompt: 'A four-panel comic of a cat',
			n: 4,
			sizeSeedream: '4K',
			options: { watermark: false, response_format: 'url' },
		});
		expect(bodies()).toEqual([
			{
				model: 'doubao-seedream-4-0-250828',
				prompt: 'A four-panel comic of a cat',
				sequential_image_generation: 'auto',
				sequential_image_generation_options: { max_images: 4 },
				size: '4K',
				watermark: false,
				response_format: 'url',
			},
		]);
		expect(output).toHaveLength(4);
		expect(output[0].json.usage).toEqual({ generated_images: 4, output_tokens: 65536, total_tokens: 65536 });
		expect(api.server.requests.filter((request) => request.kind === 'download')).toHaveLength(4);
		await expectServed(output);
	});

	test('one image is a plain request: no n, no group fields', async () => {
		await run({ model: model('doubao-seedream-4-0-250828'), prompt: 'One', sizeSeedream: '2048x1536' });
		expect(bodies()).toEqual([{ model: 'doubao-seedream-4-0-250828', prompt: 'One', size: '2048x1536' }]);
	});

	test('a group may come back smaller than asked: every image returned is an item, and the node warns', async () => {
		api.server.respondNext({ count: 2 });
		const hints: NodeExecutionHint[] = [];
		const output = await run({ model: model('doubao-seedream-4-0-250828'), prompt: 'Up to five', n: 5 }, { hints });
		expect(output).toHaveLength(2);
		expect(output[0].json).toMatchObject({ imagesRequested: 5, imagesReturned: 2 });
		expect(hints).toEqual([expect.objectContaining({ type: 'warning', message: expect.stringContaining('(item 1: 2 of 5)') })]);
		await expectServed(output);
	});

	test('an edit sends the reference images as an image array on images/generations', async () => {
		const first = encodeImage('png', renderPromptImage('a', 16, 16));
		const second = encodeImage('jpeg', renderPromptImage('b', 16, 16));
		const items = await prepareItems([{ binary: { data: { data: first, fileName: 'a.png' }, data_1: { data: second, fileName: 'b.jpg' } } }]);
		await run({ operation: 'edit', model: model('doubao-seedream-4-0-250828'), prompt: 'Blend', binaryPropertyName: 'data,data_1', n: 2 }, { items });
		const [request] = api.server.imageRequests();
		expect(request.path).toBe('/v1/images/generations');
		expect(request.body).toMatchObject({
			image: [`data:image/png;base64,${first.toString('base64')}`, `data:image/jpeg;base64,${second.toString('base64')}`],
			sequential_image_generation: 'auto',
			sequential_image_generation_options: { max_images: 2 },
		});
	});

	test('a size the family does not take fails before sending', async () => {
		await expect(run({ model: model('seedream-4.0'), prompt: 'x', sizeSeedream: 'big' })).rejects.toThrow(/Size "big" is not valid for Volcengine Seedream 4: use 1K, 2K, 4K or WIDTHxHEIGHT/);
	});
});

describe('Together AI (Model Family only: its FLUX model IDs are SiliconFlow\'s too)', () => {
	test('width, height, steps, seed, n and response_format base64; answer data[].b64_json', async () => {
		const output = await run({
			model: model('black-forest-labs/FLUX.1-schnell'),
			modelFamily: 'together',
			prompt: 'A tram in Lisbon',
			n: 2,
			options: { width: 1024, height: 768, steps: 4, seed: 7, negative_prompt: 'text' },
		});
		expect(bodies()).toEqual([
			{ model: 'black-forest-labs/FLUX.1-schnell', prompt: 'A tram in Lisbon', n: 2, response_format: 'base64', width: 1024, height: 768, steps: 4, seed: 7, negative_prompt: 'text' },
		]);
		expect(output).toHaveLength(2);
		await expectServed(output);
	});

	test('the same model ID detected is Other Models, with n and no Together fields', async () => {
		await run({ model: model('black-forest-labs/FLUX.1-schnell'), prompt: 'A tram', n: 2 });
		expect(bodies()).toEqual([{ model: 'black-forest-labs/FLUX.1-schnell', prompt: 'A tram', n: 2 }]);
	});

	test('chosen SiliconFlow, the FLUX model gets batch_size and image_size', async () => {
		await run({ model: model('black-forest-labs/FLUX.1-schnell'), modelFamily: 'siliconflow', prompt: 'A tram', n: 2 });
		expect(bodies()).toEqual([{ model: 'black-forest-labs/FLUX.1-schnell', prompt: 'A tram', batch_size: 2, image_size: '1024x1024' }]);
	});
});

describe('OpenRouter images endpoint (Model Family only)', () => {
	test('POST images with aspect_ratio and resolution; answer data[].b64_json with usage.cost', async () => {
		const output = await run({
			model: model('google/gemini-2.5-flash-image'),
			modelFamily: 'openrouter-images',
			prompt: 'A desert at noon',
			aspect_ratio: '21:9',
			resolution: '2K',
		});
		const [request] = api.server.imageRequests();
		expect(request.path).toBe('/v1/images');
		expect(request.body).toEqual({ model: 'google/gemini-2.5-flash-image', prompt: 'A desert at noon', n: 1, aspect_ratio: '21:9', resolution: '2K' });
		expect(output[0].json).toMatchObject({ usage: { cost: 0.039 }, aspect_ratio: '21:9', resolution: '2K' });
		await expectServed(output);
	});

	test('an edit sends up to 16 input_references as image_url objects', async () => {
		const reference = encodeImage('webp', renderPromptImage('ref', 16, 16));
		const items = await prepareItems([{ binary: { data: { data: reference, fileName: 'ref.webp' } } }]);
		await run({ operation: 'edit', model: model('openai/gpt-5-image'), modelFamily: 'openrouter-images', prompt: 'Sunset', imageInputMode: 'upload' }, { items });
		const [request] = api.server.imageRequests();
		expect(request.path).toBe('/v1/images');
		expect(request.body.input_references).toEqual([{ type: 'image_url', image_url: { url: `data:image/webp;base64,${reference.toString('base64')}` } }]);
	});
});
