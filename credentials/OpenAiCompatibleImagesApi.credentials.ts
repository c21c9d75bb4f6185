import type {
	IAuthenticateRuleResponseCode,
	IAuthenticateRuleResponseSuccessBody,
	ICredentialDataDecryptedObject,
	ICredentialTestRequest,
	ICredentialType,
	IHttpRequestOptions,
	INodeProperties,
} from 'n8n-workflow';

export const CREDENTIAL_NAME = 'openAiCompatibleImagesApi';

/** An endpoint path users paste at the end of the Base URL from the docs; requests append it themselves. */
export const PASTED_ENDPOINT = /\/(images\/(generations|edits|variations)|models)$/i;

/**
 * The Base URL as requests use it: trimmed, without trailing slashes or a pasted endpoint path.
 * Undefined when it is not an http(s) URL that paths can be appended to (no query or fragment).
 * Shared by requests and the credential test, so both accept the same Base URLs.
 */
export function cleanBaseUrl(raw: unknown): string | undefined {
	const base = String(raw ?? '')
		.trim()
		.replace(/\/+$/, '')
		.replace(PASTED_ENDPOINT, '')
		.replace(/\/+$/, '');
	if (!/^https?:\/\/[^/?#]/i.test(base) || /[?#\s]/.test(base)) return undefined;
	try {
		new URL(base);
	} catch {
		return undefined;
	}
	return base;
}

/** What the credential test says for the answers n8n reports only by status. */
const TEST_STATUS_RULES: IAuthenticateRuleResponseCode[] = [
	...[301, 302, 303, 307, 308].map((status): IAuthenticateRuleResponseCode => ({
		type: 'responseCode',
		properties: {
			value: status,
			message: `The server redirects the request (HTTP ${status}). Set the Base URL to the address it redirects to, often https:// instead of http://.`,
		},
	})),
	{
		type: 'responseCode',
		properties: {
			value: 401,
			message: "The server rejected the API key (HTTP 401). Check the key, and that it belongs to this Base URL's server.",
		},
	},
	{
		type: 'responseCode',
		properties: {
			value: 403,
			message: 'The key may not list models (HTTP 403). Check its permissions, or the group header under Custom Headers for a gateway.',
		},
	},
	{
		type: 'responseCode',
		properties: {
			value: 404,
			message:
				'There is no model list below this Base URL (HTTP 404). Use the API root: OpenAI and most gateways end in /v1, Volcengine Ark in /api/v3, Azure is the resource endpoint.',
		},
	},
];

/** A 2xx answer without a model list (a web page, another API): the Base URL is not the API root. */
const TEST_BODY_RULES: IAuthenticateRuleResponseSuccessBody[] = [
	{
		type: 'responseSuccessBody',
		properties: {
			key: 'data',
			value: undefined,
			message: 'The server answered, but not with a model list. Check that the Base URL is the API root (OpenAI and most gateways: ending in /v1).',
		},
	},
];

/** The usual cause of a refused connection to a server that does run: n8n in a container. */
export const DOCKER_LOOPBACK_HINT =
	"With n8n in Docker, localhost and 127.0.0.1 are n8n's own container: use host.docker.internal or the service name instead.";

/** The Azure resource endpoint's field; Azure credentials saved before it existed keep theirs in Base URL. */
export const AZURE_ENDPOINT = 'azureEndpoint';
const OPENAI_BASE_URL = 'https://api.openai.com/v1';

/**
 * The Base URL as entered, for the credential's authentication type: Bearer reads Base URL, Azure
 * reads Azure Endpoint, or when that is empty the Base URL an older Azure credential holds, never
 * the Bearer default (an Azure key must not go to OpenAI). Empty when an Azure credential has none.
 */
export function baseUrlOf(credentials: ICredentialDataDecryptedObject): string {
	const baseUrl = String(credentials.baseUrl ?? '');
	if (credentials.authentication !== 'azure') return baseUrl;
	const endpoint = String(credentials[AZURE_ENDPOINT] ?? '').trim();
	if (endpoint) return endpoint;
	return baseUrl.trim().replace(/\/+$/, '') === OPENAI_BASE_URL ? '' : baseUrl;
}

/** The same as baseUrlOf, as an n8n expression over $credentials (for the declarative credential test). */
const BASE_URL_EXPRESSION = `($credentials.authentication !== "azure" ? String($credentials.baseUrl ?? '') : String($credentials.${AZURE_ENDPOINT} ?? '').trim() || (String($credentials.baseUrl ?? '').trim().replace(/\\/+$/, '') === "${OPENAI_BASE_URL}" ? '' : String($credentials.baseUrl ?? '')))`;

interface CustomHeader {
	name?: string;
	value?: string;
}

function customHeadersOf(credentials: ICredentialDataDecryptedObject): Array<{ name: string; value: string }> {
	const custom = (credentials.customHeaders as { header?: CustomHeader[] } | undefined)?.header;
	return (custom ?? [])
		.map(({ name, value }) => ({ name: (name ?? '').trim(), value: String(value ?? '').trim() }))
		.filter(({ name }) => name !== '');
}

/**
 * The headers and query parameters that authenticate a request to the credential's server.
 * Shared by `authenticate` (every node request) and the node's credential test, so both
 * always agree on what is sent.
 */
export function authenticationFor(credentials: ICredentialDataDecryptedObject): {
	headers: Record<string, string>;
	qs: Record<string, string>;
} {
	const headers: Record<string, string> = {};
	const qs: Record<string, string> = {};
	for (const { name, value } of customHeadersOf(credentials)) headers[name] = value;
	// Keys pasted from a dashboard often carry a stray space or newline.
	const apiKey = String(credentials.apiKey ?? '').trim();
	if (credentials.authentication === 'azure') {
		headers['api-key'] = apiKey;
		qs['api-version'] = String(credentials.apiVersion ?? '').trim();
	} else if (apiKey) {
		headers.Authorization = `Bearer ${apiKey}`;
	}
	return { headers, qs };
}

/** Secrets shorter than this are not redacted from messages: they would mangle ordinary words. */
const MIN_SECRET_LENGTH = 5;

/**
 * The words of a name that say it carries a credential: api-key, x-portkey-api-key,
 * cf-aig-authorization, Helicone-Auth, Cookie, private_key, apiKey. Whole words, as
 * "x-portkey-provider" holds "key" only inside "portkey".
 */
const SECRET_WORD = /^(key|apikey|token|accesstoken|secret|auth|authorization|password|passwd|pwd|signature|cookie|credentials?|session)$/i;

function namesCredential(name: string): boolean {
	return name
		.replace(/([a-z])([A-Z])/g, '$1-$2')
		.split(/[-_.\s]+/)
		.some((word) => SECRET_WORD.test(word));
}

/**
 * A run that looks like a key: 16 or more letters and digits with both in it (sk-proj-…, a 32-hex
 * Azure key, a JWT part). Words, dates, regions, URLs, model and deployment names never are:
 * dashes, dots, slashes and underscores split them into short runs ("2025-04-01-preview",
 * "gemini-2.5-flash-image", "https://example.com/n8n").
 */
const KEY_LIKE_RUN = /[A-Za-z0-9]{16,}/g;

function looksLikeKey(run: string): boolean {
	return /[0-9]/.test(run) && /[A-Za-z]/.test(run);
}

/** A JSON object's string fields by name (x-portkey-config, cf-aig-metadata), or undefined. */
function jsonFields(value: string): Array<[string, string]> | undefined {
	if (!value.startsWith('{')) return undefined;
	try {
		const fields: Array<[string, string]> = [];
		const walk = (object: unknown, name: string) => {
			if (typeof object === 'string') fields.push([name, object]);
			else if (object && typeof object === 'object') {
				for (const [key, field] of Object.entries(object)) walk(field, Array.isArray(object) ? name : key);
			}
		};
		walk(JSON.parse(value), '');
		return fields;
	} catch {
		return undefined;
	}
}

/**
 * The redaction rule, in one place: what of a custom header must never be shown. Its whole value
 * when a word of its name says it is a credential (key, token, secret, auth, authorization,
 * password, signature, cookie, credential, session) or when the value holds something that looks
 * like a key, however the header is named; the key alone too, as a server may echo just that
 * (after "Bearer ", inside x-portkey-config's JSON, whose fields are judged by the same rule).
 * Everything else (a provider, region, group or deployment name, a referer, a title) is a routing
 * value: shown as sent, so that a provider's message naming it stays readable. The API key is
 * always a secret.
 */
export function secretsOfHeader(name: string, value: string): string[] {
	const fields = jsonFields(value);
	const inner = fields ? fields.flatMap(([field, text]) => secretsOfHeader(field, text)) : [];
	const keys = [...value.matchAll(KEY_LIKE_RUN)].map(([run]) => run).filter(looksLikeKey);
	if (inner.length === 0 && keys.length === 0 && !namesCredential(name)) return [];
	// "Bearer <token>": a server may echo the token alone.
	const token = /^[A-Za-z]+\s+(\S+)$/.exec(value)?.[1];
	return [value, ...inner, ...keys, ...(token ? [token] : [])].filter((secret) => secret.length >= MIN_SECRET_LENGTH);
}

/** The values of the credential that must never show in output, errors or logs (see secretsOfHeader). */
export function secretsOf(credentials: ICredentialDataDecryptedObject): string[] {
	const apiKey = String(credentials.apiKey ?? '').trim();
	const values = [
		...(apiKey.length >= MIN_SECRET_LENGTH ? [apiKey] : []),
		...customHeadersOf(credentials).flatMap(({ name, value }) => secretsOfHeader(name, value)),
	];
	// Longest first: a value is redacted whole before a key inside it is.
	return [...new Set(values)].sort((a, b) => b.length - a.length);
}

// RFC 9110 token characters; Node refuses any other header name.
const HEADER_NAME = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;

/**
 * What makes the credential impossible to send as HTTP headers, or undefined when it is fine.
 * Node would refuse such a request with an obscure error; this names the field and never shows
 * the secret itself.
 */
export function credentialProblem(credentials: ICredentialDataDecryptedObject): string | undefined {
	const baseUrl = baseUrlOf(credentials);
	if (!cleanBaseUrl(baseUrl)) {
		if (credentials.authentication === 'azure') {
			return baseUrl.trim() === ''
				? 'The Azure Endpoint is empty: enter your resource endpoint, e.g. https://my-resource.openai.azure.com.'
				: `The Azure Endpoint "${baseUrl.trim().slice(0, 200)}" must start with http:// or https:// and a host name, without a query (?...), fragment (#...) or spaces, e.g. https://my-resource.openai.azure.com.`;
		}
		return `The Base URL "${baseUrl.trim().slice(0, 200)}" must start with http:// or https:// and a host name, without a query (?...), fragment (#...) or spaces, e.g. ${OPENAI_BASE_URL}.`;
	}
	// Keys are printable ASCII without spaces; a paste often brings a line break or a space inside.
	if (/[^\x21-\x7e]/.test(String(credentials.apiKey ?? '').trim())) {
		return 'The API key contains a space, a line break or a character that cannot be sent in an HTTP header. Paste the key again, exactly as the provider shows it.';
	}
	for (const { name, value } of customHeadersOf(credentials)) {
		if (!HEADER_NAME.test(name)) {
			return `The custom header name "${name.slice(0, 60)}" is not a valid HTTP header name: use letters, digits and dashes only.`;
		}
		if (/[^\t\x20-\x7e\x80-\xff]/.test(value)) {
			return `The value of the custom header "${name}" contains a line break or a character that cannot be sent in an HTTP header.`;
		}
	}
	return undefined;
}

export class OpenAiCompatibleImagesApi implements ICredentialType {
	name = CREDENTIAL_NAME;

	displayName = 'OpenAI-Compatible Images API';

	icon = {
		light: 'file:../nodes/OpenAiCompatibleImages/openAiCompatibleImages.svg',
		dark: 'file:../nodes/OpenAiCompatibleImages/openAiCompatibleImages.dark.svg',
	} as const;

	documentationUrl =
		'https://github.com/n8n-nodes-openai-compatible-images/n8n-nodes-openai-compatible-images#point-it-at-openai-or-a-gateway';

	properties: INodeProperties[] = [
		{
			displayName: 'Authentication',
			name: 'authentication',
			type: 'options',
			options: [
				{
					name: 'Bearer Token (OpenAI and Gateways)',
					value: 'bearer',
					description: 'Sends Authorization: Bearer &lt;key&gt;, as OpenAI, new-api, one-api and most gateways expect',
				},
				{
					name: 'Azure OpenAI',
					value: 'azure',
					description:
						'Sends the api-key header and the api-version query parameter; the model name is used as the deployment name',
				},
			],
			default: 'bearer',
		},
		{
			displayName: 'Base URL',
			name: 'baseUrl',
			type: 'string',
			default: OPENAI_BASE_URL,
			required: true,
			placeholder: OPENAI_BASE_URL,
			description:
				'The API root that the paths /images/generations and /models are appended to. OpenAI and most gateways (new-api, one-api, SiliconFlow): ends in /v1. Volcengine Ark: ends in /api/v3. A trailing slash does no harm.',
			displayOptions: { show: { authentication: ['bearer'] } },
		},
		{
			displayName: 'Azure Endpoint',
			name: AZURE_ENDPOINT,
			type: 'string',
			default: '',
			required: true,
			placeholder: 'https://my-resource.openai.azure.com',
			description:
				'Your Azure OpenAI resource endpoint, as the Azure portal shows it under Keys and Endpoint. The node appends /openai/deployments/&lt;deployment&gt;/images/generations itself.',
			displayOptions: { show: { authentication: ['azure'] } },
		},
		{
			displayName: 'API Key',
			name: 'apiKey',
			type: 'string',
			typeOptions: { password: true },
			default: '',
			description: 'The key the server expects. Leave empty only for a local server that needs none.',
		},
		{
			displayName: 'API Version',
			name: 'apiVersion',
			type: 'string',
			default: '2025-04-01-preview',
			required: true,
			description: 'Azure OpenAI api-version query parameter',
			displayOptions: { show: { authentication: ['azure'] } },
		},
		{
			displayName: 'Custom Headers',
			name: 'customHeaders',
			type: 'fixedCollection',
			typeOptions: { multipleValues: true },
			default: {},
			placeholder: 'Add Header',
			description:
				'Extra headers sent with every request to the base URL, e.g. a gateway group or an OpenAI-Organization header. Never sent when downloading images from other hosts.',
			options: [
				{
					displayName: 'Header',
					name: 'header',
					values: [
						{
							displayName: 'Name',
							name: 'name',
							type: 'string',
							default: '',
							placeholder: 'e.g. OpenAI-Organization',
						},
						{
							displayName: 'Value',
							name: 'value',
							type: 'string',
							typeOptions: { password: true },
							default: '',
							placeholder: 'e.g. org-123abc',
						},
					],
				},
			],
		},
		{
			// n8n's Test button shows a failed connection only by its code (ECONNREFUSED, ...).
			displayName: `If the test says only ECONNREFUSED, ENOTFOUND or ETIMEDOUT, the n8n server (not your browser) could not connect to the host and port of the URL above: check the port and that the server is running. ${DOCKER_LOOPBACK_HINT}`,
			name: 'connectionNotice',
			type: 'notice',
			default: '',
		},
	];

	authenticate = async (
		credentials: ICredentialDataDecryptedObject,
		requestOptions: IHttpRequestOptions,
	): Promise<IHttpRequestOptions> => {
		// Node would refuse such headers with an obscure error; this names the field (the credential
		// test shows this message, node runs check the same before building a request).
		const problem = credentialProblem(credentials);
		if (problem) throw new Error(problem);
		const { headers, qs } = authenticationFor(credentials);
		return {
			...requestOptions,
			headers: { ...requestOptions.headers, ...headers },
			qs: { ...requestOptions.qs, ...qs },
		};
	};

	/**
	 * The Test button: `GET {Base URL}/models` (Azure: `{endpoint}/openai/models?api-version=...`),
	 * authenticated by `authenticate` above, run by n8n's own credential tester. The Base URL is
	 * cleaned as requests clean it (spaces, trailing slashes, a pasted endpoint path); the key
	 * never follows a redirect. n8n reports failures by HTTP status: the rules turn the common
	 * ones into the fix.
	 */
	test: ICredentialTestRequest = {
		request: {
			baseURL: `={{ ${BASE_URL_EXPRESSION}.trim().replace(/\\/+$/, '').replace(${PASTED_ENDPOINT}, '').replace(/\\/+$/, '') }}`,
			url: '={{ $credentials.authentication === "azure" ? "/openai/models" : "/models" }}',
			method: 'GET',
			headers: { Accept: 'application/json' },
			disableFollowRedirect: true,
		},
		// n8n's tester applies status rules to failed requests and body rules to successful ones, in
		// one list; n8n-workflow's type only lists one kind per array.
		rules: [...TEST_STATUS_RULES, ...TEST_BODY_RULES] as unknown as IAuthenticateRuleResponseCode[],
	};
}
