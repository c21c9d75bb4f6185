/**
 * The one place that knows what each model family accepts.
 *
 * The node's UI (which fields show for which model), the validation of user input and the
 * request body are all derived from MODEL_FAMILIES and BODY_FIELDS below. Supporting a new
 * family means adding one entry to MODEL_FAMILIES.
 */

export type Operation = 'generate' | 'edit' | 'variation';

export type FieldValue = string | number | boolean;

/** How a body field is shown and read: its label (also in error messages), whether it sits on the node or in Options, its type. */
export interface FieldKind {
	displayName: string;
	/** Main fields sit on the node; the others are in the Options collection. */
	main?: boolean;
	type: 'options' | 'string' | 'number' | 'boolean';
}

/** Request body fields the node knows how to send, besides model, prompt, n and images, with how each is shown and read. */
const FIELD_KINDS = {
	size: { displayName: 'Size', main: true, type: 'options' },
	quality: { displayName: 'Quality', main: true, type: 'options' },
	style: { displayName: 'Style', main: true, type: 'options' },
	response_format: { displayName: 'Response Format', type: 'options' },
	background: { displayName: 'Background', type: 'options' },
	output_format: { displayName: 'Output Format', type: 'options' },
	output_compression: { displayName: 'Output Compression', type: 'number' },
	moderation: { displayName: 'Moderation', type: 'options' },
	input_fidelity: { displayName: 'Input Fidelity', type: 'options' },
	user: { displayName: 'User', type: 'string' },
	watermark: { displayName: 'Watermark', type: 'boolean' },
	seed: { displayName: 'Seed', type: 'number' },
	negative_prompt: { displayName: 'Negative Prompt', type: 'string' },
	aspect_ratio: { displayName: 'Aspect Ratio', main: true, type: 'string' },
	resolution: { displayName: 'Resolution', main: true, type: 'string' },
	width: { displayName: 'Width', type: 'number' },
	height: { displayName: 'Height', type: 'number' },
	steps: { displayName: 'Steps', type: 'number' },
	guidance_scale: { displayName: 'Guidance Scale', type: 'number' },
	complexity: { displayName: 'Complexity', type: 'options' },
	frame_count: { displayName: 'Frame Count', type: 'number' },
	frame_duration_ms: { displayName: 'Frame Duration (Ms)', type: 'number' },
	svg_model: { displayName: 'SVG Authoring Model', type: 'string' },
} satisfies Record<string, FieldKind>;

export type BodyField = keyof typeof FIELD_KINDS;

export const BODY_FIELD_KINDS: Record<BodyField, FieldKind> = FIELD_KINDS;

export const BODY_FIELDS = Object.keys(BODY_FIELD_KINDS) as BodyField[];

/** The node parameter holding the model family choice. */
export const MODEL_FAMILY_PARAMETER = 'modelFamily';

/** Image file formats, as helpers/images.ts detects them from the bytes. */
export type ImageFileFormat = 'png' | 'jpeg' | 'webp' | 'gif' | 'svg';

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
	 * `input_references`: OpenRouter's `[{ type: 'image_url', image_url: { url } }]`.
	 */
	field: 'image' | 'images' | 'input_references';
	/** Endpoints that accept it; the first is used when there is only one. */
	endpoints: readonly JsonImageEndpoint[];
	/** Whether a mask can be sent this way. */
	mask: boolean;
	/** The family takes input images only this way: Image Input Mode does not apply. */
	only?: boolean;
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
	/**
	 * The node parameter a main field is stored in (sizeDallE3, sizeGptImage2, ...). Declared here,
	 * never derived: a saved workflow keeps its value under this name. Each list of values has its
	 * own, and so has each free-form field with a default of its own, so that after a model change
	 * (or a detour through an expression model, whose generic field starts empty) the new family's
	 * field starts at its own default, not at another family's value.
	 */
	parameter?: string;
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
	/** Where the value goes in the request body, dotted for a nested object (`image_config.aspect_ratio`); the field's name when absent. */
	path?: string;
	/** A number that may have a fraction (guidance scale); whole numbers only otherwise. */
	fraction?: boolean;
}

/** Where a call asks for its number of images. */
export interface CountRule {
	/** Body path of the count, dotted for a nested object. */
	path: string;
	/**
	 * Sent only when a call asks for more than one image, together with these fields (Volcengine
	 * Seedream 4 makes a group of up to `max_images` related images with
	 * `sequential_image_generation: "auto"`).
	 */
	group?: Readonly<Record<string, FieldValue>>;
}

export interface ModelFamily {
	id: string;
	displayName: string;
	/** The name where space is short: the canvas subtitle shows about 30 characters (test/unit/families.test.ts). */
	shortName?: string;
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
	/**
	 * How requests are sent: `images`, the Images API (the default); `chat`, a chat completion
	 * whose one user message holds the prompt and any input images as `image_url` parts, the
	 * images read back from every answer shape gateways use (helpers/chatImages.ts).
	 */
	api?: 'images' | 'chat';
	/** Generate path below the base URL when it is not the API's usual one (OpenRouter: `images`). */
	generatePath?: string;
	/** Body fields sent with every request of the family, whatever the user set. */
	alwaysSend?: Readonly<Record<string, FieldValue>>;
	/** Where a call's number of images goes: `n` when absent; false when nowhere (one image per call). */
	count?: CountRule | false;
	/**
	 * Never detected from the model ID, only used when chosen as Model Family: its model IDs are
	 * the same as other providers' (Together's FLUX models are SiliconFlow's too; OpenRouter serves
	 * one model ID on chat completions and on its images endpoint).
	 */
	explicitOnly?: boolean;
	/** Model IDs its provider has retired, with the day, and the model that replaces them. */
	retired?: Retirement;
	/**
	 * A family that stands for a provider's newest generation: model IDs of its line that the
	 * table has not seen yet (gpt-image-2.7, gpt-image-3) are detected as it, not as Other Models.
	 */
	newestOfLine?: boolean;
	/** The line of models the family belongs to (MODEL_LINES): its pattern matches exactly the IDs of the line's families. */
	line?: keyof typeof MODEL_LINES;
	/**
	 * How model IDs of this family usually start, as providers write them: an ID that starts so is
	 * always of the family (test/unit/models.test.ts proves it). The editor checks these before the family's
	 * regular expression, which n8n runs in a sandbox, so the usual IDs cost no regex at all.
	 */
	prefixes?: readonly string[];
}

export interface ModelLine {
	/** Matches exactly the model IDs of the line's families. */
	pattern: string;
	/** How the line's IDs usually start: an ID that starts so is of one of its families. */
	prefixes: readonly string[];
}

/**
 * Lines of model families: one short pattern for all their IDs, so the editor's conditions for a
 * field every family of the line takes stay short (test/unit/models.test.ts proves it equals the
 * union of the families' patterns on real IDs).
 */
export const MODEL_LINES = {
	// Every gpt-image-* ID is of the line: the newest generation takes those the table has not seen.
	'gpt-image': { pattern: '(^|/)(gpt-image-|chatgpt-image)', prefixes: ['gpt-image-', 'chatgpt-image'] },
} as const satisfies Record<string, ModelLine>;

export interface Retirement {
	provider: string;
	/** Model ID (lower case, without a gateway prefix) to the day it was retired. */
	models: Readonly<Record<string, string>>;
	replacement: string;
}

const MB = 1024 * 1024;

export const SIZE_PATTERN = /^(\d{2,5})x(\d{2,5})$/;

/** gpt-image-2's line takes any WxH: sides multiples of 16, long:short at most 3:1, longest edge 3840, 655,360 to 8,294,400 pixels. */
export const FLEXIBLE_SIZE = { multiple: 16, maxRatio: 3, maxEdge: 3840, minPixels: 655_360, maxPixels: 8_294_400 } as const;

function checkFlexibleSize(value: string): string | undefined {
	if (value === 'auto') return undefined;
	const match = SIZE_PATTERN.exec(value);
	if (!match) return 'use auto or WIDTHxHEIGHT, e.g. 1536x864';
	const [width, height] = [Number(match[1]), Number(match[2])];
	const { multiple, maxRatio, maxEdge, minPixels, maxPixels } = FLEXIBLE_SIZE;
	if (width % multiple !== 0 || height % multiple !== 0) return `both sides must be multiples of ${multiple}`;
	if (Math.max(width, height) > maxRatio * Math.min(width, height)) {
		return `the aspect ratio must be between 1:${maxRatio} and ${maxRatio}:1`;
	}
	if (Math.max(width, height) > maxEdge) return `the longest side is at most ${maxEdge}`;
	const pixels = width * height;
	if (pixels < minPixels || pixels > maxPixels) {
		return `the image must have ${minPixels.toLocaleString('en-US')} to ${maxPixels.toLocaleString('en-US')} pixels (e.g. 1024x640 to 3840x2160), not ${pixels.toLocaleString('en-US')}`;
	}
	return undefined;
}

/** Aspect ratio as a provider takes it, e.g. 16:9; empty is not sent. */
const ASPECT_RATIO: FieldRule = {
	default: '',
	check: (value) => (/^(\d{1,2}:\d{1,2}|auto)$/.test(value) ? undefined : 'use WIDTH:HEIGHT, e.g. 16:9'),
	hint: 'e.g. 1:1, 16:9, 9:16, 4:3, 21:9 as the model takes them; empty lets the model choose',
};
/** A resolution class, e.g. 1K, 2K, 4K; empty is not sent. */
const RESOLUTION: FieldRule = {
	default: '',
	check: (value) => (/^\d{1,2}k$/i.test(value) ? undefined : 'use a class such as 1K, 2K or 4K'),
	hint: '1K, 2K or 4K as the model takes them; empty lets the model choose',
};
/** Optional fields share one rule across families: the Options collection has one entry per field. */
const SEED: FieldRule = { min: -1, max: 2 ** 32 - 1, initial: -1, unset: -1 };
const STEPS: FieldRule = { min: 1, max: 100 };
// -1 is "not sent": 0 is a real guidance scale that changes the image.
const GUIDANCE_SCALE: FieldRule = { min: 0, max: 20, fraction: true, initial: -1, unset: -1 };
/** Pixel size WIDTHxHEIGHT. */
const PIXEL_SIZE: FieldRule = {
	default: '1024x1024',
	parameter: 'sizePixels',
	check: (value) => (SIZE_PATTERN.test(value) ? undefined : 'use WIDTHxHEIGHT, e.g. 1024x1024'),
	hint: 'WIDTHxHEIGHT the model takes, e.g. 1024x1024 or 768x1024',
};

const DALL_E_RESPONSE_FORMAT: FieldRule = { values: ['b64_json', 'url'], default: 'b64_json' };
const USER: FieldRule = {};
const OPENAI: Omit<Retirement, 'models'> = { provider: 'OpenAI', replacement: 'gpt-image-2' };

const COMPRESSION: FieldRule = {
	min: 0,
	max: 100,
	initial: 100,
	onlyWith: { field: 'output_format', values: ['jpeg', 'webp'] },
};

/** Fields of gpt-image-1 and 1.5; the later generations below add or take away. */
const GPT_IMAGE_FIELDS: ModelFamily['fields'] = {
	size: { values: ['auto', '1024x1024', '1536x1024', '1024x1536'], default: 'auto', parameter: 'sizeGptImage' },
	quality: { values: ['auto', 'low', 'medium', 'high'], default: 'auto', parameter: 'qualityGptImage' },
	background: { values: ['auto', 'transparent', 'opaque'] },
	output_format: { values: ['png', 'jpeg', 'webp'] },
	output_compression: COMPRESSION,
	moderation: { values: ['auto', 'low'], operations: ['generate'] },
	input_fidelity: { values: ['low', 'high'], operations: ['edit'] },
	user: USER,
};

/** gpt-image-2: free size, no transparent background, no input_fidelity (reference images are always high fidelity). */
const GPT_IMAGE_2_FIELDS: ModelFamily['fields'] = {
	...GPT_IMAGE_FIELDS,
	size: {
		default: 'auto',
		parameter: 'sizeGptImage2',
		check: checkFlexibleSize,
		hint: `auto, or any WIDTHxHEIGHT with sides divisible by ${FLEXIBLE_SIZE.multiple}, a ratio between 1:${FLEXIBLE_SIZE.maxRatio} and ${FLEXIBLE_SIZE.maxRatio}:1, the longest side up to ${FLEXIBLE_SIZE.maxEdge} and ${FLEXIBLE_SIZE.minPixels.toLocaleString('en-US')} to ${FLEXIBLE_SIZE.maxPixels.toLocaleString('en-US')} pixels`,
		placeholder: 'e.g. auto or 1536x864',
	},
	background: { values: ['auto', 'opaque'] },
	input_fidelity: undefined,
};

/** gpt-image-2.5: the quality levels xhigh and max. */
const GPT_IMAGE_25_FIELDS: ModelFamily['fields'] = {
	...GPT_IMAGE_2_FIELDS,
	quality: { values: ['auto', 'low', 'medium', 'high', 'xhigh', 'max'], default: 'auto', parameter: 'qualityGptImage25' },
};

/** gpt-image-2.6: planning complexity, animated GIF and SVG output. */
const GPT_IMAGE_26_FIELDS: ModelFamily['fields'] = {
	...GPT_IMAGE_25_FIELDS,
	complexity: { values: ['low', 'medium', 'high'] },
	output_format: { values: ['png', 'jpeg', 'webp', 'gif', 'svg'] },
	frame_count: { min: 2, max: 16, initial: 4, onlyWith: { field: 'output_format', values: ['gif'] } },
	frame_duration_ms: { min: 20, max: 10_000, initial: 100, onlyWith: { field: 'output_format', values: ['gif'] } },
	svg_model: { path: 'svg.model', placeholder: 'e.g. auto', onlyWith: { field: 'output_format', values: ['svg'] } },
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

/**
 * Patterns are disjoint: a model ID matches at most one (test/unit/models.test.ts proves it over a
 * list of real IDs), so the editor's display conditions need no first-match order. `(^|/)` lets a
 * gateway prefix through (openai/gpt-image-2); a dated snapshot (gpt-image-2-2026-04-21) matches
 * its alias' family.
 */
export const MODEL_FAMILIES: readonly ModelFamily[] = [
	{
		id: 'gpt-image-2.6',
		displayName: 'GPT Image 2.6',
		label: 'gpt-image-2.6-flare, gpt-image-2.6-sunburst and later',
		knownModels: ['gpt-image-2.6-flare', 'gpt-image-2.6-sunburst'],
		// 2.6 and every later generation of the line (2.7, 3, ...): the newest fields the node knows.
		pattern: '(^|/)gpt-image-(?!1(?![0-9])|2(?![.0-9])|2\\.5(?![0-9]))',
		line: 'gpt-image',
		newestOfLine: true,
		...GPT_IMAGE_BASE,
		fields: GPT_IMAGE_26_FIELDS,
	},
	{
		id: 'gpt-image-2.5',
		displayName: 'GPT Image 2.5',
		label: 'gpt-image-2.5-flare, gpt-image-2.5-sunburst',
		knownModels: ['gpt-image-2.5-flare', 'gpt-image-2.5-sunburst'],
		pattern: '(^|/)gpt-image-2\\.5(?![0-9])',
		line: 'gpt-image',
		...GPT_IMAGE_BASE,
		fields: GPT_IMAGE_25_FIELDS,
	},
	{
		id: 'gpt-image-2',
		displayName: 'GPT Image 2',
		label: 'gpt-image-2',
		knownModels: ['gpt-image-2'],
		pattern: '(^|/)gpt-image-2(?![.0-9])',
		line: 'gpt-image',
		...GPT_IMAGE_BASE,
		fields: GPT_IMAGE_2_FIELDS,
	},
	{
		id: 'gpt-image',
		displayName: 'GPT Image',
		label: 'gpt-image-1, gpt-image-1.5, chatgpt-image-latest',
		knownModels: ['gpt-image-1.5', 'gpt-image-1'],
		pattern: '(^|/)(gpt-image-1(?![0-9])(?![.0-9]*-mini)|chatgpt-image)',
		line: 'gpt-image',
		retired: { ...OPENAI, models: { 'gpt-image-1': '2026-10-23', 'gpt-image-1.5': '2026-12-01', 'chatgpt-image-latest': '2026-12-01' } },
		...GPT_IMAGE_BASE,
		fields: GPT_IMAGE_FIELDS,
	},
	{
		id: 'gpt-image-mini',
		displayName: 'GPT Image Mini',
		label: 'gpt-image-1-mini',
		knownModels: ['gpt-image-1-mini'],
		pattern: '(^|/)gpt-image-1(?![0-9])[.0-9]*-mini',
		line: 'gpt-image',
		retired: { ...OPENAI, models: { 'gpt-image-1-mini': '2026-12-01' } },
		...GPT_IMAGE_BASE,
		// The mini models do not take input_fidelity.
		fields: { ...GPT_IMAGE_FIELDS, input_fidelity: undefined },
	},
	{
		id: 'dall-e-3',
		displayName: 'DALL·E 3',
		label: 'dall-e-3',
		knownModels: ['dall-e-3'],
		pattern: '(^|/)dall-e-3',
		prefixes: ['dall-e-3'],
		retired: { ...OPENAI, models: { 'dall-e-3': '2026-05-12' } },
		operations: ['generate'],
		promptMaxLength: 4000,
		maxImages: 10,
		imagesPerRequest: 1,
		fields: {
			size: { values: ['1024x1024', '1792x1024', '1024x1792'], default: '1024x1024', parameter: 'sizeDallE3' },
			quality: { values: ['standard', 'hd'], default: 'standard', parameter: 'qualityDallE3' },
			style: { values: ['vivid', 'natural'], default: 'vivid', parameter: 'styleDallE3' },
			response_format: DALL_E_RESPONSE_FORMAT,
			user: USER,
		},
	},
	{
		id: 'dall-e-2',
		displayName: 'DALL·E 2',
		label: 'dall-e-2',
		knownModels: ['dall-e-2'],
		pattern: '(^|/)dall-e-2',
		prefixes: ['dall-e-2'],
		retired: { ...OPENAI, models: { 'dall-e-2': '2026-05-12' } },
		operations: ['generate', 'edit', 'variation'],
		promptMaxLength: 1000,
		maxImages: 10,
		imagesPerRequest: 10,
		maxInputImages: 1,
		inputImages: { formats: ['png'], maxBytes: 4 * MB, square: true },
		mask: { formats: ['png'], maxBytes: 4 * MB, sameDimensionsAsImage: true },
		fields: {
			size: { values: ['256x256', '512x512', '1024x1024'], default: '1024x1024', parameter: 'sizeDallE2' },
			response_format: DALL_E_RESPONSE_FORMAT,
			user: USER,
		},
	},
	{
		id: 'chat-image',
		displayName: 'Chat Completions Image Models',
		shortName: 'Chat Image Models',
		label: 'gemini-2.5-flash-image and other image models behind chat completions',
		knownModels: ['gemini-2.5-flash-image', 'gemini-3-pro-image-preview'],
		// Gemini image models ("nano banana") and GPT-5 image models served by gateways as chat completions.
		pattern: '(^|/)gemini-[^/]*image|nano-banana|(^|/)gpt-[0-9][^/]*-image',
		api: 'chat',
		count: false,
		operations: ['generate', 'edit'],
		maxImages: 10,
		imagesPerRequest: 1,
		maxInputImages: 14,
		inputImages: { formats: ['png', 'jpeg', 'webp'], maxBytes: 20 * MB },
		fields: {
			aspect_ratio: { ...ASPECT_RATIO, path: 'image_config.aspect_ratio' },
			resolution: { ...RESOLUTION, path: 'image_config.image_size' },
		},
	},
	{
		id: 'openrouter-images',
		displayName: 'OpenRouter Images Endpoint',
		shortName: 'OpenRouter Images',
		label: 'OpenRouter\'s images endpoint',
		explicitOnly: true,
		generatePath: 'images',
		operations: ['generate', 'edit'],
		maxImages: 10,
		imagesPerRequest: 1,
		maxInputImages: 16,
		inputImages: { formats: ['png', 'jpeg', 'webp', 'gif'], maxBytes: 50 * MB },
		jsonImages: { field: 'input_references', endpoints: ['generations'], mask: false, only: true },
		fields: {
			aspect_ratio: ASPECT_RATIO,
			resolution: RESOLUTION,
			output_format: { values: ['png', 'jpeg', 'webp'] },
			seed: SEED,
		},
	},
	{
		id: 'xai',
		displayName: 'xAI Grok Image',
		label: 'grok-2-image, grok-imagine-image',
		knownModels: ['grok-2-image', 'grok-imagine-image'],
		pattern: '(^|/)grok-[^/]*image',
		operations: ['generate'],
		maxImages: 10,
		imagesPerRequest: 10,
		fields: {
			aspect_ratio: ASPECT_RATIO,
			resolution: { ...RESOLUTION, hint: '1k or 2k; empty lets the model choose' },
			response_format: { values: ['b64_json', 'url'], default: 'b64_json' },
			user: USER,
		},
	},
	{
		id: 'seedream-4',
		displayName: 'Volcengine Seedream 4',
		shortName: 'Seedream 4',
		label: 'doubao-seedream-4-0',
		knownModels: ['doubao-seedream-4-0-250828'],
		// Volcengine's own IDs (and gateways that keep them); OpenRouter's bytedance-seed/seedream-4.5 is a chat model there.
		pattern: '^(doubao-)?seedream-4',
		count: {
			path: 'sequential_image_generation_options.max_images',
			group: { sequential_image_generation: 'auto' },
		},
		operations: ['generate', 'edit'],
		// Input and output images together: at most 15 per call.
		maxImages: 15,
		imagesPerRequest: 15,
		maxInputImages: 14,
		inputImages: { formats: ['png', 'jpeg', 'webp'], maxBytes: 10 * MB },
		jsonImages: { field: 'image', endpoints: ['generations'], mask: false, only: true },
		fields: {
			size: {
				default: '2K',
				parameter: 'sizeSeedream',
				check: (value) =>
					/^[124]k$/i.test(value) || SIZE_PATTERN.test(value) ? undefined : 'use 1K, 2K, 4K or WIDTHxHEIGHT',
				hint: '1K, 2K, 4K, or WIDTHxHEIGHT such as 2048x2048',
			},
			watermark: {},
			seed: SEED,
			guidance_scale: GUIDANCE_SCALE,
			response_format: { values: ['b64_json', 'url'] },
		},
	},
	{
		id: 'siliconflow',
		displayName: 'SiliconFlow',
		label: 'SiliconFlow models',
		knownModels: ['Kwai-Kolors/Kolors', 'Qwen/Qwen-Image'],
		// SiliconFlow's own model IDs; its FLUX models share their IDs with Together (choose the family).
		pattern: '^(kwai-kolors|qwen)/',
		count: { path: 'batch_size' },
		operations: ['generate', 'edit'],
		maxImages: 10,
		imagesPerRequest: 4,
		maxInputImages: 1,
		inputImages: { formats: ['png', 'jpeg', 'webp'], maxBytes: 10 * MB },
		jsonImages: { field: 'image', endpoints: ['generations'], mask: false, only: true },
		fields: {
			size: { ...PIXEL_SIZE, path: 'image_size' },
			negative_prompt: {},
			seed: SEED,
			steps: { ...STEPS, path: 'num_inference_steps' },
			guidance_scale: GUIDANCE_SCALE,
		},
	},
	{
		id: 'together',
		displayName: 'Together AI',
		label: 'Together AI models',
		explicitOnly: true,
		operations: ['generate'],
		maxImages: 10,
		imagesPerRequest: 4,
		fields: {
			// Not sent unless set: Together picks its model's default size.
			width: { min: 64, max: 2048, initial: 1024 },
			height: { min: 64, max: 2048, initial: 1024 },
			steps: STEPS,
			seed: SEED,
			negative_prompt: {},
		},
		// Together names base64 `base64`; the node always asks for it (no second download).
		alwaysSend: { response_format: 'base64' },
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
			seed: SEED,
			negative_prompt: {},
			user: USER,
		},
	},
];

/** Per family: its pattern, undefined for the catch-all, null for one never detected from the ID. */
const matchers = MODEL_FAMILIES.map((family) =>
	family.explicitOnly ? null : family.pattern === undefined ? undefined : new RegExp(family.pattern),
);

/** The family a model ID belongs to, whatever its letter case. */
export function familyOf(model: string): ModelFamily {
	const id = model.trim().toLowerCase();
	const index = matchers.findIndex((matcher) => matcher === undefined || matcher?.test(id));
	return MODEL_FAMILIES[index];
}

/** The Model Family choice that detects the family from the model ID. */
export const DETECT_FAMILY = 'auto';

/** The family the user chose, or the one the model ID names when the choice is DETECT_FAMILY. */
export function resolveFamily(model: string, choice: string = DETECT_FAMILY): ModelFamily {
	return MODEL_FAMILIES.find((family) => family.id === choice) ?? familyOf(model);
}

/** Families detected from model IDs (not the catch-all, not the ones only chosen by hand). */
export const DETECTABLE_FAMILIES = MODEL_FAMILIES.filter((family) => family.pattern !== undefined && !family.explicitOnly);

/** The model ID without a gateway prefix, lower case: what the provider's own tables name. */
function bareId(model: string): string {
	const id = model.trim().toLowerCase();
	return id.slice(id.lastIndexOf('/') + 1);
}

/** What the table knows of a model its provider retired, or undefined. */
export function retirementOf(model: string, family: ModelFamily): (Retirement & { model: string; on: string }) | undefined {
	const retired = family.retired;
	if (!retired) return undefined;
	const id = bareId(model);
	const known = Object.keys(retired.models).find((name) => id === name || id.startsWith(`${name}-20`));
	return known ? { ...retired, model: known, on: retired.models[known] } : undefined;
}

/** The body keys that carry a family's input images in a JSON request: the node sets them itself. */
export const JSON_IMAGE_KEYS: Readonly<Record<JsonImageInput['field'], readonly string[]>> = {
	image: ['image'],
	images: ['images', 'mask'],
	input_references: ['input_references'],
};

/** Input images (and a mask) as the family's JSON body takes them. */
export function jsonImageBody(input: JsonImageInput, urls: readonly string[], maskUrl?: string): Record<string, unknown> {
	switch (input.field) {
		case 'image':
			return { image: urls.length === 1 ? urls[0] : [...urls] };
		case 'input_references':
			return { input_references: urls.map((url) => ({ type: 'image_url', image_url: { url } })) };
		case 'images':
			return { images: urls.map((url) => ({ image_url: url })), ...(maskUrl ? { mask: { image_url: maskUrl } } : {}) };
	}
}

/**
 * The body keys that carry an edit's input images, whichever way they are sent: uploads use
 * image, image[] and mask; a JSON request the family's own image field (OpenRouter's
 * input_references). Extra Body Fields (JSON) may not set them.
 */
export function inputImageKeys(family: ModelFamily): string[] {
	return [...new Set(['image', 'image[]', 'images', 'mask', ...(family.jsonImages ? JSON_IMAGE_KEYS[family.jsonImages.field] : [])])];
}

/** Rules between fields, checked before sending: what is wrong, or undefined. */
export function crossFieldProblem(fields: Readonly<Record<string, unknown>>): { message: string; fix: string } | undefined {
	if (fields.background === 'transparent' && fields.output_format === 'jpeg') {
		return {
			message: 'Background "transparent" does not work with Output Format "jpeg"',
			fix: 'Choose the PNG or WebP output format, or another background.',
		};
	}
	return undefined;
}

/**
 * The regular expression source with every ASCII letter matching both cases: n8n's display
 * conditions take a pattern without flags, and users type DALL-E-3 as often as dall-e-3.
 * Patterns in this file use lower-case literals and no letter ranges.
 */
export function anyCase(source: string): string {
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

/** "dall-e-2, gpt-image-1, ...": how messages name the models of some families. */
export function modelsOf(families: readonly ModelFamily[]): string {
	return families.map((family) => family.label).join('; ');
}

/** Families that can do an operation. */
export function familiesWith(operation: Operation): ModelFamily[] {
	return MODEL_FAMILIES.filter((family) => family.operations.includes(operation));
}

/**
 * The parameter a main field is stored in: its declared `parameter` (sizeDallE3, sizeGptImage2,
 * ...), else the field's own name (text fields without a default of their own, and the generic
 * field for a model given as an expression).
 */
export function mainParameterOf(field: BodyField, rule: FieldRule | undefined): string {
	if (rule?.parameter) return rule.parameter;
	// Sharing the field's name with the generic field (default empty) would carry values across models.
	if (!rule?.values && (rule?.default === undefined || rule.default === '')) return field;
	throw new Error(`models.ts: the ${field} field of a family has ${rule?.values ? 'values' : 'a default'} of its own and needs a declared parameter name`);
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
	/dall-e|gpt-image|chatgpt-image|nano-banana|gemini.*image|grok-imagine|flux|seedream|seededit|imagen|cogview|wanx|wan2|kolors|grok-2-image|grok-image|grok.*image|stable-diffusion|sdxl|sd3|ideogram|recraft|midjourney|mj_|playground|hidream|qwen-image|hunyuan-image|jimeng|kling.*image|image/i;
