#!/usr/bin/env node
'use strict';
/*
 * `node scripts/description-metrics.js` (the benchmark runs it first): what the node description
 * costs n8n, measured with n8n-workflow's own functions on the built node (dist/).
 *
 * - size of the description as JSON, number of properties, display regexes and the longest;
 * - NodeHelpers.getNodeParameters over it (what n8n runs when it builds a workflow and on every
 *   editor change), per call, for several models: a current GPT image model, a retired one, a
 *   model no family knows, an expression, a family chosen by hand;
 * - how many display regexes one call evaluates (n8n 2.x runs each in a sandbox with a time
 *   limit, so their number is the cost);
 * - for comparison, design (b) of the README's Development section: the same description with
 *   every model-dependent property replaced by one resourceMapper property whose fields a method
 *   would load (what fields-from-a-method would cost n8n; the method's own round trip is extra).
 *
 * Prints a Markdown table; `--json` prints JSON. Exits 1 when a target is missed and `--check` is given.
 */
const path = require('node:path');

const REPO = path.resolve(__dirname, '..');
const { NodeHelpers } = require('n8n-workflow');
const safeRegex = require('n8n-workflow/dist/cjs/safe-regex.js');
const { OpenAiCompatibleImages } = require(path.join(REPO, 'dist/nodes/OpenAiCompatibleImages/OpenAiCompatibleImages.node.js'));

const TARGETS = { maxBytes: 80 * 1024, maxRegex: 300, maxCallMs: 2 };

const rl = (value) => ({ __rl: true, mode: 'id', value });
const CASES = [
	['gpt-image-2 (Generate)', { operation: 'generate', model: rl('gpt-image-2'), prompt: 'p', options: {} }],
	['gpt-image-2.6-sunburst (Generate, GIF)', { operation: 'generate', model: rl('gpt-image-2.6-sunburst'), prompt: 'p', options: { output_format: 'gif', frame_count: 4 } }],
	['dall-e-3 (Generate)', { operation: 'generate', model: rl('dall-e-3'), prompt: 'p', options: { user: 'u' } }],
	['my-team-image (Generate, no family)', { operation: 'generate', model: rl('my-team-image'), prompt: 'p', options: {} }],
	['gpt-image-2 (Edit)', { operation: 'edit', model: rl('gpt-image-2'), prompt: 'p', options: {} }],
	['{{ $json.model }} (Edit)', { operation: 'edit', model: rl('={{ $json.model }}'), prompt: 'p', options: {} }],
	['Model Family chosen (Generate)', { operation: 'generate', model: rl('my-deployment'), modelFamily: 'gpt-image-2', prompt: 'p', options: {} }],
];

function regexesOf(value, found = []) {
	if (Array.isArray(value)) value.forEach((entry) => regexesOf(entry, found));
	else if (value && typeof value === 'object') {
		for (const [key, entry] of Object.entries(value)) {
			if (key === 'regex' && typeof entry === 'string') found.push(entry);
			else regexesOf(entry, found);
		}
	}
	return found;
}

/** Median ms per getNodeParameters call, and the display regexes one call evaluates. */
function timeCalls(description, parameters) {
	const call = () => NodeHelpers.getNodeParameters(description.properties, parameters, true, false, { typeVersion: 1 }, description);
	for (let warm = 0; warm < 20; warm++) call();
	const original = safeRegex.safeRegex.test;
	let evaluated = 0;
	safeRegex.safeRegex.test = (...args) => {
		evaluated++;
		return original(...args);
	};
	call();
	safeRegex.safeRegex.test = original;
	const samples = [];
	for (let round = 0; round < 15; round++) {
		const started = process.hrtime.bigint();
		for (let index = 0; index < 10; index++) call();
		samples.push(Number(process.hrtime.bigint() - started) / 1e6 / 10);
	}
	samples.sort((a, b) => a - b);
	return { ms: samples[Math.floor(samples.length / 2)], regexes: evaluated };
}

/** Design (b): model-dependent properties (those with a condition on the model) as one resourceMapper. */
function fieldsFromMethod(description) {
	const dependsOnModel = (property) => /"\/?model"/.test(JSON.stringify(property.displayOptions ?? {}));
	const properties = description.properties.filter((property) => !dependsOnModel(property)).map((property) =>
		property.type === 'collection' ? { ...property, options: property.options.filter((option) => !dependsOnModel(option)) } : property,
	);
	properties.splice(3, 0, {
		displayName: 'Model Fields',
		name: 'modelFields',
		type: 'resourceMapper',
		default: { mappingMode: 'defineBelow', value: null },
		typeOptions: {
			loadOptionsDependsOn: ['model.value', 'modelFamily', 'operation'],
			resourceMapper: { resourceMapperMethod: 'modelFields', mode: 'add', fieldWords: { singular: 'field', plural: 'fields' } },
		},
	});
	return { ...description, properties };
}

function measure(label, description) {
	const json = JSON.stringify(description);
	const regexes = regexesOf(description);
	const calls = CASES.map(([name, parameters]) => ({ name, ...timeCalls(description, parameters) }));
	return {
		label,
		bytes: json.length,
		properties: description.properties.length,
		regexes: regexes.length,
		longestRegex: Math.max(0, ...regexes.map((regex) => regex.length)),
		calls,
	};
}

function main() {
	const description = new OpenAiCompatibleImages().description;
	const results = [measure('(a) this node: variants per family, disjoint patterns', description), measure('(b) fields from a method (resourceMapper), estimated', fieldsFromMethod(description))];
	if (process.argv.includes('--json')) {
		console.log(JSON.stringify(results, null, 2));
	} else {
		console.log(markdown(results));
	}
	const [ours] = results;
	const missed = [
		ours.bytes > TARGETS.maxBytes && `description ${ours.bytes} bytes > ${TARGETS.maxBytes}`,
		ours.longestRegex > TARGETS.maxRegex && `longest display regex ${ours.longestRegex} > ${TARGETS.maxRegex}`,
		...ours.calls.filter((call) => call.ms > TARGETS.maxCallMs).map((call) => `getNodeParameters ${call.ms.toFixed(2)} ms > ${TARGETS.maxCallMs} ms for ${call.name}`),
	].filter(Boolean);
	if (missed.length) console.log(`\nTargets missed: ${missed.join('; ')}`);
	if (missed.length && process.argv.includes('--check')) process.exit(1);
	return results;
}

function markdown(results) {
	const lines = [
		'## Node description (n8n-workflow getNodeParameters, this machine)',
		'',
		'| design | JSON size | properties | display regexes | longest regex |',
		'| --- | --- | --- | --- | --- |',
		...results.map((r) => `| ${r.label} | ${(r.bytes / 1024).toFixed(1)} KB | ${r.properties} | ${r.regexes} | ${r.longestRegex} |`),
		'',
		`| getNodeParameters per call (regexes evaluated) | ${results.map((r) => r.label.split(':')[0]).join(' | ')} |`,
		`| --- | ${results.map(() => '---').join(' | ')} |`,
		...CASES.map(([name], index) => `| ${name} | ${results.map((r) => `${r.calls[index].ms.toFixed(2)} ms (${r.calls[index].regexes})`).join(' | ')} |`),
	];
	return lines.join('\n');
}

if (require.main === module) main();

module.exports = { main, markdown };
