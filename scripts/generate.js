#!/usr/bin/env node
'use strict';
/*
 * `npm run generate -- "a prompt" [--out folder]`: headless. Runs the example workflow
 * "prompt → Generate → save files" in a real n8n with the given prompt and writes the images
 * into the folder (default ./generated-images), printing where.
 */
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');

const n8n = require('./lib/n8n');
const { EXAMPLES, imageBackend, log, prepareN8n } = require('./demo');

function parseArgs(argv) {
	const args = { prompt: '', out: path.resolve('generated-images') };
	for (let index = 0; index < argv.length; index++) {
		if (argv[index] === '--out') args.out = path.resolve(argv[++index]);
		else args.prompt = `${args.prompt} ${argv[index]}`.trim();
	}
	if (!args.prompt) throw new Error('usage: npm run generate -- "a prompt" [--out folder]');
	return args;
}

async function main() {
	const { prompt, out } = parseArgs(process.argv.slice(2));
	const major = process.env.N8N_MAJOR ?? '2';
	fs.mkdirSync(out, { recursive: true });
	const backend = await imageBackend({ port: 0 });
	const userFolder = fs.mkdtempSync(path.join(os.tmpdir(), 'n8n-images-headless-'));
	try {
		const { runtime, env } = await prepareN8n({ major, userFolder, baseUrl: backend.baseUrl, apiKey: backend.apiKey, outputDir: out });
		const template = JSON.parse(fs.readFileSync(path.join(EXAMPLES, 'generate-and-save.json'), 'utf8'));
		const workflow = {
			...template,
			id: 'ImgHeadlessRun01',
			nodes: template.nodes.map((node) =>
				node.name === 'Prompt' ? { ...node, parameters: { ...node.parameters, jsonOutput: JSON.stringify({ prompt }) } } : node,
			),
		};
		await n8n.importWorkflow(runtime, userFolder, workflow);
		log(`running the workflow in n8n ${runtime.version}: "${prompt}"`);
		const run = await n8n.executeWorkflow(runtime, userFolder, workflow.id, env);
		const error = run?.data?.resultData?.error;
		if (error) throw new Error(`the workflow failed: ${error.message}${error.description ? ` (${error.description})` : ''}`);
		const files = (n8n.nodeOutput(run, 'Save Files') ?? []).map((item) => item.json?.fileName).filter(Boolean);
		console.log('');
		console.log(`  ${files.length} image(s) written to ${out}:`);
		for (const file of files) console.log(`    ${file}`);
	} finally {
		fs.rmSync(userFolder, { recursive: true, force: true });
		await backend.close();
	}
}

main().catch((error) => {
	console.error(error.message || error);
	process.exit(1);
});
