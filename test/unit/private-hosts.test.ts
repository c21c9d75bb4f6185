/**
 * The private-host policy for image URLs, on loopback only: the Base URL on 127.0.0.1 (its own
 * origin is allowed, not the other ports of its host), image hosts on 127.0.0.2, a redirect to such an address, and a host name (`localhost`) that resolves
 * to one (DNS rebinding: dns-rebinding.test.ts). Nothing a refused (or non-image) private host answers is echoed.
 */
import { startImageServer } from '../server/image-server';
import { encodeImage, renderPromptImage } from '../server/images';
import { binaryBytes } from '../harness/n8n';
import { TEST_API_KEY, useImageServer } from '../harness/fixture';
import { isPrivateAddress } from '../../nodes/OpenAiCompatibleImages/transport/addresses';

const SECRET = Buffer.from('{"service":"internal-admin","db_password":"hunter2-do-not-leak"}');
const api = useImageServer({ imageSize: { width: 8, height: 8 } });
/** An image host on 127.0.0.2: no key, pictures at the size asked. */
const internal = useImageServer({ host: '127.0.0.2', apiKey: '', imageSize: undefined });
const png = encodeImage('png', renderPromptImage('private', 8, 8));

/** The provider answers with this image URL. */
function answerWithUrl(url: string) {
	api.server.respondNext({ json: { created: 1, data: [{ url }] } });
}
const generate = (options: Record<string, unknown> = {}, base = api.credentials) =>
	api.run({ operation: 'generate', model: api.model('flux-dev'), prompt: 'Private', options: { maxRetries: 0, ...options } }, { credentials: base });
const failure = async (run: Promise<unknown>) => {
	const error = (await run.then(() => new Error('expected a failure'), (caught: Error) => caught)) as Error & { description?: string };
	const shown = JSON.stringify({ message: error.message, description: error.description, error });
	expect(shown).not.toContain('hunter2');
	expect(shown).not.toContain('internal-admin');
	expect(shown).not.toContain('vault-proxy');
	return error;
};
const REFUSED = /^The image URL points at a private address: /;

describe('Image URLs on private addresses', () => {
	test('an image URL on 127.0.0.2 is refused before anything is sent to it', async () => {
		answerWithUrl(internal.server.serve('/admin.json', SECRET, 'application/json'));
		const error = await failure(generate());
		expect(error.message).toMatch(new RegExp(`${REFUSED.source}127\\.0\\.0\\.2:${internal.server.port}$`));
		expect(error.description).toMatch(/enable the option Allow Private Image Hosts/);
		expect(internal.server.requests).toHaveLength(0);
	});

	test('with Allow Private Image Hosts it is downloaded', async () => {
		answerWithUrl(internal.server.serve('/image.png', png));
		const [item] = await generate({ allowPrivateImageHosts: true });
		expect(await binaryBytes(item)).toEqual(png);
		expect(item.json.url).toBe(`${internal.server.url}/image.png`);
	});

	test("another port of the Base URL's host (a service beside a gateway on the n8n host) is refused; nothing is sent to it", async () => {
		const beside = await startImageServer();
		try {
			answerWithUrl(beside.serve('/admin/config', SECRET, 'application/json'));
			const error = await failure(generate());
			expect(error.message).toBe(`The image URL points at a private address: 127.0.0.1:${beside.port}`);
			expect(beside.requests).toHaveLength(0);
		} finally {
			await beside.close();
		}
	});

	test("the Base URL's own origin is allowed; an answer from it that is not an image is not shown", async () => {
		answerWithUrl(api.server.serve('/files/own.png', png));
		const [item] = await generate();
		expect(await binaryBytes(item)).toEqual(png);

		answerWithUrl(api.server.serve('/admin/config', SECRET, 'application/json'));
		const error = await failure(generate());
		expect(error.message).toBe(`The provider returned data that is not a PNG, JPEG, WebP, GIF or SVG image from ${api.server.url}/admin/config`);
		expect(error.description).toBe('It came from a private address, so nothing of it is shown.');
	});

	test("the Base URL's own origin answering a 403 page: its text is not shown", async () => {
		api.server.respondNext({ only: 'download', status: 403, text: 'forbidden: internal-only endpoint. service=vault-proxy token-hint=hunter2' });
		answerWithUrl(`${api.server.url}/files/vault.png`);
		const error = await failure(generate());
		expect(error.message).toBe(`Downloading the image from 127.0.0.1:${api.server.port} failed: the private host's answer is not shown (HTTP 403)`);
		expect(JSON.stringify(error)).not.toContain('vault-proxy');
	});

	test('with Allow Private Image Hosts, another local port is fetched, and its answers are still not shown (also through a redirect)', async () => {
		const beside = await startImageServer();
		try {
			beside.serve('/admin/config', SECRET, 'application/json');
			answerWithUrl(`${beside.url}/admin/config`);
			const notImage = await failure(generate({ allowPrivateImageHosts: true }));
			expect(notImage.message).toBe(`The provider returned data that is not a PNG, JPEG, WebP, GIF or SVG image from ${beside.url}/admin/config`);
			expect(notImage.description).toBe('It came from a private address, so nothing of it is shown.');

			beside.respondNext({ only: 'download', status: 403, text: 'forbidden: internal-only endpoint. service=vault-proxy token-hint=hunter2' });
			api.server.respondNext({ only: 'download', redirect: `${beside.url}/files/vault.png` });
			answerWithUrl(`${api.server.url}/files/start.png`);
			const forbidden = await failure(generate({ allowPrivateImageHosts: true }));
			expect(forbidden.message).toBe(`Downloading the image from 127.0.0.1:${api.server.port} failed: the private host's answer is not shown (HTTP 403)`);
			expect(JSON.stringify(forbidden)).not.toContain('vault-proxy');
			expect(beside.requests.map((request) => request.path)).toEqual(['/admin/config', '/files/vault.png']);
		} finally {
			await beside.close();
		}
	});

	test('as an AI Agent tool, the error the chat model receives holds nothing of a private answer', async () => {
		internal.server.respondNext({ only: 'download', status: 403, text: 'forbidden: internal-only endpoint. service=vault-proxy token-hint=hunter2' });
		answerWithUrl(`${internal.server.url}/files/vault.png`);
		const error = await failure(
			api.run({ operation: 'generate', model: api.model('flux-dev'), prompt: 'Private', options: { maxRetries: 0, allowPrivateImageHosts: true } }, { tool: true }),
		);
		expect(error.message).toBe(`Downloading the image from 127.0.0.2:${internal.server.port} failed: the private host's answer is not shown (HTTP 403)`);
	});

	test('a redirect from the own host to 127.0.0.2 is refused at that hop', async () => {
		internal.server.serve('/admin.json', SECRET, 'application/json');
		const start = api.server.serve('/files/start.png', png);
		api.server.respondNext({ only: 'download', redirect: `${internal.server.url}/admin.json` });
		answerWithUrl(start);
		const error = await failure(generate());
		expect(error.message).toMatch(REFUSED);
		expect(internal.server.requests).toHaveLength(0);
	});

	test('a public-looking redirect chain is followed hop by hop (own host to own host)', async () => {
		const target = api.server.serve('/files/target.png', png);
		api.server.respondNext({ only: 'download', status: 301, redirect: '/files/target.png' });
		answerWithUrl(api.server.serve('/files/first.png', png));
		const [item] = await generate();
		expect(await binaryBytes(item)).toEqual(png);
		expect(api.server.requests.filter((request) => request.kind === 'download').map((request) => request.path)).toEqual(['/files/first.png', new URL(target).pathname]);
	});

	test('a host name that resolves to loopback (localhost) is refused by that address before anything is sent', async () => {
		// Base URL on 127.0.0.2, so that 127.0.0.1 (which localhost resolves to) is not its own host.
		answerWithUrl(`http://localhost:${api.server.port}/files/secret.json`);
		api.server.serve('/files/secret.json', SECRET, 'application/json');
		const apiOnSecondAddress = await startImageServer({ host: '127.0.0.2', apiKey: TEST_API_KEY });
		try {
			apiOnSecondAddress.respondNext({ json: { created: 1, data: [{ url: `http://localhost:${api.server.port}/files/secret.json` }] } });
			const error = await failure(generate({}, { ...api.credentials, baseUrl: apiOnSecondAddress.baseUrl }));
			expect(error.message).toMatch(new RegExp(`${REFUSED.source}localhost:${api.server.port} \\((127\\.0\\.0\\.1|::1|::ffff:127\\.0\\.0\\.1)\\)$`));
			expect(api.server.requests.filter((request) => request.kind === 'download')).toHaveLength(0);
		} finally {
			await apiOnSecondAddress.close();
		}
	});

	test('an allowed private host that answers with something else: nothing of it is shown', async () => {
		answerWithUrl(internal.server.serve('/admin.json', SECRET, 'application/json'));
		const error = await failure(generate({ allowPrivateImageHosts: true }));
		expect(error.message).toMatch(/is not a PNG, JPEG, WebP, GIF or SVG image/);
		expect(error.description).toBe('It came from a private address, so nothing of it is shown.');
	});

	test('an allowed private host answering an error: its body is not shown', async () => {
		internal.server.respondNext({ only: 'download', status: 500, json: JSON.parse(SECRET.toString()) });
		answerWithUrl(`${internal.server.url}/files/missing.png`);
		const error = await failure(generate({ allowPrivateImageHosts: true }));
		expect(error.message).toMatch(/failed: the private host's answer is not shown \(HTTP 500\)$/);
	});
});

describe('isPrivateAddress', () => {
	test.each([
		'127.0.0.1', '127.8.9.10', '10.1.2.3', '172.16.0.1', '172.31.255.255', '192.168.1.1', '169.254.169.254', '100.64.0.1', '100.127.255.254',
		'0.0.0.0', '::1', '::', 'fe80::1', 'fc00::1', 'fd00:ec2::254', '::ffff:127.0.0.1', '::ffff:7f00:1', '::ffff:169.254.169.254', '[::1]', '64:ff9b::10.0.0.1',
	])('%s is private', (address) => expect(isPrivateAddress(address)).toBe(true));
	test.each(['8.8.8.8', '172.32.0.1', '100.128.0.1', '1.1.1.1', '2606:4700::1111', '::ffff:8.8.8.8', '169.255.0.1'])('%s is public', (address) =>
		expect(isPrivateAddress(address)).toBe(false),
	);
	test.each(['example.com', 'localhost', '1.2.3', '999.1.1.1'])('%s is no IP address', (text) => expect(isPrivateAddress(text)).toBeUndefined());
});
