import { NodeOperationError, type IDataObject, type IExecuteFunctions } from 'n8n-workflow';

import {
	BODY_FIELDS,
	BODY_FIELD_KINDS,
	DETECT_FAMILY,
	MODEL_FAMILY_PARAMETER,
	MODEL_FAMILIES,
	crossFieldProblem,
	fieldRule,
	mainParameterOf,
	inputImageKeys,
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
 * A parameter of an item, its expression resolved. Without n8n's schema check: it looks for the
 * first variant of the parameter that is displayed, evaluating the display conditions (regular
 * expressions on the model ID) for every read of every item; the node checks each value itself.
 */
export function param(ctx: IExecuteFunctions, name: string, itemIndex: number, fallback: unknown, extractValue = false): unknown {
	return ctx.getNodeParameter(name, itemIndex, fallback, { skipValidation: true, extractValue });
}

export function options(ctx: IExecuteFunctions, itemIndex: number): IDataObject {
	const value = param(ctx, 'options', itemIndex, {});
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
	const raw = param(ctx, 'model', itemIndex, '', true);
	const hint = 'Pick a model from the list or enter its ID, e.g. gpt-image-1 or dall-e-3.';
	if (raw !== null && raw !== undefined && typeof raw !== 'string' && typeof raw !== 'number') {
		throw invalid(ctx, itemIndex, `Model must be a model ID (text), got ${describe(raw)}`, `${hint} If it comes from an expression, make it resolve to the ID.`);
	}
	// An expression may give a number; as an ID it is its text.
	const model = raw === null || raw === undefined ? '' : String(raw).trim();
	if (!model) throw invalid(ctx, itemIndex, `Model is required, got ${describe(raw)}`, hint);
	const choice = String(param(ctx, MODEL_FAMILY_PARAMETER, itemIndex, DETECT_FAMILY) ?? DETECT_FAMILY);
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
	if ((parameters[MODEL_FAMILY_PARAMETER] ?? DETECT_FAMILY) !== DETECT_FAMILY) return false;
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
	const raw = param(ctx, 'prompt', itemIndex, '');
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
	const raw = param(ctx, 'n', itemIndex, 1);
	const n = typeof raw === 'string' && raw.trim() !== '' ? Number(raw) : raw;
	if (typeof n !== 'number' || !Number.isInteger(n) || n < 1 || n > family.maxImages) {
		throw invalid(ctx, itemIndex, `Number of Images must be a whole number from 1 to ${family.maxImages}, not ${describe(raw)}`, `Set Number of Images to a value from 1 to ${family.maxImages}.`);
	}
	return n;
}

function validateField(
	ctx: IExecuteFunctions,
	itemIndex: number,
	field: BodyField,
	rule: FieldRule,
	family: ModelFamily,
	raw: unknown,
): FieldValue | undefined {
	const ui = BODY_FIELD_KINDS[field];
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
	// No value is left over from another model: every field with its own values or default is a
	// parameter of its own (models.ts, FieldRule.parameter), so a value here was set on purpose.
	if (rule.values && !rule.values.includes(value)) {
		throw invalid(ctx, itemIndex, `${label} ${describe(value)} is not accepted by ${family.displayName} models`, `Use one of: ${rule.values.join(', ')}.`);
	}
	const problem = rule.check?.(value);
	if (problem) {
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
		const main = BODY_FIELD_KINDS[field].main === true;
		// A main field the family does not take is only read where the editor showed it: the generic one.
		if (main && !rule && !strict) continue;
		const raw = main ? param(ctx, strict ? field : mainParameterOf(field, rule), itemIndex, rule?.default ?? '') : opts[field];
		if (!rule) {
			if (strict && main && raw !== undefined && raw !== null && raw !== '') {
				throw invalid(ctx, itemIndex, `${BODY_FIELD_KINDS[field].displayName} ${describe(raw)} cannot be sent: ${family.displayName} models take no ${BODY_FIELD_KINDS[field].displayName.toLowerCase()}`, `Clear ${BODY_FIELD_KINDS[field].displayName}, or make its expression give an empty value for this model.`);
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
	const problem = crossFieldProblem(body);
	if (problem) throw invalid(ctx, itemIndex, problem.message, problem.fix);
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

/** Whether the table knows a value for a field rule (a value from its list, in its range, passing its check). */
function knownValue(rule: FieldRule, value: unknown): boolean {
	if (rule.values) return typeof value === 'string' && rule.values.includes(value);
	if (rule.min !== undefined || rule.max !== undefined) {
		return typeof value === 'number' && value >= (rule.min ?? -Infinity) && value <= (rule.max ?? Infinity);
	}
	if (rule.check) return typeof value === 'string' && rule.check(value) === undefined;
	return true;
}

const hintsGiven = new WeakMap<object, Set<string>>();

/** An execution hint (a warning on the output), once per run however many items give it. */
function warnOnce(ctx: IExecuteFunctions, message: string): void {
	const given = hintsGiven.get(ctx) ?? new Set<string>();
	hintsGiven.set(ctx, given);
	if (given.has(message)) return;
	given.add(message);
	ctx.addExecutionHints({ message, type: 'warning', location: 'outputPane' });
}

/**
 * Extra Body Fields may add provider fields, not undo what was checked: keys the node sends itself
 * (model, prompt, n, the input images) are refused, naming the field to use. Everything else is
 * sent as given: the provider may accept a value the table does not know yet (quality "max" on a
 * new model), so a table field with a value the table does not know for this model gets a warning,
 * not an error.
 */
function checkExtraBody(
	ctx: IExecuteFunctions,
	itemIndex: number,
	model: string,
	family: ModelFamily,
	operation: Operation,
	extra: IDataObject,
): void {
	const refuse = (key: string, why: string, fix: string) =>
		invalid(ctx, itemIndex, `Extra Body Fields (JSON) must not set "${key}": ${why}`, `${fix} Remove "${key}" from Extra Body Fields.`);
	const imageKeys = operation === 'generate' ? [] : inputImageKeys(family);
	for (const [key, value] of Object.entries(extra)) {
		const owned = OWNED_KEYS[key];
		if (owned) throw refuse(key, `the node sends it from the field ${owned}`, `Set ${owned} instead.`);
		if (imageKeys.includes(key)) throw refuse(key, 'the node sends the input images itself', 'Name the images in the input image fields instead.');
		if (!(key in BODY_FIELD_KINDS)) continue;
		const rule = fieldRule(family, key as BodyField, operation);
		if (rule && knownValue(rule, value)) continue;
		const what = rule ? `the value ${describe(value)} for ${key}` : `the field ${key}`;
		warnOnce(
			ctx,
			`Extra Body Fields (JSON) sets ${key} to ${describe(value)}: the node does not know ${what} for ${model} (${family.displayName}, ${operation}), so it is sent as given and the provider decides.`,
		);
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
	checkExtraBody(ctx, itemIndex, model, family, operation, extra);
	return { model, family, prompt, n, fields, extra };
}
