// n8n-core writes its instance settings under the user folder: keep tests out of the real ~/.n8n.
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');

if (!process.env.N8N_USER_FOLDER) {
	process.env.N8N_USER_FOLDER = fs.mkdtempSync(path.join(os.tmpdir(), 'n8n-images-test-'));
}
process.env.N8N_ENCRYPTION_KEY ??= 'test-encryption-key';

// n8n-workflow (2.x) runs every display-condition regex in a vm sandbox with a 250 ms wall-clock
// limit. Under these suites' parallel load a pause inside one run (a GC of a worker that just
// handled a 35 MB image) has tripped that limit ("Regular expression execution timed out") although
// the regexes take microseconds. Unit tests therefore use plain RegExp, as n8n's own editor does;
// the e2e and browser suites run n8n's engine as it ships.
const { setSafeRegexEngine } = require('n8n-workflow');
const flagged = (flags, extra) => (flags?.includes(extra) ? flags : `${flags ?? ''}${extra}`);
setSafeRegexEngine({
	exec: (pattern, input, flags) => new RegExp(pattern, flags).exec(input),
	test: (pattern, input, flags) => new RegExp(pattern, flags).test(input),
	replace: (pattern, input, flags, replacement) => input.replace(new RegExp(pattern, flags), replacement),
	matchAll: (pattern, input, flags) => Array.from(input.matchAll(new RegExp(pattern, flagged(flags, 'g')))),
	split: (pattern, input, flags) => input.split(new RegExp(pattern, flags)),
});
