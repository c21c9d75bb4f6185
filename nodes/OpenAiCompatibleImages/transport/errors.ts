import type { JsonObject } from 'n8n-workflow';

export interface UpstreamError {
	message: string;
	code?: string;
	type?: string;
	param?: string;
	/** The decoded JSON body, when it was JSON (and held no HTML page). */
	json?: JsonObject;
	/**
	 * Which hop of a gateway failed, when its envelope tells: the gateway itself (Portkey's
	 * `{status: "failure"}`), the provider behind it (an error it passed on), or the way between
	 * them (Portkey's `html-message` "fetch failed": the provider could not be reached).
	 */
	hop?: 'gateway' | 'provider' | 'unreachable';
	/** The provider behind the gateway, when the gateway names it (Portkey's `provider`). */
	provider?: string;
}

const MAX_MESSAGE = 500;

function clip(text: string): string {
	const clean = text.replace(/\s+/g, ' ').trim();
	return clean.length > MAX_MESSAGE ? `${clean.slice(0, MAX_MESSAGE)}…` : clean;
}

function textOf(value: unknown): string | undefined {
	if (typeof value === 'string' && value.trim()) return value;
	return undefined;
}

/** One thing a provider said was wrong with the request, and the field when it named one. */
interface FieldProblem {
	field?: string;
	message: string;
}

/** A field name from the ways providers write one: "size", ["body", "size"], "/size", "#/size". */
function fieldName(value: unknown): string | undefined {
	if (Array.isArray(value)) {
		const parts = value.filter((part) => typeof part === 'string' || typeof part === 'number').map(String);
		// FastAPI puts where the field was first: ["body", "size"].
		const named = parts[0] === 'body' || parts[0] === 'query' ? parts.slice(1) : parts;
		return named.length ? named.join('.') : undefined;
	}
	const text = textOf(value)?.trim();
	return text?.replace(/^#?\//, '').replace(/\//g, '.') || undefined;
}

function problemOf(raw: unknown, key?: string): FieldProblem | undefined {
	if (typeof raw === 'string') return textOf(raw) ? { field: key, message: raw } : undefined;
	if (!raw || typeof raw !== 'object' || Array.isArray(raw)) return undefined;
	const entry = raw as Record<string, unknown>;
	const message =
		textOf(entry.message) ?? textOf(entry.msg) ?? textOf(entry.detail) ?? textOf(entry.reason) ?? textOf(entry.description) ?? textOf(entry.title);
	const field =
		fieldName(entry.field) ?? fieldName(entry.param) ?? fieldName(entry.name) ?? fieldName(entry.loc) ??
		fieldName(entry.path) ?? fieldName(entry.pointer) ?? fieldName((entry.source as Record<string, unknown> | undefined)?.pointer) ?? key;
	return message || field ? { field, message: message ?? 'invalid' } : undefined;
}

/**
 * The per-field problems of an error body, in the shapes seen in the wild: RFC 7807 extension
 * lists (`validation`, `errors`, `invalid-params`, `invalid_params`), FastAPI's `detail` list
 * (`loc`, `msg`), JSON:API `errors` (`source.pointer`), Laravel/Rails `errors` objects
 * ({ size: ["..."] }) and Google's `details[].fieldViolations`.
 */
function fieldProblems(object: Record<string, unknown>): FieldProblem[] {
	const problems: FieldProblem[] = [];
	const lists = [object.validation, object.errors, object['invalid-params'], object.invalid_params, object.violations, object.detail];
	for (const list of lists) {
		if (Array.isArray(list)) {
			for (const raw of list) {
				const problem = problemOf(raw);
				if (problem) problems.push(problem);
			}
		} else if (list && typeof list === 'object' && list !== object.detail) {
			for (const [key, value] of Object.entries(list as Record<string, unknown>)) {
				for (const raw of Array.isArray(value) ? value : [value]) {
					const problem = problemOf(raw, key);
					if (problem) problems.push(problem);
				}
			}
		}
	}
	if (Array.isArray(object.details)) {
		for (const detail of object.details) {
			const violations = (detail as Record<string, unknown> | null)?.fieldViolations;
			if (!Array.isArray(violations)) continue;
			for (const raw of violations) {
				const problem = problemOf(raw);
				if (problem) problems.push(problem);
			}
		}
	}
	return problems.slice(0, 10);
}

/** The message with the fields the provider complained about: "Validation failed: size: must be ...". */
function withProblems(message: string, problems: FieldProblem[]): string {
	const listed = problems
		.map(({ field, message: text }) => (field && !text.includes(field) ? `${field}: ${text}` : text))
		.filter((text) => !message.includes(text));
	return listed.length ? `${message.replace(/[.:]\s*$/, '')}: ${listed.join('; ')}` : message;
}

/** What an HTML page says in a line: its title, else its first heading, else its text. */
function htmlSummary(html: string): string {
	const title = /<title[^>]*>([^<]*)<\/title>/i.exec(html)?.[1];
	const heading = /<h1[^>]*>([^<]*)<\/h1>/i.exec(html)?.[1];
	return `HTML error page: ${title ?? heading ?? html.replace(/<[^>]+>/g, ' ')}`;
}

const HTML_START = /<(!doctype|html|head|body|title)\b/i;

/**
 * A gateway's message made readable: an upstream answer it wrapped ("Invalid response received
 * from stability-ai: {...}") decoded in turn, and an HTML page in it told by its title, never
 * shown raw.
 */
function readable(text: string): string {
	const wrapped = /^([^{]*?:\s*)(\{[\s\S]*\})\s*$/.exec(text);
	if (wrapped) {
		try {
			JSON.parse(wrapped[2]);
			return `${wrapped[1]}${decodeErrorBody(Buffer.from(wrapped[2])).message}`;
		} catch {
			// not JSON after all
		}
	}
	const html = HTML_START.exec(text);
	return html ? `${text.slice(0, html.index)}${htmlSummary(text.slice(html.index))}` : text;
}

/**
 * Portkey's `html-message`: either its own failure to reach the provider ("Message: fetch failed
 * Cause: Error: connect ECONNREFUSED ... Name: TypeError"), or the provider's answer that was not
 * JSON (an nginx page), passed on.
 */
function gatewayEnvelope(htmlMessage: string): UpstreamError {
	const failed = /^\s*Message:\s*([\s\S]*?)\s*Cause:\s*([\s\S]*?)(?:\s*Name:\s*\S+)?\s*$/.exec(htmlMessage);
	if (failed) {
		return { message: clip(`The gateway could not reach the provider behind it: ${failed[1]} (${failed[2].replace(/^Error:\s*/, '')})`), hop: 'unreachable' };
	}
	return { ...decodeErrorBody(Buffer.from(htmlMessage)), json: undefined, hop: 'provider' };
}

/** Reads the provider's error out of an OpenAI-style, RFC 7807, gateway, plain-text or HTML body. */
export function decodeErrorBody(body: Buffer, contentType?: string): UpstreamError {
	const text = body.toString('utf8');
	let json: unknown;
	try {
		json = JSON.parse(text);
	} catch {
		json = undefined;
	}
	if (json && typeof json === 'object' && !Array.isArray(json)) {
		const object = json as Record<string, unknown>;
		const htmlMessage = textOf(object['html-message']);
		if (htmlMessage) return gatewayEnvelope(htmlMessage);
		const error = object.error;
		// Portkey names the provider whose error it passes on.
		const provider = textOf(object.provider);
		const passedOn = provider ? { hop: 'provider' as const, provider } : {};
		if (error && typeof error === 'object' && !Array.isArray(error)) {
			const detail = error as Record<string, unknown>;
			const problems = fieldProblems(detail);
			const message = readable(withProblems(textOf(detail.message) ?? textOf(detail.title) ?? JSON.stringify(detail), problems));
			return {
				message: clip(message),
				code: textOf(detail.code) ?? (typeof detail.code === 'number' ? String(detail.code) : undefined),
				type: textOf(detail.type),
				param: textOf(detail.param) ?? problems.find((problem) => problem.field)?.field,
				json: HTML_START.test(text) ? undefined : (object as JsonObject),
				...passedOn,
			};
		}
		const problems = fieldProblems(object);
		// RFC 7807: `title` is the kind of problem, `detail` this occurrence; both say something.
		const title = textOf(object.title);
		const detail = textOf(object.detail);
		const problem = title && detail && !detail.includes(title) ? `${title}: ${detail}` : (detail ?? title);
		const message =
			textOf(error) ??
			textOf(object.message) ??
			problem ??
			textOf(object.msg) ??
			textOf(object.error_msg) ??
			(problems.length ? 'The provider rejected the request' : JSON.stringify(object));
		return {
			message: clip(readable(withProblems(message, problems))),
			code: textOf(object.code) ?? textOf(object.error_code),
			param: problems.find((entry) => entry.field)?.field,
			json: HTML_START.test(text) ? undefined : (object as JsonObject),
			// Portkey's own refusals: `{status: "failure", message}`, no provider reached.
			...(object.status === 'failure' ? { hop: 'gateway' as const } : passedOn),
		};
	}
	if (/html/i.test(contentType ?? '') || /^\s*<(!doctype|html)/i.test(text)) {
		return { message: clip(htmlSummary(text)) };
	}
	return { message: clip(text) || 'the server sent no error message' };
}

const OPERATION_NAMES: Array<[string, string]> = [
	['images/edits', 'image edits'],
	['images/variations', 'image variations'],
	['images/generations', 'image generation'],
];

/** The user-facing message and a hint on what to do, for an upstream failure. */
export function describeUpstreamError(
	status: number,
	upstream: UpstreamError,
	path: string,
): { message: string; description: string } {
	let message = `${upstream.message} (HTTP ${status})`;
	const code = `${upstream.code ?? ''} ${upstream.type ?? ''}`;
	let description: string;
	if (/api_not_implemented/.test(code) || status === 501) {
		const what = OPERATION_NAMES.find(([suffix]) => path.endsWith(suffix))?.[1] ?? path;
		message = `The server or gateway does not support ${what}: ${message}`;
		description = `This server does not implement ${path}. Many gateways (one-api, and new-api for variations) support only image generation; send ${what} straight to the provider, or through a gateway that supports them.`;
		if (path.endsWith('images/edits')) {
			description += ' Gateways that take reference images as URLs (e.g. Volcengine Seedream) work with Image Input Mode "URLs in JSON Body" and Endpoint "Generations".';
		}
	} else if (status === 401 || status === 403) {
		description =
			'The server rejected the API key or its permissions. Check the API key (and the authentication type) in the credential.';
	} else if (status === 404) {
		description = 'Not found: this server has no such endpoint, or no such model.';
	} else if (status === 413) {
		description =
			'The request is larger than the server or a proxy in front of it accepts. Send smaller or fewer input images, or a shorter prompt.';
	} else if (status === 429) {
		description =
			'Rate limited or out of quota. Lower the Concurrency option, raise Max Retries, or check the account balance.';
	} else if (/moderation|content_policy|safety/.test(`${code} ${upstream.message}`.toLowerCase())) {
		description = 'The provider blocked the prompt or image by its content policy. Rephrase the prompt.';
	} else if (status >= 500) {
		description = 'The provider or gateway failed. This is usually temporary; try again later.';
	} else if (upstream.hop === 'gateway') {
		description = '';
	} else {
		description = upstream.param
			? `The provider rejected the parameter "${upstream.param}".`
			: 'The provider rejected the request.';
	}
	return { message, description: `${HOP_DESCRIPTIONS[upstream.hop ?? 'none'](upstream.provider)}${description}`.trim() };
}

/** Which hop failed, said before the hint, when a gateway's envelope tells. */
const HOP_DESCRIPTIONS: Record<NonNullable<UpstreamError['hop']> | 'none', (provider?: string) => string> = {
	none: () => '',
	provider: (provider) => `The gateway answered and passed on this error from the provider behind it${provider ? ` (${provider})` : ''}. `,
	gateway: () =>
		"The gateway itself refused the request, before any provider: check its routing headers under the credential's Custom Headers (Portkey: x-portkey-provider, x-portkey-config, x-portkey-custom-host). ",
	unreachable: () =>
		"The gateway answered, but the provider behind it did not: check the gateway's route to the provider (Portkey: x-portkey-provider and x-portkey-custom-host, or its config) and that the provider is up. The node reached the gateway at the Base URL. ",
};

const REDACTED = '[redacted]';

/** The text with every secret replaced by a marker. */
export function redactText(text: string, secrets: readonly string[]): string {
	let result = text;
	for (const secret of secrets) if (result.includes(secret)) result = result.split(secret).join(REDACTED);
	return result;
}

/**
 * Replaces the secrets in every string of a value: in place for objects and errors (message,
 * stack, description, context, cause chain, ...), returning the value. Servers echo keys back in
 * error messages, and n8n shows, stores and logs whatever an error or item holds.
 */
export function redactSecrets<T>(value: T, secrets: readonly string[], seen = new Set<object>()): T {
	if (secrets.length === 0) return value;
	if (typeof value === 'string') return redactText(value, secrets) as T;
	if (!value || typeof value !== 'object' || seen.has(value) || ArrayBuffer.isView(value)) return value;
	seen.add(value);
	const record = value as Record<string, unknown>;
	for (const key of Object.getOwnPropertyNames(value)) {
		// An error's node is the workflow's own node object: it is not ours to change.
		if (key === 'node' && value instanceof Error) continue;
		const current = record[key];
		const redacted = redactSecrets(current, secrets, seen);
		if (redacted === current) continue;
		try {
			record[key] = redacted;
		} catch {
			// a read-only property holds no text of ours
		}
	}
	return value;
}
