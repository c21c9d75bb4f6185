/**
 * JSON answers read as they arrive. Long string values (inline images: megabytes of base64) are
 * never held: base64 is decoded chunk by chunk as it comes in and handed to an image sink (which
 * streams it into n8n's binary storage), so the memory an answer costs does not grow with its
 * images. The rest of the document (structure, short strings, text) is parsed as usual.
 */

import { BASE64_BYTE, Base64Decoder, looksLikeBase64 } from './base64';

/** Strings at least this long are taken out of the document (LongString). */
const LIFT_AT = 64 * 1024;
const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const SLASH = 0x2f;
const PLACEHOLDER = '\u0000long-string:';
/** A UTF-8 byte order mark, which some servers put before their JSON. */
const BOM = Buffer.from([0xef, 0xbb, 0xbf]);
const EMPTY = Buffer.alloc(0);

/** Where decoded image bytes go, as they are decoded. */
export interface ImageSink {
	/** The next decoded bytes; a promise when the sink wants the reader to wait (back-pressure). */
	write(bytes: Buffer): Promise<void> | void;
	/** The image ended. */
	end(): void;
	/** The image is not valid base64, or the answer failed before it ended. */
	fail(reason: 'invalidBase64' | Error): void;
	/** Settles once the sink is done with the image: stored, or dropped (with any partial file). */
	done?(): Promise<unknown>;
}

/** Bytes of an image's base64 kept from its start and its end, to tell the same image given twice. */
const EDGE = 256;

/** An image found inline in the answer, decoded into its sink as it arrived. */
export class InlineImage {
	/** Characters of base64 (as sent, escapes included). */
	length = 0;
	private head = EMPTY;
	private tail = EMPTY;

	constructor(readonly sink: ImageSink) {}

	/** Records base64 as it passes (only its edges are kept). */
	saw(raw: Buffer): void {
		this.length += raw.length;
		if (this.head.length < EDGE) this.head = Buffer.concat([this.head, raw.subarray(0, EDGE - this.head.length)]);
		this.tail = raw.length >= EDGE ? Buffer.from(raw.subarray(raw.length - EDGE)) : Buffer.concat([this.tail, raw]).subarray(-EDGE);
	}

	/**
	 * The same image sent twice (a gateway that puts it in `images` and in the Markdown): the same
	 * length, start and end of its base64. Distinct images differ in the first bytes of their
	 * compressed data already.
	 */
	sameAs(other: InlineImage): boolean {
		return this.length === other.length && this.head.equals(other.head) && this.tail.equals(other.tail);
	}

	/** Never shown or logged. */
	toJSON(): string {
		return `[${this.length} characters of inline image data]`;
	}
}

/** Retained text that marks where an image was taken out of a long text value: `IMAGE_MARK<index>`. */
export const IMAGE_MARK = 'data:image/x-taken-out;base64,';

/**
 * A long JSON string value, taken out of the document while it was read: either one image (the
 * whole value was base64 or a data: URL), or text, kept as its raw bytes (JSON escapes unresolved)
 * with each embedded `data:image/...;base64,...` URL taken out as an image and replaced by
 * IMAGE_MARK and its index in `images`.
 */
export class LongString {
	/** Characters of the value as sent. */
	length = 0;
	/** The start of the value as sent (up to 256 bytes). */
	head = EMPTY;
	/** The value was one image. */
	image?: InlineImage;
	/** A text value's raw bytes, images taken out. */
	text?: Buffer;
	/** The images taken out of a text value. */
	readonly images: InlineImage[] = [];

	/** Whether the value starts with `prefix`, ignoring ASCII case. */
	startsWithIgnoringCase(prefix: string): boolean {
		return this.head.toString('latin1', 0, prefix.length).toLowerCase() === prefix.toLowerCase();
	}

	/** Never shown or logged in full. */
	toJSON(): string {
		return `[${this.length} characters of inline data]`;
	}
}

/** A limit of the reader was passed: reading stops. */
export class AnswerTooLarge extends Error {
	constructor(readonly part: 'image' | 'rest' | 'answer') {
		super(`The ${part === 'image' ? 'image' : 'answer'} is larger than the limit`);
	}
}

export interface JsonReaderOptions {
	/** Opens the sink of an image found inline; without it, long strings stay ordinary strings. */
	openImage?: () => ImageSink;
	/** Most characters of base64 of one image. */
	maxImageBytes: number;
	/** Most bytes of everything else, which is held in memory (structure, text). */
	maxHeldBytes: number;
	/** Strings this long are taken out (LIFT_AT unless set: tests use short ones). */
	liftAt?: number;
}

/**
 * Parses a JSON document given in chunks (`write`, then `end`). With `openImage`, string values
 * of LIFT_AT bytes or more become LongStrings, their images decoded into sinks while they arrive.
 * A leading byte order mark and whitespace around the document are accepted. `write` throws
 * AnswerTooLarge when a limit is passed; `end` throws a SyntaxError for a document that is not
 * JSON or was cut off (an image it was in the middle of is failed, so nothing half-stored stays).
 */
export class JsonStreamReader {
	/** The document without its long strings, a placeholder in their stead. */
	private readonly pieces: Buffer[] = [];
	private held = 0;
	private readonly lifted: LongString[] = [];
	private started = false;
	private inString = false;
	/** The next byte of the current string is escaped. */
	private escaped = false;
	/** The current string's bytes while it is short. */
	private pending: Buffer[] = [];
	private pendingLength = 0;
	/** The current string, once long. */
	private spill?: LongValueReader;

	/** Every image sink opened. */
	private readonly sinks: ImageSink[] = [];

	constructor(private readonly options: JsonReaderOptions) {
		const open = options.openImage;
		if (open) {
			this.options = {
				...options,
				openImage: () => {
					const sink = open();
					this.sinks.push(sink);
					return sink;
				},
			};
		}
	}

	async write(chunk: Buffer): Promise<void> {
		let position = 0;
		if (!this.started) {
			this.started = true;
			if (chunk.subarray(0, BOM.length).equals(BOM)) position = BOM.length;
		}
		while (position < chunk.length) {
			if (!this.inString) {
				const open = chunk.indexOf(QUOTE, position);
				this.keep(chunk.subarray(position, open === -1 ? chunk.length : open + 1));
				if (open === -1) return;
				this.inString = true;
				position = open + 1;
				continue;
			}
			const close = this.closingQuote(chunk, position);
			await this.stringBytes(chunk.subarray(position, close === -1 ? chunk.length : close));
			if (close === -1) return;
			this.stringEnd();
			this.inString = false;
			position = close + 1;
		}
	}

	/** The parsed document. */
	end(): unknown {
		if (this.inString) {
			this.spill?.abort(new Error('The answer ended in the middle of a string'));
			throw new SyntaxError('Unexpected end of JSON input');
		}
		const text = Buffer.concat(this.pieces).toString('utf8');
		if (this.lifted.length === 0) return JSON.parse(text);
		return JSON.parse(text, (_key, value: unknown) =>
			typeof value === 'string' && value.startsWith(PLACEHOLDER) ? this.lifted[Number(value.slice(PLACEHOLDER.length))] : value,
		);
	}

	/** The answer failed (connection lost, too large): an image being read is failed, so its storage drops it. */
	abort(error: Error): void {
		if (this.inString) this.spill?.abort(error);
	}

	/** Settles once every image sink is done (stored, or dropped with any partial file). */
	async settled(): Promise<void> {
		await Promise.all(this.sinks.map(async (sink) => await sink.done?.()));
	}

	/** Structure and short strings: kept (copied, so that no network chunk stays referenced). */
	private keep(bytes: Buffer): void {
		if (bytes.length === 0) return;
		this.held += bytes.length;
		if (this.held > this.options.maxHeldBytes) throw new AnswerTooLarge('rest');
		this.pieces.push(Buffer.from(bytes));
	}

	/** The index of the quote that ends the current string, or -1 when the chunk ends first. */
	private closingQuote(chunk: Buffer, from: number): number {
		let index = from;
		for (;;) {
			if (this.escaped) {
				if (index >= chunk.length) return -1;
				this.escaped = false;
				index++;
			}
			const quote = chunk.indexOf(QUOTE, index);
			const stop = quote === -1 ? chunk.length : quote;
			let backslashes = 0;
			while (stop - 1 - backslashes >= index && chunk[stop - 1 - backslashes] === BACKSLASH) backslashes++;
			if (quote === -1) {
				this.escaped = backslashes % 2 === 1;
				return -1;
			}
			if (backslashes % 2 === 0) return quote;
			index = quote + 1;
		}
	}

	private async stringBytes(bytes: Buffer): Promise<void> {
		if (bytes.length === 0) return;
		if (this.spill) return await this.spill.write(bytes);
		this.pending.push(bytes);
		this.pendingLength += bytes.length;
		if (this.options.openImage && this.pendingLength >= (this.options.liftAt ?? LIFT_AT)) await this.startSpill();
	}

	private async startSpill(): Promise<void> {
		const value = new LongString();
		this.spill = new LongValueReader(value, { liftAt: LIFT_AT, ...this.options } as Required<JsonReaderOptions>, (bytes) => this.hold(bytes));
		const start = Buffer.concat(this.pending, this.pendingLength);
		this.pending = [];
		this.pendingLength = 0;
		await this.spill.write(start);
	}

	/** Text of long values is held too, and counts against the same limit. */
	private hold(bytes: number): void {
		this.held += bytes;
		if (this.held > this.options.maxHeldBytes) throw new AnswerTooLarge('rest');
	}

	private stringEnd(): void {
		if (this.spill) {
			this.lifted.push(this.spill.end());
			this.spill = undefined;
			this.keep(Buffer.from(`${JSON.stringify(`${PLACEHOLDER}${this.lifted.length - 1}`).slice(1)}`));
			return;
		}
		this.pending.forEach((piece) => this.keep(piece));
		this.keep(Buffer.from('"'));
		this.pending = [];
		this.pendingLength = 0;
	}
}

const DATA_IMAGE = Buffer.from('data:image/');
const BASE64_MARK = Buffer.from(';base64,');
/** Bytes of a long value that tell base64 from text: no text runs that long without a space or a sign. */
const DECIDE_ON = 4096;
/** How far from `data:image/` its `;base64,` may be. */
const MAX_MEDIA_TYPE = 100;

/**
 * Reads one long string value as it arrives. Its start decides what it is: a data: URL or base64
 * throughout (its first DECIDE_ON bytes) makes it one image, decoded into a sink; anything else is
 * text, held, with each `data:image/...;base64,` URL inside decoded into a sink of its own (chat
 * answers with Markdown images) and replaced by IMAGE_MARK.
 */
class LongValueReader {
	private mode: 'undecided' | 'image' | 'text' | 'run' = 'undecided';
	private image?: InlineImage;
	private decoder?: Base64Decoder;
	private imageBytes = 0;
	/** Bytes of text not scanned yet, or of a run not decoded yet (they may end in a cut marker or escape). */
	private carry = EMPTY;
	private readonly text: Buffer[] = [];

	constructor(
		private readonly value: LongString,
		private readonly options: Required<JsonReaderOptions>,
		private readonly hold: (bytes: number) => void,
	) {}

	async write(raw: Buffer): Promise<void> {
		const { value } = this;
		if (value.head.length < EDGE) value.head = Buffer.concat([value.head, raw.subarray(0, EDGE - value.head.length)]);
		value.length += raw.length;
		if (this.mode === 'undecided') {
			const comma = raw.indexOf(','.charCodeAt(0));
			const isDataUrl = value.startsWithIgnoringCase('data:') && comma !== -1 && comma < EDGE;
			if (isDataUrl && /;base64$/i.test(raw.toString('latin1', 0, comma))) {
				this.startImage();
				value.image = this.image;
				raw = raw.subarray(comma + 1);
				this.mode = 'image';
			} else if (!isDataUrl && looksLikeBase64(raw.subarray(0, Math.min(this.options.liftAt, DECIDE_ON)))) {
				this.startImage();
				value.image = this.image;
				this.mode = 'image';
			} else this.mode = 'text';
		}
		if (this.mode === 'image') return await this.decode(raw);
		await this.scanText(raw);
	}

	/** The value ended. */
	end(): LongString {
		if (this.mode === 'image') this.endImage();
		else {
			const rest = this.carry;
			this.carry = EMPTY;
			if (this.mode === 'run') {
				// A run ends with its value; a lone backslash left over cannot end a JSON string.
				if (rest.length > 0) void this.decode(rest);
				this.endImage();
			} else this.keepText(rest);
			this.value.text = Buffer.concat(this.text);
		}
		return this.value;
	}

	abort(error: Error): void {
		this.image?.sink.fail(error);
		this.image = undefined;
	}

	private startImage(): void {
		this.image = new InlineImage(this.options.openImage());
		this.decoder = new Base64Decoder();
		this.imageBytes = 0;
	}

	/** Decodes base64 of the current image; invalid base64 fails its sink, and the rest of it is skipped. */
	private decode(raw: Buffer): Promise<void> | void {
		const image = this.image;
		if (!image) return;
		this.imageBytes += raw.length;
		if (this.imageBytes > this.options.maxImageBytes) throw new AnswerTooLarge('image');
		image.saw(raw);
		if (!this.decoder) return;
		const bytes = this.decoder.push(raw);
		if (!bytes) return this.invalid();
		if (bytes.length > 0) return image.sink.write(bytes);
	}

	private invalid(): void {
		this.image?.sink.fail('invalidBase64');
		this.decoder = undefined;
	}

	private endImage(): void {
		const image = this.image;
		if (!image) return;
		if (this.decoder) {
			const last = this.decoder.finish();
			if (!last) this.invalid();
			else {
				if (last.length > 0) void image.sink.write(last);
				image.sink.end();
			}
		}
		this.image = undefined;
		this.decoder = undefined;
	}

	private keepText(bytes: Buffer): void {
		if (bytes.length === 0) return;
		this.hold(bytes.length);
		this.text.push(Buffer.from(bytes));
	}

	/** Text: held, except for the data:image URLs inside, which become images. */
	private async scanText(raw: Buffer): Promise<void> {
		const input = this.carry.length > 0 ? Buffer.concat([this.carry, raw]) : raw;
		this.carry = EMPTY;
		let position = 0;
		while (position < input.length) {
			if (this.mode === 'run') {
				let end = position;
				while (end < input.length) {
					if (BASE64_BYTE[input[end]]) end++;
					else if (input[end] === BACKSLASH && input[end + 1] === SLASH) end += 2;
					else break;
				}
				// A backslash at the very end may start `\/`: decided with the next piece.
				const cut = end === input.length - 1 && input[end] === BACKSLASH;
				await this.decode(input.subarray(position, end));
				if (end >= input.length || cut) {
					this.carry = Buffer.from(input.subarray(end));
					return;
				}
				this.endImage();
				this.keepText(Buffer.from(`${IMAGE_MARK}${this.value.images.length - 1}`));
				this.mode = 'text';
				position = end;
				continue;
			}
			const found = input.indexOf(DATA_IMAGE, position);
			if (found === -1) {
				// The end may hold the start of a `data:image/` cut in two.
				const keepUntil = Math.max(position, input.length - DATA_IMAGE.length + 1);
				this.keepText(input.subarray(position, keepUntil));
				this.carry = Buffer.from(input.subarray(keepUntil));
				return;
			}
			const mark = input.indexOf(BASE64_MARK, found);
			if (mark === -1 || mark - found > MAX_MEDIA_TYPE) {
				if (mark === -1 && input.length - found < MAX_MEDIA_TYPE + BASE64_MARK.length) {
					// Its `;base64,` may come in the next piece.
					this.keepText(input.subarray(position, found));
					this.carry = Buffer.from(input.subarray(found));
					return;
				}
				this.keepText(input.subarray(position, found + 1));
				position = found + 1;
				continue;
			}
			this.keepText(input.subarray(position, found));
			this.startImage();
			this.value.images.push(this.image as InlineImage);
			this.mode = 'run';
			position = mark + BASE64_MARK.length;
		}
	}
}
