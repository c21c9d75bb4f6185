// @ts-check
/**
 * A loopback OpenAI Chat Completions server that plays an agent's model: asked without a tool
 * result in the conversation, it calls the tool (the first tool the request offers whose name
 * matches `toolPattern`, with `toolArgs`); asked again with the tool's result, it answers with
 * `answer(toolResult)`. It speaks JSON and, when the client asks for `stream: true`, server-sent
 * events. Every request is recorded (`requests`), and `toolResults()` lists what the model was
 * given back by the tool, exactly as the agent sent it.
 *
 *   const model = await startAgentModel({ toolArgs: { prompt: 'A red fox' } });
 *   // credential Base URL: model.baseUrl (http://127.0.0.1:<port>/v1)
 */
const http = require('node:http');

/**
 * @typedef {{ role: string, content?: any, tool_calls?: any[], tool_call_id?: string }} Message
 * @typedef {{ method: string, path: string, headers: import('node:http').IncomingHttpHeaders, body: any }} RecordedRequest
 */

/** @param {any} content */
function textOf(content) {
	if (typeof content === 'string') return content;
	if (Array.isArray(content)) return content.map((part) => (typeof part === 'string' ? part : part.text ?? '')).join('');
	return content === undefined || content === null ? '' : JSON.stringify(content);
}

/**
 * @param {{
 *   port?: number, apiKey?: string, model?: string, toolPattern?: RegExp, toolArgs?: Record<string, unknown>,
 *   answer?: (toolResult: string) => string,
 * }} [options]
 */
async function startAgentModel(options = {}) {
	const toolPattern = options.toolPattern ?? /image/i;
	const toolArgs = options.toolArgs ?? { prompt: 'A red fox in the snow' };
	const answer = options.answer ?? ((result) => `Here is what the image tool made: ${result}`);
	/** @type {RecordedRequest[]} */
	const requests = [];
	let calls = 0;

	/** @param {import('node:http').ServerResponse} res @param {number} status @param {any} body */
	const sendJson = (res, status, body) => {
		res.writeHead(status, { 'content-type': 'application/json' });
		res.end(JSON.stringify(body));
	};

	/** The assistant message for this turn: a tool call, or the final answer once a tool result is in. @param {any} body */
	function reply(body) {
		/** @type {Message[]} */
		const messages = Array.isArray(body.messages) ? body.messages : [];
		const toolMessage = [...messages].reverse().find((message) => message.role === 'tool');
		if (toolMessage) return { role: 'assistant', content: answer(textOf(toolMessage.content)) };
		const tools = Array.isArray(body.tools) ? body.tools : [];
		const tool = tools.find((/** @type {any} */ entry) => toolPattern.test(entry?.function?.name ?? '')) ?? tools[0];
		if (!tool) return { role: 'assistant', content: 'No tool was offered to me.' };
		calls++;
		return {
			role: 'assistant',
			content: null,
			tool_calls: [{ id: `call_${calls}`, type: 'function', function: { name: tool.function.name, arguments: JSON.stringify(toolArgs) } }],
		};
	}

	/** @param {import('node:http').ServerResponse} res @param {any} body @param {any} message */
	function stream(res, body, message) {
		res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache' });
		const base = { id: `chatcmpl-${requests.length}`, object: 'chat.completion.chunk', created: Math.floor(Date.now() / 1000), model: body.model };
		const send = (/** @type {Record<string, unknown>} */ choice) => res.write(`data: ${JSON.stringify({ ...base, choices: [{ index: 0, ...choice }] })}\n\n`);
		if (message.tool_calls) {
			send({ delta: { role: 'assistant', content: null, tool_calls: message.tool_calls.map((/** @type {any} */ call, /** @type {number} */ index) => ({ index, ...call })) }, finish_reason: null });
			send({ delta: {}, finish_reason: 'tool_calls' });
		} else {
			send({ delta: { role: 'assistant', content: message.content }, finish_reason: null });
			send({ delta: {}, finish_reason: 'stop' });
		}
		if (body.stream_options?.include_usage) {
			res.write(`data: ${JSON.stringify({ ...base, choices: [], usage: { prompt_tokens: 10, completion_tokens: 5, total_tokens: 15 } })}\n\n`);
		}
		res.end('data: [DONE]\n\n');
	}

	const server = http.createServer((req, res) => {
		/** @type {Buffer[]} */
		const chunks = [];
		req.on('data', (chunk) => chunks.push(chunk));
		req.on('end', () => {
			const raw = Buffer.concat(chunks).toString('utf8');
			let body;
			try {
				body = raw ? JSON.parse(raw) : undefined;
			} catch {
				body = raw;
			}
			const path = (req.url ?? '/').split('?')[0];
			requests.push({ method: req.method ?? 'GET', path, headers: req.headers, body });
			if (options.apiKey && req.headers.authorization !== `Bearer ${options.apiKey}`) {
				return sendJson(res, 401, { error: { message: 'Incorrect API key provided.', type: 'invalid_request_error', code: 'invalid_api_key' } });
			}
			if (req.method === 'GET' && path.endsWith('/models')) {
				return sendJson(res, 200, { object: 'list', data: [{ id: options.model ?? 'agent-model-1', object: 'model', owned_by: 'test' }] });
			}
			if (req.method !== 'POST' || !path.endsWith('/chat/completions')) {
				return sendJson(res, 404, { error: { message: `Unknown path ${path}`, type: 'invalid_request_error' } });
			}
			const message = reply(body ?? {});
			if (body?.stream) return stream(res, body, message);
			sendJson(res, 200, {
				id: `chatcmpl-${requests.length}`,
				object: 'chat.completion',
				created: Math.floor(Date.now() / 1000),
				model: body?.model,
				choices: [{ index: 0, message, finish_reason: message.tool_calls ? 'tool_calls' : 'stop' }],
				usage: { prompt_tokens: 10, completion_tokens: 5, total_tokens: 15 },
			});
		});
	});
	await new Promise((resolve) => server.listen(options.port ?? 0, '127.0.0.1', () => resolve(undefined)));
	const address = /** @type {import('node:net').AddressInfo} */ (server.address());
	const url = `http://127.0.0.1:${address.port}`;
	return {
		url,
		baseUrl: `${url}/v1`,
		requests,
		/** Chat completion requests, in order. */
		completions: () => requests.filter((request) => request.path.endsWith('/chat/completions')),
		/** The tool results the agent handed the model, as text. */
		toolResults: () =>
			requests
				.filter((request) => request.path.endsWith('/chat/completions'))
				.flatMap((request) => (request.body?.messages ?? []).filter((/** @type {Message} */ message) => message.role === 'tool').map((/** @type {Message} */ message) => textOf(message.content)))
				.filter((text, index, all) => all.indexOf(text) === index),
		reset() {
			requests.length = 0;
			calls = 0;
		},
		close: () => new Promise((resolve) => server.close(() => resolve(undefined))),
	};
}

module.exports = { startAgentModel };
