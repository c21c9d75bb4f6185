import type {
	IDataObject,
	ILoadOptionsFunctions,
	INodeListSearchItems,
	INodeListSearchResult,
} from 'n8n-workflow';

import { IMAGE_MODEL_PATTERN, MODEL_FAMILIES } from '../models';
import { apiRequest, credentialSecrets, credentialsOf, parseJsonBody } from '../transport';
import { redactText } from '../transport/errors';

const WELL_KNOWN_MODELS = MODEL_FAMILIES.flatMap((family) => family.knownModels ?? []);

/** Models that name an image model first, then the rest, each alphabetically. */
export function sortModels(ids: string[]): string[] {
	const unique = [...new Set(ids)];
	const isImage = (id: string) => IMAGE_MODEL_PATTERN.test(id);
	return unique.sort((a, b) => Number(isImage(b)) - Number(isImage(a)) || a.localeCompare(b));
}

/**
 * Lists the server's models (`GET {base}/models`) for the Model field. Gateways list hundreds
 * of chat and image models mixed, so image models come first and the list is searchable.
 */
export async function searchModels(
	this: ILoadOptionsFunctions,
	filter?: string,
): Promise<INodeListSearchResult> {
	const query = (filter ?? '').trim().toLowerCase();
	const matching = (ids: string[]) => sortModels(ids).filter((id) => !query || id.toLowerCase().includes(query));
	let ids: string[];
	try {
		const response = await apiRequest(this, { method: 'GET', path: 'models', timeout: 30_000, maxRetries: 1 });
		const body = parseJsonBody(this, response);
		const list: unknown[] = Array.isArray(body.data) ? body.data : Array.isArray(body.models) ? body.models : [];
		ids = list
			.map((model) =>
				typeof model === 'string' ? model : String((model as IDataObject)?.id ?? (model as IDataObject)?.name ?? ''),
			)
			.filter((id) => id !== '');
	} catch (error) {
		// The list is a convenience: keep the field usable with the well-known models and say why.
		const reason = redactText(
			`This server's model list could not be loaded (${(error as Error).message}); you can still type any model ID with "By ID".`,
			await credentialSecrets(this),
		);
		return { results: matching(WELL_KNOWN_MODELS).map((id) => ({ name: id, value: id, description: reason })) };
	}
	// Azure lists its base models, while requests name a deployment: say so on every entry.
	const azure = (await credentialsOf(this)).authentication === 'azure';
	const description = azure
		? 'An Azure base model. Requests need your deployment name: enter it with By ID and choose its Model Family.'
		: undefined;
	const results: INodeListSearchItems[] = matching(ids).map((id) => ({ name: id, value: id, ...(description ? { description } : {}) }));
	return { results };
}
