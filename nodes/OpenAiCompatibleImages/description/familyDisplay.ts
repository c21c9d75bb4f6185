import type { IDisplayOptions, INodeProperties } from 'n8n-workflow';

import {
	DETECTABLE_FAMILIES,
	DETECT_FAMILY,
	MODEL_FAMILIES,
	MODEL_FAMILY_PARAMETER,
	MODEL_LINES,
	anyCase,
	familiesWith,
	modelsOf,
	type ModelFamily,
	type Operation,
} from '../models';

/**
 * How a property follows the model family in the editor.
 *
 * n8n's display logic (NodeHelpers.displayParameter) treats a show-condition on a parameter
 * holding an expression as met and returns "shown" at once, without looking at the hide
 * conditions. Hide-conditions see the raw text, expression or not. So a family-specific
 * property comes in up to three variants that never show together:
 * - the family was chosen in Model Family: shown for that choice (a literal, never an expression);
 * - Model Family detects it: hidden when a family is chosen, when the model is an expression, or
 *   when the literal model ID is not of the families (one short regular expression: the
 *   families' patterns are disjoint, models.ts);
 * - Model Family detects it and the model is an expression or $fromAI: the family cannot be known
 *   in the editor, so one generic variant shows (see whenModelIsExpression).
 *
 * n8n 2.x runs each display regex in a sandbox with a time limit (0.1-0.4 ms each, on every
 * render and when a run builds the workflow), so cheap prefix checks come first, a variant has
 * one regex where it fits, and none is longer than MAX_REGEX.
 */

const MODEL_FAMILY = MODEL_FAMILY_PARAMETER;

/** The longest display regex the description may hold (test/unit/models.test.ts). */
export const MAX_REGEX = 300;

const EXPRESSION = { _cnd: { startsWith: '=' } };
/** Hides a detect variant when a family is chosen (absent, as in the editor's re-check without defaults, is detect). */
const FAMILY_CHOSEN = [{ _cnd: { not: DETECT_FAMILY } }];

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

const patternOf = (family: ModelFamily) => anyCase(family.pattern as string);

/** The any-case patterns of some detectable families, a whole line of families as the line's one pattern. */
function patternsOf(families: readonly ModelFamily[]): string[] {
	const patterns: string[] = [];
	const lines = new Set<string>();
	for (const family of families) {
		const line = family.line;
		const wholeLine = line && DETECTABLE_FAMILIES.every((other) => other.line !== line || families.includes(other));
		if (!wholeLine) patterns.push(patternOf(family));
		else if (!lines.has(line)) {
			lines.add(line);
			patterns.push(anyCase(MODEL_LINES[line].pattern));
		}
	}
	return patterns;
}

/** Alternatives joined into as few regular expressions as fit in MAX_REGEX characters each. */
function joinedWithin(alternatives: string[]): string[] {
	const joined: string[] = [];
	for (const alternative of alternatives) {
		const last = joined.length - 1;
		if (last >= 0 && joined[last].length + 1 + alternative.length <= MAX_REGEX) joined[last] += `|${alternative}`;
		else joined.push(alternative);
	}
	return joined;
}

type Conditions = NonNullable<IDisplayOptions['hide']>[string];

/**
 * Cheap conditions that hide a detect variant for the usual IDs of families outside `families`:
 * an ID that starts with a prefix of another family (or of a line none of whose families is
 * here) is not of these families. n8n checks them before the variant's regular expression and
 * stops at the first that holds, so a usual ID of another family costs no regex.
 */
function otherFamiliesStart(families: readonly ModelFamily[]): Array<{ _cnd: { startsWith: string } }> {
	const prefixes = new Set<string>();
	for (const family of DETECTABLE_FAMILIES) {
		if (families.includes(family)) continue;
		family.prefixes?.forEach((prefix) => prefixes.add(prefix));
		const line = family.line;
		if (line && !families.some((own) => own.line === line)) MODEL_LINES[line].prefixes.forEach((prefix) => prefixes.add(prefix));
	}
	return [...prefixes].map((prefix) => ({ _cnd: { startsWith: prefix } }));
}

/**
 * Conditions on the model ID that hide a detect variant unless the literal ID is of one of the
 * families: an expression, the usual start of another family's IDs, then for a set with the
 * catch-all "matches another family", otherwise "matches none of these".
 */
function hiddenUnlessDetected(families: readonly ModelFamily[]): Conditions | undefined {
	const detectable = DETECTABLE_FAMILIES.filter((family) => families.includes(family));
	const catchAll = families.some((family) => family.pattern === undefined && !family.explicitOnly);
	if (!catchAll && detectable.length === 0) return undefined;
	const cheap = [EXPRESSION, ...otherFamiliesStart(families)];
	if (catchAll) {
		const others = patternsOf(DETECTABLE_FAMILIES.filter((family) => !families.includes(family)));
		return [...cheap, ...joinedWithin(others).map((regex) => ({ _cnd: { regex } }))];
	}
	const regex = `^(?!.*(?:${patternsOf(detectable).join('|')}))`;
	if (regex.length <= MAX_REGEX) return [...cheap, { _cnd: { regex } }];
	// Most of one line: hidden outside the line, or on the line's other families.
	const line = detectable[0].line;
	if (line && detectable.every((family) => family.line === line)) {
		const rest = DETECTABLE_FAMILIES.filter((family) => family.line === line && !detectable.includes(family));
		return [...cheap, { _cnd: { regex: `^(?!.*(?:${anyCase(MODEL_LINES[line].pattern)}))` } }, ...joinedWithin(rest.map(patternOf)).map((other) => ({ _cnd: { regex: other } }))];
	}
	// Longer than MAX_REGEX still works; test/unit/models.test.ts asks for shorter patterns.
	return [...cheap, { _cnd: { regex } }];
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
	const chosen = withConditions(property, { [keys.family]: families.map((family) => family.id) });
	const modelHide = hiddenUnlessDetected(families);
	if (!modelHide) return [chosen];
	// Hide-conditions only: the editor re-checks dropdown values after a model change on the
	// parameters without their defaults, where Model Family's "detect" is absent.
	return [chosen, withConditions(property, {}, { [keys.family]: FAMILY_CHOSEN, [keys.model]: modelHide })];
}

/** The variant shown when Model Family detects the family and the model is an expression. */
export function whenModelIsExpression(
	property: INodeProperties,
	{ inCollection = false }: { inCollection?: boolean } = {},
): INodeProperties {
	const keys = keysFor(inCollection);
	return withConditions(property, { [keys.family]: [DETECT_FAMILY], [keys.model]: [EXPRESSION] });
}

/** forFamilies for the families that support an operation, plus the variant for expression models. */
export function forOperation(property: INodeProperties, operation: Operation): INodeProperties[] {
	const variants = forFamilies(property, familiesWith(operation));
	return variants.length > 1 ? [...variants, whenModelIsExpression(property)] : variants;
}

export const modelFamilyProperty: INodeProperties = {
	displayName: 'Model Family',
	name: MODEL_FAMILY,
	type: 'options',
	noDataExpression: true,
	default: DETECT_FAMILY,
	description:
		'Which fields the model takes. Detect From Model ID works for the usual model IDs (the subtitle on the canvas names the family it found, "as GPT Image 2.6" for a model newer than the node knows); choose the family when the ID does not tell, e.g. an Azure deployment name, a gateway alias, or a model set by an expression.',
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

/**
 * The node's subtitle on the canvas: the family whose fields the node shows, then the operation
 * ("GPT Image 2 · generate", "as GPT Image 2.6 · generate" for a newer model of the line than the
 * table knows, "family at run time · edit" for a model given by an expression), worked out in the
 * editor from the table's patterns. The canvas shows about 30 characters of it, so the family
 * comes first and the model ID (in the panel anyway) is left out. Only the editor evaluates a
 * subtitle, so this costs the run nothing.
 */
export function subtitleExpression(): string {
	const nameOf = (family: ModelFamily) => family.shortName ?? family.displayName;
	const detectable = DETECTABLE_FAMILIES.map(
		(family) => `[/${(family.pattern as string).replace(/\//g, '\\/')}/i, ${JSON.stringify(nameOf(family))}, ${JSON.stringify(family.newestOfLine ? (family.knownModels ?? []) : null)}]`,
	);
	const chosen = Object.fromEntries(MODEL_FAMILIES.map((family) => [family.id, nameOf(family)]));
	const other = MODEL_FAMILIES.find((family) => family.pattern === undefined && !family.explicitOnly);
	return (
		'={{ (() => { ' +
		'const operation = " · " + $parameter["operation"]; ' +
		// A chosen family is what the fields follow, whatever the model.
		`const chosen = ${JSON.stringify(chosen)}[$parameter["modelFamily"]]; ` +
		'if (chosen) return chosen + operation; ' +
		// The editor resolves $parameter: a model given as an expression fails there without input data.
		'let m; try { m = $parameter["model"]; } catch (error) { return "family at run time" + operation; } ' +
		'const id = String((m && typeof m === "object" ? m.value : m) ?? "").trim(); ' +
		'if (id.startsWith("=") || id.includes("{{")) return "family at run time" + operation; ' +
		`const hit = [${detectable.join(', ')}].find((entry) => entry[0].test(id)); ` +
		`if (!hit) return ${JSON.stringify(other ? nameOf(other) : '')} + operation; ` +
		'const bare = id.toLowerCase().slice(id.lastIndexOf("/") + 1); ' +
		'const newer = hit[2] && !hit[2].some((known) => bare === known || bare.startsWith(known + "-")); ' +
		'return (newer ? "as " : "") + hit[1] + operation; ' +
		'})() }}'
	);
}
