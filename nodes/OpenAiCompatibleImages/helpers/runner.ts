import {
	NodeOperationError,
	type IBinaryData,
	type NodeExecutionHint,
	type IDataObject,
	type IExecuteFunctions,
	type INodeExecutionData,
} from 'n8n-workflow';

import { accountGate, apiRequest, credentialSecrets, credentialsOf, parseJsonBody, throwIfCancelled, type RequestGate } from '../transport';
import { redactSecrets } from '../transport/errors';
import { fileStem } from './images';
import { explainRetired } from './retired';
import { runConcurrency, runSettings, type RunSettings } from './parameters';
import { isToolCall, toolResultItem } from './toolResult';
import { parseImageResponse, storeImage, StreamedImage, type ParsedResponse } from './response';

/** One API call an item needs; an item asking for more images than a call returns needs several. */
export interface PlannedCall {
	path: string;
	/** How many images the call asks for (its `n`). */
	images: number;
	/** Builds the body when the call is sent, so input images are read only then. */
	body: () => Promise<IDataObject | FormData>;
	/** Reads the images from the answer; the Images API's shapes when absent. */
	parse?: ParseResponse;
}

export type ParseResponse = (ctx: IExecuteFunctions, body: IDataObject, itemIndex: number) => ParsedResponse;

/** What an operation has worked out for one input item, after validation and before any request. */
export interface ItemPlan {
	model: string;
	prompt?: string;
	/** The values asked for that are worth echoing in the output (size, quality, ...). */
	requested: IDataObject;
	calls: PlannedCall[];
	/** File name stem when there is no prompt to name the images after (default "image"). */
	fileStem?: string;
}

/** Request fields echoed into each image's JSON (the response's own values win). */
export const ECHOED_FIELDS = ['size', 'quality', 'style', 'background', 'output_format', 'aspect_ratio', 'resolution'];

export function pick(source: IDataObject, fields: readonly string[]): IDataObject {
	const picked: IDataObject = {};
	for (const field of fields) if (source[field] !== undefined) picked[field] = source[field];
	return picked;
}

export type PlanItem = (ctx: IExecuteFunctions, itemIndex: number) => Promise<ItemPlan>;

/**
 * Whatever a server sent may echo a secret back (see redactSecrets); the user's own values and
 * the provider's own answer (revised_prompt, the chat text) are left alone.
 */
type Redact = <T>(value: T) => T;

/** An image of an item's output: stored binary data and the JSON that describes it. */
interface OutputImage {
	binary: IBinaryData;
	json: IDataObject;
}

/**
 * Runs tasks with at most `limit` in flight and returns their outcomes in task order. With
 * `stopOnFailure`, no new task starts after one has failed (those in flight still finish).
 */
async function runPool<T>(
	count: number,
	limit: number,
	task: (index: number) => Promise<T>,
	stopOnFailure: boolean,
): Promise<Array<PromiseSettledResult<T> | undefined>> {
	const results: Array<PromiseSettledResult<T> | undefined> = new Array(count);
	let next = 0;
	let failed = false;
	const worker = async () => {
		while (next < count && !(stopOnFailure && failed)) {
			const index = next++;
			try {
				results[index] = { status: 'fulfilled', value: await task(index) };
			} catch (reason) {
				results[index] = { status: 'rejected', reason };
				failed = true;
			}
		}
	};
	await Promise.all(Array.from({ length: Math.min(limit, count) }, worker));
	return results;
}

async function sendCall(
	ctx: IExecuteFunctions,
	settings: RunSettings,
	itemIndex: number,
	plan: ItemPlan,
	call: PlannedCall,
	redact: Redact,
	gate: RequestGate | undefined,
): Promise<OutputImage[]> {
	const response = await apiRequest(ctx, {
		method: 'POST',
		path: call.path,
		body: await call.body(),
		model: plan.model,
		itemIndex,
		timeout: settings.timeout,
		maxRetries: settings.maxRetries,
		retryMayBeProcessed: settings.retryMayBeProcessed,
		maxResponseBytes: settings.maxResponseBytes,
		images: call.images,
		// Inline images are decoded into n8n's binary storage while the answer is read.
		openImage: (newStream) => new StreamedImage(ctx, newStream),
		gate,
	});
	const parse = call.parse ?? parseImageResponse;
	const { entries, meta } = parse(ctx, parseJsonBody(ctx, response, itemIndex), itemIndex);
	// `usage` is what the whole call cost: it goes on the call's first image only (null on the
	// others, see withSameKeys), so that adding up `usage` over the output items gives what was billed.
	const { text, ...sent } = meta;
	const { usage, ...imageMeta }: IDataObject = { ...(text !== undefined ? { text } : {}), ...redact(sent) };
	const output: OutputImage[] = [];
	// Images of one call are fetched one after the other: the pool already bounds parallel work.
	for (const [index, entry] of entries.entries()) {
		const image = await storeImage(ctx, entry, itemIndex, settings);
		const json: IDataObject = {
			model: plan.model,
			...(plan.prompt !== undefined ? { prompt: plan.prompt } : {}),
			...(entry.revisedPrompt ? { revised_prompt: entry.revisedPrompt } : {}),
			...(entry.generationId ? { generation_id: entry.generationId } : {}),
			...plan.requested,
			...imageMeta,
			...(usage !== undefined && index === 0 ? { usage } : {}),
			...(image.dimensions ?? {}),
			...(image.frames !== undefined ? { frameCount: image.frames } : {}),
			...(image.sourceUrl ? { url: redact(image.sourceUrl) } : {}),
		};
		output.push({ binary: image.binary, json });
	}
	return output;
}

/** How many images an item asked for, over all its calls. */
export function requestedImages(plan: ItemPlan): number {
	return plan.calls.reduce((sum, call) => sum + call.images, 0);
}

function outputFor(
	ctx: IExecuteFunctions,
	itemIndex: number,
	plan: ItemPlan,
	images: OutputImage[],
	settings: RunSettings,
	toolCall: boolean,
): INodeExecutionData[] {
	const stem = fileStem(plan.prompt, plan.fileStem);
	const requested = requestedImages(plan);
	// Providers that ignore `n` (or drop images by moderation) return fewer: the item says so.
	const counts = images.length === requested ? {} : { imagesRequested: requested, imagesReturned: images.length };
	images.forEach((image, index) => {
		image.binary.fileName = `${stem}-${index + 1}.${image.binary.fileExtension}`;
		image.json.index = index;
		image.json.fileName = image.binary.fileName;
		image.json.mimeType = image.binary.mimeType;
		Object.assign(image.json, counts);
	});
	withSameKeys(images.map((image) => image.json));
	if (toolCall) return [toolResultItem(ctx, itemIndex, plan.prompt, images, settings.binaryProperty, counts)];
	const pairedItem = { item: itemIndex };
	if (!settings.combineImages) {
		return images.map(({ binary, json }) => ({
			json,
			binary: { [settings.binaryProperty]: binary },
			pairedItem,
		}));
	}
	const binary: Record<string, IBinaryData> = {};
	const details = images.map(({ binary: data, json }, index) => {
		const property = index === 0 ? settings.binaryProperty : `${settings.binaryProperty}_${index}`;
		binary[property] = data;
		return { ...json, binaryProperty: property };
	});
	const { model, prompt } = images[0]?.json ?? {};
	return [{ json: { model, prompt, imageCount: images.length, ...counts, images: details }, binary, pairedItem }];
}

/**
 * Gives every image of an item the same JSON keys, null where an image has no value (`usage` is
 * on each call's first image only): n8n's Table view shows "undefined" where an item lacks a
 * column's key, which reads like a bug.
 */
function withSameKeys(objects: IDataObject[]): void {
	const keys = new Set(objects.flatMap((json) => Object.keys(json)));
	for (const json of objects) {
		for (const key of keys) if (!(key in json)) json[key] = null;
	}
}

/**
 * The item a failed input item becomes with Continue On Fail, paired with its input item.
 *
 * Regular output: `error` (the message), `description` and `httpCode` in its JSON.
 * Error output: n8n moves an item there only when its JSON holds nothing but `error` (and in 2.x
 * `message`, `details`; handleNodeErrorOutput in n8n-core), and then merges the input item's JSON
 * into it. Setting `item.error` would route it too, but n8n then replaces the JSON with the bare
 * message (normalizeNodeErrors). So the fields go inside `error`: `{ error: { message,
 * description, httpCode } }`, which both n8n 1.x and 2.x route, and the nodes behind read
 * `$json.error.message` beside the input's own fields (`$json.prompt`).
 */
function errorItem(error: Error, itemIndex: number, toErrorOutput: boolean): INodeExecutionData {
	const failure = error as { message?: string; description?: string; httpCode?: string };
	const fields: IDataObject = {};
	if (failure.description) fields.description = failure.description;
	if (failure.httpCode) fields.httpCode = failure.httpCode;
	const message = failure.message ?? String(error);
	const json: IDataObject = toErrorOutput ? { error: { message, ...fields } } : { error: message, ...fields };
	return { json, pairedItem: { item: itemIndex } };
}

/** The warning the editor shows on the node when a provider returned fewer images than asked. */
function fewerImagesHint(shortfalls: Array<{ itemIndex: number; requested: number; returned: number }>): NodeExecutionHint {
	const list = shortfalls
		.slice(0, 5)
		.map(({ itemIndex, requested, returned }) => `item ${itemIndex + 1}: ${returned} of ${requested}`)
		.join(', ');
	const more = shortfalls.length > 5 ? ` and ${shortfalls.length - 5} more items` : '';
	return {
		message: `The provider returned fewer images than asked for (${list}${more}). Some providers and gateways ignore Number of Images or drop images by moderation; the items show imagesRequested and imagesReturned.`,
		type: 'warning',
		location: 'outputPane',
	};
}

function withItemIndex(ctx: IExecuteFunctions, error: unknown, itemIndex: number): Error {
	if (error instanceof Error && 'context' in error) {
		const context = (error as { context: IDataObject }).context;
		if (context.itemIndex === undefined) context.itemIndex = itemIndex;
		return error;
	}
	return new NodeOperationError(ctx.getNode(), error as Error, { itemIndex });
}

/**
 * Runs an operation over all input items: every item is validated first (so bad input fails
 * before any money is spent), then the calls run in parallel, bounded by the Concurrency option.
 * Output keeps input order and pairs every result with its input item.
 */
export async function runItems(ctx: IExecuteFunctions, planItem: PlanItem): Promise<INodeExecutionData[]> {
	const items = ctx.getInputData();
	if (items.length === 0) return [];
	const concurrency = runConcurrency(ctx, items.length);
	// Lowers the requests in flight when the server rate-limits, and raises them again; shared with
	// every other execution of the same account in this process (see gate.ts).
	// Without usable credentials there is no account: each call then fails on them, item by item.
	// Asked for now and awaited after the items are read: n8n's credential read (a database query)
	// runs meanwhile instead of before them.
	const accountReady = credentialsOf(ctx)
		.then((credentials) => accountGate(credentials, concurrency))
		.catch(() => undefined);
	// What a server sent (its errors, answers, image URLs) may echo the key or a custom header back:
	// it is redacted before it leaves the node. Validation errors and the user's own values (the
	// prompt, file names) are not: no server has seen them.
	const secretsReady = credentialSecrets(ctx);
	const continueOnFail = ctx.continueOnFail();
	const toErrorOutput = ctx.getNode().onError === 'continueErrorOutput';
	const toolCall = isToolCall(ctx);
	const invalidItem = (error: unknown, itemIndex: number) => withItemIndex(ctx, error, itemIndex);
	const plans: Array<ItemPlan | { error: unknown }> = [];
	// Options are read per item: an expression may give each item its own Timeout, Binary Property, ...
	const settingsOf: RunSettings[] = [];
	for (let itemIndex = 0; itemIndex < items.length; itemIndex++) {
		try {
			settingsOf[itemIndex] = runSettings(ctx, itemIndex);
			plans.push(await planItem(ctx, itemIndex));
		} catch (error) {
			if (!continueOnFail) throw invalidItem(error, itemIndex);
			plans.push({ error });
		}
	}

	const gate = await accountReady;
	const secrets = await secretsReady;
	const redact: Redact = (value) => redactSecrets(value, secrets);
	const modelOf = (itemIndex: number) => {
		const plan = plans[itemIndex];
		return plan && 'model' in plan ? plan.model : undefined;
	};
	// A model the provider retired gets an error naming its replacement (helpers/retired.ts).
	const fail = (error: unknown, itemIndex: number) => redact(explainRetired(withItemIndex(ctx, error, itemIndex), modelOf(itemIndex)));

	const calls: Array<{ itemIndex: number; plan: ItemPlan; call: PlannedCall }> = [];
	plans.forEach((plan, itemIndex) => {
		if ('calls' in plan) for (const call of plan.calls) calls.push({ itemIndex, plan, call });
	});
	const results = await runPool(
		calls.length,
		concurrency,
		async (index) => {
			const { itemIndex, plan, call } = calls[index];
			return await sendCall(ctx, settingsOf[itemIndex], itemIndex, plan, call, redact, gate);
		},
		!continueOnFail,
	);
	// A cancelled execution ends the run, even when failures would otherwise become error items.
	throwIfCancelled(ctx);
	const firstFailure = results.findIndex((result) => result?.status === 'rejected');
	if (!continueOnFail && firstFailure >= 0) {
		const rejected = results[firstFailure] as PromiseRejectedResult;
		throw fail(rejected.reason, calls[firstFailure].itemIndex);
	}

	const output: INodeExecutionData[] = [];
	const shortfalls: Array<{ itemIndex: number; requested: number; returned: number }> = [];
	let cursor = 0;
	plans.forEach((plan, itemIndex) => {
		if (!('calls' in plan)) {
			output.push(errorItem(invalidItem(plan.error, itemIndex), itemIndex, toErrorOutput));
			return;
		}
		const settled = results.slice(cursor, cursor + plan.calls.length);
		cursor += plan.calls.length;
		const failure = settled.find((result) => result?.status === 'rejected') as PromiseRejectedResult | undefined;
		if (failure) {
			output.push(errorItem(fail(failure.reason, itemIndex), itemIndex, toErrorOutput));
			return;
		}
		const images = settled.flatMap((result) => (result as PromiseFulfilledResult<OutputImage[]>).value);
		const requested = requestedImages(plan);
		if (images.length < requested) shortfalls.push({ itemIndex, requested, returned: images.length });
		output.push(...outputFor(ctx, itemIndex, plan, images, settingsOf[itemIndex], toolCall));
	});
	if (shortfalls.length > 0) ctx.addExecutionHints(fewerImagesHint(shortfalls));
	return output;
}
