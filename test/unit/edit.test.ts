import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

import type { INodeExecutionData } from 'n8n-workflow';

import { binaryBytes, prepareItems, useBinaryDataMode, type InputFile } from '../harness/n8n';
import { useImageServer, type ImageServerFixture } from '../harness/fixture';
import { encodeJpeg, encodePng, encodeWebp, renderPromptImage } from '../server/images';

type Recorded = ImageServerFixture['server']['requests'][number];

const API_KEY = 'sk-test-edit-key';
const MB = 1024 * 1024;
const PNG_HEAD = '89504e470d0a1a0a';
const api = useImageServer({ apiKey: API_KEY, imageSize: { width: 24, height: 16 } });
const { model } = api;
let storagePath: string;

beforeAll(async () => {
	storagePath = fs.mkdtempSync(path.join(os.tmpdir(), 'n8n-images-binary-'));
	await useBinaryDataMode('filesystem', storagePath);
});
afterAll(async () => {
	fs.rmSync(storagePath, { recursive: true, force: true });
});

type Extra = Parameters<typeof api.run>[1];
const run = (operation: string, parameters: Record<string, unknown>, extra?: Extra) => api.run({ operation, ...parameters }, extra);
const edit = (parameters: Record<string, unknown>, extra?: Extra) => run('edit', parameters, extra);
const variation = (parameters: Record<string, unknown>, extra?: Extra) => run('variation', parameters, extra);

const png = (width: number, height: number, seed = 'png') => encodePng(renderPromptImage(`${seed} ${width}x${height}`, width, height));
const jpeg = (width: number, height: number) => encodeJpeg(renderPromptImage(`jpeg ${width}x${height}`, width, height));
const webp = (width: number, height: number) => encodeWebp(renderPromptImage(`webp ${width}x${height}`, width, height));
/** A mask: transparent background (the area to edit), opaque shapes. */
const maskPng = (width: number, height: number) => encodePng(renderPromptImage('mask', width, height, { transparent: true }));
const head = (bytes: Buffer) => bytes.subarray(0, 8).toString('hex');

const items = (binary: Record<string, InputFile>, count = 1) => prepareItems(Array.from({ length: count }, () => ({ binary })));

/** The text fields of a recorded multipart request. */
const fieldsOf = (request: Recorded) =>
	Object.fromEntries((request.parts ?? []).filter((part) => part.filename === undefined).map((part) => [part.name, part.data.toString('utf8')]));
/** The file parts of a recorded multipart request, as the server saw them. */
const filesOf = (request: Recorded) =>
	(request.parts ?? [])
		.filter((part) => part.filename !== undefined)
		.map(({ name, filename, contentType, size, head }) => ({ name, filename, contentType, size, head }));
const filePart = (name: string, filename: string, contentType: string, bytes: Buffer) => ({
	name,
	filename,
	contentType,
	size: bytes.length,
	head: head(bytes),
});
const decodeDataUrl = (url: string) => {
	const match = /^data:([^;]+);base64,(.*)$/.exec(url);
	if (!match) throw new Error(`not a data URL: ${url.slice(0, 40)}`);
	return { mimeType: match[1], bytes: Buffer.from(match[2], 'base64') };
};

describe.each([
	['in-memory base64 (n8n 1.x default)', 'default' as const],
	['filesystem references (n8n 2.x default)', 'filesystem' as const],
])('Edit and Variation with binary data stored %s', (_name, mode) => {
	beforeAll(async () => await useBinaryDataMode(mode, storagePath));
	afterAll(async () => await useBinaryDataMode('filesystem', storagePath));

	test('the input items hold the storage mode\'s form of binary data', async () => {
		const bytes = png(8, 8);
		const [item] = await items({ data: { data: bytes, fileName: 'a.png' } });
		const binary = item.binary?.data;
		if (mode === 'filesystem') {
			expect(binary?.id).toMatch(/^filesystem-v2:/);
			expect(binary?.data).toBe('filesystem-v2');
		} else {
			expect(binary?.id).toBeUndefined();
			expect(binary?.data).toBe(bytes.toString('base64'));
		}
	});

	test('dall-e-2: one square PNG as `image`, a mask, its own fields', async () => {
		const image = png(64, 64);
		const mask = maskPng(64, 64);
		const input = await items({
			data: { data: image, fileName: 'Photo of my Cat.png', mimeType: 'image/png' },
			mask: { data: mask, fileName: 'mask.png' },
		});
		const output = await edit(
			{ model: model('dall-e-2'), prompt: 'Add a red hat', n: 2, sizeDallE2: '256x256', maskBinaryPropertyName: 'mask', options: { user: 'user-7' } },
			{ items: input },
		);
		const [request] = api.server.imageRequests();
		expect(api.server.imageRequests()).toHaveLength(1);
		expect(request.path).toBe('/v1/images/edits');
		expect(request.headers['content-type']).toMatch(/^multipart\/form-data; boundary=/);
		expect(request.headers.authorization).toBe(`Bearer ${API_KEY}`);
		expect(fieldsOf(request)).toEqual({ model: 'dall-e-2', prompt: 'Add a red hat', n: '2', size: '256x256', response_format: 'b64_json', user: 'user-7' });
		expect(filesOf(request)).toEqual([
			filePart('image', 'photo-of-my-cat.png', 'image/png', image),
			filePart('mask', 'mask.png', 'image/png', mask),
		]);
		expect(request.parts?.find((part) => part.name === 'image')?.data.equals(image)).toBe(true);
		expect(request.parts?.find((part) => part.name === 'mask')?.data.equals(mask)).toBe(true);
		expect(output).toHaveLength(2);
		expect(output[0].binary?.data).toMatchObject({ mimeType: 'image/png', fileName: 'add-a-red-hat-1.png' });
		expect(output[0].json).toMatchObject({ model: 'dall-e-2', prompt: 'Add a red hat', size: '256x256', index: 0 });
		expect(output.map((item) => item.pairedItem)).toEqual([{ item: 0 }, { item: 0 }]);
		expect(head(await binaryBytes(output[1]))).toBe(PNG_HEAD);
	});

	test('gpt-image-1: several images as repeated `image[]`, types and extensions from the bytes', async () => {
		const first = png(40, 30);
		const second = jpeg(32, 32);
		const third = webp(20, 28);
		// The items claim nothing useful: OpenAI would reject application/octet-stream.
		const input = await items({
			first: { data: first, fileName: 'upload.bin', mimeType: 'application/octet-stream' },
			second: { data: second, fileName: 'IMG_0001', mimeType: 'application/octet-stream' },
			third: { data: third, mimeType: 'application/octet-stream' },
		});
		const output = await edit(
			{
				model: model('gpt-image-1'),
				prompt: 'Put them in one gift basket',
				binaryPropertyName: 'first, second ,third',
				n: 2,
				sizeGptImage: '1024x1536',
				qualityGptImage: 'high',
				options: {
					background: 'transparent',
					output_format: 'webp',
					output_compression: 80,
					input_fidelity: 'high',
					user: 'u1',
					extraBody: '{"vendor_flag": true, "nested": {"a": 1}}',
				},
			},
			{ items: input },
		);
		const [request] = api.server.imageRequests();
		expect(request.path).toBe('/v1/images/edits');
		expect(fieldsOf(request)).toEqual({
			model: 'gpt-image-1', prompt: 'Put them in one gift basket', n: '2', size: '1024x1536', quality: 'high',
			background: 'transparent', output_format: 'webp', output_compression: '80', input_fidelity: 'high', user: 'u1',
			vendor_flag: 'true', nested: '{"a":1}',
		});
		expect(filesOf(request)).toEqual([
			filePart('image[]', 'upload.png', 'image/png', first),
			filePart('image[]', 'img-0001.jpg', 'image/jpeg', second),
			filePart('image[]', 'third.webp', 'image/webp', third),
		]);
		expect(output).toHaveLength(2);
		expect(output[0].binary?.data).toMatchObject({ mimeType: 'image/webp', fileName: 'put-them-in-one-gift-basket-1.webp' });
		expect(output[0].json).toMatchObject({ model: 'gpt-image-1', quality: 'high', size: '1024x1536', background: 'transparent' });
	});

	test('all binary properties of the item, except the mask, in their order', async () => {
		const images = [png(48, 48, 'a'), jpeg(16, 16), webp(24, 24)];
		const mask = maskPng(48, 48);
		const input = await items({
			data: { data: images[0], fileName: 'a.png' },
			mask: { data: mask, fileName: 'the mask.png' },
			data_1: { data: images[1], fileName: 'b.jpeg' },
			data_2: { data: images[2], fileName: 'c.webp' },
		});
		await edit(
			{ model: model('gpt-image-1.5'), prompt: 'Blend', imageSource: 'allBinary', maskBinaryPropertyName: 'mask' },
			{ items: input },
		);
		expect(filesOf(api.server.imageRequests()[0])).toEqual([
			filePart('image[]', 'a.png', 'image/png', images[0]),
			filePart('image[]', 'b.jpg', 'image/jpeg', images[1]),
			filePart('image[]', 'c.webp', 'image/webp', images[2]),
			filePart('mask', 'the-mask.png', 'image/png', mask),
		]);
	});

	test('URLs in JSON body: binary images become data: URLs, typed from the bytes', async () => {
		const image = jpeg(32, 24);
		const input = await items({ data: { data: image, fileName: 'ref.png', mimeType: 'image/png' } });
		await edit(
			{
				model: model('doubao-seedream-3-0-t2i-250415'),
				prompt: 'Make it night',
				imageInputMode: 'json',
				size: '2K',
				options: { watermark: false, extraBody: '{"sequential_image_generation": "disabled"}' },
			},
			{ items: input },
		);
		const [request] = api.server.imageRequests();
		expect(request.path).toBe('/v1/images/generations');
		expect(request.headers['content-type']).toMatch(/application\/json/);
		const { image: sent, ...rest } = request.body;
		expect(rest).toEqual({
			model: 'doubao-seedream-3-0-t2i-250415', prompt: 'Make it night', n: 1, size: '2K', watermark: false,
			sequential_image_generation: 'disabled',
		});
		expect(typeof sent).toBe('string');
		const decoded = decodeDataUrl(sent);
		expect(decoded.mimeType).toBe('image/jpeg');
		expect(decoded.bytes.equals(image)).toBe(true);
	});

	test('variation: one square PNG as `image`, n, size, response_format, user; no prompt', async () => {
		const image = png(32, 32);
		const input = await items({ photo: { data: image, fileName: 'Source.PNG', mimeType: 'application/octet-stream' } });
		const output = await variation(
			{ model: model('dall-e-2'), binaryPropertyName: 'photo', n: 2, sizeDallE2: '512x512', options: { response_format: 'url', user: 'u9' } },
			{ items: input },
		);
		const [request] = api.server.imageRequests();
		expect(request.path).toBe('/v1/images/variations');
		expect(fieldsOf(request)).toEqual({ model: 'dall-e-2', n: '2', size: '512x512', response_format: 'url', user: 'u9' });
		expect(filesOf(request)).toEqual([filePart('image', 'source.png', 'image/png', image)]);
		expect(output).toHaveLength(2);
		expect(output.map((item) => item.binary?.data.fileName)).toEqual(['variation-1.png', 'variation-2.png']);
		expect(output[0].json.prompt).toBeUndefined();
		expect(output[0].json).toMatchObject({ model: 'dall-e-2', size: '512x512', index: 0 });
		expect(head(await binaryBytes(output[0]))).toBe(PNG_HEAD);
	});
});

describe('Edit: upload details', () => {
	test('a single GPT image file goes as `image`', async () => {
		const image = webp(16, 16);
		await edit({ model: model('gpt-image-2'), prompt: 'Sharper', sizeGptImage2: '1536x864' }, { items: await items({ data: { data: image } }) });
		const [request] = api.server.imageRequests();
		expect(filesOf(request)).toEqual([filePart('image', 'data.webp', 'image/webp', image)]);
		expect(fieldsOf(request)).toMatchObject({ model: 'gpt-image-2', size: '1536x864', quality: 'auto' });
	});

	test('gpt-image-1-mini never gets input_fidelity, and no model gets generate-only moderation', async () => {
		await edit(
			{ model: model('gpt-image-1-mini'), prompt: 'Tidy', options: { input_fidelity: 'high', moderation: 'low' } },
			{ items: await items({ data: { data: png(16, 16) } }) },
		);
		expect(fieldsOf(api.server.imageRequests()[0])).toEqual({ model: 'gpt-image-1-mini', prompt: 'Tidy', n: '1', size: 'auto', quality: 'auto' });
	});

	test('another model: free size, its extras as form fields, GIF accepted', async () => {
		const gif = (await import('../server/images')).encodeGif(renderPromptImage('gif', 12, 12));
		await edit(
			{ model: model('flux-kontext-pro'), prompt: 'Pop art', size: '1024x768', options: { seed: 5, negative_prompt: 'text', watermark: true } },
			{ items: await items({ data: { data: gif, fileName: 'anim.gif' } }) },
		);
		const [request] = api.server.imageRequests();
		expect(fieldsOf(request)).toEqual({ model: 'flux-kontext-pro', prompt: 'Pop art', n: '1', size: '1024x768', watermark: 'true', seed: '5', negative_prompt: 'text' });
		expect(filesOf(request)).toEqual([filePart('image', 'anim.gif', 'image/gif', gif)]);
	});

	test('a retried edit uploads the same files again', async () => {
		const image = png(16, 16);
		api.server.respondNext({ status: 500, json: { error: { message: 'Upstream hiccup', type: 'server_error' } }, headers: { 'retry-after-ms': '0' } });
		const output = await edit({ model: model('gpt-image-1'), prompt: 'Again' }, { items: await items({ data: { data: image } }) });
		const requests = api.server.imageRequests();
		expect(requests).toHaveLength(2);
		for (const request of requests) {
			expect(filesOf(request)).toEqual([filePart('image', 'data.png', 'image/png', image)]);
			expect(fieldsOf(request)).toMatchObject({ model: 'gpt-image-1', prompt: 'Again' });
		}
		expect(output).toHaveLength(1);
	});

	test('each item sends its own images', async () => {
		const first = png(16, 16, 'one');
		const second = png(16, 16, 'two');
		const input = await prepareItems([
			{ json: { idea: 'one' }, binary: { data: { data: first } } },
			{ json: { idea: 'two' }, binary: { data: { data: second } } },
		]);
		const output = await edit({ model: model('dall-e-2'), prompt: '={{ $json.idea }}', options: { concurrency: 1 } }, { items: input });
		const requests = api.server.imageRequests();
		expect(requests.map((request) => fieldsOf(request).prompt)).toEqual(['one', 'two']);
		expect(requests[0].parts?.find((part) => part.name === 'image')?.data.equals(first)).toBe(true);
		expect(requests[1].parts?.find((part) => part.name === 'image')?.data.equals(second)).toBe(true);
		expect(output.map((item) => item.pairedItem)).toEqual([{ item: 0 }, { item: 1 }]);
	});
});

describe('Edit: URLs in JSON body', () => {
	test('several binary images become an array of data: URLs; Endpoint Edits', async () => {
		const images = [png(16, 16), webp(16, 16)];
		const input = await items({ data: { data: images[0] }, data_1: { data: images[1] } });
		await edit(
			{ model: model('doubao-seedream-3-0-t2i-250415'), prompt: 'Combine', imageInputMode: 'json', endpoint: 'edits', binaryPropertyName: 'data,data_1' },
			{ items: input },
		);
		const [request] = api.server.imageRequests();
		expect(request.path).toBe('/v1/images/edits');
		expect(request.headers['content-type']).toMatch(/application\/json/);
		expect(request.body.image).toHaveLength(2);
		expect(request.body.image.map((url: string) => decodeDataUrl(url).mimeType)).toEqual(['image/png', 'image/webp']);
		expect(decodeDataUrl(request.body.image[1]).bytes.equals(images[1])).toBe(true);
	});

	test('image URLs from the node: one URL is a string, several an array', async () => {
		await edit({ model: model('doubao-seedream-3-0-t2i-250415'), prompt: 'One', imageInputMode: 'json', imageSource: 'urls', imageUrls: 'https://example.com/a.png' });
		const dataUrl = `data:image/png;base64,${png(8, 8).toString('base64')}`;
		await edit({
			model: model('doubao-seedream-3-0-t2i-250415'),
			prompt: 'Two',
			imageInputMode: 'json',
			imageSource: 'urls',
			imageUrls: `https://example.com/a.png,https://example.com/b.jpg\n${dataUrl}`,
		});
		await edit({
			model: model('doubao-seedream-3-0-t2i-250415'),
			prompt: 'Expression',
			imageInputMode: 'json',
			imageSource: 'urls',
			imageUrls: '={{ ["https://example.com/x.webp", "https://example.com/y.webp"] }}',
		});
		const bodies = api.server.imageRequests().map((request) => request.body);
		expect(api.server.imageRequests().map((request) => request.path)).toEqual(Array(3).fill('/v1/images/generations'));
		expect(bodies[0]).toEqual({ model: 'doubao-seedream-3-0-t2i-250415', prompt: 'One', n: 1, image: 'https://example.com/a.png' });
		expect(bodies[1].image).toEqual(['https://example.com/a.png', 'https://example.com/b.jpg', dataUrl]);
		expect(bodies[2].image).toEqual(['https://example.com/x.webp', 'https://example.com/y.webp']);
	});

	test('GPT image models get OpenAI\'s JSON form on images/edits: images [{image_url}] and mask {image_url}', async () => {
		const image = png(32, 32);
		const mask = maskPng(32, 32);
		await edit(
			{ model: model('gpt-image-1'), prompt: 'Sky', imageInputMode: 'json', endpoint: 'edits', maskBinaryPropertyName: 'mask' },
			{ items: await items({ data: { data: image }, mask: { data: mask } }) },
		);
		const [request] = api.server.imageRequests();
		expect(request.path).toBe('/v1/images/edits');
		const { images, mask: sentMask, ...rest } = request.body;
		expect(rest).toEqual({ model: 'gpt-image-1', prompt: 'Sky', n: 1, size: 'auto', quality: 'auto' });
		expect(images).toEqual([{ image_url: `data:image/png;base64,${image.toString('base64')}` }]);
		expect(sentMask).toEqual({ image_url: `data:image/png;base64,${mask.toString('base64')}` });
	});
});

describe('Edit and Variation: validation before any request', () => {
	const square = png(64, 64);
	const cases: Array<[string, string, Record<string, unknown>, Record<string, InputFile> | undefined, RegExp, RegExp?]> = [
		['a missing binary property', 'edit', { model: model('gpt-image-1'), prompt: 'a', binaryPropertyName: 'photo' }, { data: { data: square }, other: { data: square } },
			/Input Binary Properties: the item has no binary property "photo"/, /binary properties are: data, other\. Set Input Binary Properties/],
		['an item without binary data', 'edit', { model: model('gpt-image-1'), prompt: 'a' }, undefined,
			/the item has no binary property "data"/, /no binary data at all/],
		['all binary properties of an item without any', 'edit', { model: model('gpt-image-1'), prompt: 'a', imageSource: 'allBinary' }, undefined,
			/The item has no binary data to edit/],
		['a file that is not an image', 'edit', { model: model('gpt-image-1'), prompt: 'a' }, { data: { data: Buffer.from('hello, not a picture'), fileName: 'x.png', mimeType: 'image/png' } },
			/The input image in binary property "data" is not an image: its content is not PNG, JPEG, WebP or GIF \(the item says image\/png\)/],
		['two images for dall-e-2', 'edit', { model: model('dall-e-2'), prompt: 'a', binaryPropertyName: 'data, data_1' }, { data: { data: square }, data_1: { data: square } },
			/DALL·E 2 takes at most 1 input image per edit, got 2 \(data, data_1\)/, /GPT Image 2.6, GPT Image 2.5, GPT Image 2, GPT Image, GPT Image Mini/],
		['17 images for a GPT image model', 'edit', { model: model('gpt-image-1'), prompt: 'a', imageSource: 'allBinary' },
			Object.fromEntries(Array.from({ length: 17 }, (_, index) => [`image_${index}`, { data: square }])),
			/GPT Image takes at most 16 input images per edit, got 17/],
		['a JPEG for dall-e-2', 'edit', { model: model('dall-e-2'), prompt: 'a' }, { data: { data: jpeg(64, 64), mimeType: 'image/png' } },
			/DALL·E 2 takes PNG files as input image, but binary property "data" is JPEG/],
		['a non-square PNG for dall-e-2', 'edit', { model: model('dall-e-2'), prompt: 'a' }, { data: { data: png(96, 64) } },
			/DALL·E 2 needs a square input image, but binary property "data" is 96x64 pixels/],
		['a mask of other dimensions for dall-e-2', 'edit', { model: model('dall-e-2'), prompt: 'a', maskBinaryPropertyName: 'mask' }, { data: { data: square }, mask: { data: maskPng(32, 32) } },
			/The mask in binary property "mask" is 32x32 pixels, but the input image in "data" is 64x64/],
		['a mask of other dimensions for a GPT image model', 'edit', { model: model('gpt-image-1'), prompt: 'a', maskBinaryPropertyName: 'mask' }, { data: { data: png(40, 30) }, mask: { data: maskPng(30, 40) } },
			/mask .* is 30x40 pixels, but the input image in "data" is 40x30/],
		['a JPEG mask', 'edit', { model: model('gpt-image-1'), prompt: 'a', maskBinaryPropertyName: 'mask' }, { data: { data: square }, mask: { data: jpeg(64, 64) } },
			/GPT Image takes PNG files as mask, but binary property "mask" is JPEG/],
		['a missing mask property', 'edit', { model: model('gpt-image-1'), prompt: 'a', maskBinaryPropertyName: 'mask' }, { data: { data: square } },
			/Mask Binary Property: the item has no binary property "mask"/],
		['dall-e-3, which has no edit', 'edit', { model: model('dall-e-3'), prompt: 'a' }, { data: { data: square } },
			/The model "dall-e-3" \(DALL·E 3\) does not support the edit operation/],
		['a blank prompt', 'edit', { model: model('gpt-image-1'), prompt: ' ' }, { data: { data: square } }, /Prompt is empty/],
		['dall-e-2 in JSON mode', 'edit', { model: model('dall-e-2'), prompt: 'a', imageInputMode: 'json' }, { data: { data: square } },
			/DALL·E 2 takes input images only as file uploads/, /Upload Files/],
		['a GPT image model on images/generations in JSON mode', 'edit', { model: model('gpt-image-1'), prompt: 'a', imageInputMode: 'json', endpoint: 'generations' }, { data: { data: square } },
			/GPT Image models take image URLs in a JSON body only on images\/edits, not on images\/generations/, /Set Endpoint to Edits/],
		['a malformed image URL', 'edit', { model: model('doubao-seedream-3-0-t2i-250415'), prompt: 'a', imageInputMode: 'json', imageSource: 'urls', imageUrls: 'example.com/a.png' }, undefined,
			/Image URLs entry 1 is not an http\(s\) URL or a base64 data: URL/],
		['a data: URL that is not an image', 'edit', { model: model('doubao-seedream-3-0-t2i-250415'), prompt: 'a', imageInputMode: 'json', imageSource: 'urls', imageUrls: `https://example.com/a.png\ndata:image/png;base64,${Buffer.from('text').toString('base64')}` }, undefined,
			/The input image in Image URLs entry 2 is not an image/],
		['empty image URLs', 'edit', { model: model('doubao-seedream-3-0-t2i-250415'), prompt: 'a', imageInputMode: 'json', imageSource: 'urls', imageUrls: '  ' }, undefined,
			/Image URLs is empty/],
		['image URLs in upload mode', 'edit', { model: model('doubao-seedream-3-0-t2i-250415'), prompt: 'a', imageSource: 'urls', imageUrls: 'https://example.com/a.png' }, undefined,
			/needs Image Input Mode "URLs in JSON Body"/],
		['variation with a GPT image model', 'variation', { model: model('gpt-image-1') }, { data: { data: square } },
			/does not support the variation operation/, /Choose a model that does: dall-e-2/],
		['variation of a non-square PNG', 'variation', { model: model('dall-e-2') }, { data: { data: png(50, 40) } },
			/DALL·E 2 needs a square input image, but binary property "data" is 50x40 pixels/],
		['variation of a WebP', 'variation', { model: model('dall-e-2') }, { data: { data: webp(32, 32) } },
			/DALL·E 2 takes PNG files as input image, but binary property "data" is WebP/],
		['variation from a missing property', 'variation', { model: model('dall-e-2'), binaryPropertyName: 'image' }, { data: { data: square } },
			/Input Binary Property: the item has no binary property "image"/],
	];

	// Rows as objects: jest would take a missing last argument for a done callback.
	const table = cases.map(([name, operation, parameters, binary, message, description]) => ({ name, operation, parameters, binary, message, description }));
	test.each(table)('$name', async ({ operation, parameters, binary, message, description }) => {
		const input = await prepareItems([{ json: {}, ...(binary ? { binary } : {}) }]);
		const error = await run(operation, parameters, { items: input }).catch((caught) => caught);
		expect(error).toBeInstanceOf(Error);
		expect(error.constructor.name).toBe('NodeOperationError');
		expect(error.message).toMatch(message);
		if (description) expect(error.description).toMatch(description);
		expect(api.server.imageRequests()).toHaveLength(0);
	});

	test('a PNG over 4 MB for dall-e-2', async () => {
		const big = encodePng(renderPromptImage('big', 1500, 1500, { noise: true }));
		expect(big.length).toBeGreaterThan(4 * MB);
		const input = await items({ data: { data: big } });
		await expect(edit({ model: model('dall-e-2'), prompt: 'a' }, { items: input })).rejects.toThrow(
			/The input image in binary property "data" is 4\.\d MB, more than the 4\.0 MB DALL·E 2 accepts/,
		);
		await expect(variation({ model: model('dall-e-2') }, { items: input })).rejects.toThrow(/more than the 4\.0 MB DALL·E 2 accepts/);
		expect(api.server.imageRequests()).toHaveLength(0);
	});

	test('a file over 50 MB for a GPT image model', async () => {
		const huge = Buffer.concat([png(16, 16), Buffer.alloc(50 * MB)]);
		const input = await items({ data: { data: huge, fileName: 'huge.png' } });
		await expect(edit({ model: model('gpt-image-1'), prompt: 'a' }, { items: input })).rejects.toThrow(
			/The input image in binary property "data" is 50\.0 MB, more than the 50\.0 MB GPT Image accepts/,
		);
		expect(api.server.imageRequests()).toHaveLength(0);
	});

	test('one bad item stops the node before any item is sent', async () => {
		const input = await prepareItems([{ binary: { data: { data: png(16, 16) } } }, { binary: { other: { data: png(16, 16) } } }]);
		await expect(edit({ model: model('gpt-image-1'), prompt: 'a' }, { items: input })).rejects.toThrow(/no binary property "data"/);
		expect(api.server.imageRequests()).toHaveLength(0);
	});

	test('with Continue On Fail, an item with bad input becomes an error item and the others go on', async () => {
		const input = await prepareItems([
			{ binary: { data: { data: Buffer.from('not an image') } } },
			{ binary: { data: { data: png(16, 16) } } },
		]);
		const output: INodeExecutionData[] = await edit({ model: model('gpt-image-1'), prompt: 'Fine' }, { items: input, continueOnFail: true });
		expect(output).toHaveLength(2);
		expect(output[0].json.error).toMatch(/is not an image/);
		expect(output[0].pairedItem).toEqual({ item: 0 });
		expect(output[1].binary?.data).toMatchObject({ fileName: 'fine-1.png' });
		expect(output[1].pairedItem).toEqual({ item: 1 });
		expect(api.server.imageRequests()).toHaveLength(1);
	});
});

describe('Edit and Variation: gateways without the endpoint', () => {
	test('one-api answers edits with 501 api_not_implemented: the error says the gateway does not support edits', async () => {
		api.server.respondNext({
			status: 501,
			json: { error: { message: 'API not implemented', type: 'one_api_error', param: '', code: 'api_not_implemented' } },
			times: 3,
		});
		// Default Max Retries: a 501 is permanent, so it is sent once.
		const error = await edit(
			{ model: model('gpt-image-1'), prompt: 'a' },
			{ items: await items({ data: { data: png(16, 16) } }) },
		).catch((caught) => caught);
		expect(error.constructor.name).toBe('NodeApiError');
		expect(error.message).toBe('The server or gateway does not support image edits: API not implemented (HTTP 501)');
		expect(error.httpCode).toBe('501');
		expect(error.description).toMatch(/does not implement images\/edits/);
		expect(error.description).toMatch(/Image Input Mode "URLs in JSON Body"/);
		expect(api.server.imageRequests().map((request) => request.path)).toEqual(['/v1/images/edits']);
	});

	test('a gateway without variations: the error says so', async () => {
		api.server.respondNext({ status: 501, json: { error: { message: 'not implemented', type: 'new_api_error', code: 'not_implemented' } }, times: 3 });
		const error = await variation(
			{ model: model('dall-e-2'), options: { maxRetries: 0 } },
			{ items: await items({ data: { data: png(16, 16) } }) },
		).catch((caught) => caught);
		expect(error.message).toBe('The server or gateway does not support image variations: not implemented (HTTP 501)');
		expect(error.description).toMatch(/does not implement images\/variations/);
	});
});
