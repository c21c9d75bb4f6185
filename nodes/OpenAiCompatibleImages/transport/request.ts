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
import { AnswerTooLarge, JsonStreamReader } from './json';
import { DEFAULT_MAX_RETRIES, DEFAULT_TIMEOUT_MS, sendWithRetries } from './retry';
import { destroyOnAbort, ERROR_BODY_BYTES, pushStreamLike, readAtMost, type BodyStream } from './stream';
import { DEFAULT_MAX_RESPONSE_BYTES, header, type ApiRequest, type ApiResponse } from './types';

/**
 * Sends one request to the credential's server with the credential's authentication, retrying
 * what is worth retrying. Resolves with the raw 2xx response; anything else becomes a
 * NodeApiError carrying the provider's own message and HTTP status.
 */
export async function apiRequest(ctx: RequestContext, request: ApiRequest): Promise<ApiResponse> {
	const timeout = request.timeout ?? DEFAULT_TIMEOUT_MS;
	const maxBytes = request.maxResponseBytes ?? DEFAULT_MAX_RESPONSE_BYTES;
	const answerLimit = maxBytes * Math.max(1, request.images ?? 1);
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
			// An error answer is shown by its start; a 2xx answer is parsed as it arrives, up to the size limits.
			if (answer.statusCode >= 300) return { ...answer, body: await readAtMost(answer.body, ERROR_BODY_BYTES) };
			if (Number(answer.headers['content-length']) > answerLimit) {
				answer.body.destroy();
				return { ...answer, body: Buffer.alloc(0), tooLarge: 'answer' };
			}
			return { ...answer, ...(await readJson(answer.body, answerLimit, maxBytes, request.openImage)) };
		} finally {
			stopWatching();
		}
	};
	const repeatProcessed = request.method === 'GET' || request.retryMayBeProcessed === true;
	const outcome = await sendWithRetries(ctx, request.maxRetries ?? DEFAULT_MAX_RETRIES, request.itemIndex, send, timeout, repeatProcessed, request.gate);
	const tooLarge = outcome.response?.tooLarge;
	if (tooLarge) {
		const host = new URL(endpoint.url).host;
		if (tooLarge === 'image') throw tooLargeError(ctx, `An image in the answer from ${host}`, maxBytes, request.itemIndex);
		const times = tooLarge === 'answer' ? Math.max(1, request.images ?? 1) : 1;
		throw tooLargeError(ctx, `The answer from ${host}`, maxBytes, request.itemIndex, times);
	}
	if (outcome.response && outcome.response.statusCode < 300) return { ...outcome.response, endpoint };
	throw upstreamError(ctx, endpoint, request, outcome, timeout);
}

/**
 * A 2xx answer, parsed as it arrives: inline images go to `openImage`'s sinks (and on into n8n's
 * binary storage) while they are read, and only the rest of the document is held. Stops at
 * `answerLimit` bytes in all, or when one image or the rest passes `partLimit`.
 */
async function readJson(
	stream: BodyStream,
	answerLimit: number,
	partLimit: number,
	openImage: ApiRequest['openImage'],
): Promise<Pick<ApiResponse, 'body' | 'json' | 'tooLarge'>> {
	const reader = new JsonStreamReader({
		openImage: openImage && (() => openImage(() => pushStreamLike(stream))),
		maxImageBytes: partLimit,
		maxHeldBytes: openImage ? partLimit : answerLimit,
	});
	// The start of the body, for the error message when it is not JSON.
	const head: Buffer[] = [];
	let headLength = 0;
	let length = 0;
	const failure = await (async () => {
		for await (const chunk of stream) {
			const bytes = chunk as Buffer;
			length += bytes.length;
			if (length > answerLimit) throw new AnswerTooLarge('answer');
			if (headLength < ERROR_BODY_BYTES) {
				head.push(Buffer.from(bytes.subarray(0, ERROR_BODY_BYTES - headLength)));
				headLength += head[head.length - 1].length;
			}
			await reader.write(bytes);
		}
	})().then(
		() => undefined,
		(error: Error) => error,
	);
	stream.destroy();
	if (failure) {
		// An image it was in the middle of is dropped by the storage, before the attempt ends.
		reader.abort(failure);
		await reader.settled();
		if (failure instanceof AnswerTooLarge) return { body: Buffer.alloc(0), tooLarge: failure.part };
		// A transport failure: sendWithRetries decides on a retry.
		return await Promise.reject(failure);
	}
	const body = Buffer.concat(head);
	let json: unknown;
	try {
		json = reader.end();
	} catch {
		// Not JSON, or cut off: parseJsonBody says so.
	}
	await reader.settled();
	return { body, json };
}

/** A 2xx answer's JSON object (parsed while it was read); a body that is not a JSON object is an upstream error too. */
export function parseJsonBody(ctx: RequestContext, response: ApiResponse, itemIndex?: number): IDataObject {
	const parsed = response.json;
	if (parsed && typeof parsed === 'object' && !Array.isArray(parsed)) return parsed as IDataObject;
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
