/** Image downloads: the image URLs a provider answers with, fetched into n8n's binary storage. */
import { NodeApiError, NodeOperationError, type IExecuteFunctions, type IHttpRequestOptions, type JsonObject } from 'n8n-workflow';

import { enoughToInspect, inspectImage, MAX_INSPECTED_BYTES, notAnImage, type StoredImage } from './imageFormat';
import { isPrivateAddress } from './addresses';
import { endpointFor } from './endpoint';
import { decodeErrorBody } from './errors';
import { failureReason, ssrfBlocked, tooLargeError } from './failures';
import { afterAttempts, sendWithRetries } from './retry';
import { destroyOnAbort, ERROR_BODY_BYTES, limitStream, peekStream, readAtMost, type BodyStream } from './stream';
import type { ApiResponse } from './types';

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

/** Where a hop's host name (or IP address) points, as checked against the private-host policy. */
interface CheckedHost {
	/** The address the request goes to: the first private one found, else the first public (IPv4 first). */
	address: string;
	isPrivate: boolean;
	/** The address came from resolving the host name (not an IP address in the URL). */
	resolved: boolean;
}

/**
 * The addresses a host name resolves to, asked of n8n 2.x's egress filter (its DNS lookup, with
 * n8n's own SSRF rules when an administrator switched them on; node code cannot resolve names
 * itself). Undefined where n8n has no such helper (1.x).
 */
async function resolveHost(ctx: IExecuteFunctions, hostname: string, signal: AbortSignal): Promise<string[] | undefined> {
	if (typeof ctx.helpers.getSecureEgressFilter !== 'function') return undefined;
	const lookup = ctx.helpers.getSecureEgressFilter().createSecureLookup();
	return await new Promise<string[]>((resolve, reject) => {
		const onAbort = () => reject(signal.reason);
		signal.addEventListener('abort', onAbort, { once: true });
		lookup(hostname, { all: true }, (error, found) => {
			signal.removeEventListener('abort', onAbort);
			if (error) reject(error);
			else resolve(Array.isArray(found) ? found.map((entry) => entry.address) : [found]);
		});
	});
}

/** The hop's address: its IP literal, or what its host name resolves to (undefined when that cannot be asked). */
async function checkHost(ctx: IExecuteFunctions, target: URL, signal: AbortSignal): Promise<CheckedHost | undefined> {
	const literal = target.hostname.replace(/^\[|\]$/g, '');
	const literalIsPrivate = isPrivateAddress(literal);
	if (literalIsPrivate !== undefined) return { address: literal, isPrivate: literalIsPrivate, resolved: false };
	const addresses = await resolveHost(ctx, target.hostname, signal);
	if (!addresses?.length) return undefined;
	const privateOne = addresses.find((address) => isPrivateAddress(address) !== false);
	if (privateOne) return { address: privateOne, isPrivate: true, resolved: true };
	return { address: addresses.find((address) => !address.includes(':')) ?? addresses[0], isPrivate: false, resolved: true };
}

/**
 * The request for a hop. A host name that resolved to public addresses is connected to by the
 * address just checked (with its name as Host header and TLS server name), so a second DNS answer
 * at connect time cannot point the connection elsewhere (DNS rebinding).
 */
function hopRequest(target: URL, checked: CheckedHost | undefined): Pick<IHttpRequestOptions, 'url' | 'headers' | 'agentOptions'> {
	// Uncompressed, so that the answer keeps its socket and so the address it came from (1.x).
	const headers = { 'Accept-Encoding': 'identity' };
	if (!checked?.resolved || checked.isPrivate) return { url: target.href, headers };
	const pinned = new URL(target.href);
	pinned.hostname = checked.address.includes(':') ? `[${checked.address}]` : checked.address;
	return {
		url: pinned.href,
		headers: { ...headers, Host: target.host },
		...(target.protocol === 'https:' && { agentOptions: { servername: target.hostname } }),
	};
}

/**
 * The address a response came from, when n8n's helper hands over the socket (Node's
 * IncomingMessage, n8n 1.x) and the connection went straight to the URL's host: a connection to
 * another port went to an HTTP(S) proxy, which connects on n8n's behalf (and its address says
 * nothing about the image host's).
 */
function connectedAddress(body: BodyStream, target: URL): string | undefined {
	const socket = (body as { socket?: { remoteAddress?: string; remotePort?: number } | null }).socket;
	const port = Number(target.port) || (target.protocol === 'https:' ? 443 : 80);
	return socket?.remotePort === port ? socket.remoteAddress : undefined;
}

/**
 * Downloads an http(s) image URL into n8n's binary storage. Downloads stream into the storage (a
 * file in n8n's default filesystem mode) after their first bytes were checked, so a large image
 * is never held in memory; they use n8n's plain HTTP helper, so neither the API key nor the
 * credential's custom headers are sent, and are retried like API requests.
 *
 * Private hosts: an image URL whose host is (or resolves to) a loopback, private, link-local,
 * CGNAT or cloud-metadata address is refused unless it is the Base URL's own origin (scheme, host
 * and port) or the user allows private image hosts; nothing of a private address's answer (an
 * error page, a body that is not an image) is shown, whichever rule allowed it. Redirects are
 * followed here, hop by hop, so that every hop is checked before anything is sent to it: an IP
 * address as it is, a host name by what it resolves to (n8n 2.x), and the request then goes to
 * that checked address (no DNS-rebinding gap). On n8n
 * 1.x, which cannot resolve names for the node, the address the connection went to is checked
 * before a byte of the answer is read.
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
	// The Base URL's own origin (scheme, host and port), not every port of its host: a gateway on
	// the n8n host must not be able to point image URLs at the other services beside it.
	const ownOrigin = new URL((await endpointFor(ctx, 'images/generations')).base).origin;
	const isOwnOrigin = (target: URL) => target.origin === ownOrigin;
	// One attempt: request (hop by hop), check the first bytes, stream the rest into storage. A
	// failure anywhere (reset, stall past the timeout) fails the attempt, and storage drops the partial file.
	const attempt = async (signal: AbortSignal): Promise<DownloadResponse> => {
		let target = parsed;
		for (let hop = 0; ; hop++) {
			const refuse = (address: string): DownloadResponse => ({ statusCode: 200, headers: {}, body: Buffer.alloc(0), refused: { host: target.host, address } });
			// The Base URL's own origin is allowed whatever its address (which is checked only to hide
			// its answers when private); any other is checked before anything is sent. With private
			// hosts allowed, a name n8n cannot resolve (a proxy resolves it) is asked by name, its
			// answers hidden as a private host's.
			const own = isOwnOrigin(target);
			const checked = await checkHost(ctx, target, signal).catch(async (error: unknown) =>
				own ? undefined : allowPrivateImageHosts ? { address: target.hostname, isPrivate: true, resolved: false } : await Promise.reject(error),
			);
			if (checked?.isPrivate && !allowPrivateImageHosts && !own) return refuse(checked.address);
			const answer = (await ctx.helpers.httpRequest({
				method: 'GET',
				...hopRequest(target, checked),
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
			// Where n8n hands over the socket (1.x, which cannot resolve names for the node), the address
			// connected to is checked, before anything of the answer is read.
			const connected = connectedAddress(stream, target);
			const isPrivate = checked?.isPrivate === true || (connected !== undefined && isPrivateAddress(connected) !== false);
			if (isPrivate && !allowPrivateImageHosts && !own) {
				stream.destroy();
				return refuse(connected ?? checked?.address ?? target.hostname);
			}
			const location = answer.headers.location;
			if (REDIRECT_STATUS.has(answer.statusCode) && typeof location === 'string') {
				stream.destroy();
				const next = httpUrl(location, target);
				if (!next || hop >= MAX_REDIRECTS) return { ...answer, body: Buffer.alloc(0), redirectLoop: hop >= MAX_REDIRECTS };
				target = next;
				continue;
			}
			// A private address, allowed by the option or as the Base URL's own origin: nothing of its
			// answer is shown.
			return await receive(answer, isPrivate, signal);
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
			const { head, ended } = await peekStream(stream, enoughToInspect, MAX_INSPECTED_BYTES);
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
					'The node does not download images from loopback, private, link-local, CGNAT or cloud metadata addresses (except from the Base URL\'s own origin: its scheme, host and port), as a provider\'s answer could otherwise make n8n read internal services. Nothing of its answer was read. If your provider really serves images from such a host, enable the option Allow Private Image Hosts.',
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
