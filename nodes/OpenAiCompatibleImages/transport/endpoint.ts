/** The credential's server: its Base URL, the URL of each API path below it, and its secrets. */
import {
	NodeOperationError,
	type ICredentialDataDecryptedObject,
	type IExecuteFunctions,
	type ILoadOptionsFunctions,
} from 'n8n-workflow';

import {
	CREDENTIAL_NAME,
	baseUrlOf,
	cleanBaseUrl,
	credentialProblem,
	secretsOf,
} from '../../../credentials/OpenAiCompatibleImagesApi.credentials';

export { cleanBaseUrl };

export type RequestContext = IExecuteFunctions | ILoadOptionsFunctions;

/** Base URL of the credential, cleaned; a clear error naming the fix when it is not usable. */
export function normalizeBaseUrl(ctx: RequestContext, raw: unknown): string {
	const base = cleanBaseUrl(raw);
	if (base) return base;
	const given = String(raw ?? '').trim();
	let fix = `Add the scheme: https://${given.replace(/^\/+/, '')} (or http:// for a local server)`;
	if (/^https?:\/\/[^/?#\s]/i.test(given)) {
		fix = 'Remove the query (?...), fragment (#...) or spaces: the node appends paths such as /images/generations to it';
	} else if (/^[a-z][a-z0-9+.-]*:\/\//i.test(given)) {
		fix = 'It must start with http:// or https:// and a host name';
	}
	throw new NodeOperationError(ctx.getNode(), `The credential's Base URL "${given.slice(0, 200)}" is not a valid http(s) URL`, {
		description: `${fix}. Open the credential and enter the full API root, e.g. https://api.openai.com/v1`,
	});
}

/** Where a request goes: the credential's cleaned Base URL and the full URL below it. */
export interface Endpoint {
	base: string;
	url: string;
}

/**
 * The credential, read once per node run: in n8n every read is a database query and a
 * decryption, and a batch makes one request per item and image.
 */
const credentialsByRun = new WeakMap<RequestContext, Promise<ICredentialDataDecryptedObject>>();
export function credentialsOf(ctx: RequestContext): Promise<ICredentialDataDecryptedObject> {
	let credentials = credentialsByRun.get(ctx);
	if (!credentials) {
		credentials = ctx.getCredentials(CREDENTIAL_NAME);
		credentialsByRun.set(ctx, credentials);
	}
	return credentials;
}

export async function endpointFor(ctx: RequestContext, path: string, model?: string): Promise<Endpoint> {
	const credentials = await credentialsOf(ctx);
	const raw = baseUrlOf(credentials);
	// A Base URL gets the fix for its mistake; an Azure Endpoint (empty, or not a URL) the
	// credential's own message naming that field.
	const base = credentials.authentication === 'azure' ? cleanBaseUrl(raw) : normalizeBaseUrl(ctx, raw);
	const problem = credentialProblem(credentials);
	if (problem || !base) {
		throw new NodeOperationError(ctx.getNode(), problem ?? 'The Azure Endpoint is not a valid URL', {
			description: 'Open the credential used by this node and correct the field.',
		});
	}
	return { base, url: urlBelow(base, credentials, path, model) };
}

/** The URL of an API path below a cleaned Base URL, for the credential's authentication type. */
export function urlBelow(
	base: string,
	credentials: ICredentialDataDecryptedObject,
	path: string,
	model?: string,
): string {
	if (credentials.authentication !== 'azure') return `${base}/${path}`;
	// Azure routes image calls by deployment; the model field names it.
	if (path === 'models') return `${base}/openai/models`;
	return `${base}/openai/deployments/${encodeURIComponent(model ?? '')}/${path}`;
}

/** The credential's secrets (key, custom header values), to redact them from anything shown; none when unset. */
export async function credentialSecrets(ctx: RequestContext): Promise<string[]> {
	try {
		return secretsOf(await credentialsOf(ctx));
	} catch {
		return [];
	}
}
