/**
 * Input images for edit and variation: read through n8n's binary helpers (so every binary data
 * storage mode works), checked against the model family's rules from models.ts, and turned into
 * multipart file parts or data: URLs. The type always comes from the bytes, never from what the
 * item claims.
 */
import type { IBinaryData, IDataObject, IExecuteFunctions } from 'n8n-workflow';

import { MODEL_FAMILIES, type ImageFileFormat, type ImageRule, type ModelFamily } from '../models';
import { detectImageFormat, fileStem, imageDimensions, type Dimensions, type ImageFormat } from './images';
import { describe, invalid } from './parameters';

const FORMAT_NAMES: Record<ImageFileFormat, string> = {
	png: 'PNG',
	jpeg: 'JPEG',
	webp: 'WebP',
	gif: 'GIF',
	svg: 'SVG',
};

const MB = 1024 * 1024;

function formatBytes(size: number): string {
	return size >= MB ? `${(size / MB).toFixed(1)} MB` : `${Math.ceil(size / 1024)} KB`;
}

function formatList(formats: readonly ImageFileFormat[]): string {
	const names = formats.map((format) => FORMAT_NAMES[format]);
	return names.length > 1 ? `${names.slice(0, -1).join(', ')} or ${names[names.length - 1]}` : names[0];
}

/** What an image is checked against, and how messages name it. */
export interface ImageCheck {
	family: ModelFamily;
	rule: ImageRule;
	/** The node field that names the image, e.g. "Input Binary Properties". */
	field: string;
	/** "input image" or "mask". */
	role: string;
}

/** An image from a binary property, checked. Its bytes are read again when the request is built. */
export interface BinaryImage {
	property: string;
	format: ImageFormat;
	dimensions?: Dimensions;
	/** File name for the upload: the item's own name with the extension of the real format. */
	fileName: string;
}

interface CheckedBytes {
	format: ImageFormat;
	dimensions?: Dimensions;
}

/** Checks image bytes against a rule; `source` names them in messages ('binary property "data"'). */
function checkImageBytes(
	ctx: IExecuteFunctions,
	itemIndex: number,
	bytes: Buffer,
	source: string,
	claimedType: string | undefined,
	check: ImageCheck,
): CheckedBytes {
	const { family, rule, role, field } = check;
	const format = detectImageFormat(bytes);
	if (!format) {
		const claimed = claimedType ? ` (the item says ${claimedType})` : '';
		throw invalid(
			ctx,
			itemIndex,
			`The ${role} in ${source} is not an image: its content is not PNG, JPEG, WebP or GIF${claimed}`,
			`Point ${field} at image data, e.g. the output of an HTTP Request or Read/Write Files from Disk node that loads the picture.`,
		);
	}
	if (!rule.formats.includes(format.format)) {
		const name = FORMAT_NAMES[format.format];
		throw invalid(
			ctx,
			itemIndex,
			`${family.displayName} takes ${formatList(rule.formats)} files as ${role}, but ${source} is ${name}`,
			`Convert the ${role} to ${formatList(rule.formats)} (e.g. with the Edit Image node), or choose a model that takes ${name}.`,
		);
	}
	if (bytes.length > rule.maxBytes) throw tooLarge(ctx, itemIndex, bytes.length, source, check);
	const dimensions = imageDimensions(bytes, format.format);
	if (rule.square && dimensions && dimensions.width !== dimensions.height) {
		throw invalid(
			ctx,
			itemIndex,
			`${family.displayName} needs a square ${role}, but ${source} is ${dimensions.width}x${dimensions.height} pixels`,
			`Crop or pad the ${role} to a square (e.g. with the Edit Image node), or choose a model that takes any aspect ratio.`,
		);
	}
	return { format, dimensions };
}

function tooLarge(ctx: IExecuteFunctions, itemIndex: number, size: number, source: string, check: ImageCheck) {
	return invalid(
		ctx,
		itemIndex,
		`The ${check.role} in ${source} is ${formatBytes(size)}, more than the ${formatBytes(check.rule.maxBytes)} ${check.family.displayName} accepts`,
		`Use a smaller or more compressed ${check.role} (e.g. resize it with the Edit Image node), or choose a model that takes larger files.`,
	);
}

/** The names of the item's binary properties (an empty list when it has none). */
export function binaryPropertiesOf(ctx: IExecuteFunctions, itemIndex: number): string[] {
	return Object.keys(ctx.getInputData()[itemIndex]?.binary ?? {});
}

/**
 * Reads a binary property of the item through n8n's helpers and checks it against the rule.
 * Nothing is kept of the bytes but what the request needs to know.
 */
export async function inspectBinaryImage(
	ctx: IExecuteFunctions,
	itemIndex: number,
	property: string,
	check: ImageCheck,
): Promise<BinaryImage> {
	let binary: IBinaryData;
	try {
		binary = ctx.helpers.assertBinaryData(itemIndex, property);
	} catch {
		const available = binaryPropertiesOf(ctx, itemIndex);
		throw invalid(
			ctx,
			itemIndex,
			`${check.field}: the item has no binary property "${property}"`,
			available.length
				? `The item's binary properties are: ${available.join(', ')}. Set ${check.field} to the one holding the ${check.role}.`
				: `The item has no binary data at all. Add a node before this one that loads the ${check.role} (e.g. HTTP Request with the response format File, or Read/Write Files from Disk).`,
		);
	}
	const source = `binary property "${property}"`;
	// Stored size, when n8n recorded it: spares reading a file that is far too large.
	if (typeof binary.bytes === 'number' && binary.bytes > check.rule.maxBytes) {
		throw tooLarge(ctx, itemIndex, binary.bytes, source, check);
	}
	const bytes = await ctx.helpers.getBinaryDataBuffer(itemIndex, property);
	const { format, dimensions } = checkImageBytes(ctx, itemIndex, bytes, source, binary.mimeType, check);
	const ownName = (binary.fileName ?? '').replace(/\.[^./\\]*$/, '');
	return {
		property,
		format,
		dimensions,
		fileName: `${fileStem(ownName, property)}.${format.extension}`,
	};
}

/** The bytes of a checked binary image, read through n8n's helpers when the request is built. */
export async function readImageBytes(
	ctx: IExecuteFunctions,
	itemIndex: number,
	image: BinaryImage,
): Promise<Buffer> {
	return await ctx.helpers.getBinaryDataBuffer(itemIndex, image.property);
}

/** A mask must match the first input image's dimensions where the family says so. */
export function assertMaskDimensions(
	ctx: IExecuteFunctions,
	itemIndex: number,
	mask: BinaryImage,
	image: BinaryImage | undefined,
	check: ImageCheck,
): void {
	if (!check.rule.sameDimensionsAsImage || !mask.dimensions || !image?.dimensions) return;
	const { width, height } = mask.dimensions;
	if (width === image.dimensions.width && height === image.dimensions.height) return;
	throw invalid(
		ctx,
		itemIndex,
		`The mask in binary property "${mask.property}" is ${width}x${height} pixels, but the input image in "${image.property}" is ${image.dimensions.width}x${image.dimensions.height}`,
		`${check.family.displayName} needs a mask with the dimensions of the (first) input image. Resize the mask, or pick the matching one.`,
	);
}

/** The families (with a name pattern) that take at least `count` input images, for hints. */
export function familiesTaking(count: number): string {
	return MODEL_FAMILIES.filter((family) => family.pattern && (family.maxInputImages ?? 0) >= count)
		.map((family) => family.displayName)
		.join(', ');
}

/** Splits a list typed into a field: names by commas or new lines, or an expression's array. */
export function readList(raw: unknown, separator: RegExp): string[] {
	const values = Array.isArray(raw) ? raw.map((value) => String(value ?? '')) : String(raw ?? '').split(separator);
	return values.map((value) => value.trim()).filter((value) => value !== '');
}

/** New lines, spaces, or commas that start another URL (data: URLs contain commas themselves). */
export const URL_SEPARATOR = /\s+|,(?=\s*(?:https?:\/\/|data:))/i;

const DATA_URL = /^data:([a-z]+\/[a-z0-9.+-]+)?(;[^,]*)?;base64,([a-z0-9+/=\s]*)$/i;

/** Checks image URLs typed into the node: http(s) URLs as they are, data: URLs down to their bytes. */
export function checkImageUrls(
	ctx: IExecuteFunctions,
	itemIndex: number,
	urls: string[],
	check: ImageCheck,
): void {
	urls.forEach((url, index) => {
		const source = `${check.field} entry ${index + 1}`;
		if (/^https?:\/\/[^\s/]+/i.test(url)) {
			try {
				new URL(url);
				return;
			} catch {
				// reported below
			}
		}
		const data = DATA_URL.exec(url);
		if (!data) {
			throw invalid(
				ctx,
				itemIndex,
				`${source} is not an http(s) URL or a base64 data: URL: ${describe(url.slice(0, 60))}`,
				'Enter full URLs like https://example.com/photo.png, or data:image/png;base64,... URLs, separated by new lines.',
			);
		}
		checkImageBytes(ctx, itemIndex, Buffer.from(data[3], 'base64'), source, data[1], check);
	});
}

/** A data: URL of image bytes, for gateways that take images in a JSON body. */
export function dataUrl(image: BinaryImage, bytes: Buffer): string {
	return `data:${image.format.mimeType};base64,${bytes.toString('base64')}`;
}

/** Adds body fields as multipart text parts: numbers and booleans as text, objects as JSON. */
export function appendFields(form: FormData, fields: IDataObject): void {
	for (const [name, value] of Object.entries(fields)) {
		if (value === undefined || value === null) continue;
		form.append(name, typeof value === 'object' ? JSON.stringify(value) : String(value));
	}
}

/** Adds an image as a file part with its real content type and a file name with the right extension. */
export function appendImage(form: FormData, name: string, image: BinaryImage, bytes: Buffer): void {
	// Buffers from n8n's binary helpers sit on plain ArrayBuffers, which is what a Blob part takes.
	const part = new Blob([bytes as Uint8Array<ArrayBuffer>], { type: image.format.mimeType });
	form.append(name, part, image.fileName);
}
