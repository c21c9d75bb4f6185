'use strict';
/**
 * SVG is active content: can a script inside an SVG binary run when a user looks at it in n8n?
 * Real n8n (2.x and 1.x, N8N_E2E_MAJORS=2 or 1 for one), real editor, headless Chromium.
 *
 * The SVG carries three ways to run code (a <script>, an onload attribute and an onerror
 * attribute); each one calls a beacon, a loopback HTTP listener of this test, with its origin.
 * The beacon is proven first: the same SVG opened as a document from the listener calls it.
 * Then, for each way a user meets the binary in n8n, no beacon call may arrive:
 *   - the output panel (the binary card with its View/Download buttons; 2.x's "combined" binary
 *     mode, where the table shows an <img> thumbnail and a click opens File Preview),
 *   - GET /rest/binary-data?action=view|download (the URLs the editor uses), opened in a tab,
 *   - Download.
 * Found on 2.41.1 and 1.123.81 (see the report in the commit): n8n offers no View button for
 * image/svg+xml (not in @n8n/api-types ViewableMimeTypes), the controller refuses action=view
 * for it (400), action=download answers Content-Disposition: attachment (Chromium downloads,
 * never renders), and the only place the SVG is drawn is an <img>, where browsers run no script.
 * n8n's sandbox CSP on those answers allows scripts (in an opaque origin): it is not what stops
 * them, and a workflow that serves the SVG from a webhook does run its script (sandboxed).
 *
 * The SVG comes from a Code node today (`svgProducer`); point it at the node's own SVG output
 * once the node produces SVG (the loopback image server answering SVG_WITH_SCRIPT).
 *
 *   npm run build && npx jest -c jest.browser.config.js test/browser/svg-preview.test.js
 */

const fs = require('node:fs');
const http = require('node:http');
const os = require('node:os');
const path = require('node:path');

const n8n = require('../../scripts/lib/n8n');
const { selectedMajors } = require('../e2e/majors');
const { encodePng, renderPromptImage } = require('../server/images');
const { launchBrowser, editor } = require('./browser');

const OWNER = { email: 'svg@example.com', password: 'Svg-Preview-123', firstName: 'Svg', lastName: 'Owner' };
const ALL_SCREENSHOTS = process.env.BROWSER_SCREENSHOTS === 'all';
const SVG_FILE = 'payload.svg';
const PNG_FILE = 'control.png';
/** Cases that run a workflow in the editor: minutes on a loaded 2-core machine. */
const RUN_TIMEOUT = 240000;
/** What n8n's binary-data controller and webhooks send (n8n-core getHtmlSandboxCSP): scripts allowed, no allow-same-origin. */
const SANDBOX_CSP = /^sandbox (?!.*allow-same-origin).*allow-scripts/;

/**
 * An SVG whose script, onload and onerror each report to `beaconUrl` (via, tag, from, origin) and
 * set window.top.__svgRan where they may. What a provider could return; the test's payload.
 */
function svgWithScript(beaconUrl, tag) {
	const report = (via) =>
		`(function(){var u='${beaconUrl}?via=${via}&tag=${tag}&from='+encodeURIComponent(location.href)+'&origin='+encodeURIComponent(String(self.origin));` +
		`try{fetch(u,{mode:'no-cors'})}catch(e){}try{new Image().src=u+'&img=1'}catch(e){}` +
		`try{document.title='SVG-RAN'}catch(e){}try{window.top.__svgRan=(window.top.__svgRan||[]).concat('${via}')}catch(e){}})()`;
	const attr = (via) => report(via).replace(/&/g, '&amp;').replace(/"/g, '&quot;');
	return [
		'<?xml version="1.0" encoding="UTF-8"?>',
		`<svg xmlns="http://www.w3.org/2000/svg" width="160" height="100" viewBox="0 0 160 100" onload="${attr('onload')}">`,
		'<rect width="160" height="100" fill="#2a7"/>',
		'<text x="10" y="55" font-size="16" fill="#fff">svg with script</text>',
		`<script type="text/javascript"><![CDATA[${report('script')}]]></script>`,
		`<image href="missing.png" onerror="${attr('onerror')}"/>`,
		'</svg>',
	].join('\n');
}

/** The beacon: a loopback listener that records every call, and serves the SVG as a document for the control case. */
function startBeacon() {
	const calls = [];
	let svg = '';
	const server = http.createServer((req, res) => {
		const url = new URL(req.url, 'http://127.0.0.1');
		if (url.pathname === '/ran') {
			calls.push(Object.fromEntries(url.searchParams));
			res.writeHead(204, { 'access-control-allow-origin': '*' });
			return res.end();
		}
		if (url.pathname === '/document.svg' || url.pathname === '/document-sandboxed.svg') {
			const headers = { 'content-type': 'image/svg+xml' };
			// The header n8n's binary-data controller and webhooks send, copied from its answer.
			if (url.pathname === '/document-sandboxed.svg') headers['content-security-policy'] = url.searchParams.get('csp');
			res.writeHead(200, headers);
			return res.end(svg);
		}
		res.writeHead(404);
		res.end();
	});
	return new Promise((resolve) => {
		server.listen(0, '127.0.0.1', () => {
			const base = `http://127.0.0.1:${server.address().port}`;
			resolve({
				base,
				url: `${base}/ran`,
				calls,
				serve: (body) => {
					svg = body;
				},
				/** Calls that arrived since `mark` (an index into `calls`). */
				since: (mark) => calls.slice(mark),
				close: () => new Promise((done) => server.close(done)),
			});
		});
	});
}

/**
 * The nodes that produce the SVG (binary property `data`, item 0) and a PNG (item 1, the control:
 * n8n offers View for it). Today a Code node; to test the node's own SVG output, return the
 * node (with its credential, against the loopback image server answering `svg`) instead.
 */
function svgProducer(svg, png) {
	const jsCode = [
		`const svg = Buffer.from(${JSON.stringify(svg)}, 'utf8');`,
		`const png = Buffer.from(${JSON.stringify(png.toString('base64'))}, 'base64');`,
		'return [',
		`\t{ json: { file: 'svg' }, binary: { data: await this.helpers.prepareBinaryData(svg, '${SVG_FILE}', 'image/svg+xml') } },`,
		`\t{ json: { file: 'png' }, binary: { data: await this.helpers.prepareBinaryData(png, '${PNG_FILE}', 'image/png') } },`,
		'];',
	].join('\n');
	return { name: 'Make SVG', nodes: [{ id: 'make', name: 'Make SVG', type: 'n8n-nodes-base.code', typeVersion: 2, position: [300, 0], parameters: { jsCode } }] };
}

/** Manual trigger -> the producer; `settings.binaryMode: 'combined'` is 2.x's other binary layout. */
function previewWorkflow(name, producer, settings = {}) {
	return {
		name,
		active: false,
		nodes: [{ id: 'start', name: 'Start', type: 'n8n-nodes-base.manualTrigger', typeVersion: 1, position: [0, 0], parameters: {} }, ...producer.nodes],
		connections: { Start: { main: [[{ node: producer.name, type: 'main', index: 0 }]] } },
		settings,
	};
}

/** A production webhook that answers with the producer's first binary (Webhook, Response Data: First Entry Binary). */
function webhookWorkflow(producer, webhookPath) {
	return {
		name: 'SVG served from a webhook (browser test)',
		active: false,
		nodes: [
			{
				id: 'hook',
				name: 'Webhook',
				type: 'n8n-nodes-base.webhook',
				typeVersion: 2,
				position: [0, 0],
				webhookId: webhookPath,
				parameters: { path: webhookPath, responseMode: 'lastNode', responseData: 'firstEntryBinary', options: {} },
			},
			...producer.nodes,
		],
		connections: { Webhook: { main: [[{ node: producer.name, type: 'main', index: 0 }]] } },
		settings: {},
	};
}

/** The binary metadata of `item` of the producer's output: in `binary.data`, or (2.x combined mode) in `json._files.data`. */
function outputBinary(execution, producer, item) {
	const out = execution.data.resultData.runData[producer.name][0].data.main[0][item];
	return out.binary ? out.binary.data : out.json._files.data;
}

/** The binary-data URL the editor builds (workflows store getBinaryUrl). */
function binaryUrl(server, binary, action) {
	const query = new URLSearchParams({ id: binary.id, action, fileName: binary.fileName, mimeType: binary.mimeType });
	return `${server.url}/rest/binary-data?${query}`;
}

/** `read()`'s value once it equals `want` (polled every 200 ms), or its last value after `timeoutMs`. */
async function settled(read, want, timeoutMs = 10000) {
	const until = Date.now() + timeoutMs;
	for (;;) {
		const value = await read();
		if (value === want || Date.now() > until) return value;
		await new Promise((resolve) => setTimeout(resolve, 200));
	}
}

/** Waits long enough for a script (and its beacon request) to run, then returns the calls since `mark`. */
async function beaconCallsAfter(page, beacon, mark) {
	await page.waitForTimeout(1500);
	return beacon.since(mark);
}

for (const major of selectedMajors()) {
	describe(`a script inside an SVG binary, in the n8n ${major}.x editor (headless Chromium)`, () => {
		const ctx = {};

		function browserTest(name, fn, timeout) {
			test(
				name,
				async () => {
					try {
						await fn();
					} catch (error) {
						const file = await ctx.browser.screenshot(ctx.page, `FAILED svg v${major} ${name}`).catch((e) => `(no screenshot: ${e.message})`);
						error.message = `${error.message}\nscreenshot: ${file}`;
						await ctx.page.keyboard.press('Escape').catch(() => {});
						throw error;
					}
					if (ALL_SCREENSHOTS) await ctx.browser.screenshot(ctx.page, `svg v${major} ${name}`);
				},
				timeout,
			);
		}

		/** Closes the node's panel: 2.x's close button, 1.x's "Back to canvas". */
		async function closePanel() {
			if (!(await ctx.ed.parameters().isVisible())) return;
			await ctx.page.locator('[data-test-id="ndv-close-button"]:visible, [data-test-id="back-to-canvas"]:visible').first().click();
			await ctx.ed.parameters().waitFor({ state: 'hidden' });
		}

		/** Opens the producer's output panel on the binary cards (executed before). */
		async function openOutput(workflowId) {
			await ctx.ed.openWorkflow(workflowId);
			const { execution } = await ctx.ed.executeWorkflow(workflowId);
			await ctx.ed.openNode(ctx.producer.name);
			return execution;
		}

		beforeAll(async () => {
			const started = Date.now();
			ctx.beacon = await startBeacon();
			ctx.svg = svgWithScript(ctx.beacon.url, `n8n-v${major}`);
			ctx.beacon.serve(ctx.svg);
			ctx.png = encodePng(renderPromptImage('a control picture', 48, 32));
			ctx.producer = svgProducer(ctx.svg, ctx.png);
			const runtime = await n8n.provision(major, { log: (line) => process.stderr.write(`[svg] ${line}\n`) });
			ctx.version = runtime.version;
			ctx.userFolder = fs.mkdtempSync(path.join(os.tmpdir(), 'n8n-images-svg-'));
			[ctx.server, ctx.browser] = await Promise.all([n8n.startN8n({ runtime, userFolder: ctx.userFolder }), launchBrowser()]);
			await ctx.server.setupOwner(OWNER);
			await ctx.server.login(OWNER);
			ctx.separate = await ctx.server.rest('POST', '/workflows', previewWorkflow('SVG preview (browser test)', ctx.producer));
			if (major === '2') {
				ctx.combined = await ctx.server.rest('POST', '/workflows', previewWorkflow('SVG preview, combined binary mode (browser test)', ctx.producer, { binaryMode: 'combined' }));
			}
			ctx.page = await ctx.browser.newPage();
			ctx.downloads = [];
			ctx.page.on('download', (download) => ctx.downloads.push(download));
			ctx.ed = editor(ctx.page, ctx.server);
			await ctx.ed.login(OWNER);
			process.stderr.write(`[svg] n8n ${ctx.version} + Chromium ready, logged in, in ${((Date.now() - started) / 1000).toFixed(1)} s\n`);
		}, 600000);

		afterAll(async () => {
			if (ctx.browser) await ctx.browser.close();
			if (ctx.server) await ctx.server.stop();
			if (ctx.beacon) await ctx.beacon.close();
			if (ctx.userFolder) fs.rmSync(ctx.userFolder, { recursive: true, force: true });
		}, 60000);

		browserTest('control: the same SVG opened as a document runs its script, onload and onerror (the beacon works)', async () => {
			const mark = ctx.beacon.calls.length;
			const tab = await ctx.browser.newPage();
			try {
				await tab.goto(`${ctx.beacon.base}/document.svg`);
				const calls = await beaconCallsAfter(tab, ctx.beacon, mark);
				expect(new Set(calls.map((c) => c.via))).toEqual(new Set(['script', 'onload', 'onerror']));
				expect(calls.every((c) => c.origin === ctx.beacon.base)).toBe(true);
				expect(await tab.title()).toBe('SVG-RAN');
			} finally {
				await tab.close();
			}
		});

		browserTest(`the output panel offers Download but no View for the SVG (View for the PNG), and runs nothing`, async () => {
			const mark = ctx.beacon.calls.length;
			const execution = await openOutput(ctx.separate.id);
			const svg = outputBinary(execution, ctx.producer, 0);
			expect(svg).toMatchObject({ mimeType: 'image/svg+xml', fileExtension: 'svg', fileName: SVG_FILE });
			expect(outputBinary(execution, ctx.producer, 1)).toMatchObject({ mimeType: 'image/png' });
			const card = (index) => ctx.page.locator(`[data-test-id="ndv-binary-data_${index}"]`);
			await card(0).waitFor({ state: 'visible' });
			await expect(card(0).locator('[data-test-id="ndv-view-binary-data"]').count()).resolves.toBe(0);
			await expect(card(0).locator('[data-test-id="ndv-download-binary-data"]').count()).resolves.toBe(1);
			// The control: n8n does offer View for a PNG; its preview opens as an <img>.
			await card(1).locator('[data-test-id="ndv-view-binary-data"]').click();
			const preview = ctx.page.locator('.binary-data-window img');
			await preview.waitFor({ state: 'visible' });
			expect(await settled(() => preview.evaluate((img) => img.naturalWidth), 48)).toBe(48);
			expect(await beaconCallsAfter(ctx.page, ctx.beacon, mark)).toEqual([]);
			expect(await ctx.page.evaluate(() => window.__svgRan)).toBeUndefined();
			// Back to the cards.
			await ctx.page.locator('.binary-data-window-back').click();
		}, RUN_TIMEOUT);

		browserTest('Download saves the SVG unchanged as a file and runs nothing', async () => {
			const mark = ctx.beacon.calls.length;
			const before = ctx.downloads.length;
			// The panel is still open on the binary cards from the case before; open it if not.
			const card = ctx.page.locator('[data-test-id="ndv-binary-data_0"]');
			if (!(await card.isVisible())) await openOutput(ctx.separate.id);
			await card.locator('[data-test-id="ndv-download-binary-data"]').click();
			expect(await settled(() => ctx.downloads.length, before + 1)).toBe(before + 1);
			const download = ctx.downloads[before];
			expect(download.suggestedFilename()).toBe(SVG_FILE);
			expect(fs.readFileSync(await download.path(), 'utf8')).toBe(ctx.svg);
			expect(await beaconCallsAfter(ctx.page, ctx.beacon, mark)).toEqual([]);
			await closePanel();
		}, RUN_TIMEOUT);

		if (major === '1') {
			// 1.x keeps binary data in memory by default: base64 in the run data, no id, no
			// /rest/binary-data URL to open; the editor builds data: and blob: URLs itself.
			browserTest('1.x (binary data in memory): the SVG has no /rest/binary-data id, so no URL to open', async () => {
				const execution = await ctx.server.getExecution((await ctx.ed.latestExecution(ctx.separate.id)).id);
				const svg = outputBinary(execution, ctx.producer, 0);
				expect(svg.id).toBeUndefined();
				expect(Buffer.from(svg.data, 'base64').toString('utf8')).toBe(ctx.svg);
			});
			return;
		}

		describe('the binary-data URLs (2.x stores binary data on disk and serves it)', () => {
			beforeAll(async () => {
				const latest = await ctx.ed.latestExecution(ctx.separate.id);
				ctx.svgBinary = outputBinary(await ctx.server.getExecution(latest.id), ctx.producer, 0);
			});

			browserTest('action=view is refused for image/svg+xml (400), and opened in a tab it runs nothing', async () => {
				const res = await ctx.server.request('GET', binaryUrl(ctx.server, ctx.svgBinary, 'view'), undefined, { raw: true });
				expect(res.status).toBe(400);
				expect(res.headers.get('content-type')).toBeNull();
				// n8n sets Content-Length from the file before it refuses, so the short error body breaks the answer.
				await res.arrayBuffer().catch(() => {});
				const mark = ctx.beacon.calls.length;
				const tab = await ctx.browser.newPage();
				try {
					const opened = await tab.goto(binaryUrl(ctx.server, ctx.svgBinary, 'view')).then(
						(response) => ({ status: response.status() }),
						(error) => ({ error: error.message.split('\n')[0] }),
					);
					expect(opened.status === 400 || /ERR_HTTP_RESPONSE_CODE_FAILURE|ERR_CONTENT_LENGTH_MISMATCH/.test(opened.error)).toBe(true);
					expect(await beaconCallsAfter(tab, ctx.beacon, mark)).toEqual([]);
				} finally {
					await tab.close();
				}
			});

			browserTest('action=download answers image/svg+xml as an attachment, and opened in a tab it downloads, runs nothing', async () => {
				const res = await ctx.server.request('GET', binaryUrl(ctx.server, ctx.svgBinary, 'download'), undefined, { raw: true });
				expect(res.status).toBe(200);
				expect(res.headers.get('content-type')).toBe('image/svg+xml');
				expect(res.headers.get('content-disposition')).toBe(`attachment; filename="${SVG_FILE}"`);
				expect(res.headers.get('content-security-policy')).toMatch(SANDBOX_CSP);
				expect(res.headers.get('x-content-type-options')).toBeNull();
				expect(Buffer.from(await res.arrayBuffer()).toString('utf8')).toBe(ctx.svg);
				ctx.sandboxCsp = res.headers.get('content-security-policy');
				const mark = ctx.beacon.calls.length;
				const tab = await ctx.browser.newPage();
				try {
					const downloading = tab.waitForEvent('download');
					await expect(tab.goto(binaryUrl(ctx.server, ctx.svgBinary, 'download'))).rejects.toThrow(/Download is starting/);
					expect((await downloading).suggestedFilename()).toBe(SVG_FILE);
					expect(await beaconCallsAfter(tab, ctx.beacon, mark)).toEqual([]);
				} finally {
					await tab.close();
				}
			});

			browserTest("n8n's sandbox CSP alone does not stop the script: served as a document with it, the script runs in an opaque origin", async () => {
				expect(ctx.sandboxCsp).toMatch(SANDBOX_CSP);
				const mark = ctx.beacon.calls.length;
				const tab = await ctx.browser.newPage();
				try {
					await tab.goto(`${ctx.beacon.base}/document-sandboxed.svg?${new URLSearchParams({ csp: ctx.sandboxCsp })}`);
					const calls = await beaconCallsAfter(tab, ctx.beacon, mark);
					expect(calls.map((c) => c.via)).toContain('script');
					expect(calls.every((c) => c.origin === 'null')).toBe(true);
				} finally {
					await tab.close();
				}
			});
		});

		describe("2.x combined binary mode: the table's thumbnail and File Preview", () => {
			browserTest('the thumbnail draws the SVG as an <img>, File Preview asks action=view (refused), and nothing runs', async () => {
				const mark = ctx.beacon.calls.length;
				await openOutput(ctx.combined.id);
				// The panel opens in the display mode used last; the thumbnail is in Table.
				await ctx.page.locator('[data-test-id="output-panel"]').getByText('Table', { exact: true }).first().click();
				const thumbnail = ctx.page.locator('[data-test-id="output-panel"] img[alt="payload.svg"]');
				await thumbnail.waitFor({ state: 'visible' });
				// Drawn (the SVG's own size), so the browser did load and render it, as an image.
				expect(await settled(() => thumbnail.evaluate((img) => img.naturalWidth), 160)).toBe(160);
				expect(await thumbnail.getAttribute('src')).toContain('action=download');
				const refused = ctx.page.waitForResponse((r) => r.url().includes('/rest/binary-data') && r.url().includes('action=view'));
				await thumbnail.click();
				expect((await refused).status()).toBe(400);
				await ctx.page.locator('.binary-data-modal-content').waitFor({ state: 'visible' });
				expect(await beaconCallsAfter(ctx.page, ctx.beacon, mark)).toEqual([]);
				expect(await ctx.page.evaluate(() => window.__svgRan)).toBeUndefined();
				// Escape closes File Preview (and, in 2.41.1, the panel with it).
				await ctx.page.keyboard.press('Escape');
				await ctx.ed.settle();
				await closePanel();
			}, RUN_TIMEOUT);
		});

		describe('a workflow that serves the SVG from a webhook (the workflow author decides, not the node)', () => {
			browserTest("opened in a tab, the script runs, but only in an opaque origin (n8n's webhook sandbox CSP): never as n8n", async () => {
				const hook = await ctx.server.rest('POST', '/workflows', webhookWorkflow(ctx.producer, 'svg-preview'));
				await ctx.server.activateWorkflow(hook.id);
				const res = await ctx.server.waitForWebhook('svg-preview');
				expect(res.headers.get('content-type')).toBe('image/svg+xml');
				expect(res.headers.get('content-security-policy')).toMatch(SANDBOX_CSP);
				await res.arrayBuffer();
				const mark = ctx.beacon.calls.length;
				const tab = await ctx.browser.newPage();
				try {
					await tab.goto(`${ctx.server.url}/webhook/svg-preview`);
					const calls = await beaconCallsAfter(tab, ctx.beacon, mark);
					expect(calls.map((c) => c.via)).toContain('script');
					expect(calls.map((c) => c.origin)).not.toContain(ctx.server.url);
					expect(calls.every((c) => c.origin === 'null')).toBe(true);
				} finally {
					await tab.close();
				}
			});
		});
	});
}
