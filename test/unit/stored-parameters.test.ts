/**
 * The parameters a saved workflow stores: their names, types, defaults and dropdown values. A
 * change here breaks or changes users' saved workflows, so it must be a visible, deliberate diff
 * of the snapshot (npx jest test/unit/stored-parameters.test.ts -u after deciding it is right).
 * After the first publish, a change that drops or renames a stored value needs a new node version
 * (README, Development), not an edit of the snapshot.
 */
import type { INodeProperties } from 'n8n-workflow';

import { nodeType } from '../harness/n8n';
import { MODEL_FAMILIES } from '../../nodes/OpenAiCompatibleImages/models';

function stored(properties: INodeProperties[], prefix = ''): string[] {
	const lines = new Set<string>();
	for (const property of properties) {
		if (property.type === 'notice') continue;
		const values = property.type === 'options' ? ` [${(property.options ?? []).map((option) => ('value' in option ? String(option.value) : '')).join(', ')}]` : '';
		lines.add(`${prefix}${property.name}: ${property.type} = ${JSON.stringify(property.default)}${values}`);
		if (property.type === 'collection') stored(property.options as INodeProperties[], `${prefix}${property.name}.`).forEach((line) => lines.add(line));
	}
	return [...lines];
}

test('the stored parameter names, types, defaults and values are the snapshot', () => {
	expect(stored(nodeType.description.properties)).toMatchSnapshot();
});

test('the Model Family values (stored in workflows) are the snapshot', () => {
	expect(MODEL_FAMILIES.map((family) => family.id)).toMatchSnapshot();
});
