/** File names for images; what the bytes are is read in transport/imageFormat.ts. */
export {
	MAX_INSPECTED_BYTES,
	enoughToInspect,
	detectImageFormat,
	imageDimensions,
	inspectImage,
	notAnImage,
	type Dimensions,
	type ImageFormat,
	type StoredImage,
} from '../transport/imageFormat';

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

/** The longest file name stem, in characters: room for "-12.jpeg" within common name limits, readable in a list. */
const MAX_STEM = 48;

/**
 * A file name stem from the prompt: lower-case ASCII words joined by dashes, no path separators,
 * so the name works in every file system, archive, header and mail client. Accents are dropped
 * ("Crème brûlée" → "creme-brulee"), Greek and Cyrillic romanised; a prompt with nothing left
 * (Chinese, Japanese, Arabic, ... or only symbols) gives the fallback ("image", "edited", ...).
 */
export function fileStem(prompt: string | undefined, fallback = 'image'): string {
	const words = Array.from((prompt ?? '').toLowerCase(), asciiLetters)
		.join('')
		.replace(/[^a-z0-9]+/g, '-')
		.replace(/^-+|-+$/g, '');
	if (words.length <= MAX_STEM) return words || fallback;
	// Cut after the last whole word that fits ("a-snowy-forest" → "a-snowy", not "a-snowy-f"); a
	// single word longer than the limit is cut at the limit.
	const lastDash = words.lastIndexOf('-', MAX_STEM);
	return lastDash > 0 ? words.slice(0, lastDash) : words.slice(0, MAX_STEM);
}
