'use strict';
/*
 * What `npm start` and `npm run generate` share: a pinned real n8n with this package
 * installed, a credential pointing at the bundled image server (or at the provider named by
 * IMAGES_BASE_URL / IMAGES_API_KEY), and the example workflows imported.
 */
const fs = require('node:fs');
const path = require('node:path');

const n8n = require('./lib/n8n');
const { startImageServer } = require('../test/server/image-server');

const REPO = path.resolve(__dirname, '..');
const EXAMPLES = path.join(REPO, 'examples');
const CREDENTIAL_ID = 'OpenAiImagesDemo';
const LOCAL_KEY = 'sk-local-demo';

const log = (message) => console.log(`[demo] ${message}`);

/** Starts the bundled image server unless the user named a provider; returns where to point the credential. */
async function imageBackend({ port }) {
	if (process.env.IMAGES_BASE_URL) {
		log(`using the provider at ${process.env.IMAGES_BASE_URL} (IMAGES_BASE_URL)`);
		return { baseUrl: process.env.IMAGES_BASE_URL, apiKey: process.env.IMAGES_API_KEY ?? '', close: async () => {} };
	}
	log(`starting the bundled local image server on 127.0.0.1:${port} (no API key or network needed)`);
	const server = await startImageServer({ port, apiKey: LOCAL_KEY, keepBodies: false });
	return { baseUrl: server.baseUrl, apiKey: LOCAL_KEY, close: () => server.close(), server };
}

/** Provisions n8n, installs the built package, imports the credential and the examples. */
async function prepareN8n({ major, userFolder, baseUrl, apiKey }) {
	log(`provisioning n8n ${major}.x (the first time this downloads and installs n8n: a few minutes)`);
	const runtime = await n8n.provision(major, { log: (line) => log(line) });
	fs.mkdirSync(userFolder, { recursive: true });
	if (!fs.existsSync(path.join(REPO, 'dist'))) throw new Error('dist/ is missing: run npm run build first');
	const installed = n8n.installPackage(userFolder, REPO);
	log(`installed ${installed.name}@${installed.version} into ${userFolder}/.n8n/nodes`);
	log(`creating the credential "OpenAI-Compatible Images (demo)" -> ${baseUrl}`);
	await n8n.importCredentials(runtime, userFolder, [
		{
			id: CREDENTIAL_ID,
			name: 'OpenAI-Compatible Images (demo)',
			type: 'openAiCompatibleImagesApi',
			data: { authentication: 'bearer', baseUrl, apiKey },
		},
	]);
	const workflows = [];
	for (const file of fs.readdirSync(EXAMPLES).filter((name) => name.endsWith('.json')).sort()) {
		const workflow = JSON.parse(fs.readFileSync(path.join(EXAMPLES, file), 'utf8'));
		log(`importing example workflow "${workflow.name}"`);
		workflows.push(await n8n.importWorkflow(runtime, userFolder, workflow));
	}
	return { runtime, workflows };
}

/** Environment that lets the example workflows read $env and write into the output folder. */
function exampleEnv(outputDir) {
	return {
		IMAGES_OUTPUT_DIR: outputDir,
		N8N_BLOCK_ENV_ACCESS_IN_NODE: 'false',
		N8N_RESTRICT_FILE_ACCESS_TO: outputDir,
	};
}

module.exports = { imageBackend, prepareN8n, exampleEnv, log, REPO, EXAMPLES, CREDENTIAL_ID };
