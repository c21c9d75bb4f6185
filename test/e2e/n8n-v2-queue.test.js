'use strict';
/**
 * Queue mode (n8n 2.x only): one main (`n8n start`) and one worker (`n8n worker`) on the same user
 * folder and sqlite database, a throw-away `redis-server` on loopback (installed by the global
 * setup when missing), binary data in the database (N8N_DEFAULT_BINARY_DATA_MODE=database, the
 * 2.x default in queue mode). A production webhook on the main enqueues the execution; the worker
 * runs Generate → Edit (whose answer is a URL the worker downloads) against the loopback image
 * server and the Respond to Webhook answer travels
 * back through Redis to the caller. Skipped when N8N_E2E_MAJORS does not list 2.
 */

const crypto = require('node:crypto');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');

const n8n = require('../../scripts/lib/n8n');
const { startImageServer } = require('../server/image-server');
const { selectedMajors } = require('./majors');
const { pinnedVersion, pngSize, splitParts, listFiles, poll, sha256, stopwatch } = require('./suite');
const wf = require('./workflows');

const MAJOR = '2';
const REPO = path.resolve(__dirname, '..', '..');
const API_KEY = `sk-e2e-queue-${crypto.randomBytes(16).toString('hex')}`;
const escapeRegExp = (text) => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

const enabled = selectedMajors().includes(MAJOR);
const version = pinnedVersion(MAJOR);

(enabled ? describe : describe.skip)(`n8n ${version} queue mode (v2 only): main + worker + Redis, binary data in the database`, () => {
	/** @type {{ runtime?: any, userFolder?: string, images?: any, redis?: any, main?: any, worker?: any }} */
	const ctx = {};
	const { timed, summary } = stopwatch();

	beforeAll(async () => {
		ctx.runtime = await n8n.provision(MAJOR);
		ctx.userFolder = fs.mkdtempSync(path.join(os.tmpdir(), `n8n-images-e2e-queue-v${MAJOR}-`));
		n8n.installPackage(ctx.userFolder, REPO);
		ctx.images = await startImageServer({ apiKey: API_KEY });
		ctx.redis = await timed('redis-server start', () => n8n.startRedis());
		await timed('import:credentials', () =>
			n8n.importCredentials(ctx.runtime, ctx.userFolder, [
				{
					...wf.CREDENTIAL,
					type: wf.CREDENTIAL_TYPE,
					data: { authentication: 'bearer', baseUrl: ctx.images.baseUrl, apiKey: API_KEY },
				},
			]),
		);
		await timed('import:workflow', () => n8n.importWorkflow(ctx.runtime, ctx.userFolder, wf.queueWebhookWorkflow()));

		// Main and worker start side by side (the CLI imports above already migrated the database);
		// each is kept in ctx as soon as it is up, so that afterAll stops it whatever else fails.
		const env = n8n.queueEnv(ctx.redis);
		const starts = await timed('main + worker start until ready', () =>
			Promise.allSettled([
				n8n.startN8n({ runtime: ctx.runtime, userFolder: ctx.userFolder, env }).then((main) => (ctx.main = main)),
				n8n.startWorker({ runtime: ctx.runtime, userFolder: ctx.userFolder, env }).then((worker) => (ctx.worker = worker)),
			]),
		);
		const failed = starts.find((start) => start.status === 'rejected');
		if (failed) throw failed.reason;
		await ctx.main.setupOwner();
		await ctx.main.login();
	}, 300000);

	afterAll(async () => {
		await timed('stop main, worker, redis', async () => {
			await Promise.all([ctx.main && ctx.main.stop(), ctx.worker && ctx.worker.stop()]);
			if (ctx.redis) await ctx.redis.stop();
		});
		if (ctx.images) await ctx.images.close();
		if (ctx.userFolder) {
			if (process.env.N8N_E2E_KEEP) process.stderr.write(`[e2e] kept ${ctx.userFolder} (N8N_E2E_KEEP)\n`);
			else fs.rmSync(ctx.userFolder, { recursive: true, force: true });
		}
		process.stderr.write(`[e2e] n8n ${version} queue mode: ${summary()}\n`);
	}, 90000);

	test('Webhook → Generate → Edit runs on the worker; the caller gets the edited PNG', async () => {
		const { main, worker, images } = ctx;
		await main.activateWorkflow(wf.QUEUE.id);
		// The edit answers with a URL, so the worker also streams a download into database storage.
		images.respondNext({ when: (request) => request.kind === 'edit', shape: 'url' });
		const prompt = 'A lighthouse on a cliff';
		const res = await timed('webhook round trip (generate + edit on the worker)', () =>
			main.waitForWebhook(`${wf.QUEUE.path}?prompt=${encodeURIComponent(prompt)}`, { signal: AbortSignal.timeout(120000) }, 60000),
		);
		const body = Buffer.from(await res.arrayBuffer());
		if (res.status !== 200) {
			throw new Error(`webhook answered ${res.status}: ${body.toString('utf8').slice(0, 500)}\n${n8n.tail(worker.logs())}`);
		}
		expect(res.headers.get('content-type')).toMatch(/^image\/png/);
		expect(pngSize(body)).toEqual({ width: 1024, height: 1024 });

		// What the provider received: the generation, then the edit uploading the generated image.
		const requests = images.imageRequests();
		expect(requests.map((request) => [request.kind, request.method, request.path, request.status])).toEqual([
			['generate', 'POST', '/v1/images/generations', 200],
			['edit', 'POST', '/v1/images/edits', 200],
		]);
		const [generate, edit] = requests;
		for (const request of requests) expect(request.headers.authorization).toBe(`Bearer ${API_KEY}`);
		expect(generate.body).toEqual({ model: 'gpt-image-1', prompt, n: 1, size: '1024x1024', quality: 'low' });
		expect(generate.images).toHaveLength(1);
		expect(edit.headers['content-type']).toMatch(/^multipart\/form-data; boundary=/);
		const { fields, files } = splitParts(edit.parts);
		expect(fields).toEqual({ model: 'gpt-image-1', prompt: `${wf.QUEUE.editPrefix}${prompt}`, n: '1', size: '1024x1024', quality: 'low' });
		expect(files).toEqual([
			{ name: 'image', filename: 'a-lighthouse-on-a-cliff-1.png', contentType: 'image/png', size: generate.images[0].size, sha256: generate.images[0].sha256 },
		]);
		// The caller got exactly the picture the edit answered with, downloaded from its URL.
		expect(edit.images).toHaveLength(1);
		const downloads = images.requests.filter((request) => request.kind === 'download');
		expect(downloads.map((request) => [request.status, request.headers.authorization])).toEqual([[200, undefined]]);
		expect({ size: body.length, sha256: sha256(body) }).toEqual({ size: edit.images[0].size, sha256: edit.images[0].sha256 });

		// It ran on the worker: the main enqueued it, the worker started and finished that job,
		// and the main ran no job itself.
		const execution = await poll('the execution to be saved as finished', async () => {
			const list = await main.rest('GET', '/executions');
			return (list.results || list).find((e) => e.workflowId === wf.QUEUE.id && !['new', 'running'].includes(e.status));
		});
		expect(execution).toMatchObject({ status: 'success', mode: 'webhook' });
		const id = escapeRegExp(String(execution.id));
		const enqueued = await poll('the main to log the enqueued job', () => new RegExp(`Enqueued execution ${id} \\(job (\\d+)\\)`).exec(main.logs()));
		const job = enqueued[1];
		await poll('the worker to log the finished job', () => new RegExp(`Worker finished execution ${id} \\(job ${job}\\)`).test(worker.logs()));
		expect(worker.logs()).toMatch(new RegExp(`Worker started execution ${id} \\(job ${job}\\)`));
		expect(main.logs()).not.toMatch(/Worker (started|finished) execution/);

		// Binary data lives in the database (readable by the main and every worker), not on disk.
		const full = await main.getExecution(execution.id);
		const [generated] = n8n.nodeOutput(full, 'Generate');
		const [edited] = n8n.nodeOutput(full, 'Edit');
		for (const [item, served] of [
			[generated, generate.images[0]],
			[edited, edit.images[0]],
		]) {
			expect(item.binary.data).toMatchObject({ mimeType: 'image/png', fileExtension: 'png' });
			expect(item.binary.data.id).toMatch(/^database:/);
			expect(sha256(await main.binary(item.binary.data))).toBe(served.sha256);
		}
		expect(edited.json).toMatchObject({ model: 'gpt-image-1', prompt: `${wf.QUEUE.editPrefix}${prompt}`, mimeType: 'image/png' });
		const storage = path.join(ctx.userFolder, '.n8n', 'storage');
		const onDisk = fs.existsSync(storage) ? listFiles(storage).filter((file) => file.includes('binary_data')) : [];
		expect(onDisk).toEqual([]);

		// The key is in no stored execution data, log or database file.
		expect(JSON.stringify(full)).not.toContain(API_KEY);
		const nodesDir = path.join(ctx.userFolder, '.n8n', 'nodes');
		const leaking = listFiles(ctx.userFolder, (file) => file === nodesDir).filter((file) => fs.readFileSync(file).includes(API_KEY));
		expect(leaking).toEqual([]);
	});
});
