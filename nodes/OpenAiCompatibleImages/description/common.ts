import type { INodeProperties } from 'n8n-workflow';

import { MODEL_FAMILIES, familiesWith, modelsOf, type ModelFamily, type Operation } from '../models';
import { optionalBodyFields } from './bodyFields';
import { forFamilies, forOperation, whenModelIsExpression } from './familyDisplay';

export const ALL_OPERATIONS: Operation[] = ['generate', 'edit', 'variation'];

export const modelProperty: INodeProperties = {
	displayName: 'Model',
	name: 'model',
	type: 'resourceLocator',
	default: { mode: 'list', value: 'gpt-image-2' },
	required: true,
	description:
		'The model, or on Azure OpenAI the deployment name. The fields below follow its family (see Model Family).',
	modes: [
		{
			displayName: 'From List',
			name: 'list',
			type: 'list',
			placeholder: 'Select a model...',
			typeOptions: { searchListMethod: 'searchModels', searchable: true },
		},
		{
			displayName: 'By ID',
			name: 'id',
			type: 'string',
			placeholder: 'e.g. gpt-image-2, gpt-image-2.6-sunburst, doubao-seedream-4-0-250828',
		},
	],
};

/** "Length limits: 1000 characters for dall-e-2; 4000 for dall-e-3; ...", read from the model table. */
function promptLimits(operation: Operation): string {
	const byLimit = new Map<number, string[]>();
	for (const family of MODEL_FAMILIES) {
		if (!family.promptMaxLength || !family.operations.includes(operation)) continue;
		byLimit.set(family.promptMaxLength, [...(byLimit.get(family.promptMaxLength) ?? []), family.label]);
	}
	const limits = [...byLimit].map(
		([limit, names], index) => `${limit}${index === 0 ? ' characters' : ''} for ${names.join(', ')}`,
	);
	return limits.length ? ` Length limits: ${limits.join('; ')}.` : '';
}

export function promptProperty(operations: [Operation], intro: string): INodeProperties {
	return {
		displayName: 'Prompt',
		name: 'prompt',
		type: 'string',
		typeOptions: { rows: 3 },
		default: '',
		required: true,
		placeholder: 'e.g. A watercolor fox reading a newspaper in a café',
		description: `${intro}${promptLimits(operations[0])}`,
		displayOptions: { show: { operation: operations } },
	};
}

/** Number of Images for some families: the editor's limit is theirs; models that return one image per call are named. */
function countFor(operation: Operation, families: readonly ModelFamily[]): INodeProperties {
	const max = Math.max(...families.map((family) => family.maxImages));
	const single = families.filter((family) => family.imagesPerRequest === 1 && family.maxImages > 1);
	const split = single.length
		? ` Models that return one image per call (${modelsOf(single)}) get several calls in parallel.`
		: '';
	return {
		displayName: 'Number of Images',
		name: 'n',
		type: 'number',
		default: 1,
		typeOptions: { minValue: 1, maxValue: max, numberPrecision: 0 },
		description: `How many images to create for each input item (1-${max}).${split}`,
		displayOptions: { show: { operation: [operation] } },
	};
}

/**
 * Number of Images with the model's own limit (1-10 for most, 1-15 for Seedream 4), one variant
 * per limit; a model set by an expression gets the highest, checked per item when it runs.
 */
export function countProperties(operation: Operation): INodeProperties[] {
	const able = familiesWith(operation);
	const byMax = new Map<number, ModelFamily[]>();
	for (const family of able) byMax.set(family.maxImages, [...(byMax.get(family.maxImages) ?? []), family]);
	if (byMax.size === 1) return forOperation(countFor(operation, able), operation);
	return [
		...[...byMax.values()].flatMap((families) => forFamilies(countFor(operation, families), families)),
		whenModelIsExpression(countFor(operation, able)),
	];
}

/** Options about how the node runs and outputs, next to the model-specific ones from the table. */
const RUN_OPTIONS: INodeProperties[] = [
	{
		displayName: 'Allow Private Image Hosts',
		name: 'allowPrivateImageHosts',
		type: 'boolean',
		default: false,
		description:
			"Whether to download image URLs that point at loopback, private, link-local, CGNAT or cloud metadata addresses. Off by default, so that a provider's answer cannot make n8n read internal services; the Base URL's own host is always allowed.",
	},
	{
		displayName: 'Binary Property',
		name: 'binaryPropertyOutput',
		type: 'string',
		default: 'data',
		description: 'Name of the binary property the images are written to',
	},
	{
		displayName: 'Concurrency',
		name: 'concurrency',
		type: 'number',
		default: 8,
		typeOptions: { minValue: 1, maxValue: 64, numberPrecision: 0 },
		description:
			'The most requests running at the same time across all items (one value per run). When the provider answers HTTP 429, the node runs fewer for a while and waits what it asks.',
	},
	{
		displayName: 'Extra Body Fields (JSON)',
		name: 'extraBody',
		type: 'json',
		default: '{}',
		description:
			'A JSON object merged into the request body, for provider-specific fields the node has no field for (e.g. {"guidance_scale": 5} or {"sequential_image_generation": "auto"}). For edits sent as multipart, each value becomes a form field.',
	},
	{
		displayName: 'Max Retries',
		name: 'maxRetries',
		type: 'number',
		default: 2,
		typeOptions: { minValue: 0, maxValue: 10, numberPrecision: 0 },
		description:
			'How often a request is sent again after a failure that cannot have been billed: no connection, HTTP 408, 409, 500, 503, or a 5xx error with retry-after. HTTP 429 waits and retries beyond it, up to the Timeout. Timeouts and connections lost after sending are retried only with Retry Possibly Billed Requests. 0 sends every request once.',
	},
	{
		displayName: 'Max Response Size (MB)',
		name: 'maxResponseSize',
		type: 'number',
		default: 128,
		typeOptions: { minValue: 1, maxValue: 4096, numberPrecision: 0 },
		description:
			'The largest image the node reads, inline or downloaded; a whole answer may be this much per image asked for. It stops there with an error, so that a broken or hostile server cannot make n8n read and store without end. Images are streamed into n8n\'s binary storage, not held in memory.',
	},
	{
		displayName: 'Put All Images in One Item',
		name: 'combineImages',
		type: 'boolean',
		default: false,
		description:
			'Whether to output all images of an input item in that one item (binary properties data, data_1, ...), e.g. to attach them all to one email. Otherwise each image is its own item.',
	},
	{
		displayName: 'Retry Possibly Billed Requests',
		name: 'retryMayBeProcessed',
		type: 'boolean',
		default: false,
		description:
			'Whether to send a generation, edit or variation again (up to Max Retries) after a timeout, a connection lost after the request was sent, or HTTP 502, 504 or another 5xx without retry-after. The server may have made the images already, so each retry can be billed again.',
	},
	{
		displayName: 'Timeout (Seconds)',
		name: 'timeout',
		type: 'number',
		default: 600,
		typeOptions: { minValue: 1, numberPrecision: 0 },
		description:
			'How long to wait for each request. High-quality generations can take several minutes.',
	},
];

export const optionsProperty: INodeProperties = {
	displayName: 'Options',
	name: 'options',
	type: 'collection',
	placeholder: 'Add Option',
	default: {},
	options: [...optionalBodyFields(ALL_OPERATIONS), ...RUN_OPTIONS].sort((a, b) =>
		a.displayName.localeCompare(b.displayName),
	),
};
