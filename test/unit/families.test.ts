/**
 * However the user names the model (a literal ID in any case, an expression, $fromAI in the AI
 * Agent tool, an Azure deployment name with its Model Family chosen), the editor shows exactly
 * one of each field, with that family's values, and the run sends what the editor showed.
 * "What the editor shows" is asked of n8n-workflow's own display logic (NodeHelpers), the code
 * the editor runs; the run goes through n8n-core's real execution context to the loopback api.server.
 */
import {
	NodeHelpers,
	type IDataObject,
	type INodeParameters,
	type INodeProperties,
	type INodeTypeDescription,
} from 'n8n-workflow';

import { subtitleExpression } from '../../nodes/OpenAiCompatibleImages/description/familyDisplay';
import { DETECTABLE_FAMILIES, MODEL_FAMILIES, type Operation } from '../../nodes/OpenAiCompatibleImages/models';
import { nodeType, runNode } from '../harness/n8n';
import { useImageServer } from '../harness/fixture';

const API_KEY = 'sk-test-families-key';
const api = useImageServer({ apiKey: API_KEY, imageSize: { width: 16, height: 16 } });

const { description } = nodeType;
const rl = (value: string) => ({ __rl: true, mode: 'id', value });
const node = { typeVersion: 1 };

/** The tool variant n8n derives from the node (usableAsTool): same properties, name ending in Tool. */
const toolDescription: INodeTypeDescription = { ...description, name: `${description.name}Tool` };

/** The node's parameters with n8n's defaults filled in, as the editor stores them. */
function normalized(values: INodeParameters, type = description): INodeParameters {
	return NodeHelpers.getNodeParameters(type.properties, values, true, false, node, type) ?? {};
}

/** The properties the editor displays at the top level and in the Options collection. */
function displayed(values: INodeParameters, type = description) {
	const full = normalized(values, type);
	const top = type.properties.filter((property) => NodeHelpers.displayParameter(full, property, node, type, full));
	const collection = type.properties.find((property) => property.name === 'options') as INodeProperties;
	const inOptions = (collection.options as INodeProperties[]).filter((property) =>
		NodeHelpers.displayParameter((full.options ?? {}) as INodeParameters, property, node, type, full),
	);
	return { full, top, inOptions };
}

const names = (properties: INodeProperties[]) => properties.map((property) => property.name);
/** The displayed property of a main field, found by its label as the user sees it (each family's dropdown is its own parameter). */
const LABELS: Record<string, string> = { size: 'Size', quality: 'Quality', style: 'Style', aspect_ratio: 'Aspect Ratio', resolution: 'Resolution' };
const fieldIn = (properties: INodeProperties[], field: string) => properties.find((property) => property.displayName === LABELS[field]);
const optionValues = (property: INodeProperties | undefined) =>
	(property?.options ?? []).map((option) => (option as { value: string }).value);

function expectNoDuplicates(properties: INodeProperties[]) {
	const seen = names(properties).filter((name) => name !== 'options');
	expect(seen).toEqual([...new Set(seen)]);
}

const family = (id: string) => MODEL_FAMILIES.find((entry) => entry.id === id)!;

describe('the editor shows exactly one of each field, for every way of naming the model', () => {
	const cases: Array<[string, INodeParameters, string, INodeTypeDescription?]> = [
		['dall-e-2', { model: rl('dall-e-2') }, 'dall-e-2'],
		['dall-e-3', { model: rl('dall-e-3') }, 'dall-e-3'],
		['DALL-E-3 (upper case)', { model: rl('DALL-E-3') }, 'dall-e-3'],
		['GPT-Image-2 (mixed case)', { model: rl('GPT-Image-2') }, 'gpt-image-2'],
		['gpt-image-1', { model: rl('gpt-image-1') }, 'gpt-image'],
		['a gateway model', { model: rl('doubao-seedream-3-0-t2i-250415') }, 'other'],
		['a Gemini image model (chat completions)', { model: rl('google/gemini-2.5-flash-image') }, 'chat-image'],
		['an xAI image model', { model: rl('grok-2-image') }, 'xai'],
		['Seedream 4', { model: rl('doubao-seedream-4-0-250828') }, 'seedream-4'],
		['a SiliconFlow model', { model: rl('Kwai-Kolors/Kolors') }, 'siliconflow'],
		['a FLUX model with Together chosen', { model: rl('black-forest-labs/FLUX.1-schnell'), modelFamily: 'together' }, 'together'],
		['OpenRouter\'s images endpoint chosen', { model: rl('google/gemini-2.5-flash-image'), modelFamily: 'openrouter-images' }, 'openrouter-images'],
		['an Azure deployment with its family chosen', { model: rl('my-gpt-image'), modelFamily: 'gpt-image' }, 'gpt-image'],
		['an expression with its family chosen', { model: rl('={{ $json.model }}'), modelFamily: 'dall-e-3' }, 'dall-e-3'],
	];

	test.each(cases)('%s: the family\'s own Size, Quality and Style', (_name, values, familyId) => {
		const { top } = displayed({ operation: 'generate', ...values });
		expectNoDuplicates(top);
		expect(top.map((property) => property.displayName)).toEqual([...new Set(top.map((property) => property.displayName))]);
		const expected = family(familyId);
		for (const field of ['size', 'quality', 'style', 'aspect_ratio', 'resolution'] as const) {
			const property = fieldIn(top, field);
			const rule = expected.fields[field];
			expect([field, property !== undefined]).toEqual([field, rule !== undefined]);
			if (rule?.values) expect(optionValues(property)).toEqual(rule.values);
		}
	});

	test('a model given as an expression: one generic Size, Quality and Style, as text', () => {
		const { top, inOptions } = displayed({ operation: 'generate', model: rl('={{ $json.model }}') });
		expectNoDuplicates(top);
		expectNoDuplicates(inOptions);
		const fields = top.filter((property) => ['size', 'quality', 'style'].includes(property.name));
		expect(fields.map((property) => [property.name, property.type, property.default])).toEqual([
			['size', 'string', ''],
			['quality', 'string', ''],
			['style', 'string', ''],
		]);
		expect(fields[0].description).toMatch(/dall-e-3: one of 1024x1024, 1792x1024, 1024x1792/);
	});

	test('the AI Agent tool with the model left to $fromAI: one of each field, every one a text field $fromAI can fill', () => {
		const values = { operation: 'generate', model: rl("={{ $fromAI('Model', '', 'string') }}") };
		const { top, inOptions } = displayed(values, toolDescription);
		expectNoDuplicates(top);
		expectNoDuplicates(inOptions);
		const dropdowns = [...top, ...inOptions].filter((property) => property.type === 'options' && property.name !== 'operation');
		// Model Family is the only dropdown left: it decides which fields exist, so it cannot come from the model.
		expect(names(dropdowns)).toEqual(['modelFamily']);
	});

	test('the AI Agent tool with a literal model: its dropdowns become text fields with the allowed values', () => {
		const { top } = displayed({ operation: 'generate', model: rl('dall-e-3') }, toolDescription);
		expectNoDuplicates(top);
		const quality = fieldIn(top, 'quality');
		expect(quality).toMatchObject({ type: 'string', default: 'standard' });
		expect(quality?.description).toMatch(/Allowed: one of standard, hd/);
		// The regular node keeps its dropdown.
		expect(displayed({ operation: 'generate', model: rl('dall-e-3') }).top.find((property) => property.displayName === 'Quality')?.type).toBe('options');
	});

	test('Edit with dall-e-3 shows a notice naming the models that can edit, and no edit fields', () => {
		const { top } = displayed({ operation: 'edit', model: rl('dall-e-3') });
		expect(names(top)).toEqual(['operation', 'model', 'modelFamily', 'editUnsupported', 'options']);
		expect(top.find((property) => property.type === 'notice')?.displayName).toMatch(/cannot edit images.*gpt-image-2.*gpt-image-1.*dall-e-2/);
	});

	test('Variation with gpt-image-1 shows a notice naming dall-e-2', () => {
		const { top } = displayed({ operation: 'variation', model: rl('gpt-image-1') });
		expect(top.find((property) => property.type === 'notice')?.displayName).toMatch(/cannot make variations\. Models that can: dall-e-2\./);
		expect(names(top)).not.toContain('binaryPropertyName');
	});

	test('Edit in JSON mode: GPT image models default to Edits, Seedream-style models to Generations', () => {
		const gpt = displayed({ operation: 'edit', model: rl('gpt-image-1'), imageInputMode: 'json' });
		expect(gpt.full.endpoint).toBe('edits');
		expect(optionValues(gpt.top.find((property) => property.name === 'endpoint'))).toEqual(['edits']);
		const seedream = displayed({ operation: 'edit', model: rl('doubao-seedream-3-0-t2i-250415'), imageInputMode: 'json' });
		expect(seedream.full.endpoint).toBe('generations');
	});

	test('Edit with a model that takes images only as URLs (chat models, Seedream 4, OpenRouter): no uploads, no Endpoint, URLs offered, no mask', () => {
		for (const values of [
			{ model: rl('gemini-2.5-flash-image') },
			{ model: rl('doubao-seedream-4-0-250828') },
			{ model: rl('google/gemini-2.5-flash-image'), modelFamily: 'openrouter-images' },
		]) {
			const { top, full } = displayed({ operation: 'edit', ...values });
			expectNoDuplicates(top);
			expect(full.imageInputMode).toBe('json');
			expect(optionValues(top.find((property) => property.name === 'imageInputMode'))).toEqual(['json']);
			expect(names(top)).not.toContain('endpoint');
			expect(names(top)).not.toContain('maskBinaryPropertyName');
			expect(optionValues(top.find((property) => property.name === 'imageSource'))).toContain('urls');
		}
	});

	test('the mask field shows only where a mask can be sent', () => {
		expect(names(displayed({ operation: 'edit', model: rl('gpt-image-1'), imageInputMode: 'json' }).top)).toContain('maskBinaryPropertyName');
		expect(names(displayed({ operation: 'edit', model: rl('doubao-seedream-3-0-t2i-250415'), imageInputMode: 'json' }).top)).not.toContain('maskBinaryPropertyName');
		expect(names(displayed({ operation: 'edit', model: rl('doubao-seedream-3-0-t2i-250415') }).top)).toContain('maskBinaryPropertyName');
	});

	test('Output Compression starts at 100; Seed starts at -1 (none sent)', () => {
		const compression = displayed({ operation: 'generate', model: rl('gpt-image-1'), options: { output_format: 'jpeg' } }).inOptions.find(
			(property) => property.name === 'output_compression',
		);
		expect(compression?.default).toBe(100);
		const seed = displayed({ operation: 'generate', model: rl('flux-dev') }).inOptions.find((property) => property.name === 'seed');
		expect(seed?.default).toBe(-1);
	});

	test('switching model: the new family\'s dropdown starts from its own default, no foreign value is left', () => {
		// Each family's Size dropdown is its own parameter: the dall-e-3 value stays with the
		// dall-e-3 parameter, which n8n drops once it is hidden, and gpt-image-1's starts at its default.
		const before = normalized({ operation: 'generate', model: rl('dall-e-3'), prompt: 'a', sizeDallE3: '1792x1024' });
		expect(before.sizeDallE3).toBe('1792x1024');
		const after = normalized({ ...before, model: rl('gpt-image-1') });
		expect(after).not.toHaveProperty('sizeDallE3');
		expect(after.sizeGptImage).toBe('auto');
		const sizes = description.properties.filter((property) => property.displayName === 'Size' && property.type === 'options');
		expect(new Set(sizes.map((property) => property.name)).size).toBe(new Set(sizes.map((property) => JSON.stringify(optionValues(property)))).size);
	});
});

describe('the run sends what the editor showed', () => {
	/** Runs Generate with the parameters the editor would store for these values. */
	async function sent(values: INodeParameters, json: IDataObject = {}) {
		const parameters = { ...normalized({ operation: 'generate', prompt: 'a fox', ...values }) };
		await runNode({ parameters, credentials: api.credentials, items: [{ json }] });
		const [request] = api.server.imageRequests();
		return request.body as Record<string, unknown>;
	}

	test('DALL-E-3 in upper case is sent with DALL·E 3\'s defaults shown in the editor', async () => {
		expect(await sent({ model: rl('DALL-E-3') })).toMatchObject({ model: 'DALL-E-3', size: '1024x1024', quality: 'standard', style: 'vivid', response_format: 'b64_json' });
	});

	test('an Azure deployment name with Model Family GPT Image gets Quality and Output Format', async () => {
		const body = await sent({ model: rl('my-gpt-image'), modelFamily: 'gpt-image', qualityGptImage: 'high', options: { output_format: 'jpeg', output_compression: 80 } });
		expect(body).toMatchObject({ model: 'my-gpt-image', quality: 'high', output_format: 'jpeg', output_compression: 80, size: 'auto' });
	});

	test('an expression model with its family chosen sends that family\'s fields', async () => {
		const body = await sent({ model: rl('={{ $json.model }}'), modelFamily: 'dall-e-3', sizeDallE3: '1792x1024' }, { model: 'team-dalle' });
		expect(body).toMatchObject({ model: 'team-dalle', size: '1792x1024', quality: 'standard', style: 'vivid' });
	});

	test('an expression model with generic fields: empty fields send the resolved family\'s defaults', async () => {
		expect(await sent({ model: rl('={{ $json.model }}') }, { model: 'gpt-image-1' })).toEqual({ model: 'gpt-image-1', prompt: 'a fox', n: 1, size: 'auto', quality: 'auto' });
	});

	test('an expression model with generic fields: set values are checked against the resolved family', async () => {
		expect(await sent({ model: rl('={{ $json.model }}'), quality: 'hd', style: 'natural' }, { model: 'dall-e-3' })).toMatchObject({ quality: 'hd', style: 'natural' });
		api.server.reset();
		await expect(sent({ model: rl('={{ $json.model }}'), style: 'natural' }, { model: 'gpt-image-1' })).rejects.toThrow(
			/Style "natural" cannot be sent: GPT Image models take no style/,
		);
		await expect(sent({ model: rl('={{ $json.model }}'), quality: 'hd' }, { model: 'gpt-image-1' })).rejects.toThrow(
			/Quality "hd" is not accepted by GPT Image models/,
		);
		expect(api.server.imageRequests()).toHaveLength(0);
	});

	test('$fromAI in the tool: the model chooses the model and the quality', async () => {
		const parameters = normalized(
			{ operation: 'generate', prompt: 'a fox', model: rl("={{ $fromAI('Model', '', 'string') }}"), quality: "={{ $fromAI('Quality', '', 'string') }}" },
			toolDescription,
		);
		await runNode({ parameters, credentials: api.credentials, items: [{ json: { Model: 'dall-e-3', Quality: 'hd' } }] });
		expect(api.server.imageRequests()[0].body).toMatchObject({ model: 'dall-e-3', quality: 'hd', style: 'vivid' });
	});

	test('Output Compression is sent only with JPEG or WebP; Seed -1 is not sent', async () => {
		expect(await sent({ model: rl('gpt-image-1'), options: { output_format: 'png', output_compression: 50 } })).not.toHaveProperty('output_compression');
		api.server.reset();
		expect(await sent({ model: rl('gpt-image-1'), options: { output_format: 'webp', output_compression: 50 } })).toMatchObject({ output_compression: 50 });
		api.server.reset();
		expect(await sent({ model: rl('flux-dev'), options: { seed: -1 } })).not.toHaveProperty('seed');
		api.server.reset();
		expect(await sent({ model: rl('flux-dev'), options: { seed: 7 } })).toMatchObject({ seed: 7 });
	});

	test('Edit in JSON mode with gpt-image-1 at its default endpoint goes to images/edits', async () => {
		const parameters = normalized({ operation: 'edit', prompt: 'sky', model: rl('gpt-image-1'), imageInputMode: 'json', imageSource: 'urls', imageUrls: 'https://example.com/a.png' });
		await runNode({ parameters, credentials: api.credentials });
		expect(api.server.imageRequests().map((request) => request.path)).toEqual(['/v1/images/edits']);
	});

	test('an unknown operation (n8n\'s Custom API Call) fails with a clear error', async () => {
		await expect(runNode({ parameters: { operation: '__CUSTOM_API_CALL__', model: rl('gpt-image-1') }, credentials: api.credentials })).rejects.toThrow(
			/The operation "__CUSTOM_API_CALL__" is not supported by this node/,
		);
		expect(api.server.imageRequests()).toHaveLength(0);
	});
});

describe('Number of Images in the editor has the model\'s own limit', () => {
	test.each([
		['gpt-image-2', 10, { model: rl('gpt-image-2') }],
		['gpt-image-2.6-sunburst', 10, { model: rl('gpt-image-2.6-sunburst') }],
		['Seedream 4', 15, { model: rl('doubao-seedream-4-0-250828') }],
		['Seedream 4 chosen as the family', 15, { model: rl('my-deployment'), modelFamily: 'seedream-4' }],
		['a model set by an expression (checked per item when it runs)', 15, { model: rl('={{ $json.model }}') }],
	] as Array<[string, number, INodeParameters]>)('%s: 1 to %i', (_name, max, values) => {
		for (const operation of ['generate', 'edit']) {
			const shown = displayed({ operation, ...values }).top.filter((property) => property.name === 'n');
			expect(shown.map((property) => [property.typeOptions?.maxValue, property.description])).toEqual([[max, expect.stringContaining(`(1-${max})`)]]);
		}
	});
});

describe('the canvas subtitle', () => {
	// The node's own subtitle expression, run as the editor runs it: $parameter holds the node's
	// parameters, and a model given as an expression cannot be resolved without input data.
	const body = subtitleExpression().replace(/^=\{\{/, '').replace(/\}\}$/, '');
	const subtitle = (parameters: Record<string, unknown>): string =>
		new Function('$parameter', `return ${body}`)(
			new Proxy(parameters, {
				get: (target, key: string) => {
					const value = target[key];
					if (typeof value === 'object' && value && String((value as { value: unknown }).value).startsWith('=')) throw new Error('no input data');
					return value;
				},
			}),
		) as string;
	const model = (id: string) => ({ __rl: true, mode: 'id', value: id });
	const OPERATIONS: Operation[] = ['generate', 'edit', 'variation'];

	test('names the family the fields follow: detected, newer than the table, unknown, chosen, expression', () => {
		expect(subtitle({ operation: 'generate', model: model('gpt-image-2') })).toBe('GPT Image 2 · generate');
		expect(subtitle({ operation: 'generate', model: model('GPT-IMAGE-2.6-sunburst') })).toBe('GPT Image 2.6 · generate');
		expect(subtitle({ operation: 'generate', model: model('gpt-image-2.7-nova') })).toBe('as GPT Image 2.6 · generate');
		expect(subtitle({ operation: 'edit', model: model('my-team-image') })).toBe('Other Models · edit');
		expect(subtitle({ operation: 'edit', model: model('={{ $json.model }}') })).toBe('family at run time · edit');
		// A chosen family is what the fields follow, even for a model from an expression.
		expect(subtitle({ operation: 'generate', model: model('={{ $json.deployment }}'), modelFamily: 'dall-e-3' })).toBe('DALL·E 3 · generate');
	});

	test('fits the canvas (about 30 characters) for every family and operation, detected or chosen', () => {
		const all: string[] = [];
		for (const operation of OPERATIONS) {
			all.push(subtitle({ operation, model: model('={{ $json.model }}') }), subtitle({ operation, model: model('gpt-image-2.7-nova') }));
			for (const family of MODEL_FAMILIES) all.push(subtitle({ operation, model: model('x'), modelFamily: family.id }));
			for (const family of DETECTABLE_FAMILIES) for (const id of family.knownModels ?? []) all.push(subtitle({ operation, model: model(id) }));
		}
		expect(all.length).toBeGreaterThan(50);
		expect(all.filter((text) => text.length > 30)).toEqual([]);
	});
});
