// @ts-check
'use strict';

const net = require('node:net');

/** A loopback port nothing listens on: a connection to it is refused (ECONNREFUSED). */
async function closedPort() {
	const probe = net.createServer();
	await new Promise((resolve) => probe.listen(0, '127.0.0.1', () => resolve(undefined)));
	const { port } = /** @type {net.AddressInfo} */ (probe.address());
	await new Promise((resolve) => probe.close(() => resolve(undefined)));
	return port;
}

module.exports = { closedPort };
