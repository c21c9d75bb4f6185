import { NodeOperationError, type IDataObject, type IExecuteFunctions } from 'n8n-workflow';

import { BODY_FIELDS, BODY_FIELD_UI, mainParameterName } from '../description/bodyFields';
import { MODEL_FAMILY } from '../description/familyDisplay';
import {
	DETECT_FAMILY,
	MODEL_FAMILIES,
	fieldRule,
	resolveFamily,
	type BodyField,
	type FieldRule,
	type FieldValue,
	type ModelFamily,
	type Operation,
} from '../models';
import { DEFAULT_MAX_RESPONSE_BYTES, DEFAULT_MAX_RETRIES, DEFAULT_TIMEOUT_MS } from '../transport';

const MB = 1024 * 1024;

/** Settings that shape how the node runs rather than what it asks for. */
export interface RunSettings {
	concurrency: number;
	maxRetries: number;
	/** Send generations, edits and variations again after a failure that may have been processed. */
	retryMayBeProcessed: boolean;
	timeout: number;
	/** Most bytes of an API answer or of one downloaded image. */
	maxResponseBytes: number;
	/** Download images from loopback, private, link-local and CGNAT addresses too. */
	allowPrivateImageHosts: boolean;
	combineImages: boolean;
	binaryProperty: string;
}

export const DEFAULT_CONCURRENCY = 8;

export function describe(value: unknown): string {
	if (value === null) return 'null';
	if (typeof value === 'string') return `"${value}"`;
	if (typeof value === 'object') return JSON.stringify(value).slice(0, 80);
	return String(value);
}

/**
 * For getNodeParameter: the value as given, without n8n's check against the description. That
 * check finds the parameter by evaluating the display conditions of all its namesakes, each
 * regular expression in a sandbox with a timeout (about 1 ms per call with this node's family
 * conditions, the bulk of the node's time per item); this node has no parameter n8n would check
 * (no validateType, no resource mapper), and checks every value itself.
 */
export const AS_GIVEN = { skipValidation: true } as const;

export function options(ctx: IExecuteFunctions, itemIndex: number): IDataObject {
	const value = ctx.getNodeParameter('options', itemIndex, {}, AS_GIVEN);
	return value && typeof value === 'object' ? (value as IDataObject) : {};
}

/** A validation error for one item: what is wrong, and in the description how to fix it. */
export function invalid(ctx: IExecuteFunctions, itemIndex: number, message: string, description: string) {
	return new NodeOperationError(ctx.getNode(), message, { description, itemIndex });
}

function integerOption(
	ctx: IExecuteFunctions,
	itemIndex: number,
	opts: IDataObject,
	name: string,
	label: string,
	fallback: number,
	min: number,
	max: number,
): number {
	const raw = opts[name];
	if (raw === undefined || raw === null || raw === '') return fallback;
	const value = Number(raw);
	if (!Number.isInteger(value) || value < min || value > max) {
		throw invalid(ctx, itemIndex, `${label} must be a whole number from ${min} to ${max}, not ${describe(raw)}`, `Set the ${label} option to a value from ${min} to ${max}.`);
	}
	return value;
}

/** Settings of one item: an expression may give each item its own. */
export function runSettings(ctx: IExecuteFunctions, itemIndex = 0): RunSettings {
	const opts = options(ctx, itemIndex);
	const binaryProperty = String(opts.binaryPropertyOutput ?? 'data').trim() || 'data';
	return {
		concurrency: readConcurrency(ctx, itemIndex, opts),
		maxRetries: integerOption(ctx, itemIndex, opts, 'maxRetries', 'Max Retries', DEFAULT_MAX_RETRIES, 0, 10),
		retryMayBeProcessed: opts.retryMayBeProcessed === true,
		timeout:
			integerOption(ctx, itemIndex, opts, 'timeout', 'Timeout', DEFAULT_TIMEOUT_MS / 1000, 1, 24 * 3600) * 1000,
		maxResponseBytes:
			integerOption(ctx, itemIndex, opts, 'maxResponseSize', 'Max Response Size (MB)', DEFAULT_MAX_RESPONSE_BYTES / MB, 1, 4096) * MB,
		allowPrivateImageHosts: opts.allowPrivateImageHosts === true,
		combineImages: opts.combineImages === true,
		binaryProperty,
	};
}

function readConcurrency(ctx: IExecuteFunctions, itemIndex: number, opts = options(ctx, itemIndex)): number {
	return integerOption(ctx, itemIndex, opts, 'concurrency', 'Concurrency', DEFAULT_CONCURRENCY, 1, 64);
}

/**
 * Concurrency bounds the whole run, so it is one value for all items: an expression that gives
 * items different values is an error naming the first item that differs.
 */
export function runConcurrency(ctx: IExecuteFunctions, itemCount: number): number {
	const first = readConcurrency(ctx, 0);
	for (let itemIndex = 1; itemIndex < itemCount; itemIndex++) {
		const value = readConcurrency(ctx, itemIndex);
		if (value !== first) {
			throw invalid(
				ctx,
				itemIndex,
				`Concurrency must be the same for all items: item ${itemIndex + 1} gives ${value}, item 1 gives ${first}`,
				'Concurrency limits the requests of the whole run, not of one item. Set it to a number, or to an expression that gives every item the same value.',
			);
		}
	}
	return first;
}

export function readModel(ctx: IExecuteFunctions, itemIndex: number): { model: string; family: ModelFamily } {
	const raw = ctx.getNodeParameter('model', itemIndex, '', { ...AS_GIVEN, extractValue: true });
	const hint = 'Pick a model from the list or enter its ID, e.g. gpt-image-1 or dall-e-3.';
	if (raw !== null && raw !== undefined && typeof raw !== 'string' && typeof raw !== 'number') {
		throw invalid(ctx, itemIndex, `Model must be a model ID (text), got ${describe(raw)}`, `${hint} If it comes from an expression, make it resolve to the ID.`);
	}
	// An expression may give a number; as an ID it is its text.
	const model = raw === null || raw === undefined ? '' : String(raw).trim();
	if (!model) throw invalid(ctx, itemIndex, `Model is required, got ${describe(raw)}`, hint);
	const choice = String(ctx.getNodeParameter(MODEL_FAMILY, itemIndex, DETECT_FAMILY, AS_GIVEN) ?? DETECT_FAMILY);
	if (choice !== DETECT_FAMILY && !MODEL_FAMILIES.some((family) => family.id === choice)) {
		throw invalid(ctx, itemIndex, `Model Family ${describe(choice)} is not known`, `Choose a Model Family from the list: ${MODEL_FAMILIES.map((family) => family.displayName).join(', ')}, or Detect From Model ID.`);
	}
	return { model, family: resolveFamily(model, choice) };
}

/**
 * True when the editor could not know the family: it showed the generic fields, which take any
 * family's values, so a value this family cannot send is an error rather than silently dropped.
 */
export function familyUnknownInEditor(ctx: IExecuteFunctions): boolean {
	const { parameters } = ctx.getNode();
	if ((parameters[MODEL_FAMILY] ?? DETECT_FAMILY) !== DETECT_FAMILY) return false;
	const model = parameters.model;
	const value = model && typeof model === 'object' && 'value' in model ? model.value : model;
	return typeof value === 'string' && value.startsWith('=');
}

export function assertOperation(
	ctx: IExecuteFunctions,
	itemIndex: number,
	model: string,
	family: ModelFamily,
	operation: Operation,
): void {
	if (family.operations.includes(operation)) return;
	const supporting = MODEL_FAMILIES.filter((other) => other.operations.includes(operation) && other.pattern)
		.map((other) => other.label)
		.join('; ');
	throw invalid(ctx, itemIndex, `The model "${model}" (${family.displayName}) does not support the ${operation} operation`, `Choose a model that does: ${supporting}.`);
}

/** "gpt-image-1, gpt-image-1.5 take 32000 characters", from the model table. */
function longestPromptLimit(): string {
	const longest = Math.max(...MODEL_FAMILIES.map((family) => family.promptMaxLength ?? 0));
	const labels = MODEL_FAMILIES.filter((family) => family.promptMaxLength === longest).map((family) => family.label);
	return `${labels.join('; ')} take ${longest} characters`;
}

export function readPrompt(ctx: IExecuteFunctions, itemIndex: number, family: ModelFamily): string {
	const raw = ctx.getNodeParameter('prompt', itemIndex, '', AS_GIVEN);
	if (typeof raw !== 'string' && typeof raw !== 'number') {
		throw invalid(ctx, itemIndex, `Prompt must be text, got ${describe(raw)}`, 'Enter a prompt, or make sure the expression resolves to text.');
	}
	const prompt = String(raw).trim();
	if (!prompt) {
		throw invalid(ctx, itemIndex, 'Prompt is empty', 'Describe the image you want, or make sure the expression resolves to text for every item.');
	}
	// Providers count characters (code points): an emoji is one, not two UTF-16 units.
	const length = Array.from(prompt).length;
	if (family.promptMaxLength && length > family.promptMaxLength) {
		throw invalid(ctx, itemIndex, `Prompt is too long for ${family.displayName}: ${length} characters, the limit is ${family.promptMaxLength}`, `Shorten the prompt, or choose a model with a longer limit (${longestPromptLimit()}).`);
	}
	return prompt;
}

export function readCount(ctx: IExecuteFunctions, itemIndex: number, family: ModelFamily): number {
	const raw = ctx.getNodeParameter('n', itemIndex, 1, AS_GIVEN);
	const n = typeof raw === 'string' && raw.trim() !== '' ? Number(raw) : raw;
	if (typeof n !== 'number' || !Number.isInteger(n) || n < 1 || n > family.maxImages) {
		throw invalid(ctx, itemIndex, `Number of Images must be a whole number from 1 to ${family.maxImages}, not ${describe(raw)}`, `Set Number of Images to a value from 1 to ${family.maxImages}.`);
	}
	return n;
}

/** True when a value is the default another family gives the field: left over from an earlier model, not chosen. */
function isForeignDefault(field: BodyField, value: unknown, family: ModelFamily): boolean {
	return MODEL_FAMILIES.some(
		(other) => other !== family && other.fields[field]?.default === value,
	);
}

function validateField(
	ctx: IExecuteFunctions,
	itemIndex: number,
	field: BodyField,
	rule: FieldRule,
	family: ModelFamily,
	raw: unknown,
): FieldValue | undefined {
	const ui = BODY_FIELD_UI[field];
	const label = ui.displayName;
	if (raw === undefined || raw === null || raw === '') return rule.default === '' ? undefined : rule.default;
	if (rule.unset !== undefined && raw === rule.unset) return undefined;
	if (ui.type === 'boolean') {
		if (typeof raw !== 'boolean') {
			throw invalid(ctx, itemIndex, `${label} must be true or false, not ${describe(raw)}`, `Set ${label} to true or false.`);
		}
		return raw;
	}
	if (ui.type === 'number') {
		const value = typeof raw === 'string' && raw.trim() !== '' ? Number(raw) : raw;
		const min = rule.min ?? Number.MIN_SAFE_INTEGER;
		const max = rule.max ?? Number.MAX_SAFE_INTEGER;
		const whole = rule.fraction ? Number.isFinite(value) : Number.isInteger(value);
		if (typeof value !== 'number' || !whole || value < min || value > max) {
			throw invalid(ctx, itemIndex, `${label} must be a ${rule.fraction ? 'number' : 'whole number'} from ${min} to ${max}, not ${describe(raw)}`, `Set ${label} to a value from ${min} to ${max}.`);
		}
		return value;
	}
	if (typeof raw !== 'string') {
		throw invalid(ctx, itemIndex, `${label} must be text, not ${describe(raw)}`, rule.values ? `Use one of: ${rule.values.join(', ')}.` : `Set ${label} to text.`);
	}
	const value = raw.trim();
	if (rule.values && !rule.values.includes(value)) {
		// A value another family uses by default was left over from an earlier model choice.
		if (rule.default !== undefined && isForeignDefault(field, value, family)) return rule.default;
		throw invalid(ctx, itemIndex, `${label} ${describe(value)} is not accepted by ${family.displayName} models`, `Use one of: ${rule.values.join(', ')}.`);
	}
	const problem = rule.check?.(value);
	if (problem) {
		if (rule.default !== undefined && isForeignDefault(field, value, family) && !rule.check?.(String(rule.default))) {
			return rule.default;
		}
		throw invalid(ctx, itemIndex, `${label} ${describe(value)} is not valid for ${family.displayName}: ${problem}`, `Allowed: ${rule.hint ?? 'see the field description'}.`);
	}
	return value === '' ? undefined : value;
}

/** The model-specific body fields the user set (or their defaults), validated against the family's rules. */
export function readBodyFields(
	ctx: IExecuteFunctions,
	itemIndex: number,
	family: ModelFamily,
	operation: Operation,
): IDataObject {
	const opts = options(ctx, itemIndex);
	const body: IDataObject = {};
	const rules = new Map<BodyField, FieldRule>();
	const strict = familyUnknownInEditor(ctx);
	for (const field of BODY_FIELDS) {
		const rule = fieldRule(family, field, operation);
		const main = BODY_FIELD_UI[field].main === true;
		const raw = main
			? ctx.getNodeParameter(mainParameterName(field, family, operation, strict), itemIndex, rule?.default ?? '', AS_GIVEN)
			: opts[field];
		if (!rule) {
			if (strict && main && raw !== undefined && raw !== null && raw !== '') {
				throw invalid(ctx, itemIndex, `${BODY_FIELD_UI[field].displayName} ${describe(raw)} cannot be sent: ${family.displayName} models take no ${BODY_FIELD_UI[field].displayName.toLowerCase()}`, `Clear ${BODY_FIELD_UI[field].displayName}, or make its expression give an empty value for this model.`);
			}
			continue;
		}
		rules.set(field, rule);
		const value = validateField(ctx, itemIndex, field, rule, family, raw);
		if (value !== undefined) body[field] = value;
	}
	// A field that only applies with another's values (compression with JPEG or WebP) is not sent otherwise.
	for (const [field, rule] of rules) {
		if (rule.onlyWith && !rule.onlyWith.values.includes(body[rule.onlyWith.field] as FieldValue)) delete body[field];
	}
	if (body.background === 'transparent' && body.output_format === 'jpeg') {
		throw invalid(ctx, itemIndex, 'Background "transparent" does not work with Output Format "jpeg"', 'Choose the PNG or WebP output format, or another background.');
	}
	return body;
}

/** The user's Extra Body Fields (JSON), as an object. */
export function readExtraBody(ctx: IExecuteFunctions, itemIndex: number): IDataObject {
	const raw = options(ctx, itemIndex).extraBody;
	if (raw === undefined || raw === null || raw === '') return {};
	let value: unknown = raw;
	if (typeof raw === 'string') {
		try {
			value = JSON.parse(raw);
		} catch (error) {
			throw invalid(ctx, itemIndex, `Extra Body Fields (JSON) is not valid JSON: ${(error as Error).message}`, 'Enter a JSON object, e.g. {"guidance_scale": 5}.');
		}
	}
	if (!value || typeof value !== 'object' || Array.isArray(value)) {
		throw invalid(ctx, itemIndex, `Extra Body Fields (JSON) must be a JSON object, not ${describe(value)}`, 'Enter a JSON object, e.g. {"guidance_scale": 5}.');
	}
	return value as IDataObject;
}

/** Keys of the body the node always sets itself, and the field that sets each. */
const OWNED_KEYS: Record<string, string> = { model: 'Model', prompt: 'Prompt', n: 'Number of Images' };
/** Keys an edit or variation fills from its input images. */
const IMAGE_KEYS = ['image', 'image[]', 'images', 'mask'];

/**
 * Extra Body Fields may add provider fields, not undo what was validated: keys the node sends
 * itself (model, prompt, n, input images) and the model table's fields for a family that takes
 * them are refused, naming the field to use; a table field a known family does not take is
 * refused too. Only for other models (the catch-all family) do the table's other fields pass, as
 * provider fields the node has no rule for.
 */
function checkExtraBody(
	ctx: IExecuteFunctions,
	itemIndex: number,
	family: ModelFamily,
	operation: Operation,
	extra: IDataObject,
): void {
	const refuse = (key: string, why: string, fix: string) =>
		invalid(ctx, itemIndex, `Extra Body Fields (JSON) must not set "${key}": ${why}`, `${fix ? `${fix} ` : ''}Remove "${key}" from Extra Body Fields.`);
	for (const key of Object.keys(extra)) {
		const owned = OWNED_KEYS[key];
		if (owned) throw refuse(key, `the node sends it from the field ${owned}`, `Set ${owned} instead.`);
		if (operation !== 'generate' && IMAGE_KEYS.includes(key)) {
			throw refuse(key, 'the node sends the input images itself', 'Name the images in the input image fields instead.');
		}
		if (!(key in BODY_FIELD_UI)) continue;
		const field = key as BodyField;
		const ui = BODY_FIELD_UI[field];
		const where = ui.main ? `the field ${ui.displayName}` : `the option ${ui.displayName}`;
		if (fieldRule(family, field, operation)) {
			throw refuse(key, `the node sends it from ${where}, checked against what ${family.displayName} models accept`, `Set ${where} instead.`);
		}
		if (family.pattern === undefined) continue;
		const taking = MODEL_FAMILIES.filter((other) => other.pattern && fieldRule(other, field, operation))
			.map((other) => other.displayName)
			.join(', ');
		throw refuse(key, `${family.displayName} models do not take it for ${operation}`, taking ? `Choose a model that takes it (${taking}) and set ${where}.` : '');
	}
}

/** What every operation reads first, validated in this order: model, prompt (not for variations), n, the model's fields, extra JSON. */
export function readRequest(ctx: IExecuteFunctions, itemIndex: number, operation: Operation) {
	const { model, family } = readModel(ctx, itemIndex);
	assertOperation(ctx, itemIndex, model, family, operation);
	const prompt = operation === 'variation' ? undefined : readPrompt(ctx, itemIndex, family);
	const n = readCount(ctx, itemIndex, family);
	const fields = readBodyFields(ctx, itemIndex, family, operation);
	const extra = readExtraBody(ctx, itemIndex);
	checkExtraBody(ctx, itemIndex, family, operation, extra);
	return { model, family, prompt, n, fields, extra };
}
