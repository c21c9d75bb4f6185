import {
	NodeApiError,
	NodeOperationError,
	sleep,
	type ICredentialDataDecryptedObject,
	type IDataObject,
	type IExecuteFunctions,
	type IHttpRequestMethods,
	type IHttpRequestOptions,
	type ILoadOptionsFunctions,
	type JsonObject,
} from 'n8n-workflow';

import {
	CREDENTIAL_NAME,
	credentialProblem,
	secretsOf,
} from '../../../credentials/OpenAiCompatibleImagesApi.credentials';
import { decodeErrorBody, describeUpstreamError } from './errors';
import { parseJsonWithLongStrings } from './json';
import { destroyOnAbort, readAtMost, type BodyStream } from './stream';

export type RequestContext = IExecuteFunctions | ILoadOptionsFunctions;

export interface ApiRequest {
	method: IHttpRequestMethods;
	/** Path below the base URL, without a leading slash: `images/generations`, `models`. */
	path: string;
	body?: IDataObject | FormData;
	/** The model, which Azure OpenAI puts in the path as the deployment name. */
	model?: string;
	itemIndex?: number;
	/** Milliseconds per attempt. */
	timeout?: number;
	maxRetries?: number;
}

export interface ApiResponse {
	statusCode: number;
	headers: Record<string, string | string[] | undefined>;
	body: Buffer;
	/** Where the request went, for hints on the Base URL. */
	endpoint?: Endpoint;
}

export const DEFAULT_TIMEOUT_MS = 10 * 60 * 1000;
export const DEFAULT_MAX_RETRIES = 2;

/** Statuses worth another attempt (the official SDKs' policy); other client errors never are. */
// 501 Not Implemented is permanent (one-api answers it for edits): never worth another call.
const RETRYABLE_STATUS = (status: number) =>
	status === 408 || status === 409 || status === 429 || (status >= 500 && status !== 501);
const RETRYABLE_CODES = new Set([
	'ECONNRESET',
	'ECONNREFUSED',
	'ECONNABORTED',
	'ETIMEDOUT',
	'EPIPE',
	'EAI_AGAIN',
	'ENETUNREACH',
	'EHOSTUNREACH',
	'ERR_SOCKET_CONNECTION_TIMEOUT',
	// axios's code for an answer cut off after its headers ("stream has been aborted").
	'ERR_BAD_RESPONSE',
	'ERR_STREAM_PREMATURE_CLOSE',
]);
const MAX_RETRY_AFTER_MS = 60_000;

// Users paste the endpoint they saw in the docs; the node appends it itself.
const PASTED_ENDPOINT = /\/(images\/(generations|edits|variations)|models)$/i;

/**
 * The Base URL as requests use it: trimmed, without trailing slashes or a pasted endpoint path.
 * Undefined when it is not an http(s) URL that paths can be appended to (no query or fragment).
 * Shared by requests and the credential test, so both accept the same Base URLs.
 */
export function cleanBaseUrl(raw: unknown): string | undefined {
	const base = String(raw ?? '')
		.trim()
		.replace(/\/+$/, '')
		.replace(PASTED_ENDPOINT, '')
		.replace(/\/+$/, '');
	if (!/^https?:\/\/[^/?#]/i.test(base) || /[?#\s]/.test(base)) return undefined;
	try {
		new URL(base);
	} catch {
		return undefined;
	}
	return base;
}

/** Base URL of the credential, cleaned; a clear error naming the fix when it is not usable. */
export function normalizeBaseUrl(ctx: RequestContext, raw: unknown): string {
	const base = cleanBaseUrl(raw);
	if (base) return base;
	const given = String(raw ?? '').trim();
	let fix = `Add the scheme: https://${given.replace(/^\/+/, '')} (or http:// for a local server)`;
	if (/^https?:\/\/[^/?#\s]/i.test(given)) {
		fix = 'Remove the query (?...), fragment (#...) or spaces: the node appends paths such as /images/generations to it';
	} else if (/^[a-z][a-z0-9+.-]*:\/\//i.test(given)) {
		fix = 'It must start with http:// or https:// and a host name';
	}
	throw new NodeOperationError(ctx.getNode(), `The credential's Base URL "${given.slice(0, 200)}" is not a valid http(s) URL`, {
		description: `${fix}. Open the credential and enter the full API root, e.g. https://api.openai.com/v1`,
	});
}

/** Where a request goes: the credential's cleaned Base URL and the full URL below it. */
export interface Endpoint {
	base: string;
	url: string;
}

/**
 * The credential, read once per node run: in n8n every read is a database query and a
 * decryption, and a batch makes one request per item and image.
 */
const credentialsByRun = new WeakMap<RequestContext, Promise<ICredentialDataDecryptedObject>>();
function credentialsOf(ctx: RequestContext): Promise<ICredentialDataDecryptedObject> {
	let credentials = credentialsByRun.get(ctx);
	if (!credentials) {
		credentials = ctx.getCredentials(CREDENTIAL_NAME);
		credentialsByRun.set(ctx, credentials);
	}
	return credentials;
}

export async function endpointFor(ctx: RequestContext, path: string, model?: string): Promise<Endpoint> {
	const credentials = await credentialsOf(ctx);
	const base = normalizeBaseUrl(ctx, credentials.baseUrl);
	const problem = credentialProblem(credentials);
	if (problem) {
		throw new NodeOperationError(ctx.getNode(), problem, {
			description: 'Open the credential used by this node and correct the field.',
		});
	}
	return { base, url: urlBelow(base, credentials, path, model) };
}

/** The URL of an API path below a cleaned Base URL, for the credential's authentication type. */
export function urlBelow(
	base: string,
	credentials: ICredentialDataDecryptedObject,
	path: string,
	model?: string,
): string {
	if (credentials.authentication !== 'azure') return `${base}/${path}`;
	// Azure routes image calls by deployment; the model field names it.
	if (path === 'models') return `${base}/openai/models`;
	return `${base}/openai/deployments/${encodeURIComponent(model ?? '')}/${path}`;
}

/** The credential's secrets (key, custom header values), to redact them from anything shown; none when unset. */
export async function credentialSecrets(ctx: RequestContext): Promise<string[]> {
	try {
		return secretsOf(await credentialsOf(ctx));
	} catch {
		return [];
	}
}

function header(response: ApiResponse, name: string): string | undefined {
	const value = response.headers[name] ?? response.headers[name.toLowerCase()];
	return Array.isArray(value) ? value[0] : value;
}

/** Delay the server asked for (retry-after-ms, retry-after seconds or HTTP date), if sane. */
function retryAfterMs(response: ApiResponse | undefined): number | undefined {
	if (!response) return undefined;
	const ms = Number(header(response, 'retry-after-ms'));
	if (Number.isFinite(ms) && ms >= 0 && header(response, 'retry-after-ms') !== undefined) {
		return Math.min(ms, MAX_RETRY_AFTER_MS);
	}
	const after = header(response, 'retry-after');
	if (after === undefined) return undefined;
	const seconds = Number(after);
	const delay = Number.isFinite(seconds) ? seconds * 1000 : Date.parse(after) - Date.now();
	if (!Number.isFinite(delay)) return undefined;
	return Math.min(Math.max(delay, 0), MAX_RETRY_AFTER_MS);
}

/** Exponential back-off with up to 25 % jitter, as the official SDKs do. */
function backoffMs(attempt: number): number {
	const base = Math.min(500 * 2 ** attempt, 8000);
	return base * (1 - Math.random() * 0.25);
}

function cancelSignal(ctx: RequestContext): AbortSignal | undefined {
	return 'getExecutionCancelSignal' in ctx ? ctx.getExecutionCancelSignal() : undefined;
}

/** Throws when the execution was cancelled, so that no further request is sent. */
export function throwIfCancelled(ctx: RequestContext, itemIndex?: number): void {
	if (cancelSignal(ctx)?.aborted) {
		throw new NodeOperationError(ctx.getNode(), 'The execution was cancelled', { itemIndex });
	}
}

/** Waits, but stops at once when the execution is cancelled. */
async function pause(signal: AbortSignal | undefined, ms: number): Promise<void> {
	if (!signal) return await sleep(ms);
	let onAbort = () => {};
	const aborted = new Promise<void>((resolve) => {
		onAbort = resolve;
		signal.addEventListener('abort', onAbort, { once: true });
	});
	try {
		// n8n-workflow 2.x's sleep stops its timer on abort; 1.x ignores the signal, hence the race.
		await Promise.race([sleep(ms, signal).catch(() => undefined), aborted]);
	} finally {
		signal.removeEventListener('abort', onAbort);
	}
}

/** The transport-level code of a failed request (n8n wraps axios errors; look through the layers). */
function errorCode(error: unknown): string | undefined {
	let current = error as { code?: unknown; cause?: unknown } | undefined;
	for (let depth = 0; current && depth < 5; depth++) {
		if (typeof current.code === 'string' && current.code) return current.code;
		current = current.cause as typeof current;
	}
	return undefined;
}

export interface Failure {
	code?: string;
	message: string;
	/** The attempt ran out of time: no answer, or an answer that stalled or never ended. */
	timedOut?: boolean;
}

/** The last attempt of a request: a response (2xx or not) or a transport failure. */
export interface RetryOutcome<R extends ApiResponse = ApiResponse> {
	response?: R;
	failure?: Failure;
	attempts: number;
}

/** " (after 3 attempts)" when a request was retried, for error messages. */
export function afterAttempts(attempts: number): string {
	return attempts > 1 ? ` (after ${attempts} attempts)` : '';
}

/** Whether a transport failure was the per-attempt timeout. */
export function isTimeout(failure: Failure | undefined): boolean {
	return failure?.timedOut === true || failure?.code === 'ECONNABORTED' || failure?.code === 'ETIMEDOUT';
}

const TLS_CODES = /^(EPROTO|ERR_SSL|ERR_TLS|CERT_|DEPTH_ZERO|SELF_SIGNED|UNABLE_TO_)/;

/**
 * A transport failure in plain words, for messages: n8n replaces a message that shows an error
 * code with a generic one, so the code goes to the description.
 */
export function failureReason(failure: Failure | undefined, timeoutMs: number): string {
	const code = failure?.code ?? '';
	if (isTimeout(failure)) return `no complete answer within ${Math.round(timeoutMs / 1000)} s`;
	if (code === 'ECONNREFUSED') return 'nothing accepts connections at that address';
	if (code === 'ENOTFOUND' || code === 'EAI_AGAIN') return 'the host name could not be resolved';
	if (code === 'EHOSTUNREACH' || code === 'ENETUNREACH') return 'the host cannot be reached from n8n';
	if (code === 'ECONNRESET' || code === 'EPIPE' || code === 'ERR_BAD_RESPONSE') {
		return 'the server closed the connection before the answer was complete';
	}
	if (TLS_CODES.test(code)) return 'the secure (TLS) connection failed';
	if (code.startsWith('HPE_')) return 'the server did not answer with valid HTTP';
	if (code === 'ERR_FR_TOO_MANY_REDIRECTS') return 'too many redirects';
	if (code === 'ERR_FR_REDIRECTION_FAILURE') return 'it redirected to an address that is not http(s)';
	return 'the connection failed';
}

/**
 * Settles with the request, or rejects when the deadline passes first: n8n puts its own cancel
 * signal on authenticated requests, so an attempt still waiting for its answer's headers cannot
 * be aborted through the attempt's signal (a body can: see apiRequest); the node goes on.
 */
async function withDeadline<T>(request: Promise<T>, deadline: AbortSignal): Promise<T> {
	let onAbort = () => {};
	const expired = new Promise<never>((_, reject) => {
		onAbort = () => reject(deadline.reason);
		deadline.addEventListener('abort', onAbort, { once: true });
	});
	// Whichever loses the race settles later with nobody listening: not an unhandled rejection.
	request.catch(() => undefined);
	try {
		return await Promise.race([request, expired]);
	} finally {
		deadline.removeEventListener('abort', onAbort);
	}
}

/**
 * Sends a request until it answers 2xx, fails in a way not worth retrying, or the retries run
 * out; returns the last attempt. `send` must ask n8n for the full response, ignore HTTP status
 * errors and resolve with the body read (a Buffer); it gets a signal that aborts when the execution is cancelled or the attempt's
 * `timeoutMs` is over (n8n's own timeout only notices a server that goes silent, not one that
 * trickles). Waits what the server asks (retry-after-ms, retry-after), else backs off
 * exponentially. A cancelled execution throws at once, also in the middle of a wait.
 */
export async function sendWithRetries<R extends ApiResponse = ApiResponse>(
	ctx: RequestContext,
	maxRetries: number,
	itemIndex: number | undefined,
	send: (signal: AbortSignal) => Promise<R>,
	timeoutMs = DEFAULT_TIMEOUT_MS,
): Promise<RetryOutcome<R>> {
	for (let attempt = 0; ; attempt++) {
		throwIfCancelled(ctx, itemIndex);
		const outcome: RetryOutcome<R> = { attempts: attempt + 1 };
		const deadline = AbortSignal.timeout(timeoutMs);
		const cancel = cancelSignal(ctx);
		const started = Date.now();
		try {
			outcome.response = await withDeadline(send(cancel ? AbortSignal.any([cancel, deadline]) : deadline), deadline);
		} catch (error) {
			const code = errorCode(error);
			// A response that stalls after its headers fails with a stream error, not a timeout code.
			const timedOut = deadline.aborted || Date.now() - started >= timeoutMs;
			outcome.failure = { code, message: code ?? (error as Error).message ?? 'unknown error', timedOut };
		}
		// An aborted request fails; report the cancel, not the failure it caused.
		throwIfCancelled(ctx, itemIndex);
		const { response, failure } = outcome;
		if (response && response.statusCode < 300) return outcome;
		const retryable = response
			? RETRYABLE_STATUS(response.statusCode)
			: isTimeout(failure) || RETRYABLE_CODES.has(failure?.code ?? '');
		if (!retryable || attempt >= maxRetries) return outcome;
		await pause(cancel, retryAfterMs(response) ?? backoffMs(attempt));
	}
}

/**
 * Sends one request to the credential's server with the credential's authentication, retrying
 * what is worth retrying. Resolves with the raw 2xx response; anything else becomes a
 * NodeApiError carrying the provider's own message and HTTP status.
 */
export async function apiRequest(ctx: RequestContext, request: ApiRequest): Promise<ApiResponse> {
	const timeout = request.timeout ?? DEFAULT_TIMEOUT_MS;
	const endpoint = await endpointFor(ctx, request.path, request.model);
	const isJsonBody = request.body !== undefined && !(request.body instanceof FormData);
	// Fresh options per attempt: n8n's authentication writes into the ones it gets.
	const options = (): IHttpRequestOptions => ({
		method: request.method,
		url: endpoint.url,
		body: request.body,
		json: isJsonBody,
		headers: { Accept: 'application/json' },
		// A stream, so that the attempt's deadline can end a body that trickles for ever (see send).
		encoding: 'stream',
		returnFullResponse: true,
		ignoreHttpStatusErrors: true,
		timeout,
		// The key and custom headers go to the Base URL's server only: a redirect is reported, not
		// followed (n8n strips only Authorization on a cross-origin redirect, not custom headers).
		disableFollowRedirect: true,
		sendCredentialsOnCrossOriginRedirect: false,
	});
	// n8n puts the execution's cancel signal on authenticated requests in place of the attempt's
	// own, so the attempt's signal is applied to the body here: a server that trickles an endless
	// answer is disconnected at the deadline, not merely left behind.
	const send = async (signal: AbortSignal): Promise<ApiResponse> => {
		const answer = (await ctx.helpers.httpRequestWithAuthentication.call(ctx, CREDENTIAL_NAME, options(), {
			credentialsDecrypted: { id: '', name: '', type: CREDENTIAL_NAME, data: await credentialsOf(ctx) },
		})) as Omit<ApiResponse, 'body'> & { body: BodyStream };
		const stopWatching = destroyOnAbort(answer.body, signal);
		try {
			return { ...answer, body: await readAtMost(answer.body) };
		} finally {
			stopWatching();
		}
	};
	const outcome = await sendWithRetries(ctx, request.maxRetries ?? DEFAULT_MAX_RETRIES, request.itemIndex, send, timeout);
	if (outcome.response && outcome.response.statusCode < 300) return { ...outcome.response, endpoint };
	throw upstreamError(ctx, endpoint, request, outcome, timeout);
}

/** Where a request went, for messages: origin and path only (a query could hold a secret). */
function shown(url: URL): string {
	return `${url.origin}${url.pathname}`;
}

/**
 * A hint on the Base URL for an answer that suggests it is wrong (404, a web page): names the
 * URL that was requested and a doubled path segment such as /v1/v1.
 */
export function baseUrlHint(endpoint: Endpoint): string {
	const doubled = /(\/[^/]+)\1$/.exec(new URL(endpoint.base).pathname)?.[1];
	const requested = `The node sent the request to ${shown(new URL(endpoint.url))}.`;
	if (doubled) {
		return `The Base URL in the credential ends in ${doubled}${doubled}: remove one ${doubled}, so that it reads ${endpoint.base.slice(0, -doubled.length)}. ${requested}`;
	}
	return `Check the Base URL in the credential: it must be the API root, which ends in /v1 for OpenAI and most gateways (the node appends /images/generations itself). ${requested}`;
}

function redirectError(
	ctx: RequestContext,
	endpoint: Endpoint,
	response: ApiResponse,
	itemIndex: number | undefined,
): NodeApiError {
	let target: URL | undefined;
	try {
		target = new URL(header(response, 'location') ?? '', endpoint.url);
	} catch {
		target = undefined;
	}
	const tail = endpoint.url.slice(endpoint.base.length);
	const suggested =
		target && shown(target).endsWith(tail) ? shown(target).slice(0, -tail.length) : undefined;
	return new NodeApiError(ctx.getNode(), { message: `HTTP ${response.statusCode}` } as JsonObject, {
		message: `The server redirected the request to ${target ? shown(target) : 'another address'} (HTTP ${response.statusCode})`,
		description: `The node does not follow redirects of API requests, so that the API key and custom headers reach only the Base URL's server. ${suggested ? `If that server is right, set the Base URL in the credential to ${suggested}` : 'Set the Base URL in the credential to the address the server redirects to'}.`,
		httpCode: String(response.statusCode),
		itemIndex,
	});
}

function upstreamError(
	ctx: RequestContext,
	endpoint: Endpoint,
	request: ApiRequest,
	{ response, failure, attempts }: RetryOutcome,
	timeout: number,
): NodeApiError {
	const tries = afterAttempts(attempts);
	const host = new URL(endpoint.url).host;
	if (!response) {
		const timedOut = isTimeout(failure);
		// No error code in the message: NodeApiError would swap such a message for a generic one.
		const message = timedOut
			? `The server at ${host} did not answer within ${Math.round(timeout / 1000)} s${tries}`
			: `The connection to the server at ${host} failed: ${failureReason(failure, timeout)}${tries}`;
		return new NodeApiError(ctx.getNode(), { message: failure?.message ?? '' } as JsonObject, {
			message,
			description: timedOut
				? 'Image generation can take minutes; raise the Timeout option, or check that the Base URL points at the right server.'
				: TLS_CODES.test(failure?.code ?? '')
					? `${failure?.message}: check that the Base URL's scheme fits the server (https only when it speaks TLS) and that its certificate is valid and trusted by n8n (a private CA goes in NODE_EXTRA_CA_CERTS).`
					: `${failure?.message}: check the Base URL in the credential (scheme http or https, host and port) and that the server is running and reachable from n8n.`,
			itemIndex: request.itemIndex,
		});
	}
	if (response.statusCode >= 300 && response.statusCode < 400) {
		return redirectError(ctx, endpoint, response, request.itemIndex);
	}
	const upstream = decodeErrorBody(response.body, header(response, 'content-type'));
	const described = describeUpstreamError(response.statusCode, upstream, request.path);
	const description =
		response.statusCode === 404 || response.statusCode === 405
			? `${described.description} ${baseUrlHint(endpoint)}`
			: described.description;
	return new NodeApiError(ctx.getNode(), upstream.json ?? { message: upstream.message }, {
		message: `${described.message}${tries}`,
		description,
		httpCode: String(response.statusCode),
		itemIndex: request.itemIndex,
	});
}

/** Parses a 2xx JSON body; a body that is not a JSON object is an upstream error too. */
export function parseJsonBody(ctx: RequestContext, response: ApiResponse, itemIndex?: number): IDataObject {
	try {
		const parsed = parseJsonWithLongStrings(response.body);
		if (parsed && typeof parsed === 'object' && !Array.isArray(parsed)) return parsed as IDataObject;
	} catch {
		// handled below
	}
	const upstream = decodeErrorBody(response.body, header(response, 'content-type'));
	// Gateways answer unknown paths with their web app's page, so a wrong Base URL shows up here.
	const hint = response.endpoint
		? baseUrlHint(response.endpoint)
		: 'Check that the Base URL points at the API root (for OpenAI and most gateways it ends in /v1), not at a web page.';
	throw new NodeApiError(ctx.getNode(), { message: upstream.message }, {
		message: `The server answered HTTP ${response.statusCode} with a body that is not a JSON object: ${upstream.message}`,
		description: `The answer may have been cut off, or it is a web page. ${hint}`,
		httpCode: String(response.statusCode),
		itemIndex,
	});
}
