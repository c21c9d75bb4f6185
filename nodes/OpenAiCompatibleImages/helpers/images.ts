/** Facts about image bytes, read from the bytes themselves (providers do not always send what was asked). */
import { NodeOperationError, type IBinaryData, type IExecuteFunctions } from 'n8n-workflow';

export interface ImageFormat {
	format: 'png' | 'jpeg' | 'webp' | 'gif';
	mimeType: string;
	extension: string;
}

const FORMATS: Record<ImageFormat['format'], ImageFormat> = {
	png: { format: 'png', mimeType: 'image/png', extension: 'png' },
	jpeg: { format: 'jpeg', mimeType: 'image/jpeg', extension: 'jpg' },
	webp: { format: 'webp', mimeType: 'image/webp', extension: 'webp' },
	gif: { format: 'gif', mimeType: 'image/gif', extension: 'gif' },
};

/** The image format from its magic number, or undefined when the bytes are not an image we know. */
export function detectImageFormat(bytes: Uint8Array): ImageFormat | undefined {
	const starts = (signature: number[], offset = 0) =>
		bytes.length >= offset + signature.length &&
		signature.every((byte, index) => bytes[offset + index] === byte);
	if (starts([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a])) return FORMATS.png;
	if (starts([0xff, 0xd8, 0xff])) return FORMATS.jpeg;
	if (starts([0x52, 0x49, 0x46, 0x46]) && starts([0x57, 0x45, 0x42, 0x50], 8)) return FORMATS.webp;
	if (starts([0x47, 0x49, 0x46, 0x38])) return FORMATS.gif;
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
	}
}

/** Latin letters that do not decompose into a base letter and marks. */
const LATIN_LETTERS: Record<string, string> = {
	ß: 'ss', æ: 'ae', œ: 'oe', ø: 'o', đ: 'd', ð: 'd', þ: 'th', ł: 'l', ı: 'i', ŋ: 'ng', ĸ: 'k', ſ: 's',
};

/** Greek and Cyrillic letters, lower case, in a plain romanisation (Greek ELOT, Cyrillic ISO 9 without marks). */
const OTHER_LETTERS: Record<string, string> = Object.fromEntries([
	...'α:a β:v γ:g δ:d ε:e ζ:z η:i θ:th ι:i κ:k λ:l μ:m ν:n ξ:x ο:o π:p ρ:r σ:s ς:s τ:t υ:y φ:f χ:ch ψ:ps ω:o'.split(' '),
	...'а:a б:b в:v г:g ґ:g д:d е:e ё:e є:ye ж:zh з:z и:i і:i ї:yi й:y к:k л:l м:m н:n о:o п:p р:r с:s т:t у:u ў:u ф:f х:kh ц:ts ч:ch ш:sh щ:shch ъ: ы:y ь: э:e ю:yu я:ya ђ:dj ј:j љ:lj њ:nj ћ:c џ:dz'.split(' '),
].map((pair) => pair.split(':') as [string, string]));

/** One character of a prompt in ASCII: accents dropped (é → e), Greek and Cyrillic romanised, anything else a separator. */
function asciiLetters(character: string): string {
	const plain = character.normalize('NFKD').replace(/\p{M}/gu, '');
	if (/^[a-z0-9]*$/.test(plain)) return plain;
	return LATIN_LETTERS[plain] ?? OTHER_LETTERS[plain] ?? '-';
}

/**
 * A file name stem from the prompt: lower-case ASCII words joined by dashes, no path separators,
 * so the name works in every file system, archive, header and mail client. Accents are dropped
 * ("Crème brûlée" → "creme-brulee"), Greek and Cyrillic romanised; a prompt with nothing left
 * (Chinese, Japanese, Arabic, ... or only symbols) gives the fallback ("image", "edited", ...).
 */
export function fileStem(prompt: string | undefined, fallback = 'image'): string {
	const words = Array.from((prompt ?? '').toLowerCase(), asciiLetters).join('');
	const stem = words
		.replace(/[^a-z0-9]+/g, '-')
		.replace(/^-+|-+$/g, '')
		.slice(0, 48)
		.replace(/-+$/, '');
	return stem || fallback;
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

/** Bytes of an image read before storing it: enough for the type and for most image headers. */
const MIN_INSPECTED_BYTES = 64;
/** A JPEG's size sits after its metadata segments; beyond this much it is left out. */
export const MAX_INSPECTED_BYTES = 512 * 1024;

/** Whether the start of an image tells all the node wants to know before storing it (up to MAX_INSPECTED_BYTES). */
export function enoughToInspect(head: Buffer): boolean {
	if (head.length < MIN_INSPECTED_BYTES) return false;
	const format = detectImageFormat(head);
	return format?.format !== 'jpeg' || imageDimensions(head, 'jpeg') !== undefined || head.length >= MAX_INSPECTED_BYTES;
}

/** Format and size of an image from its bytes (or their start); undefined when they are not an image. */
export function inspectImage(bytes: Buffer): InspectedImage | undefined {
	const format = detectImageFormat(bytes);
	return format && { format, dimensions: imageDimensions(bytes, format.format) };
}

/** The error for bytes that are not an image, showing how they start (often an HTML or JSON error). */
export function notAnImage(ctx: IExecuteFunctions, bytes: Buffer | undefined, itemIndex: number, sourceUrl?: string): NodeOperationError {
	const preview = bytes?.subarray(0, 60).toString('utf8').replace(/[^\x20-\x7e]+/g, ' ').trim();
	return new NodeOperationError(
		ctx.getNode(),
		`The provider returned data that is not a PNG, JPEG, WebP or GIF image${sourceUrl ? ` from ${sourceUrl}` : ''}`,
		{ description: preview === undefined ? 'It came from a private address, so nothing of it is shown.' : `It starts with: "${preview}"`, itemIndex },
	);
}
