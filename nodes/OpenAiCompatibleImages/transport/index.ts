/**
 * Everything that sends or receives, by concern:
 * - endpoint.ts: the credential's Base URL, the URL of each API path, the credential's secrets;
 * - retry.ts: the retry policy (what is retried, how long to wait) and the attempt loop;
 * - failures.ts: error shaping (transport failures, redirects, HTTP errors, Base URL hints);
 * - errors.ts: decoding a provider's error body, and redaction of secrets;
 * - request.ts: one API request and its JSON answer; download.ts: image downloads;
 * - stream.ts, json.ts: reading response bodies.
 */
export * from './endpoint';
export * from './failures';
export * from './gate';
export * from './request';
export * from './retry';
export * from './types';
