import {
	NodeApiError,
	NodeOperationError,
	type IBinaryData,
	type IDataObject,
	type IExecuteFunctions,
	type JsonObject,
} from 'n8n-workflow';

import { afterAttempts, DEFAULT_MAX_RETRIES, failureReason, sendWithRetries, type ApiResponse } from '../transport';
import { decodeErrorBody } from '../transport/errors';
import { LongString, decodeBase64Bytes } from '../transport/json';
import { destroyOnAbort, peekStream, readAtMost, type BodyStream } from '../transport/stream';
import { detectImageFormat, imageDimensions, type Dimensions, type ImageFormat } from './images';

/** One image of a provider response, before its bytes are fetched. */
export interface ImageEntry {
	/** Base64 (or a data: URL) the provider sent inline. */
	base64?: string | LongString;
	/** URL to download, or a data: URL. */
	url?: string | LongString;
	revisedPrompt?: string;
}

export interface ParsedResponse {
	entries: ImageEntry[];
	/** Response-level facts worth keeping: created, usage, size, quality, background, output_format, seed. */
	meta: IDataObject;
}

/** One image in n8n's binary storage, with what its bytes told about it. */
export interface StoredImage {
	binary: IBinaryData;
	format: ImageFormat;
	dimensions?: Dimensions;
	/** The http(s) URL the image came from, when it was downloaded. */
	sourceUrl?: string;
}

/** Facts about image bytes (format, dimensions), checked before they are stored. */
interface InspectedImage {
	format: ImageFormat;
	dimensions?: Dimensions;
}

const META_FIELDS = ['created', 'usage', 'size', 'quality', 'background', 'output_format', 'seed', 'timings'];

function nonEmpty(value: unknown): string | undefined {
	return typeof value === 'string' && value.trim() !== '' ? value.trim() : undefined;
}

/** Image data: a string, or a long value left in the response bytes (see transport/json.ts). */
function imageData(value: unknown): string | LongString | undefined {
	return value instanceof LongString ? value : nonEmpty(value);
}

/** Reads every response shape seen in the wild: OpenAI `data[]`, SiliconFlow `images[]`, Together `base64`. */
export function parseImageResponse(
	ctx: IExecuteFunctions,
	body: IDataObject,
	itemIndex: number,
): ParsedResponse {
	if (body.error) {
		const upstream = decodeErrorBody(Buffer.from(JSON.stringify(body)));
		throw new NodeApiError(ctx.getNode(), body as JsonObject, {
			message: `${upstream.message} (HTTP 200 with an error body)`,
			description: 'The provider reported an error although the request itself succeeded.',
			httpCode: '200',
			itemIndex,
		});
	}
	const list = Array.isArray(body.data) ? body.data : Array.isArray(body.images) ? body.images : undefined;
	if (!list || list.length === 0) {
		throw new NodeApiError(ctx.getNode(), body as JsonObject, {
			message: 'The provider returned no image',
			description:
				'The response had no images. Providers do this when their moderation blocked the prompt; rephrase the prompt or check the provider dashboard.',
			itemIndex,
		});
	}
	const entries = list.map((raw: unknown, index: number): ImageEntry => {
		const item = (raw && typeof raw === 'object' ? raw : {}) as IDataObject;
		const entry: ImageEntry = {
			base64: imageData(item.b64_json) ?? imageData(item.base64) ?? imageData(item.b64),
			url: imageData(item.url) ?? imageData(item.image_url),
			revisedPrompt: nonEmpty(item.revised_prompt),
		};
		if (!entry.base64 && !entry.url) {
			throw new NodeApiError(ctx.getNode(), body as JsonObject, {
				message: `Image ${index + 1} of the response has neither b64_json nor url`,
				description: 'The provider returned an image entry without any image data.',
				itemIndex,
			});
		}
		return entry;
	});
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

/** The error for bytes that are not an image, showing how they start (often an HTML or JSON error). */
function notAnImage(ctx: IExecuteFunctions, bytes: Buffer, itemIndex: number, sourceUrl?: string): NodeOperationError {
	const preview = bytes.subarray(0, 60).toString('utf8').replace(/[^\x20-\x7e]+/g, ' ').trim();
	return new NodeOperationError(
		ctx.getNode(),
		`The provider returned data that is not a PNG, JPEG, WebP or GIF image${sourceUrl ? ` from ${sourceUrl}` : ''}`,
		{ description: `It starts with: "${preview}"`, itemIndex },
	);
}

/** Format and size of an image from its bytes (or their start); undefined when they are not an image. */
function inspectImage(bytes: Buffer): InspectedImage | undefined {
	const format = detectImageFormat(bytes);
	return format && { format, dimensions: imageDimensions(bytes, format.format) };
}

/** Stores image bytes held in memory (decoded from base64) in n8n's binary storage. */
async function storeBytes(ctx: IExecuteFunctions, bytes: Buffer, itemIndex: number): Promise<StoredImage> {
	const image = inspectImage(bytes);
	if (!image) throw notAnImage(ctx, bytes, itemIndex);
	const binary = await ctx.helpers.prepareBinaryData(bytes, 'image', image.format.mimeType);
	binary.fileExtension = image.format.extension;
	return { ...image, binary };
}

/** Bytes of a download read before storing it: enough for the type and for most image headers. */
const MIN_PEEK_BYTES = 64;
/** A JPEG's size sits after its metadata segments; beyond this much it is left out. */
const MAX_PEEK_BYTES = 512 * 1024;
/** Of an error answer, the part worth showing. */
const ERROR_BODY_BYTES = 64 * 1024;

/** Whether the start of a download tells all the node wants to know before storing it. */
function headerRead(head: Buffer): boolean {
	if (head.length < MIN_PEEK_BYTES) return false;
	const format = detectImageFormat(head);
	return format?.format !== 'jpeg' || imageDimensions(head, 'jpeg') !== undefined;
}

/** A download attempt's answer: the error body, the start of a body that is not an image, or the stored image. */
interface DownloadResponse extends ApiResponse {
	stored?: StoredImage;
}

/**
 * The image of one response entry, stored in n8n's binary storage: decoded from base64 or a
 * data: URL, or downloaded. Downloads stream into the storage (a file in n8n's default
 * filesystem mode) after their first bytes were checked, so a large image is never held in
 * memory; they use n8n's plain HTTP helper, so neither the API key nor the credential's custom
 * headers are sent, and are retried like API requests.
 */
export async function storeImage(
	ctx: IExecuteFunctions,
	entry: ImageEntry,
	itemIndex: number,
	timeout: number,
	maxRetries = DEFAULT_MAX_RETRIES,
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
	let parsed: URL | undefined;
	try {
		parsed = new URL(url);
	} catch {
		parsed = undefined;
	}
	// Only the web: a provider must not make n8n read files (file:) or talk other protocols.
	if (!parsed || (parsed.protocol !== 'http:' && parsed.protocol !== 'https:')) {
		const scheme = parsed ? ` (scheme ${parsed.protocol})` : ', not a full URL';
		throw new NodeOperationError(
			ctx.getNode(),
			`The provider returned an image URL the node will not fetch${scheme}: "${url.slice(0, 100)}"`,
			{ description: 'Only http and https image URLs are downloaded, and data: URLs decoded.', itemIndex },
		);
	}
	// One attempt: request, check the first bytes, stream the rest into storage. A failure
	// anywhere (reset, stall past the timeout) fails the attempt, and storage drops the partial file.
	const attempt = async (signal: AbortSignal): Promise<DownloadResponse> => {
		const answer = (await ctx.helpers.httpRequest({
			method: 'GET',
			url,
			encoding: 'stream',
			returnFullResponse: true,
			ignoreHttpStatusErrors: true,
			timeout,
			maxRedirects: 5,
			// Cancels with the execution (the plain helper does not wire that) and ends a download
			// that never completes.
			abortSignal: signal,
		})) as { statusCode: number; headers: ApiResponse['headers']; body: BodyStream };
		const stream = answer.body;
		const stopWatching = destroyOnAbort(stream, signal);
		let consumed = false;
		try {
			if (answer.statusCode >= 300) return { ...answer, body: await readAtMost(stream, ERROR_BODY_BYTES) };
			const { head, ended } = await peekStream(stream, headerRead, MAX_PEEK_BYTES);
			const image = inspectImage(head);
			if (!image) return { ...answer, body: head };
			const binary = await ctx.helpers.prepareBinaryData(ended ? head : stream, 'image', image.format.mimeType);
			consumed = true;
			binary.fileExtension = image.format.extension;
			return { ...answer, body: Buffer.alloc(0), stored: { ...image, binary, sourceUrl: url } };
		} finally {
			stopWatching();
			// Not stored (an error page, not an image, a failure): release the connection.
			if (!consumed) stream.destroy();
		}
	};
	const { response, failure, attempts } = await sendWithRetries<DownloadResponse>(ctx, maxRetries, itemIndex, attempt, timeout);
	const tries = afterAttempts(attempts);
	if (!response) {
		throw new NodeApiError(ctx.getNode(), { message: failure?.message ?? '' } as JsonObject, {
			// No error code in the message: NodeApiError would swap such a message for a generic one.
			message: `Could not download the image from ${parsed.host}: ${failureReason(failure, timeout)}${tries}`,
			description: `${failure?.message}. The provider returned an image URL that could not be downloaded. Image URLs expire; try again.`,
			itemIndex,
		});
	}
	if (response.statusCode >= 300) {
		const upstream = decodeErrorBody(response.body, String(response.headers['content-type'] ?? ''));
		throw new NodeApiError(ctx.getNode(), { message: upstream.message } as JsonObject, {
			message: `Downloading the image from ${parsed.host} failed: ${upstream.message} (HTTP ${response.statusCode})${tries}`,
			description: 'Image URLs from providers expire after a while; run the node again.',
			httpCode: String(response.statusCode),
			itemIndex,
		});
	}
	// Without a stored image, the body was not one: its first bytes tell what it was.
	if (!response.stored) throw notAnImage(ctx, response.body, itemIndex, url);
	return response.stored;
}
