'use strict';
/**
 * Preloaded into one n8n process by the e2e suite (NODE_OPTIONS=--require): the system resolver
 * answers the names in E2E_FAKE_DNS ({"name": [[first answer], [later answers], ...]}, the last
 * answer repeating) and every other name as usual. This is how a test on loopback gets a host name
 * that answers a public address first and an internal one afterwards (DNS rebinding).
 */
const dns = require('node:dns');

const table = JSON.parse(process.env.E2E_FAKE_DNS || '{}');
const realLookup = dns.lookup;

dns.lookup = function lookup(hostname, options, callback) {
	const done = typeof options === 'function' ? options : callback;
	const sequence = table[hostname];
	if (!sequence) return realLookup.call(dns, hostname, options, callback);
	const addresses = sequence.length > 1 ? sequence.shift() : sequence[0];
	const entries = addresses.map((address) => ({ address, family: address.includes(':') ? 6 : 4 }));
	const all = typeof options === 'object' && options !== null && options.all === true;
	process.nextTick(() => (all ? done(null, entries) : done(null, entries[0].address, entries[0].family)));
	return undefined;
};
