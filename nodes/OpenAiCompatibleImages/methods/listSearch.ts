import type {
	IDataObject,
	ILoadOptionsFunctions,
	INodeListSearchItems,
	INodeListSearchResult,
} from 'n8n-workflow';

import { IMAGE_MODEL_PATTERN, MODEL_FAMILIES, familyOf, retirementOf } from '../models';
import { apiRequest, credentialSecrets, credentialsOf, parseJsonBody } from '../transport';
import { redactText } from '../transport/errors';

const WELL_KNOWN_MODELS = MODEL_FAMILIES.flatMap((family) => family.knownModels ?? []);
const WELL_KNOWN_LOWER = WELL_KNOWN_MODELS.map((id) => id.toLowerCase());

/** A model's retirement, from the model table, or undefined. */
const retiredOf = (id: string) => retirementOf(id, familyOf(id));

/**
 * Current image models first (the table's well-known ones in its order, newest line first), then
 * other image models, then image models their provider retired, then the rest; alphabetically
 * within each group.
 */
export function sortModels(ids: string[]): string[] {
	const rank = (id: string) => {
		if (!IMAGE_MODEL_PATTERN.test(id)) return [3, 0];
		if (retiredOf(id)) return [2, 0];
		const known = WELL_KNOWN_LOWER.indexOf(id.toLowerCase());
		return known >= 0 ? [0, known] : [1, 0];
	};
	return [...new Set(ids)].sort((a, b) => {
		const [groupA, orderA] = rank(a);
		const [groupB, orderB] = rank(b);
		return groupA - groupB || orderA - orderB || a.localeCompare(b);
	});
}

/** What the list says of a model beside its ID: retired by its provider, or which fields it gets. */
function describeModel(id: string): string | undefined {
	const retired = retiredOf(id);
	if (retired) return `Retired by ${retired.provider} on ${retired.on}: use ${retired.replacement} (gateways may still serve it)`;
	const family = familyOf(id);
	return family.pattern ? `${family.displayName} fields` : undefined;
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
		return { results: matching(WELL_KNOWN_MODELS.filter((id) => !retiredOf(id))).map((id) => ({ name: id, value: id, description: reason })) };
	}
	// Azure lists its base models, while requests name a deployment: say so on every entry.
	const azure = (await credentialsOf(this)).authentication === 'azure';
	const results: INodeListSearchItems[] = matching(ids).map((id) => {
		const description = azure
			? 'An Azure base model. Requests need your deployment name: enter it with By ID and choose its Model Family.'
			: describeModel(id);
		return { name: id, value: id, ...(description ? { description } : {}) };
	});
	return { results };
}
