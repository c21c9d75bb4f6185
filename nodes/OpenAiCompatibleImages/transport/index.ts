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
const RETRYABLE_STATUS = (status: number) =>
	status === 408 || status === 409 || status === 429 || status >= 500;
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

/** Waits, but gives up at once when the execution is cancelled. */
async function pause(ctx: RequestContext, ms: number): Promise<void> {
	const signal = 'getExecutionCancelSignal' in ctx ? ctx.getExecutionCancelSignal() : undefined;
	if (!signal) return await sleep(ms);
	if (signal.aborted) return;
	await Promise.race([
		sleep(ms),
		new Promise<void>((resolve) => signal.addEventListener('abort', () => resolve(), { once: true })),
	]);
}

function isCancelled(ctx: RequestContext): boolean {
	return 'getExecutionCancelSignal' in ctx && ctx.getExecutionCancelSignal()?.aborted === true;
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

/**
 * Sends one request to the credential's server with the credential's authentication, retrying
 * what is worth retrying. Resolves with the raw 2xx response; anything else becomes a
 * NodeApiError carrying the provider's own message and HTTP status.
 */
export async function apiRequest(ctx: RequestContext, request: ApiRequest): Promise<ApiResponse> {
	const maxRetries = request.maxRetries ?? DEFAULT_MAX_RETRIES;
	const timeout = request.timeout ?? DEFAULT_TIMEOUT_MS;
	const url = await urlFor(ctx, request.path, request.model);
	const isJsonBody = request.body !== undefined && !(request.body instanceof FormData);

	for (let attempt = 0; ; attempt++) {
		const options: IHttpRequestOptions = {
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
		};
		let response: ApiResponse | undefined;
		let failure: { code?: string; message: string } | undefined;
		try {
			response = (await ctx.helpers.httpRequestWithAuthentication.call(
				ctx,
				CREDENTIAL_NAME,
				options,
			)) as ApiResponse;
			response.body = Buffer.isBuffer(response.body)
				? response.body
				: Buffer.from(response.body ?? '');
		} catch (error) {
			const code = errorCode(error);
			failure = { code, message: code ?? (error as Error).message ?? 'unknown error' };
		}

		const attempts = attempt + 1;
		const retryable = response ? RETRYABLE_STATUS(response.statusCode) : RETRYABLE_CODES.has(failure?.code ?? '');
		if (response && response.statusCode < 300) return response;
		if (isCancelled(ctx)) {
			throw new NodeOperationError(ctx.getNode(), 'The execution was cancelled', {
				itemIndex: request.itemIndex,
			});
		}
		if (retryable && attempt < maxRetries) {
			await pause(ctx, retryAfterMs(response) ?? backoffMs(attempt));
			if (!isCancelled(ctx)) continue;
		}
		throw upstreamError(ctx, url, request, attempts, response, failure, timeout);
	}
}

function upstreamError(
	ctx: RequestContext,
	url: string,
	request: ApiRequest,
	attempts: number,
	response: ApiResponse | undefined,
	failure: { code?: string; message: string } | undefined,
	timeout: number,
): NodeApiError {
	const tries = attempts > 1 ? ` (after ${attempts} attempts)` : '';
	const host = new URL(url).host;
	if (!response) {
		const timedOut = failure?.code === 'ECONNABORTED' || failure?.code === 'ETIMEDOUT';
		const message = timedOut
			? `The server at ${host} did not answer within ${Math.round(timeout / 1000)} s${tries}`
			: `Could not reach the server at ${host}: ${failure?.message}${tries}`;
		return new NodeApiError(ctx.getNode(), { message: failure?.message ?? '' } as JsonObject, {
			message,
			description: timedOut
				? 'Image generation can take minutes; raise the Timeout option, or check that the Base URL points at the right server.'
				: 'Check the Base URL in the credential and that the server is running and reachable from n8n.',
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
