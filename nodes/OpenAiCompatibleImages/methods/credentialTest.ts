import type {
	ICredentialsDecrypted,
	ICredentialTestFunctions,
	INodeCredentialTestResult,
} from 'n8n-workflow';

import {
	authenticationFor,
	credentialProblem,
	secretsOf,
} from '../../../credentials/OpenAiCompatibleImagesApi.credentials';
import { cleanBaseUrl, urlBelow } from '../transport';
import { decodeErrorBody, redactText } from '../transport/errors';
import { parseJsonWithLongStrings } from '../transport/json';

/**
 * Tests the credential with `GET {base}/models` and, on failure, shows the server's own error
 * message (n8n's declarative credential test would only show the HTTP status text).
 */
export async function testCredential(
	this: ICredentialTestFunctions,
	credential: ICredentialsDecrypted,
): Promise<INodeCredentialTestResult> {
	const data = credential.data ?? {};
	const base = cleanBaseUrl(data.baseUrl);
	if (!base) {
		const given = String(data.baseUrl ?? '').trim();
		const rule = /^https?:\/\/[^/?#\s]/i.test(given) ? 'must have no query (?...), fragment (#...) or spaces' : 'must start with http:// or https://';
		return { status: 'Error', message: `Base URL "${given.slice(0, 200)}" ${rule}` };
	}
	const problem = credentialProblem(data);
	if (problem) return { status: 'Error', message: problem };
	const { headers, qs } = authenticationFor(data);
	const url = urlBelow(base, data, 'models');
	let response: { statusCode: number; body: unknown; headers?: Record<string, string> };
	try {
		// Credential tests only get the request helper; it is given the same auth as `authenticate` applies.
		// eslint-disable-next-line @n8n/community-nodes/no-deprecated-workflow-functions
		response = await this.helpers.request({
			method: 'GET',
			uri: url,
			qs,
			headers: { ...headers, Accept: 'application/json' },
			resolveWithFullResponse: true,
			simple: false,
			encoding: null,
			timeout: 30_000,
			// As for node requests: the key and custom headers never follow a redirect.
			followRedirect: false,
		});
	} catch (error) {
		const reason = (error as { code?: string; message?: string }).code ?? (error as Error).message;
		return { status: 'Error', message: redactText(`Could not reach ${url}: ${reason}`, secretsOf(data)) };
	}
	const body = Buffer.isBuffer(response.body) ? response.body : Buffer.from(String(response.body ?? ''));
	if (response.statusCode >= 300 && response.statusCode < 400) {
		const location = String(response.headers?.location ?? '').split('?')[0];
		return { status: 'Error', message: `${url} redirects to ${location || 'another address'} (HTTP ${response.statusCode}). Set the Base URL to the address it redirects to, without /models.` };
	}
	if (response.statusCode >= 200 && response.statusCode < 300) {
		try {
			const parsed = parseJsonWithLongStrings(body) as { data?: unknown };
			if (Array.isArray(parsed.data)) {
				return { status: 'OK', message: `Connection successful: ${parsed.data.length} models available` };
			}
		} catch {
			// handled below
		}
		return {
			status: 'Error',
			message: `${url} did not answer with a model list. Check that the Base URL is the API root (OpenAI and most gateways: ending in /v1).`,
		};
	}
	const upstream = decodeErrorBody(body, response.headers?.['content-type']);
	return { status: 'Error', message: redactText(`${upstream.message} (HTTP ${response.statusCode})`, secretsOf(data)) };
}
