/**
 * Image models served as chat completions (OpenRouter, Vercel AI Gateway, new-api's Gemini
 * channels, other gateways): the request a family sent that way gets, and the images read back
 * from every answer shape those gateways use. The images come out as the same ImageEntry list
 * the Images API answers give, so they are stored, typed and downloaded exactly like those.
 */
import { NodeApiError, type IDataObject, type IExecuteFunctions, type JsonObject } from 'n8n-workflow';

import { IMAGE_MARK, LongString, type InlineImage } from '../transport/json';
import { inlineOr, throwIfErrorBody, type ImageEntry, type ParsedResponse } from './response';

/** What a chat-completions image request is made of. */
export interface ChatImageRequest {
	model: string;
	prompt: string;
	/** Reference images: http(s) URLs or data: URLs. */
	images: readonly string[];
	/** The family's fields, already placed (modalities, image_config, ...). */
	fields: IDataObject;
}

/**
 * The chat-completions body: one user message with the prompt and any reference images as
 * `image_url` parts (text first, as OpenRouter recommends). `modalities` asks for images: without
 * it many models answer text only.
 */
export function chatRequestBody({ model, prompt, images, fields }: ChatImageRequest): IDataObject {
	const content =
		images.length === 0
			? prompt
			: [{ type: 'text', text: prompt }, ...images.map((url) => ({ type: 'image_url', image_url: { url } }))];
	return { model, messages: [{ role: 'user', content }], modalities: ['image', 'text'], ...fields };
}

/** A string value of the answer, lifted out of the JSON text when it was long (see transport/json.ts). */
type JsonText = string | LongString;

const isText = (value: unknown): value is JsonText =>
	value instanceof LongString || (typeof value === 'string' && value !== '');

/** A JSON string value's raw bytes as they stood in the answer (escapes unresolved; a long value's images taken out). */
function rawOf(value: JsonText): Buffer {
	return value instanceof LongString ? (value.text ?? Buffer.alloc(0)) : Buffer.from(JSON.stringify(value).slice(1, -1));
}

/** Raw JSON string bytes as text: escapes resolved. */
function decodeRaw(raw: Buffer): string {
	return JSON.parse(`"${raw.toString('utf8')}"`) as string;
}

/** Whether an image value is a URL (data: or with a scheme), not bare base64. */
function isUrl(value: JsonText): boolean {
	const start = value instanceof LongString ? value.head.toString('latin1', 0, 16) : value.trim().slice(0, 16);
	return /^(data:|[a-z][a-z0-9+.-]*:\\?\/)/i.test(start);
}

/** An image value: a data: URL, an http(s) URL, or bare base64 (always so when `base64`). */
function entryOf(value: unknown, base64 = false): ImageEntry | undefined {
	if (!isText(value)) return undefined;
	if (base64 || !isUrl(value)) return inlineOr(value, { base64: value });
	return inlineOr(value, { url: value instanceof LongString ? value : value.trim() });
}

const asObject = (value: unknown): IDataObject | undefined =>
	value && typeof value === 'object' && !(value instanceof LongString) && !Array.isArray(value)
		? (value as IDataObject)
		: undefined;

/**
 * The image of one part of a message (`message.images[]` or a `content` part): an `image_url`
 * part (`{url}` or a plain string), inline base64 (`inline_data`/`inlineData`, `b64_json`,
 * an `image` part's `data`), or an Anthropic-style `source`.
 */
function partImage(part: IDataObject): ImageEntry | undefined {
	const imageUrl = part.image_url ?? part.imageUrl;
	const fromUrl = entryOf(imageUrl) ?? entryOf(asObject(imageUrl)?.url);
	if (fromUrl) return fromUrl;
	const inline = asObject(part.inline_data) ?? asObject(part.inlineData);
	if (inline) return entryOf(inline.data, true);
	const direct = entryOf(part.b64_json, true) ?? entryOf(part.base64, true);
	if (direct) return direct;
	const type = typeof part.type === 'string' ? part.type : '';
	if (!/image/.test(type)) return undefined;
	const source = asObject(part.source);
	return (
		entryOf(part.url) ??
		entryOf(part.image) ??
		entryOf(asObject(part.image)?.url) ??
		entryOf(part.data, true) ??
		entryOf(source?.url) ??
		entryOf(source?.data, true)
	);
}

const BANG = 0x21;
const OPEN_BRACKET = 0x5b;
const CLOSE_PAREN = 0x29;
const SPACE = 0x20;
const LESS = 0x3c;
const GREATER = 0x3e;
/** Alt text longer than this is not taken for an image's. */
const MAX_ALT = 1000;
const DATA_IMAGE = Buffer.from('data:image/');
const BASE64_MARK = Buffer.from(';base64,');
const BASE64_BYTE = new Uint8Array(256);
for (const char of 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/=_-') {
	BASE64_BYTE[char.charCodeAt(0)] = 1;
}

/** Images and the remaining text of a text value. */
interface ScannedText {
	images: ImageEntry[];
	text: string;
}

/** The end of a bare `data:image/...;base64,...` run starting at `start`, or -1 when it is none. */
function dataUrlEnd(raw: Buffer, start: number): number {
	const mark = raw.indexOf(BASE64_MARK, start);
	if (mark === -1 || mark - start > 100) return -1;
	let end = mark + BASE64_MARK.length;
	// `\/` is how JSON may escape the slash of base64.
	while (end < raw.length && (BASE64_BYTE[raw[end]] || (raw[end] === 0x5c && raw[end + 1] === 0x2f))) {
		end += raw[end] === 0x5c ? 2 : 1;
	}
	return end;
}

/**
 * A Markdown image at `start` (`![alt](url)`, the URL optionally in <>, optionally with a title):
 * its URL's bytes and where the Markdown ends; undefined when there is none or its URL is not a
 * data: or http(s) URL (such Markdown stays in the text).
 */
function markdownImage(raw: Buffer, start: number): { url: Buffer; end: number } | undefined {
	if (raw[start] !== BANG || raw[start + 1] !== OPEN_BRACKET) return undefined;
	const close = raw.indexOf('](', start + 2);
	if (close === -1 || close - start > MAX_ALT) return undefined;
	let urlStart = close + 2;
	while (raw[urlStart] === SPACE || raw[urlStart] === LESS) urlStart++;
	let urlEnd = urlStart;
	while (urlEnd < raw.length && raw[urlEnd] !== CLOSE_PAREN && raw[urlEnd] !== SPACE && raw[urlEnd] !== GREATER) urlEnd++;
	const end = raw.indexOf(CLOSE_PAREN, urlEnd);
	if (end === -1) return undefined;
	const url = raw.subarray(urlStart, urlEnd);
	const scheme = url.toString('latin1', 0, 8).toLowerCase();
	if (!scheme.startsWith('data:') && !scheme.startsWith('http://') && !scheme.startsWith('https:/')) return undefined;
	return { url, end: end + 1 };
}

/** An image URL found in raw text bytes; IMAGE_MARK stands for an image taken out of a long value (`images`). */
function urlEntry(url: Buffer, images: readonly InlineImage[]): ImageEntry {
	const text = decodeRaw(url);
	const taken = text.startsWith(IMAGE_MARK) ? images[Number(text.slice(IMAGE_MARK.length))] : undefined;
	return taken ? { inline: taken } : { url: text };
}

/**
 * Finds the images in a text reply: Markdown images with a data: or http(s) URL (new-api's Gemini
 * channels, other gateways) and bare data:image URLs. Works on the raw JSON bytes; in a long
 * reply the data: images were already taken out while the answer was read (IMAGE_MARK stands in
 * for each), so a reply carrying a 30 MB image is never held, only the text around it.
 */
export function scanText(value: JsonText): ScannedText {
	const raw = rawOf(value);
	const taken = value instanceof LongString ? value.images : [];
	const images: ImageEntry[] = [];
	const pieces: Buffer[] = [];
	let copied = 0;
	let position = 0;
	while (position < raw.length) {
		const bang = raw.indexOf('![', position);
		const data = raw.indexOf(DATA_IMAGE, position);
		const next = bang === -1 ? data : data === -1 ? bang : Math.min(bang, data);
		if (next === -1) break;
		let found: { url: Buffer; end: number } | undefined;
		if (next === bang) found = markdownImage(raw, next);
		else {
			const end = dataUrlEnd(raw, next);
			if (end !== -1) found = { url: raw.subarray(next, end), end };
		}
		if (!found) {
			position = next + 2;
			continue;
		}
		images.push(urlEntry(found.url, taken));
		pieces.push(raw.subarray(copied, next));
		copied = found.end;
		position = found.end;
	}
	pieces.push(raw.subarray(copied));
	const text = pieces
		.map(decodeRaw)
		.join('')
		.replace(/\n{3,}/g, '\n\n')
		.trim();
	return { images, text };
}

/** The same image given twice (a gateway that puts it in `images` and in the Markdown). */
function sameImage(a: ImageEntry, b: ImageEntry): boolean {
	if (a.inline || b.inline) return a.inline !== undefined && b.inline !== undefined && a.inline.sameAs(b.inline);
	const valueOf = (entry: ImageEntry) => entry.url ?? entry.base64;
	const [x, y] = [valueOf(a), valueOf(b)];
	return x !== undefined && y !== undefined && x.length === y.length && rawOf(x).equals(rawOf(y));
}

/** Images and text of one message (or streamed delta) of the answer. */
function readMessage(message: IDataObject, images: ImageEntry[], texts: string[]): void {
	const add = (entry: ImageEntry | undefined) => {
		if (entry && !images.some((known) => sameImage(known, entry))) images.push(entry);
	};
	const addText = (value: unknown) => {
		if (!isText(value)) return;
		const scanned = scanText(value);
		scanned.images.forEach(add);
		// Portkey repeats the text of `content` in `content_blocks`.
		if (scanned.text && !texts.includes(scanned.text)) texts.push(scanned.text);
	};
	for (const part of Array.isArray(message.images) ? message.images : []) {
		const object = asObject(part);
		add(object ? partImage(object) : entryOf(part));
	}
	// `content_blocks`: Portkey's parts beside a text `content` (its Gemini route, with
	// x-portkey-strict-open-ai-compliance: false), in the shapes of content parts.
	for (const content of [message.content, message.content_blocks]) {
		if (!Array.isArray(content)) {
			addText(content);
			continue;
		}
		for (const part of content) {
			const object = asObject(part);
			if (!object) addText(part);
			else if (object.type === 'text' || (object.type === undefined && isText(object.text))) addText(object.text);
			else add(partImage(object));
		}
	}
}

/** The id Portkey's gateway gives the chat answers it translates. */
const PORTKEY_ANSWER = /^portkey-/;

/** Shown of a text reply in error messages. */
const TEXT_IN_ERROR = 500;

/**
 * Reads a chat completion's images in every shape gateways use, in all its choices:
 * `message.images[]` (OpenRouter, Vercel AI Gateway), `image_url` and inline base64 content parts
 * (in `content` or Portkey's `content_blocks`), Markdown images in the content (data: or http(s)
 * URLs; new-api). The text reply and usage are kept. An answer without any image is an error that
 * shows the model's text.
 */
export function parseChatImageResponse(ctx: IExecuteFunctions, body: IDataObject, itemIndex: number): ParsedResponse {
	throwIfErrorBody(ctx, body, itemIndex);
	const choices = Array.isArray(body.choices) ? body.choices : [];
	const entries: ImageEntry[] = [];
	const texts: string[] = [];
	const finishReasons: string[] = [];
	for (const choice of choices) {
		const object = asObject(choice) ?? {};
		const message = asObject(object.message) ?? asObject(object.delta);
		if (message) readMessage(message, entries, texts);
		if (typeof object.finish_reason === 'string') finishReasons.push(object.finish_reason);
	}
	const text = texts.join('\n\n');
	if (entries.length === 0) {
		const shown = text.length > TEXT_IN_ERROR ? `${text.slice(0, TEXT_IN_ERROR)}...` : text;
		const reason = finishReasons.find((value) => value !== 'stop');
		throw new NodeApiError(ctx.getNode(), body as JsonObject, {
			message: text ? `The model returned no image, only text: "${shown}"` : 'The model returned no image and no text',
			description: `${reason ? `It stopped with finish_reason "${reason}". ` : ''}Check that the model generates images (e.g. gemini-2.5-flash-image) and that the gateway passes modalities ["image", "text"] on; a prompt that asks plainly for a picture helps, and moderation may have blocked this one.${PORTKEY_ANSWER.test(String(body.id ?? '')) ? ' Portkey keeps images out of its OpenAI-compliant answer: add the Custom Header x-portkey-strict-open-ai-compliance: false.' : ''}`,
			itemIndex,
		});
	}
	const meta: IDataObject = {};
	if (text) meta.text = text;
	if (body.created !== undefined) meta.created = body.created;
	if (asObject(body.usage)) meta.usage = body.usage;
	return { entries, meta };
}
