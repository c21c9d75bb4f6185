#!/usr/bin/env node
'use strict';
/*
 * Proves the real-n8n harness (scripts/lib/n8n.js) on this machine.
 *
 *   node scripts/n8n-smoke.js          # both majors (1 and 2)
 *   node scripts/n8n-smoke.js 2        # only n8n 2.x
 *
 * For each major: provision the pinned runtime (cold, then warm), install a throwaway
 * community package `n8n-nodes-smoke` (node `smoke` + credential `smokeApi`) into a temp
 * user folder, import a credential and a workflow, run it with `n8n execute`, then start
 * `n8n start`, set up the owner, log in, list workflows, test the credential over REST
 * (against a local mock server), activate a webhook workflow and call it.
 * Exits non-zero on the first failed check. Temp folders are removed on success unless
 * N8N_SMOKE_KEEP=1.
 */

const assert = require('node:assert/strict');
const crypto = require('node:crypto');
const fs = require('node:fs');
const http = require('node:http');
const os = require('node:os');
const path = require('node:path');

const n8n = require('./lib/n8n');

const GOOD_KEY = 'smoke-good-key';

function log(msg) {
	console.log(`${new Date().toISOString().slice(11, 19)} ${msg}`);
}

async function timed(timings, label, fn) {
	const t = Date.now();
	try {
		return await fn();
	} finally {
		timings.push([label, (Date.now() - t) / 1000]);
		log(`  ${label}: ${((Date.now() - t) / 1000).toFixed(1)} s`);
	}
}

/** Mock upstream for the credential test: 200 with the right bearer key, 401 otherwise. */
function startMock() {
	const server = http.createServer((req, res) => {
		const ok = req.headers.authorization === `Bearer ${GOOD_KEY}`;
		res.writeHead(ok ? 200 : 401, { 'content-type': 'application/json' });
		res.end(JSON.stringify(ok ? { data: [] } : { error: { message: 'Incorrect API key provided' } }));
	});
	return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve(server)));
}

/** Writes a tiny built community package (what `npm run build` would leave) into a temp folder. */
function writeSmokePackage(dir) {
	const files = {
		'package.json': JSON.stringify(
			{
				name: 'n8n-nodes-smoke',
				version: '0.0.1',
				description: 'Throwaway package for the harness smoke test',
				license: 'MIT',
				keywords: ['n8n-community-node-package'],
				files: ['dist'],
				n8n: {
					n8nNodesApiVersion: 1,
					strict: true,
					credentials: ['dist/credentials/SmokeApi.credentials.js'],
					nodes: ['dist/nodes/Smoke/Smoke.node.js'],
				},
				peerDependencies: { 'n8n-workflow': '*' },
			},
			null,
			2,
		),
		'README.md': '# n8n-nodes-smoke\n\nThrowaway package for the harness smoke test.\n',
		'LICENSE.md': 'MIT\n',
		'dist/credentials/SmokeApi.credentials.js': `"use strict";
Object.defineProperty(exports, "__esModule", { value: true });
exports.SmokeApi = void 0;
class SmokeApi {
	constructor() {
		this.name = 'smokeApi';
		this.displayName = 'Smoke API';
		this.properties = [
			{ displayName: 'API Key', name: 'apiKey', type: 'string', typeOptions: { password: true }, default: '' },
			{ displayName: 'Base URL', name: 'baseUrl', type: 'string', default: '' },
		];
		this.authenticate = {
			type: 'generic',
			properties: { headers: { Authorization: '=Bearer {{$credentials.apiKey}}' } },
		};
		this.test = { request: { baseURL: '={{$credentials.baseUrl}}', url: '/models' } };
	}
}
exports.SmokeApi = SmokeApi;
`,
		'dist/nodes/Smoke/Smoke.node.js': `"use strict";
Object.defineProperty(exports, "__esModule", { value: true });
exports.Smoke = void 0;
// Resolving n8n-workflow from a package in <user folder>/.n8n/nodes proves n8n's NODE_PATH set-up.
const n8n_workflow_1 = require("n8n-workflow");
class Smoke {
	constructor() {
		this.description = {
			displayName: 'Smoke',
			name: 'smoke',
			group: ['transform'],
			version: 1,
			description: 'Outputs hello world and a small binary file',
			defaults: { name: 'Smoke' },
			inputs: ['main'],
			outputs: ['main'],
			credentials: [{ name: 'smokeApi', required: false }],
			properties: [{ displayName: 'Text', name: 'text', type: 'string', default: 'hello binary' }],
		};
	}
	async execute() {
		const items = this.getInputData();
		const out = [];
		for (let i = 0; i < items.length; i++) {
			const text = this.getNodeParameter('text', i);
			if (!text) throw new n8n_workflow_1.NodeOperationError(this.getNode(), 'Text is empty', { itemIndex: i });
			let keyLength = null;
			try {
				const credentials = await this.getCredentials('smokeApi');
				keyLength = String(credentials.apiKey).length;
			} catch (error) {
				keyLength = 'no credential: ' + error.message;
			}
			const data = await this.helpers.prepareBinaryData(Buffer.from(text), 'hello.txt', 'text/plain');
			out.push({
				json: { hello: 'world', keyLength, nodeVersion: process.version },
				binary: { data },
				pairedItem: { item: i },
			});
		}
		return [out];
	}
}
exports.Smoke = Smoke;
`,
	};
	for (const [name, content] of Object.entries(files)) {
		fs.mkdirSync(path.dirname(path.join(dir, name)), { recursive: true });
		fs.writeFileSync(path.join(dir, name), content);
	}
	return dir;
}

function manualWorkflow(cred) {
	return {
		id: n8n.n8nId(),
		name: 'Smoke manual',
		active: false,
		nodes: [
			{ id: crypto.randomUUID(), name: 'Start', type: 'n8n-nodes-base.manualTrigger', typeVersion: 1, position: [0, 0], parameters: {} },
			{
				id: crypto.randomUUID(),
				name: 'Smoke',
				type: 'n8n-nodes-smoke.smoke',
				typeVersion: 1,
				position: [220, 0],
				parameters: { text: 'hello binary' },
				credentials: { smokeApi: { id: cred.id, name: cred.name } },
			},
		],
		connections: { Start: { main: [[{ node: 'Smoke', type: 'main', index: 0 }]] } },
		settings: { executionOrder: 'v1' },
	};
}

function webhookWorkflow(cred) {
	const hook = (name, p, y) => ({
		id: crypto.randomUUID(),
		name,
		type: 'n8n-nodes-base.webhook',
		typeVersion: 2,
		position: [0, y],
		webhookId: crypto.randomUUID(),
		parameters: { httpMethod: 'GET', path: p, responseMode: 'responseNode', options: {} },
	});
	const smoke = (name, y) => ({
		id: crypto.randomUUID(),
		name,
		type: 'n8n-nodes-smoke.smoke',
		typeVersion: 1,
		position: [220, y],
		parameters: { text: 'hello over webhook' },
		credentials: { smokeApi: { id: cred.id, name: cred.name } },
	});
	const respond = (name, y, parameters) => ({
		id: crypto.randomUUID(),
		name,
		type: 'n8n-nodes-base.respondToWebhook',
		typeVersion: 1.1,
		position: [440, y],
		parameters: { ...parameters, options: {} },
	});
	return {
		id: n8n.n8nId(),
		name: 'Smoke webhook',
		active: false,
		nodes: [
			hook('Webhook JSON', 'smoke-json', 0),
			smoke('Smoke JSON', 0),
			respond('Respond JSON', 0, { respondWith: 'firstIncomingItem' }),
			hook('Webhook Binary', 'smoke-binary', 200),
			smoke('Smoke Binary', 200),
			respond('Respond Binary', 200, { respondWith: 'binary' }),
		],
		connections: {
			'Webhook JSON': { main: [[{ node: 'Smoke JSON', type: 'main', index: 0 }]] },
			'Smoke JSON': { main: [[{ node: 'Respond JSON', type: 'main', index: 0 }]] },
			'Webhook Binary': { main: [[{ node: 'Smoke Binary', type: 'main', index: 0 }]] },
			'Smoke Binary': { main: [[{ node: 'Respond Binary', type: 'main', index: 0 }]] },
		},
		settings: { executionOrder: 'v1' },
	};
}

function listFiles(dir, base = dir, out = []) {
	if (!fs.existsSync(dir)) return out;
	for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
		const full = path.join(dir, entry.name);
		if (entry.isDirectory()) {
			if (entry.name !== 'node_modules') listFiles(full, base, out);
		} else out.push(path.relative(base, full));
	}
	return out;
}

async function smoke(major, mockUrl) {
	const timings = [];
	log(`=== n8n v${major} ===`);
	const cold = !fs.existsSync(path.join(n8n.cacheDir(major), '.provisioned.json'));
	const runtime = await timed(timings, `provision (${cold ? 'cold install' : 'already installed'})`, () =>
		n8n.provision(major, { log }),
	);
	await timed(timings, 'provision (warm)', () => n8n.provision(major, { log }));
	log(`  n8n ${runtime.version}, node ${runtime.nodeBin}`);

	const userFolder = fs.mkdtempSync(path.join(os.tmpdir(), `n8n-smoke-v${major}-`));
	const pkgDir = writeSmokePackage(fs.mkdtempSync(path.join(os.tmpdir(), 'n8n-nodes-smoke-')));
	const installed = n8n.installPackage(userFolder, pkgDir);
	log(`  user folder ${userFolder}; installed ${installed.name}@${installed.version}`);

	const [cred] = await timed(timings, 'CLI import:credentials', () =>
		n8n.importCredentials(runtime, userFolder, [
			{ name: 'Smoke key', type: 'smokeApi', data: { apiKey: GOOD_KEY, baseUrl: mockUrl } },
		]),
	);
	const manual = await timed(timings, 'CLI import:workflow', () => n8n.importWorkflow(runtime, userFolder, manualWorkflow(cred)));
	const result = await timed(timings, 'CLI execute', () => n8n.executeWorkflow(runtime, userFolder, manual.id));
	assert.equal(result.exitCode, 0, `execute failed: ${n8n.tail(result.cliOutput.stderr)}`);
	const items = n8n.nodeOutput(result, 'Smoke');
	log(`  CLI output of Smoke: ${JSON.stringify(items)}`);
	assert.equal(items[0].json.hello, 'world');
	assert.equal(items[0].json.keyLength, GOOD_KEY.length);
	assert.equal(items[0].binary.data.fileName, 'hello.txt');
	assert.equal(n8n.readBinary(userFolder, items[0].binary.data).toString(), 'hello binary');

	if (major === '1') {
		// 1.x keeps binaries in memory (base64 in the run data) unless told otherwise.
		const fsRun = await n8n.executeWorkflow(runtime, userFolder, manual.id, { N8N_DEFAULT_BINARY_DATA_MODE: 'filesystem' });
		const fsBinary = n8n.nodeOutput(fsRun, 'Smoke')[0].binary.data;
		log(`  CLI execute with N8N_DEFAULT_BINARY_DATA_MODE=filesystem: binary ${JSON.stringify(fsBinary)}`);
		assert.equal(n8n.readBinary(userFolder, fsBinary).toString(), 'hello binary');
	}

	// A failing run: exit code 1, the error in data.resultData.error.
	const failing = manualWorkflow(cred);
	failing.id = n8n.n8nId();
	failing.name = 'Smoke failing';
	failing.nodes[1].parameters.text = '';
	await n8n.importWorkflow(runtime, userFolder, failing);
	const failed = await timed(timings, 'CLI execute (failing run)', () => n8n.executeWorkflow(runtime, userFolder, failing.id));
	log(`  failing run: exit ${failed.exitCode}, status ${failed.status}, error "${failed.data.resultData.error.message}"`);
	assert.equal(failed.exitCode, 1);
	assert.equal(failed.data.resultData.error.message, 'Text is empty');

	const hookWf = await n8n.importWorkflow(runtime, userFolder, webhookWorkflow(cred));

	const server = await timed(timings, 'n8n start until ready', () =>
		n8n.startN8n({ runtime, userFolder, log }),
	);
	try {
		const owner = await server.setupOwner({ email: 'smoke@example.com', password: 'Smoke-Pass-123' });
		log(`  owner set up via POST ${server.paths.ownerSetup}: ${owner.email}`);
		await server.login();
		log(`  logged in via POST ${server.paths.login}`);
		const workflows = await server.rest('GET', '/workflows');
		const list = Array.isArray(workflows) ? workflows : workflows.data || workflows;
		log(`  GET /rest/workflows: ${list.map((w) => `${w.id} "${w.name}" active=${w.active}`).join(', ')}`);
		assert.ok(list.some((w) => w.id === manual.id));
		const types = (await server.nodeTypes()).filter((t) => t.name.startsWith(`${installed.name}.`));
		log(`  GET /types/nodes.json: ${types.map((t) => t.name).join(', ')}`);
		assert.ok(types.some((t) => t.name === 'n8n-nodes-smoke.smoke'));

		const good = await server.rest('POST', server.paths.credentialTest, {
			credentials: { id: cred.id, name: cred.name, type: cred.type, data: { apiKey: GOOD_KEY, baseUrl: mockUrl } },
		});
		const bad = await server.rest('POST', server.paths.credentialTest, {
			credentials: { id: cred.id, name: cred.name, type: cred.type, data: { apiKey: 'wrong', baseUrl: mockUrl } },
		});
		log(`  credential test POST ${server.paths.credentialTest}: good=${JSON.stringify(good)} bad=${JSON.stringify(bad)}`);
		assert.equal(good.status, 'OK');
		assert.equal(bad.status, 'Error');

		await timed(timings, 'activate webhook workflow', () => server.activateWorkflow(hookWf.id));
		const jsonRes = await timed(timings, 'webhook JSON round trip (incl. registration wait)', () =>
			server.waitForWebhook('smoke-json'),
		);
		const body = await jsonRes.json();
		log(`  GET /webhook/smoke-json -> ${jsonRes.status} ${JSON.stringify(body)}`);
		assert.equal(jsonRes.status, 200);
		assert.equal(body.hello, 'world');
		const binRes = await server.waitForWebhook('smoke-binary');
		const bin = await binRes.text();
		log(`  GET /webhook/smoke-binary -> ${binRes.status} ${binRes.headers.get('content-type')} "${bin}"`);
		assert.equal(bin, 'hello over webhook');

		const executions = await server.rest('GET', '/executions');
		const execList = executions.results || executions;
		log(`  GET /rest/executions: ${execList.map((e) => `${e.id}:${e.mode}:${e.status}`).join(', ')}`);
		const run = await server.getExecution(execList[0].id);
		const hookItems = n8n.nodeOutput(run, 'Smoke Binary') || n8n.nodeOutput(run, 'Smoke JSON');
		log(`  GET /rest/executions/${execList[0].id} (flatted) -> binary ${JSON.stringify(hookItems[0].binary.data)}`);
		const bytes = await server.binary(hookItems[0].binary.data);
		log(`  GET /rest/binary-data?id=...&action=download -> "${bytes}"`);
		assert.equal(bytes.toString(), 'hello over webhook');
	} finally {
		await timed(timings, 'stop', () => server.stop());
	}
	const files = listFiles(path.join(userFolder, '.n8n')).filter((f) => !f.startsWith('nodes/'));
	log(`  files in ${userFolder}/.n8n: ${files.join(', ')}`);
	if (process.env.N8N_SMOKE_KEEP) log(`  kept ${userFolder} (N8N_SMOKE_KEEP)`);
	else for (const dir of [userFolder, pkgDir]) fs.rmSync(dir, { recursive: true, force: true });
	return { major, version: runtime.version, timings };
}

async function main() {
	const majors = process.argv.slice(2).length ? process.argv.slice(2) : ['1', '2'];
	const mock = await startMock();
	const mockUrl = `http://127.0.0.1:${mock.address().port}`;
	const results = [];
	try {
		for (const major of majors) results.push(await smoke(major, mockUrl));
	} finally {
		mock.close();
	}
	log('=== timings (s) ===');
	for (const { major, version, timings } of results) {
		log(`n8n ${version} (v${major}): ${timings.map(([k, v]) => `${k} ${v.toFixed(1)}`).join('; ')}`);
	}
	log('smoke test passed');
}

main().catch((err) => {
	console.error(err);
	process.exit(1);
});
