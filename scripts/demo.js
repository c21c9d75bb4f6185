'use strict';
/*
 * The one setup of a demo n8n, shared by `npm start`, `npm run generate`, the end-to-end
 * tests (test/e2e/suite.js) and the editor tests (test/browser/editor.test.js), so that the tests run the examples exactly as a user gets them:
 * a pinned real n8n with this package installed, a credential pointing at the bundled image
 * server (or at the provider named by IMAGES_BASE_URL / IMAGES_API_KEY), the example workflows
 * imported, the folder the examples write their files to created, and the environment n8n needs
 * to run them.
 */
const fs = require('node:fs');
const path = require('node:path');

const n8n = require('./lib/n8n');
const { startImageServer } = require('../test/server/image-server');

const REPO = path.resolve(__dirname, '..');
const EXAMPLES = path.join(REPO, 'examples');
const CREDENTIAL_ID = 'OpenAiImagesDemo';
const CREDENTIAL_NAME = 'OpenAI-Compatible Images (demo)';
/** The bundled image server's API key: make your own credential with it (Base URL printed by npm start). */
const LOCAL_KEY = 'sk-local-demo';

const log = (message) => console.log(`[demo] ${message}`);

/** Starts the bundled image server unless the user named a provider; returns where to point the credential. */
async function imageBackend({ port }) {
	if (process.env.IMAGES_BASE_URL) {
		log(`using the provider at ${process.env.IMAGES_BASE_URL} (IMAGES_BASE_URL)`);
		return { baseUrl: process.env.IMAGES_BASE_URL, apiKey: process.env.IMAGES_API_KEY ?? '', local: false, close: async () => {} };
	}
	log(`starting the bundled local image server on 127.0.0.1:${port} (no API key or network needed)`);
	const server = await startImageServer({ port, apiKey: LOCAL_KEY, keepBodies: false });
	return { baseUrl: server.baseUrl, apiKey: LOCAL_KEY, local: true, close: () => server.close(), server };
}

/** Where the examples write their files, for an n8n user folder. */
function outputDirFor(userFolder) {
	return path.join(userFolder, 'generated-images');
}

/** Environment that lets the example workflows read $env and write into the output folder. */
function exampleEnv(outputDir) {
	return {
		IMAGES_OUTPUT_DIR: outputDir,
		// The examples read $env.IMAGES_OUTPUT_DIR: n8n 2.x blocks $env unless this is false.
		N8N_BLOCK_ENV_ACCESS_IN_NODE: 'false',
		// n8n 2.x lets Read/Write Files touch only ~/.n8n-files unless told otherwise.
		N8N_RESTRICT_FILE_ACCESS_TO: outputDir,
	};
}

/** The example workflows, as in examples/. */
function exampleWorkflows() {
	return fs
		.readdirSync(EXAMPLES)
		.filter((name) => name.endsWith('.json'))
		.sort()
		.map((file) => JSON.parse(fs.readFileSync(path.join(EXAMPLES, file), 'utf8')));
}

/**
 * Provisions n8n, installs the built package, creates the output folder, imports the credential
 * and the examples (plus `credentials` and `workflows` of the caller's own, in the same CLI calls).
 * Returns { runtime, workflows (the examples), outputDir, env }: `env` is what every n8n process
 * (`n8n start`, `n8n execute`) needs to run the examples.
 */
async function prepareN8n({ major, userFolder, baseUrl, apiKey, outputDir = outputDirFor(userFolder), credentials = [], workflows = [], say = log }) {
	if (!n8n.isProvisioned(major)) {
		say(`n8n ${major}.x is not installed yet: installing it into ${n8n.cacheDir(major)} (this first time only: a few minutes and about 2.7 GB; later starts reuse it)`);
	}
	const runtime = await n8n.provision(major, { log: (line) => say(line) });
	say(`using n8n ${runtime.version} from ${n8n.cacheDir(major)}`);
	fs.mkdirSync(userFolder, { recursive: true });
	if (!fs.existsSync(path.join(REPO, 'dist'))) throw new Error('dist/ is missing: run npm run build first');
	const installed = n8n.installPackage(userFolder, REPO);
	say(`installed ${installed.name}@${installed.version} into ${userFolder}/.n8n/nodes`);
	// Read/Write Files does not create folders: without it "Save Files" fails on a fresh machine.
	fs.mkdirSync(outputDir, { recursive: true });
	say(`the examples write their files to ${outputDir}`);
	// Each import is an n8n CLI run that boots n8n first (10 to 30 s), with nothing to show meanwhile.
	await step(say, `creating the credential "${CREDENTIAL_NAME}" -> ${baseUrl}`, () =>
		n8n.importCredentials(runtime, userFolder, [
			{ id: CREDENTIAL_ID, name: CREDENTIAL_NAME, type: 'openAiCompatibleImagesApi', data: { authentication: 'bearer', baseUrl, apiKey } },
			...credentials,
		]),
	);
	const examples = exampleWorkflows();
	await step(say, `importing the example workflows ${examples.map((workflow) => `"${workflow.name}"`).join(', ')}`, () =>
		n8n.importWorkflows(runtime, userFolder, [...examples, ...workflows]),
	);
	return { runtime, workflows: examples, outputDir, env: exampleEnv(outputDir) };
}

/**
 * Runs a slow step, saying what it does and how long it takes, that it is still at it every 10 s,
 * and when it is done: a newcomer otherwise sees nothing for the 10 to 30 s an n8n CLI call takes.
 */
async function step(say, what, run, expected = "an n8n CLI run: 10 to 30 s") {
	const started = Date.now();
	const seconds = () => Math.round((Date.now() - started) / 1000);
	say(`${what} (${expected}) ...`);
	const ticker = setInterval(() => say(`  ... still at it, ${seconds()} s`), 10000);
	try {
		const result = await run();
		say(`  done in ${seconds()} s`);
		return result;
	} finally {
		clearInterval(ticker);
	}
}

/**
 * What `npm start` does once n8n is up: the owner account (kept from an earlier run), a login,
 * and the webhook example activated so its production URL answers. Returns { webhook }.
 */
async function serveExamples(server, workflows, owner) {
	try {
		await server.setupOwner(owner);
	} catch (error) {
		if (error.status !== 400) throw error; // the owner exists from an earlier run
	}
	await server.login(owner);
	const webhook = workflows.find((workflow) => workflow.nodes.some((node) => node.type === 'n8n-nodes-base.webhook'));
	if (webhook) await server.activateWorkflow(webhook.id);
	return { webhook };
}

module.exports = { imageBackend, prepareN8n, serveExamples, step, outputDirFor, exampleEnv, exampleWorkflows, log, REPO, EXAMPLES, CREDENTIAL_ID, CREDENTIAL_NAME, LOCAL_KEY };
