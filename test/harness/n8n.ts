/**
 * Runs the node inside n8n-core's real execution contexts (the classes n8n itself uses), so
 * parameter defaults, expressions, binary data storage, continue-on-fail, the credential's
 * `authenticate` and the HTTP layer (@n8n/backend-network) all behave as in n8n.
 * Only the credential store is replaced: it hands out the credential data the test gives.
 */
import { Container } from '@n8n/di';
import {
	BinaryDataConfig,
	BinaryDataService,
	ExecuteContext,
	LoadOptionsContext,
	RoutingNode,
} from 'n8n-core';
import {
	ICredentialsHelper,
	Workflow,
	type ICredentialDataDecryptedObject,
	type ICredentials,
	type IDataObject,
	type IHttpRequestOptions,
	type INode,
	type INodeExecutionData,
	type INodeListSearchResult,
	type INodeParameters,
	type INodeProperties,
	type INodeType,
	type INodeTypes,
	type IWorkflowExecuteAdditionalData,
	type NodeExecutionHint,
} from 'n8n-workflow';

import {
	CREDENTIAL_NAME,
	OpenAiCompatibleImagesApi,
} from '../../credentials/OpenAiCompatibleImagesApi.credentials';
import { OpenAiCompatibleImages } from '../../nodes/OpenAiCompatibleImages/OpenAiCompatibleImages.node';

export const NODE_TYPE = 'n8n-nodes-openai-compatible-images.openAiCompatibleImages';
export const nodeType = new OpenAiCompatibleImages();
export const credentialType = new OpenAiCompatibleImagesApi();

const nodeTypes: INodeTypes = {
	getByName: () => nodeType,
	getByNameAndVersion: () => nodeType,
	getKnownTypes: () => ({}),
};

/** Records what the node's requests looked like after authentication, to check for leaks. */
export const authenticatedRequests: IHttpRequestOptions[] = [];

class TestCredentialsHelper extends ICredentialsHelper {
	constructor(private readonly data: ICredentialDataDecryptedObject) {
		super();
	}
	getParentTypes(): string[] {
		return [];
	}
	isCredentialUsableByNode(): boolean {
		return true;
	}
	async authenticate(credentials: ICredentialDataDecryptedObject, _type: string, options: IHttpRequestOptions) {
		// n8n's CredentialsHelper calls a function-style `authenticate` exactly like this.
		const authenticated = await credentialType.authenticate(credentials, options);
		authenticatedRequests.push(authenticated);
		return authenticated;
	}
	async preAuthentication() {
		return undefined;
	}
	async runPreAuthentication() {
		return undefined;
	}
	async getCredentials(): Promise<ICredentials> {
		throw new Error('not used');
	}
	async getDecrypted() {
		return { ...this.data };
	}
	async updateCredentials() {}
	async updateCredentialsOauthTokenData() {}
	getCredentialsProperties(): INodeProperties[] {
		return credentialType.properties;
	}
}

let binaryReady: Promise<void> | undefined;

/**
 * n8n's binary data service, in n8n-core's configured mode unless a test chose one with
 * useBinaryDataMode (n8n-core 2.x defaults to 'filesystem' below N8N_USER_FOLDER).
 */
export async function binaryDataService(): Promise<BinaryDataService> {
	binaryReady ??= Container.get(BinaryDataService).init();
	await binaryReady;
	return Container.get(BinaryDataService);
}

/**
 * How n8n stores binary data: 'default' keeps it in the item as base64 (n8n 1.x's default),
 * 'filesystem' writes files under `storagePath` and items carry `filesystem-v2:...` references
 * with `data` set to the mode name (n8n 2.x's default in regular mode). The Container, and so
 * this choice, is per test file.
 */
export async function useBinaryDataMode(
	mode: 'default' | 'filesystem',
	storagePath?: string,
): Promise<BinaryDataService> {
	const config = Container.get(BinaryDataConfig);
	config.mode = mode;
	if (storagePath) config.localStoragePath = storagePath;
	binaryReady = Container.get(BinaryDataService).init();
	return await binaryDataService();
}

export interface RunOptions {
	parameters: INodeParameters;
	items?: INodeExecutionData[];
	credentials: ICredentialDataDecryptedObject;
	continueOnFail?: boolean;
	/** The node's On Error setting; `continueOnFail: true` is 'continueRegularOutput'. */
	onError?: INode['onError'];
	abortSignal?: AbortSignal;
	/** Runs the node's Tool variant (`<type>Tool`), as an AI Agent calls it. */
	tool?: boolean;
	/** Receives the execution hints the node added (what the editor shows on the node). */
	hints?: NodeExecutionHint[];
}

function makeNode(parameters: INodeParameters, continueOnFail = false, onError?: INode['onError'], tool = false): INode {
	return {
		id: 'images-node',
		name: 'Images',
		type: tool ? `${NODE_TYPE}Tool` : NODE_TYPE,
		typeVersion: 1,
		position: [0, 0],
		parameters,
		credentials: { [CREDENTIAL_NAME]: { id: 'cred-1', name: 'Test credential' } },
		...(continueOnFail ? { onError: 'continueRegularOutput' as const } : {}),
		...(onError ? { onError } : {}),
	};
}

function additionalDataFor(credentials: ICredentialDataDecryptedObject): IWorkflowExecuteAdditionalData {
	return {
		credentialsHelper: new TestCredentialsHelper(credentials),
		restApiUrl: 'http://127.0.0.1/rest',
		instanceBaseUrl: 'http://127.0.0.1/',
		webhookBaseUrl: 'http://127.0.0.1/webhook',
		variables: {},
		currentNodeExecutionIndex: 0,
		executionId: 'test-execution',
	} as unknown as IWorkflowExecuteAdditionalData;
}

function workflowFor(node: INode): Workflow {
	return new Workflow({ id: 'test-workflow', nodes: [node], connections: {}, active: false, nodeTypes });
}

/** Executes the node on the given items and returns its single output. */
export async function runNode(options: RunOptions): Promise<INodeExecutionData[]> {
	await binaryDataService();
	const node = makeNode(options.parameters, options.continueOnFail, options.onError, options.tool);
	const workflow = workflowFor(node);
	const workflowNode = workflow.getNode(node.name) as INode;
	const items = options.items ?? [{ json: {} }];
	const context = new ExecuteContext(
		workflow,
		workflowNode,
		additionalDataFor(options.credentials),
		'manual',
		{ resultData: { runData: {} } } as never,
		0,
		items,
		{ main: [items] },
		{ node: workflowNode, data: { main: [items] }, source: null },
		[],
		options.abortSignal,
	);
	const [output] = await nodeType.execute.call(context);
	options.hints?.push(...context.hints);
	return output;
}

export interface InputFile {
	data: Buffer;
	fileName?: string;
	/**
	 * What the item claims. When absent n8n guesses from the file name; without one it would sniff
	 * the bytes with an ES module jest cannot load, so the harness then claims application/octet-stream.
	 */
	mimeType?: string;
}

/**
 * Input items with binary data stored the way an upstream node stores it: through
 * `this.helpers.prepareBinaryData` of a real ExecuteContext, in the current binary data mode.
 */
export async function prepareItems(
	specs: Array<{ json?: IDataObject; binary?: Record<string, InputFile> }>,
): Promise<INodeExecutionData[]> {
	await binaryDataService();
	const node = makeNode({});
	const workflow = workflowFor(node);
	const workflowNode = workflow.getNode(node.name) as INode;
	const context = new ExecuteContext(
		workflow,
		workflowNode,
		additionalDataFor({}),
		'manual',
		{ resultData: { runData: {} } } as never,
		0,
		[],
		{ main: [[]] },
		{ node: workflowNode, data: { main: [[]] }, source: null },
		[],
	);
	const items: INodeExecutionData[] = [];
	for (const spec of specs) {
		const item: INodeExecutionData = { json: spec.json ?? {} };
		for (const [property, file] of Object.entries(spec.binary ?? {})) {
			item.binary ??= {};
			const mimeType = file.mimeType ?? (file.fileName && /\.\w+$/.test(file.fileName) ? undefined : 'application/octet-stream');
			item.binary[property] = await context.helpers.prepareBinaryData(file.data, file.fileName, mimeType);
		}
		items.push(item);
	}
	return items;
}

/** The bytes n8n stored for an output item's binary property. */
export async function binaryBytes(item: INodeExecutionData, property = 'data'): Promise<Buffer> {
	const binary = item.binary?.[property];
	if (!binary) throw new Error(`item has no binary property ${property}`);
	return await (await binaryDataService()).getAsBuffer(binary);
}

/** Runs the Model field's "From list" search as the n8n editor does. */
export async function searchModels(
	credentials: ICredentialDataDecryptedObject,
	filter?: string,
): Promise<INodeListSearchResult> {
	const node = makeNode({ operation: 'generate' });
	const workflow = workflowFor(node);
	const context = new LoadOptionsContext(workflow, workflow.getNode(node.name) as INode, additionalDataFor(credentials), 'model');
	return await nodeType.methods.listSearch.searchModels.call(context, filter);
}

export type CredentialTestOutcome =
	| { ok: true; body: unknown }
	| { ok: false; status?: number; code?: string; message: string };

/**
 * Runs the credential's declarative `test` request the way n8n's credentials tester does: a
 * node whose one property routes that request, executed by n8n-core's RoutingNode with the
 * credential (so `authenticate` and the HTTP layer apply). Returns what the tester then judges
 * with the rules: the response body, or the failure with its HTTP status.
 */
export async function runCredentialTestRequest(data: ICredentialDataDecryptedObject): Promise<CredentialTestOutcome> {
	const testType: INodeType = {
		description: {
			...nodeType.description,
			credentials: [{ name: CREDENTIAL_NAME, required: true }],
			properties: [
				{ displayName: 'Temp', name: 'temp', type: 'string', default: '', routing: { request: credentialType.test.request } },
			],
		},
	};
	const node = makeNode({});
	const workflow = new Workflow({
		id: 'credential-test',
		nodes: [node],
		connections: {},
		active: false,
		nodeTypes: { getByName: () => testType, getByNameAndVersion: () => testType, getKnownTypes: () => ({}) },
	});
	const workflowNode = workflow.getNode(node.name) as INode;
	const items = [{ json: {} }];
	const context = new ExecuteContext(
		workflow,
		workflowNode,
		additionalDataFor(data),
		'internal',
		{ resultData: { runData: {} } } as never,
		0,
		[],
		{ main: [items] },
		{ node: workflowNode, data: {}, source: null },
		[],
	);
	const credentials = { id: 'cred-1', name: 'Test credential', type: CREDENTIAL_NAME, data };
	try {
		const output = await new RoutingNode(context, testType, credentials).runNode();
		return { ok: true, body: output?.[0]?.[0]?.json };
	} catch (error) {
		const { cause, httpCode, message } = error as { cause?: { response?: { status?: number }; code?: string }; httpCode?: string; message: string };
		const status = cause?.response?.status ?? (httpCode ? Number(httpCode) : undefined);
		return { ok: false, status, code: cause?.code, message };
	}
}
