import type { IExecuteFunctions } from 'n8n-workflow';

/**
 * A response body as n8n's HTTP helper returns it for `encoding: 'stream'`: a Node Readable,
 * named through n8n's own types because verified nodes may not import Node modules.
 */
export type BodyStream = Exclude<Parameters<IExecuteFunctions['helpers']['prepareBinaryData']>[0], Buffer>;

/**
 * The bytes of a stream, up to `limit` (an error page needs only its start); the rest is not
 * read and the stream is destroyed.
 */
export async function readAtMost(stream: BodyStream, limit = Infinity): Promise<Buffer> {
	const chunks: Buffer[] = [];
	let length = 0;
	try {
		for await (const chunk of stream) {
			chunks.push(chunk as Buffer);
			length += (chunk as Buffer).length;
			if (length >= limit) break;
		}
	} finally {
		stream.destroy();
	}
	const body = Buffer.concat(chunks);
	return length > limit ? body.subarray(0, limit) : body;
}

/** Of an error answer, the part worth showing (and reading). */
export const ERROR_BODY_BYTES = 64 * 1024;

/**
 * Counts the bytes that enter a stream from here on (`already` were read before) and destroys it
 * when they pass `maxBytes`; `exceeded()` tells afterwards whether that was why it failed. Works
 * whoever consumes the stream (n8n's binary storage pipes it), without Node's stream module:
 * every byte of a Readable arrives through its `push`.
 */
export function limitStream(stream: BodyStream, maxBytes: number, already = 0): { exceeded: () => boolean } {
	let length = already;
	let exceeded = false;
	const push = stream.push.bind(stream);
	stream.push = (chunk: unknown, encoding?: BufferEncoding) => {
		if (chunk && !exceeded) {
			length += (chunk as Buffer).length;
			if (length > maxBytes) {
				exceeded = true;
				stream.destroy(Object.assign(new Error(`The body is larger than ${maxBytes} bytes`), { code: 'ERR_BODY_TOO_LARGE' }));
				return false;
			}
		}
		return push(chunk, encoding);
	};
	return { exceeded: () => exceeded };
}

export interface Peeked {
	/** The bytes read so far: the whole body when `ended`, else its start. */
	head: Buffer;
	ended: boolean;
}

/**
 * Reads the start of a stream until `enough` says so (or `max` bytes, or the end) and puts it
 * back (unless the stream ended: then `head` is the whole body), so that a download can be
 * checked (is it an image, which type, which size) before it is streamed on into storage.
 * Rejects when the stream fails or closes early.
 */
export async function peekStream(
	stream: BodyStream,
	enough: (head: Buffer) => boolean,
	max: number,
): Promise<Peeked> {
	const chunks: Buffer[] = [];
	let length = 0;
	let ended = false;
	await new Promise<void>((resolve, reject) => {
		const finish = (error?: Error) => {
			stream.off('readable', onReadable);
			stream.off('end', onEnd);
			stream.off('error', finish);
			stream.off('close', onClose);
			if (error) reject(error);
			else resolve();
		};
		const onReadable = () => {
			for (let chunk = stream.read() as Buffer | null; chunk !== null; chunk = stream.read() as Buffer | null) {
				chunks.push(chunk);
				length += chunk.length;
				if (length >= max || enough(chunks.length === 1 ? chunk : Buffer.concat(chunks))) {
					// Back to the front at once, in this tick: a stream that has received its last byte
					// emits 'end' on the next tick unless something is in its buffer again.
					stream.unshift(Buffer.concat(chunks));
					return finish();
				}
			}
		};
		const onEnd = () => {
			ended = true;
			finish();
		};
		const onClose = () =>
			finish(
				(stream.errored as Error | null) ??
					Object.assign(new Error('The connection closed before the body ended'), { code: 'ECONNRESET' }),
			);
		if (stream.destroyed) return onClose();
		stream.on('readable', onReadable);
		stream.once('end', onEnd);
		stream.once('error', finish);
		stream.once('close', onClose);
	});
	return { head: Buffer.concat(chunks), ended };
}

/**
 * Ends a response body when `signal` aborts (the attempt's deadline, a cancelled execution):
 * n8n's helpers stop waiting for an answer on abort, but a body already handed over would keep
 * its connection open for as long as the server trickles. Returns the function that stops watching.
 */
export function destroyOnAbort(stream: BodyStream, signal: AbortSignal): () => void {
	const stop = () => stream.destroy(signal.reason as Error);
	if (signal.aborted) stop();
	else signal.addEventListener('abort', stop, { once: true });
	return () => signal.removeEventListener('abort', stop);
}

/** A stream the node writes into, for n8n's binary storage to read. */
export interface PushStream {
	readable: BodyStream;
	/** Adds bytes; a promise when the reader is behind (wait for it before adding more). */
	push(bytes: Buffer): Promise<void> | void;
	end(): void;
	fail(error: Error): void;
}

/** Bytes a PushStream buffers before it asks the writer to wait. */
const PUSH_HIGH_WATER_MARK = 512 * 1024;

type ReadableClass = new (options: { highWaterMark: number; read: () => void }) => BodyStream;

/**
 * A new stream of the class n8n's HTTP layer hands over (Node's Readable, found up the prototype
 * chain of a response body), as verified community nodes may not import Node's stream module;
 * undefined when the body is not one.
 */
export function pushStreamLike(body: BodyStream): PushStream | undefined {
	let Readable: ReadableClass | undefined;
	for (let proto = Object.getPrototypeOf(body) as object | null; proto && !Readable; proto = Object.getPrototypeOf(proto) as object | null) {
		const constructor = (proto as { constructor?: { name?: string } }).constructor;
		if (constructor?.name === 'Readable') Readable = constructor as unknown as ReadableClass;
	}
	if (!Readable) return undefined;
	let resume: (() => void) | undefined;
	const readable = new Readable({
		highWaterMark: PUSH_HIGH_WATER_MARK,
		read: () => {
			resume?.();
			resume = undefined;
		},
	});
	// A reader that gave up (storage failed) resumes the writer too.
	readable.once('close', () => resume?.());
	// The failure reaches the reader through the stream's state; no listener may be needed for it.
	readable.on('error', () => undefined);
	return {
		readable,
		push: (bytes) => {
			if (readable.destroyed || readable.push(bytes)) return;
			return new Promise<void>((resolve) => (resume = resolve));
		},
		end: () => void readable.push(null),
		fail: (error) => void readable.destroy(error),
	};
}
