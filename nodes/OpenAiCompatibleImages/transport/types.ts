import type { IDataObject, IHttpRequestMethods } from 'n8n-workflow';

import type { Endpoint } from './endpoint';
import type { RequestGate } from './gate';
import type { ImageSink } from './json';
import type { PushStream } from './stream';

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
	/**
	 * Whether a POST may be sent again after a failure that may have been processed (a timeout, a
	 * connection lost after sending): it can be billed twice. GET requests always may.
	 */
	retryMayBeProcessed?: boolean;
	/**
	 * The Max Response Size (DEFAULT_MAX_RESPONSE_BYTES unless set): the most bytes of one inline
	 * image, and of the rest of the answer (held in memory). The whole answer may be that much per
	 * image asked for (`images`).
	 */
	maxResponseBytes?: number;
	/** Images asked for (n): the answer may be this many times the Max Response Size. */
	images?: number;
	/**
	 * Opens a sink for an inline image of the answer, which is decoded into it while the answer is
	 * read (see json.ts); `newStream` gives a stream to hand to n8n's binary storage.
	 */
	openImage?: (newStream: () => PushStream | undefined) => ImageSink;
	/** The run's adaptive concurrency, which every attempt passes through. */
	gate?: RequestGate;
}

export interface ApiResponse {
	statusCode: number;
	headers: Record<string, string | string[] | undefined>;
	/** The body; of a 2xx answer, its start only (for error messages), its content being in `json`. */
	body: Buffer;
	/** A 2xx answer's JSON document; undefined when it is not JSON or was cut off. */
	json?: unknown;
	/** Where the request went, for hints on the Base URL. */
	endpoint?: Endpoint;
	/**
	 * A 2xx answer past a size limit: reading it stopped there, and `body` is empty. `image`: one
	 * inline image; `answer`: the whole; `rest`: what is not an image.
	 */
	tooLarge?: boolean | 'image' | 'answer' | 'rest';
}

/** The default Max Response Size, per image: a 90 MB image as base64 (a 4K PNG is about 33 MB). */
export const DEFAULT_MAX_RESPONSE_BYTES = 128 * 1024 * 1024;

/** A response header's (first) value. */
export function header(response: ApiResponse, name: string): string | undefined {
	const value = response.headers[name] ?? response.headers[name.toLowerCase()];
	return Array.isArray(value) ? value[0] : value;
}
