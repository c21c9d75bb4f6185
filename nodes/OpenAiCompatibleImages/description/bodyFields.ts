import type { INodeProperties, INodePropertyOptions } from 'n8n-workflow';

import {
	MODEL_FAMILIES,
	fieldRule,
	modelRegexFor,
	type BodyField,
	type FieldRule,
	type ModelFamily,
	type Operation,
} from '../models';

/** How a body field looks in the UI. What each model accepts lives in models.ts. */
interface FieldUi {
	displayName: string;
	description: string;
	/** Main fields sit on the node; the others are in the Options collection. */
	main?: boolean;
	type: 'options' | 'string' | 'number' | 'boolean';
	labels?: Record<string, string>;
}

export const BODY_FIELD_UI: Record<BodyField, FieldUi> = {
	size: {
		displayName: 'Size',
		description: 'Width x height of the generated images',
		main: true,
		type: 'options',
		labels: { auto: 'Auto (Model Decides)' },
	},
	quality: {
		displayName: 'Quality',
		description: 'Higher quality takes longer and costs more',
		main: true,
		type: 'options',
		labels: { hd: 'HD', auto: 'Auto (Model Decides)' },
	},
	style: {
		displayName: 'Style',
		description: 'Vivid leans to hyper-real and dramatic images, natural to more realistic ones',
		main: true,
		type: 'options',
	},
	response_format: {
		displayName: 'Response Format',
		description:
			'How the server returns the images. Either way the node outputs them as binary data; Base64 saves a second download.',
		type: 'options',
		labels: { b64_json: 'Base64 (b64_json)', url: 'URL (Downloaded by the Node)' },
	},
	background: {
		displayName: 'Background',
		description: 'Transparent needs the PNG or WebP output format',
		type: 'options',
	},
	output_format: {
		displayName: 'Output Format',
		description: 'File format of the returned images',
		type: 'options',
		labels: { png: 'PNG', jpeg: 'JPEG', webp: 'WebP' },
	},
	output_compression: {
		displayName: 'Output Compression',
		description: 'Compression level (0-100 %) for JPEG and WebP output',
		type: 'number',
	},
	moderation: {
		displayName: 'Moderation',
		description: 'Low applies less restrictive content filtering',
		type: 'options',
	},
	input_fidelity: {
		displayName: 'Input Fidelity',
		description: 'High preserves faces, logos and details of the input images more closely',
		type: 'options',
	},
	user: {
		displayName: 'User',
		description: 'An ID of your end user, which helps the provider detect abuse',
		type: 'string',
	},
	watermark: {
		displayName: 'Watermark',
		description: 'Whether the provider adds its watermark (e.g. Volcengine Seedream, Qwen)',
		type: 'boolean',
	},
	seed: {
		displayName: 'Seed',
		description: 'Random seed for reproducible results, where the provider supports it',
		type: 'number',
	},
	negative_prompt: {
		displayName: 'Negative Prompt',
		description: 'What the image should not contain, where the provider supports it',
		type: 'string',
	},
};

const BODY_FIELDS = Object.keys(BODY_FIELD_UI) as BodyField[];

function titleCase(value: string): string {
	return value.charAt(0).toUpperCase() + value.slice(1);
}

function optionsOf(ui: FieldUi, values: readonly string[]): INodePropertyOptions[] {
	return values.map((value) => ({ name: ui.labels?.[value] ?? titleCase(value), value }));
}

function naturalDefault(ui: FieldUi, rule: FieldRule): string | number | boolean {
	if (rule.default !== undefined) return rule.default;
	if (ui.type === 'boolean') return false;
	if (ui.type === 'number') return rule.min !== undefined && rule.min > 0 ? rule.min : 0;
	return rule.values?.[0] ?? '';
}

function propertyFor(
	field: BodyField,
	rule: FieldRule,
	families: readonly ModelFamily[],
	show: Record<string, unknown>,
	modelKey: string,
): INodeProperties {
	const ui = BODY_FIELD_UI[field];
	const familyNames = families.map((family) => family.displayName).join(', ');
	const hint = rule.hint ? ` (${rule.hint})` : '';
	const property = {
		displayName: ui.displayName,
		name: field,
		type: rule.values ? 'options' : ui.type === 'options' ? 'string' : ui.type,
		default: naturalDefault(ui, rule),
		description: `${ui.description}${hint}. Sent for: ${familyNames}.`,
		displayOptions: {
			show: { ...show, [modelKey]: [{ _cnd: { regex: modelRegexFor(families) } }] },
		},
	} as INodeProperties;
	if (rule.values) property.options = optionsOf(ui, rule.values);
	if (rule.min !== undefined || rule.max !== undefined) {
		property.typeOptions = { minValue: rule.min, maxValue: rule.max, numberPrecision: 0 };
	}
	return property;
}

/**
 * Main fields: one property per distinct rule, shown for the families that share it (n8n
 * picks the displayed one of same-named properties).
 */
export function mainBodyFields(operation: Operation): INodeProperties[] {
	const properties: INodeProperties[] = [];
	for (const field of BODY_FIELDS.filter((name) => BODY_FIELD_UI[name].main)) {
		const groups = new Map<string, { rule: FieldRule; families: ModelFamily[] }>();
		for (const family of MODEL_FAMILIES) {
			const rule = fieldRule(family, field, operation);
			if (!rule) continue;
			const key = JSON.stringify([rule.values, rule.default, rule.hint, rule.min, rule.max]);
			const group = groups.get(key) ?? { rule, families: [] };
			group.families.push(family);
			groups.set(key, group);
		}
		for (const { rule, families } of groups.values()) {
			properties.push(propertyFor(field, rule, families, { operation: [operation] }, 'model'));
		}
	}
	return properties;
}

/** Options-collection fields: one entry per field (collection options need unique names). */
export function optionalBodyFields(operations: readonly Operation[]): INodeProperties[] {
	const properties: INodeProperties[] = [];
	for (const field of BODY_FIELDS.filter((name) => !BODY_FIELD_UI[name].main)) {
		const families = MODEL_FAMILIES.filter((family) =>
			operations.some((operation) => fieldRule(family, field, operation)),
		);
		if (families.length === 0) continue;
		const fieldOperations = operations.filter((operation) =>
			families.some((family) => fieldRule(family, field, operation)),
		);
		// Families share one rule per optional field; the first one describes it.
		const rule = families[0].fields[field] as FieldRule;
		properties.push(
			propertyFor(field, rule, families, { '/operation': fieldOperations }, '/model'),
		);
	}
	return properties.sort((a, b) => a.displayName.localeCompare(b.displayName));
}
