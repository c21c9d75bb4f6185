'use strict';
/**
 * The end-to-end suite for one n8n major: the built package installed into a real n8n the way the
 * nodes panel installs it, run through `n8n execute`, the REST API and a production webhook,
 * against the loopback image server (test/server/image-server.js). It checks what users see
 * (items, binary data, files, HTTP answers) and what the provider receives (exact requests).
 *
 * Per major: one user folder in a temp dir, one image server, one import of the credential and of
 * all workflows, CLI runs first, then one `n8n start` for the REST and webhook tests.
 */

const crypto = require('node:crypto');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');

const demo = require('../../scripts/demo');
const n8n = require('../../scripts/lib/n8n');
const { startImageServer } = require('../server/image-server');
const { encodePng, renderPromptImage } = require('../server/images');
const { startAgentModel } = require('../server/agent-model');
const { startPublicInternet } = require('../server/public-internet');
const { selectedMajors } = require('./majors');
const wf = require('./workflows');

const REPO = path.resolve(__dirname, '..', '..');
/** Unique per run, so that finding it anywhere cannot be a coincidence. */
const API_KEY = `sk-e2e-${crypto.randomBytes(16).toString('hex')}`;
const WRONG_KEY = 'sk-e2e-not-the-right-key';
const AGENT_MODEL_KEY = 'sk-e2e-agent-model';
const PNG_SIGNATURE = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
/** A small PNG to put in a hand-made provider answer. */
const SMALL_PNG = encodePng(renderPromptImage('one', 8, 8)).toString('base64');

const sha256 = (bytes) => crypto.createHash('sha256').update(bytes).digest('hex');

function pinnedVersion(major) {
	const pkg = JSON.parse(fs.readFileSync(path.join(REPO, 'scripts', 'n8n', `v${major}`, 'package.json'), 'utf8'));
	return pkg.dependencies.n8n;
}

/** Width and height of a PNG, after checking its signature. */
function pngSize(bytes) {
	expect(bytes.subarray(0, 8).equals(PNG_SIGNATURE)).toBe(true);
	return { width: bytes.readUInt32BE(16), height: bytes.readUInt32BE(20) };
}

/** Multipart parts the server received: text fields as an object, files as a list. */
function splitParts(parts) {
	const fields = {};
	const files = [];
	for (const part of parts) {
		if (part.filename === undefined) fields[part.name] = part.data.toString('utf8');
		else files.push({ name: part.name, filename: part.filename, contentType: part.contentType, size: part.size, sha256: sha256(part.data) });
	}
	return { fields, files };
}

function listFiles(dir, skip = () => false, out = []) {
	for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
		const full = path.join(dir, entry.name);
		if (skip(full)) continue;
		if (entry.isDirectory()) listFiles(full, skip, out);
		else if (entry.isFile()) out.push(full);
	}
	return out;
}

async function poll(what, fn, timeoutMs = 30000) {
	const until = Date.now() + timeoutMs;
	for (;;) {
		const value = await fn();
		if (value) return value;
		if (Date.now() > until) throw new Error(`Timed out after ${timeoutMs} ms waiting for ${what}`);
		await n8n.sleep(200);
	}
}

/**
 * Times the steps of a suite: `timed(label, fn)` runs fn and notes how long it took; `summary()`
 * is the suite's total and every step, for the line each suite prints at its end.
 */
function stopwatch() {
	const timings = [];
	const started = Date.now();
	return {
		async timed(label, fn) {
			const stepStarted = Date.now();
			try {
				return await fn();
			} finally {
				timings.push(`${label} ${((Date.now() - stepStarted) / 1000).toFixed(1)} s`);
			}
		},
		summary: () => `${((Date.now() - started) / 1000).toFixed(1)} s in all; ${timings.join('; ')}`,
	};
}

function describeMajor(major) {
	const enabled = selectedMajors().includes(major);
	const version = pinnedVersion(major);
	(enabled ? describe : describe.skip)(`n8n ${version} (v${major})`, () => {
		/**
		 * `env` and `outputDir` come from the setup `npm start` uses (scripts/demo.js): every n8n
		 * process of the suite gets that environment, and nothing else is prepared for the examples.
		 * @type {{ runtime?: any, userFolder?: string, images?: any, agentModel?: any, server?: any, outputDir?: string, env?: Record<string, string> }}
		 */
		const ctx = {};
		const { timed, summary } = stopwatch();

		/** `n8n execute` with the environment `npm start` gives n8n (plus `env`); the run must succeed. */
		async function execute(workflowId, env = {}) {
			const run = await timed(`execute ${workflowId}`, () => n8n.executeWorkflow(ctx.runtime, ctx.userFolder, workflowId, { ...ctx.env, ...env }));
			const error = run.data && run.data.resultData && run.data.resultData.error;
			if (run.exitCode !== 0 || error) {
				throw new Error(
					`n8n execute --id=${workflowId} failed (exit ${run.exitCode}): ${error ? JSON.stringify(error).slice(0, 2000) : ''}\n` +
						n8n.tail(run.cliOutput.stdout + run.cliOutput.stderr),
				);
			}
			expect(JSON.stringify(run)).not.toContain(API_KEY);
			return run;
		}

		/** Checks a binary property as users see it, and that its stored bytes are what the server sent. */
		function expectBinary(binary, { mimeType, fileName, fileExtension, served }) {
			expect(binary).toMatchObject({ mimeType, fileName, fileExtension });
			const bytes = n8n.readBinary(ctx.userFolder, binary);
			const match = served.find((image) => image.sha256 === sha256(bytes));
			expect(match && { size: match.size, mimeType: match.mimeType }).toEqual({ size: bytes.length, mimeType });
			if (binary.bytes !== undefined) expect(binary.bytes).toBe(bytes.length);
			return bytes;
		}

		function expectAuthorized(request) {
			expect(request.headers.authorization).toBe(`Bearer ${API_KEY}`);
			expect(request.status).toBe(200);
		}

		beforeAll(async () => {
			ctx.userFolder = fs.mkdtempSync(path.join(os.tmpdir(), `n8n-images-e2e-v${major}-`));
			ctx.images = await startImageServer({ apiKey: API_KEY });
			ctx.agentModel = await startAgentModel({ apiKey: AGENT_MODEL_KEY, toolArgs: wf.AGENT.toolArgs });
			// What `npm start` does (install, output folder, credential, examples), plus the suite's own.
			const setup = await timed('setup as npm start (install, import:credentials, import:workflow)', () =>
				demo.prepareN8n({
					major,
					userFolder: ctx.userFolder,
					baseUrl: ctx.images.baseUrl,
					apiKey: API_KEY,
					say: () => {},
					credentials: [{ ...wf.AGENT.credential, type: 'openAiApi', data: { apiKey: AGENT_MODEL_KEY, url: ctx.agentModel.baseUrl } }],
					workflows: [
						wf.generateWorkflow(),
						wf.editWorkflow(),
						wf.continueOnFailWorkflow(),
						wf.errorOutputWorkflow(),
						wf.fewerImagesWorkflow(),
						wf.rebindWorkflow(),
						wf.agentToolWorkflow(major),
						wf.faultsWorkflow(),
						wf.chatWorkflow(),
						wf.vectorWorkflow(),
					],
				}),
			);
			ctx.runtime = setup.runtime;
			ctx.outputDir = setup.outputDir;
			ctx.env = setup.env;
			expect(setup.workflows.map((workflow) => workflow.id).sort()).toEqual(['ImgExampleBatch1', 'ImgExampleGenSav', 'ImgExampleWebhk1']);
		}, 300000);

		afterAll(async () => {
			if (ctx.server) await ctx.server.stop();
			if (ctx.images) await ctx.images.close();
			if (ctx.agentModel) await ctx.agentModel.close();
			for (const dir of [ctx.userFolder]) {
				if (!dir) continue;
				if (process.env.N8N_E2E_KEEP) process.stderr.write(`[e2e] kept ${dir} (N8N_E2E_KEEP)\n`);
				else fs.rmSync(dir, { recursive: true, force: true });
			}
			process.stderr.write(`[e2e] n8n ${version} (v${major}): ${summary()}\n`);
		}, 60000);

		beforeEach(() => {
			if (ctx.images) ctx.images.reset();
		});

		test('Generate with DALL·E 3 (n=2), GPT Image (WebP) and a custom model (URL response) via n8n execute', async () => {
			const run = await execute('E2eGenerate00001');
			const requests = ctx.images.imageRequests();
			expect(requests).toHaveLength(4);
			for (const request of requests) {
				expect(request).toMatchObject({ method: 'POST', path: '/v1/images/generations' });
				expect(request.headers['content-type']).toMatch(/^application\/json/);
				expectAuthorized(request);
			}
			const byModel = (model) => requests.filter((request) => request.body.model === model);

			// DALL·E 3 returns one image per call: n=2 becomes two calls.
			const { dallE3, gptImage, custom } = wf.GENERATE;
			const dalle = byModel('dall-e-3');
			const dalleBody = {
				model: 'dall-e-3',
				prompt: dallE3.prompt,
				n: 1,
				size: '1024x1792',
				quality: 'hd',
				style: 'natural',
				response_format: 'b64_json',
			};
			expect(dalle.map((request) => request.body)).toEqual([dalleBody, dalleBody]);
			const dalleItems = n8n.nodeOutput(run, dallE3.name);
			expect(dalleItems).toHaveLength(2);
			dalleItems.forEach((item, index) => {
				const fileName = `a-red-fox-in-a-snowy-forest-${index + 1}.png`;
				expect(item.json).toMatchObject({
					model: 'dall-e-3',
					prompt: dallE3.prompt,
					revised_prompt: `${dallE3.prompt} (revised)`,
					size: '1024x1792',
					quality: 'hd',
					style: 'natural',
					width: 1024,
					height: 1792,
					index,
					fileName,
					mimeType: 'image/png',
				});
				expect(item.json.created).toEqual(expect.any(Number));
				expect(item.pairedItem).toEqual({ item: 0 });
				const bytes = expectBinary(item.binary.data, {
					mimeType: 'image/png',
					fileName,
					fileExtension: 'png',
					served: dalle.flatMap((request) => request.images),
				});
				expect(pngSize(bytes)).toEqual({ width: 1024, height: 1792 });
			});

			// GPT image model: WebP output, usage reported.
			const [gpt] = byModel('gpt-image-1');
			expect(gpt.body).toEqual({
				model: 'gpt-image-1',
				prompt: gptImage.prompt,
				n: 1,
				size: '1536x1024',
				quality: 'low',
				background: 'opaque',
				output_format: 'webp',
				output_compression: 80,
				user: 'e2e-user-7',
			});
			const gptItems = n8n.nodeOutput(run, gptImage.name);
			expect(gptItems).toHaveLength(1);
			expect(gptItems[0].json).toMatchObject({
				model: 'gpt-image-1',
				prompt: gptImage.prompt,
				size: '1536x1024',
				quality: 'low',
				background: 'opaque',
				output_format: 'webp',
				usage: { input_tokens: 50, output_tokens: 4160, total_tokens: 4210 },
				width: 1536,
				height: 1024,
				index: 0,
				fileName: 'a-blue-whale-under-the-northern-lights-1.webp',
				mimeType: 'image/webp',
			});
			expect(gptItems[0].json).not.toHaveProperty('revised_prompt');
			const webp = expectBinary(gptItems[0].binary.data, {
				mimeType: 'image/webp',
				fileName: 'a-blue-whale-under-the-northern-lights-1.webp',
				fileExtension: 'webp',
				served: gpt.images,
			});
			expect(webp.toString('ascii', 0, 4) + webp.toString('ascii', 8, 12)).toBe('RIFFWEBP');

			// A model the node has no rules for: free-form size, extra body fields, image by URL.
			const [seedream] = byModel(custom.model);
			expect(seedream.body).toEqual({
				model: custom.model,
				prompt: custom.prompt,
				n: 1,
				size: '2K',
				response_format: 'url',
				watermark: false,
				seed: 42,
				sequential_image_generation: 'disabled',
				guidance_scale: 5.5,
			});
			const downloads = ctx.images.requests.filter((request) => request.kind === 'download');
			expect(downloads).toHaveLength(1);
			expect(downloads[0]).toMatchObject({ method: 'GET', status: 200 });
			// The image URL is fetched without the API key.
			expect(downloads[0].headers.authorization).toBeUndefined();
			const customItems = n8n.nodeOutput(run, custom.name);
			expect(customItems).toHaveLength(1);
			expect(customItems[0].json).toMatchObject({
				model: custom.model,
				prompt: custom.prompt,
				size: '2K',
				url: `${ctx.images.url}${downloads[0].path}`,
				fileName: 'a-yellow-taxi-in-the-rain-at-night-1.png',
				mimeType: 'image/png',
			});
			expectBinary(customItems[0].binary.data, {
				mimeType: 'image/png',
				fileName: 'a-yellow-taxi-in-the-rain-at-night-1.png',
				fileExtension: 'png',
				served: downloads[0].images,
			});
		});

		test('gpt-image-2.6 generates an SVG (image/svg+xml, size from the markup, svg_usage) and an animated GIF (frame count) stored as files via n8n execute', async () => {
			const run = await execute('E2eVectorGif0001');
			const requests = ctx.images.imageRequests();
			const { svg, gif } = wf.VECTOR;
			const bodyOf = (modelId) => requests.find((request) => request.body.model === modelId).body;
			expect(bodyOf(svg.model)).toEqual({ model: svg.model, prompt: svg.prompt, n: 1, size: '1024x768', quality: 'high', output_format: 'svg', complexity: 'medium' });
			expect(bodyOf(gif.model)).toEqual({ model: gif.model, prompt: gif.prompt, n: 1, size: '1024x640', quality: 'auto', output_format: 'gif', frame_count: 4, frame_duration_ms: 150 });
			const served = requests.flatMap((request) => request.images);

			const [vector] = n8n.nodeOutput(run, svg.name);
			expect(vector.json).toMatchObject({ model: svg.model, mimeType: 'image/svg+xml', fileName: 'a-vector-fox-logo-1.svg', width: 1024, height: 768, output_format: 'svg', svg_usage: { input_tokens: 120, output_tokens: 900 } });
			expect(vector.json.generation_id).toMatch(/^gen_/);
			const markup = expectBinary(vector.binary.data, { mimeType: 'image/svg+xml', fileName: 'a-vector-fox-logo-1.svg', fileExtension: 'svg', served }).toString('utf8');
			expect(markup).toMatch(/^<\?xml[^>]*\?>\n<svg xmlns="http:\/\/www\.w3\.org\/2000\/svg" width="1024" height="768"/);

			const [animated] = n8n.nodeOutput(run, gif.name);
			expect(animated.json).toMatchObject({ model: gif.model, mimeType: 'image/gif', fileName: 'a-bouncing-red-ball-1.gif', width: 1024, height: 640, frameCount: 4 });
			const bytes = expectBinary(animated.binary.data, { mimeType: 'image/gif', fileName: 'a-bouncing-red-ball-1.gif', fileExtension: 'gif', served });
			expect(bytes.toString('ascii', 0, 6)).toBe('GIF89a');
			// Four image descriptors, each after a graphic control extension with 150 ms (15 hundredths).
			expect(bytes.toString('latin1').split('\x21\xf9\x04\x00\x0f\x00').length - 1).toBe(4);
		});

		test('Edit two images with a mask (gpt-image-1, multipart image[] + mask) via n8n execute', async () => {
			const run = await execute('E2eEditMask00001');
			const { inputPrompt, maskPrompt, editPrompt } = wf.EDIT;
			const generations = ctx.images.imageRequests().filter((request) => request.kind === 'generate');
			expect(generations).toHaveLength(2);
			const inputs = generations.find((request) => request.body.prompt === inputPrompt);
			const mask = generations.find((request) => request.body.prompt === maskPrompt);
			expect(inputs.body).toEqual({ model: 'gpt-image-1', prompt: inputPrompt, n: 2, size: '1024x1024', quality: 'low' });
			expect(mask.body).toEqual({
				model: 'gpt-image-1',
				prompt: maskPrompt,
				n: 1,
				size: '1024x1024',
				quality: 'low',
				background: 'transparent',
				output_format: 'png',
			});

			// What the Edit node got: one item with data, data_1 (combined) and mask (merged in).
			const merged = n8n.nodeOutput(run, 'Merge');
			expect(merged).toHaveLength(1);
			expect(Object.keys(merged[0].binary).sort()).toEqual(['data', 'data_1', 'mask']);

			const edits = ctx.images.imageRequests().filter((request) => request.kind === 'edit');
			expect(edits).toHaveLength(1);
			const [edit] = edits;
			expect(edit).toMatchObject({ method: 'POST', path: '/v1/images/edits' });
			expectAuthorized(edit);
			expect(edit.headers['content-type']).toMatch(/^multipart\/form-data; boundary=/);
			const { fields, files } = splitParts(edit.parts);
			expect(fields).toEqual({
				model: 'gpt-image-1',
				prompt: editPrompt,
				n: '1',
				size: '1024x1024',
				quality: 'medium',
				input_fidelity: 'high',
			});
			const file = (name, filename, image) => ({ name, filename, contentType: 'image/png', size: image.size, sha256: image.sha256 });
			expect(files).toEqual([
				file('image[]', 'a-cat-on-a-sofa-1.png', inputs.images[0]),
				file('image[]', 'a-cat-on-a-sofa-2.png', inputs.images[1]),
				file('mask', 'a-round-mask-1.png', mask.images[0]),
			]);

			const items = n8n.nodeOutput(run, 'Edit');
			expect(items).toHaveLength(1);
			expect(items[0].json).toMatchObject({
				model: 'gpt-image-1',
				prompt: editPrompt,
				size: '1024x1024',
				quality: 'medium',
				usage: { input_tokens: 50, output_tokens: 4160, total_tokens: 4210 },
				width: 1024,
				height: 1024,
				fileName: 'put-a-party-hat-on-the-cat-1.png',
				mimeType: 'image/png',
			});
			expect(items[0].pairedItem).toEqual({ item: 0 });
			expect(Object.keys(items[0].binary)).toEqual(['data']);
			const bytes = expectBinary(items[0].binary.data, {
				mimeType: 'image/png',
				fileName: 'put-a-party-hat-on-the-cat-1.png',
				fileExtension: 'png',
				served: edit.images,
			});
			expect(pngSize(bytes)).toEqual({ width: 1024, height: 1024 });
		});

		test('A chat-completions image model generates (message.images, Markdown URL) and edits its own image via n8n execute', async () => {
			const { CHAT } = wf;
			// The second generation answers the way new-api's Gemini channels do: Markdown with a hosted URL.
			ctx.images.respondNext({ shape: 'chatMarkdownUrl', when: () => ctx.images.imageRequests().length === 2 });
			const run = await execute(CHAT.id);

			const requests = ctx.images.imageRequests();
			// Two generations (one image per call), then one edit per generated item.
			expect(requests.map((request) => request.path)).toEqual(Array(4).fill('/v1/chat/completions'));
			requests.forEach(expectAuthorized);
			expect(requests[0].body).toEqual({
				model: CHAT.model,
				messages: [{ role: 'user', content: CHAT.prompt }],
				modalities: ['image', 'text'],
				image_config: { aspect_ratio: '16:9' },
			});
			const downloads = ctx.images.requests.filter((request) => request.kind === 'download');
			expect(downloads).toHaveLength(1);
			expect(downloads[0].headers.authorization).toBeUndefined();

			const generated = n8n.nodeOutput(run, CHAT.generate);
			expect(generated).toHaveLength(2);
			const served = requests.slice(0, 2).flatMap((request) => request.images);
			const bytes = generated.map((item, index) => {
				expect(item.json).toMatchObject({ model: CHAT.model, prompt: CHAT.prompt, text: 'Here is your image.', index, aspect_ratio: '16:9' });
				expect(item.json.usage).toMatchObject({ total_tokens: 1302 });
				return expectBinary(item.binary.data, { mimeType: 'image/png', fileName: `a-paper-boat-on-a-pond-${index + 1}.png`, fileExtension: 'png', served });
			});

			// Each generated image went back to the model as a reference, as a data: URL in the user message.
			const editRequests = requests.slice(2);
			const edited = n8n.nodeOutput(run, CHAT.edit);
			expect(edited).toHaveLength(2);
			const references = ctx.images.requests
				.filter((request) => request.kind === 'chat' && Array.isArray(request.body.messages[0].content))
				.map((request) => request.body.messages[0].content);
			expect(references).toHaveLength(2);
			for (const content of references) {
				expect(content[0]).toEqual({ type: 'text', text: CHAT.editPrompt });
				const url = content[1].image_url.url;
				expect(url.startsWith('data:image/png;base64,')).toBe(true);
				expect(bytes.some((image) => image.equals(Buffer.from(url.split(',')[1], 'base64')))).toBe(true);
			}
			edited.forEach((item, index) => {
				expect(item.pairedItem).toEqual({ item: index });
				expectBinary(item.binary.data, { mimeType: 'image/png', fileName: 'make-the-boat-red-1.png', fileExtension: 'png', served: [...served, ...editRequests.flatMap((request) => request.images)] });
			});
		});

		test('Continue On Fail: an upstream 400 becomes an error item for that item only', async () => {
			const { prompts, rejected, nodeName } = wf.CONTINUE;
			const providerMessage = 'Your request was rejected as a result of our safety system.';
			ctx.images.respondNext({
				status: 400,
				json: { error: { message: providerMessage, type: 'image_generation_user_error', param: null, code: 'content_policy_violation' } },
				when: (request) => request.body && request.body.prompt === rejected,
			});
			const run = await execute('E2eContinueFail1');

			const requests = ctx.images.imageRequests();
			// One request per item, none retried (a 400 is final).
			expect(requests.map((request) => request.body.prompt).sort()).toEqual([...prompts].sort());
			for (const request of requests) {
				expect(request.headers.authorization).toBe(`Bearer ${API_KEY}`);
				expect(request.status).toBe(request.body.prompt === rejected ? 400 : 200);
			}

			const items = n8n.nodeOutput(run, nodeName);
			expect(items).toHaveLength(3);
			items.forEach((item, index) => expect(item.pairedItem).toEqual({ item: index }));
			expect(items[1].json).toEqual({
				error: `${providerMessage} (HTTP 400)`,
				description: expect.stringContaining('content policy'),
				httpCode: '400',
			});
			expect(items[1].binary).toBeUndefined();
			for (const index of [0, 2]) {
				const request = requests.find((r) => r.body.prompt === prompts[index]);
				expect(items[index].json).toMatchObject({ model: 'gpt-image-1', prompt: prompts[index], mimeType: 'image/png' });
				expect(items[index].json).not.toHaveProperty('error');
				expectBinary(items[index].binary.data, {
					mimeType: 'image/png',
					fileName: items[index].json.fileName,
					fileExtension: 'png',
					served: request.images,
				});
			}
		});

		test('Continue (using error output): images on the main output, failures on the error output with their input and the error fields', async () => {
			const { prompts, rejected, nodeName } = wf.ERROR_OUTPUT;
			const providerMessage = 'Your request was rejected as a result of our safety system.';
			ctx.images.respondNext({
				status: 400,
				json: { error: { message: providerMessage, type: 'image_generation_user_error', code: 'content_policy_violation' } },
				when: (request) => request.body && request.body.prompt === rejected,
			});
			const run = await execute(wf.ERROR_OUTPUT.id);
			// The empty prompt fails validation: only two requests.
			expect(ctx.images.imageRequests().map((request) => request.body.prompt).sort()).toEqual([prompts[0], rejected].sort());

			const images = n8n.nodeOutput(run, nodeName, 0);
			const failed = n8n.nodeOutput(run, nodeName, 1);
			expect(images).toHaveLength(1);
			expect(images[0].json).toMatchObject({ prompt: prompts[0], fileName: 'a-lighthouse-at-dusk-1.png', mimeType: 'image/png' });
			expect(images[0].pairedItem).toEqual({ item: 0 });
			expect(failed).toHaveLength(2);
			// n8n merges the input item's JSON into each error item.
			expect(failed.map((item) => [item.pairedItem, item.json])).toEqual([
				[
					{ item: 1 },
					{
						prompt: rejected,
						error: {
							message: `${providerMessage} (HTTP 400)`,
							description: 'The provider blocked the prompt or image by its content policy. Rephrase the prompt.',
							httpCode: '400',
						},
					},
				],
				[{ item: 2 }, { prompt: '', error: { message: 'Prompt is empty', description: expect.stringContaining('Describe the image') } }],
			]);
			// The nodes behind each output ran, on their items only.
			expect(n8n.nodeOutput(run, 'Images')).toHaveLength(1);
			expect(n8n.nodeOutput(run, 'Failed').map((item) => item.json)).toEqual([
				{ prompt: rejected, message: `${providerMessage} (HTTP 400)`, description: expect.stringContaining('content policy'), httpCode: '400' },
				{ prompt: '', message: 'Prompt is empty', description: expect.stringContaining('Describe the image'), httpCode: null },
			]);
			process.stderr.write(`[e2e] v${major} error output as n8n routed it: ${JSON.stringify(failed.map((item) => ({ pairedItem: item.pairedItem, json: item.json })))}\n`);
		});

		test('Fewer images than asked: the item says 2 requested, 1 returned, and the run data carries the warning hint', async () => {
			const { nodeName, prompt } = wf.FEWER;
			ctx.images.respondNext({ json: { images: [{ url: `data:image/png;base64,${SMALL_PNG}` }], seed: 7 } });
			const run = await execute(wf.FEWER.id);
			const items = n8n.nodeOutput(run, nodeName);
			expect(ctx.images.imageRequests()[0].body).toMatchObject({ prompt, n: 2 });
			expect(items).toHaveLength(1);
			expect(items[0].json).toMatchObject({ prompt, imagesRequested: 2, imagesReturned: 1, fileName: 'two-dogs-on-a-beach-1.png' });
			const [task] = run.data.resultData.runData[nodeName];
			expect(task.hints).toEqual([
				{ message: expect.stringMatching(/^The provider returned fewer images than asked for \(item 1: 1 of 2\)/), type: 'warning', location: 'outputPane' },
			]);
		});

		test('Behind an HTTPS proxy, an image host whose name answers a public address, then an internal one (DNS rebinding): the image comes from the public address, certificate checked by name; the internal service gets nothing', async () => {
			const { id, nodeName, host, publicAddress } = wf.REBIND;
			const fixture = (name) => fs.readFileSync(path.join(REPO, 'test', 'fixtures', name), 'utf8');
			// "The public internet" behind n8n's HTTPS_PROXY; the internal service on 127.0.0.2 (NO_PROXY).
			const internet = await startPublicInternet({ tls: { key: fixture('rebind-test.key'), cert: fixture('rebind-test.crt') } });
			const internal = await startImageServer({ host: '127.0.0.2' });
			try {
				const png = encodePng(renderPromptImage('public host', 8, 8));
				internet.serve('/img.png', png);
				internal.serve('/img.png', encodePng(renderPromptImage('internal', 8, 8)));
				ctx.images.respondNext({ json: { created: 1, data: [{ url: `https://${host}/img.png` }] } });
				const run = await execute(id, {
					NODE_OPTIONS: `--require ${path.join(REPO, 'test', 'server', 'fake-dns.js')}`,
					FAKE_DNS: JSON.stringify({ [host]: [[publicAddress], ['127.0.0.2']] }),
					// The test certificate for images.rebind.test, trusted like a real CA's.
					NODE_EXTRA_CA_CERTS: path.join(REPO, 'test', 'fixtures', 'rebind-test.crt'),
					HTTPS_PROXY: internet.url,
					NO_PROXY: '127.0.0.1,127.0.0.2,localhost',
				});
				const [item] = n8n.nodeOutput(run, nodeName);
				expect(item.json).toMatchObject({ url: `https://${host}/img.png`, mimeType: 'image/png' });
				expect(n8n.readBinary(ctx.userFolder, item.binary.data).equals(png)).toBe(true);
				// 2.x: the tunnel goes to the address the node checked; the certificate was checked against the
				// name (the TLS server name). 1.x cannot resolve names for the node, so it asks the proxy by name.
				const expected = major === '1' ? `${host}:443` : `${publicAddress}:443`;
				expect(internet.requests).toEqual([{ method: 'CONNECT', target: expected, servername: host, host }]);
				expect(internal.requests).toHaveLength(0);
			} finally {
				await Promise.all([internet.close(), internal.close()]);
			}
		});

		test('Upstream faults in one batch with Continue On Fail: every item is an image or a clear error item', async () => {
			const { cases, nodeName } = wf.FAULTS;
			for (const [prompt, given] of cases) {
				const behaviour = typeof given === 'function' ? given(ctx.images) : given;
				if (Object.keys(behaviour).length) ctx.images.respondNext({ ...behaviour, when: (request) => request.body && request.body.prompt === prompt });
			}
			const run = await execute('E2eFaultBatch001');
			const items = n8n.nodeOutput(run, nodeName);
			// Nothing the internal service holds reaches the output; 2.x does not even ask it (1.x asks,
			// sees the address it connected to, and reads nothing).
			expect(JSON.stringify(items)).not.toMatch(/hunter2|internal-admin"/);
			expect(ctx.images.requests.filter((request) => request.path === wf.FAULTS.privateFile)).toHaveLength(major === '1' ? 1 : 0);
			expect(items).toHaveLength(cases.length);
			cases.forEach(([prompt, , expected], index) => {
				const item = items[index];
				expect(item.pairedItem).toEqual({ item: index });
				if (expected) {
					expect([prompt, item.json.error]).toEqual([prompt, expect.stringMatching(expected)]);
					expect(item.binary).toBeUndefined();
				} else {
					expect(item.json).toMatchObject({ prompt, mimeType: 'image/png' });
					expect(item.binary.data.mimeType).toBe('image/png');
				}
			});
			// One request per item: Max Retries 0 here, and nothing is sent twice.
			expect(ctx.images.imageRequests()).toHaveLength(cases.length);
		});

		test('Example batch-generate-edit-save.json, as npm start sets it up, writes three images to the output folder', async () => {
			const run = await execute('ImgExampleBatch1');
			const generations = ctx.images.imageRequests().filter((request) => request.kind === 'generate');
			const edits = ctx.images.imageRequests().filter((request) => request.kind === 'edit');
			expect(generations).toHaveLength(3);
			expect(edits).toHaveLength(3);
			for (const edit of edits) {
				expectAuthorized(edit);
				const { files } = splitParts(edit.parts);
				expect(files).toHaveLength(1);
				expect(files[0]).toMatchObject({ name: 'image', contentType: 'image/png' });
				// Each edit uploads the image its item's generation returned.
				expect(generations.flatMap((request) => request.images).map((image) => image.sha256)).toContain(files[0].sha256);
			}

			const saved = n8n.nodeOutput(run, 'Save Files');
			expect(saved).toHaveLength(3);
			const written = fs.readdirSync(ctx.outputDir).filter((name) => name.startsWith('turn-this-into')).sort();
			expect(written).toEqual(saved.map((item) => item.binary.data.fileName).sort());
			expect(written).toHaveLength(3);
			const served = edits.flatMap((request) => request.images);
			for (const name of written) {
				expect(name).toMatch(/^turn-this-into-a-postcard-a-[a-z0-9-]+-1\.png$/);
				const bytes = fs.readFileSync(path.join(ctx.outputDir, name));
				expect(pngSize(bytes)).toEqual({ width: 1024, height: 1024 });
				expect(served.map((image) => image.sha256)).toContain(sha256(bytes));
			}
		});

		test('Example generate-and-save.json, as npm start sets it up, writes two images to the output folder', async () => {
			const run = await execute('ImgExampleGenSav');
			const [request] = ctx.images.imageRequests();
			expect(request.body).toMatchObject({ model: 'gpt-image-2', n: 2 });
			const saved = n8n.nodeOutput(run, 'Save Files');
			expect(saved.map((item) => item.binary.data.fileName)).toEqual([1, 2].map((index) => `a-lighthouse-on-a-cliff-at-sunset-watercolor-${index}.png`));
			for (const item of saved) {
				const bytes = fs.readFileSync(path.join(ctx.outputDir, item.binary.data.fileName));
				expect(request.images.map((image) => image.sha256)).toContain(sha256(bytes));
			}
		});

		describe('n8n server (REST API and webhooks)', () => {
			beforeAll(async () => {
				ctx.server = await timed('n8n start until ready', () => n8n.startN8n({ runtime: ctx.runtime, userFolder: ctx.userFolder, env: ctx.env }));
				await ctx.server.setupOwner();
				await ctx.server.login();
			}, 240000);

			afterAll(async () => {
				if (ctx.server) await timed('n8n stop', () => ctx.server.stop());
			}, 60000);

			test("Credential test over REST: n8n runs the credential's declarative test; failures name the fix", async () => {
				const { server, images } = ctx;
				// What the editor does: load the credential (secrets redacted), then test it.
				const stored = await server.rest('GET', `/credentials/${wf.CREDENTIAL.id}?includeData=true`);
				expect(JSON.stringify(stored)).not.toContain(API_KEY);
				expect(stored.data).toMatchObject({ authentication: 'bearer', baseUrl: images.baseUrl });
				const credentials = { id: wf.CREDENTIAL.id, name: wf.CREDENTIAL.name, type: wf.CREDENTIAL_TYPE, data: stored.data };
				const testWith = (data) => server.rest('POST', server.paths.credentialTest, { credentials: { ...credentials, data: { ...stored.data, ...data } } });
				const modelCalls = () => images.requests.filter((request) => request.kind === 'models').map((request) => [request.path, request.headers.authorization, request.status]);

				expect(await testWith({ baseUrl: ` ${images.baseUrl}/images/generations/ ` })).toEqual({ status: 'OK', message: 'Connection successful!' });
				expect(modelCalls()).toEqual([['/v1/models', `Bearer ${API_KEY}`, 200]]);

				// n8n 2.x applies the credential's status rules; 1.x shows its own message for the status.
				// Both send a request that got 401 once more (n8n re-authenticates and retries).
				images.reset();
				const bad = await testWith({ apiKey: WRONG_KEY });
				expect(bad).toEqual({
					status: 'Error',
					message: major === '2'
						? "The server rejected the API key (HTTP 401). Check the key, and that it belongs to this Base URL's server."
						: 'Authorization failed - please check your credentials',
				});
				expect(modelCalls()).toEqual([['/v1/models', `Bearer ${WRONG_KEY}`, 401], ['/v1/models', `Bearer ${WRONG_KEY}`, 401]]);

				images.reset();
				images.respondNext({ status: 401, text: `invalid key ${API_KEY}`, times: 2 });
				const echoed = await testWith({});
				expect(echoed.status).toBe('Error');
				expect(JSON.stringify(echoed)).not.toContain(API_KEY);

				images.reset();
				images.respondNext({ status: 200, html: '<html><title>Welcome</title></html>' });
				expect(await testWith({})).toEqual({
					status: 'Error',
					message: 'The server answered, but not with a model list. Check that the Base URL is the API root (OpenAI and most gateways: ending in /v1).',
				});

				images.reset();
				images.respondNext({ only: 'models', status: 302, redirect: 'http://127.0.0.1:9/v1/models' });
				expect(await testWith({})).toEqual({
					status: 'Error',
					message: major === '2'
						? 'The server redirects the request (HTTP 302). Set the Base URL to the address it redirects to, often https:// instead of http://.'
						: 'Request failed with status code 302',
				});
				expect(modelCalls()).toHaveLength(1);

				images.reset();
				expect(await testWith({ baseUrl: 'api.openai.com/v1' })).toEqual({
					status: 'Error',
					message: 'The Base URL "api.openai.com/v1" must start with http:// or https:// and a host name, without a query (?...), fragment (#...) or spaces, e.g. https://api.openai.com/v1.',
				});
				expect(modelCalls()).toHaveLength(0);
			});

			test('AI Agent calls the image tool: the model gets count, size, file names, revised prompt, URLs (and on 2.x a link the chat can show)', async () => {
				const { server, images, agentModel } = ctx;
				agentModel.reset();
				// WEBHOOK_URL: the links n8n signs point at this running server, as in a real instance.
				const run = await execute(wf.AGENT.id, { WEBHOOK_URL: `${server.url}/` });
				const { prompt } = wf.AGENT.toolArgs;

				const completions = agentModel.completions();
				expect(completions).toHaveLength(2);
				expect(completions[0].headers.authorization).toBe(`Bearer ${AGENT_MODEL_KEY}`);
				const offered = completions[0].body.tools.map((tool) => tool.function.name);
				expect(offered).toEqual(['Generate_Image']);
				expect(JSON.stringify(completions[0].body.tools[0].function.parameters)).toContain('"prompt"');

				// DALL·E 3 makes one image per call: n=2 is two calls, each with the model's prompt.
				const generations = images.imageRequests();
				expect(generations.map((request) => request.body)).toEqual([0, 1].map(() => expect.objectContaining({ model: 'dall-e-3', prompt, n: 1, response_format: 'url' })));
				const downloads = images.requests.filter((request) => request.kind === 'download');
				expect(downloads).toHaveLength(2);

				const [toolResult] = agentModel.toolResults();
				process.stderr.write(`[e2e] v${major} the AI Agent's model received this tool result: ${toolResult}\n`);
				const received = JSON.parse(toolResult);
				const answer = Array.isArray(received) ? received : [received];
				expect(answer).toHaveLength(1);
				const [result] = answer;
				const fileNames = ['a-red-fox-in-the-snow-1.png', 'a-red-fox-in-the-snow-2.png'];
				expect(result).toMatchObject({ imageCount: 2, result: expect.stringContaining(`Generated 2 images for the prompt "${prompt}": ${fileNames.join(', ')}.`) });
				expect(result.images).toEqual(
					fileNames.map((fileName, index) => ({
						fileName,
						mimeType: 'image/png',
						width: 1024,
						height: 1024,
						size: '1024x1024',
						revised_prompt: `${prompt} (revised)`,
						url: `${images.url}${downloads[index].path}`,
						...(major === '2' ? { link: expect.stringMatching(new RegExp(`^${server.url}/rest/binary-data/signed\\?token=`)) } : {}),
					})),
				);
				if (major === '2') {
					// The link opens without a login and gives the stored image.
					const res = await fetch(result.images[0].link);
					expect(res.status).toBe(200);
					const bytes = Buffer.from(await res.arrayBuffer());
					expect(downloads.flatMap((request) => request.images).map((image) => image.sha256)).toContain(sha256(bytes));
					expect(result.result).toContain('![short description](link)');
				} else {
					// n8n 1.x keeps binary data in memory by default: there is nothing to link to.
					expect(result.result).toContain('![short description](url)');
				}

				// The images stay in the tool node's own run data (shown on it in the editor), both in one item.
				const [toolRun] = run.data.resultData.runData[wf.AGENT.toolNode];
				const toolItems = (toolRun.data.ai_tool || toolRun.data.main)[0];
				expect(toolItems).toHaveLength(1);
				expect(Object.keys(toolItems[0].binary)).toEqual(['data', 'data_1']);
				expect(toolItems[0].binary.data).toMatchObject({ fileName: fileNames[0], mimeType: 'image/png' });

				// The agent's answer is the model's last message, which had the tool result to work with.
				const [agentItem] = n8n.nodeOutput(run, 'AI Agent');
				expect(agentItem.json.output).toBe(`Here is what the image tool made: ${toolResult}`);
			});

			test('The examples that save files run as the editor runs them (Execute workflow, in the server npm start starts)', async () => {
				const { server } = ctx;
				// Only the folder the setup made stays: the files come from these runs.
				for (const name of fs.readdirSync(ctx.outputDir)) fs.rmSync(path.join(ctx.outputDir, name));
				for (const [id, count] of [['ImgExampleGenSav', 2], ['ImgExampleBatch1', 3]]) {
					const workflowData = await server.rest('GET', `/workflows/${id}`);
					// What the editor's "Execute workflow" sends (2.x reads triggerToStartFrom, 1.x workflowData too).
					const started = await server.rest('POST', `/workflows/${id}/run`, { workflowData, triggerToStartFrom: { name: 'Start' } });
					expect(started.executionId).toEqual(expect.any(String));
					const execution = await poll(`the editor run of ${id}`, async () => {
						const found = await server.getExecution(started.executionId);
						return found.finished || ['success', 'error', 'crashed'].includes(found.status) ? found : undefined;
					}, 120000);
					const error = execution.data.resultData.error;
					expect([id, execution.status, error && error.message]).toEqual([id, 'success', undefined]);
					const saved = n8n.nodeOutput(execution, 'Save Files');
					expect(saved).toHaveLength(count);
					for (const item of saved) expect(fs.existsSync(path.join(ctx.outputDir, item.binary.data.fileName))).toBe(true);
				}
				expect(fs.readdirSync(ctx.outputDir)).toHaveLength(5);
			});

			test('Example webhook-generate-image.json: activated, answers GET with the PNG', async () => {
				const { server, images } = ctx;
				await server.activateWorkflow('ImgExampleWebhk1');
				const prompt = 'A paper boat on a pond';
				const res = await timed('webhook round trip', () =>
					server.waitForWebhook(`generate-image?prompt=${encodeURIComponent(prompt)}`),
				);
				const body = Buffer.from(await res.arrayBuffer());
				expect(res.status).toBe(200);
				expect(res.headers.get('content-type')).toMatch(/^image\/png/);
				expect(pngSize(body)).toEqual({ width: 1024, height: 1024 });

				const requests = images.imageRequests();
				expect(requests).toHaveLength(1);
				expectAuthorized(requests[0]);
				expect(requests[0].body).toEqual({ model: 'gpt-image-2', prompt, n: 1, size: '1024x1024', quality: 'low' });
				expect(requests[0].images).toHaveLength(1);
				expect({ size: body.length, sha256: sha256(body) }).toEqual({
					size: requests[0].images[0].size,
					sha256: requests[0].images[0].sha256,
				});

				// The execution as the editor shows it.
				const execution = await poll('the webhook execution to be saved', async () => {
					const list = await server.rest('GET', '/executions');
					const found = (list.results || list).find((e) => e.workflowId === 'ImgExampleWebhk1' && e.status !== 'running' && e.status !== 'new');
					return found;
				});
				expect(execution.status).toBe('success');
				const full = await server.getExecution(execution.id);
				expect(JSON.stringify(full)).not.toContain(API_KEY);
				const [item] = n8n.nodeOutput(full, 'Generate Image');
				expect(item.binary.data).toMatchObject({ mimeType: 'image/png', fileName: 'a-paper-boat-on-a-pond-1.png', fileExtension: 'png' });
				expect(sha256(await server.binary(item.binary.data))).toBe(sha256(body));
			});
		});

		test("the API key is nowhere in n8n's files (database, binary data, logs)", () => {
			const nodesDir = path.join(ctx.userFolder, '.n8n', 'nodes');
			const files = listFiles(ctx.userFolder, (file) => file === nodesDir);
			// Runs last: after the CLI runs (database) and the server tests (its log file).
			expect(files.some((file) => file.endsWith('database.sqlite'))).toBe(true);
			expect(files.some((file) => /n8n-\d+\.log$/.test(file))).toBe(true);
			const leaking = files.filter((file) => fs.readFileSync(file).includes(API_KEY));
			expect(leaking).toEqual([]);
		});
	});
}

module.exports = { describeMajor, stopwatch, pinnedVersion, pngSize, splitParts, listFiles, poll, sha256, PNG_SIGNATURE };
