import type { IDisplayOptions, INodeProperties } from 'n8n-workflow';

import { DETECT_FAMILY, MODEL_FAMILIES, modelRegexFor, type ModelFamily, type Operation } from '../models';

/**
 * How a property follows the model family in the editor.
 *
 * n8n's display logic (NodeHelpers.displayParameter) treats a show-condition on a parameter
 * holding an expression as met and returns "shown" at once, without looking at the hide
 * conditions. Hide-conditions see the raw text, expression or not. So a family-specific
 * property comes in up to three variants that never show together:
 * - the family was chosen in Model Family: shown for that choice (a literal, never an expression);
 * - Model Family detects it: hidden when a family is chosen, or unless the model ID is literal
 *   and matches the family's pattern (hide-conditions, so an expression hides it);
 * - Model Family detects it and the model is an expression or $fromAI: the family cannot be known
 *   in the editor, so one generic variant shows (see whenModelIsExpression).
 */

export const MODEL_FAMILY = 'modelFamily';

const EXPRESSION = [{ _cnd: { startsWith: '=' } }];

interface Keys {
	family: string;
	model: string;
}

/** Inside a collection, conditions on top-level parameters take a leading slash. */
function keysFor(inCollection: boolean): Keys {
	return inCollection ? { family: `/${MODEL_FAMILY}`, model: '/model' } : { family: MODEL_FAMILY, model: 'model' };
}

function withConditions(
	property: INodeProperties,
	show: IDisplayOptions['show'],
	hide?: IDisplayOptions['hide'],
): INodeProperties {
	const own = property.displayOptions ?? {};
	const displayOptions: IDisplayOptions = { show: { ...own.show, ...show } };
	if (own.hide || hide) displayOptions.hide = { ...own.hide, ...hide };
	return { ...property, displayOptions };
}

/**
 * The variants of a property that show it exactly for models of the given families, chosen or
 * detected from a literal ID. An empty list when no family takes it; the property itself when
 * every family does.
 */
export function forFamilies(
	property: INodeProperties,
	families: readonly ModelFamily[],
	{ inCollection = false }: { inCollection?: boolean } = {},
): INodeProperties[] {
	if (families.length === 0) return [];
	if (MODEL_FAMILIES.every((family) => families.includes(family))) return [property];
	const keys = keysFor(inCollection);
	return [
		withConditions(property, { [keys.family]: families.map((family) => family.id) }),
		// Hide-conditions only: the editor re-checks dropdown values after a model change on the
		// parameters without their defaults, where Model Family's "detect" is absent.
		withConditions(property, {}, {
			[keys.family]: MODEL_FAMILIES.map((family) => family.id),
			[keys.model]: [{ _cnd: { regex: `^(?!(?!=)(?:${modelRegexFor(families)}))` } }],
		}),
	];
}

/** The variant shown when Model Family detects the family and the model is an expression. */
export function whenModelIsExpression(
	property: INodeProperties,
	{ inCollection = false }: { inCollection?: boolean } = {},
): INodeProperties {
	const keys = keysFor(inCollection);
	return withConditions(property, { [keys.family]: [DETECT_FAMILY], [keys.model]: EXPRESSION });
}

/** forFamilies for the families that support an operation, plus the variant for expression models. */
export function forOperation(property: INodeProperties, operation: Operation): INodeProperties[] {
	const families = familiesWith(operation);
	const variants = forFamilies(property, families);
	return variants.length > 1 ? [...variants, whenModelIsExpression(property)] : variants;
}

export function familiesWith(operation: Operation): ModelFamily[] {
	return MODEL_FAMILIES.filter((family) => family.operations.includes(operation));
}

/** "dall-e-2, gpt-image-1, gpt-image-1.5, ...": how descriptions name the models of some families. */
export function modelsOf(families: readonly ModelFamily[]): string {
	return families.map((family) => family.label).join('; ');
}

export const modelFamilyProperty: INodeProperties = {
	displayName: 'Model Family',
	name: MODEL_FAMILY,
	type: 'options',
	noDataExpression: true,
	default: DETECT_FAMILY,
	description:
		'Which fields the model takes. Detect From Model ID works for the usual model IDs; choose the family when the ID does not tell, e.g. an Azure deployment name, a gateway alias, or a model set by an expression.',
	options: [
		{
			name: 'Detect From Model ID',
			value: DETECT_FAMILY,
			description: 'Recognise the family from the model ID, in any letter case',
		},
		...MODEL_FAMILIES.map((family) => ({
			name: family.displayName,
			value: family.id,
			description: `Fields of ${family.label}`,
		})),
	],
};

/** A notice on the operations a model cannot do, naming the models that can. */
export function unsupportedNotice(operation: Operation, label: string): INodeProperties[] {
	const lacking = MODEL_FAMILIES.filter((family) => !family.operations.includes(operation));
	const supporting = familiesWith(operation).filter((family) => family.pattern !== undefined);
	const notice: INodeProperties = {
		displayName: `This model cannot ${label}. Models that can: ${modelsOf(supporting)}.`,
		name: `${operation}Unsupported`,
		type: 'notice',
		default: '',
		displayOptions: { show: { operation: [operation] } },
	};
	return forFamilies(notice, lacking);
}
