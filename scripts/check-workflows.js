'use strict';
/*
 * Checks the GitHub Actions workflows in .github/workflows/, which cannot run here:
 *   1. each file against the GitHub workflow JSON schema (SchemaStore's, compiled into
 *      @action-validator/core): unknown keys, wrong types, bad enum values, missing fields;
 *   2. what this project relies on: ci.yml runs the README's test command (.ci/run, i.e.
 *      `npm ci` + `npm test`) on push and pull_request; release.yml publishes on a `v*` tag
 *      with `npm publish --provenance --access public`, permissions id-token: write and
 *      contents: read (npm trusted publishing, required by n8n for community nodes).
 * Usage: node scripts/check-workflows.js [dir]   (part of `npm test`; exit 1 on any problem)
 */
const fs = require('node:fs');
const path = require('node:path');
const { validateWorkflow } = require('@action-validator/core');
const YAML = require('yaml');

const DIR = path.resolve(process.argv[2] || path.join(__dirname, '..', '.github', 'workflows'));

/**
 * The innermost schema errors, one line each: where, and what is wrong. Where the schema allows
 * alternatives (a job is either steps on a runner or a reusable workflow call), only the
 * alternative that comes closest is reported.
 */
function schemaProblems(errors, out = []) {
	for (const error of errors) {
		const alternatives = (error.states || []).map((state) => schemaProblems(state.errors, []));
		if (alternatives.length) {
			out.push(...alternatives.reduce((best, next) => (next.length < best.length ? next : best)));
		} else {
			const where = error.path || (error.location ? `line ${error.location.line}, column ${error.location.column}` : '');
			out.push(`${where}: ${error.title}${error.detail ? ` (${error.detail})` : ''}`);
		}
	}
	return [...new Set(out)];
}

const steps = (workflow) => Object.values(workflow.jobs || {}).flatMap((job) => (job && job.steps) || []);
const runs = (workflow) => steps(workflow).map((step) => String(step.run || ''));
const triggers = (workflow) => {
	const on = workflow.on;
	if (typeof on === 'string') return { [on]: null };
	if (Array.isArray(on)) return Object.fromEntries(on.map((name) => [name, null]));
	return on || {};
};

const REQUIREMENTS = {
	'ci.yml': (workflow) => [
		!('push' in triggers(workflow)) && 'does not run on push',
		!('pull_request' in triggers(workflow)) && 'does not run on pull_request',
		!runs(workflow).some((run) => /(^|\s)(\.\/)?\.ci\/run\b|npm test\b/.test(run)) && "runs neither .ci/run nor `npm test` (the README's test command)",
	],
	'release.yml': (workflow) => {
		const tags = (triggers(workflow).push && triggers(workflow).push.tags) || [];
		const jobs = Object.values(workflow.jobs || {});
		const publishing = jobs.filter((job) => (job.steps || []).some((step) => /npm publish\b/.test(String(step.run || ''))));
		const permissions = (job) => ({ ...(workflow.permissions || {}), ...(job.permissions || {}) });
		return [
			!tags.some((tag) => /^v\*/.test(tag)) && 'is not triggered by pushing a v* tag',
			!runs(workflow).some((run) => /npm publish\b.*--provenance/.test(run) && /--access public/.test(run)) && 'has no step `npm publish --provenance --access public`',
			publishing.length === 0 && 'has no job that publishes',
			publishing.some((job) => permissions(job)['id-token'] !== 'write') && 'publishes without permissions id-token: write (needed for provenance)',
			publishing.some((job) => permissions(job).contents !== 'read') && 'publishes without permissions contents: read',
		];
	},
};

function check(file) {
	const text = fs.readFileSync(path.join(DIR, file), 'utf8');
	const problems = schemaProblems(validateWorkflow(text).errors).map((line) => `schema: ${line}`);
	if (problems.length === 0 && REQUIREMENTS[file]) {
		problems.push(...REQUIREMENTS[file](YAML.parse(text)).filter(Boolean));
	}
	return problems;
}

const files = fs.existsSync(DIR) ? fs.readdirSync(DIR).filter((name) => /\.ya?ml$/.test(name)).sort() : [];
let failed = false;
for (const required of Object.keys(REQUIREMENTS)) {
	if (!files.includes(required)) {
		console.log(`❌ ${required}: missing in ${DIR}`);
		failed = true;
	}
}
for (const file of files) {
	const problems = check(file);
	if (problems.length) {
		failed = true;
		console.log(`❌ ${file}:\n${problems.map((problem) => `   ${problem}`).join('\n')}`);
	} else {
		console.log(`✅ ${file}: valid workflow${REQUIREMENTS[file] ? ', requirements met' : ''}`);
	}
}
process.exitCode = failed ? 1 : 0;
