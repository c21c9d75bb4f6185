#!/usr/bin/env node
'use strict';
/*
 * `npm start`: a real n8n on http://127.0.0.1:5678 with this node installed, the bundled
 * local image server, a credential and the example workflows, and an owner account ready.
 *
 *   N8N_MAJOR=1 npm start            run n8n 1.x (Node 20) instead of 2.x (Node 24)
 *   N8N_PORT=5679 npm start          another port
 *   DEMO_USER_FOLDER=/tmp/demo npm start   another n8n user folder (default: demo-v<major> beside the cached n8n)
 *   IMAGES_BASE_URL=https://api.openai.com/v1 IMAGES_API_KEY=sk-... npm start
 *                                    point the credential at a real provider instead
 */
const path = require('node:path');

const n8n = require('./lib/n8n');
const { CREDENTIAL_NAME, REPO, imageBackend, log, prepareN8n, serveExamples, step } = require('./demo');

const OWNER = { email: 'demo@example.com', password: 'Demo-Pass-123', firstName: 'Demo', lastName: 'Owner' };

async function main() {
	const major = process.env.N8N_MAJOR ?? '2';
	const port = Number(process.env.N8N_PORT ?? 5678);
	const userFolder = process.env.DEMO_USER_FOLDER
		? path.resolve(process.env.DEMO_USER_FOLDER)
		: path.join(path.dirname(n8n.cacheDir(major)), `demo-v${major}`);
	const backend = await imageBackend({ port: Number(process.env.IMAGES_SERVER_PORT ?? 8787) });
	const { runtime, workflows, outputDir, env } = await prepareN8n({
		major,
		userFolder,
		baseUrl: backend.baseUrl,
		apiKey: backend.apiKey,
		outputDir: path.join(REPO, 'generated-images'),
	});

	const server = await step(log, `starting n8n ${runtime.version} on http://127.0.0.1:${port}`, () => n8n.startN8n({ runtime, userFolder, port, env }), '10 to 60 s');
	let stopping = false;
	const stop = async () => {
		if (stopping) return;
		stopping = true;
		log('stopping n8n and the image server');
		await server.stop();
		await backend.close();
		process.exit(0);
	};
	process.on('SIGINT', stop);
	process.on('SIGTERM', stop);
	server.process.on('exit', (code) => {
		if (!stopping) {
			console.error(`n8n exited (${code}); see ${server.logFile}`);
			process.exit(1);
		}
	});

	const { webhook } = await serveExamples(server, workflows, OWNER);

	const say = (line = '') => console.log(line && `  ${line}`);
	say();
	say(`n8n ${runtime.version} is running: open ${server.url} and log in as ${OWNER.email} / ${OWNER.password}`);
	say('The example workflows are in the Overview, named "Example: ..."; the node is "OpenAI-Compatible Images".');
	for (const workflow of workflows.filter((w) => w !== webhook)) say(`- "${workflow.name}": open it and click "Execute workflow"`);
	say(`  (the images are written to ${outputDir})`);
	if (webhook) {
		const trigger = webhook.nodes.find((node) => node.type === 'n8n-nodes-base.webhook');
		const query = '?prompt=a+red+fox';
		say(`- "${webhook.name}": it is active, so its production URL answers right away:`);
		say(`    curl -o fox.png "${server.url}/webhook/${trigger.parameters.path}${query}"`);
		say('  To watch it run in the editor: open it, click "Execute workflow" (the editor then waits for one call), then call its Test URL:');
		say(`    curl -o fox.png "${server.url}/webhook-test/${trigger.parameters.path}${query}"`);
	}
	if (backend.local) {
		say(`Local image server: Base URL ${backend.baseUrl}, API key ${backend.apiKey}`);
		say(`  (the credential "${CREDENTIAL_NAME}" uses them; use them for a credential of your own)`);
	} else {
		say(`Image provider: ${backend.baseUrl} (credential "${CREDENTIAL_NAME}")`);
	}
	say(`n8n log: ${server.logFile}`);
	say('Ctrl-C stops everything');
}

main().catch((error) => {
	console.error(error.message || error);
	process.exit(1);
});
