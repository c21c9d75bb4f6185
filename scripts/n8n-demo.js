#!/usr/bin/env node
'use strict';
/*
 * Starts a real, pinned n8n with this package installed as a community package, for a demo.
 *
 *   npm run build && node scripts/n8n-demo.js [--major 2|1] [--port 5678] [--folder <dir>]
 *
 * The user folder (default: next to the runtime cache, `demo-v<major>`) persists between
 * runs; the package is re-copied from this repo's build on every start. Owner login is
 * printed. Ctrl-C stops n8n.
 */

const fs = require('node:fs');
const path = require('node:path');

const n8n = require('./lib/n8n');

const OWNER = { email: 'demo@example.com', password: 'Demo-Pass-123', firstName: 'Demo', lastName: 'Owner' };

function parseArgs(argv) {
	const args = { major: '2', port: 5678, folder: undefined };
	for (let i = 0; i < argv.length; i++) {
		const [key, inline] = argv[i].split('=');
		const value = () => (inline !== undefined ? inline : argv[++i]);
		if (key === '--major') args.major = String(value());
		else if (key === '--port') args.port = Number(value());
		else if (key === '--folder') args.folder = path.resolve(value());
		else if (key === '--help' || key === '-h') {
			console.log('node scripts/n8n-demo.js [--major 2|1] [--port 5678] [--folder <user folder>]');
			process.exit(0);
		} else throw new Error(`unknown argument ${argv[i]}`);
	}
	return args;
}

async function main() {
	const args = parseArgs(process.argv.slice(2));
	const log = (m) => console.log(m);
	const repo = path.resolve(__dirname, '..');
	const runtime = await n8n.provision(args.major, { log });
	const userFolder = args.folder || path.join(path.dirname(n8n.cacheDir(args.major)), `demo-v${args.major}`);
	fs.mkdirSync(userFolder, { recursive: true });
	const installed = n8n.installPackage(userFolder, repo);
	log(`installed ${installed.name}@${installed.version} into ${installed.dir}`);

	const server = await n8n.startN8n({ runtime, userFolder, port: args.port, log });
	let stopping = false;
	const stop = async () => {
		if (stopping) return;
		stopping = true;
		log('stopping n8n...');
		await server.stop();
		process.exit(0);
	};
	process.on('SIGINT', stop);
	process.on('SIGTERM', stop);

	try {
		await server.setupOwner(OWNER);
	} catch (err) {
		if (err.status !== 400) throw err; // 400: the owner exists already (earlier run)
	}
	await server.login(OWNER);
	log('');
	log(`n8n ${runtime.version} is running at ${server.url}`);
	log(`log in as ${OWNER.email} / ${OWNER.password}`);
	log(`node: search for "${installed.name.replace(/^n8n-nodes-/, '').replace(/-/g, ' ')}" in the nodes panel`);
	log(`user folder ${userFolder}; server log ${server.logFile}`);
	log('Ctrl-C to stop');
	server.process.on('exit', (code) => {
		if (!stopping) {
			console.error(`n8n exited (${code}); see ${server.logFile}`);
			process.exit(1);
		}
	});
}

main().catch((err) => {
	console.error(err.message || err);
	process.exit(1);
});
