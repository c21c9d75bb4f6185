/**
 * OpenAI's image line as of December 2026, against a loopback server that answers as OpenAI does
 * then (test/server/image-api.server.js, openAi2026): retired models 404 with OpenAI's message,
 * gpt-image-2.5 takes xhigh and max, gpt-image-2.6 answers GIF and SVG (with svg_usage).
 */
import { binaryBytes } from '../harness/n8n';
import { useImageServer } from '../harness/fixture';

const api = useImageServer({ imageSize: { width: 48, height: 32 }, openAi2026: true });
const { model } = api;
const generate = (parameters: Record<string, unknown>, extra?: Parameters<typeof api.run>[1]) => api.run({ operation: 'generate', ...parameters }, extra);
const bodies = () => api.server.imageRequests().map((request) => request.body);

describe('the exact body sent for each generation of the GPT image line', () => {
	test('gpt-image-2: free size, its quality, background auto or opaque; nothing it rejects', async () => {
		await generate({ model: model('gpt-image-2'), prompt: 'A poster', sizeGptImage2: '1536x864', qualityGptImage: 'high', options: { background: 'opaque', output_format: 'webp', output_compression: 80, moderation: 'low' } });
		expect(bodies()).toEqual([{ model: 'gpt-image-2', prompt: 'A poster', n: 1, size: '1536x864', quality: 'high', background: 'opaque', output_format: 'webp', output_compression: 80, moderation: 'low' }]);
	});

	test.each([
		['Background "transparent"', { options: { background: 'transparent' } }, /^Background "transparent" is not accepted by GPT Image 2 models$/],
		['Input Fidelity', { operation: 'edit', options: { input_fidelity: 'high' } }, /./],
		['a size under the pixel range', { sizeGptImage2: '512x512' }, /^Size "512x512" is not valid for GPT Image 2: the image must have 655,360 to 8,294,400 pixels \(e\.g\. 1024x640 to 3840x2160\), not 262,144$/],
		['a size over the longest side', { sizeGptImage2: '4096x1536' }, /the longest side is at most 3840/],
		['quality "max" typed into Quality', { qualityGptImage: 'max' }, /^Quality "max" is not accepted by GPT Image 2 models$/],
	])('gpt-image-2 refuses %s before sending', async (_name, parameters, message) => {
		const error = await generate({ model: model('gpt-image-2'), prompt: 'A poster', ...parameters }).catch((caught: Error) => caught);
		expect(error).toBeInstanceOf(Error);
		expect((error as Error).message).toMatch(message);
		expect(api.server.imageRequests()).toHaveLength(0);
	});

	test('gpt-image-2.5-flare: quality xhigh and max from its own Quality dropdown', async () => {
		for (const quality of ['xhigh', 'max']) {
			await generate({ model: model('gpt-image-2.5-flare'), prompt: 'A poster', qualityGptImage25: quality });
		}
		expect(bodies()).toEqual([
			{ model: 'gpt-image-2.5-flare', prompt: 'A poster', n: 1, size: 'auto', quality: 'xhigh' },
			{ model: 'gpt-image-2.5-flare', prompt: 'A poster', n: 1, size: 'auto', quality: 'max' },
		]);
	});

	test('gpt-image-2.6-sunburst: complexity and an animated GIF with frame count and duration', async () => {
		const output = await generate({ model: model('gpt-image-2.6-sunburst'), prompt: 'A bouncing ball', qualityGptImage25: 'max', options: { complexity: 'high', output_format: 'gif', frame_count: 6, frame_duration_ms: 120 } });
		expect(bodies()).toEqual([{ model: 'gpt-image-2.6-sunburst', prompt: 'A bouncing ball', n: 1, size: 'auto', quality: 'max', complexity: 'high', output_format: 'gif', frame_count: 6, frame_duration_ms: 120 }]);
		const [item] = output;
		expect(item.binary?.data).toMatchObject({ mimeType: 'image/gif', fileExtension: 'gif', fileName: 'a-bouncing-ball-1.gif' });
		expect(item.json).toMatchObject({ mimeType: 'image/gif', width: 48, height: 32, frameCount: 6, output_format: 'gif' });
		expect(item.json.generation_id).toMatch(/^gen_/);
		const bytes = await binaryBytes(item);
		expect(bytes.subarray(0, 6).toString('ascii')).toBe('GIF89a');
	});

	test('frame options are not sent without GIF output, the SVG model only with SVG', async () => {
		await generate({ model: model('gpt-image-2.6-flare'), prompt: 'A ball', options: { output_format: 'png', frame_count: 6, svg_model: 'auto' } });
		expect(bodies()).toEqual([{ model: 'gpt-image-2.6-flare', prompt: 'A ball', n: 1, size: 'auto', quality: 'auto', output_format: 'png' }]);
	});

	test('gpt-image-2.6: SVG output stored as image/svg+xml with its size, svg_usage and usage kept', async () => {
		const output = await generate({ model: model('openai/gpt-image-2.6-flare-2026-11-04'), prompt: 'A vector fox logo', sizeGptImage2: '1024x768', options: { output_format: 'svg', svg_model: 'auto' } });
		expect(bodies()[0]).toEqual({ model: 'openai/gpt-image-2.6-flare-2026-11-04', prompt: 'A vector fox logo', n: 1, size: '1024x768', quality: 'auto', output_format: 'svg', svg: { model: 'auto' } });
		const [item] = output;
		expect(item.binary?.data).toMatchObject({ mimeType: 'image/svg+xml', fileExtension: 'svg', fileName: 'a-vector-fox-logo-1.svg' });
		expect(item.json).toMatchObject({ mimeType: 'image/svg+xml', width: 48, height: 32, output_format: 'svg', svg_usage: { input_tokens: 120, output_tokens: 900, model: 'svg-author-1' } });
		expect(item.json.usage).toMatchObject({ input_tokens: 50 });
		const text = (await binaryBytes(item)).toString('utf8');
		expect(text).toMatch(/^<\?xml version="1\.0" encoding="UTF-8"\?>\n<svg xmlns/);
	});

	test.each(['gpt-image-2.7-nova', 'gpt-image-3', 'GPT-Image-2.6-Sunburst'])('%s, newer than or cased unlike the table, gets the newest fields (GIF, max)', async (id) => {
		await generate({ model: model(id), prompt: 'A ball', qualityGptImage25: 'max', options: { output_format: 'gif', frame_count: 3 } });
		expect(bodies()).toEqual([{ model: id, prompt: 'A ball', n: 1, size: 'auto', quality: 'max', output_format: 'gif', frame_count: 3 }]);
	});
});

describe('retired models, named', () => {
	test.each([
		['dall-e-3', 'OpenAI', '2026-05-12'],
		['gpt-image-1', 'OpenAI', '2026-10-23'],
		['gpt-image-1-mini', 'OpenAI', '2026-12-01'],
	])('%s: the 404 says it was retired and names gpt-image-2', async (id, provider, day) => {
		const output = await generate({ model: model(id), prompt: 'A fox' }, { continueOnFail: true });
		expect(output).toHaveLength(1);
		expect(output[0].json.error).toBe(`The model "${id}" was retired by ${provider} on ${day}: use gpt-image-2 instead`);
		expect(output[0].json.description).toBe(
			`${provider} no longer serves ${id}; gpt-image-2 replaces it. Set Model to gpt-image-2 (From List shows current models first). Gateways and Azure may still serve ${id} under their own names. The provider answered: The model \`${id}\` has been deprecated, learn more here: https://platform.openai.com/docs/deprecations (HTTP 404)`,
		);
		expect(output[0].json.httpCode).toBe('404');
		expect(output[0].pairedItem).toEqual({ item: 0 });
	});

	test('a 404 for a model the table does not know as retired keeps the provider\'s own message', async () => {
		api.server.respondNext({ status: 404, json: { error: { message: 'The model `my-model` does not exist', type: 'invalid_request_error', code: 'model_not_found' } } });
		const output = await generate({ model: model('my-model'), prompt: 'A fox' }, { continueOnFail: true });
		expect(String(output[0].json.error)).toMatch(/^The model `my-model` does not exist/);
	});
});
