'use strict';
/**
 * Jest globalSetup of the end-to-end suite: checks that the package is built and installs the
 * pinned n8n runtimes (scripts/lib/n8n.js) once, before any test file runs. With n8n 2.x selected
 * it also makes sure `redis-server` is there for the queue-mode test (n8n-v2-queue.test.js):
 * when it is not on PATH, Debian's package is installed with apt-get (apt-get update first if the
 * install fails).
 */

const fs = require('node:fs');
const path = require('node:path');

const n8n = require('../../scripts/lib/n8n');
const { selectedMajors } = require('./majors');

const REPO = path.resolve(__dirname, '..', '..');

function log(message) {
	process.stderr.write(`[e2e] ${message}\n`);
}

function newestMtime(dir) {
	let newest = 0;
	if (!fs.existsSync(dir)) return newest;
	for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
		const full = path.join(dir, entry.name);
		if (entry.isDirectory()) newest = Math.max(newest, newestMtime(full));
		else if (entry.name.endsWith('.ts')) newest = Math.max(newest, fs.statSync(full).mtimeMs);
	}
	return newest;
}

/** Throws when dist/ lacks a file package.json lists; warns (through `warn`) when sources are newer. */
function checkBuild(warn = log) {
	const pkg = JSON.parse(fs.readFileSync(path.join(REPO, 'package.json'), 'utf8'));
	const built = [...pkg.n8n.nodes, ...pkg.n8n.credentials].map((file) => path.join(REPO, file));
	const missing = built.filter((file) => !fs.existsSync(file));
	if (missing.length) {
		throw new Error(`The package is not built (${missing.map((f) => path.relative(REPO, f)).join(', ')} missing): run npm run build first`);
	}
	const builtAt = Math.min(...built.map((file) => fs.statSync(file).mtimeMs));
	const sourcesAt = Math.max(newestMtime(path.join(REPO, 'nodes')), newestMtime(path.join(REPO, 'credentials')));
	if (sourcesAt > builtAt) warn('warning: sources changed after the last build; the tests run dist/ as built (npm run build)');
}

async function globalSetup() {
	const started = Date.now();
	const majors = selectedMajors();
	checkBuild();
	for (const major of majors) {
		const marker = path.join(n8n.cacheDir(major), '.provisioned.json');
		if (!fs.existsSync(marker)) {
			log(`n8n v${major} is not installed yet: the first install takes a few minutes (about 2.5 GB in ${n8n.cacheDir(major)}); later runs reuse it`);
		}
		const runtime = await n8n.provision(major, { log });
		log(`n8n ${runtime.version} (v${major}) ready in ${n8n.cacheDir(major)}`);
	}
	if (majors.includes('2')) {
		const redis = await n8n.ensureRedisServer({ log });
		log(`redis-server for the queue-mode test: ${redis}`);
	}
	log(`runtimes ready in ${((Date.now() - started) / 1000).toFixed(1)} s; testing n8n v${majors.join(', v')}`);
};

module.exports = globalSetup;
module.exports.checkBuild = checkBuild;
