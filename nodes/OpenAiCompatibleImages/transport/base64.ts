/**
 * Base64 decoded piece by piece as it arrives, from the raw bytes of a JSON string (so `\/` means
 * `/`, and `\n` escapes are line breaks), without ever making a string of the whole value. Pieces
 * may split anything: a group of four characters, an escape, the padding.
 */
const ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';
const SKIP = -1;
const INVALID = -2;
const BACKSLASH = 0x5c;
const DECODE = new Int8Array(256).fill(INVALID);
for (let index = 0; index < ALPHABET.length; index++) DECODE[ALPHABET.charCodeAt(index)] = index;
DECODE['-'.charCodeAt(0)] = 62; // base64url
DECODE['_'.charCodeAt(0)] = 63;
for (const ignored of ' \t\r\n=') DECODE[ignored.charCodeAt(0)] = SKIP;

/**
 * Characters decoded per native call: a multiple of 4, and small enough for V8 to make the text
 * a young, short-lived string (slices of 256 KB and more go to its large-object space and
 * decode four times slower).
 */
const NATIVE_SLICE = 32 * 1024;

const EMPTY = Buffer.alloc(0);

export class Base64Decoder {
	/** Characters of the last piece not decoded yet: part of a group (fast path), or a lone backslash. */
	private carry = EMPTY;
	/** Once a piece held anything but plain base64, the rest goes character by character. */
	private careful = false;
	private bits = 0;
	private count = 0;

	/** The bytes of the next piece (possibly none yet); undefined when the text is not base64. */
	push(raw: Buffer): Buffer | undefined {
		const input = this.carry.length > 0 ? Buffer.concat([this.carry, raw]) : raw;
		this.carry = EMPTY;
		return this.careful ? this.decodeCarefully(input, false) : this.decodeNatively(input);
	}

	/** The last bytes, at the end of the value; undefined when it does not end as base64 can. */
	finish(): Buffer | undefined {
		const rest = this.carry;
		this.carry = EMPTY;
		if (!this.careful) {
			this.careful = true;
			if (rest.length === 0) return EMPTY;
		}
		return this.decodeCarefully(rest, true);
	}

	/**
	 * Node's own decoder (about three times faster than a loop in JavaScript), a slice at a time.
	 * Node skips characters outside the alphabet silently, so a slice that decodes to fewer bytes
	 * than its length promises (whitespace, escapes, garbage) goes to the careful decoder, as does
	 * everything after it.
	 */
	private decodeNatively(input: Buffer): Buffer | undefined {
		const usable = input.length - (input.length % 4);
		const out = Buffer.allocUnsafe((usable / 4) * 3);
		let written = 0;
		for (let start = 0; start < usable; start += NATIVE_SLICE) {
			const end = Math.min(start + NATIVE_SLICE, usable);
			const text = input.toString('latin1', start, end);
			const padding = text.endsWith('==') ? 2 : text.endsWith('=') ? 1 : 0;
			const decoded = out.write(text, written, 'base64');
			if (decoded !== ((end - start) / 4) * 3 - padding || (padding > 0 && end < input.length)) {
				this.careful = true;
				const rest = this.decodeCarefully(input.subarray(start), false);
				return rest && Buffer.concat([out.subarray(0, written), rest]);
			}
			written += decoded;
		}
		if (usable < input.length) this.carry = Buffer.from(input.subarray(usable));
		return out.subarray(0, written);
	}

	/** Base64 with JSON escapes, line breaks or padding in odd places, checked character by character. */
	private decodeCarefully(raw: Buffer, last: boolean): Buffer | undefined {
		const out = Buffer.allocUnsafe(Math.floor((raw.length * 3) / 4) + 3);
		let written = 0;
		let { bits, count } = this;
		let index = 0;
		while (index < raw.length) {
			if (count === 0) {
				// Fast path: whole groups of four alphabet characters, which is nearly all of it.
				for (; index + 4 <= raw.length; index += 4) {
					const a = DECODE[raw[index]];
					const b = DECODE[raw[index + 1]];
					const c = DECODE[raw[index + 2]];
					const d = DECODE[raw[index + 3]];
					if ((a | b | c | d) < 0) break;
					out[written++] = (a << 2) | (b >> 4);
					out[written++] = ((b & 15) << 4) | (c >> 2);
					out[written++] = ((c & 3) << 6) | d;
				}
				if (index >= raw.length) break;
			}
			let byte = raw[index++];
			if (byte === BACKSLASH) {
				if (index >= raw.length) {
					// The escape goes on in the next piece.
					if (last) return undefined;
					this.carry = Buffer.from([BACKSLASH]);
					break;
				}
				const escaped = raw[index++];
				if (escaped === 0x2f) byte = escaped; // \/
				else if (escaped === 0x6e || escaped === 0x72 || escaped === 0x74) continue; // \n \r \t
				else return undefined;
			}
			const value = DECODE[byte];
			if (value === SKIP) continue;
			if (value === INVALID) return undefined;
			bits = (bits << 6) | value;
			if (++count === 4) {
				out[written++] = (bits >> 16) & 0xff;
				out[written++] = (bits >> 8) & 0xff;
				out[written++] = bits & 0xff;
				bits = 0;
				count = 0;
			}
		}
		if (last) {
			if (count === 1) return undefined;
			if (count === 2) out[written++] = (bits >> 4) & 0xff;
			if (count === 3) {
				out[written++] = (bits >> 10) & 0xff;
				out[written++] = (bits >> 2) & 0xff;
			}
			bits = 0;
			count = 0;
		}
		this.bits = bits;
		this.count = count;
		return out.subarray(0, written);
	}
}

/** Bytes that may appear in the base64 of a data: URL inside text (alphabet, padding, base64url). */
export const BASE64_BYTE = new Uint8Array(256);
for (const char of `${ALPHABET}=_-`) BASE64_BYTE[char.charCodeAt(0)] = 1;

/** Whether raw JSON string bytes look like base64 throughout (alphabet, padding, whitespace, `\/` and `\n`-style escapes). */
export function looksLikeBase64(raw: Buffer): boolean {
	for (let index = 0; index < raw.length; index++) {
		const byte = raw[index];
		if (DECODE[byte] !== INVALID) continue;
		if (byte === BACKSLASH && index + 1 < raw.length && [0x2f, 0x6e, 0x72, 0x74].includes(raw[index + 1])) {
			index++;
			continue;
		}
		if (byte === BACKSLASH && index + 1 === raw.length) continue;
		return false;
	}
	return true;
}
