// @ts-check
'use strict';
/**
 * A stand-in for the system resolver, for host names a test chooses: each name gives its answers
 * in turn (a list of addresses, or an error code such as 'ENOTFOUND'), the last one repeating;
 * every other name is resolved as usual. This is how a test on loopback gets a host name that
 * answers a public address first and an internal one afterwards (DNS rebinding).
 *
 * Tests call installFakeDns(). An n8n process gets it preloaded (NODE_OPTIONS=--require this
 * file) with its table in FAKE_DNS ({"name": [["203.0.113.10"], ["127.0.0.2"]]}).
 */
const dns = require('node:dns');

/** @typedef {(error: NodeJS.ErrnoException | null, address: string | dns.LookupAddress[], family?: number) => void} LookupCallback */

/** @param {Record<string, Array<string[] | string>>} [table] */
function installFakeDns(table = {}) {
	/** The answers of each fake name, in turn. @type {Map<string, Array<string[] | string>>} */
	const answers = new Map(Object.entries(table));
	/** The fake names looked up, in order. @type {string[]} */
	const lookups = [];
	const realLookup = dns.lookup;
	/** @param {string} hostname @param {unknown} options @param {LookupCallback} [callback] */
	function lookup(hostname, options, callback) {
		const done = /** @type {LookupCallback} */ (typeof options === 'function' ? options : callback);
		const sequence = answers.get(hostname);
		if (!sequence) return /** @type {(...args: unknown[]) => void} */ (realLookup).call(dns, hostname, options, callback);
		lookups.push(hostname);
		const answer = /** @type {string[] | string} */ (sequence.length > 1 ? sequence.shift() : sequence[0]);
		if (typeof answer === 'string') {
			process.nextTick(() => done(Object.assign(new Error(`getaddrinfo ${answer} ${hostname}`), { code: answer, hostname }), ''));
			return undefined;
		}
		const all = typeof options === 'object' && options !== null && /** @type {{ all?: boolean }} */ (options).all === true;
		const entries = answer.map((address) => ({ address, family: address.includes(':') ? 6 : 4 }));
		process.nextTick(() => (all ? done(null, entries) : done(null, entries[0].address, entries[0].family)));
		return undefined;
	}
	/** @type {{ lookup: unknown }} */ (dns).lookup = lookup;
	return {
		answers,
		lookups,
		uninstall() {
			/** @type {{ lookup: unknown }} */ (dns).lookup = realLookup;
		},
	};
}

if (process.env.FAKE_DNS) installFakeDns(JSON.parse(process.env.FAKE_DNS));

module.exports = { installFakeDns };
