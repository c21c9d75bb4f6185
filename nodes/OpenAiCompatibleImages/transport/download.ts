/** Image downloads: the image URLs a provider answers with, fetched into n8n's binary storage. */
import { NodeApiError, NodeOperationError, type IExecuteFunctions, type JsonObject } from 'n8n-workflow';

import { detectImageFormat, imageDimensions, inspectImage, notAnImage, type StoredImage } from '../helpers/images';
import { decodeErrorBody } from './errors';
import { failureReason, tooLargeError } from './failures';
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
}

/** A download attempt's answer: the error body, the start of a body that is not an image, or the stored image. */
interface DownloadResponse extends ApiResponse {
	stored?: StoredImage;
}

/**
 * Downloads an http(s) image URL into n8n's binary storage. Downloads stream into the storage (a
 * file in n8n's default filesystem mode) after their first bytes were checked, so a large image
 * is never held in memory; they use n8n's plain HTTP helper, so neither the API key nor the
 * credential's custom headers are sent, and are retried like API requests.
 */
export async function downloadImage(
	ctx: IExecuteFunctions,
	url: string,
	itemIndex: number,
	{ timeout, maxRetries, maxResponseBytes }: DownloadSettings,
): Promise<StoredImage> {
	let parsed: URL | undefined;
	try {
		parsed = new URL(url);
	} catch {
		parsed = undefined;
	}
	// Only the web: a provider must not make n8n read files (file:) or talk other protocols.
	if (!parsed || (parsed.protocol !== 'http:' && parsed.protocol !== 'https:')) {
		const scheme = parsed ? ` (scheme ${parsed.protocol})` : ', not a full URL';
		throw new NodeOperationError(
			ctx.getNode(),
			`The provider returned an image URL the node will not fetch${scheme}: "${url.slice(0, 100)}"`,
			{ description: 'Only http and https image URLs are downloaded, and data: URLs decoded.', itemIndex },
		);
	}
	// One attempt: request, check the first bytes, stream the rest into storage. A failure
	// anywhere (reset, stall past the timeout) fails the attempt, and storage drops the partial file.
	const attempt = async (signal: AbortSignal): Promise<DownloadResponse> => {
		const answer = (await ctx.helpers.httpRequest({
			method: 'GET',
			url,
			encoding: 'stream',
			returnFullResponse: true,
			ignoreHttpStatusErrors: true,
			timeout,
			maxRedirects: 5,
			// Cancels with the execution (the plain helper does not wire that) and ends a download
			// that never completes.
			abortSignal: signal,
		})) as { statusCode: number; headers: ApiResponse['headers']; body: BodyStream };
		const stream = answer.body;
		const stopWatching = destroyOnAbort(stream, signal);
		let consumed = false;
		try {
			if (answer.statusCode >= 300) return { ...answer, body: await readAtMost(stream, ERROR_BODY_BYTES) };
			if (Number(answer.headers['content-length']) > maxResponseBytes) return { ...answer, body: Buffer.alloc(0), tooLarge: true };
			const { head, ended } = await peekStream(stream, headerRead, MAX_PEEK_BYTES);
			const image = inspectImage(head);
			if (!image) return { ...answer, body: head };
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
		throw new NodeApiError(ctx.getNode(), { message: failure?.message ?? '' } as JsonObject, {
			// No error code in the message: NodeApiError would swap such a message for a generic one.
			message: `Could not download the image from ${parsed.host}: ${failureReason(failure, timeout)}${tries}`,
			description: `${failure?.message}. The provider returned an image URL that could not be downloaded. Image URLs expire; try again.`,
			itemIndex,
		});
	}
	if (response.statusCode >= 300) {
		const upstream = decodeErrorBody(response.body, String(response.headers['content-type'] ?? ''));
		throw new NodeApiError(ctx.getNode(), { message: upstream.message } as JsonObject, {
			message: `Downloading the image from ${parsed.host} failed: ${upstream.message} (HTTP ${response.statusCode})${tries}`,
			description: 'Image URLs from providers expire after a while; run the node again.',
			httpCode: String(response.statusCode),
			itemIndex,
		});
	}
	if (response.tooLarge) throw tooLargeError(ctx, `The image at ${parsed.host}`, maxResponseBytes, itemIndex);
	// Without a stored image, the body was not one: its first bytes tell what it was.
	if (!response.stored) throw notAnImage(ctx, response.body, itemIndex, url);
	return response.stored;
}
