import type { IDataObject, IHttpRequestMethods } from 'n8n-workflow';

import type { Endpoint } from './endpoint';
import type { RequestGate } from './gate';

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
	/** Most bytes of an answer read (DEFAULT_MAX_RESPONSE_BYTES unless set). */
	maxResponseBytes?: number;
	/** The run's adaptive concurrency, which every attempt passes through. */
	gate?: RequestGate;
}

export interface ApiResponse {
	statusCode: number;
	headers: Record<string, string | string[] | undefined>;
	body: Buffer;
	/** Where the request went, for hints on the Base URL. */
	endpoint?: Endpoint;
	/** A 2xx answer longer than the size limit: reading it stopped there, and `body` is empty. */
	tooLarge?: boolean;
}

/** The default Max Response Size: ten large GPT image PNGs as base64, or one 90 MB image. */
export const DEFAULT_MAX_RESPONSE_BYTES = 128 * 1024 * 1024;

/** A response header's (first) value. */
export function header(response: ApiResponse, name: string): string | undefined {
	const value = response.headers[name] ?? response.headers[name.toLowerCase()];
	return Array.isArray(value) ? value[0] : value;
}
