// Lint with both n8n rule sets: the classic eslint-plugin-n8n-nodes-base rules for node,
// credential and package conventions, and @n8n/eslint-plugin-community-nodes, whose rules
// decide whether a package can be verified (no runtime deps, banned globals, paired items...).
import { n8nCommunityNodesPlugin } from '@n8n/eslint-plugin-community-nodes';
import n8nNodesBase from 'eslint-plugin-n8n-nodes-base';
import tseslint from 'typescript-eslint';

// Classic rules that do not apply to a community package: one is documented as main-repository
// only, and two demand the string 'main' where the newer community rule demands NodeConnectionTypes.
const NOT_FOR_COMMUNITY = [
	'n8n-nodes-base/cred-class-field-documentation-url-miscased',
	'n8n-nodes-base/node-class-description-inputs-wrong-regular-node',
	'n8n-nodes-base/node-class-description-outputs-wrong',
];
const classic = (config) => ({
	plugins: { 'n8n-nodes-base': n8nNodesBase },
	rules: Object.fromEntries(
		Object.entries(n8nNodesBase.configs[config].rules).filter(([rule]) => !NOT_FOR_COMMUNITY.includes(rule)),
	),
});

export default [
	{ ignores: ['dist/**', 'node_modules/**', 'coverage/**'] },
	{
		files: ['**/*.ts'],
		languageOptions: { parser: tseslint.parser, parserOptions: { sourceType: 'module' } },
	},
	{ files: ['package.json'], languageOptions: { parser: (await import('jsonc-eslint-parser')).default } },
	{ files: ['package.json'], ...classic('community') },
	{ files: ['credentials/**/*.ts'], ...classic('credentials') },
	{ files: ['nodes/**/*.ts'], ...classic('nodes') },
	{ ...n8nCommunityNodesPlugin.configs.recommended, files: ['nodes/**/*.ts', 'credentials/**/*.ts', 'package.json'] },
];
