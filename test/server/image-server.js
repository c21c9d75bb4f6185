// @ts-check
/**
 * An OpenAI-compatible image server on loopback, for the tests and the demo.
 *
 * It speaks the Images API (generations, edits, variations, models; OpenAI and Azure paths),
 * answers with real PNG/JPEG/WebP pictures drawn from the prompt, records every request it
 * receives (headers, JSON body, multipart parts, timing, overlap), and misbehaves on demand:
 * `server.respondNext(behaviour)` shapes the answer to the next API request.
 */
const http = require('node:http');
const crypto = require('node:crypto');
const { renderPromptImage, renderEditImage, decodePng, encodeImage, encodeAnimatedGif, encodeSvg } = require('./images');
const { askOf, chatCompletion, nativeAnswer } = require('./shapes');

/**
 * @typedef {{ name: string, filename?: string, contentType?: string, size: number, head: string, data: Buffer }} Part
 * @typedef {{
 *   method: string, path: string, query: Record<string, string>, headers: import('node:http').IncomingHttpHeaders,
 *   body?: any, parts?: Part[], raw: Buffer, startedAt: number, endedAt?: number, kind: string,
 *   status?: number, images?: ServedImage[]
 * }} RecordedRequest
 * `status` is the HTTP status answered; `images` the pictures the answer carried (inline or as URLs
 * to download) or, for a download, the file sent.
 * @typedef {{ index: number, mimeType: string, size: number, sha256: string, bytes: Buffer }} ServedImage
 * @typedef {{
 *   status?: number, json?: any, text?: string, html?: string, headers?: Record<string, string>,
 *   delayMs?: number, shape?: 'url' | 'dataUrlInB64' | 'dataUrlInUrl' | 'emptyUrlBesideB64' | 'siliconflow' | 'together' | 'noCreated' | 'empty' | 'noImageData' | 'invalidBase64' | 'notAnImage' | 'error200' | import('./shapes').ChatShape,
 *   count?: number,
 *   format?: 'png' | 'jpeg' | 'webp' | 'gif', destroy?: boolean, hang?: boolean, truncate?: boolean, times?: number,
 *   only?: string, when?: (request: RecordedRequest) => boolean, redirect?: string, stall?: boolean, trickleMs?: number, blocked?: number,
 *   reset?: boolean, pauseUntil?: Promise<unknown>, chunkBytes?: number
 * }} Behaviour
 * `count` answers with that many images whatever was asked (a provider that returns fewer);
 * `blocked` withholds the first that many of them in a native answer, as a safety filter does.
 * Chat completions (`/chat/completions`) answer with `message.images[]` unless `shape` picks another
 * of the chat shapes in shapes.js; provider-native requests get their provider's answer (shapes.js).
 * `only: 'download'` applies a behaviour to the next image download (`/files/...`), `only: 'other'`
 * to the next request to an unknown path; neither takes behaviours without it. `when` limits a
 * behaviour to the requests it returns true for (e.g. one item's prompt), whatever order they
 * arrive in.
 * `redirect` answers 302 (or `status` when it is a 3xx) with that Location; 'self' redirects to the
 * request's own path, a loop. The body-shaping behaviours apply to API answers and downloads alike:
 * `truncate` sends half the body, then closes the connection; `reset` sends half the body, then
 * resets the connection (TCP RST); `stall` sends the headers and half the
 * body, then nothing more while keeping the connection open; `trickleMs` sends one byte per interval
 * for ever; `pauseUntil` sends half the body, waits for the promise, then sends the rest (to look
 * at the client while a body is half-way). `chunkBytes` sends a `text` body in pieces of that many
 * bytes, each written once the one before has gone out.
 */

const DEFAULT_MODELS = [
	'gpt-4o', 'gpt-image-1', 'gpt-image-1-mini', 'gpt-image-1.5', 'gpt-image-2', 'dall-e-2', 'dall-e-3',
	'text-embedding-3-small', 'doubao-seedream-4-0-250828', 'black-forest-labs/FLUX.1-schnell', 'whisper-1',
];

/** @param {Buffer} raw @param {string} boundary @returns {Part[]} */
function parseMultipart(raw, boundary) {
	/** @type {Part[]} */
	const parts = [];
	const delimiter = Buffer.from(`--${boundary}`);
	let start = raw.indexOf(delimiter);
	while (start !== -1) {
		const next = raw.indexOf(delimiter, start + delimiter.length);
		if (next === -1) break;
		const chunk = raw.subarray(start + delimiter.length + 2, next - 2);
		const headerEnd = chunk.indexOf('\r\n\r\n');
		if (headerEnd !== -1) {
			const head = chunk.subarray(0, headerEnd).toString('utf8');
			const data = chunk.subarray(headerEnd + 4);
			const name = /name="([^"]*)"/i.exec(head)?.[1] ?? '';
			const filename = /filename="([^"]*)"/i.exec(head)?.[1];
			const contentType = /content-type:\s*([^\r\n]+)/i.exec(head)?.[1]?.trim();
			parts.push({ name, filename, contentType, size: data.length, head: data.subarray(0, 8).toString('hex'), data });
		}
		start = next;
	}
	return parts;
}

/** Digest and base64 per Buffer: a benchmark serves one picture many times, and the server's CPU is not what it measures. */
const digests = new WeakMap();
const base64s = new WeakMap();
/** @param {Buffer} bytes @returns {string} */
const sha256 = (bytes) => {
	if (!digests.has(bytes)) digests.set(bytes, crypto.createHash('sha256').update(bytes).digest('hex'));
	return digests.get(bytes);
};
/** @param {Buffer} bytes @returns {string} */
const base64 = (bytes) => {
	if (!base64s.has(bytes)) base64s.set(bytes, bytes.toString('base64'));
	return base64s.get(bytes);
};

/** @param {string | undefined} size @param {{ width: number, height: number }} fallback */
function dimensionsOf(size, fallback) {
	const match = /^(\d+)x(\d+)$/.exec(size ?? '');
	return match ? { width: Number(match[1]), height: Number(match[2]) } : fallback;
}

/**
 * @param {{ host?: string, port?: number, latencyMs?: number, apiKey?: string, models?: string[],
 *   imageSize?: { width: number, height: number }, noise?: boolean, keepBodies?: boolean,
 *   log?: (line: string) => void, strictPaths?: boolean, openAi2026?: boolean }} [options]
 * `openAi2026` answers as OpenAI does in December 2026: retired models 404 (model_not_found),
 * xhigh/max quality only from gpt-image-2.5, GIF and SVG output only from gpt-image-2.6;
 * `imageSize` draws every picture at that size whatever was asked (small and fast in tests);
 * `noise` makes pictures incompressible (large files for benchmarks); `keepBodies: false`
 * drops request bodies and image bytes from the records once answered (long-running demos);
 * `strictPaths` answers 404 to API paths outside the roots /v1 and /openai, as real servers do,
 * instead of recognising any path by its ending.
 */
async function startImageServer(options = {}) {
	const host = options.host ?? '127.0.0.1';
	/** @type {RecordedRequest[]} */
	const requests = [];
	/** @type {Behaviour[]} */
	const behaviours = [];
	/** @type {Map<string, { bytes: Buffer, mimeType: string }>} */
	const files = new Map();
	const sockets = new Set();
	const state = { inFlight: 0, maxInFlight: 0, latencyMs: options.latencyMs ?? 0, apiInFlight: 0, maxApiAccepted: 0, rateLimited: 0 };
	/** When set, image requests beyond `max` at a time are refused with 429 and these headers. @type {{ max: number, headers: Record<string, string> } | undefined} */
	let concurrencyLimit;
	/** @type {{ imageSize?: { width: number, height: number }, noise: boolean, sameImage: boolean }} */
	const look = { imageSize: options.imageSize, noise: options.noise ?? false, sameImage: false };
	/** Encoded pictures by format and size, when every prompt gets the same picture (benchmarks). @type {Map<string, Buffer>} */
	const sameImages = new Map();
	/** @type {((request: RecordedRequest) => number) | undefined} */
	let delayFor;
	let origin = '';

	/** @param {import('node:http').ServerResponse} res @param {number} status @param {any} body @param {Record<string, string>} [headers] */
	function sendJson(res, status, body, headers = {}) {
		const text = JSON.stringify(body);
		res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text), ...headers });
		res.end(text);
	}

	/** @type {Set<ReturnType<typeof setInterval>>} */
	const timers = new Set();

	/**
	 * Sends a body, or misbehaves while sending it as the behaviour says.
	 * @param {import('node:http').ServerResponse} res @param {number} status @param {Record<string, string | number>} headers
	 * @param {Buffer} body @param {Behaviour} behaviour
	 */
	function sendBody(res, status, headers, body, behaviour) {
		const half = body.subarray(0, Math.floor(body.length / 2));
		if (behaviour.trickleMs) {
			// Chunked, so that the body never ends.
			res.writeHead(status, headers);
			let sent = 0;
			const timer = setInterval(() => {
				if (res.destroyed) return void clearInterval(timer);
				res.write(body.subarray(sent % body.length, (sent % body.length) + 1));
				sent++;
			}, behaviour.trickleMs);
			timers.add(timer);
			res.on('close', () => {
				clearInterval(timer);
				timers.delete(timer);
			});
			return;
		}
		if (behaviour.pauseUntil) {
			const rest = body.subarray(half.length);
			res.writeHead(status, { ...headers, 'content-length': body.length });
			res.write(half);
			behaviour.pauseUntil.then(() => res.end(rest), () => res.destroy());
			return;
		}
		if (behaviour.truncate || behaviour.stall || behaviour.reset) {
			res.writeHead(status, { ...headers, 'content-length': body.length });
			// Reset only once the headers and the half have gone out, so that it hits mid-response.
			res.write(half, () => {
				if (behaviour.truncate) res.destroy();
				if (behaviour.reset) res.socket?.resetAndDestroy();
			});
			return;
		}
		res.writeHead(status, { ...headers, 'content-length': body.length });
		res.end(body);
	}

	/** @param {string} message @param {string} [type] @param {string | null} [code] @param {string | null} [param] */
	const errorBody = (message, type = 'invalid_request_error', code = null, param = null) => ({
		error: { message, type, param, code },
	});

	/** @param {RecordedRequest} request */
	function fieldsOf(request) {
		if (request.parts) {
			/** @type {Record<string, string>} */
			const fields = {};
			for (const part of request.parts) if (part.filename === undefined) fields[part.name] = part.data.toString('utf8');
			return fields;
		}
		return request.body ?? {};
	}

	/**
	 * The first input picture of an edit or variation, decoded, when it is a PNG: uploaded, a data:
	 * URL, or a URL of this server. Undefined otherwise (the answer is then drawn from the prompt).
	 * @param {RecordedRequest} request @param {Record<string, any>} fields @param {string[]} references
	 */
	function inputPicture(request, fields, references) {
		const upload = (request.parts ?? []).find((part) => part.filename !== undefined && /^image/.test(part.name));
		if (upload) return decodePng(upload.data);
		const urls = [...references, ...(Array.isArray(fields.images) ? fields.images.map((/** @type {any} */ image) => image?.image_url ?? image) : [])];
		for (const url of urls.filter((candidate) => typeof candidate === 'string')) {
			const data = /^data:[^;,]*;base64,(.*)$/s.exec(url);
			if (data) return decodePng(Buffer.from(data[1], 'base64'));
			if (url.startsWith(`${origin}/`)) {
				const path = new URL(url).pathname;
				const file = files.get(path) ?? files.get(path.slice('/files/'.length).replace(/\.[a-z]+$/, ''));
				if (file) return decodePng(file.bytes);
			}
		}
		return undefined;
	}

	/** @param {RecordedRequest} request @param {Behaviour} behaviour */
	function imagesFor(request, behaviour) {
		const fields = fieldsOf(request);
		const model = String(fields.model ?? request.path.split('/deployments/')[1]?.split('/')[0] ?? 'dall-e-2');
		const isGptImage = /gpt-image|chatgpt-image/i.test(model);
		const ask = askOf(request.kind, fields);
		const n = behaviour.count ?? ask.n;
		const prompt = request.kind === 'variation' ? 'variation' : ask.prompt;
		const size = dimensionsOf(String(ask.size ?? ''), { width: 1024, height: 1024 });
		const drawn = look.imageSize ?? size;
		const format = behaviour.format ?? (isGptImage && fields.output_format ? String(fields.output_format) : 'png');
		const asUrl = behaviour.shape === 'url' || (!isGptImage && fields.response_format === 'url');
		/** @param {Buffer} bytes @returns {string} a URL of this server that serves the bytes */
		const host = (bytes) => {
			const id = crypto.randomUUID();
			files.set(id, { bytes, mimeType: format === 'svg' ? 'image/svg+xml' : `image/${format}` });
			return `${origin}/files/${id}.${format === 'jpeg' ? 'jpg' : format}`;
		};
		// An edit or variation visibly starts from its input picture (the demo's Edit would otherwise
		// look unrelated to the image it was given).
		const input = ['edit', 'variation'].includes(request.kind) && !look.sameImage ? inputPicture(request, fields, ask.references) : undefined;
		const data = [];
		for (let index = 0; index < n; index++) {
			const frames = Number(fields.frame_count ?? 0);
			const draw = () => {
				const seed = look.sameImage ? 'benchmark' : `${prompt}#${index}`;
				const options = { transparent: fields.background === 'transparent', noise: look.noise };
				const picture = (/** @type {string} */ frameSeed) =>
					input ? renderEditImage(input, frameSeed, drawn.width, drawn.height, options) : renderPromptImage(frameSeed, drawn.width, drawn.height, options);
				if (format === 'svg') return encodeSvg(seed, drawn.width, drawn.height);
				// gpt-image-2.6's animated GIF: frame_count frames of frame_duration_ms each.
				if (format === 'gif' && frames > 1) return encodeAnimatedGif(Array.from({ length: frames }, (_, frame) => picture(`${seed}#${frame}`)), Number(fields.frame_duration_ms ?? 100));
				return encodeImage(/** @type {any} */ (format), picture(seed));
			};
			const key = `${format}|${drawn.width}x${drawn.height}|${look.noise}|${fields.background}`;
			if (look.sameImage && !sameImages.has(key)) sameImages.set(key, draw());
			const bytes =
				behaviour.shape === 'notAnImage'
					? Buffer.from('<html>not an image</html>')
					: look.sameImage
						? /** @type {Buffer} */ (sameImages.get(key))
						: draw();
			const b64 = base64(bytes);
			const mimeType = format === 'svg' ? 'image/svg+xml' : `image/${format}`;
			(request.images ??= []).push({ index, mimeType, size: bytes.length, sha256: sha256(bytes), bytes });
			/** @type {Record<string, any>} */
			const entry = {};
			if (asUrl) entry.url = host(bytes);
			else if (behaviour.shape === 'dataUrlInB64') entry.b64_json = `data:${mimeType};base64,${b64}`;
			else if (behaviour.shape === 'dataUrlInUrl') entry.url = `data:${mimeType};base64,${b64}`;
			else if (behaviour.shape === 'invalidBase64') entry.b64_json = '%%%not base64%%%';
			else entry.b64_json = b64;
			if (behaviour.shape === 'emptyUrlBesideB64') entry.url = '';
			if (behaviour.shape === 'noImageData') delete entry.b64_json;
			if (model.startsWith('dall-e-3')) entry.revised_prompt = `${prompt} (revised)`;
			// gpt-image-2 and later name each generation.
			if (/gpt-image-[2-9]/i.test(model)) entry.generation_id = `gen_${crypto.randomUUID().slice(0, 8)}`;
			data.push(entry);
		}
		const served = /** @type {ServedImage[]} */ (request.images ?? []);
		if (request.kind === 'chat') {
			const shape = /** @type {import('./shapes').ChatShape} */ (behaviour.shape ?? 'chatImages');
			return chatCompletion(shape, model, served, (image) => host(image.bytes));
		}
		const native = behaviour.shape ? undefined : nativeAnswer(request.path, fields, data, served, behaviour.blocked);
		if (native) return native;
		if (behaviour.shape === 'siliconflow') return { images: data.map((entry) => ({ url: entry.url ?? `data:image/png;base64,${entry.b64_json}` })), seed: 42, timings: { inference: 0.5 } };
		if (behaviour.shape === 'together') return { id: 'together-1', model, object: 'list', data: data.map((entry, index) => ({ index, b64_json: entry.b64_json, type: 'image' })) };
		/** @type {Record<string, any>} */
		const body = { created: Math.floor(Date.now() / 1000), data: behaviour.shape === 'empty' ? [] : data };
		if (behaviour.shape === 'noCreated') delete body.created;
		if (isGptImage) {
			Object.assign(body, {
				background: fields.background ?? 'opaque',
				output_format: format,
				quality: fields.quality ?? 'auto',
				size: fields.size ?? '1024x1024',
				usage: { input_tokens: 50, output_tokens: 4160 * n, total_tokens: 50 + 4160 * n, input_tokens_details: { text_tokens: 50, image_tokens: 0 } },
			});
			if (format === 'svg') body.svg_usage = { input_tokens: 120, output_tokens: 900 * n, model: 'svg-author-1' };
		}
		if (behaviour.shape === 'error200') return { error: { message: 'Upstream channel failed', type: 'upstream_error', code: 'channel_error' } };
		return body;
	}

	/**
	 * What OpenAI answers as of December 2026 (options.openAi2026): retired models 404 with its
	 * message; quality xhigh/max only from gpt-image-2.5; gif and svg only from gpt-image-2.6.
	 * @param {Record<string, any>} fields
	 */
	function openAi2026Refusal(fields) {
		const model = String(fields.model ?? '');
		if (/^(dall-e-[23]|gpt-image-1(\.5)?(-mini)?|chatgpt-image-latest)$/.test(model)) {
			return { status: 404, body: errorBody(`The model \`${model}\` has been deprecated, learn more here: https://platform.openai.com/docs/deprecations`, 'invalid_request_error', 'model_not_found') };
		}
		// Later generations (and gateway-prefixed or dated IDs) take what 2.6 takes.
		const generation = /gpt-image-(2\.[5-9]|[3-9])/i.exec(model)?.[1];
		if (['xhigh', 'max'].includes(fields.quality) && !generation) {
			return { status: 400, body: errorBody(`Invalid value: '${fields.quality}'. Supported values are: 'low', 'medium', 'high', and 'auto'.`, 'invalid_request_error', 'invalid_value', 'quality') };
		}
		if (['gif', 'svg'].includes(fields.output_format) && (!generation || generation === '2.5')) {
			return { status: 400, body: errorBody(`Invalid value: '${fields.output_format}'. Supported values are: 'png', 'jpeg', and 'webp'.`, 'invalid_request_error', 'invalid_value', 'output_format') };
		}
		return undefined;
	}

	/** @param {RecordedRequest} request */
	function authorized(request) {
		if (!options.apiKey) return true;
		// Gemini's API takes the key as the query parameter `key`.
		return request.headers.authorization === `Bearer ${options.apiKey}` || request.headers['api-key'] === options.apiKey || request.query.key === options.apiKey;
	}

	/** @param {import('node:http').IncomingMessage} req @param {import('node:http').ServerResponse} res @param {RecordedRequest} request */
	async function handle(req, res, request) {
		const behaviour = takeBehaviour(request);
		const isDownload = request.kind === 'download';
		const delays = [isDownload ? 0 : state.latencyMs, behaviour.delayMs ?? 0, isDownload ? 0 : delayFor?.(request) ?? 0];
		for (const ms of delays) if (ms > 0) await new Promise((resolve) => setTimeout(resolve, ms));
		if (behaviour.hang) return; // accepted, never answered
		if (behaviour.destroy) return req.socket.destroy();
		if (behaviour.redirect !== undefined) {
			const status = behaviour.status && behaviour.status >= 300 && behaviour.status < 400 ? behaviour.status : 302;
			const location = behaviour.redirect === 'self' ? request.path : behaviour.redirect;
			return sendJson(res, status, { redirect: location }, { location, ...behaviour.headers });
		}
		if (isDownload && !behaviour.status) {
			const file = files.get(request.path) ?? files.get(request.path.slice('/files/'.length).replace(/\.[a-z]+$/, ''));
			if (!file) return sendJson(res, 404, errorBody('No such file'));
			request.images = [{ index: 0, mimeType: file.mimeType, size: file.bytes.length, sha256: sha256(file.bytes), bytes: file.bytes }];
			return sendBody(res, 200, { 'content-type': file.mimeType }, file.bytes, behaviour);
		}
		if (!isDownload && !authorized(request)) {
			return sendJson(res, 401, errorBody('Incorrect API key provided.', 'invalid_request_error', 'invalid_api_key'));
		}
		if (behaviour.status || behaviour.json !== undefined || behaviour.text !== undefined || behaviour.html !== undefined) {
			const status = behaviour.status ?? 200;
			const headers = behaviour.headers ?? {};
			if (behaviour.html !== undefined) {
				res.writeHead(status, { 'content-type': 'text/html', ...headers });
				return res.end(behaviour.html);
			}
			if (behaviour.text !== undefined) {
				res.writeHead(status, { 'content-type': 'text/plain', ...headers });
				if (!behaviour.chunkBytes) return res.end(behaviour.text);
				const text = Buffer.from(behaviour.text);
				const size = behaviour.chunkBytes;
				/** @param {number} start */
				const writeFrom = (start) => {
					if (start >= text.length || res.destroyed) return void res.end();
					res.write(text.subarray(start, start + size), () => setImmediate(() => writeFrom(start + size)));
				};
				return writeFrom(0);
			}
			return sendJson(res, status, behaviour.json ?? errorBody(`Simulated HTTP ${status}`), headers);
		}
		if (request.kind === 'models') {
			return sendJson(res, 200, { object: 'list', data: (options.models ?? DEFAULT_MODELS).map((id) => ({ id, object: 'model', owned_by: 'test' })) });
		}
		if (request.kind === 'other') return sendJson(res, 404, errorBody(`Unknown path ${request.path}`));
		const refusal = options.openAi2026 ? openAi2026Refusal(fieldsOf(request)) : undefined;
		if (refusal) return sendJson(res, refusal.status, refusal.body);
		const body = imagesFor(request, behaviour);
		if (behaviour.truncate || behaviour.stall || behaviour.trickleMs || behaviour.reset || behaviour.pauseUntil) {
			return sendBody(res, 200, { 'content-type': 'application/json' }, Buffer.from(JSON.stringify(body)), behaviour);
		}
		return sendJson(res, 200, body);
	}

	/** @param {RecordedRequest} request */
	function takeBehaviour(request) {
		const kind = request.kind;
		const index = behaviours.findIndex(
			(behaviour) =>
				(behaviour.only === kind || (!behaviour.only && kind !== 'download' && kind !== 'other')) &&
				(!behaviour.when || behaviour.when(request)),
		);
		if (index === -1) return {};
		const behaviour = behaviours[index];
		behaviour.times = (behaviour.times ?? 1) - 1;
		if (behaviour.times <= 0) behaviours.splice(index, 1);
		return behaviour;
	}

	/** Keeps a record's facts (timing, headers, sizes, hashes) but not its payloads. @param {RecordedRequest} request */
	function forget(request) {
		request.raw = Buffer.alloc(0);
		for (const part of request.parts ?? []) part.data = Buffer.alloc(0);
		for (const image of request.images ?? []) image.bytes = Buffer.alloc(0);
	}

	/** @param {string} path */
	function kindOf(path) {
		if (files.has(path) || path.startsWith('/files/')) return 'download';
		if (options.strictPaths && !/^\/(v1|openai(\/deployments\/[^/]+)?)\/(images(\/(generations|edits|variations))?|chat\/completions|models)$/.test(path)) return 'other';
		// OpenRouter's images endpoint (POST /images) generates, as images/generations does; so do
		// the native APIs a gateway translates to (Stability v1, Vertex Imagen, Gemini).
		if (/\/images(\/generations)?$/.test(path) || /\/text-to-image$|:predict$|:generateContent$/.test(path)) return 'generate';
		if (/\/chat\/completions$/.test(path)) return 'chat';
		if (/\/images\/edits$/.test(path)) return 'edit';
		if (/\/images\/variations$/.test(path)) return 'variation';
		if (/\/models$/.test(path)) return 'models';
		return 'other';
	}

	const server = http.createServer((req, res) => {
		const url = new URL(req.url ?? '/', 'http://localhost');
		/** @type {Buffer[]} */
		const chunks = [];
		req.on('data', (chunk) => chunks.push(chunk));
		req.on('end', () => {
			const raw = Buffer.concat(chunks);
			/** @type {RecordedRequest} */
			const request = {
				method: req.method ?? 'GET',
				path: url.pathname,
				query: Object.fromEntries(url.searchParams),
				headers: req.headers,
				raw,
				startedAt: Date.now(),
				kind: kindOf(url.pathname),
			};
			const contentType = req.headers['content-type'] ?? '';
			const boundary = /boundary=(?:"([^"]+)"|([^;]+))/i.exec(contentType);
			if (boundary) request.parts = parseMultipart(raw, boundary[1] ?? boundary[2]);
			else if (raw.length) {
				try {
					request.body = JSON.parse(raw.toString('utf8'));
				} catch {
					request.body = raw.toString('utf8');
				}
			}
			requests.push(request);
			state.inFlight++;
			state.maxInFlight = Math.max(state.maxInFlight, state.inFlight);
			options.log?.(`${request.method} ${request.path}`);
			const isImageCall = ['generate', 'edit', 'variation'].includes(request.kind);
			if (concurrencyLimit && isImageCall && state.apiInFlight >= concurrencyLimit.max) {
				state.rateLimited++;
				res.on('close', () => {
					request.endedAt = Date.now();
					request.status = 429;
					state.inFlight--;
				});
				return sendJson(res, 429, errorBody('Too many concurrent requests', 'rate_limit_error', 'rate_limit_exceeded'), concurrencyLimit.headers);
			}
			const accepted = Boolean(concurrencyLimit && isImageCall);
			if (accepted) {
				state.apiInFlight++;
				state.maxApiAccepted = Math.max(state.maxApiAccepted, state.apiInFlight);
			}
			const finish = () => {
				if (request.endedAt) return;
				if (accepted) state.apiInFlight--;
				request.endedAt = Date.now();
				request.status = res.statusCode;
				state.inFlight--;
				if (options.keepBodies === false) forget(request);
			};
			res.on('close', finish);
			handle(req, res, request).catch((error) => {
				if (!res.headersSent) sendJson(res, 500, errorBody(`Test server failure: ${error.message}`, 'server_error'));
			});
		});
	});
	server.on('connection', (socket) => {
		sockets.add(socket);
		socket.on('close', () => sockets.delete(socket));
	});
	await new Promise((resolve) => server.listen(options.port ?? 0, host, () => resolve(undefined)));
	const address = /** @type {import('node:net').AddressInfo} */ (server.address());
	origin = `http://${host}:${address.port}`;

	return {
		url: origin,
		baseUrl: `${origin}/v1`,
		port: address.port,
		requests,
		state,
		/** API requests only (not image downloads or model lists), in arrival order. */
		imageRequests: () => requests.filter((request) => ['generate', 'edit', 'variation', 'chat'].includes(request.kind)),
		/**
		 * Serves bytes as a download at an exact path of this server; returns the URL.
		 * @param {string} path @param {Buffer} bytes @param {string} [mimeType]
		 */
		serve(path, bytes, mimeType = 'image/png') {
			files.set(path, { bytes, mimeType });
			return `${origin}${path}`;
		},
		/** @param {Behaviour} behaviour */
		respondNext(behaviour) {
			behaviours.push({ ...behaviour });
		},
		/**
		 * Delays each API answer by what `delay` returns for the request, e.g. to make later
		 * requests finish first. Cleared by reset().
		 * @param {((request: RecordedRequest) => number) | undefined} delay
		 */
		delayBy(delay) {
			delayFor = delay;
		},
		/**
		 * Accepts at most `max` image requests at a time and answers the others 429 with `headers`
		 * (e.g. retry-after), as a provider with a concurrency limit does; undefined lifts it.
		 * Cleared by reset().
		 * @param {{ max: number, headers: Record<string, string> } | undefined} limit
		 */
		limitConcurrency(limit) {
			concurrencyLimit = limit;
		},
		reset() {
			concurrencyLimit = undefined;
			state.apiInFlight = 0;
			state.maxApiAccepted = 0;
			state.rateLimited = 0;
			delayFor = undefined;
			requests.length = 0;
			behaviours.length = 0;
			files.clear();
			state.inFlight = 0;
			state.maxInFlight = 0;
		},
		/** @param {number} latencyMs */
		setLatency(latencyMs) {
			state.latencyMs = latencyMs;
		},
		/**
		 * `sameImage` gives every prompt one picture, encoded once: the server then costs no CPU per
		 * request, so a benchmark measures the client and the fixed latency only.
		 * @param {{ latencyMs?: number, imageSize?: { width: number, height: number }, noise?: boolean, sameImage?: boolean }} settings
		 */
		configure(settings) {
			if (settings.latencyMs !== undefined) state.latencyMs = settings.latencyMs;
			if ('imageSize' in settings) look.imageSize = settings.imageSize;
			if (settings.noise !== undefined) look.noise = settings.noise;
			if (settings.sameImage !== undefined) look.sameImage = settings.sameImage;
			sameImages.clear();
		},
		async close() {
			for (const timer of timers) clearInterval(timer);
			for (const socket of sockets) /** @type {import('node:net').Socket} */ (socket).destroy();
			await new Promise((resolve) => server.close(() => resolve(undefined)));
		},
	};
}

module.exports = { startImageServer, parseMultipart, DEFAULT_MODELS };
