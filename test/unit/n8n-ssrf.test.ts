/**
 * With n8n's own SSRF protection on (N8N_SSRF_PROTECTION_ENABLED), a download it blocks says so
 * and names the settings that allow it, rather than "the connection failed ... try again".
 */
import '../harness/ssrf-env';
import { startImageServer } from '../server/image-server';
import { encodeImage, renderPromptImage } from '../server/images';
import { binaryBytes, runNode } from '../harness/n8n';

type Server = Awaited<ReturnType<typeof startImageServer>>;
let api: Server;
let other: Server;
const png = encodeImage('png', renderPromptImage('n8n ssrf', 8, 8));

beforeAll(async () => {
	api = await startImageServer({ apiKey: 'k', imageSize: { width: 8, height: 8 } });
	other = await startImageServer({ host: '127.0.0.2' });
});
afterAll(async () => await Promise.all([api.close(), other.close()]));

const generate = (options: Record<string, unknown>) =>
	runNode({
		parameters: { operation: 'generate', model: { __rl: true, mode: 'id', value: 'flux-dev' }, prompt: 'Blocked', options: { maxRetries: 2, ...options } } as never,
		credentials: { baseUrl: api.baseUrl, apiKey: 'k', authentication: 'bearer' },
	});

test('an image on the allowed API address downloads', async () => {
	api.respondNext({ json: { created: 1, data: [{ url: api.serve('/files/ok.png', png) }] } });
	const [item] = await generate({});
	expect(await binaryBytes(item)).toEqual(png);
});

test("a download n8n's SSRF protection blocks names n8n's setting, is not retried and shows nothing of the host", async () => {
	api.respondNext({ json: { created: 1, data: [{ url: other.serve('/files/blocked.png', png) }] } });
	const error = (await generate({ allowPrivateImageHosts: true }).catch((caught: Error) => caught)) as Error & { description: string };
	expect(error.message).toBe(`Could not download the image from 127.0.0.2:${other.port}: n8n's SSRF protection (N8N_SSRF_PROTECTION_ENABLED) blocked the address`);
	expect(error.description).toMatch(/^n8n's own SSRF protection \(N8N_SSRF_PROTECTION_ENABLED=true\) refused it: .*N8N_SSRF_ALLOWED_IP_RANGES or the host with N8N_SSRF_ALLOWED_HOSTNAMES\.$/);
	expect(error.description).not.toMatch(/expire/);
	expect(other.requests).toHaveLength(0);
});

test("a redirect n8n's SSRF protection blocks says so too (not \"an address that is not http(s)\")", async () => {
	api.serve('/files/start.png', png);
	api.respondNext({ only: 'download', redirect: other.serve('/files/blocked.png', png) });
	api.respondNext({ json: { created: 1, data: [{ url: `${api.url}/files/start.png` }] } });
	const error = (await generate({ allowPrivateImageHosts: true }).catch((caught: Error) => caught)) as Error;
	expect(error.message).toMatch(/n8n's SSRF protection \(N8N_SSRF_PROTECTION_ENABLED\) blocked the address$/);
	expect(other.requests).toHaveLength(0);
});
