'use strict';
/**
 * What the editor should show, read from the built model table (dist/.../models.js) and the
 * field UI table (BODY_FIELD_UI in description/bodyFields.js): the tests follow the table, so a
 * family or a field added there is expected in the browser without touching the tests.
 */

const path = require('node:path');

const DIST = path.resolve(__dirname, '..', '..', 'dist', 'nodes', 'OpenAiCompatibleImages');
const models = require(path.join(DIST, 'models.js'));
const { BODY_FIELD_UI } = require(path.join(DIST, 'description', 'bodyFields.js'));
const { OpenAiCompatibleImages } = require(path.join(DIST, 'OpenAiCompatibleImages.node.js'));

const description = new OpenAiCompatibleImages().description;
const BODY_FIELDS = Object.keys(BODY_FIELD_UI);

/** The family the table assigns to a model ID. */
function familyOf(model) {
	return models.familyOf(model);
}

function family(id) {
	const found = models.MODEL_FAMILIES.find((f) => f.id === id);
	if (!found) throw new Error(`No model family "${id}" in models.ts (families: ${models.MODEL_FAMILIES.map((f) => f.id).join(', ')})`);
	return found;
}

function titleCase(value) {
	return value.charAt(0).toUpperCase() + value.slice(1);
}

/** Option names a field's dropdown shows for a rule (BODY_FIELD_UI labels, else the value title-cased). */
function optionNames(field, rule) {
	const ui = BODY_FIELD_UI[field];
	return (rule.values || []).map((value) => (ui.labels && ui.labels[value]) || titleCase(value));
}

/** The node's own top-level parameter `name`, if the built description has it. */
function property(name) {
	return description.properties.find((p) => p.name === name);
}

const MODEL_FAMILY = property('modelFamily');
if (!MODEL_FAMILY) throw new Error('The built node has no Model Family (modelFamily) parameter');

/** Display names of the run options (Options collection entries that are no body field). */
const RUN_OPTION_NAMES = property('options')
	.options.filter((option) => !BODY_FIELDS.includes(option.name))
	.map((option) => option.displayName);

/**
 * For one operation and family: the main body fields ({ label, options }) the parameter panel
 * shows and the names the Options collection offers, in the table's order.
 */
function bodyFieldsFor(operation, fam) {
	const main = [];
	const optional = [];
	for (const field of BODY_FIELDS) {
		const rule = models.fieldRule(fam, field, operation);
		if (!rule) continue;
		// Shown only once another field has one of some values (Output Compression with JPEG or
		// WebP): not offered while that field is unset, as in every case here.
		if (rule.onlyWith) continue;
		const ui = BODY_FIELD_UI[field];
		const entry = { field, label: ui.displayName, options: rule.values ? optionNames(field, rule) : undefined };
		(ui.main ? main : optional).push(entry);
	}
	return { main, optional };
}

/**
 * The option names of a dropdown of the node whose values are exactly `values`, read from the
 * built description (a parameter such as Endpoint comes in variants with different options).
 */
function optionsNamed(name, values) {
	const variant = description.properties.find(
		(p) => p.name === name && p.options && JSON.stringify(p.options.map((o) => o.value)) === JSON.stringify(values),
	);
	if (!variant) throw new Error(`The built node has no "${name}" dropdown with the values ${values.join(', ')}`);
	return variant.options.map((o) => o.name);
}

/** Model Family's options: its first (detect from the ID), then every family of the table. */
const familyOptions = () => [MODEL_FAMILY.options[0].name, ...models.MODEL_FAMILIES.map((f) => f.displayName)];

/**
 * How a family takes edit images (Image Input Mode's values, the first the default): only in
 * the JSON request for chat models and families whose JSON images are their only way; as
 * uploads, or as URLs in a JSON body, for the others with JSON images; else uploads only.
 */
function inputModes(fam) {
	if (fam.api === 'chat' || (fam.jsonImages && fam.jsonImages.only)) return ['json'];
	return fam.jsonImages ? ['upload', 'json'] : ['upload'];
}

/** Labels, main dropdowns (label -> option names) and the Options collection's list for an operation's panel. */
function panel(operation, fam, { labels: own = [], dropdowns: ownDropdowns = {} } = {}) {
	const { main, optional } = bodyFieldsFor(operation, fam);
	const labels = ['Operation', 'Model', MODEL_FAMILY.displayName, ...own, ...main.map((f) => f.label), 'Options'];
	const dropdowns = { ...ownDropdowns, ...Object.fromEntries(main.filter((f) => f.options).map((f) => [f.label, f.options])) };
	// Model Family's options are the same on every panel: the Generate panels check them.
	if (operation === 'generate') dropdowns[MODEL_FAMILY.displayName] = familyOptions();
	// Free-form main fields (gpt-image-2's Size, Aspect Ratio) are text, not dropdowns.
	const text = main.filter((f) => !f.options).map((f) => f.label);
	const addOptions = [...optional.map((f) => f.label), ...RUN_OPTION_NAMES].sort((a, b) => a.localeCompare(b));
	return { labels, dropdowns, text, addOptions };
}

/**
 * Everything the Generate panel shows for a family: the labels (the fixed fields, the family's
 * main body fields, Options), each main dropdown's options, and the Options collection's list.
 */
function generatePanel(fam) {
	return panel('generate', fam, { labels: ['Prompt', 'Number of Images'] });
}

/**
 * The Edit panel of a family in an Image Input Mode (its default when not given): Image Input
 * Mode with the modes it takes, Endpoint where it takes JSON images on a choice of endpoints,
 * Input Images (From Image URLs only in JSON), Mask Binary Property where a mask can be sent
 * that way. With Input Images left at From Binary Properties.
 */
function editPanel(fam, mode = inputModes(fam)[0]) {
	if (!fam.operations.includes('edit')) return unsupportedPanel('edit', fam);
	const json = mode === 'json';
	const endpoints = json && fam.jsonImages && !fam.jsonImages.only ? fam.jsonImages.endpoints : undefined;
	const mask = !!fam.mask && (!json || (fam.jsonImages && fam.jsonImages.mask));
	const source = description.properties.find(
		(p) => p.name === 'imageSource' && p.displayOptions.show.imageInputMode.includes(mode),
	);
	const labels = [
		'Prompt',
		'Image Input Mode',
		...(endpoints ? ['Endpoint'] : []),
		'Input Images',
		'Input Binary Properties',
		...(mask ? ['Mask Binary Property'] : []),
		'Number of Images',
	];
	const dropdowns = {
		'Image Input Mode': optionsNamed('imageInputMode', inputModes(fam)),
		'Input Images': source.options.map((o) => o.name),
		...(endpoints ? { Endpoint: optionsNamed('endpoint', endpoints) } : {}),
	};
	return { ...panel('edit', fam, { labels, dropdowns }), mode, notice: false };
}

/**
 * An operation's panel with the model set by an expression (or left to $fromAI in the AI Agent
 * tool, `tool`) and Model Family on detect: the family cannot be known in the editor, so each
 * field any family that can do the operation shows (in that Image Input Mode for Edit) shows
 * once, the body fields as text (the node checks them when it runs; $fromAI can fill them), and
 * no notice. Edit has Image Input Mode with both modes; the tool has n8n's own Tool Description.
 */
function genericPanel(operation, { mode = 'upload', tool = false } = {}) {
	const able = models.MODEL_FAMILIES.filter((f) => f.operations.includes(operation));
	const own = { generate: generatePanel, edit: (fam) => editPanel(fam, mode), variation: variationPanel }[operation];
	const labels = tool ? ['Tool Description'] : [];
	const add = (label) => labels.includes(label) || labels.push(label);
	for (const fam of able) if (operation !== 'edit' || inputModes(fam).includes(mode)) own(fam).labels.forEach(add);
	const text = [];
	for (const fam of able) for (const f of bodyFieldsFor(operation, fam).main) if (!text.includes(f.label)) text.push(f.label);
	text.forEach(add);
	const dropdowns = operation === 'edit' ? { 'Image Input Mode': optionsNamed('imageInputMode', ['upload', 'json']) } : {};
	return { labels, text, dropdowns, notice: false };
}

/** The Variation panel: the input image, the count and the family's variation fields. */
function variationPanel(fam) {
	if (!fam.operations.includes('variation')) return unsupportedPanel('variation', fam);
	return { ...panel('variation', fam, { labels: ['Input Binary Property', 'Number of Images'] }), notice: false };
}

/**
 * An operation the family cannot do: only the model fields and Options, and one notice naming
 * the models (families with an ID pattern) that can.
 */
function unsupportedPanel(operation, fam) {
	const can = models.MODEL_FAMILIES.filter((f) => f.operations.includes(operation) && f.pattern !== undefined);
	return { ...panel(operation, fam), notice: { names: can.map((f) => f.label), not: fam.label } };
}

module.exports = {
	models,
	BODY_FIELD_UI,
	description,
	familyOf,
	family,
	bodyFieldsFor,
	generatePanel,
	editPanel,
	genericPanel,
	variationPanel,
	inputModes,
	optionNames,
	RUN_OPTION_NAMES,
};
