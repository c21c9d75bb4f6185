'use strict';
/**
 * The node in n8n's real editor (2.x, the pinned version) in headless Chromium, as a user meets
 * it: the package installed as from the nodes panel, n8n set up the way `npm start` sets it up
 * (scripts/demo.js: local image server, credential, example workflows, owner, webhook active),
 * logged in through the sign-in form.
 *
 * Expected fields and options come from the built model table (expected.js), so they follow it.
 * A case marked [known bug] is a jest `test.failing`: it shows a bug of the node that is still
 * open, and starts failing (to be turned into a plain test) once the bug is fixed.
 *
 *   npm run build && npm run test:browser
 *   BROWSER_SCREENSHOTS=all npm run test:browser   # a screenshot of every case, not only failures
 *
 * Screenshots go to test-results/browser/.
 */

const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');

const n8n = require('../../scripts/lib/n8n');
const demo = require('../../scripts/demo');
const { encodePng, renderPromptImage } = require('../server/images');
const { closedPort } = require('../server/ports');
const { launchBrowser, editor } = require('./browser');
const expected = require('./expected');

const REPO = path.resolve(__dirname, '..', '..');
const PKG = JSON.parse(fs.readFileSync(path.join(REPO, 'package.json'), 'utf8')).name;
const N8N_VERSION = JSON.parse(fs.readFileSync(path.join(REPO, 'scripts', 'n8n', 'v2', 'package.json'), 'utf8')).dependencies.n8n;
const NODE_TYPE = `${PKG}.openAiCompatibleImages`;
const TOOL_TYPE = `${PKG}.openAiCompatibleImagesTool`;
const NODE_NAME = 'OpenAI-Compatible Images';
const OWNER = { email: 'editor@example.com', password: 'Editor-Pass-123', firstName: 'Editor', lastName: 'Owner' };
const FROM_AI_MODEL = "={{ /*n8n-auto-generated-fromAI-override*/ $fromAI('Model', ``, 'string') }}";

const ALL_SCREENSHOTS = process.env.BROWSER_SCREENSHOTS === 'all';

const ctx = {};

/**
 * A test that saves a screenshot of the page when it fails (and, with BROWSER_SCREENSHOTS=all,
 * when it passes). `knownBug`: the case shows a bug that is still open (test.failing).
 */
function browserTest(name, fn, { knownBug, timeout } = {}) {
	const run = knownBug ? test.failing : test;
	const title = knownBug ? `${name} [known bug: ${knownBug}]` : name;
	run(
		title,
		async () => {
			try {
				await fn();
			} catch (error) {
				const file = await ctx.browser.screenshot(ctx.page, `FAILED ${name}`).catch((e) => `(no screenshot: ${e.message})`);
				error.message = `${error.message}\nscreenshot: ${file}`;
				await ctx.ed.recover();
				throw error;
			}
			if (ALL_SCREENSHOTS) await ctx.browser.screenshot(ctx.page, name);
		},
		timeout,
	);
}

const credentials = () => ({ openAiCompatibleImagesApi: { id: demo.CREDENTIAL_ID, name: 'OpenAI-Compatible Images (demo)' } });
let nodeCount = 0;
/** The canvas grid of the case nodes. */
const COLUMNS = 6;
const ROW = 260;
function imageNode(name, parameters, type = NODE_TYPE) {
	const index = nodeCount++;
	return {
		id: `node-${index}`,
		name,
		type,
		typeVersion: 1,
		position: [(index % COLUMNS) * 280, Math.floor(index / COLUMNS) * ROW],
		parameters: { operation: 'generate', prompt: 'A lighthouse at dusk', options: {}, ...parameters },
		credentials: credentials(),
	};
}
const modelId = (value) => ({ __rl: true, mode: 'id', value });

/** The editor cases: one node each, one workflow; `family` is what the panel should show (undefined: no family known). */
const FIELD_CASES = [
	{ title: 'dall-e-2', node: 'Model dall-e-2', model: 'dall-e-2' },
	{ title: 'dall-e-3', node: 'Model dall-e-3', model: 'dall-e-3' },
	{ title: 'gpt-image-1', node: 'Model gpt-image-1', model: 'gpt-image-1' },
	{ title: 'gpt-image-2', node: 'Model gpt-image-2', model: 'gpt-image-2' },
	{ title: 'gpt-image-2.5-flare', node: 'Model gpt-image-2.5-flare', model: 'gpt-image-2.5-flare' },
	{ title: 'gpt-image-2.6-sunburst', node: 'Model gpt-image-2.6-sunburst', model: 'gpt-image-2.6-sunburst' },
	{ title: 'gpt-image-2.7-nova (newer than the node: the newest known fields)', node: 'Model gpt-image-2.7-nova', model: 'gpt-image-2.7-nova' },
	{ title: 'gpt-image-1-mini', node: 'Model gpt-image-1-mini', model: 'gpt-image-1-mini' },
	{ title: 'a Gemini image model (google/gemini-2.5-flash-image)', node: 'Model gemini', model: 'google/gemini-2.5-flash-image' },
	{ title: 'an xAI model (grok-2-image)', node: 'Model grok', model: 'grok-2-image' },
	{ title: 'Volcengine Seedream 4 (doubao-seedream-4-0-250828)', node: 'Model seedream', model: 'doubao-seedream-4-0-250828' },
	{ title: 'a SiliconFlow model (Kwai-Kolors/Kolors)', node: 'Model kolors', model: 'Kwai-Kolors/Kolors' },
	{ title: 'a gateway model (doubao-seedream-3-0-t2i-250415)', node: 'Model gateway', model: 'doubao-seedream-3-0-t2i-250415' },
	{
		title: 'black-forest-labs/FLUX.1-schnell with Model Family Together AI',
		node: 'Model FLUX on Together',
		model: 'black-forest-labs/FLUX.1-schnell',
		modelFamily: 'together',
	},
	{
		title: 'google/gemini-2.5-flash-image with Model Family OpenRouter Images Endpoint',
		node: 'Model on OpenRouter images',
		model: 'google/gemini-2.5-flash-image',
		modelFamily: 'openrouter-images',
	},
	{ title: 'DALL-E-3 (upper case)', node: 'Model DALL-E-3', model: 'DALL-E-3' },
	{
		title: 'an expression model {{ $json.model }} with Model Family DALL·E 3',
		node: 'Model expression',
		model: '={{ $json.model }}',
		modelFamily: 'dall-e-3',
	},
	{
		title: 'the AI Agent tool with the model left to $fromAI',
		node: 'Image Tool',
		model: FROM_AI_MODEL,
		tool: true,
	},
];
for (const c of FIELD_CASES) c.family = c.modelFamily ? expected.family(c.modelFamily) : c.tool ? undefined : expected.familyOf(c.model);

/**
 * Edit and Variation panels: a model that cannot do the operation (a notice naming the models
 * that can), and models that can, each with its family's input fields (`mode`: Image Input Mode
 * set in the node; else its default).
 */
const PANEL_CASES = [
	{ operation: 'edit', model: 'dall-e-3' },
	{ operation: 'edit', model: 'gpt-image-1' },
	{ operation: 'edit', model: 'dall-e-2' },
	{ operation: 'edit', model: 'google/gemini-2.5-flash-image' },
	{ operation: 'edit', model: 'doubao-seedream-4-0-250828' },
	{ operation: 'edit', model: 'doubao-seedream-3-0-t2i-250415', mode: 'json' },
	{ operation: 'variation', model: 'dall-e-2' },
	{ operation: 'variation', model: 'gpt-image-1' },
	{ operation: 'variation', model: 'google/gemini-2.5-flash-image' },
	{ operation: 'edit', model: 'gpt-image-1-mini' },
	{ operation: 'edit', model: 'gpt-image-2' },
	{ operation: 'edit', model: 'gpt-image-2.5-flare' },
	{ operation: 'edit', model: 'gpt-image-2.6-sunburst' },
	{ operation: 'edit', model: 'Kwai-Kolors/Kolors' },
	{ operation: 'edit', model: 'google/gemini-2.5-flash-image', modelFamily: 'openrouter-images' },
	{ operation: 'edit', model: 'black-forest-labs/FLUX.1-schnell', modelFamily: 'together' },
	{ operation: 'edit', model: 'grok-2-image' },
];
const OPERATION_NAMES = { edit: 'Edit', variation: 'Variation' };
const CANNOT = { edit: 'edit', variation: 'make variations' };
for (const c of PANEL_CASES) {
	const fam = c.modelFamily ? expected.family(c.modelFamily) : expected.familyOf(c.model);
	c.family = fam;
	const chosen = c.modelFamily ? ` with Model Family ${fam.displayName}` : '';
	c.node = `${OPERATION_NAMES[c.operation]} ${c.model}${c.modelFamily ? ` on ${c.modelFamily}` : ''}${c.mode ? ` (${c.mode})` : ''}`;
	c.want = c.operation === 'edit' ? expected.editPanel(fam, c.mode) : expected.variationPanel(fam);
	c.title = c.want.notice
		? `${OPERATION_NAMES[c.operation]} with ${c.model}${chosen}: a notice naming the models that can ${CANNOT[c.operation]}, no ${c.operation} fields`
		: `${OPERATION_NAMES[c.operation]} with ${c.model}${chosen}${c.want.mode ? ` in Image Input Mode ${c.want.mode}` : ''}: exactly the ${fam.displayName} fields and options, no notice`;
}

/**
 * Edit and Variation with a model the editor cannot know: set by an expression, or left to
 * $fromAI in the AI Agent tool (`tool`; Generate there is a FIELD_CASES case).
 */
const GENERIC_CASES = [
	{ operation: 'edit', node: 'Edit expression', title: 'Edit with an expression model {{ $json.model }}' },
	{ operation: 'variation', node: 'Variation expression', title: 'Variation with an expression model {{ $json.model }}' },
	{ operation: 'edit', node: 'Image Tool Edit', tool: true, title: 'Edit in the AI Agent tool with the model left to $fromAI' },
	{ operation: 'variation', node: 'Image Tool Variation', tool: true, title: 'Variation in the AI Agent tool with the model left to $fromAI' },
];

/** Output Compression follows Output Format: gpt-image-1's field that shows only with some values of another. */
const COMPRESSION_MODEL = 'gpt-image-1';
/** gpt-image-2.6's output formats with fields of their own: GIF (frames), SVG (authoring model). */
const FORMAT_FIELDS_MODEL = 'gpt-image-2.6-sunburst';
/** What the canvas subtitle says of the family the fields follow. */
const SUBTITLE_CASES = [
	{ node: 'Model gpt-image-2.6-sunburst', says: 'GPT Image 2.6 · generate' },
	{ node: 'Model gpt-image-2.7-nova', says: 'as GPT Image 2.6 · generate' },
	{ node: 'Model gateway', says: 'Other Models · generate' },
	{ node: 'Model DALL-E-3', says: 'DALL·E 3 · generate' },
	{ node: 'Model FLUX on Together', says: 'Together AI · generate' },
	{ node: 'Edit expression', says: 'family at run time · edit' },
	// The longest: a family with a short name for the canvas, and the longest operation.
	{ node: 'Model gemini', says: 'Chat Image Models · generate' },
	{ node: 'Model seedream', says: 'Seedream 4 · generate' },
	{ node: 'Variation expression', says: 'family at run time · variation' },
];
/** Edit with gpt-image-1, switched to URLs in JSON Body in the editor. */
const SWITCH_MODE_MODEL = 'gpt-image-1';

/**
 * Edit panels whose model the user changes (`mode`: Image Input Mode set in the node): the new
 * family's panel, in the mode the user had when the new family takes it, else in its default.
 */
const EDIT_SWITCHES = [
	{ from: 'google/gemini-2.5-flash-image', to: 'dall-e-2' },
	{ from: 'dall-e-2', to: 'google/gemini-2.5-flash-image' },
	{ from: 'doubao-seedream-3-0-t2i-250415', mode: 'json', to: 'gpt-image-1' },
];
for (const c of EDIT_SWITCHES) {
	c.node = `Switch Edit ${c.from}${c.mode ? ` (${c.mode})` : ''} to ${c.to}`;
	const had = c.mode || expected.inputModes(expected.familyOf(c.from))[0];
	const to = expected.familyOf(c.to);
	c.want = expected.editPanel(to, expected.inputModes(to).includes(had) ? had : undefined);
}

function casesWorkflow() {
	nodeCount = 0;
	const start = { id: 'start', name: 'Start', type: 'n8n-nodes-base.manualTrigger', typeVersion: 1, position: [-280, 0], parameters: {} };
	const nodes = FIELD_CASES.filter((c) => !c.tool).map((c) =>
		imageNode(c.node, { model: modelId(c.model), ...(c.modelFamily ? { modelFamily: c.modelFamily } : {}) }),
	);
	nodes.push(imageNode('Switch dall-e-3 to gpt-image-1', { model: modelId('dall-e-3'), sizeDallE3: '1792x1024' }));
	for (const c of PANEL_CASES) {
		const chosen = { ...(c.modelFamily ? { modelFamily: c.modelFamily } : {}), ...(c.mode ? { imageInputMode: c.mode } : {}) };
		nodes.push(imageNode(c.node, { operation: c.operation, model: modelId(c.model), ...chosen }));
	}
	nodes.push(imageNode(`Switch Edit ${SWITCH_MODE_MODEL} to JSON`, { operation: 'edit', model: modelId(SWITCH_MODE_MODEL) }));
	for (const c of GENERIC_CASES.filter((g) => !g.tool)) nodes.push(imageNode(c.node, { operation: c.operation, model: modelId('={{ $json.model }}') }));
	for (const c of EDIT_SWITCHES) {
		nodes.push(imageNode(c.node, { operation: 'edit', model: modelId(c.from), ...(c.mode ? { imageInputMode: c.mode } : {}) }));
	}
	nodes.push(imageNode(`Compression ${COMPRESSION_MODEL}`, { model: modelId(COMPRESSION_MODEL) }));
	nodes.push(imageNode(`Formats ${FORMAT_FIELDS_MODEL}`, { model: modelId(FORMAT_FIELDS_MODEL) }));
	// Below the grid, so that no node covers another on the canvas.
	const below = (Math.ceil(nodes.length / COLUMNS) + 1) * ROW;
	const agent = {
		id: 'agent',
		name: 'AI Agent',
		type: '@n8n/n8n-nodes-langchain.agent',
		typeVersion: 3.1,
		position: [0, below],
		parameters: { promptType: 'define', text: 'Draw a lighthouse', options: {} },
	};
	const tools = [{ node: 'Image Tool', operation: 'generate' }, ...GENERIC_CASES.filter((g) => g.tool)].map((c, index) => ({
		...imageNode(c.node, { operation: c.operation, model: modelId(FROM_AI_MODEL) }, TOOL_TYPE),
		position: [280 * (index + 1), below + 200],
	}));
	nodes.push(agent, ...tools, start);
	return {
		name: 'Editor cases (browser test)',
		nodes,
		connections: Object.fromEntries(tools.map((t) => [t.name, { ai_tool: [[{ node: 'AI Agent', type: 'ai_tool', index: 0 }]] }])),
		settings: {},
	};
}

/** Manual trigger -> Edit with gpt-image-1, images as URLs in a JSON body, Endpoint left to its default. */
function editJsonWorkflow(imageUrl) {
	nodeCount = 0;
	const edit = imageNode('Edit JSON', {
		operation: 'edit',
		model: modelId('gpt-image-1'),
		prompt: 'Turn this into a postcard',
		imageInputMode: 'json',
		imageSource: 'urls',
		imageUrls: imageUrl,
	});
	return {
		name: 'Edit in JSON mode (browser test)',
		nodes: [{ id: 'start', name: 'Start', type: 'n8n-nodes-base.manualTrigger', typeVersion: 1, position: [-300, 0], parameters: {} }, edit],
		connections: { Start: { main: [[{ node: 'Edit JSON', type: 'main', index: 0 }]] } },
		settings: {},
	};
}

/** Manual trigger -> two images of gpt-image-1 in one call, with the retry option added. */
function outputWorkflow() {
	nodeCount = 0;
	const generate = imageNode('Two Images', { model: modelId('gpt-image-1'), n: 2, options: { retryMayBeProcessed: true } });
	return {
		name: 'Output table (browser test)',
		nodes: [{ id: 'start', name: 'Start', type: 'n8n-nodes-base.manualTrigger', typeVersion: 1, position: [-300, 0], parameters: {} }, generate],
		connections: { Start: { main: [[{ node: 'Two Images', type: 'main', index: 0 }]] } },
		settings: {},
	};
}

const duplicates = (list) => list.filter((item, index) => list.indexOf(item) !== index);

/**
 * The open panel shows exactly `want` (expected.js): its labels, none twice, none red, each
 * dropdown's options, the Options collection's list, and text (not dropdowns) where it says.
 */
async function expectPanel(want) {
	const shown = await ctx.ed.visibleParameters();
	const labels = shown.map((p) => p.label);
	expect(duplicates(labels)).toEqual([]);
	expect([...labels].sort()).toEqual([...want.labels].sort());
	expect(shown.filter((p) => p.red).map((p) => p.label)).toEqual([]);
	for (const [label, options] of Object.entries(want.dropdowns || {})) {
		const param = shown.find((p) => p.label === label);
		expect({ label, options: await ctx.ed.dropdownOptions(param.name) }).toEqual({ label, options });
	}
	if (want.addOptions) expect(await ctx.ed.addOptionNames()).toEqual(want.addOptions);
	// Text, not dropdowns, where "Let the model define this" must stay possible or the value is free-form.
	for (const label of want.text || []) expect({ label, dropdown: shown.find((p) => p.label === label).dropdown }).toEqual({ label, dropdown: false });
	return shown;
}

describe(`the node in the n8n ${N8N_VERSION} editor (headless Chromium)`, () => {
	beforeAll(async () => {
		const started = Date.now();
		const step = (what) => process.stderr.write(`[browser] ${what} after ${((Date.now() - started) / 1000).toFixed(1)} s\n`);
		ctx.userFolder = fs.mkdtempSync(path.join(os.tmpdir(), 'n8n-images-browser-'));
		// The same setup as `npm start` (scripts/start.js), on free ports and temp folders.
		// Always the bundled local server: the cases read what it received (IMAGES_BASE_URL would
		// point npm start at a real provider).
		delete process.env.IMAGES_BASE_URL;
		ctx.backend = await demo.imageBackend({ port: 0 });
		const { runtime, workflows, env } = await demo.prepareN8n({
			major: '2',
			userFolder: ctx.userFolder,
			baseUrl: ctx.backend.baseUrl,
			apiKey: ctx.backend.apiKey,
			say: () => {},
		});
		ctx.examples = workflows;
		step('n8n prepared as npm start does (package, credential, examples)');
		[ctx.server, ctx.browser] = await Promise.all([
			n8n.startN8n({ runtime, userFolder: ctx.userFolder, env }),
			launchBrowser(),
		]);
		step('n8n started, Chromium launched');
		await demo.serveExamples(ctx.server, workflows, OWNER);
		ctx.cases = await ctx.server.rest('POST', '/workflows', casesWorkflow());
		const png = encodePng(renderPromptImage('a lighthouse', 64, 64));
		ctx.imageUrl = ctx.backend.server.serve('/inputs/lighthouse.png', png);
		ctx.editJson = await ctx.server.rest('POST', '/workflows', editJsonWorkflow(ctx.imageUrl));
		ctx.output = await ctx.server.rest('POST', '/workflows', outputWorkflow());
		ctx.page = await ctx.browser.newPage();
		ctx.ed = editor(ctx.page, ctx.server);
		await ctx.ed.login(OWNER);
		step('logged in through the sign-in form');
		await ctx.ed.openWorkflow(ctx.cases.id);
		process.stderr.write(`[browser] n8n ${N8N_VERSION} + Chromium ready, logged in, in ${((Date.now() - started) / 1000).toFixed(1)} s\n`);
	}, 600000);

	afterAll(async () => {
		if (ctx.browser) {
			if (ctx.browser.blockedHosts.size) process.stderr.write(`[browser] blocked requests to: ${[...ctx.browser.blockedHosts].join(', ')}\n`);
			await ctx.browser.close();
		}
		if (ctx.server) await ctx.server.stop();
		if (ctx.backend) await ctx.backend.close();
		if (ctx.userFolder) fs.rmSync(ctx.userFolder, { recursive: true, force: true });
	}, 60000);

	describe('the nodes panel', () => {
		for (const query of ['generate image', 'text to image', 'dall-e', 'gpt-image', 'gpt image']) {
			browserTest(
				`searching "${query}" finds the node`,
				async () => {
					await ctx.ed.openNodesPanel();
					const results = await ctx.ed.searchNodes(query);
					expect(results).toContain(NODE_NAME);
					if (ALL_SCREENSHOTS) await ctx.browser.screenshot(ctx.page, `search ${query.replace(/ /g, "_")}`);
					await ctx.ed.closeNodesPanel();
				},
			);
		}

		browserTest(
			'the node is filed directly under AI (one click from the panel, beside n8n\'s own OpenAI node), not under Other AI Nodes',
			async () => {
				const place = await ctx.ed.placeUnderAi(NODE_NAME);
				expect({ place }).toEqual({ place: ['AI'] });
				if (ALL_SCREENSHOTS) await ctx.browser.screenshot(ctx.page, `under ${place.join(' - ')}`);
				await ctx.ed.closeNodesPanel();
			},
		);

		browserTest(
			'searching "image" lists the node among the first results',
			async () => {
				await ctx.ed.openNodesPanel();
				const results = await ctx.ed.searchNodes('image');
				// Every node with the alias "image" gets the search's highest score; n8n then ranks its
				// popular built-in nodes first, so a community node cannot come before them.
				expect(results.slice(0, 10)).toContain(NODE_NAME);
				process.stderr.write(`[browser] "image": the node is result ${results.indexOf(NODE_NAME) + 1} of ${results.length} shown\n`);
				if (ALL_SCREENSHOTS) await ctx.browser.screenshot(ctx.page, 'search image');
				await ctx.ed.closeNodesPanel();
			},
		);
	});

	describe('the fields follow the model', () => {
		afterEach(async () => {
			if (await ctx.ed.parameters().isVisible()) await ctx.ed.closeNode();
		});

		for (const c of FIELD_CASES) {
			browserTest(
				`${c.title}: exactly the ${c.family ? c.family.displayName : 'generic'} fields and options, none twice, none red`,
				async () => {
					await ctx.ed.openNode(c.node);
					await expectPanel(c.family ? expected.generatePanel(c.family) : expected.genericPanel('generate', { tool: true }));
				},
			);
		}

		test('every family of the model table has a Generate case here', () => {
			const covered = new Set(FIELD_CASES.filter((c) => c.family).map((c) => c.family.id));
			expect(expected.models.MODEL_FAMILIES.filter((f) => f.operations.includes('generate') && !covered.has(f.id)).map((f) => f.id)).toEqual([]);
		});

		browserTest(
			`${COMPRESSION_MODEL}: Output Compression is offered once Output Format is JPEG or WebP, not with PNG`,
			async () => {
				const fam = expected.familyOf(COMPRESSION_MODEL);
				// The field that shows only with some values of another (Output Compression with Output Format JPEG, WebP).
				const [field, rule] = Object.entries(fam.fields).find(([, r]) => r && r.onlyWith);
				const label = expected.BODY_FIELD_UI[field].displayName;
				const target = rule.onlyWith.field;
				const targetLabel = expected.BODY_FIELD_UI[target].displayName;
				const targetValues = fam.fields[target].values;
				const nameOf = (value) => expected.optionNames(target, { values: [value] })[0];
				await ctx.ed.openNode(`Compression ${COMPRESSION_MODEL}`);
				// Not offered before (the Generate case checks the whole Add Option list).
				await ctx.ed.addOption(targetLabel);
				// Added with its first value (PNG); then each other value chosen as a user does.
				expect(await ctx.ed.collectionParameters()).toEqual([{ label: targetLabel, value: nameOf(targetValues[0]), red: false }]);
				const offered = [];
				for (const [index, value] of targetValues.entries()) {
					if (index > 0) await ctx.ed.selectOption(target, nameOf(value));
					offered.push({ [targetLabel]: nameOf(value), offered: (await ctx.ed.addOptionNames()).includes(label) });
				}
				expect(offered).toEqual(targetValues.map((value) => ({ [targetLabel]: nameOf(value), offered: rule.onlyWith.values.includes(value) })));
				// Added with a format that takes it (the last one chosen): it starts at its initial value, not red.
				expect(rule.onlyWith.values).toContain(targetValues[targetValues.length - 1]);
				await ctx.ed.addOption(label);
				const byLabel = (a, b) => a.label.localeCompare(b.label);
				expect((await ctx.ed.collectionParameters()).sort(byLabel)).toEqual(
					[
						{ label: targetLabel, value: nameOf(targetValues[targetValues.length - 1]), red: false },
						{ label, value: String(rule.initial), red: false },
					].sort(byLabel),
				);
				// Back to a format without it: it goes away.
				const without = targetValues.find((value) => !rule.onlyWith.values.includes(value));
				await ctx.ed.selectOption(target, nameOf(without));
				expect(await ctx.ed.collectionParameters()).toEqual([{ label: targetLabel, value: nameOf(without), red: false }]);
			},
		);

		browserTest(
			`${FORMAT_FIELDS_MODEL}: Frame Count and Frame Duration (Ms) are offered with Output Format GIF only, SVG Authoring Model with SVG only`,
			async () => {
				const fam = expected.familyOf(FORMAT_FIELDS_MODEL);
				const formatLabel = expected.BODY_FIELD_UI.output_format.displayName;
				const formats = fam.fields.output_format.values;
				const nameOf = (value) => expected.optionNames('output_format', { values: [value] })[0];
				// Fields that show only with some output formats, by label.
				const dependent = Object.entries(fam.fields).filter(([, rule]) => rule && rule.onlyWith && rule.onlyWith.field === 'output_format');
				expect(dependent.map(([field]) => field).sort()).toEqual(['frame_count', 'frame_duration_ms', 'output_compression', 'svg_model']);
				await ctx.ed.openNode(`Formats ${FORMAT_FIELDS_MODEL}`);
				await ctx.ed.addOption(formatLabel);
				const offered = [];
				for (const [index, value] of formats.entries()) {
					if (index > 0) await ctx.ed.selectOption('output_format', nameOf(value));
					const names = await ctx.ed.addOptionNames();
					offered.push({ format: value, offered: dependent.filter(([field]) => names.includes(expected.BODY_FIELD_UI[field].displayName)).map(([field]) => field).sort() });
				}
				expect(offered).toEqual(formats.map((value) => ({ format: value, offered: dependent.filter(([, rule]) => rule.onlyWith.values.includes(value)).map(([field]) => field).sort() })));
				if (ALL_SCREENSHOTS) await ctx.browser.screenshot(ctx.page, `formats ${FORMAT_FIELDS_MODEL}`);
			},
		);

		browserTest('Number of Images takes the model\'s own limit: 12 is not taken for gpt-image-2 (1-10), it is for Seedream 4 (1-15)', async () => {
			const typed = {};
			for (const [node, model] of [['Model gpt-image-2', 'gpt-image-2'], ['Model seedream', 'doubao-seedream-4-0-250828']]) {
				await ctx.ed.openNode(node);
				typed[model] = await ctx.ed.typeInto('n', 12);
				await ctx.ed.closeNode();
			}
			// n8n's number input refuses a value above its maximum (it keeps the one it had).
			expect({ gptImage2: Number(typed['gpt-image-2']) <= 10, seedream: typed['doubao-seedream-4-0-250828'] }).toEqual({ gptImage2: true, seedream: '12' });
		});

		browserTest('Guidance Scale (Seedream 4) is added unset (-1, not sent), not at 0', async () => {
			await ctx.ed.openNode('Model seedream');
			await ctx.ed.addOption(expected.BODY_FIELD_UI.guidance_scale.displayName);
			expect(await ctx.ed.collectionParameters()).toEqual([{ label: expected.BODY_FIELD_UI.guidance_scale.displayName, value: expect.stringMatching(/^-1(\.0+)?$/), red: false }]);
		});

		browserTest('the canvas subtitle names the family the fields follow (detected, newer than the node, unknown, chosen, expression)', async () => {
			const seen = [];
			for (const c of SUBTITLE_CASES) {
				const subtitle = await ctx.ed.canvasSubtitle(c.node);
				seen.push({ node: c.node, text: subtitle.text, cut: subtitle.cut });
			}
			// Readable on the canvas: the whole subtitle shows, not cut off with an ellipsis.
			expect(seen).toEqual(SUBTITLE_CASES.map((c) => ({ node: c.node, text: c.says, cut: false })));
			if (ALL_SCREENSHOTS) await ctx.browser.screenshot(ctx.page, 'subtitles');
		});

		browserTest('gpt-image-2: Size is still "auto" after the model is switched to an expression and back', async () => {
			await ctx.ed.openNode('Model gpt-image-2');
			const sizeValue = async () => ctx.ed.textValue((await ctx.ed.visibleParameters()).find((p) => p.label === 'Size').name);
			const before = await sizeValue();
			await ctx.ed.setParameterMode('model', 'expression');
			await ctx.ed.typeExpression('model', '{{ $json.model }}');
			// The generic Size of an expression model shows meanwhile (the family is known at run time only).
			const during = (await ctx.ed.visibleParameters()).filter((p) => p.label === 'Size').length;
			await ctx.ed.setParameterMode('model', 'fixed');
			await ctx.ed.setModelId('gpt-image-2');
			if (ALL_SCREENSHOTS) await ctx.browser.screenshot(ctx.page, 'gpt-image-2 size after an expression detour');
			expect({ before, during, after: await sizeValue() }).toEqual({ before: 'auto', during: 1, after: 'auto' });
		});

		browserTest(
			'switching from dall-e-3 with Size 1792x1024 to gpt-image-1 leaves no red parameter',
			async () => {
				await ctx.ed.openNode('Switch dall-e-3 to gpt-image-1');
				const before = await ctx.ed.visibleParameters();
				expect(before.find((p) => p.label === 'Size')).toMatchObject({ red: false });
				await ctx.ed.setModelId('gpt-image-1');
				const after = await ctx.ed.visibleParameters();
				const red = after.filter((p) => p.red);
				expect({ red: red.map((p) => p.label), issues: red.length ? await ctx.ed.issueTexts() : [] }).toEqual({ red: [], issues: [] });
				expect(after.map((p) => p.label).sort()).toEqual([...expected.generatePanel(expected.familyOf('gpt-image-1')).labels].sort());
			},

		);
	});

	describe('Edit and Variation follow the model', () => {
		afterEach(async () => {
			if (await ctx.ed.parameters().isVisible()) await ctx.ed.closeNode();
		});

		for (const c of PANEL_CASES) {
			browserTest(c.title, async () => {
				await ctx.ed.openNode(c.node);
				const notices = await ctx.ed.notices();
				if (c.want.notice) {
					expect(notices).toHaveLength(1);
					for (const name of c.want.notice.names) expect(notices[0]).toContain(name);
					expect(notices[0]).not.toContain(c.want.notice.not);
				} else {
					expect(notices).toEqual([]);
				}
				await expectPanel(c.want);
			});
		}

		test('every family of the model table has an Edit case here (its panel, or the notice where it cannot edit)', () => {
			const covered = new Set(PANEL_CASES.filter((c) => c.operation === 'edit').map((c) => c.family.id));
			expect(expected.models.MODEL_FAMILIES.filter((f) => !covered.has(f.id)).map((f) => f.id)).toEqual([]);
		});

		for (const c of GENERIC_CASES) {
			browserTest(`${c.title}: every ${c.operation} field once, the body fields as text, none red, no notice`, async () => {
				await ctx.ed.openNode(c.node);
				expect(await ctx.ed.notices()).toEqual([]);
				await expectPanel(expected.genericPanel(c.operation, { tool: c.tool }));
			});
		}

		browserTest(`Edit with ${SWITCH_MODE_MODEL}: choosing URLs in JSON Body shows its endpoints, and the mask where it can be sent so`, async () => {
			const fam = expected.familyOf(SWITCH_MODE_MODEL);
			await ctx.ed.openNode(`Switch Edit ${SWITCH_MODE_MODEL} to JSON`);
			// The upload panel itself is a case above.
			expect((await ctx.ed.visibleParameters()).map((p) => p.label).sort()).toEqual([...expected.editPanel(fam, 'upload').labels].sort());
			const json = expected.editPanel(fam, 'json');
			await ctx.ed.selectOption('imageInputMode', json.dropdowns['Image Input Mode'][expected.inputModes(fam).indexOf('json')]);
			await expectPanel(json);
		});

		for (const c of EDIT_SWITCHES) {
			browserTest(`Edit: switching from ${c.from}${c.mode ? ` in mode ${c.mode}` : ''} to ${c.to} shows ${c.to}'s panel in mode ${c.want.mode}, none red`, async () => {
				await ctx.ed.openNode(c.node);
				await ctx.ed.setModelId(c.to);
				const shown = await ctx.ed.visibleParameters();
				const red = shown.filter((p) => p.red);
				expect({ red: red.map((p) => p.label), issues: red.length ? await ctx.ed.issueTexts() : [] }).toEqual({ red: [], issues: [] });
				expect(shown.map((p) => p.label).sort()).toEqual([...c.want.labels].sort());
				// The mode and the endpoint chosen are the new family's: its default, or what the user had where it takes that.
				const to = expected.familyOf(c.to);
				const modes = c.want.dropdowns['Image Input Mode'];
				const chosen = (label) => shown.find((p) => p.label === label);
				expect(chosen('Image Input Mode').value).toBe(modes[expected.inputModes(to).indexOf(c.want.mode)]);
				expect(await ctx.ed.dropdownOptions(chosen('Image Input Mode').name)).toEqual(modes);
				if (c.want.dropdowns.Endpoint) expect(chosen('Endpoint').value).toBe(c.want.dropdowns.Endpoint[0]);
			});
		}
	});

	describe('runs from the editor', () => {
		browserTest(
			'Edit in "URLs in JSON Body" mode with gpt-image-1 runs with its default endpoint',
			async () => {
				const fam = expected.familyOf('gpt-image-1');
				await ctx.ed.openWorkflow(ctx.editJson.id);
				await ctx.ed.openNode('Edit JSON');
				const shown = await ctx.ed.visibleParameters();
				expect(shown.filter((p) => p.red).map((p) => p.label)).toEqual([]);
				await ctx.ed.closeNode();
				const seen = ctx.backend.server.requests.length;
				await ctx.ed.executeWorkflow(ctx.editJson.id);
				const sent = ctx.backend.server.requests.slice(seen).filter((r) => ['generate', 'edit', 'variation'].includes(r.kind));
				expect(sent.map((r) => r.path)).toEqual([`/v1/images/${fam.jsonImages.endpoints[0]}`]);
			},
			{ timeout: 120000 },
		);

		for (const file of fs.readdirSync(demo.EXAMPLES).filter((name) => name.endsWith('.json')).sort()) {
			browserTest(
				`example ${file} runs successfully from the editor${file.includes('webhook') ? ', as the README says: Execute workflow, then one call of the Test URL' : ''}`,
				async () => {
					const workflow = ctx.examples.find((w) => w.name === JSON.parse(fs.readFileSync(path.join(demo.EXAMPLES, file), 'utf8')).name);
					const webhook = workflow.nodes.find((node) => node.type === 'n8n-nodes-base.webhook');
					await ctx.ed.openWorkflow(workflow.id);
					// The README's own command, on this test's n8n.
					const trigger = webhook ? () => callTestWebhook(readmeUrl('/webhook-test/')) : undefined;
					const { execution, triggered } = await ctx.ed.executeWorkflow(workflow.id, { trigger });
					const runData = execution.data.resultData.runData;
					for (const node of workflow.nodes) expect({ node: node.name, ran: !!runData[node.name] }).toEqual({ node: node.name, ran: true });
					if (triggered) expect(triggered).toMatchObject({ status: 200, contentType: 'image/png' });
					if (webhook && ALL_SCREENSHOTS) await ctx.browser.screenshot(ctx.page, 'webhook example run from the editor through its Test URL');
				},
				{ timeout: 120000 },
			);
		}

		browserTest('the webhook example\'s production URL in the README answers with a PNG while no editor waits (the example is active)', async () => {
			const res = await fetch(readmeUrl('/webhook/'));
			expect({ status: res.status, contentType: res.headers.get('content-type') }).toEqual({ status: 200, contentType: 'image/png' });
			// And the Test URL only while the editor waits for it (what the README says).
			const test = await fetch(readmeUrl('/webhook-test/'));
			expect(test.status).toBe(404);
		});

		browserTest(
			'the output Table view of two images of one call shows no "undefined" (usage is null on the second), and no option label is cut off',
			async () => {
				await ctx.ed.openWorkflow(ctx.output.id);
				await ctx.ed.executeWorkflow(ctx.output.id);
				await ctx.ed.openNode('Two Images');
				const { headers, rows } = await ctx.ed.outputTable();
				expect(rows).toHaveLength(2);
				expect(headers).toEqual(expect.arrayContaining(['usage', 'fileName']));
				const cells = rows.flat();
				expect(cells.filter((cell) => /undefined/.test(cell))).toEqual([]);
				expect(rows[1][headers.indexOf('usage')]).toBe('null');
				if (ALL_SCREENSHOTS) {
					await ctx.page.locator('[data-test-id="output-panel"] th', { hasText: /^usage$/ }).first().scrollIntoViewIfNeeded();
					await ctx.browser.screenshot(ctx.page, 'output table of two images');
				}
				// The retry option is added in this node: its label fits.
				expect(await ctx.ed.cutOffLabels()).toEqual([]);
				await ctx.ed.closeNode();
			},
			{ timeout: 120000 },
		);
	});

	describe('the credential form', () => {
		browserTest('switching Authentication to Azure OpenAI shows an empty Azure Endpoint (its placeholder), not the Base URL https://api.openai.com/v1', async () => {
			await ctx.ed.openNewCredential('OpenAI-Compatible Images API');
			const bearer = await ctx.ed.credentialFields();
			expect(bearer.find((f) => f.name === 'baseUrl')).toMatchObject({ label: 'Base URL', value: 'https://api.openai.com/v1' });
			await ctx.ed.selectCredentialOption('authentication', 'Azure OpenAI');
			const azure = await ctx.ed.credentialFields();
			if (ALL_SCREENSHOTS) await ctx.browser.screenshot(ctx.page, 'credential with Azure OpenAI');
			expect(azure.map((f) => f.name)).not.toContain('baseUrl');
			expect(azure.find((f) => f.name === 'azureEndpoint')).toEqual({
				name: 'azureEndpoint',
				label: 'Azure Endpoint',
				value: '',
				placeholder: 'https://my-resource.openai.azure.com',
			});
			expect(azure.map((f) => f.value)).not.toContain('https://api.openai.com/v1');
			// The form's documentation link is this package's README.
			const docs = await ctx.page.locator('[data-test-id="credential-edit-dialog"] a', { hasText: 'docs' }).first().getAttribute('href');
			expect(docs).toMatch(/^https:\/\/github\.com\/n8n-nodes-openai-compatible-images\/n8n-nodes-openai-compatible-images#/);
		}, { timeout: 150000 });

		browserTest('a custom header\'s Name and Value show placeholders', async () => {
			await ctx.ed.openNewCredential('OpenAI-Compatible Images API');
			await ctx.page.locator('[data-test-id="fixed-collection-customHeaders"] [data-test-id="fixed-collection-add"], [data-test-id="fixed-collection-add"]').first().click();
			await ctx.ed.settle();
			const fields = await ctx.ed.credentialFields();
			expect(fields.filter((f) => ['name', 'value'].includes(f.name)).map((f) => [f.name, f.placeholder])).toEqual([
				['name', 'e.g. OpenAI-Organization'],
				['value', 'e.g. org-123abc'],
			]);
			if (ALL_SCREENSHOTS) await ctx.browser.screenshot(ctx.page, 'credential custom header placeholders');
		}, { timeout: 150000 });

		browserTest('a Base URL nothing listens on: the test fails and the form explains the bare ECONNREFUSED', async () => {
			await ctx.ed.openNewCredential('OpenAI-Compatible Images API');
			await ctx.ed.fillCredentialField('baseUrl', `http://127.0.0.1:${await closedPort()}/v1`);
			await ctx.page.locator('[data-test-id="credential-save-button"]').click();
			await ctx.page.getByText(/Couldn.t connect with these settings/).first().waitFor({ state: 'visible', timeout: 60000 });
			// n8n's own detail is the bare code; the form's notice says what it means.
			await ctx.page.getByText('More details').first().click();
			await ctx.page.getByText('ECONNREFUSED', { exact: true }).first().waitFor({ state: 'visible' });
			const messages = await ctx.ed.credentialMessages();
			if (ALL_SCREENSHOTS) await ctx.browser.screenshot(ctx.page, 'credential refused connection');
			expect(messages.join('\n')).toMatch(/If the test says only ECONNREFUSED.*the n8n server \(not your browser\) could not connect to the host and port of the URL above/);
		}, { timeout: 150000 });
	});
});

/**
 * The webhook example's URL the README tells a user to call (`kind`: '/webhook/' production,
 * '/webhook-test/' the Test URL the editor waits for), on this test's n8n instead of port 5678.
 */
function readmeUrl(kind) {
	const readme = fs.readFileSync(path.join(REPO, 'README.md'), 'utf8');
	const match = new RegExp(`curl -o fox\\.png\\s+"http://127\\.0\\.0\\.1:5678(${kind.replace(/\//g, '\\/')}[^"]+)"`).exec(readme);
	if (!match) throw new Error(`the README shows no curl command for ${kind}`);
	return `${ctx.server.url}${match[1]}`;
}

/** Calls a test webhook once n8n listens for it (404 until then); resolves { status, contentType, bytes }. */
async function callTestWebhook(url, timeoutMs = 30000) {
	const until = Date.now() + timeoutMs;
	for (;;) {
		const res = await fetch(url);
		const body = Buffer.from(await res.arrayBuffer());
		if (res.status !== 404 || Date.now() > until) return { status: res.status, contentType: res.headers.get('content-type'), bytes: body.length };
		await n8n.sleep(250);
	}
}
