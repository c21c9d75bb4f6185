/**
 * Image URLs stream into n8n's binary storage: the file grows on disk while the download is
 * still coming in, a download that fails half-way leaves no file behind and is retried whole,
 * and the image's type and size are read from its first bytes (JPEG metadata included).
 * Runs in n8n-core's real execution context, HTTP layer and filesystem binary storage (n8n 2.x's
 * default), and once in memory mode (n8n 1.x's default).
 */
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as http from 'node:http';
import * as os from 'node:os';
import * as path from 'node:path';

import type { INodeExecutionData } from 'n8n-workflow';

import { peekStream } from '../../nodes/OpenAiCompatibleImages/transport/stream';
import { watchUnhandledRejections } from '../harness/checks';
import { useImageServer } from '../harness/fixture';
import { binaryBytes, useBinaryDataMode } from '../harness/n8n';
import { encodeImage, encodePng, renderPromptImage } from '../server/images';

jest.setTimeout(20_000);

// Pictures drawn at the size asked.
const api = useImageServer({ apiKey: 'k', imageSize: undefined });
let sandbox: string;
let storage: string;
const unhandled = watchUnhandledRejections();
const sha = (bytes: Buffer) => createHash('sha256').update(bytes).digest('hex');
// Noise does not compress: about 4 bytes a pixel, so 1024x1024 is a 4 MB PNG.
const bigPng = encodePng(renderPromptImage('big', 1024, 1024, { noise: true }));

beforeAll(async () => {
	sandbox = fs.mkdtempSync(path.join(os.tmpdir(), 'n8n-images-downloads-'));
	storage = path.join(sandbox, 'storage');
	fs.mkdirSync(storage);
	await useBinaryDataMode('filesystem', storage);
});
afterAll(async () => {
	fs.rmSync(sandbox, { recursive: true, force: true });
	unhandled.stop();
});
afterEach(async () => {
	await new Promise((resolve) => setTimeout(resolve, 20));
	unhandled.check();
});

/** Every file below the storage folder, with its size. */
function storedFiles(): Array<{ file: string; size: number }> {
	const found: Array<{ file: string; size: number }> = [];
	const walk = (dir: string) => {
		for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
			const full = path.join(dir, entry.name);
			if (entry.isDirectory()) walk(full);
			else found.push({ file: path.relative(storage, full), size: fs.statSync(full).size });
		}
	};
	walk(storage);
	return found;
}
const imageFiles = () => storedFiles().filter(({ file }) => !file.endsWith('.metadata'));

async function until<T>(probe: () => T | undefined, what: string, ms = 5000): Promise<T> {
	const end = Date.now() + ms;
	for (;;) {
		const value = probe();
		if (value !== undefined) return value;
		if (Date.now() > end) throw new Error(`Timed out waiting for ${what}`);
		await new Promise((resolve) => setTimeout(resolve, 10));
	}
}

/** The provider answers with a URL to `bytes`; `download` shapes how the download goes. */
function answerWithUrl(name: string, bytes: Buffer, mimeType = 'image/png') {
	const url = api.server.serve(`/files/${name}`, bytes, mimeType);
	api.server.respondNext({ json: { created: 1, data: [{ url }] } });
	return url;
}

const generate = async (options: Record<string, unknown> = {}, abortSignal?: AbortSignal) =>
	await api.run(
		{
			operation: 'generate',
			model: api.model('flux-dev'),
			prompt: 'A download',
			options: { maxRetries: 0, ...options },
		},
		{ abortSignal },
	);

describe('downloads stream into binary storage', () => {
	beforeEach(() => fs.rmSync(storage, { recursive: true, force: true }));

	test('the file grows on disk while the download is still coming in', async () => {
		let release = () => {};
		const paused = new Promise<void>((resolve) => (release = resolve));
		answerWithUrl('big.png', bigPng);
		api.server.respondNext({ only: 'download', pauseUntil: paused });
		const run = generate();
		// The server has sent half the image and waits: a node that buffered the download would
		// have written nothing yet.
		const partial = await until(() => {
			const file = fs.existsSync(storage) ? imageFiles().find(({ size }) => size >= 1024 * 1024) : undefined;
			return file;
		}, 'a partly written image file');
		expect(partial.size).toBeLessThan(bigPng.length);
		release();
		const [item] = await run;
		expect(sha(await binaryBytes(item))).toBe(sha(bigPng));
		expect(item.binary?.data).toMatchObject({
			id: expect.stringMatching(/^filesystem-v2:/),
			mimeType: 'image/png',
			fileExtension: 'png',
			bytes: bigPng.length,
		});
		expect(item.json).toMatchObject({ width: 1024, height: 1024, url: `${api.server.url}/files/big.png` });
		// One stored image, no temporary file left.
		expect(imageFiles()).toEqual([{ file: expect.not.stringContaining('.tmp'), size: bigPng.length }]);
	});

	test('a download that stalls half-way is dropped from storage and retried whole', async () => {
		answerWithUrl('stalls.png', bigPng);
		api.server.respondNext({ only: 'download', stall: true });
		const [item] = await generate({ maxRetries: 1, timeout: 1 });
		const downloads = api.server.requests.filter((request) => request.kind === 'download');
		expect(downloads).toHaveLength(2);
		expect(sha(await binaryBytes(item))).toBe(sha(bigPng));
		expect(imageFiles()).toEqual([{ file: expect.not.stringContaining('.tmp'), size: bigPng.length }]);
	});

	test('a download reset half-way is retried whole', async () => {
		answerWithUrl('resets.png', bigPng);
		api.server.respondNext({ only: 'download', reset: true });
		const [item] = await generate({ maxRetries: 1 });
		expect(api.server.requests.filter((request) => request.kind === 'download')).toHaveLength(2);
		expect(sha(await binaryBytes(item))).toBe(sha(bigPng));
		expect(imageFiles()).toHaveLength(1);
	});

	test('a download that fails for good leaves no file behind', async () => {
		answerWithUrl('fails.png', bigPng);
		api.server.respondNext({ only: 'download', stall: true, times: 2 });
		await expect(generate({ maxRetries: 1, timeout: 1 })).rejects.toThrow(
			/^Could not download the image from 127\.0\.0\.1:\d+: no complete answer within 1 s \(after 2 attempts\)$/,
		);
		// Storage removes its temporary file once the destroyed stream has failed its write.
		await until(() => (!fs.existsSync(storage) || imageFiles().length === 0 ? true : undefined), 'the partial file to go', 2000);
	});

	test('cancelling the execution mid-download ends the run at once and drops the partial file', async () => {
		const controller = new AbortController();
		answerWithUrl('cancelled.png', bigPng);
		api.server.respondNext({ only: 'download', stall: true });
		const run = generate({ timeout: 60 }, controller.signal);
		await until(() => (fs.existsSync(storage) ? imageFiles().find(({ size }) => size > 0) : undefined), 'a partly written file');
		const cancelledAt = Date.now();
		controller.abort();
		await expect(run).rejects.toThrow('The execution was cancelled');
		expect(Date.now() - cancelledAt).toBeLessThan(1000);
		await until(() => (imageFiles().length === 0 ? true : undefined), 'the partial file to go', 2000);
	});
});

/** A JPEG with `count` APP15 metadata segments of 60 KB before its frame header. */
function jpegWithMetadata(count: number): Buffer {
	const jpeg = encodeImage('jpeg', renderPromptImage('meta', 40, 30));
	const segment = Buffer.alloc(60_000 + 4, 0x20);
	segment.writeUInt16BE(0xffef, 0);
	segment.writeUInt16BE(60_000 + 2, 2);
	return Buffer.concat([jpeg.subarray(0, 2), ...Array.from({ length: count }, () => segment), jpeg.subarray(2)]);
}

describe('type and size come from the first bytes of a download', () => {
	test.each([
		['png', encodeImage('png', renderPromptImage('p', 40, 30)), 'image/png', 'png'],
		['webp', encodeImage('webp', renderPromptImage('w', 40, 30)), 'image/webp', 'webp'],
		['gif', encodeImage('gif', renderPromptImage('g', 40, 30)), 'image/gif', 'gif'],
		['jpeg', encodeImage('jpeg', renderPromptImage('j', 40, 30)), 'image/jpeg', 'jpg'],
		['jpeg with 300 KB of metadata first', jpegWithMetadata(5), 'image/jpeg', 'jpg'],
	])('%s', async (name, bytes, mimeType, extension) => {
		// The server says octet-stream: the node goes by the bytes.
		answerWithUrl(`typed-${name.replace(/\W+/g, '-')}`, bytes, 'application/octet-stream');
		const [item] = await generate();
		expect(item.json).toMatchObject({ width: 40, height: 30, mimeType, fileName: `a-download-1.${extension}` });
		expect(item.binary?.data).toMatchObject({ mimeType, fileExtension: extension });
		expect(sha(await binaryBytes(item))).toBe(sha(bytes));
	});

	test('a JPEG whose frame header lies beyond 512 KB is stored whole, without dimensions', async () => {
		const bytes = jpegWithMetadata(10);
		answerWithUrl('deep.jpg', bytes, 'image/jpeg');
		const [item] = await generate();
		expect(item.json).toMatchObject({ mimeType: 'image/jpeg' });
		expect(item.json.width).toBeUndefined();
		expect(sha(await binaryBytes(item))).toBe(sha(bytes));
	});
});

describe('in memory mode (n8n 1.x default)', () => {
	beforeAll(async () => await useBinaryDataMode('default'));
	afterAll(async () => await useBinaryDataMode('filesystem', storage));

	// A small image arrives in one chunk, a large one in many (the race a one-chunk body can hit
	// is reproduced deterministically in the peekStream tests below).
	test.each([
		['a small image (one chunk)', encodePng(renderPromptImage('small', 48, 48, { noise: true })), 48],
		['a 4 MB image', bigPng, 1024],
	])('%s is kept in the item as base64', async (_name, png, side) => {
		answerWithUrl(`memory-${side}.png`, png);
		const [item]: INodeExecutionData[] = await generate();
		expect(item.binary?.data.id).toBeUndefined();
		expect(Buffer.from(item.binary?.data.data ?? '', 'base64').equals(png)).toBe(true);
		expect(item.json).toMatchObject({ width: side, height: side, mimeType: 'image/png' });
	});
});

describe('peekStream on a real HTTP response', () => {
	/** A response whose whole body (and its end) has arrived before it is peeked at. */
	async function arrivedResponse(body: Buffer): Promise<http.IncomingMessage> {
		const url = api.server.serve('/files/arrived.bin', body, 'application/octet-stream');
		const response = await new Promise<http.IncomingMessage>((resolve) => http.get(url, resolve));
		await new Promise((resolve) => setTimeout(resolve, 50));
		return response;
	}
	/** Reads the rest the way n8n 1.x's streamToBuffer does: 'data' and 'end' listeners. */
	const readWithDataEvents = async (stream: http.IncomingMessage) =>
		await new Promise<Buffer>((resolve, reject) => {
			const chunks: Buffer[] = [];
			const timer = setTimeout(() => reject(new Error('no end event within 2 s')), 2000);
			stream.on('data', (chunk: Buffer) => chunks.push(chunk));
			stream.on('end', () => {
				clearTimeout(timer);
				resolve(Buffer.concat(chunks));
			});
			stream.once('error', reject);
		});

	// Found on n8n 1.x: a small image whose whole body (and its end) had arrived before the peek.
	// The bytes read to check it must go back in the same tick, before the stream emits 'end',
	// or n8n's reader (data and end listeners) waits for ever. This test fails when they go back later.
	test('a body that has fully arrived is put back whole, and still ends', async () => {
		const body = Buffer.alloc(9000, 7);
		const stream = await arrivedResponse(body);
		const { head, ended } = await peekStream(stream, (start) => start.length >= 64, 512 * 1024);
		expect(ended).toBe(false);
		expect(head.length).toBeGreaterThanOrEqual(64);
		expect((await readWithDataEvents(stream)).equals(body)).toBe(true);
	});

	test('a body shorter than asked for is returned whole, as ended', async () => {
		const stream = await arrivedResponse(Buffer.from('short'));
		await expect(peekStream(stream, (start) => start.length >= 64, 512 * 1024)).resolves.toEqual({
			head: Buffer.from('short'),
			ended: true,
		});
	});
});
