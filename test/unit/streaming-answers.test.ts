/**
 * Answers read as a stream: the JSON is parsed as it arrives and each inline image (base64 or a
 * data: URL, in the Images API's shapes and in chat answers' Markdown) is decoded chunk by chunk
 * into n8n's binary storage. Wherever the network cuts the answer, the image comes out the same;
 * an answer cut off yields a clear error and nothing half-stored.
 */
import { createHash } from 'node:crypto';
import { mkdtempSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';

import { InlineImage, JsonStreamReader, LongString, type ImageSink } from '../../nodes/OpenAiCompatibleImages/transport/json';
import { binaryBytes, useBinaryDataMode } from '../harness/n8n';
import { useImageServer } from '../harness/fixture';
import { encodePng, renderPromptImage } from '../server/images';

const sha = (bytes: Buffer) => createHash('sha256').update(bytes).digest('hex');

/** Receives what the reader decodes: the consumer an image sink is for. */
class CollectedImage implements ImageSink {
	readonly chunks: Buffer[] = [];
	ended = false;
	failure?: 'invalidBase64' | Error;
	write(bytes: Buffer): void {
		this.chunks.push(Buffer.from(bytes));
	}
	end(): void {
		this.ended = true;
	}
	fail(reason: 'invalidBase64' | Error): void {
		this.failure = reason;
	}
	get bytes(): Buffer {
		return Buffer.concat(this.chunks);
	}
}

/** Reads a document cut into pieces at `cuts`, taking strings of 64 bytes and more out (so that small images test every case). */
async function readInPieces(document: Buffer, cuts: number[]): Promise<{ value: unknown; images: CollectedImage[] }> {
	const images: CollectedImage[] = [];
	const reader = new JsonStreamReader({
		openImage: () => {
			const image = new CollectedImage();
			images.push(image);
			return image;
		},
		maxImageBytes: 1024 * 1024,
		maxHeldBytes: 1024 * 1024,
		liftAt: 64,
	});
	let start = 0;
	for (const cut of [...cuts, document.length]) {
		await reader.write(document.subarray(start, cut));
		start = cut;
	}
	return { value: reader.end(), images };
}

const png = encodePng(renderPromptImage('stream', 20, 20, { noise: true }));
const b64 = png.toString('base64');

/** Base64 as PHP and some gateways write it: lines of 76, CRLF as JSON escapes, slashes escaped, a space here and there. */
const wrapped = b64
	.replace(/(.{76})/g, '$1\\r\\n')
	.replace(/\//g, '\\/')
	.replace(/(.{300})/, '$1 ');

const documents: Array<[string, string, (value: any) => unknown]> = [
	['bare base64 in b64_json', `{"created":1,"data":[{"b64_json":"${b64}","revised_prompt":"a \\"quoted\\" \\\\ prompt"}],"usage":{"total_tokens":5}}`, (value) => value.data[0].b64_json],
	['a data: URL (its media type with an escaped slash)', `{"data":[{"url":"data:image\\/png;base64,${b64}"}]}`, (value) => value.data[0].url],
	['base64 with whitespace, CRLF escapes and escaped slashes', `{"data":[{"b64_json":"${wrapped}"}]}`, (value) => value.data[0].b64_json],
];

describe('the streaming reader, wherever the answer is cut', () => {
	test.each(documents)('%s: split at every byte position, and one byte at a time', async (_name, text, pick) => {
		const document = Buffer.from(text);
		const expected = JSON.parse(text.replace(/"[A-Za-z0-9+/=\\ :;,]{64,}"/g, '"x"'));
		const check = ({ value, images }: { value: unknown; images: CollectedImage[] }) => {
			expect(images).toHaveLength(1);
			expect(images[0].failure).toBeUndefined();
			expect(images[0].ended).toBe(true);
			expect(images[0].bytes.equals(png)).toBe(true);
			const long = pick(value) as LongString;
			expect(long).toBeInstanceOf(LongString);
			expect(long.image).toBeInstanceOf(InlineImage);
			// Everything else parses as it would in one piece.
			const shown = JSON.stringify(value, function (this: Record<string, unknown>, key: string, field: unknown) {
				return this[key] instanceof LongString ? 'x' : field;
			});
			expect(JSON.parse(shown)).toEqual(expected);
		};
		for (let cut = 1; cut < document.length; cut++) check(await readInPieces(document, [cut]));
		check(await readInPieces(document, Array.from({ length: document.length - 1 }, (_, index) => index + 1)));
	});

	test('a chat answer with a Markdown image in its text: the image taken out, the text kept, at every cut', async () => {
		const text = `{"choices":[{"message":{"role":"assistant","content":"Here it is: ![a cat](data:image/png;base64,${b64}) \\u00e9t\\u00e9."}}]}`;
		const document = Buffer.from(text);
		for (let cut = 1; cut < document.length; cut += 1) {
			const { value, images } = await readInPieces(document, [cut]);
			expect(images).toHaveLength(1);
			expect(images[0].bytes.equals(png)).toBe(true);
			const content = (value as any).choices[0].message.content as LongString;
			expect(content.text?.toString()).toBe('Here it is: ![a cat](data:image/x-taken-out;base64,0) \\u00e9t\\u00e9.');
		}
	});

	test('a value that turns out not to be base64 fails its image, and the rest of the answer is read', async () => {
		const document = Buffer.from(`{"data":[{"b64_json":"${b64.slice(0, 200)}%%%${b64.slice(200)}"}],"created":7}`);
		for (const cut of [10, 200, 240, 260]) {
			const { value, images } = await readInPieces(document, [cut]);
			expect(images[0].failure).toBe('invalidBase64');
			expect((value as any).created).toBe(7);
		}
	});

	test('an answer cut off in the middle of an image is not JSON, and its image is failed, not ended', async () => {
		const document = Buffer.from(`{"data":[{"b64_json":"${b64}"}]}`);
		const images: CollectedImage[] = [];
		const reader = new JsonStreamReader({
			openImage: () => {
				images.push(new CollectedImage());
				return images[images.length - 1];
			},
			maxImageBytes: 1 << 20,
			maxHeldBytes: 1 << 20,
			liftAt: 64,
		});
		await reader.write(document.subarray(0, 500));
		expect(() => reader.end()).toThrow(SyntaxError);
		expect(images[0].ended).toBe(false);
		expect(images[0].failure).toBeInstanceOf(Error);
	});
});

describe('streamed answers through the node', () => {
	// Pictures drawn at the size asked.
	const api = useImageServer({ apiKey: 'k', imageSize: undefined });
	let storage: string;
	const large = encodePng(renderPromptImage('large stream', 300, 300, { noise: true }));
	const largeB64 = large.toString('base64');

	beforeAll(async () => {
		storage = mkdtempSync(path.join(tmpdir(), 'n8n-stream-'));
		await useBinaryDataMode('filesystem', storage);
	});

	const generate = (model = 'flux-dev', options: Record<string, unknown> = {}) =>
		api.run({ operation: 'generate', model: api.model(model), prompt: 'Streamed', options: { maxRetries: 0, ...options } });

	/** Every file n8n's filesystem storage holds (not its metadata). */
	const storedFiles = () => {
		const files: string[] = [];
		const walk = (dir: string) => {
			for (const name of readdirSync(dir)) {
				const full = path.join(dir, name);
				if (statSync(full).isDirectory()) walk(full);
				else if (!name.endsWith('.metadata')) files.push(full);
			}
		};
		walk(storage);
		return files;
	};

	test('an answer sent in pieces of 997 bytes: images stored whole, with their facts', async () => {
		expect(largeB64.length).toBeGreaterThan(64 * 1024);
		const text = JSON.stringify({ created: 1, data: [{ b64_json: largeB64 }, { b64_json: `data:image/png;base64,${largeB64}` }] });
		api.server.respondNext({ status: 200, text, chunkBytes: 997 });
		const output = await api.run({ operation: 'generate', model: api.model('dall-e-2'), prompt: 'Streamed', n: 2, options: { maxRetries: 0 } });
		expect(output).toHaveLength(2);
		for (const item of output) {
			expect(sha(await binaryBytes(item))).toBe(sha(large));
			expect(item.json).toMatchObject({ width: 300, height: 300, mimeType: 'image/png' });
			// Stored as a file by n8n 2.x's filesystem mode, not kept in the item.
			expect(item.binary?.data.id).toMatch(/^filesystem/);
		}
	});

	test('a chat answer with a large Markdown image, in pieces: the image stored, the text kept', async () => {
		const text = JSON.stringify({
			choices: [{ message: { role: 'assistant', content: `Here you go.\n\n![image](data:image/png;base64,${largeB64})` }, finish_reason: 'stop' }],
		});
		api.server.respondNext({ status: 200, text, chunkBytes: 1499 });
		const [item] = await generate('google/gemini-2.5-flash-image');
		expect(sha(await binaryBytes(item))).toBe(sha(large));
		expect(item.json).toMatchObject({ width: 300, height: 300, text: 'Here you go.' });
	});

	test('an answer cut off after its first image: a clear error, no image in the output, no partial file left', async () => {
		const before = new Set(storedFiles());
		api.server.respondNext({ truncate: true, count: 2 });
		await expect(generate('dall-e-2')).rejects.toThrow(/connection|closed|reset|ended|socket|aborted/i);
		// Whatever storage kept is whole: every file is a complete image, none a partial one.
		for (const file of storedFiles().filter((name) => !before.has(name))) {
			const bytes = readFileSync(file);
			expect(bytes.subarray(bytes.length - 8).toString('latin1')).toBe('IEND\xaeB`\x82');
		}
		expect(readdirSync(storage, { recursive: true }).filter((name) => String(name).includes('.tmp.'))).toEqual([]);
	});

	test('an answer that ends cleanly but in the middle of an image: "not a JSON object", nothing stored for it', async () => {
		const text = JSON.stringify({ data: [{ b64_json: largeB64 }] });
		api.server.respondNext({ status: 200, text: text.slice(0, Math.floor(text.length / 2)), chunkBytes: 4096 });
		const before = storedFiles().length;
		await expect(generate()).rejects.toThrow(/HTTP 200 with a body that is not a JSON object/);
		expect(storedFiles()).toHaveLength(before);
		expect(readdirSync(storage, { recursive: true }).filter((name) => String(name).includes('.tmp.'))).toEqual([]);
	});

	test('a large image past Max Response Size stops reading there', async () => {
		const text = JSON.stringify({ data: [{ b64_json: encodePng(renderPromptImage('big', 700, 700, { noise: true })).toString('base64') }] });
		api.server.respondNext({ status: 200, text });
		await expect(generate('dall-e-2', { maxResponseSize: 1 })).rejects.toThrow(/is larger than the Max Response Size of 1 MB$/);
	});

	test('n images may take n times Max Response Size in all, each at most the limit', async () => {
		const picture = encodePng(renderPromptImage('three', 430, 430, { noise: true })).toString('base64');
		expect(picture.length).toBeGreaterThan(512 * 1024);
		expect(picture.length).toBeLessThan(1024 * 1024);
		const text = JSON.stringify({ data: [{ b64_json: picture }, { b64_json: picture }, { b64_json: picture }] });
		api.server.respondNext({ status: 200, text });
		const output = await api.run({ operation: 'generate', model: api.model('dall-e-2'), prompt: 'Three', n: 3, options: { maxRetries: 0, maxResponseSize: 1 } });
		expect(output).toHaveLength(3);
		// The same answer for n=1 is more than one Max Response Size.
		api.server.respondNext({ status: 200, text });
		await expect(generate('dall-e-2', { maxResponseSize: 1 })).rejects.toThrow(/The answer from .* is larger than the Max Response Size of 1 MB$/);
	});

	// Last: it switches this file's binary storage to n8n 1.x's default.
	test('with binary data kept in memory (n8n 1.x default mode), streamed images are stored the same', async () => {
		await useBinaryDataMode('default');
		const text = JSON.stringify({ data: [{ b64_json: largeB64 }] });
		api.server.respondNext({ status: 200, text, chunkBytes: 997 });
		const [item] = await generate();
		expect(item.binary?.data.id).toBeUndefined();
		expect(sha(Buffer.from(item.binary?.data.data ?? '', 'base64'))).toBe(sha(large));
		expect(item.json).toMatchObject({ width: 300, height: 300, mimeType: 'image/png' });
	});
});
