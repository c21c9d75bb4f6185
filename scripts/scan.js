'use strict';
/*
 * n8n's community package scanner (@n8n/scan-community-package), run here on this checkout the
 * way n8n runs it on a published version: `npx @n8n/scan-community-package <name>` first checks
 * npm provenance, then lints two things with the scanner's own ESLint config (its pinned
 * eslint-plugin-n8n-nodes-base and @n8n/eslint-plugin-community-nodes), inline eslint-disable
 * comments ignored (allowInlineConfig: false):
 *   1. the source the provenance attests (a clean checkout of the commit), files
 *      SOURCE_FILE_PATTERNS (package.json, nodes/ and credentials/ sources);
 *   2. the published tarball, unpacked: its compiled **\/*.js and package.json.
 * This script runs both lint legs with the scanner's exported analyzePackage(): leg 1 on a copy
 * of the files git would commit (tracked and new, not ignored), leg 2 on what `npm pack` packs
 * from the current build (run `npm run build` first). The provenance check needs a published
 * version; the release workflow (.github/workflows/release.yml) publishes with provenance.
 *
 * Usage: node scripts/scan.js   (part of `npm test`; exit 1 when a leg fails)
 */
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { execFileSync } = require('node:child_process');

const REPO = path.resolve(__dirname, '..');

function sh(cmd, args, cwd) {
	return execFileSync(cmd, args, { cwd, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], maxBuffer: 64 * 1024 * 1024 });
}

/** The files a clean checkout of this tree would have: tracked and new ones, minus ignored and deleted. */
function copySource(target) {
	const files = sh('git', ['ls-files', '-z', '--cached', '--others', '--exclude-standard'], REPO).split('\0').filter(Boolean);
	for (const file of files) {
		const from = path.join(REPO, file);
		if (!fs.existsSync(from)) continue; // deleted in the work tree, not committed yet
		fs.mkdirSync(path.dirname(path.join(target, file)), { recursive: true });
		fs.copyFileSync(from, path.join(target, file));
	}
	return files.length;
}

/** `npm pack` of the current build, unpacked as the scanner unpacks a downloaded tarball. */
function unpackTarball(work, target) {
	if (!fs.existsSync(path.join(REPO, 'dist'))) throw new Error('dist/ is missing: run `npm run build` first');
	const [packed] = JSON.parse(sh('npm', ['pack', '--json', '--ignore-scripts', '--pack-destination', work], REPO));
	fs.mkdirSync(target, { recursive: true });
	sh('tar', ['-xzf', path.join(work, packed.filename), '-C', target, '--strip-components=1'], work);
	return packed;
}

function report(label, result) {
	if (result.passed) {
		console.log(`✅ ${label}: passed${result.message ? ` (${result.message})` : ''}`);
	} else {
		console.log(`❌ ${label}: ${result.message}`);
		if (result.details) console.log(result.details);
	}
	return result.passed;
}

async function main() {
	const scannerDir = path.dirname(require.resolve('@n8n/scan-community-package/package.json'));
	const scannerVersion = JSON.parse(fs.readFileSync(path.join(scannerDir, 'package.json'), 'utf8')).version;
	const work = fs.mkdtempSync(path.join(os.tmpdir(), 'n8n-scan-'));
	// The scanner makes a temporary folder when it loads and leaves it behind: make it in ours.
	process.env.TMPDIR = work;
	try {
		const { analyzePackage, SOURCE_FILE_PATTERNS } = await import(path.join(scannerDir, 'scanner', 'scanner.mjs'));
		const sourceDir = path.join(work, 'source');
		const count = copySource(sourceDir);
		console.log(`@n8n/scan-community-package ${scannerVersion}: source leg, ${SOURCE_FILE_PATTERNS.join(' and ')} of a clean copy of the checkout (${count} files)`);
		const source = await analyzePackage(sourceDir, SOURCE_FILE_PATTERNS);
		const sourceOk = report('source', source);

		const packed = unpackTarball(work, path.join(work, 'package'));
		console.log(`@n8n/scan-community-package ${scannerVersion}: tarball leg, **/*.js and package.json of ${packed.filename} (${packed.entryCount} files, unpacked)`);
		const tarball = await analyzePackage(path.join(work, 'package'), ['**/*.js', 'package.json']);
		const tarballOk = report('tarball', tarball);

		if (!sourceOk || !tarballOk) process.exitCode = 1;
	} finally {
		fs.rmSync(work, { recursive: true, force: true });
	}
}

main().catch((error) => {
	console.error(error);
	process.exit(1);
});
