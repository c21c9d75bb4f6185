/** Image downloads: the image URLs a provider answers with, fetched into n8n's binary storage. */
import { NodeApiError, NodeOperationError, type IExecuteFunctions, type JsonObject } from 'n8n-workflow';

import { detectImageFormat, imageDimensions, inspectImage, notAnImage, type StoredImage } from '../helpers/images';
import { isPrivateAddress } from './addresses';
import { endpointFor } from './endpoint';
import { decodeErrorBody } from './errors';
import { failureReason, ssrfBlocked, tooLargeError } from './failures';
import { afterAttempts, sendWithRetries } from './retry';
import { destroyOnAbort, ERROR_BODY_BYTES, limitStream, peekStream, readAtMost, type BodyStream } from './stream';
import type { ApiResponse } from './types';

/** Bytes of a download read before storing it: enough for the type and for most image headers. */
const MIN_PEEK_BYTES = 64;
/** A JPEG's size sits after its metadata segments; beyond this much it is left out. */
const MAX_PEEK_BYTES = 512 * 1024;

/** Whether the start of a download tells all the node wants to know before storing it. */
function headerRead(head: Buffer): boolean {
	if (head.length < MIN_PEEK_BYTES) return false;
	const format = detectImageFormat(head);
	return format?.format !== 'jpeg' || imageDimensions(head, 'jpeg') !== undefined;
}

/** What a download needs to know of the node's options. */
export interface DownloadSettings {
	/** Milliseconds per attempt. */
	timeout: number;
	maxRetries: number;
	/** Most bytes of one image. */
	maxResponseBytes: number;
	/** Download from loopback, private, link-local and CGNAT addresses too. */
	allowPrivateImageHosts: boolean;
}

/** A download attempt's answer: the error body, the start of a body that is not an image, or the stored image. */
interface DownloadResponse extends ApiResponse {
	stored?: StoredImage;
	/** The address refused by the private-host policy, and the host name it was reached by. */
	refused?: { host: string; address: string };
	/** The answer came from a private address (allowed): nothing of its body is shown. */
	fromPrivateHost?: boolean;
	/** Redirected more often than MAX_REDIRECTS. */
	redirectLoop?: boolean;
}

const MAX_REDIRECTS = 5;
const REDIRECT_STATUS = new Set([301, 302, 303, 307, 308]);

/**
 * The private address a host name resolves to, asked of n8n 2.x's egress filter with n8n's SSRF
 * rules enforced (it resolves the name; n8n 1.x has no such helper): undefined when the name
 * resolves to public addresses only, or cannot be checked this way.
 */
async function resolvesToPrivate(ctx: IExecuteFunctions, url: URL): Promise<string | undefined> {
	const helpers = ctx.helpers as { getSecureEgressFilter?: (policy: 'enforced') => { validateUrl: (url: string) => Promise<unknown> } };
	if (typeof helpers.getSecureEgressFilter !== 'function') return undefined;
	try {
		const result = (await helpers.getSecureEgressFilter('enforced').validateUrl(url.href)) as { ok?: boolean; error?: { ip?: unknown } };
		const ip = result?.ok === false && typeof result.error?.ip === 'string' ? result.error.ip : undefined;
		return ip !== undefined && isPrivateAddress(ip) === true ? ip : undefined;
	} catch {
		return undefined;
	}
}

/** The address a response came from, when n8n's helper hands over the socket (Node's IncomingMessage). */
function connectedAddress(body: BodyStream): string | undefined {
	return (body as { socket?: { remoteAddress?: string } | null }).socket?.remoteAddress ?? undefined;
}

/**
 * Downloads an http(s) image URL into n8n's binary storage. Downloads stream into the storage (a
 * file in n8n's default filesystem mode) after their first bytes were checked, so a large image
 * is never held in memory; they use n8n's plain HTTP helper, so neither the API key nor the
 * credential's custom headers are sent, and are retried like API requests.
 *
 * Private hosts: an image URL whose host is (or resolves to) a loopback, private, link-local,
 * CGNAT or cloud-metadata address is refused unless it is the Base URL's own host name or the
 * user allows private image hosts. Redirects are followed here, hop by hop, so that every hop is
 * checked: its host name when it is an IP address (before anything is sent) and the address the
 * connection actually went to (after connecting, before a byte of the answer is read; node code
 * cannot resolve names itself, and this also closes the DNS-rebinding gap). An answer whose
 * address cannot be seen (a compressed body) counts as private.
 */
export async function downloadImage(
	ctx: IExecuteFunctions,
	url: string,
	itemIndex: number,
	{ timeout, maxRetries, maxResponseBytes, allowPrivateImageHosts }: DownloadSettings,
): Promise<StoredImage> {
	const parsed = httpUrl(url);
	if (!parsed) {
		let scheme = ', not a full URL';
		try {
			scheme = ` (scheme ${new URL(url).protocol})`;
		} catch {
			// not a URL at all
		}
		throw new NodeOperationError(
			ctx.getNode(),
			`The provider returned an image URL the node will not fetch${scheme}: "${url.slice(0, 100)}"`,
			{ description: 'Only http and https image URLs are downloaded, and data: URLs decoded.', itemIndex },
		);
	}
	const ownHost = new URL((await endpointFor(ctx, 'images/generations')).base).hostname.toLowerCase();
	const trusted = (target: URL) => allowPrivateImageHosts || target.hostname.toLowerCase() === ownHost;
	// One attempt: request (hop by hop), check the first bytes, stream the rest into storage. A
	// failure anywhere (reset, stall past the timeout) fails the attempt, and storage drops the partial file.
	const attempt = async (signal: AbortSignal): Promise<DownloadResponse> => {
		let target = parsed;
		for (let hop = 0; ; hop++) {
			const refuse = (address: string): DownloadResponse => ({ statusCode: 200, headers: {}, body: Buffer.alloc(0), refused: { host: target.host, address } });
			const literal = target.hostname.replace(/^\[|\]$/g, '');
			if (!trusted(target)) {
				const refusedAddress = isPrivateAddress(literal) === undefined ? await resolvesToPrivate(ctx, target) : isPrivateAddress(literal) ? literal : undefined;
				if (refusedAddress) return refuse(refusedAddress);
			}
			const answer = (await ctx.helpers.httpRequest({
				method: 'GET',
				url: target.href,
				// Uncompressed, so that the answer keeps its socket and so the address it came from.
				headers: { 'Accept-Encoding': 'identity' },
				encoding: 'stream',
				returnFullResponse: true,
				ignoreHttpStatusErrors: true,
				timeout,
				disableFollowRedirect: true,
				// Cancels with the execution (the plain helper does not wire that) and ends a download
				// that never completes.
				abortSignal: signal,
			})) as { statusCode: number; headers: ApiResponse['headers']; body: BodyStream };
			const stream = answer.body;
			// Where n8n hands over the socket (1.x), the address connected to is checked too: a name
			// that resolved differently at connect time (DNS rebinding) is caught before reading.
			const address = connectedAddress(stream);
			const isPrivate = address === undefined ? isPrivateAddress(literal) === true || target.hostname.toLowerCase() === ownHost : isPrivateAddress(address) !== false;
			if (isPrivate && !trusted(target)) {
				stream.destroy();
				return refuse(address ?? literal);
			}
			const location = answer.headers.location;
			if (REDIRECT_STATUS.has(answer.statusCode) && typeof location === 'string') {
				stream.destroy();
				const next = httpUrl(location, target);
				if (!next || hop >= MAX_REDIRECTS) return { ...answer, body: Buffer.alloc(0), redirectLoop: hop >= MAX_REDIRECTS };
				target = next;
				continue;
			}
			// A private host allowed by the option (not the Base URL's own): nothing of its answer is shown.
			return await receive(answer, isPrivate && target.hostname.toLowerCase() !== ownHost, signal);
		}
	};
	const receive = async (
		answer: { statusCode: number; headers: ApiResponse['headers']; body: BodyStream },
		fromPrivateHost: boolean,
		signal: AbortSignal,
	): Promise<DownloadResponse> => {
		const stream = answer.body;
		const stopWatching = destroyOnAbort(stream, signal);
		let consumed = false;
		try {
			if (answer.statusCode >= 300) return { ...answer, fromPrivateHost, body: fromPrivateHost ? Buffer.alloc(0) : await readAtMost(stream, ERROR_BODY_BYTES) };
			if (Number(answer.headers['content-length']) > maxResponseBytes) return { ...answer, body: Buffer.alloc(0), tooLarge: true };
			const { head, ended } = await peekStream(stream, headerRead, MAX_PEEK_BYTES);
			const image = inspectImage(head);
			if (!image) return { ...answer, fromPrivateHost, body: fromPrivateHost ? Buffer.alloc(0) : head };
			if (head.length > maxResponseBytes) return { ...answer, body: Buffer.alloc(0), tooLarge: true };
			// Storage reads the rest; past the limit the stream fails, and storage drops the partial file.
			const limit = limitStream(stream, maxResponseBytes, head.length);
			// A failure other than the limit goes on to sendWithRetries, which decides on a retry.
			const binary = await ctx.helpers
				.prepareBinaryData(ended ? head : stream, 'image', image.format.mimeType)
				.catch(async (error: unknown) => await (limit.exceeded() ? undefined : Promise.reject(error)));
			if (!binary) return { ...answer, body: Buffer.alloc(0), tooLarge: true };
			consumed = true;
			binary.fileExtension = image.format.extension;
			return { ...answer, body: Buffer.alloc(0), stored: { ...image, binary, sourceUrl: url } };
		} finally {
			stopWatching();
			// Not stored (an error page, not an image, a failure): release the connection.
			if (!consumed) stream.destroy();
		}
	};
	const { response, failure, attempts } = await sendWithRetries<DownloadResponse>(ctx, maxRetries, itemIndex, attempt, timeout);
	const tries = afterAttempts(attempts);
	if (!response) {
		const blocked = ssrfBlocked(failure);
		throw new NodeApiError(ctx.getNode(), { message: failure?.message ?? '' } as JsonObject, {
			// No error code in the message: NodeApiError would swap such a message for a generic one.
			message: `Could not download the image from ${parsed.host}: ${failureReason(failure, timeout)}${tries}`,
			description: blocked
				? blocked
				: `${failure?.message}. The provider returned an image URL that could not be downloaded. Image URLs expire; try again.`,
			itemIndex,
		});
	}
	if (response.refused) {
		throw new NodeOperationError(
			ctx.getNode(),
			`The image URL points at a private address: ${response.refused.host}${response.refused.host.includes(response.refused.address) ? '' : ` (${response.refused.address})`}`,
			{
				description:
					'The node does not download images from loopback, private, link-local, CGNAT or cloud metadata addresses (except from the Base URL\'s own host), as a provider\'s answer could otherwise make n8n read internal services. Nothing of its answer was read. If your provider really serves images from such a host, enable the option Allow Private Image Hosts.',
				itemIndex,
			},
		);
	}
	if (response.redirectLoop || REDIRECT_STATUS.has(response.statusCode)) {
		throw new NodeApiError(ctx.getNode(), { message: `HTTP ${response.statusCode}` } as JsonObject, {
			message: `Could not download the image from ${parsed.host}: ${response.redirectLoop ? 'too many redirects' : 'it redirected to an address that is not http(s)'}${tries}`,
			description: 'The provider returned an image URL that could not be downloaded.',
			itemIndex,
		});
	}
	if (response.statusCode >= 300) {
		const upstream = response.fromPrivateHost
			? { message: 'the private host\'s answer is not shown' }
			: decodeErrorBody(response.body, String(response.headers['content-type'] ?? ''));
		throw new NodeApiError(ctx.getNode(), { message: upstream.message } as JsonObject, {
			message: `Downloading the image from ${parsed.host} failed: ${upstream.message} (HTTP ${response.statusCode})${tries}`,
			description: 'Image URLs from providers expire after a while; run the node again.',
			httpCode: String(response.statusCode),
			itemIndex,
		});
	}
	if (response.tooLarge) throw tooLargeError(ctx, `The image at ${parsed.host}`, maxResponseBytes, itemIndex);
	// Without a stored image, the body was not one: its first bytes tell what it was (not for a private host).
	if (!response.stored) throw notAnImage(ctx, response.fromPrivateHost ? undefined : response.body, itemIndex, url);
	return response.stored;
}

/** An http(s) URL (relative to `base` for a redirect's Location), or undefined. */
function httpUrl(text: string, base?: URL): URL | undefined {
	try {
		const url = new URL(text, base);
		return url.protocol === 'http:' || url.protocol === 'https:' ? url : undefined;
	} catch {
		return undefined;
	}
}
