/**
 * Inline images of 64 KB and more are decoded into n8n's binary storage while the answer is read
 * (transport/json.ts). These tests send such images through every inline shape.
 */
import { createHash } from 'node:crypto';

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
