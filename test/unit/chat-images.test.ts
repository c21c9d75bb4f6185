/**
 * Image models behind chat completions (Gemini "nano banana" and others on OpenRouter, Vercel AI
 * Gateway, new-api): what the node sends to chat/completions, and every answer shape gateways use
 * turned into binary items exactly like Images API results. Runs the node in n8n-core's real
 * execution context against the loopback server, which imitates each shape (test/server/shapes.js).
 */
import { createHash } from 'node:crypto';

import { binaryBytes, prepareItems, runNode } from '../harness/n8n';
import { useImageServer } from '../harness/fixture';
import { encodeImage, renderPromptImage } from '../server/images';

const API_KEY = 'sk-chat-secret-key-456';
const api = useImageServer({ apiKey: API_KEY, imageSize: { width: 24, height: 16 } });
beforeEach(() => {
	api.server.reset();
	api.server.configure({ imageSize: { width: 24, height: 16 }, noise: false });
});

const model = (id: string) => ({ __rl: true, mode: 'id', value: id });
const run = (parameters: Record<string, unknown>, extra: Partial<Parameters<typeof runNode>[0]> = {}) =>
	runNode({ parameters: { operation: 'generate', model: model('gemini-2.5-flash-image'), ...parameters } as never, credentials: api.credentials, ...extra });
const sha = (bytes: Buffer) => createHash('sha256').update(bytes).digest('hex');
/** The pictures the server sent in its answers, in order. */
const served = () => api.server.imageRequests().flatMap((request) => request.images ?? []);

describe('Chat completions: the request', () => {
	test('a Gemini image model is sent as one user message with modalities image and text', async () => {
		const output = await run({ prompt: 'A red fox in the snow' });
		const [request] = api.server.imageRequests();
		expect(request.path).toBe('/v1/chat/completions');
		expect(request.headers.authorization).toBe(`Bearer ${API_KEY}`);
		expect(request.body).toEqual({
			model: 'gemini-2.5-flash-image',
			messages: [{ role: 'user', content: 'A red fox in the snow' }],
			modalities: ['image', 'text'],
		});
		expect(output).toHaveLength(1);
		expect(output[0].json).toMatchObject({
			model: 'gemini-2.5-flash-image',
			prompt: 'A red fox in the snow',
			text: 'Here is your image.',
			usage: { prompt_tokens: 12, completion_tokens: 1290, total_tokens: 1302 },
			width: 24,
			height: 16,
			index: 0,
			fileName: 'a-red-fox-in-the-snow-1.png',
			mimeType: 'image/png',
		});
		expect(output[0].pairedItem).toEqual({ item: 0 });
		expect(sha(await binaryBytes(output[0]))).toBe(served()[0].sha256);
	});

	test('aspect ratio and resolution go in image_config; Extra Body Fields add to it and can set modalities', async () => {
		const output = await run({
			model: model('google/gemini-3-pro-image-preview'),
			prompt: 'A poster',
			aspect_ratio: '16:9',
			resolution: '2K',
			options: { extraBody: '{"modalities": ["image"], "image_config": {"person_generation": "allow_all"}}' },
		});
		expect(api.server.imageRequests()[0].body).toEqual({
			model: 'google/gemini-3-pro-image-preview',
			messages: [{ role: 'user', content: 'A poster' }],
			modalities: ['image'],
			image_config: { aspect_ratio: '16:9', image_size: '2K', person_generation: 'allow_all' },
		});
		expect(output[0].json).toMatchObject({ aspect_ratio: '16:9', resolution: '2K' });
	});

	test('several images: one call each (chat models answer one image), in order, all paired with the item', async () => {
		const output = await run({ model: model('nano-banana-pro'), prompt: 'A lighthouse', n: 3 });
		const requests = api.server.imageRequests();
		expect(requests).toHaveLength(3);
		for (const request of requests) expect(request.body).not.toHaveProperty('n');
		expect(output.map((item) => item.json.index)).toEqual([0, 1, 2]);
		expect(output.map((item) => item.binary?.data.fileName)).toEqual(['a-lighthouse-1.png', 'a-lighthouse-2.png', 'a-lighthouse-3.png']);
		expect(output.map((item) => item.pairedItem)).toEqual([{ item: 0 }, { item: 0 }, { item: 0 }]);
	});

	test('an invalid aspect ratio fails before anything is sent, naming the field', async () => {
		await expect(run({ prompt: 'A cat', aspect_ratio: 'wide' })).rejects.toThrow(/Aspect Ratio "wide" is not valid for Chat Completions Image Models: use WIDTH:HEIGHT/);
		expect(api.server.imageRequests()).toHaveLength(0);
	});
});

describe('Chat completions: every answer shape becomes a binary item', () => {
	test.each([
		['message.images[] (OpenRouter, Vercel AI Gateway)', 'chatImages'],
		['image_url content parts', 'chatParts'],
		['inline base64 content parts', 'chatInline'],
		['Markdown data: URL in the content (new-api Gemini channels)', 'chatMarkdown'],
		['Markdown https URL in the content (downloaded)', 'chatMarkdownUrl'],
	] as const)('%s', async (_name, shape) => {
		api.server.respondNext({ shape });
		const output = await run({ prompt: 'A green parrot' });
		expect(output).toHaveLength(1);
		const bytes = await binaryBytes(output[0]);
		expect(sha(bytes)).toBe(served()[0].sha256);
		expect(output[0].binary?.data).toMatchObject({ mimeType: 'image/png', fileExtension: 'png', fileName: 'a-green-parrot-1.png' });
		// The Markdown is taken out of the text; the reply's words stay.
		expect(output[0].json.text).toBe('Here is your image.');
		const downloads = api.server.requests.filter((request) => request.kind === 'download');
		if (shape === 'chatMarkdownUrl') {
			expect(downloads).toHaveLength(1);
			// Downloads never carry the key.
			expect(downloads[0].headers.authorization).toBeUndefined();
			expect(output[0].json.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/files\//);
		} else {
			expect(downloads).toHaveLength(0);
		}
	});

	test('the type comes from the bytes, whatever the data: URL claims', async () => {
		api.server.respondNext({ shape: 'chatMarkdown', format: 'jpeg' });
		const output = await run({ prompt: 'A jpeg' });
		expect(output[0].binary?.data).toMatchObject({ mimeType: 'image/jpeg', fileExtension: 'jpg', fileName: 'a-jpeg-1.jpg' });
	});

	test('a large image in Markdown (beyond what the JSON reader keeps as a string) arrives whole', async () => {
		api.server.configure({ imageSize: { width: 400, height: 300 }, noise: true });
		api.server.respondNext({ shape: 'chatMarkdown' });
		const output = await run({ prompt: 'A noisy picture' });
		const bytes = await binaryBytes(output[0]);
		expect(bytes.length).toBeGreaterThan(200_000);
		expect(sha(bytes)).toBe(served()[0].sha256);
		expect(output[0].json).toMatchObject({ width: 400, height: 300, text: 'Here is your image.' });
	});

	test('several images in one answer, in any mix of shapes, each once', async () => {
		const first = encodeImage('png', renderPromptImage('first', 10, 10));
		const second = encodeImage('webp', renderPromptImage('second', 12, 12));
		const third = encodeImage('jpeg', renderPromptImage('third', 14, 14));
		const fourth = encodeImage('gif', renderPromptImage('fourth', 8, 8));
		const hosted = api.server.serve('/files/third.jpg', third, 'image/jpeg');
		const firstUrl = `data:image/png;base64,${first.toString('base64')}`;
		api.server.respondNext({
			json: {
				choices: [
					{
						message: {
							role: 'assistant',
							content: [
								{ type: 'text', text: `Two views:\n![a](${firstUrl})\nand ![b](${hosted} "the third")` },
								{ type: 'image_url', image_url: `data:image/webp;base64,${second.toString('base64')}` },
								// An image part with bare base64 (no data: prefix).
								{ type: 'image', image: fourth.toString('base64') },
							],
							// The same first image again, as some gateways repeat it.
							images: [{ type: 'image_url', image_url: { url: firstUrl } }],
						},
						finish_reason: 'stop',
					},
				],
				usage: { total_tokens: 3 },
			},
		});
		const output = await run({ prompt: 'Views' });
		expect(await Promise.all(output.map(async (item) => sha(await binaryBytes(item))))).toEqual([sha(first), sha(third), sha(second), sha(fourth)]);
		expect(output.map((item) => item.binary?.data.mimeType)).toEqual(['image/png', 'image/jpeg', 'image/webp', 'image/gif']);
		expect(output[0].json.text).toBe('Two views:\n\nand');
		expect(output[0].json.usage).toEqual({ total_tokens: 3 });
	});
});

describe('Chat completions: answers without an image', () => {
	test('text but no image is an error that says so and shows the text', async () => {
		api.server.respondNext({ shape: 'chatTextOnly' });
		await expect(run({ prompt: 'A fox' })).rejects.toThrow(
			'The model returned no image, only text: "I cannot draw that, but I can describe it: a fox in the snow."',
		);
	});

	test('with Continue On Fail it is an error item paired with its input, and the other items go on', async () => {
		api.server.respondNext({ shape: 'chatTextOnly', when: (request) => JSON.stringify(request.body).includes('first') });
		const output = await run(
			{ prompt: '={{ $json.prompt }}' },
			{ items: [{ json: { prompt: 'first' } }, { json: { prompt: 'second' } }], continueOnFail: true },
		);
		expect(output).toHaveLength(2);
		expect(output[0].json.error).toMatch(/The model returned no image, only text/);
		expect(output[0].json.description).toMatch(/modalities/);
		expect(output[0].pairedItem).toEqual({ item: 0 });
		expect(output[1].binary?.data.fileName).toBe('second-1.png');
		expect(output[1].pairedItem).toEqual({ item: 1 });
	});

	test('no text and no image is an error too', async () => {
		api.server.respondNext({ shape: 'chatEmpty' });
		await expect(run({ prompt: 'A fox' })).rejects.toThrow('The model returned no image and no text');
	});

	test('Markdown pointing at a URL that is not http(s) or data: is text, not an image', async () => {
		api.server.respondNext({ json: { choices: [{ message: { content: 'See ![x](file:///etc/passwd)' }, finish_reason: 'content_filter' }] } });
		const error = await run({ prompt: 'A fox' }).catch((failure: { message: string; description: string }) => failure);
		expect(error).toMatchObject({ message: 'The model returned no image, only text: "See ![x](file:///etc/passwd)"' });
		expect((error as { description: string }).description).toMatch(/finish_reason "content_filter"/);
		expect(api.server.requests.filter((request) => request.kind !== 'chat')).toHaveLength(0);
	});

	test('an error in a 200 answer is reported as the provider\'s error', async () => {
		api.server.respondNext({ json: { error: { message: 'Quota exceeded for this key', type: 'upstream_error' } } });
		await expect(run({ prompt: 'A fox' })).rejects.toThrow('Quota exceeded for this key (HTTP 200 with an error body)');
	});
});

describe('Chat completions: edit with reference images', () => {
	const png = encodeImage('png', renderPromptImage('reference one', 20, 20));
	const webp = encodeImage('webp', renderPromptImage('reference two', 16, 16));
	const edit = (parameters: Record<string, unknown>, extra: Partial<Parameters<typeof runNode>[0]> = {}) =>
		run({ operation: 'edit', ...parameters }, extra);

	test('binary images go in the user message as image_url parts with data: URLs, typed from the bytes', async () => {
		const items = await prepareItems([{ binary: { data: { data: png, fileName: 'one.png' }, data_1: { data: webp, fileName: 'two.bin', mimeType: 'application/octet-stream' } } }]);
		const output = await edit({ prompt: 'Put the two together', binaryPropertyName: 'data, data_1' }, { items });
		const [request] = api.server.imageRequests();
		expect(request.path).toBe('/v1/chat/completions');
		expect(request.body).toEqual({
			model: 'gemini-2.5-flash-image',
			messages: [
				{
					role: 'user',
					content: [
						{ type: 'text', text: 'Put the two together' },
						{ type: 'image_url', image_url: { url: `data:image/png;base64,${png.toString('base64')}` } },
						{ type: 'image_url', image_url: { url: `data:image/webp;base64,${webp.toString('base64')}` } },
					],
				},
			],
			modalities: ['image', 'text'],
		});
		expect(output[0].binary?.data.fileName).toBe('put-the-two-together-1.png');
		expect(output[0].json.text).toBe('Here is your image.');
	});

	test('image URLs are passed on as they are', async () => {
		await edit({ prompt: 'Restyle', imageInputMode: 'json', imageSource: 'urls', imageUrls: 'https://example.com/a.png\nhttps://example.com/b.jpg' });
		expect(api.server.imageRequests()[0].body.messages[0].content).toEqual([
			{ type: 'text', text: 'Restyle' },
			{ type: 'image_url', image_url: { url: 'https://example.com/a.png' } },
			{ type: 'image_url', image_url: { url: 'https://example.com/b.jpg' } },
		]);
	});

	test('chat models take no mask: the editor shows no mask field, and one left from another model is not sent', async () => {
		const items = await prepareItems([{ binary: { data: { data: png, fileName: 'one.png' }, mask: { data: png, fileName: 'mask.png' } } }]);
		await edit({ prompt: 'Fix', maskBinaryPropertyName: 'mask' }, { items });
		const content = api.server.imageRequests()[0].body.messages[0].content;
		expect(content.map((part: { type: string }) => part.type)).toEqual(['text', 'image_url']);
	});
});
