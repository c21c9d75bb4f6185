/**
 * What image bytes are, read from the bytes themselves: providers do not always send what was
 * asked (a GIF for a PNG request, an SVG from a gateway), so the type never comes from the request.
 */
import { NodeOperationError, type IBinaryData, type IExecuteFunctions } from 'n8n-workflow';

export interface ImageFormat {
	format: 'png' | 'jpeg' | 'webp' | 'gif' | 'svg';
	mimeType: string;
	extension: string;
}

const FORMATS: Record<ImageFormat['format'], ImageFormat> = {
	png: { format: 'png', mimeType: 'image/png', extension: 'png' },
	jpeg: { format: 'jpeg', mimeType: 'image/jpeg', extension: 'jpg' },
	webp: { format: 'webp', mimeType: 'image/webp', extension: 'webp' },
	gif: { format: 'gif', mimeType: 'image/gif', extension: 'gif' },
	svg: { format: 'svg', mimeType: 'image/svg+xml', extension: 'svg' },
};

/** How far into the bytes the <svg> element may start (after a BOM, an XML prolog, comments, a DOCTYPE). */
const SVG_HEAD = 4096;

/** The text of an SVG's opening <svg ...> tag, or undefined when the bytes do not start an SVG document. */
function svgOpenTag(bytes: Uint8Array): string | undefined {
	let text = Buffer.from(bytes.buffer, bytes.byteOffset, Math.min(bytes.length, SVG_HEAD)).toString('utf8');
	if (text.charCodeAt(0) === 0xfeff) text = text.slice(1);
	// Prolog, comments, processing instructions and a DOCTYPE may come first, with whitespace between.
	const prolog = /^(?:\s+|<\?[\s\S]*?\?>|<!--[\s\S]*?-->|<!DOCTYPE[^>[]*(?:\[[\s\S]*?\])?\s*>)*/i.exec(text);
	const rest = text.slice(prolog ? prolog[0].length : 0);
	const tag = /^<(?:[a-z][\w.-]*:)?svg(?=[\s>/])[^>]*>?/i.exec(rest);
	return tag?.[0];
}

/** The image format from its magic number (or SVG markup), or undefined when the bytes are not an image we know. */
export function detectImageFormat(bytes: Uint8Array): ImageFormat | undefined {
	const starts = (signature: number[], offset = 0) =>
		bytes.length >= offset + signature.length &&
		signature.every((byte, index) => bytes[offset + index] === byte);
	if (starts([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a])) return FORMATS.png;
	if (starts([0xff, 0xd8, 0xff])) return FORMATS.jpeg;
	if (starts([0x52, 0x49, 0x46, 0x46]) && starts([0x57, 0x45, 0x42, 0x50], 8)) return FORMATS.webp;
	if (starts([0x47, 0x49, 0x46, 0x38])) return FORMATS.gif;
	if (svgOpenTag(bytes) !== undefined) return FORMATS.svg;
	return undefined;
}

export interface Dimensions {
	width: number;
	height: number;
}

function jpegDimensions(bytes: Buffer): Dimensions | undefined {
	let offset = 2;
	while (offset + 9 < bytes.length) {
		if (bytes[offset] !== 0xff) return undefined;
		const marker = bytes[offset + 1];
		if (marker === 0xff) {
			offset++;
			continue;
		}
		const length = bytes.readUInt16BE(offset + 2);
		// SOF0..SOF15 except DHT (C4), JPG (C8) and DAC (CC) carry the frame size.
		if (marker >= 0xc0 && marker <= 0xcf && ![0xc4, 0xc8, 0xcc].includes(marker)) {
			return { height: bytes.readUInt16BE(offset + 5), width: bytes.readUInt16BE(offset + 7) };
		}
		offset += 2 + length;
	}
	return undefined;
}

function webpDimensions(bytes: Buffer): Dimensions | undefined {
	const chunk = bytes.toString('ascii', 12, 16);
	if (chunk === 'VP8X' && bytes.length >= 30) {
		return { width: 1 + bytes.readUIntLE(24, 3), height: 1 + bytes.readUIntLE(27, 3) };
	}
	if (chunk === 'VP8L' && bytes.length >= 25) {
		const bits = bytes.readUInt32LE(21);
		return { width: 1 + (bits & 0x3fff), height: 1 + ((bits >> 14) & 0x3fff) };
	}
	if (chunk === 'VP8 ' && bytes.length >= 30) {
		return { width: bytes.readUInt16LE(26) & 0x3fff, height: bytes.readUInt16LE(28) & 0x3fff };
	}
	return undefined;
}

/** A length attribute in user units (px or none); a percentage or another unit says nothing of pixels. */
function svgLength(tag: string, name: string): number | undefined {
	const match = new RegExp(`\\s${name}\\s*=\\s*["']\\s*([0-9.]+)\\s*(px)?\\s*["']`, 'i').exec(tag);
	const value = match ? Number(match[1]) : NaN;
	return Number.isFinite(value) && value > 0 ? Math.round(value) : undefined;
}

/** An SVG's size from its width and height attributes, else from its viewBox. */
function svgDimensions(bytes: Buffer): Dimensions | undefined {
	const tag = svgOpenTag(bytes);
	if (!tag) return undefined;
	const [width, height] = [svgLength(tag, 'width'), svgLength(tag, 'height')];
	if (width && height) return { width, height };
	const box = /\sviewBox\s*=\s*["']\s*([-0-9.e]+)[\s,]+([-0-9.e]+)[\s,]+([0-9.e]+)[\s,]+([0-9.e]+)\s*["']/i.exec(tag);
	if (!box) return undefined;
	const [boxWidth, boxHeight] = [Number(box[3]), Number(box[4])];
	if (!(boxWidth > 0 && boxHeight > 0)) return undefined;
	// One given side keeps the viewBox's aspect ratio.
	if (width) return { width, height: Math.round((width * boxHeight) / boxWidth) };
	if (height) return { width: Math.round((height * boxWidth) / boxHeight), height };
	return { width: Math.round(boxWidth), height: Math.round(boxHeight) };
}

/** Pixel dimensions read from the image header, without decoding the image. */
export function imageDimensions(bytes: Buffer, format: ImageFormat['format']): Dimensions | undefined {
	switch (format) {
		case 'png':
			return bytes.length >= 24
				? { width: bytes.readUInt32BE(16), height: bytes.readUInt32BE(20) }
				: undefined;
		case 'gif':
			return bytes.length >= 10
				? { width: bytes.readUInt16LE(6), height: bytes.readUInt16LE(8) }
				: undefined;
		case 'jpeg':
			return jpegDimensions(bytes);
		case 'webp':
			return webpDimensions(bytes);
		case 'svg':
			return svgDimensions(bytes);
	}
}

/**
 * Counts the frames (image descriptors) of a GIF fed in chunks, walking its blocks without keeping
 * them, so a streamed GIF's frames are known once its last chunk went by. `frames` is meaningful
 * when `complete` (the trailer was reached); a malformed or cut-off GIF stays incomplete.
 */
export class GifFrameCounter {
	frames = 0;
	complete = false;
	private state: 'header' | 'skip' | 'block' | 'label' | 'subBlock' | 'descriptor' | 'stop' = 'header';
	private collected: number[] = [];
	private toSkip = 0;
	private afterSkip: 'block' | 'subBlock' = 'block';

	private static colorTable(flags: number): number {
		return flags & 0x80 ? 3 * 2 ** ((flags & 0x07) + 1) : 0;
	}

	private skip(bytes: number, then: 'block' | 'subBlock'): void {
		this.toSkip = bytes;
		this.afterSkip = then;
		this.state = bytes > 0 ? 'skip' : then;
	}

	push(bytes: Uint8Array): void {
		let index = 0;
		while (index < bytes.length && this.state !== 'stop') {
			if (this.state === 'skip') {
				const step = Math.min(this.toSkip, bytes.length - index);
				index += step;
				this.toSkip -= step;
				if (this.toSkip === 0) this.state = this.afterSkip;
				continue;
			}
			const byte = bytes[index++];
			if (this.state === 'header' || this.state === 'descriptor') {
				this.collected.push(byte);
				if (this.state === 'header' && this.collected.length === 13) {
					this.skip(GifFrameCounter.colorTable(this.collected[10]), 'block');
					this.collected = [];
				} else if (this.state === 'descriptor' && this.collected.length === 9) {
					this.frames++;
					// The local colour table, then the LZW code size byte, then the data sub-blocks.
					this.skip(GifFrameCounter.colorTable(this.collected[8]) + 1, 'subBlock');
					this.collected = [];
				}
			} else if (this.state === 'block') {
				if (byte === 0x21) this.state = 'label';
				else if (byte === 0x2c) this.state = 'descriptor';
				else {
					this.complete = byte === 0x3b;
					this.state = 'stop';
				}
			} else if (this.state === 'label') {
				this.state = 'subBlock';
			} else if (this.state === 'subBlock') {
				if (byte === 0) this.state = 'block';
				else this.skip(byte, 'subBlock');
			}
		}
	}
}

/** The frames of a complete GIF, or undefined when the bytes end before its trailer. */
export function gifFrameCount(bytes: Buffer): number | undefined {
	const counter = new GifFrameCounter();
	counter.push(bytes);
	return counter.complete ? counter.frames : undefined;
}

/** Facts about image bytes (format, dimensions, frames of a GIF), checked before they are stored. */
export interface InspectedImage {
	format: ImageFormat;
	dimensions?: Dimensions;
	/** Frames of a GIF, when its bytes were read whole. */
	frames?: number;
}

/** One image in n8n's binary storage, with what its bytes told about it. */
export interface StoredImage extends InspectedImage {
	binary: IBinaryData;
	/** The http(s) URL the image came from, when it was downloaded. */
	sourceUrl?: string;
}

/** Bytes of an image read before storing it: enough for the type and for most image headers. */
const MIN_INSPECTED_BYTES = 64;
/** A JPEG's size sits after its metadata segments; beyond this much it is left out. */
export const MAX_INSPECTED_BYTES = 512 * 1024;

/** Whether the start of an image tells all the node wants to know before storing it (up to MAX_INSPECTED_BYTES). */
export function enoughToInspect(head: Buffer): boolean {
	if (head.length < MIN_INSPECTED_BYTES) return false;
	if (head.length >= MAX_INSPECTED_BYTES) return true;
	const format = detectImageFormat(head)?.format;
	if (format === 'jpeg') return imageDimensions(head, 'jpeg') !== undefined;
	// An SVG's size is in its opening tag, which may come after a prolog: wait for the tag's end.
	if (format === 'svg') return svgOpenTag(head)?.endsWith('>') === true || head.length >= SVG_HEAD;
	return true;
}

/** Format and size of an image from its bytes (or their start); undefined when they are not an image. */
export function inspectImage(bytes: Buffer): InspectedImage | undefined {
	const format = detectImageFormat(bytes);
	if (!format) return undefined;
	const frames = format.format === 'gif' ? gifFrameCount(bytes) : undefined;
	return { format, dimensions: imageDimensions(bytes, format.format), ...(frames !== undefined ? { frames } : {}) };
}

/** The error for bytes that are not an image, showing how they start (often an HTML or JSON error). */
export function notAnImage(ctx: IExecuteFunctions, bytes: Buffer | undefined, itemIndex: number, sourceUrl?: string): NodeOperationError {
	const preview = bytes?.subarray(0, 60).toString('utf8').replace(/[^\x20-\x7e]+/g, ' ').trim();
	return new NodeOperationError(
		ctx.getNode(),
		`The provider returned data that is not a PNG, JPEG, WebP, GIF or SVG image${sourceUrl ? ` from ${sourceUrl}` : ''}`,
		{ description: preview === undefined ? 'It came from a private address, so nothing of it is shown.' : `It starts with: "${preview}"`, itemIndex },
	);
}
