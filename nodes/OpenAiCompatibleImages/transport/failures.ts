/** Error shaping: what the user reads when a request fails (transport failure, redirect, HTTP error). */
import { NodeApiError, type JsonObject } from 'n8n-workflow';

import { DOCKER_LOOPBACK_HINT } from '../../../credentials/OpenAiCompatibleImagesApi.credentials';
import type { Endpoint, RequestContext } from './endpoint';
import { decodeErrorBody, describeUpstreamError } from './errors';
import { afterAttempts, isTimeout, type Failure, type RetryOutcome } from './retry';
import { header, type ApiRequest, type ApiResponse } from './types';

const TLS_CODES = /^(EPROTO|ERR_SSL|ERR_TLS|CERT_|DEPTH_ZERO|SELF_SIGNED|UNABLE_TO_)/;

/**
 * A transport failure in plain words, for messages: n8n replaces a message that shows an error
 * code with a generic one, so the code goes to the description.
 */
export function failureReason(failure: Failure | undefined, timeoutMs: number): string {
	const code = failure?.code ?? '';
	if (failure?.ssrf) return "n8n's SSRF protection (N8N_SSRF_PROTECTION_ENABLED) blocked the address";
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

/**
 * The error for an answer or download that passed the size limit (not retried: it would again);
 * `times`: an answer may be the Max Response Size once per image asked for.
 */
export function tooLargeError(ctx: RequestContext, what: string, maxBytes: number, itemIndex?: number, times = 1): NodeApiError {
	const limit = `${Math.round((maxBytes / 1024 / 1024) * 100) / 100} MB`;
	const passed = times > 1 ? `${times} × the Max Response Size of ${limit} (${times} images asked for)` : `the Max Response Size of ${limit}`;
	return new NodeApiError(ctx.getNode(), { message: `larger than ${limit}` } as JsonObject, {
		message: `${what} is larger than ${passed}`,
		description: `The node stopped reading there, so that a server cannot make n8n read and store without end. If the provider really sends images this large, raise the option Max Response Size (MB); otherwise check the Base URL and the provider: a server that sends without end looks like this.`,
		itemIndex,
	});
}

/**
 * The description of a request n8n's own SSRF protection refused, naming the settings that
 * allow it; undefined for other failures.
 */
export function ssrfBlocked(failure: Failure | undefined): string | undefined {
	if (!failure?.ssrf) return undefined;
	return `n8n's own SSRF protection (N8N_SSRF_PROTECTION_ENABLED=true) refused it: ${failure.ssrf} An n8n administrator can allow the address with N8N_SSRF_ALLOWED_IP_RANGES or the host with N8N_SSRF_ALLOWED_HOSTNAMES.`;
}

/** Why a request with retries left was not sent again, for error descriptions. */
export const HELD_BACK =
	'Not sent again: the server may have made (and billed) the images already. The option Retry Possibly Billed Requests sends such requests again.';

export function upstreamError(
	ctx: RequestContext,
	endpoint: Endpoint,
	request: ApiRequest,
	outcome: RetryOutcome,
	timeout: number,
): NodeApiError {
	const error = describeFailure(ctx, endpoint, request, outcome, timeout);
	if (outcome.heldBack) error.description = `${error.description ?? ''} ${HELD_BACK}`.trim();
	return error;
}

function describeFailure(
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
			description: ssrfBlocked(failure) ?? (timedOut
				? 'Image generation can take minutes; raise the Timeout option, or check that the Base URL points at the right server.'
				: TLS_CODES.test(failure?.code ?? '')
					? `${failure?.message}: check that the Base URL's scheme fits the server (https only when it speaks TLS) and that its certificate is valid and trusted by n8n (a private CA goes in NODE_EXTRA_CA_CERTS).`
					: `${failure?.message}: check the Base URL in the credential (scheme http or https, host and port) and that the server is running and reachable from n8n.${failure?.code === 'ECONNREFUSED' ? ` ${DOCKER_LOOPBACK_HINT}` : ''}`),
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
	const error = new NodeApiError(ctx.getNode(), upstream.json ?? { message: upstream.message }, {
		message: `${described.message}${tries}`,
		description,
		httpCode: String(response.statusCode),
		itemIndex: request.itemIndex,
	});
	// n8n swaps a message that names an error code (ECONNREFUSED, ...) for a generic one, which
	// here would blame the wrong hop: the provider's (or gateway's) own words stay.
	error.message = `${described.message}${tries}`;
	return error;
}
