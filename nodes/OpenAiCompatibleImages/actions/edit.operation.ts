import type { IDataObject, IExecuteFunctions, INodeProperties, INodePropertyOptions } from 'n8n-workflow';

import { mainBodyFields } from '../description/bodyFields';
import { countProperty, promptProperty } from '../description/common';
import {
	familiesWith,
	forFamilies,
	forOperation,
	modelsOf,
	unsupportedNotice,
	whenModelIsExpression,
} from '../description/familyDisplay';
import {
	appendFields,
	appendImage,
	assertMaskDimensions,
	binaryPropertiesOf,
	checkImageUrls,
	dataUrl,
	familiesTaking,
	inspectBinaryImage,
	readImageBytes,
	readList,
	URL_SEPARATOR,
	type BinaryImage,
	type ImageCheck,
} from '../helpers/inputImages';
import {
	AS_GIVEN,
	describe,
	familyUnknownInEditor,
	invalid,
	readRequest,
} from '../helpers/parameters';
import { generatePath, requestBody, responseParser } from '../helpers/requestBody';
import { ECHOED_FIELDS, pick, type ItemPlan } from '../helpers/runner';
import type { JsonImageEndpoint, JsonImageInput, ModelFamily } from '../models';
import { splitCount } from './generate.operation';

type InputMode = 'upload' | 'json';
type ImageSource = 'binary' | 'allBinary' | 'urls';

const show = (extra: IDataObject = {}) => ({ show: { operation: ['edit'], ...extra } });

const SOURCE_BINARY = {
	name: 'From Binary Properties',
	value: 'binary',
	description: 'The binary properties named below',
};
const SOURCE_ALL_BINARY = {
	name: 'All Binary Properties of the Item',
	value: 'allBinary',
	description: 'Every binary property of the input item (except the mask), in their order',
};
const SOURCE_URLS = {
	name: 'From Image URLs',
	value: 'urls',
	description: 'URLs or data: URLs entered below; the server fetches them itself',
};
const SOURCE_DESCRIPTION = 'Where the input images come from';

const IMAGE_INPUT_MODE: INodeProperties = {
	displayName: 'Image Input Mode',
	name: 'imageInputMode',
	type: 'options',
	noDataExpression: true,
	options: [
		{
			name: 'Upload Files',
			value: 'upload',
			description:
				'Multipart upload to images/edits, as OpenAI, Azure OpenAI and most gateways expect (DALL·E 2 and GPT image models)',
		},
		{
			name: 'URLs in JSON Body',
			value: 'json',
			description:
				'A JSON request whose image field holds URLs or data: URLs, for gateways and models that ignore uploads (e.g. Volcengine Seedream)',
		},
	],
	default: 'upload',
	description:
		'How the input images reach the server. Upload Files sends them as files (multipart form data). URLs in JSON Body sends "image" as a URL or data: URL (an array for several) in a JSON request; GPT image models get OpenAI\'s JSON form "images": [{"image_url": ...}] instead.',
	displayOptions: show(),
};

const ENDPOINT_OPTIONS: Record<JsonImageEndpoint, INodePropertyOptions> = {
	generations: {
		name: 'Generations',
		value: 'generations',
		description: 'POST images/generations: Volcengine Seedream and similar models take reference images with the prompt here',
	},
	edits: {
		name: 'Edits',
		value: 'edits',
		description: 'POST images/edits: GPT image models, and gateways that take JSON edit requests',
	},
};

const GENERIC_ENDPOINT: JsonImageEndpoint = 'generations';

/** Endpoint offers the endpoints the family takes JSON images on, the first by default. */
function endpointProperties(): INodeProperties[] {
	const byEndpoints = new Map<string, ModelFamily[]>();
	for (const family of familiesWith('edit')) {
		// A family that takes JSON images in one place only has no Endpoint to choose.
		if (!family.jsonImages || family.jsonImages.only) continue;
		const key = family.jsonImages.endpoints.join(',');
		byEndpoints.set(key, [...(byEndpoints.get(key) ?? []), family]);
	}
	const variants = [...byEndpoints].flatMap(([key, families]) => {
		const endpoints = key.split(',') as JsonImageEndpoint[];
		const property: INodeProperties = {
			displayName: 'Endpoint',
			name: 'endpoint',
			type: 'options',
			options: endpoints.map((endpoint) => ENDPOINT_OPTIONS[endpoint]),
			default: GENERIC_ENDPOINT,
			description: `Where the JSON request goes. ${modelsOf(families)} take image URLs on ${endpoints.map((endpoint) => `images/${endpoint}`).join(' or ')}.`,
			displayOptions: show({ imageInputMode: ['json'] }),
		};
		// The first endpoint the family takes is its default.
		property.default = endpoints[0];
		return forFamilies(property, families);
	});
	const all: INodeProperties = {
		displayName: 'Endpoint',
		name: 'endpoint',
		type: 'options',
		options: Object.values(ENDPOINT_OPTIONS),
		default: GENERIC_ENDPOINT,
		description:
			'Where the JSON request goes. Seedream-style models take the image field on images/generations; GPT image models take image URLs only on images/edits.',
		displayOptions: show({ imageInputMode: ['json'] }),
	};
	return [...variants, whenModelIsExpression(all)];
}

const MASK_DESCRIPTION =
	'Name of a binary property holding a PNG mask, whose fully transparent pixels mark where to edit; it must have the dimensions of the (first) input image. Leave empty to send no mask.';

/** The mask field shows only where a mask can be sent: as an upload, or in the JSON body for families that take it there. */
function maskProperties(): INodeProperties[] {
	const mask = (mode: InputMode): INodeProperties => ({
		displayName: 'Mask Binary Property',
		name: 'maskBinaryPropertyName',
		type: 'string',
		default: '',
		placeholder: 'e.g. mask',
		description: MASK_DESCRIPTION,
		displayOptions: show({ imageInputMode: [mode] }),
	});
	const editing = familiesWith('edit');
	return [
		...forFamilies(mask('upload'), editing.filter((family) => family.mask)),
		...forFamilies(mask('json'), editing.filter((family) => family.mask && family.jsonImages?.mask)),
		...(['upload', 'json'] as const).map((mode) => whenModelIsExpression(mask(mode))),
	];
}

/** Image Input Mode offers URLs in JSON Body only to families that take them. */
function inputModeProperties(): INodeProperties[] {
	const editing = familiesWith('edit');
	// Chat models and some providers take input images only as URLs in the request: no uploads.
	const urlsOnly = editing.filter((family) => family.api === 'chat' || family.jsonImages?.only);
	const withJson = editing.filter((family) => family.jsonImages && !urlsOnly.includes(family));
	const uploadOnly = editing.filter((family) => !family.jsonImages && !urlsOnly.includes(family));
	const both = IMAGE_INPUT_MODE;
	const upload: INodeProperties = { ...IMAGE_INPUT_MODE, options: IMAGE_INPUT_MODE.options?.slice(0, 1) };
	const json: INodeProperties = {
		...IMAGE_INPUT_MODE,
		options: [
			{
				name: 'URLs in the Request',
				value: 'json',
				description: 'Input images go in the JSON request as URLs or data: URLs (binary data is sent as data: URLs)',
			},
		],
		default: 'json',
		description:
			'This model takes input images only inside its JSON request: in the chat message as image_url parts, or in the provider\'s image field',
	};
	return [
		...forFamilies(both, withJson),
		...forFamilies(upload, uploadOnly),
		...forFamilies(json, urlsOnly),
		whenModelIsExpression(both),
	];
}

/** "gpt-image-1, ...: up to 16 PNG, JPEG or WebP files under 50 MB each", from the model table. */
function inputLimits(): string {
	const byText = new Map<string, string[]>();
	for (const family of familiesWith('edit')) {
		const rule = family.inputImages;
		if (!rule || !family.pattern) continue;
		const max = family.maxInputImages ?? 1;
		const formats = rule.formats.map((format) => format.toUpperCase()).join(', ');
		const text = `${max === 1 ? 'one' : `up to ${max}`} ${rule.square ? 'square ' : ''}${formats} file${max === 1 ? '' : 's'} under ${Math.round(rule.maxBytes / (1024 * 1024))} MB${max === 1 ? '' : ' each'}`;
		byText.set(text, [...(byText.get(text) ?? []), family.label]);
	}
	return [...byText].map(([text, labels]) => `${labels.join(', ')}: ${text}`).join('; ');
}

const SOURCE_PROPERTIES: INodeProperties[] = [
	{
		displayName: 'Input Images',
		name: 'imageSource',
		type: 'options',
		options: [SOURCE_ALL_BINARY, SOURCE_BINARY],
		default: 'binary',
		description: SOURCE_DESCRIPTION,
		displayOptions: show({ imageInputMode: ['upload'] }),
	},
	{
		displayName: 'Input Images',
		name: 'imageSource',
		type: 'options',
		options: [SOURCE_ALL_BINARY, SOURCE_BINARY, SOURCE_URLS],
		default: 'binary',
		description: `${SOURCE_DESCRIPTION}. Binary data is sent as data: URLs.`,
		displayOptions: show({ imageInputMode: ['json'] }),
	},
	{
		displayName: 'Input Binary Properties',
		name: 'binaryPropertyName',
		type: 'string',
		default: 'data',
		required: true,
		placeholder: 'e.g. data, data_1',
		description: `Names of the binary properties holding the input images, separated by commas. ${inputLimits()}.`,
		displayOptions: show({ imageSource: ['binary'] }),
	},
	{
		displayName: 'Image URLs',
		name: 'imageUrls',
		type: 'string',
		typeOptions: { rows: 2 },
		default: '',
		required: true,
		placeholder: 'e.g. https://example.com/photo.png',
		description:
			'One or more image URLs or data: URLs (data:image/png;base64,...), one per line, or an expression that returns an array. The server downloads them itself, so they must be reachable from it.',
		displayOptions: show({ imageInputMode: ['json'], imageSource: ['urls'] }),
	},
];

/** Edit's own fields, shown for the models that can edit (a notice says so for the others). */
export const description: INodeProperties[] = [
	...unsupportedNotice('edit', 'edit images'),
	...forOperation(promptProperty(['edit'], 'What to change in the input images, or what to make of them.'), 'edit'),
	...inputModeProperties(),
	...endpointProperties(),
	...SOURCE_PROPERTIES.flatMap((property) => forOperation(property, 'edit')),
	...maskProperties(),
	...forOperation(countProperty(['edit']), 'edit'),
	...mainBodyFields('edit'),
];

function readChoice<T extends string>(
	ctx: IExecuteFunctions,
	itemIndex: number,
	name: string,
	label: string,
	allowed: readonly T[],
	fallback: T,
): T {
	const raw = ctx.getNodeParameter(name, itemIndex, fallback, AS_GIVEN);
	if (allowed.includes(raw as T)) return raw as T;
	throw invalid(ctx, itemIndex, `${label} must be one of ${allowed.join(', ')}, not ${describe(raw)}`, `Choose ${label} from the list.`);
}

/** The JSON image input of the family and the endpoint it goes to, for Image Input Mode "URLs in JSON Body". */
function jsonTarget(
	ctx: IExecuteFunctions,
	itemIndex: number,
	family: ModelFamily,
): { input: JsonImageInput; endpoint: JsonImageEndpoint } {
	const input = family.jsonImages;
	if (!input) {
		throw invalid(
			ctx,
			itemIndex,
			`${family.displayName} takes input images only as file uploads, not as URLs in a JSON body`,
			'Set Image Input Mode to Upload Files.',
		);
	}
	// A family that takes images only in JSON has one place for them: no choice to read.
	let endpoint = input.only
		? input.endpoints[0]
		: readChoice(ctx, itemIndex, 'endpoint', 'Endpoint', ['generations', 'edits'], input.endpoints[0]);
	// With the model set by an expression the editor offered every endpoint; take one this family accepts.
	if (!input.endpoints.includes(endpoint) && familyUnknownInEditor(ctx)) endpoint = input.endpoints[0];
	if (!input.endpoints.includes(endpoint)) {
		const names = input.endpoints.map((name) => `images/${name}`).join(' or ');
		throw invalid(
			ctx,
			itemIndex,
			`${family.displayName} models take image URLs in a JSON body only on ${names}, not on images/${endpoint}`,
			`Set Endpoint to ${input.endpoints.map((name) => (name === 'edits' ? 'Edits' : 'Generations')).join(' or ')}.`,
		);
	}
	return { input, endpoint };
}

/** The input images named by the node's fields: binary images (checked) and URL strings. */
async function readInputs(
	ctx: IExecuteFunctions,
	itemIndex: number,
	family: ModelFamily,
	mode: InputMode,
	maskProperty: string,
): Promise<Array<BinaryImage | string>> {
	const allowed: ImageSource[] = mode === 'json' ? ['binary', 'allBinary', 'urls'] : ['binary', 'allBinary'];
	if (mode !== 'json' && ctx.getNodeParameter('imageSource', itemIndex, 'binary', AS_GIVEN) === 'urls') {
		throw invalid(ctx, itemIndex, 'Input Images "From Image URLs" needs Image Input Mode "URLs in JSON Body"', 'Set Image Input Mode to URLs in JSON Body, or take the images from binary properties.');
	}
	const source = readChoice(ctx, itemIndex, 'imageSource', 'Input Images', allowed, 'binary');
	const max = family.maxInputImages ?? 1;
	const rule = family.inputImages ?? { formats: ['png', 'jpeg', 'webp', 'gif'], maxBytes: Number.MAX_SAFE_INTEGER };

	let names: string[];
	let field: string;
	if (source === 'urls') {
		field = 'Image URLs';
		names = readList(ctx.getNodeParameter('imageUrls', itemIndex, '', AS_GIVEN), URL_SEPARATOR);
	} else if (source === 'allBinary') {
		field = 'Input Images';
		names = binaryPropertiesOf(ctx, itemIndex).filter((name) => name !== maskProperty);
	} else {
		field = 'Input Binary Properties';
		names = readList(ctx.getNodeParameter('binaryPropertyName', itemIndex, 'data', AS_GIVEN), /,/);
	}
	if (names.length === 0) {
		throw invalid(
			ctx,
			itemIndex,
			source === 'allBinary' ? 'The item has no binary data to edit' : `${field} is empty`,
			source === 'urls'
				? 'Enter at least one image URL or data: URL.'
				: source === 'allBinary'
					? 'Add a node before this one that loads the images (e.g. HTTP Request with the response format File, or Read/Write Files from Disk).'
					: 'Enter the name of the binary property holding the image, e.g. data.',
		);
	}
	if (names.length > max) {
		const listed = source === 'urls' ? `${names.length} URLs` : `${names.length} (${names.join(', ')})`;
		throw invalid(
			ctx,
			itemIndex,
			`${family.displayName} takes at most ${max} input image${max === 1 ? '' : 's'} per edit, got ${listed}`,
			`Send fewer images, or choose a model that takes more: ${familiesTaking(names.length) || 'none known'}.`,
		);
	}
	const check: ImageCheck = { family, rule, field, role: 'input image' };
	if (source === 'urls') {
		checkImageUrls(ctx, itemIndex, names, check);
		return names;
	}
	const images: BinaryImage[] = [];
	for (const name of names) images.push(await inspectBinaryImage(ctx, itemIndex, name, check));
	return images;
}

async function readMask(
	ctx: IExecuteFunctions,
	itemIndex: number,
	family: ModelFamily,
	maskProperty: string,
	json: JsonImageInput | undefined,
	firstImage: BinaryImage | string | undefined,
): Promise<BinaryImage | undefined> {
	if (!maskProperty) return undefined;
	const rule = family.mask;
	if (!rule) {
		throw invalid(ctx, itemIndex, `${family.displayName} takes no mask`, 'Clear Mask Binary Property.');
	}
	if (json && !json.mask) {
		throw invalid(
			ctx,
			itemIndex,
			`${family.displayName} takes no mask as a URL in a JSON body`,
			'Clear Mask Binary Property, or set Image Input Mode to Upload Files.',
		);
	}
	const check: ImageCheck = { family, rule, field: 'Mask Binary Property', role: 'mask' };
	const mask = await inspectBinaryImage(ctx, itemIndex, maskProperty, check);
	assertMaskDimensions(ctx, itemIndex, mask, typeof firstImage === 'string' ? undefined : firstImage, check);
	return mask;
}

/** Input images as URLs: http(s) URLs as given, binary images as data: URLs (read when the call is built). */
async function imageUrlsOf(
	ctx: IExecuteFunctions,
	itemIndex: number,
	inputs: Array<BinaryImage | string>,
): Promise<string[]> {
	const urls: string[] = [];
	for (const image of inputs) {
		urls.push(typeof image === 'string' ? image : dataUrl(image, await readImageBytes(ctx, itemIndex, image)));
	}
	return urls;
}

export async function plan(ctx: IExecuteFunctions, itemIndex: number): Promise<ItemPlan> {
	const { model, family, prompt, n, fields, extra } = readRequest(ctx, itemIndex, 'edit');
	// Chat models take images in the message, some families only as URLs in JSON: no uploads for them.
	const chat = family.api === 'chat';
	const mode: InputMode =
		chat || family.jsonImages?.only
			? 'json'
			: readChoice<InputMode>(ctx, itemIndex, 'imageInputMode', 'Image Input Mode', ['upload', 'json'], 'upload');
	const target = mode === 'json' && !chat ? jsonTarget(ctx, itemIndex, family) : undefined;
	const maskProperty = String(ctx.getNodeParameter('maskBinaryPropertyName', itemIndex, '', AS_GIVEN) ?? '').trim();
	const inputs = await readInputs(ctx, itemIndex, family, mode, maskProperty);
	const mask = await readMask(ctx, itemIndex, family, maskProperty, target?.input, inputs[0]);

	const counts = splitCount(n, family.imagesPerRequest);
	const requested = pick(fields, ECHOED_FIELDS);
	if (chat) {
		const calls = counts.map((count) => ({
			path: generatePath(family),
			images: count,
			body: async () =>
				requestBody(family, 'edit', { model, prompt, count, fields, extra, imageUrls: await imageUrlsOf(ctx, itemIndex, inputs) }),
			parse: responseParser(family),
		}));
		return { model, prompt, requested, calls, fileStem: 'edited' };
	}
	if (!target) {
		const images = inputs as BinaryImage[];
		// One file goes as `image`, several as repeated `image[]`, as the official SDKs send them.
		const partName = images.length > 1 ? 'image[]' : 'image';
		const calls = counts.map((count) => ({
			path: 'images/edits',
			images: count,
			body: async () => {
				const form = new FormData();
				appendFields(form, requestBody(family, 'edit', { model, prompt, count, fields, extra }));
				for (const image of images) appendImage(form, partName, image, await readImageBytes(ctx, itemIndex, image));
				if (mask) appendImage(form, 'mask', mask, await readImageBytes(ctx, itemIndex, mask));
				return form;
			},
		}));
		return { model, prompt, requested, calls, fileStem: 'edited' };
	}

	const { input, endpoint } = target;
	const calls = counts.map((count) => ({
		path: endpoint === 'generations' ? generatePath(family) : `images/${endpoint}`,
		images: count,
		body: async (): Promise<IDataObject> => {
			const urls = await imageUrlsOf(ctx, itemIndex, inputs);
			let images: IDataObject;
			if (input.field === 'image') {
				images = { image: urls.length === 1 ? urls[0] : urls };
			} else if (input.field === 'input_references') {
				images = { input_references: urls.map((url) => ({ type: 'image_url', image_url: { url } })) };
			} else {
				images = { images: urls.map((url) => ({ image_url: url })) };
				if (mask) images.mask = { image_url: dataUrl(mask, await readImageBytes(ctx, itemIndex, mask)) };
			}
			return requestBody(family, 'edit', { model, prompt, count, fields, extra, images });
		},
		parse: responseParser(family),
	}));
	return { model, prompt, requested, calls, fileStem: 'edited' };
}
