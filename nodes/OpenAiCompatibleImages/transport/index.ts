import {
	NodeApiError,
	NodeOperationError,
	sleep,
	type IDataObject,
	type IExecuteFunctions,
	type IHttpRequestMethods,
	type IHttpRequestOptions,
	type ILoadOptionsFunctions,
	type JsonObject,
} from 'n8n-workflow';

import { CREDENTIAL_NAME } from '../../../credentials/OpenAiCompatibleImagesApi.credentials';
import { decodeErrorBody, describeUpstreamError } from './errors';

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
]);
const MAX_RETRY_AFTER_MS = 60_000;

/** Base URL of the credential: trailing slashes removed, scheme required. */
export function normalizeBaseUrl(ctx: RequestContext, raw: unknown): string {
	const base = String(raw ?? '')
		.trim()
		.replace(/\/+$/, '');
	if (!/^https?:\/\/[^/]/i.test(base)) {
		throw new NodeOperationError(
			ctx.getNode(),
			`The credential's Base URL "${base}" is not a valid http(s) URL`,
			{
				description:
					'Open the credential and enter the full API root including https://, e.g. https://api.openai.com/v1',
			},
		);
	}
	return base;
}

export async function urlFor(ctx: RequestContext, path: string, model?: string): Promise<string> {
	const credentials = await ctx.getCredentials(CREDENTIAL_NAME);
	const base = normalizeBaseUrl(ctx, credentials.baseUrl);
	if (credentials.authentication !== 'azure') return `${base}/${path}`;
	// Azure routes image calls by deployment; the model field names it.
	if (path === 'models') return `${base}/openai/models`;
	return `${base}/openai/deployments/${encodeURIComponent(model ?? '')}/${path}`;
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
}

/** The last attempt of a request: a response (2xx or not) or a transport failure. */
export interface RetryOutcome {
	response?: ApiResponse;
	failure?: Failure;
	attempts: number;
}

/** " (after 3 attempts)" when a request was retried, for error messages. */
export function afterAttempts(attempts: number): string {
	return attempts > 1 ? ` (after ${attempts} attempts)` : '';
}

/** Whether a transport failure was the per-attempt timeout. */
export function isTimeout(failure: Failure | undefined): boolean {
	return failure?.code === 'ECONNABORTED' || failure?.code === 'ETIMEDOUT';
}

/**
 * Sends a request (`send` must ask n8n for the full response and ignore HTTP status errors) until
 * it answers 2xx, fails in a way not worth retrying, or the retries run out; returns the last
 * attempt. Waits what the server asks (retry-after-ms, retry-after), else backs off exponentially.
 * A cancelled execution throws at once, also in the middle of a wait.
 */
export async function sendWithRetries(
	ctx: RequestContext,
	maxRetries: number,
	itemIndex: number | undefined,
	send: () => Promise<unknown>,
): Promise<RetryOutcome> {
	for (let attempt = 0; ; attempt++) {
		throwIfCancelled(ctx, itemIndex);
		const outcome: RetryOutcome = { attempts: attempt + 1 };
		try {
			const response = (await send()) as ApiResponse;
			response.body = Buffer.isBuffer(response.body) ? response.body : Buffer.from(response.body ?? '');
			outcome.response = response;
		} catch (error) {
			const code = errorCode(error);
			outcome.failure = { code, message: code ?? (error as Error).message ?? 'unknown error' };
		}
		// An aborted request fails; report the cancel, not the failure it caused.
		throwIfCancelled(ctx, itemIndex);
		const { response, failure } = outcome;
		if (response && response.statusCode < 300) return outcome;
		const retryable = response ? RETRYABLE_STATUS(response.statusCode) : RETRYABLE_CODES.has(failure?.code ?? '');
		if (!retryable || attempt >= maxRetries) return outcome;
		await pause(cancelSignal(ctx), retryAfterMs(response) ?? backoffMs(attempt));
	}
}

/**
 * Sends one request to the credential's server with the credential's authentication, retrying
 * what is worth retrying. Resolves with the raw 2xx response; anything else becomes a
 * NodeApiError carrying the provider's own message and HTTP status.
 */
export async function apiRequest(ctx: RequestContext, request: ApiRequest): Promise<ApiResponse> {
	const timeout = request.timeout ?? DEFAULT_TIMEOUT_MS;
	const url = await urlFor(ctx, request.path, request.model);
	const isJsonBody = request.body !== undefined && !(request.body instanceof FormData);
	// Fresh options per attempt: n8n's authentication writes into the ones it gets.
	const options = (): IHttpRequestOptions => ({
		method: request.method,
		url,
		body: request.body,
		json: isJsonBody,
		headers: { Accept: 'application/json' },
		encoding: 'arraybuffer',
		returnFullResponse: true,
		ignoreHttpStatusErrors: true,
		timeout,
		// The key goes to the base URL's host only, never on to a redirect target.
		sendCredentialsOnCrossOriginRedirect: false,
	});
	const outcome = await sendWithRetries(
		ctx,
		request.maxRetries ?? DEFAULT_MAX_RETRIES,
		request.itemIndex,
		async () => await ctx.helpers.httpRequestWithAuthentication.call(ctx, CREDENTIAL_NAME, options()),
	);
	if (outcome.response && outcome.response.statusCode < 300) return outcome.response;
	throw upstreamError(ctx, url, request, outcome, timeout);
}

function upstreamError(
	ctx: RequestContext,
	url: string,
	request: ApiRequest,
	{ response, failure, attempts }: RetryOutcome,
	timeout: number,
): NodeApiError {
	const tries = afterAttempts(attempts);
	const host = new URL(url).host;
	if (!response) {
		const timedOut = isTimeout(failure);
		// No error code in the message: NodeApiError would swap such a message for a generic one.
		const message = timedOut
			? `The server at ${host} did not answer within ${Math.round(timeout / 1000)} s${tries}`
			: `The connection to the server at ${host} failed${tries}`;
		return new NodeApiError(ctx.getNode(), { message: failure?.message ?? '' } as JsonObject, {
			message,
			description: timedOut
				? 'Image generation can take minutes; raise the Timeout option, or check that the Base URL points at the right server.'
				: `${failure?.message}: check the Base URL in the credential and that the server is running and reachable from n8n.`,
			itemIndex: request.itemIndex,
		});
	}
	const upstream = decodeErrorBody(response.body, header(response, 'content-type'));
	const { message, description } = describeUpstreamError(response.statusCode, upstream, request.path);
	return new NodeApiError(ctx.getNode(), upstream.json ?? { message: upstream.message }, {
		message: `${message}${tries}`,
		description,
		httpCode: String(response.statusCode),
		itemIndex: request.itemIndex,
	});
}

/** Parses a 2xx JSON body; a body that is not JSON is an upstream error too. */
export function parseJsonBody(ctx: RequestContext, response: ApiResponse, itemIndex?: number): IDataObject {
	const text = response.body.toString('utf8');
	try {
		const parsed: unknown = JSON.parse(text);
		if (parsed && typeof parsed === 'object' && !Array.isArray(parsed)) return parsed as IDataObject;
	} catch {
		// handled below
	}
	const upstream = decodeErrorBody(response.body, header(response, 'content-type'));
	throw new NodeApiError(ctx.getNode(), { message: upstream.message }, {
		message: `The server answered HTTP ${response.statusCode} with a body that is not JSON: ${upstream.message}`,
		description:
			'Check that the Base URL points at the API root (for OpenAI and most gateways it ends in /v1), not at a web page.',
		httpCode: String(response.statusCode),
		itemIndex,
	});
}
