/** One API request to the credential's server, and its JSON answer. */
import {
	NodeApiError,
	type IDataObject,
	type IHttpRequestOptions,
} from 'n8n-workflow';

import { CREDENTIAL_NAME } from '../../../credentials/OpenAiCompatibleImagesApi.credentials';
import { credentialsOf, endpointFor, type RequestContext } from './endpoint';
import { decodeErrorBody } from './errors';
import { baseUrlHint, tooLargeError, upstreamError } from './failures';
import { parseJsonWithLongStrings } from './json';
import { DEFAULT_MAX_RETRIES, DEFAULT_TIMEOUT_MS, sendWithRetries } from './retry';
import { destroyOnAbort, ERROR_BODY_BYTES, readAtMost, readWhole, type BodyStream } from './stream';
import { DEFAULT_MAX_RESPONSE_BYTES, header, type ApiRequest, type ApiResponse } from './types';

/**
 * Sends one request to the credential's server with the credential's authentication, retrying
 * what is worth retrying. Resolves with the raw 2xx response; anything else becomes a
 * NodeApiError carrying the provider's own message and HTTP status.
 */
export async function apiRequest(ctx: RequestContext, request: ApiRequest): Promise<ApiResponse> {
	const timeout = request.timeout ?? DEFAULT_TIMEOUT_MS;
	const maxBytes = request.maxResponseBytes ?? DEFAULT_MAX_RESPONSE_BYTES;
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
			// An error answer is shown by its start; a 2xx answer is read whole, up to the size limit.
			if (answer.statusCode >= 300) return { ...answer, body: await readAtMost(answer.body, ERROR_BODY_BYTES) };
			const body = await readWhole(answer.body, maxBytes, answer.headers['content-length']);
			return body ? { ...answer, body } : { ...answer, body: Buffer.alloc(0), tooLarge: true };
		} finally {
			stopWatching();
		}
	};
	const repeatProcessed = request.method === 'GET' || request.retryMayBeProcessed === true;
	const outcome = await sendWithRetries(ctx, request.maxRetries ?? DEFAULT_MAX_RETRIES, request.itemIndex, send, timeout, repeatProcessed, request.gate);
	if (outcome.response?.tooLarge) {
		throw tooLargeError(ctx, `The answer from ${new URL(endpoint.url).host}`, maxBytes, request.itemIndex);
	}
	if (outcome.response && outcome.response.statusCode < 300) return { ...outcome.response, endpoint };
	throw upstreamError(ctx, endpoint, request, outcome, timeout);
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
