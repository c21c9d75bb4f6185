'use strict';
/**
 * Workflows the end-to-end suite imports into a real n8n, built the way the editor saves them.
 * The examples in examples/ are imported as they are, by the setup `npm start` uses
 * (scripts/demo.js); these cover what they do not.
 */

const NODE_TYPE = 'n8n-nodes-openai-compatible-images.openAiCompatibleImages';
const CREDENTIAL_TYPE = 'openAiCompatibleImagesApi';
/** The credential the examples reference; the suite imports its own under this id. */
const CREDENTIAL = { id: 'OpenAiImagesDemo', name: 'OpenAI-Compatible Images (demo)' };


let uuidCounter = 0;
/** Stable node ids, so that failures point at the same nodes every run. */
const nodeId = () => `e2e00000-0000-4000-8000-${String(++uuidCounter).padStart(12, '0')}`;

const model = (value) => ({ __rl: true, mode: 'id', value });

function trigger(name = 'Start') {
	return { id: nodeId(), name, type: 'n8n-nodes-base.manualTrigger', typeVersion: 1, position: [0, 0], parameters: {} };
}

/** Our node with the credential attached; `settings` are node settings such as onError. */
function imagesNode(name, parameters, position, settings = {}) {
	return {
		id: nodeId(),
		name,
		type: NODE_TYPE,
		typeVersion: 1,
		position,
		parameters,
		credentials: { [CREDENTIAL_TYPE]: { ...CREDENTIAL } },
		...settings,
	};
}

/** A Set node emitting { prompts: [...] } and a Split Out node making one item per prompt. */
function promptItems(prompts, x = 220) {
	return [
		{
			id: nodeId(),
			name: 'Prompts',
			type: 'n8n-nodes-base.set',
			typeVersion: 3.4,
			position: [x, 0],
			parameters: { mode: 'raw', jsonOutput: JSON.stringify({ prompts }), options: {} },
		},
		{
			id: nodeId(),
			name: 'One Item per Prompt',
			type: 'n8n-nodes-base.splitOut',
			typeVersion: 1,
			position: [x + 220, 0],
			parameters: { fieldToSplitOut: 'prompts', options: { destinationFieldName: 'prompt' } },
		},
	];
}

const link = (node, index = 0) => ({ node, type: 'main', index });

function workflow(id, name, nodes, connections) {
	return { id, name, nodes, connections, settings: { executionOrder: 'v1' }, active: false };
}

/** 1. Three Generate nodes side by side: DALL·E 3, a GPT image model, a model the node does not know. */
const GENERATE = {
	dallE3: {
		name: 'DALL-E 3',
		prompt: 'A red fox in a snowy forest',
		parameters: { n: 2, sizeDallE3: '1024x1792', qualityDallE3: 'hd', styleDallE3: 'natural', options: {} },
	},
	gptImage: {
		name: 'GPT Image WebP',
		prompt: 'A blue whale under the northern lights',
		parameters: {
			n: 1,
			sizeGptImage: '1536x1024',
			qualityGptImage: 'low',
			options: { output_format: 'webp', output_compression: 80, background: 'opaque', user: 'e2e-user-7' },
		},
	},
	custom: {
		name: 'Seedream',
		model: 'doubao-seedream-3-0-t2i-250415',
		prompt: 'A yellow taxi in the rain at night',
		parameters: {
			n: 1,
			size: '2K',
			options: {
				response_format: 'url',
				watermark: false,
				seed: 42,
				extraBody: '{"sequential_image_generation": "disabled", "guidance_scale": 5.5}',
			},
		},
	},
};

function generateWorkflow() {
	const spec = [
		[GENERATE.dallE3, 'dall-e-3'],
		[GENERATE.gptImage, 'gpt-image-1'],
		[GENERATE.custom, GENERATE.custom.model],
	];
	const nodes = [trigger()];
	spec.forEach(([node, modelId], index) => {
		nodes.push(
			imagesNode(
				node.name,
				{ operation: 'generate', model: model(modelId), prompt: node.prompt, ...node.parameters },
				[240, index * 200],
			),
		);
	});
	return workflow('E2eGenerate00001', 'E2E: generate with three models', nodes, {
		Start: { main: [spec.map(([node]) => link(node.name))] },
	});
}

/** gpt-image-2.6's vector and animated outputs: an SVG and a four-frame GIF. */
const VECTOR = {
	svg: {
		name: 'GPT Image 2.6 SVG',
		model: 'gpt-image-2.6-sunburst',
		prompt: 'A vector fox logo',
		parameters: { n: 1, sizeGptImage2: '1024x768', qualityGptImage25: 'high', options: { output_format: 'svg', complexity: 'medium' } },
	},
	gif: {
		name: 'GPT Image 2.6 GIF',
		model: 'gpt-image-2.6-flare',
		prompt: 'A bouncing red ball',
		parameters: { n: 1, sizeGptImage2: '1024x640', options: { output_format: 'gif', frame_count: 4, frame_duration_ms: 150 } },
	},
};

function vectorWorkflow() {
	const nodes = [trigger()];
	[VECTOR.svg, VECTOR.gif].forEach((node, index) => {
		nodes.push(imagesNode(node.name, { operation: 'generate', model: model(node.model), prompt: node.prompt, ...node.parameters }, [240, index * 200]));
	});
	return workflow('E2eVectorGif0001', 'E2E: gpt-image-2.6 SVG and animated GIF', nodes, {
		Start: { main: [[link(VECTOR.svg.name), link(VECTOR.gif.name)]] },
	});
}

/** 2. Two input images (one Generate, combined into data + data_1) and a mask, merged, then Edit. */
const EDIT = {
	inputPrompt: 'A cat on a sofa',
	maskPrompt: 'A round mask',
	editPrompt: 'Put a party hat on the cat',
};

function editWorkflow() {
	const nodes = [
		trigger(),
		imagesNode(
			'Input Images',
			{
				operation: 'generate',
				model: model('gpt-image-1'),
				prompt: EDIT.inputPrompt,
				n: 2,
				sizeGptImage: '1024x1024',
				qualityGptImage: 'low',
				options: { combineImages: true },
			},
			[240, 0],
		),
		imagesNode(
			'Mask',
			{
				operation: 'generate',
				model: model('gpt-image-1'),
				prompt: EDIT.maskPrompt,
				n: 1,
				sizeGptImage: '1024x1024',
				qualityGptImage: 'low',
				options: { background: 'transparent', output_format: 'png', binaryPropertyOutput: 'mask' },
			},
			[240, 200],
		),
		{
			id: nodeId(),
			name: 'Merge',
			type: 'n8n-nodes-base.merge',
			typeVersion: 3.2,
			position: [480, 100],
			parameters: { mode: 'combine', combineBy: 'combineByPosition', options: {} },
		},
		imagesNode(
			'Edit',
			{
				operation: 'edit',
				model: model('gpt-image-1'),
				prompt: EDIT.editPrompt,
				imageInputMode: 'upload',
				imageSource: 'binary',
				binaryPropertyName: 'data, data_1',
				maskBinaryPropertyName: 'mask',
				n: 1,
				sizeGptImage: '1024x1024',
				qualityGptImage: 'medium',
				options: { input_fidelity: 'high' },
			},
			[720, 100],
		),
	];
	return workflow('E2eEditMask00001', 'E2E: edit two images with a mask', nodes, {
		Start: { main: [[link('Input Images'), link('Mask')]] },
		'Input Images': { main: [[link('Merge', 0)]] },
		Mask: { main: [[link('Merge', 1)]] },
		Merge: { main: [[link('Edit')]] },
	});
}

/** 3. Three prompts, one of which the server rejects; the node continues on fail. */
const CONTINUE = {
	prompts: ['A lighthouse at dusk', 'A forbidden symbol', 'A snail on a leaf'],
	rejected: 'A forbidden symbol',
	nodeName: 'Generate (Continue On Fail)',
};

function continueOnFailWorkflow() {
	const nodes = [
		trigger(),
		...promptItems(CONTINUE.prompts),
		imagesNode(
			CONTINUE.nodeName,
			{
				operation: 'generate',
				model: model('gpt-image-1'),
				prompt: '={{ $json.prompt }}',
				n: 1,
				sizeGptImage: '1024x1024',
				qualityGptImage: 'low',
				options: {},
			},
			[660, 0],
			{ onError: 'continueRegularOutput' },
		),
	];
	return workflow('E2eContinueFail1', 'E2E: continue on fail', nodes, {
		Start: { main: [[link('Prompts')]] },
		Prompts: { main: [[link('One Item per Prompt')]] },
		'One Item per Prompt': { main: [[link(CONTINUE.nodeName)]] },
	});
}

/**
 * 3b. The error output: On Error "Continue (using error output)". Three prompts, one the server
 * rejects and one empty (a validation failure); the images go on to "Images", the failures to
 * "Failed", a Set node reading the error fields the way a user's expressions would.
 */
const ERROR_OUTPUT = {
	id: 'E2eErrorOutput01',
	prompts: ['A lighthouse at dusk', 'A forbidden symbol', ''],
	rejected: 'A forbidden symbol',
	nodeName: 'Generate (error output)',
};

function errorOutputWorkflow() {
	const assignment = (name, value, type = 'string') => ({ id: `${name}-0000-4000-8000-000000000000`, name, value, type });
	const nodes = [
		trigger(),
		...promptItems(ERROR_OUTPUT.prompts),
		imagesNode(
			ERROR_OUTPUT.nodeName,
			{ operation: 'generate', model: model('gpt-image-1'), prompt: '={{ $json.prompt }}', n: 1, sizeGptImage: '1024x1024', qualityGptImage: 'low', options: {} },
			[660, 0],
			{ onError: 'continueErrorOutput' },
		),
		{ id: nodeId(), name: 'Images', type: 'n8n-nodes-base.noOp', typeVersion: 1, position: [900, -100], parameters: {} },
		{
			id: nodeId(),
			name: 'Failed',
			type: 'n8n-nodes-base.set',
			typeVersion: 3.4,
			position: [900, 100],
			parameters: {
				mode: 'manual',
				assignments: {
					assignments: [
						assignment('prompt', '={{ $json.prompt }}'),
						assignment('message', '={{ $json.error.message }}'),
						assignment('description', '={{ $json.error.description }}'),
						assignment('httpCode', '={{ $json.error.httpCode }}'),
					],
				},
				options: {},
			},
		},
	];
	return workflow(ERROR_OUTPUT.id, 'E2E: error output', nodes, {
		Start: { main: [[link('Prompts')]] },
		Prompts: { main: [[link('One Item per Prompt')]] },
		'One Item per Prompt': { main: [[link(ERROR_OUTPUT.nodeName)]] },
		[ERROR_OUTPUT.nodeName]: { main: [[link('Images')], [link('Failed')]] },
	});
}

/** 3c. A provider that ignores n: two images asked, one returned; the node warns with an execution hint. */
const FEWER = { id: 'E2eFewerImages01', nodeName: 'Generate (fewer images)', prompt: 'Two dogs on a beach', model: 'black-forest-labs/FLUX.1-schnell' };

function fewerImagesWorkflow() {
	return workflow(FEWER.id, 'E2E: fewer images than asked', [
		trigger(),
		imagesNode(FEWER.nodeName, { operation: 'generate', model: model(FEWER.model), prompt: FEWER.prompt, n: 2, options: {} }, [240, 0]),
	], { Start: { main: [[link(FEWER.nodeName)]] } });
}

/**
 * 3c'. An https image URL whose host name answers a public address, then an internal one (DNS
 * rebinding; the names are answered by test/server/fake-dns.js inside the n8n process).
 */
const REBIND = { id: 'E2eRebindHttps01', nodeName: 'Generate (rebinding host)', prompt: 'A lighthouse at dusk', host: 'images.rebind.test', publicAddress: '203.0.113.10' };

function rebindWorkflow() {
	return workflow(REBIND.id, 'E2E: image host that rebinds', [
		trigger(),
		imagesNode(REBIND.nodeName, { operation: 'generate', model: model('flux-dev'), prompt: REBIND.prompt, n: 1, options: { maxRetries: 0, timeout: 20 } }, [240, 0]),
	], { Start: { main: [[link(REBIND.nodeName)]] } });
}

/**
 * 3d. An AI Agent that calls the node's Tool variant: manual trigger → AI Agent, with n8n's OpenAI
 * chat model (its credential's Base URL on the loopback agent model, test/server/agent-model.js)
 * and "Generate Image" (`<package>.openAiCompatibleImagesTool`, DALL·E 3, two images by URL,
 * the prompt set by the model through $fromAI).
 */
const AGENT = {
	id: 'E2eAiAgentTool01',
	credential: { id: 'E2eAgentModelCr1', name: 'Agent model (loopback)' },
	toolNode: 'Generate Image',
	toolArgs: { prompt: 'A red fox in the snow' },
	question: 'Draw me a red fox in the snow and show it to me.',
	// The AI Agent's newest version in each pinned n8n.
	agentVersion: { 1: 3, 2: 3.1 },
};

function agentToolWorkflow(major) {
	const nodes = [
		trigger(),
		{
			id: nodeId(),
			name: 'AI Agent',
			type: '@n8n/n8n-nodes-langchain.agent',
			typeVersion: AGENT.agentVersion[major],
			position: [240, 0],
			parameters: { promptType: 'define', text: AGENT.question, options: {} },
		},
		{
			id: nodeId(),
			name: 'Chat Model',
			type: '@n8n/n8n-nodes-langchain.lmChatOpenAi',
			typeVersion: 1.2,
			position: [160, 220],
			parameters: { model: { __rl: true, mode: 'id', value: 'agent-model-1' }, options: {} },
			credentials: { openAiApi: { ...AGENT.credential } },
		},
		{
			...imagesNode(
				AGENT.toolNode,
				{
					operation: 'generate',
					model: model('dall-e-3'),
					prompt: "={{ $fromAI('prompt', 'What the image should show', 'string') }}",
					n: 2,
					sizeDallE3: '1024x1024',
					qualityDallE3: 'standard',
					styleDallE3: 'vivid',
					options: { response_format: 'url' },
				},
				[360, 220],
			),
			type: `${NODE_TYPE}Tool`,
		},
	];
	return workflow(AGENT.id, 'E2E: AI Agent calls the image tool', nodes, {
		Start: { main: [[link('AI Agent')]] },
		'Chat Model': { ai_languageModel: [[{ node: 'AI Agent', type: 'ai_languageModel', index: 0 }]] },
		[AGENT.toolNode]: { ai_tool: [[{ node: 'AI Agent', type: 'ai_tool', index: 0 }]] },
	});
}

/** What an internal service behind the loopback name answers: never to be shown. */
const PRIVATE_FILE = '/files/internal-admin.json';
const PRIVATE_SECRET = Buffer.from('{"service":"internal-admin","db_password":"hunter2-e2e"}');

/** Faults in real n8n: one item per upstream fault, Continue On Fail, no retries, a short timeout. */
const FAULTS = {
	privateFile: PRIVATE_FILE,
	nodeName: 'Generate (faults)',
	// prompt → [server behaviour (or a function of the server giving it), expected error (RegExp) or null for an image]
	cases: [
		['fine first', {}, null],
		['fault 401 json', { status: 401, json: { error: { message: 'Invalid token for this group', type: 'new_api_error' } } }, /^Invalid token for this group \(HTTP 401\)$/],
		['fault 429 text', { status: 429, text: 'Too Many Requests: slow down' }, /^Too Many Requests: slow down \(HTTP 429\)$/],
		['fault 502 html', { status: 502, html: '<html><head><title>502 Bad Gateway</title></head><body>nginx</body></html>' }, /^HTML error page: 502 Bad Gateway \(HTTP 502\)$/],
		['fault 200 error body', { shape: 'error200' }, /HTTP 200 with an error body/],
		['fault empty data', { shape: 'empty' }, /^The provider returned no image$/],
		['fault invalid base64', { shape: 'invalidBase64' }, /not valid base64/],
		['fault not an image', { shape: 'notAnImage' }, /not a PNG, JPEG, WebP, GIF or SVG image/],
		['fault malformed json', { status: 200, text: '{"data": [' }, /not a JSON object/],
		['fault connection reset', { destroy: true }, /connection/i],
		['fault never answers', { hang: true }, /did not answer within 10 s/],
		// An image URL by a host name that resolves to loopback (not the Base URL's own name, 127.0.0.1):
		// 2.x refuses it by what the name resolves to, 1.x by the address the connection went to.
		['fault private image url', (server) => ({ json: { created: 1, data: [{ url: server.serve(PRIVATE_FILE, PRIVATE_SECRET, 'application/json').replace('127.0.0.1', 'localhost') }] } }), /^The image URL points at a private address: localhost:\d+ \((127\.0\.0\.1|::1|::ffff:127\.0\.0\.1)\)$/],
		['fine last', {}, null],
	],
};

function faultsWorkflow() {
	const nodes = [
		trigger(),
		...promptItems(FAULTS.cases.map(([prompt]) => prompt)),
		imagesNode(
			FAULTS.nodeName,
			{
				operation: 'generate',
				model: model('flux-dev'),
				prompt: '={{ $json.prompt }}',
				n: 1,
				// Long enough for a loaded machine; the case that never answers waits it out.
				options: { maxRetries: 0, timeout: 10 },
			},
			[660, 0],
			{ onError: 'continueRegularOutput' },
		),
	];
	return workflow('E2eFaultBatch001', 'E2E: upstream faults with continue on fail', nodes, {
		Start: { main: [[link('Prompts')]] },
		Prompts: { main: [[link('One Item per Prompt')]] },
		'One Item per Prompt': { main: [[link(FAULTS.nodeName)]] },
	});
}

/** 4. Queue mode: Webhook → Generate → Edit (the generated image) → Respond to Webhook with the PNG. */
const QUEUE = {
	id: 'E2eQueueWebhook1',
	path: 'e2e-queue-generate-edit',
	editPrefix: 'Make it a watercolor: ',
};

function queueWebhookWorkflow() {
	const nodes = [
		{
			id: nodeId(),
			name: 'Webhook',
			type: 'n8n-nodes-base.webhook',
			typeVersion: 2,
			position: [0, 0],
			webhookId: 'e2e0eeee-0000-4000-8000-000000000001',
			parameters: { httpMethod: 'GET', path: QUEUE.path, responseMode: 'responseNode', options: {} },
		},
		imagesNode(
			'Generate',
			{
				operation: 'generate',
				model: model('gpt-image-1'),
				prompt: '={{ $json.query.prompt }}',
				n: 1,
				sizeGptImage: '1024x1024',
				qualityGptImage: 'low',
				options: {},
			},
			[240, 0],
		),
		imagesNode(
			'Edit',
			{
				operation: 'edit',
				model: model('gpt-image-1'),
				prompt: `={{ '${QUEUE.editPrefix}' + $json.prompt }}`,
				imageInputMode: 'upload',
				imageSource: 'binary',
				binaryPropertyName: 'data',
				n: 1,
				sizeGptImage: '1024x1024',
				qualityGptImage: 'low',
				options: {},
			},
			[480, 0],
		),
		{
			id: nodeId(),
			name: 'Respond with Image',
			type: 'n8n-nodes-base.respondToWebhook',
			typeVersion: 1.1,
			position: [720, 0],
			parameters: { respondWith: 'binary', options: {} },
		},
	];
	return workflow(QUEUE.id, 'E2E: queue mode webhook → generate → edit → respond', nodes, {
		Webhook: { main: [[link('Generate')]] },
		Generate: { main: [[link('Edit')]] },
		Edit: { main: [[link('Respond with Image')]] },
	});
}

/** Image models behind chat completions: Generate with a Gemini image model, then Edit that image with it. */
const CHAT = {
	id: 'E2eChatImages001',
	model: 'google/gemini-2.5-flash-image',
	prompt: 'A paper boat on a pond',
	editPrompt: 'Make the boat red',
	generate: 'Generate (Chat Completions)',
	edit: 'Edit (Chat Completions)',
};

function chatWorkflow() {
	const nodes = [
		trigger(),
		imagesNode(
			CHAT.generate,
			{ operation: 'generate', model: model(CHAT.model), prompt: CHAT.prompt, n: 2, aspect_ratio: '16:9', options: {} },
			[220, 0],
		),
		imagesNode(
			CHAT.edit,
			{
				operation: 'edit',
				model: model(CHAT.model),
				prompt: CHAT.editPrompt,
				imageSource: 'binary',
				binaryPropertyName: 'data',
				n: 1,
				options: {},
			},
			[440, 0],
		),
	];
	return workflow(CHAT.id, 'E2E: chat-completions image model generate → edit', nodes, {
		Start: { main: [[link(CHAT.generate)]] },
		[CHAT.generate]: { main: [[link(CHAT.edit)]] },
	});
}

module.exports = {
	CHAT,
	chatWorkflow,
	NODE_TYPE,
	CREDENTIAL_TYPE,
	CREDENTIAL,
	GENERATE,
	EDIT,
	CONTINUE,
	ERROR_OUTPUT,
	errorOutputWorkflow,
	FEWER,
	fewerImagesWorkflow,
	REBIND,
	rebindWorkflow,
	AGENT,
	agentToolWorkflow,
	FAULTS,
	faultsWorkflow,
	QUEUE,
	generateWorkflow,
	VECTOR,
	vectorWorkflow,
	editWorkflow,
	continueOnFailWorkflow,
	queueWebhookWorkflow,
};
