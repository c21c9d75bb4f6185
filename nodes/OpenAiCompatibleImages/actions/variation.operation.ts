import type { IExecuteFunctions, INodeProperties } from 'n8n-workflow';

import { mainBodyFields } from '../description/bodyFields';
import { countProperty } from '../description/common';
import { forOperation, unsupportedNotice } from '../description/familyDisplay';
import { appendFields, appendImage, inspectBinaryImage, readImageBytes } from '../helpers/inputImages';
import { AS_GIVEN, invalid, readRequest } from '../helpers/parameters';
import { ECHOED_FIELDS, pick, type ItemPlan } from '../helpers/runner';
import { splitCount } from './generate.operation';

export const description: INodeProperties[] = [
	...unsupportedNotice('variation', 'make variations'),
	...forOperation(
		{
			displayName: 'Input Binary Property',
			name: 'binaryPropertyName',
			type: 'string',
			default: 'data',
			required: true,
			placeholder: 'e.g. data',
			description: 'Name of the binary property holding the image to make variations of',
			displayOptions: { show: { operation: ['variation'] } },
		},
		'variation',
	),
	...forOperation(countProperty(['variation']), 'variation'),
	...mainBodyFields('variation'),
];

export async function plan(ctx: IExecuteFunctions, itemIndex: number): Promise<ItemPlan> {
	const { model, family, n, fields, extra } = readRequest(ctx, itemIndex, 'variation');
	const property = String(ctx.getNodeParameter('binaryPropertyName', itemIndex, 'data', AS_GIVEN) ?? '').trim();
	if (!property) {
		throw invalid(ctx, itemIndex, 'Input Binary Property is empty', 'Enter the name of the binary property holding the image, e.g. data.');
	}
	const rule = family.inputImages ?? { formats: ['png'], maxBytes: Number.MAX_SAFE_INTEGER };
	const image = await inspectBinaryImage(ctx, itemIndex, property, {
		family,
		rule,
		field: 'Input Binary Property',
		role: 'input image',
	});
	const calls = splitCount(n, family.imagesPerRequest).map((count) => ({
		path: 'images/variations',
		images: count,
		body: async () => {
			const form = new FormData();
			appendFields(form, { model, n: count, ...fields, ...extra });
			appendImage(form, 'image', image, await readImageBytes(ctx, itemIndex, image));
			return form;
		},
	}));
	return { model, requested: pick(fields, ECHOED_FIELDS), calls, fileStem: 'variation' };
}
