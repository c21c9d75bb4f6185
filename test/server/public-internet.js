// @ts-check
/**
 * "The public internet" for tests on loopback: an HTTP forward proxy (set as n8n's HTTP_PROXY /
 * HTTPS_PROXY) that answers for public addresses itself, so that a test can see which address a
 * client really asked for. Plain http requests arrive in absolute form (`GET http://1.2.3.4:80/x`)
 * and are answered from `serve()`d files; https requests arrive as `CONNECT 1.2.3.4:443` and are
 * handed to a local TLS server, which notes the TLS server name (SNI) the client sent.
 */
const http = require('node:http');
const net = require('node:net');
const tls = require('node:tls');

/**
 * @param {{ tls?: { key: string, cert: string } }} [options]
 */
async function startPublicInternet(options = {}) {
	/** @type {{ method: string, target: string, host?: string, servername?: string }[]} */
	const requests = [];
	/** @type {Map<string, { bytes: Buffer, mimeType: string }>} */
	const files = new Map();
	/** @type {Map<string, string>} */
	const redirects = new Map();

	/** @param {import('node:http').ServerResponse} res @param {string} target */
	const answer = (res, target) => {
		const location = redirects.get(new URL(target).pathname);
		if (location) {
			res.writeHead(302, { location }).end();
			return;
		}
		const file = files.get(new URL(target).pathname);
		if (!file) {
			res.writeHead(404, { 'content-type': 'text/plain' }).end('not found');
			return;
		}
		res.writeHead(200, { 'content-type': file.mimeType, 'content-length': file.bytes.length }).end(file.bytes);
	};

	const proxy = http.createServer((req, res) => {
		const target = req.url ?? '';
		requests.push({ method: req.method ?? '', target, host: req.headers.host });
		if (!/^http:\/\//.test(target)) {
			res.writeHead(400).end('absolute-form requests only');
			return;
		}
		answer(res, target);
	});

	/** Every socket, so that close() ends tunnels too (the http server does not track those). */
	/** @type {Set<import('node:net').Socket>} */
	const sockets = new Set();
	/** @param {import('node:net').Socket} socket */
	const track = (socket) => {
		sockets.add(socket);
		socket.once('close', () => sockets.delete(socket));
	};
	/** The CONNECT record of each tunnel, by the local port of its connection to the TLS server. */
	/** @type {Map<number, { method: string, target: string, host?: string, servername?: string }>} */
	const tunnels = new Map();
	/** @type {import('node:tls').Server | undefined} */
	let tlsServer;
	if (options.tls) {
		const inner = http.createServer((req, res) => {
			const record = tunnels.get(req.socket.remotePort ?? 0);
			if (record) record.host = req.headers.host;
			answer(res, `https://${req.headers.host}${req.url}`);
		});
		const context = tls.createSecureContext(options.tls);
		tlsServer = tls.createServer({
			...options.tls,
			// Noted from the client's hello, so also for a client that then refuses the certificate.
			// One tunnel at a time: the name goes to the latest tunnel that has none yet.
			SNICallback: (servername, done) => {
				const record = [...tunnels.values()].reverse().find((entry) => entry.servername === undefined);
				if (record) record.servername = servername;
				done(null, context);
			},
		}, (socket) => inner.emit('connection', socket));
		tlsServer.on('connection', track);
		await new Promise((resolve) => tlsServer?.listen(0, '127.0.0.1', () => resolve(undefined)));
	}
	proxy.on('connection', track);
	proxy.on('connect', (req, clientSocket, head) => {
		const record = { method: 'CONNECT', target: req.url ?? '' };
		requests.push(record);
		const address = tlsServer?.address();
		if (!address || typeof address === 'string') {
			clientSocket.end('HTTP/1.1 502 Bad Gateway\r\n\r\n');
			return;
		}
		const upstream = net.connect(address.port, '127.0.0.1', () => {
			tunnels.set(upstream.localPort ?? 0, record);
			clientSocket.write('HTTP/1.1 200 Connection Established\r\n\r\n');
			if (head.length) upstream.write(head);
			upstream.pipe(clientSocket);
			clientSocket.pipe(upstream);
		});
		track(upstream);
		upstream.on('error', () => clientSocket.destroy());
		clientSocket.on('error', () => upstream.destroy());
	});

	await new Promise((resolve) => proxy.listen(0, '127.0.0.1', () => resolve(undefined)));
	const port = /** @type {import('node:net').AddressInfo} */ (proxy.address()).port;
	return {
		url: `http://127.0.0.1:${port}`,
		requests,
		/** Serves `bytes` at `path` on every public address. @param {string} path @param {Buffer} bytes */
		serve(path, bytes, mimeType = 'image/png') {
			files.set(path, { bytes, mimeType });
		},
		/** Answers `path` with a 302 to `location` on every public address (undefined: no more). @param {string} path @param {string | undefined} location */
		redirect(path, location) {
			if (location === undefined) redirects.delete(path);
			else redirects.set(path, location);
		},
		reset() {
			requests.length = 0;
			redirects.clear();
		},
		close: async () => {
			for (const socket of sockets) socket.destroy();
			await new Promise((resolve) => proxy.close(() => resolve(undefined)));
			if (tlsServer) await new Promise((resolve) => tlsServer?.close(() => resolve(undefined)));
		},
	};
}

module.exports = { startPublicInternet };
