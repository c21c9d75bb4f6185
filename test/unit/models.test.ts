/**
 * The model-family table drives the UI: these tests ask n8n-workflow's own display logic
 * (the code the n8n editor runs) which fields a user sees for a given model.
 */
import { NodeHelpers, type INodeParameters, type INodeProperties } from 'n8n-workflow';

import { DETECTABLE_FAMILIES, MODEL_FAMILIES, MODEL_LINES, anyCase, familyOf, type BodyField } from '../../nodes/OpenAiCompatibleImages/models';
import { MAX_REGEX } from '../../nodes/OpenAiCompatibleImages/description/familyDisplay';
import { nodeType } from '../harness/n8n';

const { description } = nodeType;
const rl = (value: string) => ({ __rl: true, mode: 'id', value });

/** The top-level parameters n8n shows, with their defaults, for these values. */
function shown(values: INodeParameters): INodeParameters {
	return NodeHelpers.getNodeParameters(description.properties, values, true, false, { typeVersion: 1 }, description) ?? {};
}

/** The Options-collection entries n8n offers for these values. */
function optionsShown(values: INodeParameters): string[] {
	const collection = description.properties.find((property) => property.name === 'options') as INodeProperties;
	const full = shown(values);
	return (collection.options as INodeProperties[])
		.filter((option) =>
			NodeHelpers.displayParameter((full.options ?? {}) as INodeParameters, option, { typeVersion: 1 }, description, full),
		)
		.map((option) => option.name);
}

/** Real model IDs as OpenAI, Azure deployments and gateways name them (and some the table has not seen yet). */
const REAL_IDS = [
	'dall-e-2', 'dall-e-3', 'DALL-E-3', 'openai/dall-e-3', 'azure/dall-e-3',
	'gpt-image-1', 'GPT-Image-1', 'gpt-image-1.5', 'gpt-image-1-2025-04-23', 'openai/gpt-image-1', 'chatgpt-image-latest',
	'gpt-image-1-mini', 'GPT-Image-1-Mini', 'gpt-image-1.5-mini',
	'gpt-image-2', 'GPT-IMAGE-2', 'gpt-image-2-2026-04-21', 'openai/gpt-image-2',
	'gpt-image-2.5-flare', 'gpt-image-2.5-sunburst', 'gpt-image-2.5-flare-2026-09-08', 'openai/gpt-image-2.5-sunburst',
	'gpt-image-2.6-flare', 'gpt-image-2.6-sunburst', 'gpt-image-2.6-flare-2026-11-04', 'openai/gpt-image-2.6-sunburst', 'GPT-Image-2.6-Sunburst',
	'gpt-image-2.7-nova', 'gpt-image-3', 'gpt-image-10', 'gpt-image-2.55', 'gpt-image-next',
	'google/gemini-2.5-flash-image', 'gemini-2.5-flash-image-preview', 'gemini-3-pro-image-preview', 'nano-banana', 'openai/gpt-5-image', 'openai/gpt-5-image-mini',
	'grok-2-image', 'grok-2-image-1212', 'grok-imagine-image', 'xai/grok-imagine-image-pro',
	'doubao-seedream-4-0-250828', 'seedream-4-0', 'doubao-seedream-4-5-251128',
	'Kwai-Kolors/Kolors', 'Qwen/Qwen-Image', 'Qwen/Qwen-Image-Edit',
	'black-forest-labs/FLUX.1-schnell', 'flux-dev', 'doubao-seedream-3-0-t2i-250415', 'my-team-image', 'stabilityai/stable-diffusion-3-5-large', 'imagen-4.0-generate-001', '',
];

describe('family detection', () => {
	test.each([
		['dall-e-2', 'dall-e-2'],
		['dall-e-3', 'dall-e-3'],
		['openai/dall-e-3', 'dall-e-3'],
		['gpt-image-1', 'gpt-image'],
		['gpt-image-1.5', 'gpt-image'],
		['chatgpt-image-latest', 'gpt-image'],
		['gpt-image-1-mini', 'gpt-image-mini'],
		['GPT-Image-2', 'gpt-image-2'],
		['DALL-E-3', 'dall-e-3'],
		['doubao-seedream-3-0-t2i-250415', 'other'],
		['', 'other'],
	])('%s is %s', (model, family) => {
		expect(familyOf(model).id).toBe(family);
	});


	test('each real model ID matches at most one family pattern (disjoint: no first-match order needed)', () => {
		for (const id of REAL_IDS) {
			const matching = DETECTABLE_FAMILIES.filter((family) => new RegExp(family.pattern as string).test(id.toLowerCase())).map((family) => family.id);
			expect([id, matching.length <= 1]).toEqual([id, true]);
			expect([id, matching[0] ?? 'other']).toEqual([id, familyOf(id).id]);
		}
	});

	test('the any-case pattern the editor uses matches exactly the IDs the code assigns to the family', () => {
		for (const family of DETECTABLE_FAMILIES) {
			const regex = new RegExp(anyCase(family.pattern as string));
			for (const id of REAL_IDS) expect([id, family.id, regex.test(id)]).toEqual([id, family.id, familyOf(id) === family]);
		}
	});

	test.each([
		['gpt-image-2.5-flare', 'gpt-image-2.5'],
		['gpt-image-2.6-flare-2026-11-04', 'gpt-image-2.6'],
		['openai/gpt-image-2.6-sunburst', 'gpt-image-2.6'],
		['gpt-image-2.7-nova', 'gpt-image-2.6'],
		['gpt-image-3', 'gpt-image-2.6'],
		['gpt-image-2-2026-04-21', 'gpt-image-2'],
	])('%s is detected as %s (dated snapshots, gateway prefixes, newer generations of the line)', (model, family) => {
		expect(familyOf(model).id).toBe(family);
	});
});

describe('the UI follows the model', () => {
	test('dall-e-3 shows size, quality and style with its own defaults', () => {
		expect(shown({ operation: 'generate', model: rl('dall-e-3') })).toMatchObject({ sizeDallE3: '1024x1024', qualityDallE3: 'standard', styleDallE3: 'vivid', n: 1 });
		expect(optionsShown({ operation: 'generate', model: rl('dall-e-3') })).toEqual(
			expect.arrayContaining(['response_format', 'user', 'extraBody', 'concurrency']),
		);
		expect(optionsShown({ operation: 'generate', model: rl('dall-e-3') })).not.toContain('background');
	});

	test('gpt-image-1 shows GPT image fields and never response_format or style', () => {
		const parameters = shown({ operation: 'generate', model: rl('gpt-image-1') });
		expect(parameters).toMatchObject({ sizeGptImage: 'auto', qualityGptImage: 'auto' });
		expect(parameters).not.toHaveProperty('styleDallE3');
		const options = optionsShown({ operation: 'generate', model: rl('gpt-image-1') });
		expect(options).toEqual(expect.arrayContaining(['background', 'output_format', 'moderation', 'user']));
		expect(options).not.toContain('response_format');
		// Compression applies to JPEG and WebP only, so it is offered with those formats.
		expect(options).not.toContain('output_compression');
		for (const format of ['jpeg', 'webp']) {
			expect(optionsShown({ operation: 'generate', model: rl('gpt-image-1'), options: { output_format: format } })).toContain('output_compression');
		}
		expect(optionsShown({ operation: 'generate', model: rl('gpt-image-1'), options: { output_format: 'png' } })).not.toContain('output_compression');
	});

	test('dall-e-2 shows size only, no quality', () => {
		const parameters = shown({ operation: 'generate', model: rl('dall-e-2') });
		expect(parameters).toMatchObject({ sizeDallE2: '1024x1024' });
		expect(Object.keys(parameters).filter((name) => name.startsWith('quality'))).toEqual([]);
	});

	test('another model shows a free size and the provider fields', () => {
		expect(shown({ operation: 'generate', model: rl('doubao-seedream-3-0-t2i-250415') })).toMatchObject({ size: '' });
		expect(optionsShown({ operation: 'generate', model: rl('doubao-seedream-3-0-t2i-250415') })).toEqual(
			expect.arrayContaining(['watermark', 'seed', 'negative_prompt', 'extraBody', 'response_format']),
		);
	});

	test('size options of each family are the table values', () => {
		const sizes = description.properties.filter((property) => property.displayName === 'Size' && property.type === 'options');
		const values = sizes.map((property) => (property.options ?? []).map((option) => (option as { value: string }).value));
		expect(values).toEqual(
			expect.arrayContaining([
				['256x256', '512x512', '1024x1024'],
				['1024x1024', '1792x1024', '1024x1792'],
				['auto', '1024x1024', '1536x1024', '1024x1536'],
			]),
		);
	});

	test('optional fields without per-generation values have one rule across families (one UI entry can describe them)', () => {
		// background and output_format differ by GPT image generation: the Options collection has a variant per list.
		const optional: BodyField[] = ['response_format', 'output_compression', 'moderation', 'input_fidelity', 'user', 'watermark', 'seed', 'negative_prompt'];
		for (const field of optional) {
			const rules = MODEL_FAMILIES.map((family) => family.fields[field]).filter(Boolean);
			const shapes = new Set(rules.map((rule) => JSON.stringify([rule?.values, rule?.min, rule?.max])));
			expect([field, shapes.size]).toEqual([field, 1]);
		}
	});
});

describe('node description', () => {
	test('is usable as an AI tool; its credential is tested by the credential itself (declarative test)', () => {
		expect(description.usableAsTool).toBe(true);
		expect(description.credentials).toEqual([{ name: 'openAiCompatibleImagesApi', required: true }]);
	});
});

describe('the description stays light', () => {
	test(`no display regex is longer than ${MAX_REGEX} characters (n8n 2.x runs each in a sandbox with a time limit)`, () => {
		const regexes: string[] = [];
		const walk = (value: unknown) => {
			if (Array.isArray(value)) value.forEach(walk);
			else if (value && typeof value === 'object') for (const [key, entry] of Object.entries(value)) (key === 'regex' && typeof entry === 'string' ? regexes.push(entry) : walk(entry));
		};
		walk(description);
		expect(regexes.filter((regex) => regex.length > MAX_REGEX)).toEqual([]);
	});
});

describe('the editor\'s cheap prefix checks are sound', () => {
	const SUFFIXES = ['', '-x', '9', '.9', '-mini', '-2026-01-01', '/x', 'x'];
	test('an ID that starts with a family\'s prefix is of that family', () => {
		for (const family of DETECTABLE_FAMILIES) {
			for (const prefix of family.prefixes ?? []) {
				for (const id of [...REAL_IDS.filter((real) => real.startsWith(prefix)), ...SUFFIXES.map((suffix) => prefix + suffix)]) {
					expect([id, familyOf(id).id]).toEqual([id, family.id]);
				}
			}
		}
	});
	test('an ID that starts with a line\'s prefix is of one of the line\'s families, and the line pattern matches exactly them', () => {
		for (const [line, { pattern, prefixes }] of Object.entries(MODEL_LINES)) {
			const members = DETECTABLE_FAMILIES.filter((family) => family.line === line).map((family) => family.id);
			for (const prefix of prefixes) for (const suffix of SUFFIXES) expect([prefix + suffix, members.includes(familyOf(prefix + suffix).id)]).toEqual([prefix + suffix, true]);
			for (const id of REAL_IDS) expect([id, new RegExp(pattern).test(id.toLowerCase())]).toEqual([id, members.includes(familyOf(id).id)]);
		}
	});
});
