// @ts-check
'use strict';

/**
 * Deterministic placeholder pictures and pure-JS image encoders for the
 * loopback OpenAI-compatible image server used by tests and demos.
 *
 * Only Node built-ins are used (zlib, crypto, os). Nothing here is a runtime
 * dependency of the n8n node itself.
 *
 *  - renderPromptImage(): prompt -> RGBA picture (palette, pattern and shapes
 *    derived from a SHA-256 of the prompt; same prompt => same picture).
 *  - encodePng / encodeJpeg / encodeWebp / encodeGif / encodeImage.
 *  - readPngSize(): width, height and colour type from a PNG's IHDR.
 */

const zlib = require('zlib');
const crypto = require('crypto');
const os = require('os');

/**
 * @typedef {object} RgbaImage
 * @property {number} width
 * @property {number} height
 * @property {4} channels
 * @property {Buffer} pixels RGBA, 8 bits per channel, row-major, no padding.
 */

/**
 * @typedef {object} RenderOptions
 * @property {boolean} [transparent] Background gets alpha 0; shapes stay opaque.
 * @property {boolean} [noise] Add per-pixel pseudo-random noise (defeats compression).
 */

/**
 * @typedef {object} PngOptions
 * @property {number} [compressionLevel] zlib level 0..9 (default 6).
 * @property {'adaptive' | 'none'} [filter] Row filtering (default 'adaptive').
 */

/**
 * @typedef {object} JpegOptions
 * @property {number} [quality] 1..100 (default 85).
 * @property {'4:2:0' | '4:4:4'} [subsampling] Chroma subsampling (default '4:2:0').
 */

/** @typedef {'png' | 'jpeg' | 'jpg' | 'webp' | 'gif'} ImageFormat */

/** @typedef {PngOptions & JpegOptions} EncodeOptions */

const MAX_DIMENSION = 16384;
const LITTLE_ENDIAN = os.endianness() === 'LE';

/**
 * Pack an RGBA colour into the uint32 that, stored through a Uint32Array view,
 * yields bytes R, G, B, A in memory.
 * @param {number} r @param {number} g @param {number} b @param {number} a
 * @returns {number}
 */
function pack(r, g, b, a) {
	return LITTLE_ENDIAN
		? ((a << 24) | (b << 16) | (g << 8) | r) >>> 0
		: ((r << 24) | (g << 16) | (b << 8) | a) >>> 0;
}

/**
 * @param {number} width
 * @param {number} height
 */
function checkDimensions(width, height) {
	if (
		!Number.isInteger(width) ||
		!Number.isInteger(height) ||
		width < 1 ||
		height < 1 ||
		width > MAX_DIMENSION ||
		height > MAX_DIMENSION
	) {
		throw new RangeError(`Invalid image size ${width}x${height} (1..${MAX_DIMENSION} per side)`);
	}
}

/**
 * @param {RgbaImage} image
 */
function checkImage(image) {
	if (!image || typeof image !== 'object') throw new TypeError('image must be an object');
	checkDimensions(image.width, image.height);
	if (image.channels !== 4) throw new TypeError('image.channels must be 4 (RGBA)');
	if (!image.pixels || image.pixels.length !== image.width * image.height * 4) {
		throw new TypeError('image.pixels must hold width*height*4 bytes');
	}
}

// ---------------------------------------------------------------------------
// Rendering
// ---------------------------------------------------------------------------

/**
 * Small seeded PRNG (sfc32) driven by the prompt hash. Only used for setup,
 * never per pixel.
 * @param {Buffer} seed at least 16 bytes
 * @returns {() => number} uniform in [0, 1)
 */
function makeRng(seed) {
	let a = seed.readUInt32LE(0);
	let b = seed.readUInt32LE(4);
	let c = seed.readUInt32LE(8);
	let d = seed.readUInt32LE(12);
	const next = () => {
		const t = (((a + b) | 0) + d) | 0;
		d = (d + 1) | 0;
		a = b ^ (b >>> 9);
		b = (c + (c << 3)) | 0;
		c = (c << 21) | (c >>> 11);
		c = (c + t) | 0;
		return (t >>> 0) / 4294967296;
	};
	for (let i = 0; i < 12; i++) next();
	return next;
}

/**
 * @param {number} h hue in degrees
 * @param {number} s 0..1
 * @param {number} l 0..1
 * @returns {[number, number, number]}
 */
function hslToRgb(h, s, l) {
	h = ((h % 360) + 360) % 360;
	const c = (1 - Math.abs(2 * l - 1)) * s;
	const hp = h / 60;
	const x = c * (1 - Math.abs((hp % 2) - 1));
	let r = 0;
	let g = 0;
	let b = 0;
	if (hp < 1) [r, g, b] = [c, x, 0];
	else if (hp < 2) [r, g, b] = [x, c, 0];
	else if (hp < 3) [r, g, b] = [0, c, x];
	else if (hp < 4) [r, g, b] = [0, x, c];
	else if (hp < 5) [r, g, b] = [x, 0, c];
	else [r, g, b] = [c, 0, x];
	const m = l - c / 2;
	return [Math.round((r + m) * 255), Math.round((g + m) * 255), Math.round((b + m) * 255)];
}

/**
 * @param {[number, number, number]} c
 * @param {[number, number, number]} d
 * @param {number} t
 * @returns {[number, number, number]}
 */
function mix(c, d, t) {
	return [
		Math.round(c[0] + (d[0] - c[0]) * t),
		Math.round(c[1] + (d[1] - c[1]) * t),
		Math.round(c[2] + (d[2] - c[2]) * t),
	];
}

/**
 * 1024-entry colour ramp c0 -> c1 (-> c0 again when `mirror`).
 * @param {[number, number, number]} c0
 * @param {[number, number, number]} c1
 * @param {number} alpha
 * @returns {Uint32Array}
 */
function makeRamp(c0, c1, alpha) {
	const lut = new Uint32Array(1024);
	for (let i = 0; i < 1024; i++) {
		const [r, g, b] = mix(c0, c1, i / 1023);
		lut[i] = pack(r, g, b, alpha);
	}
	return lut;
}

const PATTERNS = /** @type {const} */ ([
	'hstripes',
	'vstripes',
	'diagonal',
	'checks',
	'rings',
	'linear',
	'radial',
]);

/**
 * Describe (without drawing) the picture for a prompt. Exposed for tests.
 * @param {string} prompt
 */
function describePrompt(prompt) {
	const digest = crypto.createHash('sha256').update(String(prompt), 'utf8').digest();
	const rng = makeRng(digest);
	const baseHue = rng() * 360;
	const scheme = Math.floor(rng() * 4); // analogous, complementary, triadic, split
	const offsets = [
		[0, 30, 60, 90],
		[0, 180, 20, 200],
		[0, 120, 240, 60],
		[0, 150, 210, 30],
	][scheme];
	const count = 2 + Math.floor(rng() * 3); // 2..4 colours
	/** @type {[number, number, number][]} */
	const palette = [];
	for (let i = 0; i < count; i++) {
		const s = 0.55 + rng() * 0.35;
		const l = 0.42 + rng() * 0.16;
		palette.push(hslToRgb(baseHue + offsets[i], s, l));
	}
	const dark = rng() < 0.35;
	/** @type {[number, number, number]} */
	const tint = dark ? [16, 18, 28] : [250, 250, 246];
	const bg0 = mix(palette[0], tint, dark ? 0.7 : 0.72);
	const bg1 = mix(palette[1 % count], tint, dark ? 0.5 : 0.45);
	const pattern = PATTERNS[Math.floor(rng() * PATTERNS.length)];
	const period = 0.05 + rng() * 0.12; // relative to min(width, height)
	const angle = rng() * Math.PI * 2;
	const center = [0.2 + rng() * 0.6, 0.2 + rng() * 0.6];

	const shapeCount = 3 + Math.floor(rng() * 4); // 3..6
	/** @type {{ kind: 'circle' | 'ring' | 'rect', x: number, y: number, a: number, b: number, color: [number, number, number] }[]} */
	const shapes = [];
	for (let i = 0; i < shapeCount; i++) {
		const r = rng();
		const kind = r < 0.45 ? 'circle' : r < 0.6 ? 'ring' : 'rect';
		let color = palette[(i + 1) % count];
		if (count < 4 && i >= count) color = mix(color, dark ? [255, 255, 255] : [0, 0, 0], 0.3);
		shapes.push({
			kind,
			x: 0.1 + rng() * 0.8,
			y: 0.1 + rng() * 0.8,
			a: 0.06 + rng() * 0.18,
			b: 0.06 + rng() * 0.18,
			color,
		});
	}
	return { digest: digest.toString('hex'), palette, bg0, bg1, pattern, period, angle, center, shapes };
}

/**
 * Render a deterministic RGBA picture that depends visibly on the prompt.
 * @param {string} prompt
 * @param {number} width
 * @param {number} height
 * @param {RenderOptions} [options]
 * @returns {RgbaImage}
 */
function renderPromptImage(prompt, width, height, options = {}) {
	checkDimensions(width, height);
	const transparent = Boolean(options.transparent);
	const noise = Boolean(options.noise);
	const d = describePrompt(prompt);
	const n = width * height;
	const ab = new ArrayBuffer(n * 4);
	const px = new Uint32Array(ab);
	const minSide = Math.min(width, height);
	const period = Math.max(2, Math.round(d.period * minSide));

	if (transparent) {
		// Fully transparent background (ArrayBuffer is already zeroed).
	} else {
		const c0 = pack(d.bg0[0], d.bg0[1], d.bg0[2], 255);
		const c1 = pack(d.bg1[0], d.bg1[1], d.bg1[2], 255);
		switch (d.pattern) {
			case 'hstripes': {
				for (let y = 0; y < height; y++) {
					px.fill(((y / period) | 0) & 1 ? c1 : c0, y * width, (y + 1) * width);
				}
				break;
			}
			case 'vstripes':
			case 'checks': {
				const rowA = new Uint32Array(width);
				const rowB = new Uint32Array(width);
				for (let x = 0; x < width; x++) {
					const odd = ((x / period) | 0) & 1;
					rowA[x] = odd ? c1 : c0;
					rowB[x] = odd ? c0 : c1;
				}
				const checks = d.pattern === 'checks';
				for (let y = 0; y < height; y++) {
					px.set(checks && ((y / period) | 0) & 1 ? rowB : rowA, y * width);
				}
				break;
			}
			case 'diagonal': {
				const span = 2 * period;
				const template = new Uint32Array(width + span);
				for (let x = 0; x < template.length; x++) {
					template[x] = ((x / period) | 0) & 1 ? c1 : c0;
				}
				for (let y = 0; y < height; y++) {
					const o = y % span;
					px.set(template.subarray(o, o + width), y * width);
				}
				break;
			}
			case 'rings': {
				const cx = d.center[0] * width;
				const cy = d.center[1] * height;
				const inv = 1 / period;
				for (let y = 0; y < height; y++) {
					const dy = y + 0.5 - cy;
					const dy2 = dy * dy;
					let i = y * width;
					for (let x = 0; x < width; x++, i++) {
						const dx = x + 0.5 - cx;
						px[i] = (Math.sqrt(dx * dx + dy2) * inv) & 1 ? c1 : c0;
					}
				}
				break;
			}
			case 'linear': {
				const lut = makeRamp(d.bg0, d.bg1, 255);
				const ca = Math.cos(d.angle);
				const sa = Math.sin(d.angle);
				// Project corners to normalise t into 0..1023.
				const proj = [0, width * ca, height * sa, width * ca + height * sa];
				const lo = Math.min(...proj);
				const hi = Math.max(...proj);
				const scale = 1023 / (hi - lo || 1);
				const sx = ca * scale;
				for (let y = 0; y < height; y++) {
					let t = (y * sa - lo) * scale;
					let i = y * width;
					for (let x = 0; x < width; x++, i++, t += sx) {
						px[i] = lut[t < 0 ? 0 : t > 1023 ? 1023 : t | 0];
					}
				}
				break;
			}
			case 'radial':
			default: {
				const lut = makeRamp(d.bg0, d.bg1, 255);
				const cx = d.center[0] * width;
				const cy = d.center[1] * height;
				const far = Math.max(
					Math.hypot(cx, cy),
					Math.hypot(width - cx, cy),
					Math.hypot(cx, height - cy),
					Math.hypot(width - cx, height - cy),
				);
				const scale = 1023 / (far || 1);
				for (let y = 0; y < height; y++) {
					const dy = y + 0.5 - cy;
					const dy2 = dy * dy;
					let i = y * width;
					for (let x = 0; x < width; x++, i++) {
						const dx = x + 0.5 - cx;
						const t = Math.sqrt(dx * dx + dy2) * scale;
						px[i] = lut[t > 1023 ? 1023 : t | 0];
					}
				}
				break;
			}
		}
	}

	// Shapes: filled spans per row.
	for (const s of d.shapes) {
		const color = pack(s.color[0], s.color[1], s.color[2], 255);
		const cx = s.x * width;
		const cy = s.y * height;
		if (s.kind === 'rect') {
			const hw = s.a * minSide;
			const hh = s.b * minSide * 0.8;
			const x0 = Math.max(0, Math.round(cx - hw));
			const x1 = Math.min(width, Math.round(cx + hw));
			const y0 = Math.max(0, Math.round(cy - hh));
			const y1 = Math.min(height, Math.round(cy + hh));
			if (x1 <= x0) continue;
			for (let y = y0; y < y1; y++) px.fill(color, y * width + x0, y * width + x1);
		} else {
			const r = s.a * minSide + 0.5;
			const r2 = r * r;
			const inner = s.kind === 'ring' ? r * 0.62 : 0;
			const inner2 = inner * inner;
			const y0 = Math.max(0, Math.floor(cy - r));
			const y1 = Math.min(height, Math.ceil(cy + r));
			for (let y = y0; y < y1; y++) {
				const dy = y + 0.5 - cy;
				const w2 = r2 - dy * dy;
				if (w2 <= 0) continue;
				const hw = Math.sqrt(w2);
				const x0 = Math.max(0, Math.round(cx - hw));
				const x1 = Math.min(width, Math.round(cx + hw));
				if (x1 <= x0) continue;
				const iw2 = inner2 - dy * dy;
				if (iw2 > 0) {
					const ihw = Math.sqrt(iw2);
					const ix0 = Math.max(x0, Math.round(cx - ihw));
					const ix1 = Math.min(x1, Math.round(cx + ihw));
					if (ix0 > x0) px.fill(color, y * width + x0, y * width + ix0);
					if (x1 > ix1) px.fill(color, y * width + Math.max(ix1, x0), y * width + x1);
				} else {
					px.fill(color, y * width + x0, y * width + x1);
				}
			}
		}
	}

	if (noise) {
		// xorshift32 seeded from the prompt; add -16..+15 (saturated) to R, G, B.
		const bytes = new Uint8Array(ab);
		const clamp = new Uint8Array(256 + 32);
		for (let v = 0; v < clamp.length; v++) clamp[v] = Math.min(255, Math.max(0, v - 16));
		let state = parseInt(d.digest.slice(0, 8), 16) | 1;
		for (let p = 0; p < bytes.length; p += 4) {
			state ^= state << 13;
			state ^= state >>> 17;
			state ^= state << 5;
			bytes[p] = clamp[bytes[p] + (state & 31)];
			bytes[p + 1] = clamp[bytes[p + 1] + ((state >>> 5) & 31)];
			bytes[p + 2] = clamp[bytes[p + 2] + ((state >>> 10) & 31)];
		}
	}

	return { width, height, channels: 4, pixels: Buffer.from(ab) };
}

// ---------------------------------------------------------------------------
// PNG
// ---------------------------------------------------------------------------

/** @type {Int32Array | undefined} */
let crcTable;

/**
 * CRC-32 (IEEE) of a buffer.
 * @param {Uint8Array} data
 * @param {number} [initial]
 * @returns {number}
 */
function crc32(data, initial = 0) {
	const native = /** @type {any} */ (zlib).crc32;
	if (typeof native === 'function') return native(data, initial) >>> 0;
	if (!crcTable) {
		crcTable = new Int32Array(256);
		for (let n = 0; n < 256; n++) {
			let c = n;
			for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
			crcTable[n] = c;
		}
	}
	const t = crcTable;
	let c = ~initial;
	for (let i = 0; i < data.length; i++) c = t[(c ^ data[i]) & 0xff] ^ (c >>> 8);
	return ~c >>> 0;
}

/**
 * @param {string} type four ASCII letters
 * @param {Buffer} data
 * @returns {Buffer}
 */
function pngChunk(type, data) {
	const head = Buffer.alloc(8);
	head.writeUInt32BE(data.length, 0);
	head.write(type, 4, 'latin1');
	const tail = Buffer.alloc(4);
	tail.writeUInt32BE(crc32(data, crc32(head.subarray(4, 8))), 0);
	return Buffer.concat([head, data, tail]);
}

/**
 * @param {RgbaImage} image
 * @returns {boolean} true when every pixel has alpha 255
 */
function isOpaque(image) {
	const p = image.pixels;
	for (let i = 3; i < p.length; i += 4) if (p[i] !== 255) return false;
	return true;
}

/** |signed byte| for filter scoring */
const SIGNED_ABS = (() => {
	const t = new Uint8Array(256);
	for (let v = 0; v < 256; v++) t[v] = v < 128 ? v : 256 - v;
	return t;
})();

/**
 * Adaptive PNG filtering in place: per row, None/Sub/Up/Paeth is scored on a
 * sample of at most ~1024 bytes (minimum sum of absolute differences) and
 * only the winner is applied to the whole row. Rows are processed bottom-up
 * so the previous row is still unfiltered when it is used as a predictor.
 * @param {Uint8Array} raw scanlines, each prefixed with a filter byte
 * @param {number} stride bytes per scanline without the filter byte
 * @param {number} height
 * @param {number} bpp bytes per pixel
 */
function filterRows(raw, stride, height, bpp) {
	const tmp = new Uint8Array(stride);
	const abs = SIGNED_ABS;
	const step = Math.max(1, Math.floor(stride / 1024));
	for (let y = height - 1; y >= 0; y--) {
		const o = y * (stride + 1) + 1;
		const po = o - (stride + 1);
		let best = 0;
		if (y === 0) {
			// No previous row: Up == None and Paeth == Sub.
			let sNone = 0;
			let sSub = 0;
			for (let i = bpp; i < stride; i += step) {
				sNone += abs[raw[o + i]];
				sSub += abs[(raw[o + i] - raw[o + i - bpp]) & 0xff];
			}
			best = sSub < sNone ? 1 : 0;
		} else {
			let sNone = 0;
			let sSub = 0;
			let sUp = 0;
			let sPaeth = 0;
			for (let i = bpp; i < stride; i += step) {
				const cur = raw[o + i];
				const a = raw[o + i - bpp];
				const b = raw[po + i];
				const c = raw[po + i - bpp];
				let pa = b - c;
				let pb = a - c;
				let pc = pa + pb;
				if (pa < 0) pa = -pa;
				if (pb < 0) pb = -pb;
				if (pc < 0) pc = -pc;
				sNone += abs[cur];
				sSub += abs[(cur - a) & 0xff];
				sUp += abs[(cur - b) & 0xff];
				sPaeth += abs[(cur - (pa <= pb && pa <= pc ? a : pb <= pc ? b : c)) & 0xff];
			}
			let bestSum = sNone;
			if (sSub < bestSum) {
				best = 1;
				bestSum = sSub;
			}
			if (sUp < bestSum) {
				best = 2;
				bestSum = sUp;
			}
			if (sPaeth < bestSum) best = 4;
		}
		raw[o - 1] = best;
		if (best === 1) {
			for (let i = 0; i < bpp; i++) tmp[i] = raw[o + i];
			for (let i = bpp; i < stride; i++) tmp[i] = raw[o + i] - raw[o + i - bpp];
		} else if (best === 2) {
			for (let i = 0; i < stride; i++) tmp[i] = raw[o + i] - raw[po + i];
		} else if (best === 4) {
			for (let i = 0; i < bpp; i++) tmp[i] = raw[o + i] - raw[po + i];
			for (let i = bpp; i < stride; i++) {
				const a = raw[o + i - bpp];
				const b = raw[po + i];
				const c = raw[po + i - bpp];
				let pa = b - c;
				let pb = a - c;
				let pc = pa + pb;
				if (pa < 0) pa = -pa;
				if (pb < 0) pb = -pb;
				if (pc < 0) pc = -pc;
				tmp[i] = raw[o + i] - (pa <= pb && pa <= pc ? a : pb <= pc ? b : c);
			}
		} else {
			continue;
		}
		raw.set(tmp, o);
	}
}

/**
 * Encode as PNG: 8-bit RGB when fully opaque, otherwise 8-bit RGBA.
 * @param {RgbaImage} image
 * @param {PngOptions} [options]
 * @returns {Buffer}
 */
function encodePng(image, options = {}) {
	checkImage(image);
	const { width, height, pixels } = image;
	const level = options.compressionLevel === undefined ? 6 : options.compressionLevel;
	if (!Number.isInteger(level) || level < 0 || level > 9) {
		throw new RangeError('compressionLevel must be an integer 0..9');
	}
	const adaptive = options.filter !== 'none';
	const rgb = isOpaque(image);
	const bpp = rgb ? 3 : 4;
	const stride = width * bpp;
	const raw = Buffer.allocUnsafe((stride + 1) * height);

	// Unfiltered scanlines first (filter byte 0), then filter in place bottom-up
	// so that the previous (unfiltered) row is still available.
	for (let y = 0; y < height; y++) {
		const o = y * (stride + 1);
		raw[o] = 0;
		if (rgb) {
			let s = y * width * 4;
			let dIdx = o + 1;
			for (let x = 0; x < width; x++, s += 4, dIdx += 3) {
				raw[dIdx] = pixels[s];
				raw[dIdx + 1] = pixels[s + 1];
				raw[dIdx + 2] = pixels[s + 2];
			}
		} else {
			pixels.copy(raw, o + 1, y * stride, (y + 1) * stride);
		}
	}

	if (adaptive) filterRows(raw, stride, height, bpp);

	const ihdr = Buffer.alloc(13);
	ihdr.writeUInt32BE(width, 0);
	ihdr.writeUInt32BE(height, 4);
	ihdr[8] = 8; // bit depth
	ihdr[9] = rgb ? 2 : 6; // colour type
	ihdr[10] = 0; // deflate
	ihdr[11] = 0; // adaptive filtering
	ihdr[12] = 0; // no interlace

	const compressed = zlib.deflateSync(raw, { level, memLevel: 9 });
	/** @type {Buffer[]} */
	const parts = [Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]), pngChunk('IHDR', ihdr)];
	const IDAT_MAX = 8 * 1024 * 1024;
	for (let off = 0; off < compressed.length; off += IDAT_MAX) {
		parts.push(pngChunk('IDAT', compressed.subarray(off, Math.min(compressed.length, off + IDAT_MAX))));
	}
	parts.push(pngChunk('IEND', Buffer.alloc(0)));
	return Buffer.concat(parts);
}

/**
 * Decode an 8-bit, non-interlaced PNG (grey, RGB, palette, grey+alpha, RGBA) into RGBA: what the
 * demo server needs to start an edit from the input picture. Undefined for anything else (16-bit,
 * interlaced, not a PNG, larger than maxPixels), so that callers fall back to a drawn picture.
 * @param {Buffer} buffer
 * @param {number} [maxPixels]
 * @returns {RgbaImage | undefined}
 */
function decodePng(buffer, maxPixels = 4096 * 4096) {
	let size;
	try {
		size = readPngSize(buffer);
	} catch {
		return undefined;
	}
	const { width, height, colorType } = size;
	const channels = { 0: 1, 2: 3, 3: 1, 4: 2, 6: 4 }[colorType];
	if (!channels || buffer[24] !== 8 || buffer[28] !== 0 || width * height > maxPixels || width === 0 || height === 0) return undefined;
	/** @type {Buffer[]} */
	const idat = [];
	/** @type {Buffer} */
	let palette = Buffer.alloc(0);
	/** @type {Buffer} */
	let transparency = Buffer.alloc(0);
	for (let offset = 8; offset + 8 <= buffer.length; ) {
		const length = buffer.readUInt32BE(offset);
		const type = buffer.toString('latin1', offset + 4, offset + 8);
		const data = buffer.subarray(offset + 8, offset + 8 + length);
		if (type === 'IDAT') idat.push(data);
		else if (type === 'PLTE') palette = data;
		else if (type === 'tRNS') transparency = data;
		else if (type === 'IEND') break;
		offset += 12 + length;
	}
	let raw;
	try {
		raw = zlib.inflateSync(Buffer.concat(idat));
	} catch {
		return undefined;
	}
	const stride = width * channels;
	if (raw.length < (stride + 1) * height) return undefined;
	const rows = Buffer.alloc(stride * height);
	for (let y = 0; y < height; y++) {
		const filter = raw[y * (stride + 1)];
		const line = raw.subarray(y * (stride + 1) + 1, (y + 1) * (stride + 1));
		const out = rows.subarray(y * stride, (y + 1) * stride);
		const up = y > 0 ? rows.subarray((y - 1) * stride, y * stride) : undefined;
		for (let x = 0; x < stride; x++) {
			const a = x >= channels ? out[x - channels] : 0;
			const b = up ? up[x] : 0;
			const c = up && x >= channels ? up[x - channels] : 0;
			let predicted = 0;
			if (filter === 1) predicted = a;
			else if (filter === 2) predicted = b;
			else if (filter === 3) predicted = (a + b) >> 1;
			else if (filter === 4) {
				const p = a + b - c;
				const pa = Math.abs(p - a);
				const pb = Math.abs(p - b);
				const pc = Math.abs(p - c);
				predicted = pa <= pb && pa <= pc ? a : pb <= pc ? b : c;
			}
			out[x] = (line[x] + predicted) & 0xff;
		}
	}
	const pixels = Buffer.alloc(width * height * 4);
	for (let i = 0, s = 0, o = 0; i < width * height; i++, s += channels, o += 4) {
		if (colorType === 3) {
			const index = rows[s];
			pixels[o] = palette[index * 3] ?? 0;
			pixels[o + 1] = palette[index * 3 + 1] ?? 0;
			pixels[o + 2] = palette[index * 3 + 2] ?? 0;
			pixels[o + 3] = transparency[index] ?? 255;
		} else if (channels <= 2) {
			pixels[o] = pixels[o + 1] = pixels[o + 2] = rows[s];
			pixels[o + 3] = channels === 2 ? rows[s + 1] : 255;
		} else {
			pixels[o] = rows[s];
			pixels[o + 1] = rows[s + 1];
			pixels[o + 2] = rows[s + 2];
			pixels[o + 3] = channels === 4 ? rows[s + 3] : 255;
		}
	}
	return { width, height, channels: 4, pixels };
}

/**
 * The demo's edit: the whole input picture, scaled into a frame of the prompt's picture and tinted
 * by it (its palette and pattern), so that the result visibly starts from the input and still
 * depends on the prompt.
 * @param {RgbaImage} input
 * @param {string} prompt
 * @param {number} width
 * @param {number} height
 * @param {RenderOptions} [options]
 * @returns {RgbaImage}
 */
function renderEditImage(input, prompt, width, height, options = {}) {
	const overlay = renderPromptImage(prompt, width, height, options);
	const pixels = Buffer.alloc(width * height * 4);
	const frame = Math.max(1, Math.round(Math.min(width, height) * 0.08));
	const TINT = 0.3;
	// The whole input, scaled into the frame.
	const innerWidth = Math.max(1, width - 2 * frame);
	const innerHeight = Math.max(1, height - 2 * frame);
	for (let y = 0; y < height; y++) {
		const sy = Math.min(input.height - 1, Math.floor(((y - frame) * input.height) / innerHeight));
		for (let x = 0; x < width; x++) {
			const o = (y * width + x) * 4;
			const inFrame = x < frame || y < frame || x >= width - frame || y >= height - frame;
			if (inFrame) {
				overlay.pixels.copy(pixels, o, o, o + 4);
				continue;
			}
			const sx = Math.min(input.width - 1, Math.floor(((x - frame) * input.width) / innerWidth));
			const s = (sy * input.width + sx) * 4;
			for (let c = 0; c < 3; c++) pixels[o + c] = Math.round(input.pixels[s + c] * (1 - TINT) + overlay.pixels[o + c] * TINT);
			pixels[o + 3] = Math.max(input.pixels[s + 3], overlay.pixels[o + 3]);
		}
	}
	return { width, height, channels: 4, pixels };
}

/**
 * Read width, height and colour type from a PNG's IHDR chunk.
 * @param {Uint8Array} buffer
 * @returns {{ width: number, height: number, colorType: number }}
 */
function readPngSize(buffer) {
	const b = Buffer.isBuffer(buffer) ? buffer : Buffer.from(buffer.buffer, buffer.byteOffset, buffer.byteLength);
	const sig = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a];
	if (b.length < 29 || sig.some((v, i) => b[i] !== v) || b.toString('latin1', 12, 16) !== 'IHDR') {
		throw new Error('Not a PNG file');
	}
	return { width: b.readUInt32BE(16), height: b.readUInt32BE(20), colorType: b[25] };
}

// ---------------------------------------------------------------------------
// JPEG (baseline, JFIF, standard Huffman tables)
// ---------------------------------------------------------------------------

/** zigzag position -> natural (row-major) index */
const ZIGZAG_TO_NATURAL = (() => {
	const order = new Uint8Array(64);
	let x = 0;
	let y = 0;
	for (let k = 0; k < 64; k++) {
		order[k] = y * 8 + x;
		if ((x + y) % 2 === 0) {
			if (x === 7) y++;
			else if (y === 0) x++;
			else {
				x++;
				y--;
			}
		} else if (y === 7) x++;
		else if (x === 0) y++;
		else {
			x--;
			y++;
		}
	}
	return order;
})();

// ITU-T T.81 Annex K tables (natural order).
const STD_LUMA_QT = [
	16, 11, 10, 16, 24, 40, 51, 61, 12, 12, 14, 19, 26, 58, 60, 55, 14, 13, 16, 24, 40, 57, 69, 56, 14, 17, 22, 29, 51, 87,
	80, 62, 18, 22, 37, 56, 68, 109, 103, 77, 24, 35, 55, 64, 81, 104, 113, 92, 49, 64, 78, 87, 103, 121, 120, 101, 72, 92,
	95, 98, 112, 100, 103, 99,
];
const STD_CHROMA_QT = [
	17, 18, 24, 47, 99, 99, 99, 99, 18, 21, 26, 66, 99, 99, 99, 99, 24, 26, 56, 99, 99, 99, 99, 99, 47, 66, 99, 99, 99, 99,
	99, 99, 99, 99, 99, 99, 99, 99, 99, 99, 99, 99, 99, 99, 99, 99, 99, 99, 99, 99, 99, 99, 99, 99, 99, 99, 99, 99, 99, 99,
	99, 99, 99, 99,
];

const DC_LUMA_BITS = [0, 1, 5, 1, 1, 1, 1, 1, 1, 0, 0, 0, 0, 0, 0, 0];
const DC_LUMA_VALS = [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11];
const DC_CHROMA_BITS = [0, 3, 1, 1, 1, 1, 1, 1, 1, 1, 1, 0, 0, 0, 0, 0];
const DC_CHROMA_VALS = [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11];
const AC_LUMA_BITS = [0, 2, 1, 3, 3, 2, 4, 3, 5, 5, 4, 4, 0, 0, 1, 0x7d];
const AC_LUMA_VALS = [
	0x01, 0x02, 0x03, 0x00, 0x04, 0x11, 0x05, 0x12, 0x21, 0x31, 0x41, 0x06, 0x13, 0x51, 0x61, 0x07, 0x22, 0x71, 0x14, 0x32,
	0x81, 0x91, 0xa1, 0x08, 0x23, 0x42, 0xb1, 0xc1, 0x15, 0x52, 0xd1, 0xf0, 0x24, 0x33, 0x62, 0x72, 0x82, 0x09, 0x0a, 0x16,
	0x17, 0x18, 0x19, 0x1a, 0x25, 0x26, 0x27, 0x28, 0x29, 0x2a, 0x34, 0x35, 0x36, 0x37, 0x38, 0x39, 0x3a, 0x43, 0x44, 0x45,
	0x46, 0x47, 0x48, 0x49, 0x4a, 0x53, 0x54, 0x55, 0x56, 0x57, 0x58, 0x59, 0x5a, 0x63, 0x64, 0x65, 0x66, 0x67, 0x68, 0x69,
	0x6a, 0x73, 0x74, 0x75, 0x76, 0x77, 0x78, 0x79, 0x7a, 0x83, 0x84, 0x85, 0x86, 0x87, 0x88, 0x89, 0x8a, 0x92, 0x93, 0x94,
	0x95, 0x96, 0x97, 0x98, 0x99, 0x9a, 0xa2, 0xa3, 0xa4, 0xa5, 0xa6, 0xa7, 0xa8, 0xa9, 0xaa, 0xb2, 0xb3, 0xb4, 0xb5, 0xb6,
	0xb7, 0xb8, 0xb9, 0xba, 0xc2, 0xc3, 0xc4, 0xc5, 0xc6, 0xc7, 0xc8, 0xc9, 0xca, 0xd2, 0xd3, 0xd4, 0xd5, 0xd6, 0xd7, 0xd8,
	0xd9, 0xda, 0xe1, 0xe2, 0xe3, 0xe4, 0xe5, 0xe6, 0xe7, 0xe8, 0xe9, 0xea, 0xf1, 0xf2, 0xf3, 0xf4, 0xf5, 0xf6, 0xf7, 0xf8,
	0xf9, 0xfa,
];
const AC_CHROMA_BITS = [0, 2, 1, 2, 4, 4, 3, 4, 7, 5, 4, 4, 0, 1, 2, 0x77];
const AC_CHROMA_VALS = [
	0x00, 0x01, 0x02, 0x03, 0x11, 0x04, 0x05, 0x21, 0x31, 0x06, 0x12, 0x41, 0x51, 0x07, 0x61, 0x71, 0x13, 0x22, 0x32, 0x81,
	0x08, 0x14, 0x42, 0x91, 0xa1, 0xb1, 0xc1, 0x09, 0x23, 0x33, 0x52, 0xf0, 0x15, 0x62, 0x72, 0xd1, 0x0a, 0x16, 0x24, 0x34,
	0xe1, 0x25, 0xf1, 0x17, 0x18, 0x19, 0x1a, 0x26, 0x27, 0x28, 0x29, 0x2a, 0x35, 0x36, 0x37, 0x38, 0x39, 0x3a, 0x43, 0x44,
	0x45, 0x46, 0x47, 0x48, 0x49, 0x4a, 0x53, 0x54, 0x55, 0x56, 0x57, 0x58, 0x59, 0x5a, 0x63, 0x64, 0x65, 0x66, 0x67, 0x68,
	0x69, 0x6a, 0x73, 0x74, 0x75, 0x76, 0x77, 0x78, 0x79, 0x7a, 0x82, 0x83, 0x84, 0x85, 0x86, 0x87, 0x88, 0x89, 0x8a, 0x92,
	0x93, 0x94, 0x95, 0x96, 0x97, 0x98, 0x99, 0x9a, 0xa2, 0xa3, 0xa4, 0xa5, 0xa6, 0xa7, 0xa8, 0xa9, 0xaa, 0xb2, 0xb3, 0xb4,
	0xb5, 0xb6, 0xb7, 0xb8, 0xb9, 0xba, 0xc2, 0xc3, 0xc4, 0xc5, 0xc6, 0xc7, 0xc8, 0xc9, 0xca, 0xd2, 0xd3, 0xd4, 0xd5, 0xd6,
	0xd7, 0xd8, 0xd9, 0xda, 0xe2, 0xe3, 0xe4, 0xe5, 0xe6, 0xe7, 0xe8, 0xe9, 0xea, 0xf2, 0xf3, 0xf4, 0xf5, 0xf6, 0xf7, 0xf8,
	0xf9, 0xfa,
];

/**
 * Canonical Huffman codes from a (bits, vals) table: code/length per symbol.
 * @param {number[]} bits counts of codes of length 1..16
 * @param {number[]} vals symbols in code order
 * @returns {{ code: Uint16Array, len: Uint8Array }}
 */
function buildJpegHuffman(bits, vals) {
	const code = new Uint16Array(256);
	const len = new Uint8Array(256);
	let c = 0;
	let k = 0;
	for (let l = 1; l <= 16; l++) {
		for (let i = 0; i < bits[l - 1]; i++) {
			code[vals[k]] = c;
			len[vals[k]] = l;
			k++;
			c++;
		}
		c <<= 1;
	}
	return { code, len };
}

const AAN_SCALE = [1.0, 1.387039845, 1.306562965, 1.175875602, 1.0, 0.785694958, 0.5411961, 0.275899379];

/**
 * @param {number[]} base natural-order table
 * @param {number} quality
 * @returns {{ zigzag: Uint8Array, fdtbl: Float64Array }}
 */
function scaledQuantTable(base, quality) {
	const scale = quality < 50 ? Math.floor(5000 / quality) : 200 - quality * 2;
	const natural = new Uint8Array(64);
	for (let i = 0; i < 64; i++) {
		natural[i] = Math.min(255, Math.max(1, Math.floor((base[i] * scale + 50) / 100)));
	}
	const zigzag = new Uint8Array(64);
	for (let k = 0; k < 64; k++) zigzag[k] = natural[ZIGZAG_TO_NATURAL[k]];
	const fdtbl = new Float64Array(64);
	for (let row = 0; row < 8; row++) {
		for (let col = 0; col < 8; col++) {
			const i = row * 8 + col;
			fdtbl[i] = 1 / (natural[i] * AAN_SCALE[row] * AAN_SCALE[col] * 8);
		}
	}
	return { zigzag, fdtbl };
}

/** Growable byte sink. */
class ByteWriter {
	/** @param {number} initial */
	constructor(initial) {
		this.buf = new Uint8Array(Math.max(1024, initial));
		this.pos = 0;
	}

	/** @param {number} extra */
	ensure(extra) {
		if (this.pos + extra <= this.buf.length) return;
		let size = this.buf.length * 2;
		while (size < this.pos + extra) size *= 2;
		const next = new Uint8Array(size);
		next.set(this.buf.subarray(0, this.pos));
		this.buf = next;
	}

	/** @param {number} b */
	byte(b) {
		if (this.pos >= this.buf.length) this.ensure(1);
		this.buf[this.pos++] = b;
	}

	/** @param {ArrayLike<number>} bytes */
	bytes(bytes) {
		this.ensure(bytes.length);
		this.buf.set(bytes, this.pos);
		this.pos += bytes.length;
	}

	/** @param {number} v */
	u16be(v) {
		this.byte((v >> 8) & 0xff);
		this.byte(v & 0xff);
	}

	/** @returns {Buffer} */
	toBuffer() {
		return Buffer.from(this.buf.buffer, this.buf.byteOffset, this.pos);
	}
}

/**
 * Forward DCT (AAN, floating point) + quantisation, natural order in and out.
 * @param {Float64Array} data 64 level-shifted samples (modified in place)
 * @param {Float64Array} fdtbl
 * @param {Int32Array} out
 */
function fdctQuant(data, fdtbl, out) {
	for (let off = 0; off < 64; off += 8) {
		const t0 = data[off] + data[off + 7];
		const t7 = data[off] - data[off + 7];
		const t1 = data[off + 1] + data[off + 6];
		const t6 = data[off + 1] - data[off + 6];
		const t2 = data[off + 2] + data[off + 5];
		const t5 = data[off + 2] - data[off + 5];
		const t3 = data[off + 3] + data[off + 4];
		const t4 = data[off + 3] - data[off + 4];
		let t10 = t0 + t3;
		const t13 = t0 - t3;
		let t11 = t1 + t2;
		let t12 = t1 - t2;
		data[off] = t10 + t11;
		data[off + 4] = t10 - t11;
		const z1 = (t12 + t13) * 0.707106781;
		data[off + 2] = t13 + z1;
		data[off + 6] = t13 - z1;
		t10 = t4 + t5;
		t11 = t5 + t6;
		t12 = t6 + t7;
		const z5 = (t10 - t12) * 0.382683433;
		const z2 = 0.5411961 * t10 + z5;
		const z4 = 1.306562965 * t12 + z5;
		const z3 = t11 * 0.707106781;
		const z11 = t7 + z3;
		const z13 = t7 - z3;
		data[off + 5] = z13 + z2;
		data[off + 3] = z13 - z2;
		data[off + 1] = z11 + z4;
		data[off + 7] = z11 - z4;
	}
	for (let off = 0; off < 8; off++) {
		const t0 = data[off] + data[off + 56];
		const t7 = data[off] - data[off + 56];
		const t1 = data[off + 8] + data[off + 48];
		const t6 = data[off + 8] - data[off + 48];
		const t2 = data[off + 16] + data[off + 40];
		const t5 = data[off + 16] - data[off + 40];
		const t3 = data[off + 24] + data[off + 32];
		const t4 = data[off + 24] - data[off + 32];
		let t10 = t0 + t3;
		const t13 = t0 - t3;
		let t11 = t1 + t2;
		let t12 = t1 - t2;
		data[off] = t10 + t11;
		data[off + 32] = t10 - t11;
		const z1 = (t12 + t13) * 0.707106781;
		data[off + 16] = t13 + z1;
		data[off + 48] = t13 - z1;
		t10 = t4 + t5;
		t11 = t5 + t6;
		t12 = t6 + t7;
		const z5 = (t10 - t12) * 0.382683433;
		const z2 = 0.5411961 * t10 + z5;
		const z4 = 1.306562965 * t12 + z5;
		const z3 = t11 * 0.707106781;
		const z11 = t7 + z3;
		const z13 = t7 - z3;
		data[off + 40] = z13 + z2;
		data[off + 24] = z13 - z2;
		data[off + 8] = z11 + z4;
		data[off + 56] = z11 - z4;
	}
	for (let i = 0; i < 64; i++) {
		const v = data[i] * fdtbl[i];
		out[i] = v > 0 ? (v + 0.5) | 0 : (v - 0.5) | 0;
	}
}

/**
 * Encode as baseline JPEG (JFIF). Alpha is dropped.
 * @param {RgbaImage} image
 * @param {JpegOptions} [options]
 * @returns {Buffer}
 */
function encodeJpeg(image, options = {}) {
	checkImage(image);
	const { width, height, pixels } = image;
	if (width > 65535 || height > 65535) throw new RangeError('JPEG dimensions must be <= 65535');
	const quality = Math.min(100, Math.max(1, Math.round(options.quality === undefined ? 85 : options.quality)));
	const sub420 = (options.subsampling || '4:2:0') === '4:2:0';

	const qY = scaledQuantTable(STD_LUMA_QT, quality);
	const qC = scaledQuantTable(STD_CHROMA_QT, quality);
	const dcY = buildJpegHuffman(DC_LUMA_BITS, DC_LUMA_VALS);
	const acY = buildJpegHuffman(AC_LUMA_BITS, AC_LUMA_VALS);
	const dcC = buildJpegHuffman(DC_CHROMA_BITS, DC_CHROMA_VALS);
	const acC = buildJpegHuffman(AC_CHROMA_BITS, AC_CHROMA_VALS);

	const out = new ByteWriter(width * height + 1024);

	// SOI + APP0 (JFIF 1.01, no thumbnail)
	out.bytes([0xff, 0xd8, 0xff, 0xe0, 0x00, 0x10, 0x4a, 0x46, 0x49, 0x46, 0x00, 0x01, 0x01, 0x00, 0x00, 0x01, 0x00, 0x01, 0x00, 0x00]);
	// DQT: two 8-bit tables
	out.bytes([0xff, 0xdb]);
	out.u16be(2 + 2 * 65);
	out.byte(0x00);
	out.bytes(qY.zigzag);
	out.byte(0x01);
	out.bytes(qC.zigzag);
	// SOF0
	out.bytes([0xff, 0xc0]);
	out.u16be(17);
	out.byte(8);
	out.u16be(height);
	out.u16be(width);
	out.byte(3);
	out.bytes([1, sub420 ? 0x22 : 0x11, 0, 2, 0x11, 1, 3, 0x11, 1]);
	// DHT: four tables
	/** @type {[number, number[], number[]][]} */
	const dhts = [
		[0x00, DC_LUMA_BITS, DC_LUMA_VALS],
		[0x10, AC_LUMA_BITS, AC_LUMA_VALS],
		[0x01, DC_CHROMA_BITS, DC_CHROMA_VALS],
		[0x11, AC_CHROMA_BITS, AC_CHROMA_VALS],
	];
	out.bytes([0xff, 0xc4]);
	out.u16be(2 + dhts.reduce((n, [, , vals]) => n + 17 + vals.length, 0));
	for (const [cls, bits, vals] of dhts) {
		out.byte(cls);
		out.bytes(bits);
		out.bytes(vals);
	}
	// SOS
	out.bytes([0xff, 0xda, 0x00, 0x0c, 0x03, 0x01, 0x00, 0x02, 0x11, 0x03, 0x11, 0x00, 0x3f, 0x00]);

	// Entropy-coded data with byte stuffing.
	let bitBuf = 0;
	let bitCnt = 0;
	/** @param {number} code @param {number} len */
	const putBits = (code, len) => {
		bitBuf = (bitBuf << len) | (code & ((1 << len) - 1));
		bitCnt += len;
		while (bitCnt >= 8) {
			const b = (bitBuf >> (bitCnt - 8)) & 0xff;
			out.byte(b);
			if (b === 0xff) out.byte(0);
			bitCnt -= 8;
		}
		bitBuf &= (1 << bitCnt) - 1;
	};

	const block = new Float64Array(64);
	const coef = new Int32Array(64);
	const zz = new Int32Array(64);

	/**
	 * @param {Float64Array} fdtbl
	 * @param {number} prevDc
	 * @param {{ code: Uint16Array, len: Uint8Array }} dc
	 * @param {{ code: Uint16Array, len: Uint8Array }} ac
	 * @returns {number} new DC predictor
	 */
	const encodeBlock = (fdtbl, prevDc, dc, ac) => {
		fdctQuant(block, fdtbl, coef);
		for (let k = 0; k < 64; k++) zz[k] = coef[ZIGZAG_TO_NATURAL[k]];
		const diff = zz[0] - prevDc;
		if (diff === 0) {
			putBits(dc.code[0], dc.len[0]);
		} else {
			const mag = diff < 0 ? -diff : diff;
			const cat = 32 - Math.clz32(mag);
			putBits(dc.code[cat], dc.len[cat]);
			putBits(diff < 0 ? diff + (1 << cat) - 1 : diff, cat);
		}
		let end = 63;
		while (end > 0 && zz[end] === 0) end--;
		let run = 0;
		for (let k = 1; k <= end; k++) {
			let v = zz[k];
			if (v === 0) {
				run++;
				continue;
			}
			while (run >= 16) {
				putBits(ac.code[0xf0], ac.len[0xf0]);
				run -= 16;
			}
			// Baseline AC magnitudes are limited to 10 bits.
			if (v > 1023) v = 1023;
			else if (v < -1023) v = -1023;
			const mag = v < 0 ? -v : v;
			const cat = 32 - Math.clz32(mag);
			const sym = (run << 4) | cat;
			putBits(ac.code[sym], ac.len[sym]);
			putBits(v < 0 ? v + (1 << cat) - 1 : v, cat);
			run = 0;
		}
		if (end < 63) putBits(ac.code[0], ac.len[0]);
		return zz[0];
	};

	const mcu = sub420 ? 16 : 8;
	const yPlane = new Float64Array(mcu * mcu);
	const cbPlane = new Float64Array(mcu * mcu);
	const crPlane = new Float64Array(mcu * mcu);
	let dcYPrev = 0;
	let dcCbPrev = 0;
	let dcCrPrev = 0;
	const lastX = width - 1;
	const lastY = height - 1;

	for (let my = 0; my < height; my += mcu) {
		for (let mx = 0; mx < width; mx += mcu) {
			// Colour convert the MCU (edge pixels replicated).
			for (let yy = 0; yy < mcu; yy++) {
				const sy = my + yy > lastY ? lastY : my + yy;
				const rowBase = sy * width;
				for (let xx = 0; xx < mcu; xx++) {
					const sx = mx + xx > lastX ? lastX : mx + xx;
					const p = (rowBase + sx) * 4;
					const r = pixels[p];
					const g = pixels[p + 1];
					const b = pixels[p + 2];
					const i = yy * mcu + xx;
					yPlane[i] = 0.299 * r + 0.587 * g + 0.114 * b - 128;
					cbPlane[i] = -0.168736 * r - 0.331264 * g + 0.5 * b;
					crPlane[i] = 0.5 * r - 0.418688 * g - 0.081312 * b;
				}
			}
			if (sub420) {
				for (let by = 0; by < 16; by += 8) {
					for (let bx = 0; bx < 16; bx += 8) {
						for (let y = 0; y < 8; y++) {
							for (let x = 0; x < 8; x++) block[y * 8 + x] = yPlane[(by + y) * 16 + bx + x];
						}
						dcYPrev = encodeBlock(qY.fdtbl, dcYPrev, dcY, acY);
					}
				}
				for (let y = 0; y < 8; y++) {
					for (let x = 0; x < 8; x++) {
						const i = y * 32 + x * 2;
						block[y * 8 + x] = (cbPlane[i] + cbPlane[i + 1] + cbPlane[i + 16] + cbPlane[i + 17]) * 0.25;
					}
				}
				dcCbPrev = encodeBlock(qC.fdtbl, dcCbPrev, dcC, acC);
				for (let y = 0; y < 8; y++) {
					for (let x = 0; x < 8; x++) {
						const i = y * 32 + x * 2;
						block[y * 8 + x] = (crPlane[i] + crPlane[i + 1] + crPlane[i + 16] + crPlane[i + 17]) * 0.25;
					}
				}
				dcCrPrev = encodeBlock(qC.fdtbl, dcCrPrev, dcC, acC);
			} else {
				block.set(yPlane);
				dcYPrev = encodeBlock(qY.fdtbl, dcYPrev, dcY, acY);
				block.set(cbPlane);
				dcCbPrev = encodeBlock(qC.fdtbl, dcCbPrev, dcC, acC);
				block.set(crPlane);
				dcCrPrev = encodeBlock(qC.fdtbl, dcCrPrev, dcC, acC);
			}
		}
	}
	// Pad the last byte with 1 bits.
	if (bitCnt > 0) putBits(0x7f, 8 - bitCnt);
	out.bytes([0xff, 0xd9]);
	return out.toBuffer();
}

// ---------------------------------------------------------------------------
// WebP (lossless VP8L)
// ---------------------------------------------------------------------------

/** LSB-first bit writer (VP8L, GIF LZW). */
class LsbBitWriter {
	/** @param {number} initial */
	constructor(initial) {
		this.out = new ByteWriter(initial);
		this.acc = 0;
		this.n = 0;
	}

	/** @param {number} value @param {number} bits at most 24 */
	put(value, bits) {
		this.acc |= (value & ((1 << bits) - 1)) << this.n;
		this.n += bits;
		while (this.n >= 8) {
			this.out.byte(this.acc & 0xff);
			this.acc >>>= 8;
			this.n -= 8;
		}
	}

	/** @returns {Buffer} */
	finish() {
		if (this.n > 0) this.out.byte(this.acc & 0xff);
		this.acc = 0;
		this.n = 0;
		return this.out.toBuffer();
	}
}

/**
 * Huffman code lengths (limited to `maxLen` bits) for the given histogram.
 * Symbols with count 0 get length 0. Fewer than two used symbols yield a
 * degenerate result that callers must handle (see writeVp8lCode).
 * @param {Uint32Array} counts
 * @param {number} maxLen
 * @returns {Uint8Array}
 */
function huffmanLengths(counts, maxLen) {
	const n = counts.length;
	const lengths = new Uint8Array(n);
	/** @type {number[]} */
	const used = [];
	for (let i = 0; i < n; i++) if (counts[i] > 0) used.push(i);
	if (used.length === 0) return lengths;
	if (used.length === 1) {
		lengths[used[0]] = 1;
		return lengths;
	}
	// Raise small counts until the tree depth fits (same idea as libwebp).
	for (let countMin = 1; ; countMin *= 2) {
		/** @type {{ w: number, syms: number[] }[]} */
		let nodes = used.map((s) => ({ w: Math.max(counts[s], countMin), syms: [s] }));
		const depth = new Uint8Array(n);
		while (nodes.length > 1) {
			nodes.sort((a, b) => a.w - b.w);
			const [a, b] = nodes;
			for (const s of a.syms) depth[s]++;
			for (const s of b.syms) depth[s]++;
			nodes = [{ w: a.w + b.w, syms: a.syms.concat(b.syms) }, ...nodes.slice(2)];
		}
		let max = 0;
		for (const s of used) max = Math.max(max, depth[s]);
		if (max <= maxLen) {
			for (const s of used) lengths[s] = depth[s];
			return lengths;
		}
	}
}

/**
 * Canonical codes (deflate/VP8L convention), bit-reversed for an LSB-first
 * writer.
 * @param {Uint8Array} lengths
 * @returns {Uint16Array}
 */
function canonicalCodesReversed(lengths) {
	const blCount = new Uint16Array(16);
	for (let i = 0; i < lengths.length; i++) blCount[lengths[i]]++;
	blCount[0] = 0;
	const nextCode = new Uint16Array(16);
	let code = 0;
	for (let bits = 1; bits < 16; bits++) {
		code = (code + blCount[bits - 1]) << 1;
		nextCode[bits] = code;
	}
	const codes = new Uint16Array(lengths.length);
	for (let i = 0; i < lengths.length; i++) {
		const len = lengths[i];
		if (!len) continue;
		let c = nextCode[len]++;
		let r = 0;
		for (let b = 0; b < len; b++, c >>= 1) r = (r << 1) | (c & 1);
		codes[i] = r;
	}
	return codes;
}

const VP8L_CODE_LENGTH_ORDER = [17, 18, 0, 1, 2, 3, 4, 5, 16, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15];

/**
 * Write one VP8L prefix code for `counts` and return the per-symbol
 * (bit-reversed) codes and lengths to use when writing symbols.
 * @param {LsbBitWriter} w
 * @param {Uint32Array} counts
 * @returns {{ codes: Uint16Array, lengths: Uint8Array }}
 */
function writeVp8lCode(w, counts) {
	/** @type {number[]} */
	const used = [];
	for (let i = 0; i < counts.length && used.length < 3; i++) if (counts[i] > 0) used.push(i);
	const lengths = new Uint8Array(counts.length);
	if (used.length <= 2 && used.every((s) => s < 256)) {
		// Simple code: one symbol (0 bits per use) or two symbols (1 bit).
		const syms = used.length ? used : [0];
		w.put(1, 1);
		w.put(syms.length - 1, 1);
		if (syms[0] < 2) {
			w.put(0, 1);
			w.put(syms[0], 1);
		} else {
			w.put(1, 1);
			w.put(syms[0], 8);
		}
		if (syms.length === 2) {
			w.put(syms[1], 8);
			lengths[syms[0]] = 1;
			lengths[syms[1]] = 1;
			return { codes: canonicalCodesReversed(lengths), lengths };
		}
		return { codes: new Uint16Array(counts.length), lengths };
	}

	const symLengths = huffmanLengths(counts, 15);
	// Code-length code over the 16 literal lengths (no repeat codes used).
	const clCounts = new Uint32Array(19);
	for (let i = 0; i < symLengths.length; i++) clCounts[symLengths[i]]++;
	let clUsed = 0;
	for (let i = 0; i < 19; i++) if (clCounts[i]) clUsed++;
	if (clUsed < 2) clCounts[clCounts[0] ? 1 : 0] = 1; // keep the code-length code a real tree
	const clLengths = huffmanLengths(clCounts, 7);
	const clCodes = canonicalCodesReversed(clLengths);
	let numCl = 19;
	while (numCl > 4 && clLengths[VP8L_CODE_LENGTH_ORDER[numCl - 1]] === 0) numCl--;
	w.put(0, 1); // normal code
	w.put(numCl - 4, 4);
	for (let i = 0; i < numCl; i++) w.put(clLengths[VP8L_CODE_LENGTH_ORDER[i]], 3);
	w.put(0, 1); // max_symbol = alphabet size
	for (let i = 0; i < symLengths.length; i++) {
		const l = symLengths[i];
		w.put(clCodes[l], clLengths[l]);
	}
	return { codes: canonicalCodesReversed(symLengths), lengths: symLengths };
}

/**
 * VP8L length/distance prefix coding.
 * @param {number} value >= 1
 * @returns {[number, number, number]} prefix, extra bit count, extra bits
 */
function vp8lPrefix(value) {
	if (value <= 4) return [value - 1, 0, 0];
	const d = value - 1;
	const high = 31 - Math.clz32(d);
	const second = (d >> (high - 1)) & 1;
	const extraBits = high - 1;
	return [2 * high + second, extraBits, d & ((1 << extraBits) - 1)];
}

/**
 * Encode as lossless WebP (VP8L): no transforms and no colour cache; runs
 * are coded as back-references to the left or upper pixel, and every
 * channel gets its own Huffman code.
 * @param {RgbaImage} image
 * @returns {Buffer}
 */
function encodeWebp(image) {
	checkImage(image);
	const { width, height, pixels } = image;
	if (width > 16384 || height > 16384) throw new RangeError('WebP dimensions must be <= 16384');
	const n = width * height;
	const argb = new Uint32Array(n);
	let alphaUsed = false;
	for (let i = 0, p = 0; i < n; i++, p += 4) {
		argb[i] = ((pixels[p + 3] << 24) | (pixels[p] << 16) | (pixels[p + 1] << 8) | pixels[p + 2]) >>> 0;
		if (pixels[p + 3] !== 255) alphaUsed = true;
	}

	// Tokens: literal (length 0) or copy of `len` pixels from the left (plane
	// code 2, distance 1) or from the row above (plane code 1, distance width).
	const MAX_LEN = 4096;
	const tokLen = new Uint16Array(n);
	const tokDist = new Uint8Array(n);
	let tokens = 0;
	const gCounts = new Uint32Array(256 + 24);
	const rCounts = new Uint32Array(256);
	const bCounts = new Uint32Array(256);
	const aCounts = new Uint32Array(256);
	const dCounts = new Uint32Array(40);
	for (let i = 0; i < n; ) {
		let left = 0;
		if (i >= 1) while (left < MAX_LEN && i + left < n && argb[i + left] === argb[i + left - 1]) left++;
		let up = 0;
		if (i >= width && width > 1) {
			while (up < MAX_LEN && i + up < n && argb[i + up] === argb[i + up - width]) up++;
		}
		const len = Math.max(left, up);
		if (len >= 3) {
			tokLen[tokens] = len;
			tokDist[tokens] = up > left ? 1 : 2;
			gCounts[256 + vp8lPrefix(len)[0]]++;
			dCounts[vp8lPrefix(tokDist[tokens])[0]]++;
			tokens++;
			i += len;
		} else {
			const c = argb[i];
			tokLen[tokens++] = 0;
			gCounts[(c >>> 8) & 0xff]++;
			rCounts[(c >>> 16) & 0xff]++;
			bCounts[c & 0xff]++;
			aCounts[c >>> 24]++;
			i++;
		}
	}

	const w = new LsbBitWriter(n + 1024);
	w.put(0x2f, 8); // signature
	w.put(width - 1, 14);
	w.put(height - 1, 14);
	w.put(alphaUsed ? 1 : 0, 1);
	w.put(0, 3); // version
	w.put(0, 1); // no transform
	w.put(0, 1); // no colour cache
	w.put(0, 1); // no meta prefix codes
	const G = writeVp8lCode(w, gCounts);
	const R = writeVp8lCode(w, rCounts);
	const B = writeVp8lCode(w, bCounts);
	const A = writeVp8lCode(w, aCounts);
	const D = writeVp8lCode(w, dCounts);

	for (let t = 0, i = 0; t < tokens; t++) {
		const len = tokLen[t];
		if (len === 0) {
			const c = argb[i++];
			const g = (c >>> 8) & 0xff;
			const r = (c >>> 16) & 0xff;
			const b = c & 0xff;
			const a = c >>> 24;
			w.put(G.codes[g], G.lengths[g]);
			w.put(R.codes[r], R.lengths[r]);
			w.put(B.codes[b], B.lengths[b]);
			w.put(A.codes[a], A.lengths[a]);
		} else {
			const [lp, lBits, lExtra] = vp8lPrefix(len);
			w.put(G.codes[256 + lp], G.lengths[256 + lp]);
			w.put(lExtra, lBits);
			const dp = vp8lPrefix(tokDist[t])[0];
			w.put(D.codes[dp], D.lengths[dp]);
			i += len;
		}
	}
	const data = w.finish();
	const pad = data.length & 1;
	const header = Buffer.alloc(20);
	header.write('RIFF', 0, 'latin1');
	header.writeUInt32LE(4 + 8 + data.length + pad, 4);
	header.write('WEBP', 8, 'latin1');
	header.write('VP8L', 12, 'latin1');
	header.writeUInt32LE(data.length, 16);
	return Buffer.concat([header, data, Buffer.alloc(pad)]);
}

// ---------------------------------------------------------------------------
// GIF (GIF89a, one frame, global palette, LZW)
// ---------------------------------------------------------------------------

/**
 * Palette + indices: exact when the image has <= 256 colours (transparent
 * pixels, alpha < 128, share one entry), else a fixed 6x7x6 colour cube.
 * @param {RgbaImage} image
 * @returns {{ palette: number[][], indices: Uint8Array, transparentIndex: number }}
 */
function quantize(image) {
	const { pixels } = image;
	const n = image.width * image.height;
	const indices = new Uint8Array(n);
	/** @type {Map<number, number>} */
	const map = new Map();
	/** @type {number[][]} */
	const palette = [];
	let transparentIndex = -1;
	let exact = true;
	for (let i = 0, p = 0; i < n; i++, p += 4) {
		const key = pixels[p + 3] < 128 ? -1 : (pixels[p] << 16) | (pixels[p + 1] << 8) | pixels[p + 2];
		let idx = map.get(key);
		if (idx === undefined) {
			if (palette.length === 256) {
				exact = false;
				break;
			}
			idx = palette.length;
			map.set(key, idx);
			if (key === -1) {
				transparentIndex = idx;
				palette.push([0, 0, 0]);
			} else {
				palette.push([pixels[p], pixels[p + 1], pixels[p + 2]]);
			}
		}
		indices[i] = idx;
	}
	if (exact) return { palette, indices, transparentIndex };

	const cube = [];
	for (let r = 0; r < 6; r++) {
		for (let g = 0; g < 7; g++) {
			for (let b = 0; b < 6; b++) cube.push([Math.round((r * 255) / 5), Math.round((g * 255) / 6), Math.round((b * 255) / 5)]);
		}
	}
	const lr = new Uint8Array(256);
	const lg = new Uint8Array(256);
	const lb = new Uint8Array(256);
	for (let v = 0; v < 256; v++) {
		lr[v] = Math.round((v * 5) / 255) * 42;
		lg[v] = Math.round((v * 6) / 255) * 6;
		lb[v] = Math.round((v * 5) / 255);
	}
	transparentIndex = -1;
	for (let i = 0, p = 0; i < n; i++, p += 4) {
		if (pixels[p + 3] < 128) {
			transparentIndex = 252;
			indices[i] = 252;
		} else {
			indices[i] = lr[pixels[p]] + lg[pixels[p + 1]] + lb[pixels[p + 2]];
		}
	}
	if (transparentIndex >= 0) cube.push([0, 0, 0]);
	return { palette: cube, indices, transparentIndex };
}

/**
 * GIF LZW compression, packed into sub-blocks.
 * @param {Uint8Array} indices
 * @param {number} minCodeSize
 * @param {ByteWriter} out
 */
function lzwEncode(indices, minCodeSize, out) {
	const clearCode = 1 << minCodeSize;
	const eoi = clearCode + 1;
	const HASH_SIZE = 8192; // > 4096 entries, power of two
	const hashKeys = new Int32Array(HASH_SIZE).fill(-1);
	const hashCodes = new Int16Array(HASH_SIZE);
	const bw = new LsbBitWriter(indices.length + 64);
	let codeSize = minCodeSize + 1;
	let nextCode = eoi + 1;
	bw.put(clearCode, codeSize);
	let cur = indices[0];
	for (let i = 1; i < indices.length; i++) {
		const k = indices[i];
		const key = (cur << 8) | k;
		let h = (Math.imul(key, 0x9e3779b1) >>> 19) & (HASH_SIZE - 1);
		let found = -1;
		while (hashKeys[h] !== -1) {
			if (hashKeys[h] === key) {
				found = hashCodes[h];
				break;
			}
			h = (h + 1) & (HASH_SIZE - 1);
		}
		if (found >= 0) {
			cur = found;
			continue;
		}
		bw.put(cur, codeSize);
		if (nextCode === 4096) {
			bw.put(clearCode, codeSize);
			hashKeys.fill(-1);
			nextCode = eoi + 1;
			codeSize = minCodeSize + 1;
		} else {
			if (nextCode >= 1 << codeSize) codeSize++;
			hashKeys[h] = key;
			hashCodes[h] = nextCode++;
		}
		cur = k;
	}
	bw.put(cur, codeSize);
	bw.put(eoi, codeSize);
	const data = bw.finish();
	out.byte(minCodeSize);
	for (let off = 0; off < data.length; off += 255) {
		const len = Math.min(255, data.length - off);
		out.byte(len);
		out.bytes(data.subarray(off, off + len));
	}
	out.byte(0);
}

/**
 * Encode as a single-frame GIF89a (exact palette when <= 256 colours,
 * otherwise a fixed colour cube; alpha < 128 becomes transparent).
 * @param {RgbaImage} image
 * @returns {Buffer}
 */
function encodeGif(image) {
	checkImage(image);
	const { width, height } = image;
	if (width > 65535 || height > 65535) throw new RangeError('GIF dimensions must be <= 65535');
	const { palette, indices, transparentIndex } = quantize(image);
	let bits = 1;
	while (1 << bits < palette.length) bits++;
	const out = new ByteWriter(width * height + 1024);
	out.bytes([0x47, 0x49, 0x46, 0x38, 0x39, 0x61]); // GIF89a
	out.byte(width & 0xff);
	out.byte(width >> 8);
	out.byte(height & 0xff);
	out.byte(height >> 8);
	out.byte(0x80 | ((bits - 1) << 4) | (bits - 1)); // global colour table
	out.byte(0); // background colour index
	out.byte(0); // aspect ratio
	for (let i = 0; i < 1 << bits; i++) {
		const c = palette[i] || [0, 0, 0];
		out.bytes(c);
	}
	if (transparentIndex >= 0) {
		out.bytes([0x21, 0xf9, 0x04, 0x01, 0x00, 0x00, transparentIndex, 0x00]);
	}
	out.byte(0x2c);
	out.bytes([0, 0, 0, 0]);
	out.byte(width & 0xff);
	out.byte(width >> 8);
	out.byte(height & 0xff);
	out.byte(height >> 8);
	out.byte(0); // no local table, not interlaced
	lzwEncode(indices, Math.max(2, bits), out);
	out.byte(0x3b);
	return out.toBuffer();
}

/**
 * An animated GIF of several frames of one size (gpt-image-2.6's output_format "gif"): each
 * frame's own palette as a local colour table, `delayMs` per frame, looping forever.
 * @param {RgbaImage[]} frames
 * @param {number} delayMs
 * @returns {Buffer}
 */
function encodeAnimatedGif(frames, delayMs) {
	const { width, height } = frames[0];
	const out = new ByteWriter(width * height * frames.length + 1024);
	out.bytes([0x47, 0x49, 0x46, 0x38, 0x39, 0x61]);
	out.bytes([width & 0xff, width >> 8, height & 0xff, height >> 8, 0x00, 0, 0]); // no global colour table
	out.bytes([0x21, 0xff, 0x0b, ...Buffer.from('NETSCAPE2.0'), 0x03, 0x01, 0x00, 0x00, 0x00]); // loop forever
	const delay = Math.round(delayMs / 10);
	for (const frame of frames) {
		const single = encodeGif(frame);
		const packed = single[10];
		const table = 3 * 2 ** ((packed & 0x07) + 1);
		let offset = 13 + table;
		if (single[offset] === 0x21) offset += 8;
		out.bytes([0x21, 0xf9, 0x04, 0x00, delay & 0xff, delay >> 8, 0x00, 0x00]);
		out.bytes([...single.subarray(offset, offset + 9)]);
		out.byte(0x80 | (packed & 0x07)); // the frame's palette as a local colour table
		out.bytes([...single.subarray(13, 13 + table)]);
		out.bytes([...single.subarray(offset + 10, single.length - 1)]);
	}
	out.byte(0x3b);
	return out.toBuffer();
}

/**
 * A vector image as gpt-image-2.6 returns it for output_format "svg": an XML prolog, then an
 * <svg> with width, height and viewBox, shapes coloured from the prompt.
 * @param {string} prompt
 * @param {number} width
 * @param {number} height
 * @returns {Buffer}
 */
function encodeSvg(prompt, width, height) {
	const image = renderPromptImage(prompt, 8, 8);
	const colour = (/** @type {number} */ index) => `rgb(${image.pixels[index * 4]},${image.pixels[index * 4 + 1]},${image.pixels[index * 4 + 2]})`;
	const text = prompt.replace(/[<>&"]/g, ' ').slice(0, 60);
	return Buffer.from(
		`<?xml version="1.0" encoding="UTF-8"?>\n<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}">` +
			`<rect width="${width}" height="${height}" fill="${colour(0)}"/>` +
			`<circle cx="${width / 2}" cy="${height / 2}" r="${Math.min(width, height) / 3}" fill="${colour(1)}"/>` +
			`<text x="16" y="${height - 16}" font-size="24">${text}</text></svg>\n`,
	);
}

// ---------------------------------------------------------------------------
// Dispatcher
// ---------------------------------------------------------------------------

/** MIME type per format. */
const MIME_TYPES = /** @type {const} */ ({
	png: 'image/png',
	jpeg: 'image/jpeg',
	jpg: 'image/jpeg',
	webp: 'image/webp',
	gif: 'image/gif',
});

/**
 * Encode an image in the given format.
 * @param {ImageFormat} format
 * @param {RgbaImage} image
 * @param {EncodeOptions} [options]
 * @returns {Buffer}
 */
function encodeImage(format, image, options = {}) {
	switch (String(format).toLowerCase()) {
		case 'png':
			return encodePng(image, options);
		case 'jpeg':
		case 'jpg':
			return encodeJpeg(image, options);
		case 'webp':
			return encodeWebp(image);
		case 'gif':
			return encodeGif(image);
		default:
			throw new Error(`Unsupported image format: ${format}`);
	}
}

module.exports = {
	renderPromptImage,
	renderEditImage,
	decodePng,
	describePrompt,
	encodePng,
	encodeJpeg,
	encodeWebp,
	encodeGif,
	encodeAnimatedGif,
	encodeSvg,
	encodeImage,
	readPngSize,
	crc32,
	MIME_TYPES,
};
