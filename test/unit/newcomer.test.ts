/**
 * What a newcomer meets first (issue 22), in n8n-core's real execution context against the
 * loopback image server: the Azure credential's own endpoint field (older Azure credentials keep
 * working), a refused connection explained, file names cut at a word, and every image item of a
 * call with the same keys (n8n's Table view).
 */
import type { INodeExecutionData, INodeProperties } from 'n8n-workflow';

import { fileStem } from '../../nodes/OpenAiCompatibleImages/helpers/images';
import { binaryBytes, credentialType, prepareItems, runCredentialTestRequest, runNode } from '../harness/n8n';
import { useImageServer } from '../harness/fixture';
import { decodePng, encodePng } from '../server/images';
import { closedPort } from '../server/ports';

const API_KEY = 'sk-newcomer-key-4242';
const api = useImageServer({ apiKey: API_KEY, imageSize: { width: 16, height: 16 } });
const { model } = api;
const generate = (id: string, extra: Record<string, unknown> = {}) => ({ operation: 'generate', model: model(id), prompt: 'A lighthouse', ...extra });

async function failure(promise: Promise<unknown>): Promise<{ message: string; description?: string }> {
	try {
		await promise;
	} catch (error) {
		return error as { message: string; description?: string };
	}
	throw new Error('expected the run to fail');
}

describe('the credential: Azure has its own endpoint field', () => {
	const property = (name: string) => credentialType.properties.find((p) => p.name === name) as INodeProperties;

	test('Base URL shows for Bearer only, Azure Endpoint for Azure only, empty and with an Azure placeholder', () => {
		expect(property('baseUrl')).toMatchObject({ default: 'https://api.openai.com/v1', displayOptions: { show: { authentication: ['bearer'] } } });
		expect(property('azureEndpoint')).toMatchObject({
			displayName: 'Azure Endpoint',
			default: '',
			required: true,
			placeholder: 'https://my-resource.openai.azure.com',
			displayOptions: { show: { authentication: ['azure'] } },
		});
	});

	test('custom header Name and Value have placeholders; the documentation link is this package’s README', () => {
		const header = (property('customHeaders').options as Array<{ values: INodeProperties[] }>)[0].values;
		expect(header.map((p) => [p.name, p.placeholder])).toEqual([
			['name', 'e.g. OpenAI-Organization'],
			['value', 'e.g. org-123abc'],
		]);
		expect(credentialType.documentationUrl).toMatch(/^https:\/\/github\.com\/n8n-nodes-openai-compatible-images\/n8n-nodes-openai-compatible-images#/);
	});

	test('a run with Azure goes to the Azure Endpoint, not to the Base URL left from Bearer', async () => {
		await runNode({
			parameters: generate('my-dalle3') as never,
			credentials: { authentication: 'azure', baseUrl: 'https://api.openai.com/v1', azureEndpoint: ` ${api.server.url}/ `, apiKey: API_KEY, apiVersion: '2024-10-21' },
		});
		expect(api.server.imageRequests().map((request) => [request.path, request.headers['api-key']])).toEqual([
			['/openai/deployments/my-dalle3/images/generations', API_KEY],
		]);
	});

	test('an Azure credential saved before the field existed (endpoint in Base URL) keeps working, for runs and the Test button', async () => {
		const legacy = { authentication: 'azure', baseUrl: api.server.url, apiKey: API_KEY, apiVersion: '2024-10-21' };
		await runNode({ parameters: generate('my-dalle3') as never, credentials: legacy });
		expect(api.server.imageRequests().map((request) => request.path)).toEqual(['/openai/deployments/my-dalle3/images/generations']);
		const outcome = await runCredentialTestRequest(legacy);
		expect(outcome.ok).toBe(true);
		expect(api.server.requests.at(-1)?.path).toBe('/openai/models');
	});

	test('the Test button with Azure tests the Azure Endpoint', async () => {
		const outcome = await runCredentialTestRequest({ authentication: 'azure', baseUrl: 'https://api.openai.com/v1', azureEndpoint: api.server.url, apiKey: API_KEY, apiVersion: '2024-10-21' });
		expect(outcome.ok).toBe(true);
		expect(api.server.requests.map((request) => [request.path, request.query])).toEqual([['/openai/models', { 'api-version': '2024-10-21' }]]);
	});

	test('Azure with the endpoint left empty: refused before anything is sent, naming Azure Endpoint (the Azure key never goes to api.openai.com)', async () => {
		const empty = { authentication: 'azure', baseUrl: 'https://api.openai.com/v1', azureEndpoint: '', apiKey: API_KEY, apiVersion: '2024-10-21' };
		const error = await failure(runNode({ parameters: generate('my-dalle3') as never, credentials: empty }));
		expect(error.message).toBe('The Azure Endpoint is empty: enter your resource endpoint, e.g. https://my-resource.openai.azure.com.');
		expect(await runCredentialTestRequest(empty)).toMatchObject({ ok: false, message: error.message });
	});
});

describe('a refused connection is explained', () => {
	test('the run names host and port and what to check, including Docker’s own localhost', async () => {
		const port = await closedPort();
		const error = await failure(
			runNode({ parameters: generate('dall-e-3') as never, credentials: { authentication: 'bearer', baseUrl: `http://127.0.0.1:${port}/v1`, apiKey: API_KEY } }),
		);
		expect(error.message).toMatch(new RegExp(`^The connection to the server at 127\\.0\\.0\\.1:${port} failed: nothing accepts connections at that address`));
		expect(error.description).toMatch(/check the Base URL in the credential \(scheme http or https, host and port\) and that the server is running/);
		expect(error.description).toMatch(/With n8n in Docker, localhost and 127\.0\.0\.1 are n8n's own container: use host\.docker\.internal/);
	});

	test('the credential form explains what the Test button’s bare ECONNREFUSED means (n8n shows only the code)', async () => {
		const port = await closedPort();
		expect(await runCredentialTestRequest({ authentication: 'bearer', baseUrl: `http://127.0.0.1:${port}/v1`, apiKey: API_KEY })).toMatchObject({ ok: false, code: 'ECONNREFUSED' });
		const notice = credentialType.properties.find((p) => p.type === 'notice');
		expect(notice?.displayName).toMatch(/ECONNREFUSED.*the n8n server \(not your browser\) could not connect to the host and port.*host\.docker\.internal/);
	});
});

describe('file names cut at a word', () => {
	test.each([
		['A small wooden cabin deep in a snowy forest at dawn, smoke rising', 'a-small-wooden-cabin-deep-in-a-snowy-forest-at'],
		['A cozy reading nook with plants and a sleeping cat in a snowy forest', 'a-cozy-reading-nook-with-plants-and-a-sleeping'],
		// The cut lands right before a dash: the whole 48 characters stay.
		['abcdefghij abcdefghij abcdefghij abcdefghij abcd more', 'abcdefghij-abcdefghij-abcdefghij-abcdefghij-abcd'],
		// One word longer than the limit: cut at the limit.
		['x'.repeat(60), 'x'.repeat(48)],
		['A short prompt', 'a-short-prompt'],
	])('%s → %s', (prompt, stem) => {
		expect(fileStem(prompt)).toBe(stem);
		expect(stem.length).toBeLessThanOrEqual(48);
	});

	test('the output file names: whole words, then the image number', async () => {
		const prompt = 'A small wooden cabin deep in a snowy forest at dawn, smoke rising';
		const output = await api.run(generate('gpt-image-1', { prompt, n: 2 }));
		expect(output.map((item) => item.binary?.data.fileName)).toEqual([
			'a-small-wooden-cabin-deep-in-a-snowy-forest-at-1.png',
			'a-small-wooden-cabin-deep-in-a-snowy-forest-at-2.png',
		]);
	});
});

describe('every image item of a call has the same keys (n8n’s Table view shows no "undefined")', () => {
	const keysOf = (output: INodeExecutionData[]) => output.map((item) => Object.keys(item.json).sort());

	test('gpt-image-1 with n=3: usage on the first, null on the others, the same keys on all', async () => {
		const output = await api.run(generate('gpt-image-1', { n: 3 }));
		expect(output).toHaveLength(3);
		const [first, ...others] = keysOf(output);
		expect(first).toContain('usage');
		for (const keys of others) expect(keys).toEqual(first);
		expect(output.map((item) => item.json.usage === null)).toEqual([false, true, true]);
		expect(Object.values(output[1].json).filter((value) => value === undefined)).toEqual([]);
	});

	test('all images in one item: each entry of `images` has the same keys', async () => {
		const [item] = await api.run(generate('gpt-image-1', { n: 2, options: { combineImages: true } }));
		const images = item.json.images as Array<Record<string, unknown>>;
		expect(Object.keys(images[1]).sort()).toEqual(Object.keys(images[0]).sort());
		expect(images.map((image) => image.usage === null)).toEqual([false, true]);
	});
});

describe('the bundled demo server: Edit visibly starts from the input image', () => {
	const RED = [230, 20, 20];
	const BLUE = [20, 20, 230];
	/** An input picture: its left half one colour, its right half another. */
	const halves = (left: number[], right: number[], size = 64) => {
		const pixels = Buffer.alloc(size * size * 4);
		for (let y = 0; y < size; y++) {
			for (let x = 0; x < size; x++) Buffer.from([...(x < size / 2 ? left : right), 255]).copy(pixels, (y * size + x) * 4);
		}
		return encodePng({ width: size, height: size, channels: 4, pixels });
	};
	const edit = async (input: Buffer) => {
		const items = await prepareItems([{ binary: { data: { data: input, fileName: 'input.png', mimeType: 'image/png' } } }]);
		const [item] = await api.run({ operation: 'edit', model: model('gpt-image-1'), prompt: 'Turn this into a postcard', n: 1 }, { items });
		return decodePng(await binaryBytes(item)) as NonNullable<ReturnType<typeof decodePng>>;
	};
	/** The mean colour of a column band of a picture, rows in the middle (clear of the frame). */
	const meanColour = (picture: NonNullable<ReturnType<typeof decodePng>>, fromX: number, toX: number) => {
		const sum = [0, 0, 0];
		let count = 0;
		for (let y = Math.floor(picture.height * 0.25); y < Math.ceil(picture.height * 0.75); y++) {
			for (let x = fromX; x < toX; x++) {
				for (let c = 0; c < 3; c++) sum[c] += picture.pixels[(y * picture.width + x) * 4 + c];
				count++;
			}
		}
		return sum.map((value) => Math.round(value / count));
	};
	const reddish = ([r, , b]: number[]) => r > 150 && r > b + 80;
	const bluish = ([r, , b]: number[]) => b > 150 && b > r + 80;

	test('the input’s left and right halves stay where they were, tinted by the prompt (same prompt, swapped inputs, swapped results)', async () => {
		const redBlue = await edit(halves(RED, BLUE));
		const blueRed = await edit(halves(BLUE, RED));
		const { width } = redBlue;
		const left = (picture: typeof redBlue) => meanColour(picture, Math.round(width * 0.2), Math.round(width * 0.4));
		const right = (picture: typeof redBlue) => meanColour(picture, Math.round(width * 0.6), Math.round(width * 0.8));
		expect({ left: reddish(left(redBlue)), right: bluish(right(redBlue)) }).toEqual({ left: true, right: true });
		expect({ left: bluish(left(blueRed)), right: reddish(right(blueRed)) }).toEqual({ left: true, right: true });
	});
});
