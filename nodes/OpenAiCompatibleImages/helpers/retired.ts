import { familyOf, retirementOf } from '../models';

/** What providers answer for a model they no longer serve (OpenAI: 404 model_not_found, "has been deprecated"). */
const GONE = /model_not_found|deprecated|does not exist|no longer (available|supported)|retired|not found/i;

/**
 * A provider's "no such model" error for a model the table knows as retired, said plainly: who
 * retired it, when, and which current model replaces it. Other errors are returned as they are.
 */
export function explainRetired(error: Error, model: string | undefined): Error {
	if (!model) return error;
	const failure = error as Error & { httpCode?: string; description?: string | null };
	const said = `${failure.message} ${failure.description ?? ''}`;
	// Only the provider's answer about this very model: an image download's 404, or an Azure
	// deployment that does not exist, names no model ID.
	const namesModel = said.toLowerCase().includes(model.trim().toLowerCase());
	if (!['400', '404'].includes(failure.httpCode ?? '') || !namesModel || !GONE.test(said)) return error;
	const retired = retirementOf(model, familyOf(model));
	if (!retired) return error;
	const provider = failure.message;
	failure.message = `The model "${model}" was retired by ${retired.provider} on ${retired.on}: use ${retired.replacement} instead`;
	failure.description = `${retired.provider} no longer serves ${retired.model}; ${retired.replacement} replaces it. Set Model to ${retired.replacement} (From List shows current models first). Gateways and Azure may still serve ${retired.model} under their own names. The provider answered: ${provider}`;
	return failure;
}
