/** The retry policy: which failures are worth another attempt, how long to wait, and the attempt loop. */
import { NodeOperationError, sleep } from 'n8n-workflow';

import type { RequestContext } from './endpoint';
import type { RequestGate } from './gate';
import { header, type ApiResponse } from './types';

export const DEFAULT_TIMEOUT_MS = 10 * 60 * 1000;
export const DEFAULT_MAX_RETRIES = 2;

/**
 * Whether a failed attempt is worth another, and whether sending it again can bill twice:
 * - `unprocessed`: the server cannot have made (or will not bill) the images: the connection was
 *   never made, or the server answered that it did not do the work (408, 409, 429, 500, 503, or
 *   any retryable status with retry-after / retry-after-ms, by which a server says "come back").
 * - `mayBeProcessed`: the request was sent and may still be generating, and billed, upstream: a
 *   timeout, a connection lost after sending, an answer cut off, or a proxy's 502, 504 and other
 *   5xx without retry-after (the proxy lost or gave up on the origin, which may finish the work).
 * - `final`: not worth another attempt (other 4xx; 501, which one-api answers for edits).
 * Requests that cost nothing (GET: model list, image downloads) repeat in both retryable cases;
 * billable ones (generation, edit, variation) only when `unprocessed`, unless the user opts in.
 */
export type RetryVerdict = 'unprocessed' | 'mayBeProcessed' | 'final';

/** Answers that say the work was not done (the official SDKs retry these too). */
const UNPROCESSED_STATUS = new Set([408, 409, 429, 500, 503]);
/** Failures before anything was sent: no connection, no address. */
const UNSENT_CODES = new Set(['ECONNREFUSED', 'EAI_AGAIN', 'ENETUNREACH', 'EHOSTUNREACH', 'ERR_SOCKET_CONNECTION_TIMEOUT']);
/** Failures after the request may have reached the server. */
const SENT_CODES = new Set([
	'ECONNRESET',
	'ECONNABORTED',
	'ETIMEDOUT',
	'EPIPE',
	// axios's code for an answer cut off after its headers ("stream has been aborted").
	'ERR_BAD_RESPONSE',
	'ERR_STREAM_PREMATURE_CLOSE',
]);

export function retryVerdict(response: ApiResponse | undefined, failure: Failure | undefined): RetryVerdict {
	if (response) {
		const status = response.statusCode;
		if (UNPROCESSED_STATUS.has(status)) return 'unprocessed';
		if (status < 500 || status === 501) return 'final';
		return retryAfterMs(response) !== undefined ? 'unprocessed' : 'mayBeProcessed';
	}
	if (failure?.ssrf) return 'final';
	if (UNSENT_CODES.has(failure?.code ?? '') && !failure?.timedOut) return 'unprocessed';
	return isTimeout(failure) || SENT_CODES.has(failure?.code ?? '') ? 'mayBeProcessed' : 'final';
}

const MAX_RETRY_AFTER_MS = 60_000;
/** The most a request waits in all on rate limits (HTTP 429) absorbed by the gate. */
export const MAX_RATE_LIMIT_WAIT_MS = 5 * 60_000;

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

/**
 * n8n's SSRF protection (N8N_SSRF_PROTECTION_ENABLED) refusing an address: its description, found
 * through the layers of wrapping (SsrfBlockedIpError, SsrfBlockedHostnameError).
 */
function ssrfRefusal(error: unknown): string | undefined {
	let current = error as { name?: unknown; message?: unknown; description?: unknown; cause?: unknown } | undefined;
	for (let depth = 0; current && depth < 5; depth++) {
		if (/^Ssrf/.test(String(current.name)) || /^The request was blocked because/.test(String(current.message))) {
			return `${String(current.message)}. ${typeof current.description === 'string' ? current.description : ''}`.trim();
		}
		current = current.cause as typeof current;
	}
	return undefined;
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
	/** n8n's own SSRF protection refused the address: its description. */
	ssrf?: string;
}

/** The last attempt of a request: a response (2xx or not) or a transport failure. */
export interface RetryOutcome<R extends ApiResponse = ApiResponse> {
	response?: R;
	failure?: Failure;
	attempts: number;
	/** Retries were left, but the request was not sent again: it may have been processed (and billed). */
	heldBack?: boolean;
}

/** " (after 3 attempts)" when a request was retried, for error messages. */
export function afterAttempts(attempts: number): string {
	return attempts > 1 ? ` (after ${attempts} attempts)` : '';
}

/** Whether a transport failure was the per-attempt timeout. */
export function isTimeout(failure: Failure | undefined): boolean {
	return failure?.timedOut === true || failure?.code === 'ECONNABORTED' || failure?.code === 'ETIMEDOUT';
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
 * `repeatProcessed` false (billable requests) repeats only what cannot have been processed (see
 * retryVerdict). With a `gate` (the run's adaptive concurrency), every attempt waits for a slot,
 * and HTTP 429 answers are retried beyond Max Retries (unless it is 0), each after its
 * retry-after, for at most the attempt's timeout (and MAX_RATE_LIMIT_WAIT_MS) of waiting in all.
 */
export async function sendWithRetries<R extends ApiResponse = ApiResponse>(
	ctx: RequestContext,
	maxRetries: number,
	itemIndex: number | undefined,
	send: (signal: AbortSignal) => Promise<R>,
	timeoutMs = DEFAULT_TIMEOUT_MS,
	repeatProcessed = true,
	gate?: RequestGate,
): Promise<RetryOutcome<R>> {
	// Retries counted against maxRetries; HTTP 429s absorbed by the gate count against a total wait.
	let retries = 0;
	let rateLimits = 0;
	let rateLimitWaitMs = 0;
	for (let attempt = 0; ; attempt++) {
		throwIfCancelled(ctx, itemIndex);
		const outcome: RetryOutcome<R> = { attempts: attempt + 1 };
		const cancel = cancelSignal(ctx);
		await gate?.acquire(cancel);
		// The attempt's time starts once it may be sent, not while it waits for the gate.
		const deadline = AbortSignal.timeout(timeoutMs);
		const started = Date.now();
		try {
			throwIfCancelled(ctx, itemIndex);
			outcome.response = await withDeadline(send(cancel ? AbortSignal.any([cancel, deadline]) : deadline), deadline);
		} catch (error) {
			const code = errorCode(error);
			// A response that stalls after its headers fails with a stream error, not a timeout code.
			const timedOut = deadline.aborted || Date.now() - started >= timeoutMs;
			outcome.failure = { code, message: code ?? (error as Error).message ?? 'unknown error', timedOut, ssrf: ssrfRefusal(error) };
		} finally {
			gate?.release(!outcome.response ? 'failed' : outcome.response.statusCode === 429 ? 'rateLimited' : 'answered');
		}
		// An aborted request fails; report the cancel, not the failure it caused.
		throwIfCancelled(ctx, itemIndex);
		const { response, failure } = outcome;
		if (response && response.statusCode < 300) return outcome;
		const verdict = retryVerdict(response, failure);
		if (verdict === 'final' || maxRetries === 0) return outcome;
		if (verdict === 'mayBeProcessed' && !repeatProcessed) {
			return retries < maxRetries ? { ...outcome, heldBack: true } : outcome;
		}
		let wait: number;
		if (gate && response?.statusCode === 429) {
			// Rate limited: the gate has lowered the requests in flight; wait as asked and go on, up to a total wait.
			wait = retryAfterMs(response) ?? backoffMs(rateLimits++);
			if (rateLimitWaitMs + wait > Math.min(MAX_RATE_LIMIT_WAIT_MS, timeoutMs)) return outcome;
			rateLimitWaitMs += wait;
		} else {
			if (retries >= maxRetries) return outcome;
			wait = retryAfterMs(response) ?? backoffMs(retries);
			retries++;
		}
		await pause(cancel, wait);
	}
}
