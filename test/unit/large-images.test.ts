/**
 * Inline images of 64 KB and more stay in the response bytes and are decoded from them
 * (transport/json.ts). These tests send such images through every inline shape.
 */
import { createHash, randomBytes } from 'node:crypto';

import { LongString, decodeBase64Bytes, parseJsonWithLongStrings } from '../../nodes/OpenAiCompatibleImages/transport/json';
import { binaryBytes, runNode } from '../harness/n8n';
import { startImageServer } from '../server/image-server';
import { encodePng, renderPromptImage } from '../server/images';

type Server = Awaited<ReturnType<typeof startImageServer>>;

let server: Server;
const png = encodePng(renderPromptImage('large', 256, 256, { noise: true }));
const sha = (bytes: Buffer) => createHash('sha256').update(bytes).digest('hex');

beforeAll(async () => {
	server = await startImageServer({ apiKey: 'k' });
});
afterAll(async () => await server.close());
beforeEach(() => server.reset());

const generate = async () =>
	await runNode({
		parameters: { operation: 'generate', model: { __rl: true, mode: 'id', value: 'flux-dev' }, prompt: 'Large', options: { maxRetries: 0 } } as never,
		credentials: { baseUrl: server.baseUrl, apiKey: 'k', authentication: 'bearer' },
	});

describe('inline images larger than 64 KB', () => {
	const b64 = png.toString('base64');
	test.each([
		['b64_json', JSON.stringify({ created: 1, data: [{ b64_json: b64 }] })],
		['data: URL in b64_json', JSON.stringify({ data: [{ b64_json: `data:image/png;base64,${b64}` }] })],
		['data: URL in url', JSON.stringify({ data: [{ url: `DATA:image/png;base64,${b64}`, b64_json: '' }] })],
		['SiliconFlow images[]', JSON.stringify({ images: [{ url: `data:image/png;base64,${b64}` }], seed: 1 })],
		['escaped slashes and wrapped lines (PHP-style JSON)', `{"data":[{"b64_json":"${b64.replace(/(.{76})/g, '$1\\n').replace(/\//g, '\\/')}"}]}`],
	])('%s', async (_name, body) => {
		expect(png.length * 1.33).toBeGreaterThan(64 * 1024);
		server.respondNext({ status: 200, text: body });
		const [item] = await generate();
		expect(sha(await binaryBytes(item))).toBe(sha(png));
		expect(item.json).toMatchObject({ width: 256, height: 256, mimeType: 'image/png' });
	});

	test('long data that is not base64 is reported as such', async () => {
		server.respondNext({ status: 200, text: JSON.stringify({ data: [{ b64_json: `${b64.slice(0, 70000)}%%%` }] }) });
		await expect(generate()).rejects.toThrow('The provider returned image data that is not valid base64');
	});

	test('a long value that is not a data: URL is not fetched', async () => {
		server.respondNext({ status: 200, text: JSON.stringify({ data: [{ url: `https://example.com/${'a'.repeat(70000)}` }] }) });
		await expect(generate()).rejects.toThrow('The provider returned an image URL that is too long to be a web address');
		expect(server.requests.filter((request) => request.kind === 'download')).toHaveLength(0);
	});
});

describe('parseJsonWithLongStrings and decodeBase64Bytes', () => {
	test('short values parse as usual, long ones stay bytes, escapes elsewhere survive', () => {
		const long = 'A'.repeat(70000);
		const parsed = parseJsonWithLongStrings(Buffer.from(JSON.stringify({ a: 'say "hi"\\', list: [1, long], long }))) as {
			a: string;
			list: [number, LongString];
			long: LongString;
		};
		expect(parsed.a).toBe('say "hi"\\');
		expect(parsed.list[1]).toBeInstanceOf(LongString);
		expect(parsed.long.length).toBe(70000);
		expect(JSON.stringify(parsed.long)).toBe('"[70000 characters of inline data]"');
	});

	test('malformed JSON still fails', () => {
		expect(() => parseJsonWithLongStrings(Buffer.from(`{"data": [{"b64_json": "${'A'.repeat(70000)}`))).toThrow();
	});

	test.each([0, 1, 2, 3, 4, 5, 57, 1000, 100000])('%i random bytes round-trip in base64 and base64url', (length) => {
		const bytes = randomBytes(length);
		expect(decodeBase64Bytes(Buffer.from(bytes.toString('base64')))?.equals(bytes)).toBe(true);
		expect(decodeBase64Bytes(Buffer.from(bytes.toString('base64url')))?.equals(bytes)).toBe(true);
	});

	test.each(['%%%', 'aGk\\x', 'a', 'aGk$'])('%s is not base64', (text) => {
		expect(decodeBase64Bytes(Buffer.from(text))).toBeUndefined();
	});

	// Long values are decoded natively a slice (32 KB of text) at a time; anything unusual in any slice
	// (escapes, line breaks, garbage) must reach the careful decoder, which accepts or rejects it.
	describe('values of many native slices', () => {
		const bytes = randomBytes(3 * 1024 * 1024 + 2);
		const text = bytes.toString('base64');
		const at = 1024 * 1024 + 4 * 1000 + 1; // in a slice far from the first, not on a boundary
		test('round-trip, also as base64url', () => {
			expect(decodeBase64Bytes(Buffer.from(text))?.equals(bytes)).toBe(true);
			expect(decodeBase64Bytes(Buffer.from(bytes.toString('base64url')))?.equals(bytes)).toBe(true);
		});
		test('escaped slashes and wrapped lines in a later slice decode the same', () => {
			const escaped = `${text.slice(0, at)}\\n${text.slice(at).replace(/\//g, '\\/')}`;
			expect(decodeBase64Bytes(Buffer.from(escaped))?.equals(bytes)).toBe(true);
		});
		test.each(['%', '$', '"', '\\x'])('%s in a later slice makes it invalid', (bad) => {
			expect(decodeBase64Bytes(Buffer.from(`${text.slice(0, at)}${bad}${text.slice(at + 1)}`))).toBeUndefined();
		});
	});
});
