// @ts-check
/**
 * A server that floods its clients, run in a process of its own so that a test can measure the
 * memory of the process that runs the node without counting the server's. Started as
 * `node flood-server.js`; prints its port on stdout. It answers image generations by the prompt:
 * - "endless": a JSON answer whose base64 never ends (chunked, as fast as the client reads);
 * - "huge": a 300 MB JSON answer without Content-Length (chunked);
 * - "huge-declared": the same with its Content-Length announced;
 * - "download-endless": a valid answer whose image URL serves a PNG that never ends;
 * - anything else: a small valid image.
 * Downloads: GET /files/endless.png.
 */
const http = require('node:http');

// A 1x1 PNG, the start of every image sent.
const PNG = Buffer.from(
	'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg==',
	'base64',
);
const FILLER = Buffer.alloc(1024 * 1024, 'A');

/** Writes `chunk` until `total` bytes went out (Infinity: for ever), honouring back-pressure. */
/** @param {import('node:http').ServerResponse} res @param {Buffer} chunk @param {number} total @param {() => void} done */
function flood(res, chunk, total, done) {
	let sent = 0;
	const write = () => {
		while (sent < total) {
			sent += chunk.length;
			if (!res.write(chunk)) return void res.once('drain', write);
		}
		done();
	};
	res.on('error', () => undefined);
	write();
}

const server = http.createServer((req, res) => {
	/** @type {Buffer[]} */
	const chunks = [];
	req.on('data', (chunk) => chunks.push(chunk));
	req.on('end', () => {
		const origin = `http://${req.headers.host}`;
		if (req.url === '/files/endless.png') {
			res.writeHead(200, { 'content-type': 'image/png' });
			res.write(PNG);
			return flood(res, FILLER, Infinity, () => undefined);
		}
		let prompt = '';
		try {
			prompt = JSON.parse(Buffer.concat(chunks).toString('utf8')).prompt;
		} catch {
			prompt = '';
		}
		const start = Buffer.from('{"created":1,"data":[{"b64_json":"');
		const end = Buffer.from('"}]}');
		if (prompt === 'endless') {
			res.writeHead(200, { 'content-type': 'application/json' });
			res.write(start);
			return flood(res, FILLER, Infinity, () => undefined);
		}
		if (prompt === 'huge' || prompt === 'huge-declared') {
			const size = 300 * FILLER.length;
			/** @type {Record<string, string>} */
			const headers = { 'content-type': 'application/json' };
			if (prompt === 'huge-declared') headers['content-length'] = String(start.length + size + end.length);
			res.writeHead(200, headers);
			res.write(start);
			return flood(res, FILLER, size, () => res.end(end));
		}
		const entry = prompt === 'download-endless' ? { url: `${origin}/files/endless.png` } : { b64_json: PNG.toString('base64') };
		const body = JSON.stringify({ created: 1, data: [entry] });
		res.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) });
		res.end(body);
	});
});
server.listen(0, '127.0.0.1', () => {
	const address = /** @type {import('node:net').AddressInfo} */ (server.address());
	process.stdout.write(`${address.port}\n`);
});
