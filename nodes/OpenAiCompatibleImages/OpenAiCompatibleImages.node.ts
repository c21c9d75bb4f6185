import {
	NodeConnectionTypes,
	NodeOperationError,
	type IExecuteFunctions,
	type INodeExecutionData,
	type INodeType,
	type INodeTypeDescription,
} from 'n8n-workflow';

import { CREDENTIAL_NAME } from '../../credentials/OpenAiCompatibleImagesApi.credentials';
import * as edit from './actions/edit.operation';
import * as generate from './actions/generate.operation';
import * as variation from './actions/variation.operation';
import { modelProperty, optionsProperty } from './description/common';
import { modelFamilyProperty, subtitleExpression } from './description/familyDisplay';
import { runItems, type PlanItem } from './helpers/runner';
import { searchModels } from './methods/listSearch';
import { familiesWith, modelsOf, type Operation } from './models';

const OPERATIONS: Partial<Record<Operation, PlanItem>> = {
	generate: generate.plan,
	edit: edit.plan,
	variation: variation.plan,
};

export class OpenAiCompatibleImages implements INodeType {
	description: INodeTypeDescription = {
		displayName: 'OpenAI-Compatible Images',
		name: 'openAiCompatibleImages',
		icon: {
			light: 'file:openAiCompatibleImages.svg',
			dark: 'file:openAiCompatibleImages.dark.svg',
		},
		group: ['transform'],
		version: 1,
		// Replaced in the constructor by one that also names the model's family (built from the table).
		subtitle: '={{ $parameter["operation"] + ": " + ($parameter["model"].value || $parameter["model"]) }}',
		description: 'Generate and edit images with any OpenAI-compatible image API or gateway',
		defaults: { name: 'OpenAI-Compatible Images' },
		inputs: [NodeConnectionTypes.Main],
		outputs: [NodeConnectionTypes.Main],
		usableAsTool: true,
		credentials: [{ name: CREDENTIAL_NAME, required: true }],
		properties: [
			{
				displayName: 'Operation',
				name: 'operation',
				type: 'options',
				noDataExpression: true,
				options: [
					{
						name: 'Edit',
						value: 'edit',
						action: 'Edit images with a prompt',
						description:
							'Change input images following a text prompt, optionally only where a mask is transparent, or combine several reference images into a new one',
					},
					{
						name: 'Generate',
						value: 'generate',
						action: 'Generate images from a prompt',
						description: 'Create new images from a text prompt',
					},
					{
						name: 'Variation',
						value: 'variation',
						action: 'Create variations of an image',
						description: `Create new images that vary a square PNG, without a prompt (${modelsOf(familiesWith('variation'))} only)`,
					},
				],
				default: 'generate',
			},
			modelProperty,
			modelFamilyProperty,
			...generate.description,
			...edit.description,
			...variation.description,
			optionsProperty,
		],
	};

	methods = {
		listSearch: { searchModels },
	};

	constructor() {
		this.description.subtitle = subtitleExpression();
	}

	async execute(this: IExecuteFunctions): Promise<INodeExecutionData[][]> {
		const operation = this.getNodeParameter('operation', 0) as Operation;
		const planItem = OPERATIONS[operation];
		if (!planItem) {
			// n8n offers a "Custom API Call" operation on nodes with credentials; this node has none.
			throw new NodeOperationError(this.getNode(), `The operation "${String(operation)}" is not supported by this node`, {
				description:
					'Choose Generate, Edit or Variation. For other endpoints of your server, use an HTTP Request node with the same Base URL and key.',
			});
		}
		return [await runItems(this, planItem)];
	}
}
