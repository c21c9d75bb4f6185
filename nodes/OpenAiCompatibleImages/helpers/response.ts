import {
	NodeApiError,
	NodeOperationError,
	type IDataObject,
	type IExecuteFunctions,
	type JsonObject,
} from 'n8n-workflow';

import { downloadImage, type DownloadSettings } from '../transport/download';
import { decodeErrorBody } from '../transport/errors';
import { LongString, decodeBase64Bytes } from '../transport/json';
import { inspectImage, notAnImage, type StoredImage } from './images';

/** One image of a provider response, before its bytes are fetched. */
export interface ImageEntry {
	/** Base64 (or a data: URL) the provider sent inline. */
	base64?: string | LongString;
	/** URL to download, or a data: URL. */
	url?: string | LongString;
	revisedPrompt?: string;
	/** OpenAI's ID of the generation (gpt-image-2 and later). */
	generationId?: string;
}

export interface ParsedResponse {
	entries: ImageEntry[];
	/** Response-level facts worth keeping: created, usage, size, quality, background, output_format, seed. */
	meta: IDataObject;
}

const META_FIELDS = ['created', 'usage', 'svg_usage', 'size', 'quality', 'background', 'output_format', 'complexity', 'seed', 'timings'];

function nonEmpty(value: unknown): string | undefined {
	return typeof value === 'string' && value.trim() !== '' ? value.trim() : undefined;
}

/** Image data: a string, or a long value left in the response bytes (see transport/json.ts). */
function imageData(value: unknown): string | LongString | undefined {
	return value instanceof LongString ? value : nonEmpty(value);
}

/** An answer that is HTTP 200 but says it failed (`{error: {...}}`, gateways do this) throws its error. */
export function throwIfErrorBody(ctx: IExecuteFunctions, body: IDataObject, itemIndex: number): void {
	if (body.error) {
		const upstream = decodeErrorBody(Buffer.from(JSON.stringify(body)));
		throw new NodeApiError(ctx.getNode(), body as JsonObject, {
			message: `${upstream.message} (HTTP 200 with an error body)`,
			description: 'The provider reported an error although the request itself succeeded.',
			httpCode: '200',
			itemIndex,
		});
	}
}

/** Reads every response shape seen in the wild: OpenAI `data[]`, SiliconFlow `images[]`, Together `base64`. */
export function parseImageResponse(
	ctx: IExecuteFunctions,
	body: IDataObject,
	itemIndex: number,
): ParsedResponse {
	throwIfErrorBody(ctx, body, itemIndex);
	const list = Array.isArray(body.data) ? body.data : Array.isArray(body.images) ? body.images : undefined;
	if (!list || list.length === 0) {
		throw new NodeApiError(ctx.getNode(), body as JsonObject, {
			message: 'The provider returned no image',
			description:
				'The response had no images. Providers do this when their moderation blocked the prompt; rephrase the prompt or check the provider dashboard.',
			itemIndex,
		});
	}
	// An entry without image data (`{}`, null: an image blocked by safety, Portkey's Vertex Imagen
	// and Stability routes) is skipped; the item keeps the images that came, and says how many.
	const entries = list.flatMap((raw: unknown): ImageEntry[] => {
		const item = (raw && typeof raw === 'object' ? raw : {}) as IDataObject;
		const entry: ImageEntry = {
			base64: imageData(item.b64_json) ?? imageData(item.base64) ?? imageData(item.b64),
			url: imageData(item.url) ?? imageData(item.image_url),
			revisedPrompt: nonEmpty(item.revised_prompt),
			generationId: nonEmpty(item.generation_id),
		};
		return entry.base64 || entry.url ? [entry] : [];
	});
	if (entries.length === 0) {
		throw new NodeApiError(ctx.getNode(), body as JsonObject, {
			message: `The provider returned no image: ${list.length === 1 ? 'its one entry has' : `all ${list.length} entries have`} neither b64_json nor url`,
			description: 'The provider returned image entries without any image data. Providers do this when their moderation or safety filter blocked the images; rephrase the prompt or check the provider dashboard.',
			itemIndex,
		});
	}
	const meta: IDataObject = {};
	for (const field of META_FIELDS) {
		if (body[field] !== undefined && body[field] !== null && body[field] !== '') meta[field] = body[field];
	}
	return { entries, meta };
}

function decodeBase64(ctx: IExecuteFunctions, data: string | LongString, itemIndex: number): Buffer {
	const invalid = () =>
		new NodeOperationError(ctx.getNode(), 'The provider returned image data that is not valid base64', {
			itemIndex,
		});
	if (data instanceof LongString) {
		const start = data.startsWithIgnoringCase('data:') ? data.raw.indexOf(',') + 1 : 0;
		const bytes = decodeBase64Bytes(data.raw.subarray(start));
		if (!bytes) throw invalid();
		return bytes;
	}
	const payload = /^data:/i.test(data) ? data.slice(data.indexOf(',') + 1) : data;
	// Node skips characters outside the alphabet instead of failing, so a result shorter than the
	// text promises means whitespace (fine) or garbage; only then is the text checked in full.
	const bytes = Buffer.from(payload, 'base64');
	const padding = payload.endsWith('==') ? 2 : payload.endsWith('=') ? 1 : 0;
	if (bytes.length === Math.floor((payload.length * 3) / 4) - padding) return bytes;
	if (!/^[A-Za-z0-9+/_-]*={0,2}$/.test(payload.replace(/\s+/g, ''))) throw invalid();
	return bytes;
}

/** Stores image bytes held in memory (decoded from base64) in n8n's binary storage. */
async function storeBytes(ctx: IExecuteFunctions, bytes: Buffer, itemIndex: number): Promise<StoredImage> {
	const image = inspectImage(bytes);
	if (!image) throw notAnImage(ctx, bytes, itemIndex);
	const binary = await ctx.helpers.prepareBinaryData(bytes, 'image', image.format.mimeType);
	binary.fileExtension = image.format.extension;
	return { ...image, binary };
}

/**
 * The image of one response entry, stored in n8n's binary storage: decoded from base64 or a
 * data: URL, or downloaded (see transport/download.ts).
 */
export async function storeImage(
	ctx: IExecuteFunctions,
	entry: ImageEntry,
	itemIndex: number,
	settings: DownloadSettings,
): Promise<StoredImage> {
	if (entry.base64) return await storeBytes(ctx, decodeBase64(ctx, entry.base64, itemIndex), itemIndex);
	if (entry.url instanceof LongString) {
		if (!entry.url.startsWithIgnoringCase('data:')) {
			throw new NodeOperationError(ctx.getNode(), 'The provider returned an image URL that is too long to be a web address', { itemIndex });
		}
		return await storeBytes(ctx, decodeBase64(ctx, entry.url, itemIndex), itemIndex);
	}
	const url = entry.url as string;
	if (/^data:/i.test(url)) return await storeBytes(ctx, decodeBase64(ctx, url, itemIndex), itemIndex);
	return await downloadImage(ctx, url, itemIndex, settings);
}
