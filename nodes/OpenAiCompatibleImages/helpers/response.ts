import {
	NodeApiError,
	NodeOperationError,
	type IDataObject,
	type IExecuteFunctions,
	type JsonObject,
} from 'n8n-workflow';

import { downloadImage, type DownloadSettings } from '../transport/download';
import { decodeErrorBody } from '../transport/errors';
import { InlineImage, LongString, type ImageSink } from '../transport/json';
import type { PushStream } from '../transport/stream';
import { GifFrameCounter } from '../transport/imageFormat';
import { enoughToInspect, inspectImage, notAnImage, type StoredImage } from './images';

/** One image of a provider response, before its bytes are fetched. */
export interface ImageEntry {
	/** Base64 (or a data: URL) the provider sent inline. */
	base64?: string | LongString;
	/** URL to download, or a data: URL. */
	url?: string | LongString;
	/** An inline image already decoded into storage while the answer was read. */
	inline?: InlineImage;
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

/** Image data: a string, or a long value taken out of the answer (see transport/json.ts). */
function imageData(value: unknown): string | LongString | undefined {
	return value instanceof LongString ? value : nonEmpty(value);
}

/** An entry for image data: one decoded while the answer was read, else the value itself. */
export function inlineOr(value: string | LongString, entry: ImageEntry): ImageEntry {
	return value instanceof LongString && value.image ? { ...entry, base64: undefined, url: undefined, inline: value.image } : entry;
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
		const base64 = imageData(item.b64_json) ?? imageData(item.base64) ?? imageData(item.b64);
		const url = imageData(item.url) ?? imageData(item.image_url);
		const entry: ImageEntry = inlineOr(base64 ?? url ?? '', {
			base64,
			url,
			revisedPrompt: nonEmpty(item.revised_prompt),
			generationId: nonEmpty(item.generation_id),
		});
		return entry.base64 || entry.url || entry.inline ? [entry] : [];
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

const notBase64 = (ctx: IExecuteFunctions, itemIndex: number) =>
	new NodeOperationError(ctx.getNode(), 'The provider returned image data that is not valid base64', { itemIndex });

/** Short base64 (under 64 KB: long values are decoded while the answer is read), or a data: URL's. */
function decodeBase64(ctx: IExecuteFunctions, data: string, itemIndex: number): Buffer {
	const payload = /^data:/i.test(data) ? data.slice(data.indexOf(',') + 1) : data;
	// Node skips characters outside the alphabet instead of failing, so a result shorter than the
	// text promises means whitespace (fine) or garbage; only then is the text checked in full.
	const bytes = Buffer.from(payload, 'base64');
	const padding = payload.endsWith('==') ? 2 : payload.endsWith('=') ? 1 : 0;
	if (bytes.length === Math.floor((payload.length * 3) / 4) - padding) return bytes;
	if (!/^[A-Za-z0-9+/_-]*={0,2}$/.test(payload.replace(/\s+/g, ''))) throw notBase64(ctx, itemIndex);
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

/** What became of an inline image: stored, or why not. */
type InlineOutcome = { stored: StoredImage } | { notBase64: true } | { notAnImage: Buffer } | { failed: Error };

/**
 * An inline image decoded into n8n's binary storage while the answer is read: its first bytes are
 * checked (is it an image, which type and size), then the rest streams on into storage (a file in
 * n8n's default filesystem mode), so that no image is held in memory whole. An image that is cut
 * off or fails is dropped by the storage, never shown.
 */
export class StreamedImage implements ImageSink {
	private head: Buffer[] = [];
	private headLength = 0;
	private stream?: PushStream;
	/** A GIF's frames, counted as its bytes go by. */
	private gif?: GifFrameCounter;
	private outcome?: Promise<InlineOutcome>;
	private settled?: InlineOutcome;
	/** No stream to be had: the image is collected whole, and stored at its end. */
	private collecting = false;

	/** `newStream` gives a stream for the storage to read (undefined: the image is collected, then stored). */
	constructor(
		private readonly ctx: IExecuteFunctions,
		private readonly newStream: () => PushStream | undefined,
	) {}

	write(bytes: Buffer): Promise<void> | void {
		if (this.settled) return;
		if (this.stream) {
			this.gif?.push(bytes);
			return this.stream.push(bytes);
		}
		this.head.push(bytes);
		this.headLength += bytes.length;
		if (this.collecting) return;
		const head = this.head.length === 1 ? bytes : Buffer.concat(this.head, this.headLength);
		this.head = [head];
		if (enoughToInspect(head)) this.start(head, false);
	}

	end(): void {
		if (this.settled) return;
		if (this.stream) return this.stream.end();
		const whole = Buffer.concat(this.head, this.headLength);
		this.head = [];
		this.start(whole, true);
	}

	fail(reason: 'invalidBase64' | Error): void {
		if (this.settled) return;
		this.settled = reason === 'invalidBase64' ? { notBase64: true } : { failed: reason };
		this.head = [];
		this.stream?.fail(reason === 'invalidBase64' ? new Error('The image data is not valid base64') : reason);
	}

	/** Starts storing: the whole image, or its start and then the rest as a stream. */
	private start(head: Buffer, whole: boolean): void {
		const image = inspectImage(head);
		if (!image) {
			this.settled = { notAnImage: Buffer.from(head.subarray(0, 64)) };
			this.head = [];
			return;
		}
		let data: Buffer | PushStream['readable'] = head;
		if (image.format.format === 'gif' && !whole) {
			this.gif = new GifFrameCounter();
			this.gif.push(head);
		}
		if (!whole) {
			this.stream = this.newStream();
			if (!this.stream) {
				this.collecting = true;
				return;
			}
			void this.stream.push(head);
			this.head = [];
			data = this.stream.readable;
		}
		this.outcome = this.ctx.helpers.prepareBinaryData(data, 'image', image.format.mimeType).then(
			(binary): InlineOutcome => {
				binary.fileExtension = image.format.extension;
				const frames = this.gif?.complete ? this.gif.frames : image.frames;
				return { stored: { ...image, ...(frames !== undefined ? { frames } : {}), binary } };
			},
			(error: Error): InlineOutcome => {
				// Storage gave up (a full disk, ...): the answer's reader must not wait on it.
				this.settled ??= { failed: error };
				this.stream?.fail(error);
				return { failed: error };
			},
		);
	}

	async done(): Promise<void> {
		await this.outcome;
	}

	/** The stored image, or the error saying why there is none. */
	async stored(itemIndex: number): Promise<StoredImage> {
		const outcome = this.settled ?? (await this.outcome) ?? { failed: new Error('The image never ended') };
		if ('stored' in outcome) return outcome.stored;
		if ('notBase64' in outcome) throw notBase64(this.ctx, itemIndex);
		if ('notAnImage' in outcome) throw notAnImage(this.ctx, outcome.notAnImage, itemIndex);
		throw new NodeOperationError(this.ctx.getNode(), `Storing the image failed: ${outcome.failed.message}`, { itemIndex });
	}
}

/**
 * The image of one response entry, stored in n8n's binary storage: decoded from base64 or a
 * data: URL (long ones while the answer was read), or downloaded (see transport/download.ts).
 */
export async function storeImage(
	ctx: IExecuteFunctions,
	entry: ImageEntry,
	itemIndex: number,
	settings: DownloadSettings,
): Promise<StoredImage> {
	if (entry.inline) {
		if (!(entry.inline.sink instanceof StreamedImage)) throw new NodeOperationError(ctx.getNode(), 'The image was not stored', { itemIndex });
		return await entry.inline.sink.stored(itemIndex);
	}
	// Long values that are not one image: text where base64 was expected, or a URL of 64 KB and more.
	if (entry.base64 instanceof LongString) throw notBase64(ctx, itemIndex);
	if (entry.url instanceof LongString) {
		if (entry.url.startsWithIgnoringCase('data:')) throw notBase64(ctx, itemIndex);
		throw new NodeOperationError(ctx.getNode(), 'The provider returned an image URL that is too long to be a web address', { itemIndex });
	}
	if (entry.base64) return await storeBytes(ctx, decodeBase64(ctx, entry.base64, itemIndex), itemIndex);
	const url = entry.url as string;
	if (/^data:/i.test(url)) return await storeBytes(ctx, decodeBase64(ctx, url, itemIndex), itemIndex);
	return await downloadImage(ctx, url, itemIndex, settings);
}
