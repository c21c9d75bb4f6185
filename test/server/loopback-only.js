// @ts-check
/**
 * Preloaded (`node -r`) into a third-party server under test, Portkey's AI gateway: every server
 * it starts listens on 127.0.0.1 only, every connection it opens goes to loopback only (anything
 * else fails as if refused), the port it listens on is sent to the parent over IPC, and it exits
 * when that parent goes. The gateway itself binds to all interfaces and knows public provider
 * hosts; the tests route it to loopback imitations with custom-host headers, and this makes sure
 * nothing leaves the machine.
 */
const net = require('node:net');

const LOOPBACK = new Set(['127.0.0.1', '::1', 'localhost', '::ffff:127.0.0.1']);

const listen = net.Server.prototype.listen;
/** @this {net.Server} @param {any[]} args */
net.Server.prototype.listen = function (...args) {
	const callback = args.find((arg) => typeof arg === 'function');
	const port = typeof args[0] === 'object' && args[0] !== null ? args[0].port : args[0];
	this.once('listening', () => {
		const address = /** @type {net.AddressInfo} */ (this.address());
		process.send?.({ listening: address.port });
	});
	return listen.call(this, { port, host: '127.0.0.1' }, callback);
};

const connect = net.Socket.prototype.connect;
/** @this {net.Socket} @param {any[]} args */
net.Socket.prototype.connect = function (...args) {
	// net.connect() hands over [options, callback] as one normalised array.
	const first = Array.isArray(args[0]) ? args[0][0] : args[0];
	const options = typeof first === 'object' && first !== null ? first : { port: first, host: args[1] };
	const host = options.path ? 'localhost' : String(options.host ?? 'localhost');
	if (!LOOPBACK.has(host.replace(/^\[|\]$/g, ''))) {
		const error = Object.assign(new Error(`connect ECONNREFUSED ${host} (loopback-only test guard)`), { code: 'ECONNREFUSED' });
		process.nextTick(() => this.destroy(error));
		return this;
	}
	return connect.apply(this, /** @type {any} */ (args));
};

// Started by a test: it ends with the test process, even one that died without closing it.
process.on('disconnect', () => process.exit(0));
