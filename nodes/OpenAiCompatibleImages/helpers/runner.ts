import {
	NodeOperationError,
	type IBinaryData,
	type IDataObject,
	type IExecuteFunctions,
	type INodeExecutionData,
} from 'n8n-workflow';

import { apiRequest, credentialSecrets, parseJsonBody, throwIfCancelled } from '../transport';
import { redactSecrets } from '../transport/errors';
import { fileStem } from './images';
import { runSettings, type RunSettings } from './parameters';
import { parseImageResponse, storeImage } from './response';

/** One API call an item needs; an item asking for more images than a call returns needs several. */
export interface PlannedCall {
	path: string;
	/** Builds the body when the call is sent, so input images are read only then. */
	body: () => Promise<IDataObject | FormData>;
}

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
export const ECHOED_FIELDS = ['size', 'quality', 'style', 'background', 'output_format'];

export function pick(source: IDataObject, fields: readonly string[]): IDataObject {
	const picked: IDataObject = {};
	for (const field of fields) if (source[field] !== undefined) picked[field] = source[field];
	return picked;
}

export type PlanItem = (ctx: IExecuteFunctions, itemIndex: number) => Promise<ItemPlan>;

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
	});
	const { entries, meta } = parseImageResponse(ctx, parseJsonBody(ctx, response, itemIndex), itemIndex);
	// The raw body and each image's base64 are dropped as soon as they are decoded, so a large
	// image is held about once at a time, not three times over.
	response.body = Buffer.alloc(0);
	const output: OutputImage[] = [];
	// Images of one call are fetched one after the other: the pool already bounds parallel work.
	for (const entry of entries) {
		const image = await storeImage(ctx, entry, itemIndex, settings.timeout, settings.maxRetries);
		entry.base64 = undefined;
		const json: IDataObject = {
			model: plan.model,
			...(plan.prompt !== undefined ? { prompt: plan.prompt } : {}),
			...(entry.revisedPrompt ? { revised_prompt: entry.revisedPrompt } : {}),
			...plan.requested,
			...meta,
			...(image.dimensions ?? {}),
			...(image.sourceUrl ? { url: image.sourceUrl } : {}),
		};
		output.push({ binary: image.binary, json });
	}
	return output;
}

function outputFor(
	itemIndex: number,
	plan: ItemPlan,
	images: OutputImage[],
	settings: RunSettings,
): INodeExecutionData[] {
	const stem = fileStem(plan.prompt, plan.fileStem);
	images.forEach((image, index) => {
		image.binary.fileName = `${stem}-${index + 1}.${image.binary.fileExtension}`;
		image.json.index = index;
		image.json.fileName = image.binary.fileName;
		image.json.mimeType = image.binary.mimeType;
	});
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
	return [{ json: { model, prompt, imageCount: images.length, images: details }, binary, pairedItem }];
}

function errorItem(error: unknown, itemIndex: number): INodeExecutionData {
	const failure = error as { message?: string; description?: string; httpCode?: string };
	const json: IDataObject = { error: failure.message ?? String(error) };
	if (failure.description) json.description = failure.description;
	if (failure.httpCode) json.httpCode = failure.httpCode;
	return { json, pairedItem: { item: itemIndex } };
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
	const settings = runSettings(ctx);
	const continueOnFail = ctx.continueOnFail();
	// Whatever leaves the node (items, errors) goes through here: a server may echo the key back.
	const secrets = await credentialSecrets(ctx);
	const fail = (error: unknown, itemIndex: number) => redactSecrets(withItemIndex(ctx, error, itemIndex), secrets);
	const plans: Array<ItemPlan | { error: unknown }> = [];
	for (let itemIndex = 0; itemIndex < items.length; itemIndex++) {
		try {
			plans.push(await planItem(ctx, itemIndex));
		} catch (error) {
			if (!continueOnFail) throw fail(error, itemIndex);
			plans.push({ error });
		}
	}

	const calls: Array<{ itemIndex: number; plan: ItemPlan; call: PlannedCall }> = [];
	plans.forEach((plan, itemIndex) => {
		if ('calls' in plan) for (const call of plan.calls) calls.push({ itemIndex, plan, call });
	});
	const results = await runPool(
		calls.length,
		settings.concurrency,
		async (index) => await sendCall(ctx, settings, calls[index].itemIndex, calls[index].plan, calls[index].call),
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
	let cursor = 0;
	plans.forEach((plan, itemIndex) => {
		if (!('calls' in plan)) {
			output.push(errorItem(fail(plan.error, itemIndex), itemIndex));
			return;
		}
		const settled = results.slice(cursor, cursor + plan.calls.length);
		cursor += plan.calls.length;
		const failure = settled.find((result) => result?.status === 'rejected') as PromiseRejectedResult | undefined;
		if (failure) {
			output.push(errorItem(fail(failure.reason, itemIndex), itemIndex));
			return;
		}
		const images = settled.flatMap((result) => (result as PromiseFulfilledResult<OutputImage[]>).value);
		output.push(...outputFor(itemIndex, plan, images, settings));
	});
	for (const item of output) redactSecrets(item.json, secrets);
	return output;
}
