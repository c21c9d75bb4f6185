/**
 * n8n's own semantics (issue 11), in n8n-core's real execution context: error items the error
 * output takes, `usage` once per call, redaction only of what a server sent, fewer images than
 * asked (item JSON and an execution hint), provider validation detail, prompt length in
 * characters and file names from any script.
 */
import type { INodeExecutionData, NodeExecutionHint } from 'n8n-workflow';

import { runNode } from '../harness/n8n';
import { useImageServer } from '../harness/fixture';
import { encodePng, renderPromptImage } from '../server/images';

const API_KEY = 'sk-semantics-key-4242';
const api = useImageServer({ apiKey: API_KEY, imageSize: { width: 16, height: 16 } });

const model = (id: string) => ({ __rl: true, mode: 'id', value: id });
const png = encodePng(renderPromptImage('one', 16, 16)).toString('base64');
const prompts = (...texts: string[]): INodeExecutionData[] => texts.map((prompt) => ({ json: { prompt } }));

describe('Error items: what n8n routes to the error output', () => {
	const rejected = 'A forbidden symbol';
	const run = async (onError: 'continueErrorOutput' | 'continueRegularOutput') => {
		api.server.respondNext({
			status: 400,
			json: { error: { message: 'Rejected by the safety system.', code: 'content_policy_violation' } },
			when: (request) => request.body?.prompt === rejected,
		});
		return await runNode({
			parameters: { operation: 'generate', model: model('gpt-image-1'), prompt: '={{ $json.prompt }}', n: 1 },
			items: [...prompts('A lighthouse', rejected), { json: { prompt: '' } }],
			credentials: api.credentials as never,
			onError,
		});
	};

	test('Continue (using error output): failed items hold only `error`, with message, description and HTTP status in it', async () => {
		const output = await run('continueErrorOutput');
		expect(output).toHaveLength(3);
		expect(output.map((item) => item.pairedItem)).toEqual([{ item: 0 }, { item: 1 }, { item: 2 }]);
		expect(output[0].json).not.toHaveProperty('error');
		expect(output[0].binary?.data.mimeType).toBe('image/png');

		// n8n-core's handleNodeErrorOutput moves an item whose JSON has nothing but `error`.
		expect(output[1].json).toEqual({
			error: {
				message: 'Rejected by the safety system. (HTTP 400)',
				description: 'The provider blocked the prompt or image by its content policy. Rephrase the prompt.',
				httpCode: '400',
			},
		});
		// A validation failure, found before anything was sent.
		expect(output[2].json).toEqual({ error: { message: 'Prompt is empty', description: expect.stringContaining('Describe the image') } });
		// Not item.error: n8n would replace the JSON with the bare message.
		expect(output.map((item) => item.error)).toEqual([undefined, undefined, undefined]);
		expect(api.server.imageRequests()).toHaveLength(2);
	});

	test('Continue (using regular output): error, description and httpCode side by side, as before', async () => {
		const output = await run('continueRegularOutput');
		expect(output).toHaveLength(3);
		expect(output.map((item) => item.error)).toEqual([undefined, undefined, undefined]);
		expect(output[1].json).toEqual({ error: 'Rejected by the safety system. (HTTP 400)', description: expect.any(String), httpCode: '400' });
		expect(output[2].json).toEqual({ error: 'Prompt is empty', description: expect.any(String) });
	});
});

describe('usage counts once per call', () => {
	test('gpt-image-1 with n=3 in one call: usage on the first image only, so the sum over items is what was billed', async () => {
		const output = await runNode({ parameters: { operation: 'generate', model: model('gpt-image-1'), prompt: 'Three cats', n: 3 }, credentials: api.credentials as never });
		expect(output).toHaveLength(3);
		expect(output.map((item) => item.json.usage)).toEqual([
			{ input_tokens: 50, output_tokens: 12480, total_tokens: 12530, input_tokens_details: { text_tokens: 50, image_tokens: 0 } },
			null,
			null,
		]);
		const billed = output.reduce((sum, item) => sum + ((item.json.usage as { total_tokens?: number } | undefined)?.total_tokens ?? 0), 0);
		expect(billed).toBe(12530);
	});

	test('several calls for one item (two input items): each call’s usage on its own first image', async () => {
		const output = await runNode({
			parameters: { operation: 'generate', model: model('gpt-image-1'), prompt: '={{ $json.prompt }}', n: 2 },
			items: prompts('One', 'Two'),
			credentials: api.credentials as never,
		});
		expect(output.map((item) => [item.pairedItem, item.json.index, (item.json.usage as { total_tokens: number } | null)?.total_tokens ?? null])).toEqual([
			[{ item: 0 }, 0, 8370],
			[{ item: 0 }, 1, null],
			[{ item: 1 }, 0, 8370],
			[{ item: 1 }, 1, null],
		]);
	});

	test('all images in one item: usage sits on the first image of each call in `images`', async () => {
		const [item] = await runNode({
			parameters: { operation: 'generate', model: model('gpt-image-1'), prompt: 'Pair', n: 2, options: { combineImages: true } },
			credentials: api.credentials as never,
		});
		const images = item.json.images as Array<{ usage: { total_tokens: number } | null }>;
		expect(images.map((image) => image.usage?.total_tokens ?? null)).toEqual([8370, null]);
	});
});

describe('Redaction hides credentials, never routing values, the user’s text or the provider’s answer', () => {
	const withTeamHeader = () => ({ ...api.credentials, customHeaders: { header: [{ name: 'X-Team', value: 'marketing' }, { name: 'X-Team-Token', value: 'team-token-value' }] } });

	test('a routing header value in the prompt stays in prompt, file name and the provider’s revised_prompt', async () => {
		const prompt = 'marketing banner for a bakery';
		const output = await runNode({ parameters: { operation: 'generate', model: model('dall-e-3'), prompt, n: 1 }, credentials: withTeamHeader() as never });
		expect(api.server.imageRequests()[0].headers['x-team']).toBe('marketing');
		expect(output[0].json).toMatchObject({
			prompt,
			fileName: 'marketing-banner-for-a-bakery-1.png',
			// The provider's own answer is never rewritten.
			revised_prompt: 'marketing banner for a bakery (revised)',
		});
		expect(output[0].binary?.data.fileName).toBe(output[0].json.fileName);
	});

	test('a validation error naming the user’s value is not redacted; an upstream error shows the routing value and hides the token', async () => {
		const output = await runNode({
			parameters: { operation: 'generate', model: model('dall-e-3'), prompt: '={{ $json.prompt }}', n: 1, sizeDallE3: '={{ $json.size }}' },
			items: [{ json: { prompt: 'A', size: 'marketing' } }, { json: { prompt: 'B', size: '1024x1024' } }],
			credentials: withTeamHeader() as never,
			continueOnFail: true,
		});
		expect(output[0].json.error).toBe('Size "marketing" is not accepted by DALL·E 3 models');

		api.server.respondNext({ status: 400, json: { error: { message: 'Team marketing has no quota left on team-token-value' } } });
		const [failed] = await runNode({
			parameters: { operation: 'generate', model: model('dall-e-3'), prompt: 'C', n: 1 },
			credentials: withTeamHeader() as never,
			continueOnFail: true,
		});
		expect(failed.json.error).toBe('Team marketing has no quota left on [redacted] (HTTP 400)');
	});
});

describe('Fewer images than asked', () => {
	test('a SiliconFlow-shaped answer with one image for n=2: the item says 2 asked, 1 returned, and the node adds a warning hint', async () => {
		api.server.respondNext({ json: { images: [{ url: `data:image/png;base64,${png}` }], seed: 7 } });
		const hints: NodeExecutionHint[] = [];
		const output = await runNode({
			parameters: { operation: 'generate', model: model('black-forest-labs/FLUX.1-schnell'), prompt: 'Two dogs', n: 2 },
			credentials: api.credentials as never,
			hints,
		});
		expect(api.server.imageRequests()[0].body).toMatchObject({ n: 2 });
		expect(output).toHaveLength(1);
		expect(output[0].json).toMatchObject({ imagesRequested: 2, imagesReturned: 1, seed: 7, fileName: 'two-dogs-1.png' });
		expect(hints).toEqual([
			{
				message: expect.stringMatching(/^The provider returned fewer images than asked for \(item 1: 1 of 2\)\. .*imagesRequested and imagesReturned\.$/),
				type: 'warning',
				location: 'outputPane',
			},
		]);
	});

	test('as many images as asked: no counts in the JSON and no hint', async () => {
		const hints: NodeExecutionHint[] = [];
		const output = await runNode({ parameters: { operation: 'generate', model: model('gpt-image-1'), prompt: 'Two', n: 2 }, credentials: api.credentials as never, hints });
		expect(output).toHaveLength(2);
		expect(output[0].json).not.toHaveProperty('imagesRequested');
		expect(hints).toEqual([]);
	});
});

describe('Provider validation detail names the field', () => {
	const cases: Array<[string, number, unknown, string, string]> = [
		[
			'RFC 7807 with a validation list',
			422,
			{ type: 'https://example.com/problems/validation', title: 'Unprocessable Entity', status: 422, detail: 'The request is invalid', validation: [{ field: 'size', message: 'must be one of 1024x1024, 512x512' }] },
			'Unprocessable Entity: The request is invalid: size: must be one of 1024x1024, 512x512 (HTTP 422)',
			'size',
		],
		[
			'RFC 7807 with invalid-params',
			400,
			{ title: 'Your request parameters did not validate.', 'invalid-params': [{ name: 'n', reason: 'must be at most 4' }] },
			'Your request parameters did not validate: n: must be at most 4 (HTTP 400)',
			'n',
		],
		[
			'FastAPI detail list',
			422,
			{ detail: [{ loc: ['body', 'guidance_scale'], msg: 'Input should be less than 20', type: 'less_than' }] },
			'The provider rejected the request: guidance_scale: Input should be less than 20 (HTTP 422)',
			'guidance_scale',
		],
		[
			'an errors object (Laravel, Rails)',
			422,
			{ message: 'The given data was invalid.', errors: { prompt: ['The prompt may not be greater than 500 characters.'] } },
			'The given data was invalid: The prompt may not be greater than 500 characters. (HTTP 422)',
			'prompt',
		],
		[
			'JSON:API errors with a source pointer',
			400,
			{ errors: [{ status: '400', title: 'Invalid value', detail: 'Quality must be low or high', source: { pointer: '/quality' } }] },
			'The provider rejected the request: quality: Quality must be low or high (HTTP 400)',
			'quality',
		],
		[
			'Google-style field violations',
			400,
			{ error: { code: 400, message: 'Request contains an invalid argument.', status: 'INVALID_ARGUMENT', details: [{ '@type': 'type.googleapis.com/google.rpc.BadRequest', fieldViolations: [{ field: 'aspect_ratio', description: 'Unsupported ratio 5:1' }] }] } },
			'Request contains an invalid argument: aspect_ratio: Unsupported ratio 5:1 (HTTP 400)',
			'aspect_ratio',
		],
	];

	test.each(cases)('%s', async (_name, status, json, message, field) => {
		api.server.respondNext({ status, json });
		const [item] = await runNode({
			parameters: { operation: 'generate', model: model('flux-dev'), prompt: 'A', n: 1, options: { maxRetries: 0 } },
			credentials: api.credentials as never,
			continueOnFail: true,
		});
		expect(item.json).toEqual({ error: message, description: `The provider rejected the parameter "${field}".`, httpCode: String(status) });
	});
});

describe('Prompt length in characters; file names from any script', () => {
	test('DALL·E 3 takes 4000 characters: 4000 emoji pass (8000 UTF-16 units), 4001 fail, counted as characters', async () => {
		const run = (prompt: string) =>
			runNode({ parameters: { operation: 'generate', model: model('dall-e-3'), prompt, n: 1 }, credentials: api.credentials as never });
		const output = await run('🦊'.repeat(4000));
		expect(output).toHaveLength(1);
		await expect(run('🦊'.repeat(4001))).rejects.toThrow('Prompt is too long for DALL·E 3: 4001 characters, the limit is 4000');
	});

	test.each([
		['Crème brûlée, naïve café', 'creme-brulee-naive-cafe-1.png'],
		['Straße in Łódź, Ærø', 'strasse-in-lodz-aero-1.png'],
		['Москва ночью', 'moskva-nochyu-1.png'],
		['Ακρόπολη at dawn', 'akropoli-at-dawn-1.png'],
		['東京の夜景', 'image-1.png'],
		['東京の夜景, 4K', '4k-1.png'],
		['ｆｕｌｌｗｉｄｔｈ ＡＢＣ', 'fullwidth-abc-1.png'],
	])('%s → %s', async (prompt, fileName) => {
		const [item] = await runNode({ parameters: { operation: 'generate', model: model('gpt-image-1'), prompt, n: 1 }, credentials: api.credentials as never });
		expect(item.binary?.data.fileName).toBe(fileName);
		expect(item.json.fileName).toBe(fileName);
		expect(item.json.prompt).toBe(prompt);
	});
});

describe('Called as an AI Agent tool (the node’s Tool variant)', () => {
	test('one item for the model: count, file names, size, revised prompt, provider URL; the images as binary in that item', async () => {
		const output = await runNode({
			parameters: { operation: 'generate', model: model('dall-e-3'), prompt: 'A red fox', n: 2, options: { response_format: 'url' } },
			credentials: api.credentials as never,
			tool: true,
		});
		expect(output).toHaveLength(1);
		const [item] = output;
		const downloads = api.server.requests.filter((request) => request.kind === 'download');
		expect(item.json).toEqual({
			result: expect.stringMatching(/^Generated 2 images for the prompt "A red fox": a-red-fox-1\.png, a-red-fox-2\.png\. To show an image in your answer, use Markdown/),
			imageCount: 2,
			images: [0, 1].map((index) => ({
				fileName: `a-red-fox-${index + 1}.png`,
				mimeType: 'image/png',
				width: 16,
				height: 16,
				size: '1024x1024',
				revised_prompt: 'A red fox (revised)',
				url: `${api.server.url}${downloads[index].path}`,
				// n8n-core signs a link where binary data has an id (its filesystem mode here).
				...(item.binary?.data.id ? { link: expect.stringMatching(/\/binary-data\/signed\?token=/) } : {}),
			})),
		});
		expect(Object.keys(item.binary ?? {})).toEqual(['data', 'data_1']);
		expect(item.binary?.data_1.fileName).toBe('a-red-fox-2.png');
		expect(item.pairedItem).toEqual({ item: 0 });
	});
});
