import type { IBinaryData, IDataObject, IExecuteFunctions, INodeExecutionData } from 'n8n-workflow';

/**
 * What an AI Agent gets back when it calls the node as a tool.
 *
 * n8n hands a tool's output to the model as the JSON of its items only (`JSON.stringify` of
 * every item's `json`; binary data is dropped, n8n 2.x logs "binary data ... was omitted"), and
 * nodes after the agent see only the agent's answer. So the tool answers with one item whose
 * JSON tells the model what was made (how many images, size, file names, revised prompt, the
 * provider's URL) and, where n8n stores binary data outside the execution (2.x's default
 * filesystem mode, database, S3), a signed n8n link to each image that opens without a login for
 * 24 hours: the model can show it in the chat answer as Markdown. The images stay in the tool's
 * own output (visible on the tool node in the editor), all in this one item.
 */

/** How long the signed image links in a tool answer work. */
export const TOOL_LINK_EXPIRY = '1 day';

/** Whether the node runs as an AI Agent tool (its `...Tool` variant, or called through a tool context). */
export function isToolCall(ctx: IExecuteFunctions): boolean {
	// n8n 2.x runs a tool node requested by an agent in a regular execute context, whose
	// isToolExecution() says false: the Tool variant's type tells.
	return /Tool$/.test(ctx.getNode().type) || ctx.isToolExecution?.() === true;
}

/** A signed n8n link to a stored image, or undefined where n8n keeps binary data in memory (1.x default). */
function signedLink(ctx: IExecuteFunctions, binary: IBinaryData): string | undefined {
	if (!binary.id || typeof ctx.helpers.createBinarySignedUrl !== 'function') return undefined;
	try {
		return ctx.helpers.createBinarySignedUrl(binary, TOOL_LINK_EXPIRY);
	} catch {
		return undefined;
	}
}

export interface ToolImage {
	binary: IBinaryData;
	json: IDataObject;
}

/** The one item a tool call answers with: a summary for the model, and every image as binary data. */
export function toolResultItem(
	ctx: IExecuteFunctions,
	itemIndex: number,
	prompt: string | undefined,
	images: ToolImage[],
	binaryProperty: string,
	counts: IDataObject,
): INodeExecutionData {
	const binary: Record<string, IBinaryData> = {};
	const described = images.map(({ binary: data, json }, index) => {
		binary[index === 0 ? binaryProperty : `${binaryProperty}_${index}`] = data;
		const link = signedLink(ctx, data);
		return {
			fileName: json.fileName,
			mimeType: json.mimeType,
			...(json.width !== undefined ? { width: json.width, height: json.height } : {}),
			...(json.size !== undefined ? { size: json.size } : {}),
			...(json.revised_prompt !== undefined ? { revised_prompt: json.revised_prompt } : {}),
			...(json.url !== undefined ? { url: json.url } : {}),
			...(link ? { link } : {}),
		};
	});
	const linked = described.some((image) => 'link' in image);
	const hosted = described.some((image) => 'url' in image);
	const names = described.map((image) => image.fileName).join(', ');
	const show = linked
		? ' To show an image in your answer, use Markdown with its link: ![short description](link). Links work for 24 hours.'
		: hosted
			? " To show an image in your answer, use Markdown with its url: ![short description](url). Provider URLs expire."
			: ' The images are attached to the workflow run; there is no link to show them in the chat.';
	const json: IDataObject = {
		result: `Generated ${images.length} image${images.length === 1 ? '' : 's'}${prompt ? ` for the prompt "${prompt}"` : ''}: ${names}.${show}`,
		imageCount: images.length,
		...counts,
		images: described,
	};
	return { json, binary, pairedItem: { item: itemIndex } };
}
