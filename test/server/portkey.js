// @ts-check
/**
 * Portkey's open-source AI gateway (@portkey-ai/gateway, a pinned devDependency), run as its own
 * process on 127.0.0.1 for the tests. test/server/loopback-only.js is preloaded into it: it
 * listens on 127.0.0.1 only, connects to loopback only, and reports its port. Requests name their
 * upstream with the x-portkey-custom-host header (a loopback imitation), so nothing leaves the
 * machine even where a test forgot one.
 *
 * package.json pins @hono/node-server 1.13.8 (and @hono/node-ws 1.2.0, whose peer range takes it)
 * beside the gateway, which npm then shares with it: with @hono/node-server 1.19 the gateway 1.15
 * fails every pass-through answer (/v1/proxy) with "immutable" (Portkey issue #1389). The scanner
 * of community packages forbids npm `overrides`, so the pin is a plain dev dependency.
 */
const path = require('node:path');
const { fork } = require('node:child_process');

const STARTUP_MS = 20000;

/**
 * Starts the gateway on a free port.
 * @returns {Promise<{ url: string, port: number, logs: () => string, close: () => Promise<void> }>}
 */
async function startPortkey() {
	const entry = require.resolve('@portkey-ai/gateway/build/start-server.js');
	const child = fork(entry, ['--port=0', '--headless'], {
		execArgv: ['--require', path.join(__dirname, 'loopback-only.js')],
		stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
	});
	let output = '';
	child.stdout?.on('data', (chunk) => (output += chunk));
	child.stderr?.on('data', (chunk) => (output += chunk));
	const port = await new Promise((resolve, reject) => {
		const timer = setTimeout(() => reject(new Error(`Portkey's gateway did not start within ${STARTUP_MS} ms:\n${output}`)), STARTUP_MS);
		child.on('message', (message) => {
			const listening = /** @type {{ listening?: number }} */ (message).listening;
			if (listening) {
				clearTimeout(timer);
				resolve(listening);
			}
		});
		child.on('exit', (code) => {
			clearTimeout(timer);
			reject(new Error(`Portkey's gateway exited with code ${code}:\n${output}`));
		});
	});
	return {
		url: `http://127.0.0.1:${port}`,
		port: /** @type {number} */ (port),
		logs: () => output,
		async close() {
			if (child.exitCode !== null) return;
			const exited = new Promise((resolve) => child.once('exit', resolve));
			child.kill();
			await exited;
		},
	};
}

module.exports = { startPortkey };
