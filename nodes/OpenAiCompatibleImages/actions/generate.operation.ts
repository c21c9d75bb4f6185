import type { IExecuteFunctions, INodeProperties } from 'n8n-workflow';

import { mainBodyFields } from '../description/bodyFields';
import { countProperties, promptProperty } from '../description/common';
import { readRequest } from '../helpers/parameters';
import { generatePath, requestBody, responseParser } from '../helpers/requestBody';
import { ECHOED_FIELDS, pick, type ItemPlan, type PlannedCall } from '../helpers/runner';

export const description: INodeProperties[] = [
	promptProperty(
		['generate'],
		'What the image should show.',
	),
	...countProperties('generate'),
	...mainBodyFields('generate'),
];

/** Splits n images over as many calls as the model needs (DALL·E 3 returns one image per call). */
export function splitCount(n: number, perRequest: number): number[] {
	const counts: number[] = [];
	for (let left = n; left > 0; left -= perRequest) counts.push(Math.min(left, perRequest));
	return counts;
}

export async function plan(ctx: IExecuteFunctions, itemIndex: number): Promise<ItemPlan> {
	const { model, family, prompt, n, fields, extra } = readRequest(ctx, itemIndex, 'generate');
	const calls: PlannedCall[] = splitCount(n, family.imagesPerRequest).map((count) => ({
		path: generatePath(family),
		images: count,
		body: async () => requestBody(family, 'generate', { model, prompt, count, fields, extra }),
		parse: responseParser(family),
	}));
	return { model, prompt, requested: pick(fields, ECHOED_FIELDS), calls };
}
