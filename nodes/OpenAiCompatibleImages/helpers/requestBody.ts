/**
 * The request of one call, as the model family says it is sent (models.ts): the Images API with
 * the family's own field names and count field, or a chat completion. The validated field values
 * arrive flat (`aspect_ratio`), and go where the family takes them (`image_config.aspect_ratio`).
 */
import type { IDataObject } from 'n8n-workflow';

import { fieldRule, type BodyField, type ModelFamily, type Operation } from '../models';
import { chatRequestBody, parseChatImageResponse } from './chatImages';
import type { ParseResponse } from './runner';

/** Sets a value at a dotted path, creating the objects on the way. */
function setPath(body: IDataObject, path: string, value: unknown): void {
	const keys = path.split('.');
	let target = body;
	for (const key of keys.slice(0, -1)) {
		const next = target[key];
		if (!next || typeof next !== 'object' || Array.isArray(next)) target[key] = {};
		target = target[key] as IDataObject;
	}
	target[keys[keys.length - 1]] = value as IDataObject[string];
}

const isPlainObject = (value: unknown): value is IDataObject =>
	value !== null && typeof value === 'object' && !Array.isArray(value);

/** Merges the user's Extra Body Fields in: nested objects (image_config) are added to, not replaced. */
function mergeInto(target: IDataObject, source: IDataObject): IDataObject {
	for (const [key, value] of Object.entries(source)) {
		const existing = target[key];
		target[key] = isPlainObject(existing) && isPlainObject(value) ? mergeInto({ ...existing }, value) : value;
	}
	return target;
}

/** The validated field values at the places the family takes them. */
export function placeFields(family: ModelFamily, operation: Operation, fields: IDataObject): IDataObject {
	const body: IDataObject = {};
	for (const [field, value] of Object.entries(fields)) {
		setPath(body, fieldRule(family, field as BodyField, operation)?.path ?? field, value);
	}
	return body;
}

/** How one call asks for its number of images: `n`, the family's own field, or not at all. */
export function countFields(family: ModelFamily, count: number): IDataObject {
	const rule = family.count ?? { path: 'n' };
	if (rule === false) return {};
	// A group request (Seedream) is only made for more than one image.
	if (rule.group && count <= 1) return {};
	const body: IDataObject = { ...rule.group };
	setPath(body, rule.path, count);
	return body;
}

export interface CallBody {
	model: string;
	prompt?: string;
	count: number;
	/** Validated field values, flat (readBodyFields). */
	fields: IDataObject;
	/** The user's Extra Body Fields (JSON). */
	extra: IDataObject;
	/** Input images as URLs or data: URLs, for families that take them in a JSON body or chat message. */
	imageUrls?: readonly string[];
	/** How the Images API body carries the image URLs (jsonImages.field); built by the edit operation. */
	images?: IDataObject;
}

/** The JSON body of one call (the multipart edit upload appends the same fields as parts). */
export function requestBody(family: ModelFamily, operation: Operation, call: CallBody): IDataObject {
	const placed = placeFields(family, operation, call.fields);
	const body =
		family.api === 'chat'
			? chatRequestBody({ model: call.model, prompt: call.prompt ?? '', images: call.imageUrls ?? [], fields: placed })
			: {
					model: call.model,
					...(call.prompt !== undefined ? { prompt: call.prompt } : {}),
					...countFields(family, call.count),
					...family.alwaysSend,
					...placed,
					...call.images,
				};
	return mergeInto(body, call.extra);
}

/** Where a family's generate calls go, below the base URL. */
export function generatePath(family: ModelFamily): string {
	return family.generatePath ?? (family.api === 'chat' ? 'chat/completions' : 'images/generations');
}

/** How a family's answers are read; the Images API's shapes when undefined. */
export function responseParser(family: ModelFamily): ParseResponse | undefined {
	return family.api === 'chat' ? parseChatImageResponse : undefined;
}
