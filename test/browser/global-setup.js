'use strict';
/**
 * Jest globalSetup of the editor tests: the package must be built, the pinned n8n 2.x runtime is
 * installed once (scripts/lib/n8n.js), and Debian's Chromium is installed with apt-get when
 * /usr/bin/chromium is missing (as the e2e setup does for redis-server).
 */

const n8n = require('../../scripts/lib/n8n');
const { checkBuild } = require('../e2e/global-setup');

function log(message) {
	process.stderr.write(`[browser] ${message}\n`);
}

module.exports = async function globalSetup() {
	const started = Date.now();
	checkBuild(log);
	const runtime = await n8n.provision('2', { log });
	const chromium = await n8n.ensureChromium({ log });
	log(`n8n ${runtime.version} and ${chromium} ready in ${((Date.now() - started) / 1000).toFixed(1)} s`);
};
