import type {
	ICredentialDataDecryptedObject,
	ICredentialType,
	IHttpRequestOptions,
	INodeProperties,
} from 'n8n-workflow';

export const CREDENTIAL_NAME = 'openAiCompatibleImagesApi';

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

/** The values of the credential that must never show in output, errors or logs: the key and header values. */
export function secretsOf(credentials: ICredentialDataDecryptedObject): string[] {
	const values = [String(credentials.apiKey ?? '').trim(), ...customHeadersOf(credentials).map(({ value }) => value)];
	return [...new Set(values.filter((value) => value.length >= MIN_SECRET_LENGTH))];
}

// RFC 9110 token characters; Node refuses any other header name.
const HEADER_NAME = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;

/**
 * What makes the credential impossible to send as HTTP headers, or undefined when it is fine.
 * Node would refuse such a request with an obscure error; this names the field and never shows
 * the secret itself.
 */
export function credentialProblem(credentials: ICredentialDataDecryptedObject): string | undefined {
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

	documentationUrl = 'https://platform.openai.com/docs/api-reference/images';

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
			default: 'https://api.openai.com/v1',
			required: true,
			placeholder: 'https://api.openai.com/v1',
			description:
				'The API root that the paths /images/generations and /models are appended to. OpenAI and most gateways (new-api, one-api, SiliconFlow): ends in /v1. Volcengine Ark: ends in /api/v3. Azure OpenAI: the resource endpoint, e.g. https://my-resource.openai.azure.com. A trailing slash does no harm.',
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
						},
						{
							displayName: 'Value',
							name: 'value',
							type: 'string',
							typeOptions: { password: true },
							default: '',
						},
					],
				},
			],
		},
	];

	authenticate = async (
		credentials: ICredentialDataDecryptedObject,
		requestOptions: IHttpRequestOptions,
	): Promise<IHttpRequestOptions> => {
		const { headers, qs } = authenticationFor(credentials);
		return {
			...requestOptions,
			headers: { ...requestOptions.headers, ...headers },
			qs: { ...requestOptions.qs, ...qs },
		};
	};
}
