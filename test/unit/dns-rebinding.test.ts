/**
 * DNS rebinding, on loopback: a provider's image host name answers a public address when the node
 * checks it and an internal one (127.0.0.2, "the internal service") to every later lookup. The
 * node must connect to the address it checked. The system resolver is replaced for the test's own
 * names only (test/server/fake-dns.js); "the public internet" is a forward proxy on loopback (n8n's HTTP(S)_PROXY) that
 * answers for public addresses and notes what each request asked for (an https tunnel: the address
 * and the TLS server name; plain http: the URL, which n8n's proxy agent writes with the Host
 * header's name). NO_PROXY sends loopback and every `*.rebind.test` name directly, so a request
 * made by name connects by itself, looks the name up again and gets the internal address; only a
 * request made to the checked (public) address reaches the proxy.
 */
import fs from 'node:fs';
import path from 'node:path';

import { Container } from '@n8n/di';
import { OutboundHttp } from '@n8n/backend-network';

import { startImageServer } from '../server/image-server';
import { encodeImage, renderPromptImage } from '../server/images';
import { installFakeDns } from '../server/fake-dns';
import { startPublicInternet } from '../server/public-internet';
import { binaryBytes, runNode } from '../harness/n8n';

type Server = Awaited<ReturnType<typeof startImageServer>>;

const API_KEY = 'sk-rebind-test-key';
/** TEST-NET-3 (RFC 5737): public for the node's policy, never routed; the proxy answers for it. */
const PUBLIC_ADDRESS = '203.0.113.10';
const publicPng = encodeImage('png', renderPromptImage('public', 8, 8));
const internalPng = encodeImage('png', renderPromptImage('internal', 8, 8));
const fixture = (name: string) => fs.readFileSync(path.join(__dirname, '..', 'fixtures', name), 'utf8');

let fakeDns: ReturnType<typeof installFakeDns>;
let api: Server;
let internal: Server;
let internet: Awaited<ReturnType<typeof startPublicInternet>>;
const savedEnv = { HTTP_PROXY: process.env.HTTP_PROXY, HTTPS_PROXY: process.env.HTTPS_PROXY, NO_PROXY: process.env.NO_PROXY };

beforeAll(async () => {
	api = await startImageServer({ apiKey: API_KEY, imageSize: { width: 8, height: 8 } });
	internal = await startImageServer({ host: '127.0.0.2' });
	internet = await startPublicInternet({ tls: { key: fixture('rebind-test.key'), cert: fixture('rebind-test.crt') } });
	process.env.HTTP_PROXY = internet.url;
	process.env.HTTPS_PROXY = internet.url;
	process.env.NO_PROXY = '127.0.0.1,127.0.0.2,localhost,.rebind.test';
	fakeDns = installFakeDns();
});
afterAll(async () => {
	fakeDns.uninstall();
	for (const [key, value] of Object.entries(savedEnv)) {
		if (value === undefined) delete process.env[key];
		else process.env[key] = value;
	}
	await Promise.all([api.close(), internal.close(), internet.close()]);
});
beforeEach(() => {
	api.reset();
	internal.reset();
	internet.reset();
	internet.serve('/img.png', publicPng);
	internal.serve('/img.png', internalPng);
	fakeDns.answers.clear();
	fakeDns.lookups.length = 0;
});

const generate = (imageUrl: string, options: Record<string, unknown> = {}) => {
	api.respondNext({ json: { created: 1, data: [{ url: imageUrl }] } });
	return runNode({
		parameters: { operation: 'generate', model: { __rl: true, mode: 'id', value: 'flux-dev' }, prompt: 'Rebind', options: { maxRetries: 0, timeout: 5, ...options } } as never,
		credentials: { baseUrl: api.baseUrl, apiKey: API_KEY, authentication: 'bearer' },
	});
};

describe('A host name that answers a public address, then an internal one', () => {
	test('the node downloads from the address it checked; the internal service gets nothing', async () => {
		const imageUrl = `http://images.rebind.test:${internal.port}/img.png`;
		fakeDns.answers.set('images.rebind.test', [[PUBLIC_ADDRESS], ['127.0.0.2']]);
		const [item] = await generate(imageUrl);
		expect(await binaryBytes(item)).toEqual(publicPng);
		expect(item.json.url).toBe(imageUrl);
		// One lookup (the check); the request went to that address (so through the proxy), with the name as its Host.
		expect(fakeDns.lookups).toEqual(['images.rebind.test']);
		expect(internet.requests).toEqual([{ method: 'GET', target: imageUrl, host: `images.rebind.test:${internal.port}` }]);
		expect(internal.requests).toHaveLength(0);

		// The same URL fetched by name, as the node did before: the connection's own lookup is the
		// rebound one and reaches the internal service. This is the gap the check above closes.
		const byName = (await Container.get(OutboundHttp).requests().request({ url: imageUrl, method: 'GET', encoding: 'arraybuffer' })) as ArrayBuffer;
		expect(Buffer.from(byName)).toEqual(internalPng);
		expect(internal.requests).toHaveLength(1);
	});

	test.each([
		[[PUBLIC_ADDRESS], `${PUBLIC_ADDRESS}:443`],
		[['2001:db8::10'], '[2001:db8::10]:443'],
		// IPv4 first: many n8n hosts (Docker's default network) have no IPv6 route.
		[['2001:db8::10', PUBLIC_ADDRESS], `${PUBLIC_ADDRESS}:443`],
	])('https: the TLS connection goes to the checked address (%j) and sends the host name as server name', async (addresses, tunnel) => {
		fakeDns.answers.set('images.rebind.test', [addresses, ['127.0.0.2']]);
		const error = (await generate('https://images.rebind.test/img.png').then(
			() => new Error('expected a failure'),
			(caught: Error) => caught,
		)) as Error & { description?: string };
		// The test certificate is self-signed, so the download fails at the certificate, after the
		// handshake showed what was asked for; certificate checks use that same server name.
		expect(`${error.message} ${error.description}`).toMatch(/SELF_SIGNED_CERT|self[- ]signed certificate/i);
		expect(internet.requests).toEqual([{ method: 'CONNECT', target: tunnel, servername: 'images.rebind.test' }]);
		expect(internal.requests).toHaveLength(0);
	});

	test('a name that answers a public and an internal address is refused before anything is sent', async () => {
		fakeDns.answers.set('mixed.rebind.test', [[PUBLIC_ADDRESS, '127.0.0.2']]);
		const error = (await generate(`http://mixed.rebind.test:${internal.port}/img.png`).then(
			() => new Error('expected a failure'),
			(caught: Error) => caught,
		)) as Error;
		expect(error.message).toBe(`The image URL points at a private address: mixed.rebind.test:${internal.port} (127.0.0.2)`);
		expect(internet.requests).toHaveLength(0);
		expect(internal.requests).toHaveLength(0);
	});

	test('every redirect hop is checked and connected the same way', async () => {
		// A public host redirects to a name that rebinds; at each hop the node connects to what it checked.
		fakeDns.answers.set('start.rebind.test', [[PUBLIC_ADDRESS]]);
		fakeDns.answers.set('next.rebind.test', [['203.0.113.20'], ['127.0.0.2']]);
		internet.redirect('/go', `http://next.rebind.test:${internal.port}/img.png`);
		const [item] = await generate('http://start.rebind.test:8080/go');
		expect(await binaryBytes(item)).toEqual(publicPng);
		expect(internet.requests.map((request) => request.target)).toEqual(['http://start.rebind.test:8080/go', `http://next.rebind.test:${internal.port}/img.png`]);
		expect(fakeDns.lookups).toEqual(['start.rebind.test', 'next.rebind.test']);
		expect(internal.requests).toHaveLength(0);
	});
});

describe('A host name n8n cannot resolve itself (only its proxy can)', () => {
	const imageUrl = 'http://cdn.proxy-only.test:8080/img.png';

	test('is not downloaded by default: nothing could be checked', async () => {
		fakeDns.answers.set('cdn.proxy-only.test', ['ENOTFOUND']);
		const error = (await generate(imageUrl).then(
			() => new Error('expected a failure'),
			(caught: Error) => caught,
		)) as Error;
		expect(error.message).toBe('Could not download the image from cdn.proxy-only.test:8080: the host name could not be resolved');
		expect(internet.requests).toHaveLength(0);
	});

	test('with Allow Private Image Hosts it is asked of the proxy by name', async () => {
		fakeDns.answers.set('cdn.proxy-only.test', ['ENOTFOUND']);
		const [item] = await generate(imageUrl, { allowPrivateImageHosts: true });
		expect(await binaryBytes(item)).toEqual(publicPng);
		expect(internet.requests).toEqual([{ method: 'GET', target: imageUrl, host: 'cdn.proxy-only.test:8080' }]);
	});
});

describe('What a public image host answers is shown (only private addresses are hidden)', () => {
	test('a 404 from a public address: its text is in the error', async () => {
		const error = (await generate(`http://${PUBLIC_ADDRESS}/missing.png`).then(
			() => new Error('expected a failure'),
			(caught: Error) => caught,
		)) as Error;
		expect(error.message).toBe(`Downloading the image from ${PUBLIC_ADDRESS} failed: not found (HTTP 404)`);
	});
});
