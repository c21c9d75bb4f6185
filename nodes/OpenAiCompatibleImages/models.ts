/**
 * The one place that knows what each model family accepts.
 *
 * The node's UI (which fields show for which model), the validation of user input and the
 * request body are all derived from MODEL_FAMILIES and BODY_FIELDS below. Supporting a new
 * family means adding one entry to MODEL_FAMILIES.
 */

export type Operation = 'generate' | 'edit' | 'variation';

/** Request body fields the node knows how to send, besides model, prompt, n and images. */
export type BodyField =
	| 'size'
	| 'quality'
	| 'style'
	| 'response_format'
	| 'background'
	| 'output_format'
	| 'output_compression'
	| 'moderation'
	| 'input_fidelity'
	| 'user'
	| 'watermark'
	| 'seed'
	| 'negative_prompt';

export type FieldValue = string | number | boolean;

/** Image file formats, as helpers/images.ts detects them from the bytes. */
export type ImageFileFormat = 'png' | 'jpeg' | 'webp' | 'gif';

/** What an input image (or mask) file must be. */
export interface ImageRule {
	formats: readonly ImageFileFormat[];
	maxBytes: number;
	/** The image must be square. */
	square?: boolean;
	/** A mask must have the pixel dimensions of the (first) input image. */
	sameDimensionsAsImage?: boolean;
}

/** Endpoints the Image Input Mode "URLs in JSON Body" can send to, below the base URL. */
export type JsonImageEndpoint = 'generations' | 'edits';

/** How a family takes input images in a JSON body instead of as uploaded files. */
export interface JsonImageInput {
	/**
	 * `image`: a URL or data: URL string, an array of them for several (Volcengine Seedream and
	 * most gateway models). `images`: OpenAI's `images: [{ image_url }]`, mask `{ image_url }`.
	 */
	field: 'image' | 'images';
	/** Endpoints that accept it; the first is used when there is only one. */
	endpoints: readonly JsonImageEndpoint[];
	/** Whether a mask can be sent this way. */
	mask: boolean;
}

export interface FieldRule {
	/** Allowed values; the UI shows them as a dropdown. */
	values?: readonly string[];
	/** Sent when the user leaves the field alone; absent means "not sent unless set". */
	default?: FieldValue;
	/** Inclusive range for numeric fields. */
	min?: number;
	max?: number;
	/** Extra check for free-form values; returns what is wrong, or undefined when fine. */
	check?: (value: string) => string | undefined;
	/** What the UI says is allowed, for free-form fields. */
	hint?: string;
	/** An example value the UI shows in an empty free-form field. */
	placeholder?: string;
	/** The value the UI starts with, when it differs from what is sent by default (nothing). */
	initial?: FieldValue;
	/** A value that means "send nothing" (e.g. a seed of -1: the provider picks one). */
	unset?: FieldValue;
	/** Sent only when another field has one of these values (e.g. compression only for JPEG and WebP). */
	onlyWith?: { field: BodyField; values: readonly FieldValue[] };
	/** Operations the field applies to; all the family's operations when absent. */
	operations?: readonly Operation[];
}

export interface ModelFamily {
	id: string;
	displayName: string;
	/** How the UI names the models of the family in descriptions, e.g. "gpt-image-1, gpt-image-1.5". */
	label: string;
	/** Regular expression source matched against the lower-cased model ID; the last family has none and takes every other model. */
	pattern?: string;
	operations: readonly Operation[];
	promptMaxLength?: number;
	/** Most images a user may ask for per input item (the node splits them over several calls). */
	maxImages: number;
	/** Most images the provider returns from one call (`n`). */
	imagesPerRequest: number;
	/** Most input images one edit call accepts. */
	maxInputImages?: number;
	/** Input image constraints for edit and variation. */
	inputImages?: ImageRule;
	/** Mask constraints for edit; absent when the family takes no mask. */
	mask?: ImageRule;
	/** Input images as URLs in a JSON body; absent when the family takes file uploads only. */
	jsonImages?: JsonImageInput;
	fields: Partial<Record<BodyField, FieldRule>>;
	/** Model IDs offered when the server's model list cannot be loaded. */
	knownModels?: readonly string[];
}

const MB = 1024 * 1024;

export const SIZE_PATTERN = /^(\d{2,5})x(\d{2,5})$/;

/** gpt-image-2 accepts any WxH with sides divisible by 16, a ratio within 1:3..3:1, up to 3840x2160. */
function checkFlexibleSize(value: string): string | undefined {
	if (value === 'auto') return undefined;
	const match = SIZE_PATTERN.exec(value);
	if (!match) return 'use auto or WIDTHxHEIGHT, e.g. 1536x864';
	const [width, height] = [Number(match[1]), Number(match[2])];
	if (width % 16 !== 0 || height % 16 !== 0) return 'both sides must be multiples of 16';
	if (Math.max(width, height) > 3 * Math.min(width, height)) {
		return 'the aspect ratio must be between 1:3 and 3:1';
	}
	if (Math.max(width, height) > 3840 || Math.min(width, height) > 2160) {
		return 'the largest size is 3840x2160 (or 2160x3840)';
	}
	return undefined;
}

const DALL_E_RESPONSE_FORMAT: FieldRule = { values: ['b64_json', 'url'], default: 'b64_json' };
const USER: FieldRule = {};
const GPT_IMAGE_SIZES = ['auto', '1024x1024', '1536x1024', '1024x1536'] as const;

/** Fields every GPT image model shares; the entries below add or override. */
const GPT_IMAGE_FIELDS: ModelFamily['fields'] = {
	size: { values: GPT_IMAGE_SIZES, default: 'auto' },
	quality: { values: ['auto', 'low', 'medium', 'high'], default: 'auto' },
	background: { values: ['auto', 'transparent', 'opaque'] },
	output_format: { values: ['png', 'jpeg', 'webp'] },
	output_compression: {
		min: 0,
		max: 100,
		initial: 100,
		onlyWith: { field: 'output_format', values: ['jpeg', 'webp'] },
	},
	moderation: { values: ['auto', 'low'], operations: ['generate'] },
	input_fidelity: { values: ['low', 'high'], operations: ['edit'] },
	user: USER,
};

const GPT_IMAGE_BASE = {
	operations: ['generate', 'edit'],
	promptMaxLength: 32000,
	maxImages: 10,
	imagesPerRequest: 10,
	maxInputImages: 16,
	inputImages: { formats: ['png', 'jpeg', 'webp'], maxBytes: 50 * MB },
	// The mask applies to the first input image.
	mask: { formats: ['png'], maxBytes: 4 * MB, sameDimensionsAsImage: true },
	jsonImages: { field: 'images', endpoints: ['edits'], mask: true },
} as const satisfies Partial<ModelFamily>;

export const MODEL_FAMILIES: readonly ModelFamily[] = [
	{
		id: 'dall-e-2',
		displayName: 'DALL·E 2',
		label: 'dall-e-2',
		knownModels: ['dall-e-2'],
		pattern: '(^|/)dall-e-2',
		operations: ['generate', 'edit', 'variation'],
		promptMaxLength: 1000,
		maxImages: 10,
		imagesPerRequest: 10,
		maxInputImages: 1,
		inputImages: { formats: ['png'], maxBytes: 4 * MB, square: true },
		mask: { formats: ['png'], maxBytes: 4 * MB, sameDimensionsAsImage: true },
		fields: {
			size: { values: ['256x256', '512x512', '1024x1024'], default: '1024x1024' },
			response_format: DALL_E_RESPONSE_FORMAT,
			user: USER,
		},
	},
	{
		id: 'dall-e-3',
		displayName: 'DALL·E 3',
		label: 'dall-e-3',
		knownModels: ['dall-e-3'],
		pattern: '(^|/)dall-e-3',
		operations: ['generate'],
		promptMaxLength: 4000,
		maxImages: 10,
		imagesPerRequest: 1,
		fields: {
			size: { values: ['1024x1024', '1792x1024', '1024x1792'], default: '1024x1024' },
			quality: { values: ['standard', 'hd'], default: 'standard' },
			style: { values: ['vivid', 'natural'], default: 'vivid' },
			response_format: DALL_E_RESPONSE_FORMAT,
			user: USER,
		},
	},
	{
		id: 'gpt-image-mini',
		displayName: 'GPT Image Mini',
		label: 'gpt-image-1-mini',
		knownModels: ['gpt-image-1-mini'],
		pattern: '(^|/)gpt-image-[0-9.]+-mini',
		...GPT_IMAGE_BASE,
		// The mini models do not take input_fidelity.
		fields: { ...GPT_IMAGE_FIELDS, input_fidelity: undefined },
	},
	{
		id: 'gpt-image-2',
		displayName: 'GPT Image 2',
		label: 'gpt-image-2',
		knownModels: ['gpt-image-2'],
		pattern: '(^|/)gpt-image-2',
		...GPT_IMAGE_BASE,
		fields: {
			...GPT_IMAGE_FIELDS,
			size: {
				default: 'auto',
				check: checkFlexibleSize,
				hint: 'auto, or any WIDTHxHEIGHT with sides divisible by 16, a ratio between 1:3 and 3:1, up to 3840x2160',
				placeholder: 'e.g. auto or 1536x864',
			},
		},
	},
	{
		id: 'gpt-image',
		displayName: 'GPT Image',
		label: 'gpt-image-1, gpt-image-1.5, chatgpt-image-latest',
		knownModels: ['gpt-image-1', 'gpt-image-1.5'],
		pattern: '(^|/)(gpt-image|chatgpt-image)',
		...GPT_IMAGE_BASE,
		fields: GPT_IMAGE_FIELDS,
	},
	{
		id: 'other',
		displayName: 'Other Models',
		label: 'other models',
		operations: ['generate', 'edit'],
		maxImages: 10,
		imagesPerRequest: 10,
		maxInputImages: 16,
		inputImages: { formats: ['png', 'jpeg', 'webp', 'gif'], maxBytes: 50 * MB },
		mask: { formats: ['png', 'jpeg', 'webp', 'gif'], maxBytes: 50 * MB },
		// Volcengine Seedream (also behind new-api) takes `image` on images/generations.
		jsonImages: { field: 'image', endpoints: ['generations', 'edits'], mask: false },
		fields: {
			size: {
				default: '',
				check: (value) => (/\s/.test(value) ? 'remove the spaces' : undefined),
				hint: 'whatever the provider accepts, e.g. 1024x1024 or 2K; empty lets the provider choose',
				placeholder: 'e.g. 1024x1024 or 2K',
			},
			response_format: { values: ['b64_json', 'url'] },
			watermark: {},
			seed: { min: -1, max: 2 ** 32 - 1, initial: -1, unset: -1 },
			negative_prompt: {},
			user: USER,
		},
	},
];

const matchers = MODEL_FAMILIES.map((family) =>
	family.pattern === undefined ? undefined : new RegExp(family.pattern),
);

/** The family a model ID belongs to, whatever its letter case. */
export function familyOf(model: string): ModelFamily {
	const id = model.trim().toLowerCase();
	const index = matchers.findIndex((matcher) => matcher === undefined || matcher.test(id));
	return MODEL_FAMILIES[index];
}

/** The Model Family choice that detects the family from the model ID. */
export const DETECT_FAMILY = 'auto';

/** The family the user chose, or the one the model ID names when the choice is DETECT_FAMILY. */
export function resolveFamily(model: string, choice: string = DETECT_FAMILY): ModelFamily {
	return MODEL_FAMILIES.find((family) => family.id === choice) ?? familyOf(model);
}

/**
 * The regular expression source with every ASCII letter matching both cases: n8n's display
 * conditions take a pattern without flags, and users type DALL-E-3 as often as dall-e-3.
 * Patterns in this file use lower-case literals and no letter ranges.
 */
function anyCase(source: string): string {
	let result = '';
	for (let index = 0; index < source.length; index++) {
		const char = source[index];
		if (char === '\\') {
			result += char + (source[index + 1] ?? '');
			index++;
		} else if (/[a-z]/.test(char)) {
			result += `[${char}${char.toUpperCase()}]`;
		} else {
			result += char;
		}
	}
	return result;
}

/**
 * A regular expression source that matches exactly the model IDs of the given families, in any
 * letter case, honouring the first-match order of MODEL_FAMILIES. Used by the UI's displayOptions.
 */
export function modelRegexFor(families: readonly ModelFamily[]): string {
	const alternatives = families.map((family) => {
		const position = MODEL_FAMILIES.indexOf(family);
		const earlier = MODEL_FAMILIES.slice(0, position)
			.filter((other) => other.pattern !== undefined)
			.map((other) => `(?!.*(?:${anyCase(other.pattern as string)}))`)
			.join('');
		const own = family.pattern === undefined ? '' : `(?=.*(?:${anyCase(family.pattern)}))`;
		return `^${earlier}${own}`;
	});
	return alternatives.map((alternative) => `(?:${alternative})`).join('|');
}

/** The rule of a field for a family and operation, or undefined when the family does not take it there. */
export function fieldRule(
	family: ModelFamily,
	field: BodyField,
	operation: Operation,
): FieldRule | undefined {
	const rule = family.fields[field];
	if (!rule || !family.operations.includes(operation)) return undefined;
	if (rule.operations && !rule.operations.includes(operation)) return undefined;
	return rule;
}

/** Model IDs that name an image model, to sort them first in the model list. */
export const IMAGE_MODEL_PATTERN =
	/dall-e|gpt-image|chatgpt-image|flux|seedream|seededit|imagen|cogview|wanx|wan2|kolors|grok-2-image|grok-image|grok.*image|stable-diffusion|sdxl|sd3|ideogram|recraft|midjourney|mj_|playground|hidream|qwen-image|hunyuan-image|jimeng|kling.*image|image/i;
