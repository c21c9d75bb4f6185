// @ts-check
/**
 * What the loopback image server reads from, and answers to, requests that are not plain OpenAI
 * Images API calls: image models behind chat completions (OpenRouter, Vercel AI Gateway, new-api,
 * other gateways), OpenRouter's images endpoint, providers' native fields (SiliconFlow,
 * Together, xAI, Volcengine Seedream 4 group generation), and the native APIs a gateway such as
 * Portkey translates to (Stability v1, Vertex AI Imagen, Gemini generateContent).
 *
 * A request says which provider it imitates by its path and fields, as the real providers would
 * read it; `behaviour.shape` picks among the answer shapes a gateway may use for the same request.
 */

/**
 * @typedef {{ index: number, mimeType: string, size: number, sha256: string, bytes: Buffer }} ServedImage
 * @typedef {{ prompt: string, n: number, size?: string, references: string[] }} ImageAsk
 * @typedef {'chatImages' | 'chatParts' | 'chatMarkdown' | 'chatMarkdownUrl' | 'chatInline' | 'chatTextOnly' | 'chatEmpty'} ChatShape
 */

/** The text and reference images of a chat request's last user message. @param {any} body */
function userMessage(body) {
	const messages = Array.isArray(body?.messages) ? body.messages : [];
	const message = [...messages].reverse().find((entry) => entry?.role === 'user') ?? {};
	const content = message.content;
	if (typeof content === 'string') return { text: content, references: [] };
	const parts = Array.isArray(content) ? content : [];
	return {
		text: parts.filter((part) => part?.type === 'text').map((part) => String(part.text ?? '')).join('\n'),
		references: parts
			.filter((part) => part?.type === 'image_url')
			.map((part) => String(typeof part.image_url === 'string' ? part.image_url : part.image_url?.url ?? '')),
	};
}

/**
 * What a request asks for, read the way each provider reads it.
 * @param {string} kind @param {Record<string, any>} fields
 * @returns {ImageAsk}
 */
function askOf(kind, fields) {
	if (kind === 'chat') {
		const { text, references } = userMessage(fields);
		return { prompt: text, n: 1, size: undefined, references };
	}
	const references = [fields.image, fields.input_references?.map((/** @type {any} */ ref) => ref?.image_url?.url ?? ref)]
		.flat()
		.filter((ref) => typeof ref === 'string');
	// Native APIs a gateway translates to: Stability v1 (text_prompts, samples), Vertex Imagen
	// (instances, parameters.sampleCount), Gemini generateContent (contents).
	const native = fields.text_prompts?.[0]?.text ?? fields.instances?.[0]?.prompt ?? fields.contents?.at(-1)?.parts?.find((/** @type {any} */ part) => part.text)?.text;
	if (native !== undefined) {
		const count = Number(fields.samples ?? fields.parameters?.sampleCount ?? 1) || 1;
		return { prompt: String(native), n: count, size: fields.width && fields.height ? `${fields.width}x${fields.height}` : undefined, references };
	}
	const prompt = String(fields.prompt ?? '');
	// SiliconFlow: batch_size and image_size.
	if (fields.batch_size !== undefined) return { prompt, n: Number(fields.batch_size) || 1, size: fields.image_size, references };
	// Volcengine Seedream 4: a group of up to max_images related images.
	if (fields.sequential_image_generation === 'auto') {
		const max = Number(fields.sequential_image_generation_options?.max_images ?? 15) || 1;
		return { prompt, n: max, size: fields.size, references };
	}
	// Together: width and height.
	const size = fields.width && fields.height ? `${fields.width}x${fields.height}` : fields.size ?? fields.image_size;
	return { prompt, n: Math.max(1, Number(fields.n ?? 1) || 1), size, references };
}

/** @param {ServedImage} image */
const dataUrlOf = (image) => `data:${image.mimeType};base64,${image.bytes.toString('base64')}`;

/**
 * A chat completion carrying the images in one of the shapes gateways use.
 * @param {ChatShape} shape @param {string} model @param {ServedImage[]} images
 * @param {(image: ServedImage) => string} hostedUrl a URL of this server the image can be downloaded from
 */
function chatCompletion(shape, model, images, hostedUrl) {
	const text = 'Here is your image.';
	/** @type {Record<string, any>} */
	const message = { role: 'assistant', content: text };
	if (shape === 'chatImages') {
		message.images = images.map((image) => ({ type: 'image_url', image_url: { url: dataUrlOf(image) } }));
	} else if (shape === 'chatParts') {
		message.content = [{ type: 'text', text }, ...images.map((image) => ({ type: 'image_url', image_url: { url: dataUrlOf(image) } }))];
	} else if (shape === 'chatInline') {
		message.content = [
			{ type: 'text', text },
			...images.map((image) => ({ type: 'image', inline_data: { mime_type: image.mimeType, data: image.bytes.toString('base64') } })),
		];
	} else if (shape === 'chatMarkdown') {
		message.content = `${text}\n\n${images.map((image) => `![image](${dataUrlOf(image)})`).join('\n')}`;
	} else if (shape === 'chatMarkdownUrl') {
		message.content = `${text}\n\n${images.map((image, index) => `![image ${index + 1}](${hostedUrl(image)})`).join('\n')}`;
	} else if (shape === 'chatTextOnly') {
		message.content = 'I cannot draw that, but I can describe it: a fox in the snow.';
	} else if (shape === 'chatEmpty') {
		message.content = null;
	}
	return {
		id: 'chatcmpl-test',
		object: 'chat.completion',
		created: Math.floor(Date.now() / 1000),
		model,
		choices: [{ index: 0, message, finish_reason: 'stop' }],
		usage: { prompt_tokens: 12, completion_tokens: 1290 * images.length, total_tokens: 12 + 1290 * images.length },
	};
}

/**
 * The answer of a provider with its own response shape, or undefined for the OpenAI shape.
 * `blocked`: how many of the first images the provider's safety filter withheld (native APIs).
 * @param {string} path @param {Record<string, any>} fields @param {Record<string, any>[]} data the OpenAI-style entries
 * @param {ServedImage[]} images @param {number} [blocked]
 */
function nativeAnswer(path, fields, data, images, blocked = 0) {
	const created = Math.floor(Date.now() / 1000);
	const base64 = (/** @type {ServedImage} */ image) => image.bytes.toString('base64');
	// Stability v1 text-to-image: artifacts; a filtered one has no base64.
	if (/\/text-to-image$/.test(path)) {
		return {
			artifacts: images.map((image, index) =>
				index < blocked ? { base64: null, seed: index, finishReason: 'CONTENT_FILTERED' } : { base64: base64(image), seed: index, finishReason: 'SUCCESS' },
			),
		};
	}
	// Vertex AI Imagen predict: predictions; a filtered one carries only its reason.
	if (/:predict$/.test(path)) {
		return {
			predictions: images.map((image, index) =>
				index < blocked ? { raiFilteredReason: 'The image was filtered by the safety settings.' } : { bytesBase64Encoded: base64(image), mimeType: image.mimeType },
			),
		};
	}
	// Gemini generateContent: text and inline image parts.
	if (/:generateContent$/.test(path)) {
		return {
			candidates: [
				{
					content: { role: 'model', parts: [{ text: 'Here is your image.' }, ...images.map((image) => ({ inlineData: { mimeType: image.mimeType, data: base64(image) } }))] },
					finishReason: 'STOP',
				},
			],
			usageMetadata: { promptTokenCount: 12, candidatesTokenCount: 1290 * images.length, totalTokenCount: 12 + 1290 * images.length },
			modelVersion: fields.model,
		};
	}
	// OpenRouter's images endpoint: POST /images, base64 with its media type, and the cost.
	if (/\/images$/.test(path)) {
		return {
			created,
			data: images.map((image) => ({ b64_json: image.bytes.toString('base64'), media_type: image.mimeType })),
			usage: { prompt_tokens: 10, completion_tokens: 1290 * images.length, total_tokens: 10 + 1290 * images.length, cost: 0.039 * images.length },
		};
	}
	if (fields.batch_size !== undefined) {
		return { images: data.map((entry) => ({ url: entry.url ?? `data:image/png;base64,${entry.b64_json}` })), seed: fields.seed ?? 42, timings: { inference: 0.5 } };
	}
	if (fields.response_format === 'base64') {
		return { id: 'together-1', model: fields.model, object: 'list', data: data.map((entry, index) => ({ index, b64_json: entry.b64_json, type: 'image' })) };
	}
	if (fields.sequential_image_generation !== undefined) {
		return {
			model: fields.model,
			created,
			data: data.map((entry) => ({ ...entry, size: fields.size ?? '2048x2048' })),
			usage: { generated_images: data.length, output_tokens: 16384 * data.length, total_tokens: 16384 * data.length },
		};
	}
	return undefined;
}

module.exports = { askOf, chatCompletion, nativeAnswer, userMessage };
