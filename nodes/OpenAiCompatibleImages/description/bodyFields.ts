import type { IDisplayOptions, INodeProperties, INodePropertyOptions } from 'n8n-workflow';

import {
	BODY_FIELDS,
	BODY_FIELD_KINDS,
	MODEL_FAMILIES,
	fieldRule,
	mainParameterOf,
	modelsOf,
	type FieldKind,
	type BodyField,
	type FieldRule,
	type ModelFamily,
	type Operation,
} from '../models';
import { forFamilies, whenModelIsExpression } from './familyDisplay';

/** How a body field is described in the UI; its label, place and type are in models.ts (BODY_FIELD_KINDS). */
interface FieldText {
	description: string;
	labels?: Record<string, string>;
}

const FIELD_TEXT: Record<BodyField, FieldText> = {
	size: {
		description: 'Width x height of the generated images',
		labels: { auto: 'Auto (Model Decides)' },
	},
	quality: {
		description: 'Higher quality takes longer and costs more',
		labels: { hd: 'HD', auto: 'Auto (Model Decides)', xhigh: 'Extra High', max: 'Max' },
	},
	style: {
		description: 'Vivid leans to hyper-real and dramatic images, natural to more realistic ones',
	},
	response_format: {
		description:
			'How the server returns the images. Either way the node outputs them as binary data; Base64 saves a second download.',
		labels: { b64_json: 'Base64 (b64_json)', url: 'URL (Downloaded by the Node)' },
	},
	background: {
		description: 'Transparent needs the PNG or WebP output format',
	},
	output_format: {
		description: 'File format of the returned images',
		labels: { png: 'PNG', jpeg: 'JPEG', webp: 'WebP', gif: 'GIF (Animated)', svg: 'SVG (Vector)' },
	},
	output_compression: {
		description: 'Compression level (0-100 %) for JPEG and WebP output',
	},
	moderation: {
		description: 'Low applies less restrictive content filtering',
	},
	input_fidelity: {
		description: 'High preserves faces, logos and details of the input images more closely',
	},
	user: {
		description: 'An ID of your end user, which helps the provider detect abuse',
	},
	watermark: {
		description: 'Whether the provider adds its watermark (e.g. Volcengine Seedream, Qwen)',
	},
	seed: {
		description:
			'A fixed seed gives reproducible results where the provider supports it; -1 sends none, so the provider picks a random one',
	},
	negative_prompt: {
		description: 'What the image should not contain, where the provider supports it',
	},
	aspect_ratio: {
		description: 'Width to height of the generated images',
	},
	resolution: {
		description: 'Resolution class of the generated images',
	},
	width: {
		description: 'Width of the generated images in pixels',
	},
	height: {
		description: 'Height of the generated images in pixels',
	},
	steps: {
		description: 'Number of inference steps: more is slower and often more detailed',
	},
	guidance_scale: {
		description: 'How closely the image follows the prompt: higher is closer, lower is freer; -1 sends none, so the model uses its default',
	},
	complexity: {
		description: 'How much the model plans the image before drawing it, independent of quality: higher takes longer',
	},
	frame_count: {
		description: 'Frames of the animated GIF; the frames share one sheet, so large frames allow fewer of them',
	},
	frame_duration_ms: {
		description: 'How long each frame of the animated GIF shows, in milliseconds',
	},
	svg_model: {
		description: 'The model that writes the SVG (sent as svg.model); empty lets the provider choose',
	},
};

/** How a body field looks in the UI. What each model accepts lives in models.ts. */
interface FieldUi extends FieldKind, FieldText {}

export const BODY_FIELD_UI = Object.fromEntries(
	BODY_FIELDS.map((field) => [field, { ...BODY_FIELD_KINDS[field], ...FIELD_TEXT[field] }]),
) as Record<BodyField, FieldUi>;



function titleCase(value: string): string {
	return value.charAt(0).toUpperCase() + value.slice(1);
}

function optionsOf(ui: FieldUi, values: readonly string[]): INodePropertyOptions[] {
	return values.map((value) => ({ name: ui.labels?.[value] ?? titleCase(value), value }));
}

function initialValue(ui: FieldUi, rule: FieldRule): string | number | boolean {
	if (rule.initial !== undefined) return rule.initial;
	if (rule.default !== undefined) return rule.default;
	if (ui.type === 'boolean') return false;
	if (ui.type === 'number') return rule.min !== undefined && rule.min > 0 ? rule.min : 0;
	return rule.values?.[0] ?? '';
}

/** "One of: a, b." or the free-form hint, from the rule. */
function allowed(rule: FieldRule): string {
	if (rule.values) return `one of ${rule.values.join(', ')}`;
	if (rule.hint) return rule.hint;
	if (rule.min !== undefined && rule.max !== undefined) return `${rule.min} to ${rule.max}`;
	return '';
}

function sentence(text: string): string {
	const trimmed = text.trim();
	return /[.!?]$/.test(trimmed) ? trimmed : `${trimmed}.`;
}

/** Field conditions beyond the model: compression only shows with a format that uses it. */
function fieldConditions(rule: FieldRule, inCollection: boolean): IDisplayOptions['show'] {
	if (!rule.onlyWith) return {};
	const { field, values } = rule.onlyWith;
	const targetIsMain = BODY_FIELD_UI[field].main === true;
	const key = inCollection ? (targetIsMain ? `/${field}` : field) : targetIsMain ? field : `options.${field}`;
	return { [key]: [...values] };
}

function propertyFor(field: BodyField, rule: FieldRule, show: IDisplayOptions['show']): INodeProperties {
	const ui = BODY_FIELD_UI[field];
	const hint = rule.hint ? ` (${rule.hint})` : '';
	const property = {
		displayName: ui.displayName,
		name: field,
		type: rule.values ? 'options' : ui.type === 'options' ? 'string' : ui.type,
		default: initialValue(ui, rule),
		description: sentence(`${ui.description}${hint}`),
		displayOptions: { show },
	} as INodeProperties;
	if (rule.values) property.options = optionsOf(ui, rule.values);
	if (rule.placeholder) property.placeholder = rule.placeholder;
	if (rule.min !== undefined || rule.max !== undefined) {
		// The "not sent" value (-1) must be enterable below the range.
		const minValue = typeof rule.unset === 'number' && rule.min !== undefined ? Math.min(rule.min, rule.unset) : rule.min;
		property.typeOptions = { minValue, maxValue: rule.max, numberPrecision: rule.fraction ? 2 : 0 };
	}
	return property;
}

/**
 * A dropdown shows in the node; in the AI Agent tool it becomes a text field with the same
 * values, because n8n offers "Let the model define this" ($fromAI) for text, not for dropdowns.
 */
function withToolTwin(property: INodeProperties, rule: FieldRule): INodeProperties[] {
	if (property.type !== 'options') return [property];
	const { options: _options, ...rest } = property;
	const own = property.displayOptions ?? {};
	// '@tool' goes first: n8n stops checking at a condition on an expression (the model's).
	const node = { ...property, displayOptions: { ...own, hide: { '@tool': [true], ...own.hide } } };
	const tool: INodeProperties = {
		...rest,
		type: 'string',
		placeholder: `e.g. ${String(property.default)}`,
		description: sentence(`${property.description} Allowed: ${allowed(rule)}`),
		displayOptions: { ...own, show: { '@tool': [true], ...own.show } },
	};
	return [node, tool];
}

/** For a model given as an expression: one text (or number, boolean) field that takes any family's values. */
function genericFor(
	field: BodyField,
	groups: ReadonlyArray<{ rule: FieldRule; families: ModelFamily[] }>,
	show: IDisplayOptions['show'],
	inCollection: boolean,
): INodeProperties {
	const ui = BODY_FIELD_UI[field];
	const perFamily = groups
		.map(({ rule, families }) => `${modelsOf(families)}: ${allowed(rule) || 'any value'}`)
		.join('. ');
	const emptyMeans = ui.type === 'options' ? ' Empty sends the model\'s default.' : '';
	const property: INodeProperties = {
		displayName: ui.displayName,
		name: field,
		type: ui.type === 'options' ? 'string' : ui.type,
		default: ui.type === 'options' ? '' : initialValue(ui, groups[0].rule),
		description: sentence(`${ui.description}. The model is set by an expression, so the node checks the value when it runs. ${perFamily}.${emptyMeans}`),
		displayOptions: { show },
	};
	if (ui.type === 'options') property.placeholder = `e.g. ${String(groups[0].rule.default ?? groups[0].rule.values?.[0] ?? '')}`;
	return whenModelIsExpression(property, { inCollection });
}

interface Group {
	rule: FieldRule;
	families: ModelFamily[];
	operations: Operation[];
}

/** Families grouped by the rule they give a field (over the given operations), each with the operations it applies to. */
function groupsOf(field: BodyField, operations: readonly Operation[]): Group[] {
	const groups = new Map<string, Group>();
	for (const operation of operations) {
		const byRule = new Map<FieldRule, ModelFamily[]>();
		for (const family of MODEL_FAMILIES) {
			const rule = fieldRule(family, field, operation);
			if (rule) byRule.set(rule, [...(byRule.get(rule) ?? []), family]);
		}
		for (const [rule, families] of byRule) {
			const key = JSON.stringify([field, families.map((family) => family.id), Object.keys(rule), rule.values, rule.default, rule.hint, rule.min, rule.max]);
			const group = groups.get(key) ?? { rule, families, operations: [] };
			group.operations.push(operation);
			groups.set(key, group);
		}
	}
	return [...groups.values()];
}

function fieldProperties(field: BodyField, operations: readonly Operation[], inCollection: boolean): INodeProperties[] {
	const operationKey = inCollection ? '/operation' : 'operation';
	const groups = groupsOf(field, operations);
	const properties = groups.flatMap(({ rule, families, operations: ops }) =>
		forFamilies(
			{
				...propertyFor(field, rule, { [operationKey]: ops, ...fieldConditions(rule, inCollection) }),
				name: inCollection ? field : mainParameterOf(field, rule),
			},
			families,
			{ inCollection },
		).flatMap((property) => withToolTwin(property, rule)),
	);
	// Where some families lack the field or differ, a model set by an expression gets the generic field.
	const universal = (group: Group) => MODEL_FAMILIES.every((family) => group.families.includes(family));
	const varying = operations.filter((operation) =>
		groups.some((group) => group.operations.includes(operation) && !universal(group)),
	);
	if (varying.length > 0) {
		const relevant = groups.filter((group) => group.operations.some((operation) => varying.includes(operation)));
		properties.push(genericFor(field, relevant, { [operationKey]: varying }, inCollection));
	}
	return properties;
}

/** Main fields of an operation (Size, Quality, Style): exactly one of each shows for any model. */
export function mainBodyFields(operation: Operation): INodeProperties[] {
	return BODY_FIELDS.filter((name) => BODY_FIELD_UI[name].main).flatMap((field) =>
		fieldProperties(field, [operation], false),
	);
}

/** Options-collection fields: the same variants, with conditions on the top-level parameters. */
export function optionalBodyFields(operations: readonly Operation[]): INodeProperties[] {
	return BODY_FIELDS.filter((name) => !BODY_FIELD_UI[name].main)
		.flatMap((field) => fieldProperties(field, operations, true))
		.sort((a, b) => a.displayName.localeCompare(b.displayName));
}
