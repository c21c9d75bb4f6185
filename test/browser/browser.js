'use strict';
/**
 * The browser half of the editor tests: playwright-core driving Debian's Chromium
 * (/usr/bin/chromium) against a real n8n (scripts/lib/n8n.js starts it), with helpers that read
 * the editor the way a user sees it: parameter labels, dropdown options, red (issue) parameters,
 * the nodes panel's search, "Execute workflow".
 *
 * Only 127.0.0.1 is browsed: every request to another host is aborted (the frontend tries to reach
 * n8n's and npm's hosts) and listed in `blockedHosts`.
 */

const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');

const { chromium } = require('playwright-core');

const CHROMIUM = '/usr/bin/chromium';
const CHROMIUM_FLAGS = [
	'--headless',
	'--no-sandbox',
	'--disable-gpu',
	'--disable-quic',
	'--no-first-run',
	'--disable-background-networking',
	'--disable-component-update',
	'--disable-sync',
];
const SCREENSHOTS = path.resolve(__dirname, '..', '..', 'test-results', 'browser');

/** A file name made of the safe characters of `text`. */
function slug(text) {
	return String(text)
		.replace(/[^A-Za-z0-9._-]+/g, '-')
		.replace(/^-+|-+$/g, '')
		.slice(0, 120);
}

/**
 * Starts Chromium with a fresh user-data dir (a persistent context: Playwright passes
 * --user-data-dir itself) and routes every request: loopback passes, the rest is aborted.
 * Returns { context, newPage(), blockedHosts, screenshot(page, name), close() }.
 */
async function launchBrowser({ executablePath = CHROMIUM, viewport = { width: 1440, height: 1000 } } = {}) {
	const userDataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'n8n-images-chromium-'));
	const context = await chromium.launchPersistentContext(userDataDir, {
		executablePath,
		headless: true,
		args: CHROMIUM_FLAGS,
		viewport,
		timeout: 60000,
	});
	const blockedHosts = new Set();
	await context.route('**/*', (route) => {
		const url = new URL(route.request().url());
		if (url.protocol === 'data:' || url.protocol === 'blob:' || url.hostname === '127.0.0.1') return route.continue();
		blockedHosts.add(url.host);
		return route.abort('blockedbyclient');
	});
	// Generous: the machine's 2 cores are shared, and n8n's editor loads hundreds of chunks.
	context.setDefaultTimeout(30000);
	context.setDefaultNavigationTimeout(90000);
	// A persistent context opens with one blank page; tests open their own.
	for (const page of context.pages()) await page.close();

	async function newPage() {
		const page = await context.newPage();
		// n8n asks before leaving a workflow with unsaved changes; tests move on.
		page.on('dialog', (dialog) => dialog.accept().catch(() => {}));
		return page;
	}

	async function screenshot(page, name) {
		fs.mkdirSync(SCREENSHOTS, { recursive: true });
		const file = path.join(SCREENSHOTS, `${slug(name)}.png`);
		await page.screenshot({ path: file, fullPage: false });
		return file;
	}

	async function close() {
		await context.close().catch(() => {});
		fs.rmSync(userDataDir, { recursive: true, force: true });
	}

	return { context, newPage, blockedHosts, screenshot, close, userDataDir };
}

/** Editor helpers bound to one n8n (`baseUrl`, a startN8n() server with a logged-in REST client) and one page. */
function editor(page, server) {
	const baseUrl = server.url;
	const byTestId = (id) => page.locator(`[data-test-id="${id}"]`);
	const parameters = () => byTestId('node-parameters');

	/** Logs in through the sign-in form (the browser context then holds n8n's auth cookie). */
	async function login({ email, password }) {
		await page.goto(`${baseUrl}/signin`, { waitUntil: 'domcontentloaded' });
		await page.locator('input[name="emailOrLdapLoginId"]').fill(email);
		await page.locator('input[name="password"]').fill(password);
		await byTestId('form-submit-button').click();
		await page.waitForURL((url) => !url.pathname.startsWith('/signin'), { timeout: 90000, waitUntil: 'domcontentloaded' });
	}

	/** Opens a workflow by id and waits for its nodes on the canvas. */
	async function openWorkflow(id) {
		await page.goto(`${baseUrl}/workflow/${id}`, { waitUntil: 'domcontentloaded' });
		await byTestId('canvas-node').first().waitFor({ state: 'visible', timeout: 90000 });
	}

	/**
	 * A node's subtitle on the canvas: its text, and whether the canvas cuts it (an ellipsis: the
	 * element is narrower than its text).
	 */
	async function canvasSubtitle(name) {
		const node = page.locator(`[data-test-id="canvas-node"][data-node-name="${name}"]`).first();
		return node.evaluate((root) => {
			const all = [...root.querySelectorAll('*')].filter((e) => e.children.length === 0 && /subtitle/i.test(e.className || ''));
			const element = all[0];
			if (!element) return { text: '', cut: false };
			return { text: element.textContent.replace(/\s+/g, ' ').trim(), cut: element.scrollWidth > element.clientWidth + 1 };
		});
	}

	/** Opens a node's parameter panel (NDV) by double-clicking it on the canvas. */
	async function openNode(name) {
		await page.locator(`[data-test-id="canvas-node"][data-node-name="${name}"]`).dblclick();
		await parameters().waitFor({ state: 'visible' });
		await settle();
	}

	/** Closes the parameter panel. */
	async function closeNode() {
		await byTestId('ndv-close-button').first().click();
		await parameters().waitFor({ state: 'hidden' });
	}

	/** Lets the panel re-render after a change (fields that follow the model appear a tick later). */
	async function settle() {
		await page.waitForTimeout(300);
	}

	/**
	 * The top-level parameters the panel shows, in order: { name, label, red, dropdown, value }. `label` is the text of
	 * the parameter's input label, `name` its `for` (the parameter name, as in
	 * data-test-id="parameter-input-<name>"; the credential's label has none), `red` whether the
	 * input is outlined red (`has-issues`) or shows the parameter-issues icon, `dropdown` whether
	 * it is a select (else a text, number or other input), `value` a select's chosen option name.
	 */
	async function visibleParameters() {
		return parameters().evaluate((root) => {
			const out = [];
			for (const label of root.querySelectorAll('label.n8n-input-label[for]')) {
				if (!label.checkVisibility()) continue; // e.g. the Settings tab
				if (label.closest('[class*="_collectionParameter_"]')) continue; // an option inside a collection
				const item = label.closest('.parameter-item, .multi-parameter') || label.parentElement;
				const title = label.querySelector('[class*="_title_"]') || label;
				const select = item.querySelector('.el-select');
				const input = select && select.querySelector('input');
				out.push({
					name: label.getAttribute('for'),
					label: title.textContent.replace(/\s+/g, ' ').trim(),
					red: !!item.querySelector('.has-issues, [data-test-id="parameter-issues"]'),
					dropdown: !!select,
					// A dropdown's chosen option name, as its input shows it.
					...(select ? { value: input ? input.value : '' } : {}),
				});
			}
			return out;
		});
	}

	/** Texts of the notices the panel shows (notice parameters, e.g. an operation the model cannot do). */
	async function notices() {
		return parameters()
			.locator('.notice[role="alert"]')
			.evaluateAll((els) => els.filter((e) => e.checkVisibility()).map((e) => e.textContent.replace(/\s+/g, ' ').trim()));
	}

	/** Text of the issue tooltips of red parameters ("The value "1792x1024" is not supported!"). */
	async function issueTexts() {
		const texts = [];
		const icons = parameters().locator('[data-test-id="parameter-issues"]');
		for (let i = 0; i < (await icons.count()); i++) {
			await icons.nth(i).hover();
			await page.waitForTimeout(400);
			texts.push(
				await page.evaluate(() =>
					[...document.querySelectorAll('[data-reka-popper-content-wrapper], [role="tooltip"]')]
						.filter((e) => e.checkVisibility())
						.map((e) => e.textContent.trim())
						.filter(Boolean)
						.join(' | '),
				),
			);
		}
		await page.mouse.move(0, 0);
		return texts;
	}

	/** The item texts of the dropdown popper a click on `trigger` opens; closes it again. */
	async function popperItems(trigger) {
		await trigger.click();
		const popper = page.locator('.el-select__popper:visible');
		await popper.locator('.el-select-dropdown__item').first().waitFor({ state: 'visible' });
		const items = await popper.locator('.el-select-dropdown__item').evaluateAll((lis) =>
			lis.map((li) => (li.querySelector('.option-headline') || li).textContent.replace(/\s+/g, ' ').trim()),
		);
		await page.keyboard.press('Escape');
		await popper.waitFor({ state: 'hidden' }).catch(() => {});
		return items;
	}

	/** Option names of the dropdown parameter `name` (data-test-id="parameter-input-<name>"). */
	async function dropdownOptions(name) {
		return popperItems(parameters().locator(`[data-test-id="parameter-input-${name}"] input`).first());
	}

	/** What the Options collection's "Add Option" list offers. */
	async function addOptionNames() {
		return popperItems(parameters().locator('[data-test-id="collection-parameter-add"] input').first());
	}

	/**
	 * The options added to the Options collection, in order: { label, value, red }; `value` is
	 * what the input shows (a dropdown's chosen option name, a number or text as typed).
	 */
	async function collectionParameters() {
		return parameters().evaluate((root) => {
			const out = [];
			for (const label of root.querySelectorAll('[class*="_collectionParameter_"] label.n8n-input-label[for]')) {
				if (!label.checkVisibility()) continue;
				const item = label.closest('.parameter-item, .multi-parameter') || label.parentElement;
				const title = label.querySelector('[class*="_title_"]') || label;
				const select = item.querySelector('.el-select');
				const input = item.querySelector('input, textarea');
				// A dropdown shows its choice as its input's value (or, in newer Element Plus, a selected-item span).
				const chosen = select && select.querySelector('.el-select__selected-item:not(.is-transparent)');
				const value = chosen ? chosen.textContent.replace(/\s+/g, ' ').trim() : input ? input.value : '';
				out.push({
					label: title.textContent.replace(/\s+/g, ' ').trim(),
					value,
					red: !!item.querySelector('.has-issues, [data-test-id="parameter-issues"]'),
				});
			}
			return out;
		});
	}

	/** Adds the option `name` to the Options collection through its "Add Option" list. */
	async function addOption(name) {
		await parameters().locator('[data-test-id="collection-parameter-add"] input').first().click();
		const popper = page.locator('.el-select__popper:visible');
		const exact = new RegExp(`^\\s*${name.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}\\s*$`);
		await popper.locator('.el-select-dropdown__item', { hasText: exact }).first().click();
		await popper.waitFor({ state: 'hidden' }).catch(() => {});
		await settle();
	}

	/** Picks `option` in the dropdown parameter `name`. */
	async function selectOption(name, option) {
		await parameters().locator(`[data-test-id="parameter-input-${name}"] input`).first().click();
		const popper = page.locator('.el-select__popper:visible');
		await popper.locator('.el-select-dropdown__item', { hasText: option }).first().click();
		await settle();
	}

	/** Types `value` into the number or text parameter `name` and leaves the field; resolves what it then shows. */
	async function typeInto(name, value) {
		const input = parameters().locator(`[data-test-id="parameter-input-${name}"] input`).first();
		await input.fill(String(value));
		await input.press('Tab');
		await settle();
		return input.inputValue();
	}

	/** Types a model ID into the Model field (resource locator, mode By ID). */
	async function setModelId(model) {
		const input = parameters().locator('[data-test-id="resource-locator-model"] [data-test-id="rlc-input"] input, [data-test-id="resource-locator-model"] input[data-test-id="rlc-input"]').first();
		await input.fill(model);
		await input.press('Tab');
		await settle();
	}

	/** Switches the parameter `name` between Fixed and Expression with the toggle its hover shows, as a user does. */
	async function setParameterMode(name, mode) {
		const container = parameters().locator(`[data-test-id="${name}-parameter-input-options-container"]`).first();
		await parameters().locator(`[data-test-id="parameter-item"]:has([data-test-id="${name}-parameter-input-options-container"])`).first().hover();
		await container.locator(`[data-test-id="radio-button-${mode}"]`).first().click();
		await page.mouse.move(0, 0);
		await settle();
	}

	/** Replaces what the inline expression editor of the parameter `name` holds by `text`, typed as a user does. */
	async function typeExpression(name, text) {
		const editorInput = parameters().locator(`[data-test-id="parameter-item"]:has([data-test-id="${name}-parameter-input-options-container"]) .cm-content`).first();
		await editorInput.click();
		await page.keyboard.press('ControlOrMeta+A');
		await page.keyboard.press('Delete');
		await page.keyboard.type(text, { delay: 10 });
		await page.mouse.click(5, 5);
		await settle();
	}

	/** What the text parameter `name` shows. */
	async function textValue(name) {
		return parameters().locator(`[data-test-id="parameter-input-${name}"] input`).first().inputValue();
	}

	const creator = () => byTestId('node-creator');
	const itemNamed = (name) =>
		creator().locator('[data-test-id="item-iterator-item"]', {
			has: page.locator('[data-test-id="node-creator-item-name"]', { hasText: new RegExp(`^${name.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}$`) }),
		});
	const listedNames = () =>
		creator().locator('[data-test-id="node-creator-item-name"]').evaluateAll((els) => els.map((e) => e.textContent.trim()));

	/** Opens the nodes panel (node creator) on its first view. */
	async function openNodesPanel() {
		if (await creator().isVisible()) await closeNodesPanel();
		await byTestId('node-creator-plus-button').click();
		await creator().locator('[data-test-id="node-creator-item-name"]').first().waitFor({ state: 'visible' });
	}

	/** Closes the nodes panel the way a user does: a click on the canvas beside it. */
	async function closeNodesPanel() {
		if (!(await creator().isVisible())) return;
		await page.mouse.click(200, 300);
		await creator().waitFor({ state: 'hidden' });
	}

	/** Types `query` into the nodes panel's search and returns the names of the results, in order. */
	async function searchNodes(query) {
		const input = creator().locator('[data-test-id="node-creator-search-bar"]').first();
		await input.fill(query);
		await page.waitForTimeout(500);
		if (await creator().locator('[data-test-id="node-creator-no-results"]').isVisible()) return [];
		return listedNames();
	}

	/**
	 * Where the nodes panel files `nodeName` under AI: ['AI'] when the AI view lists it, or
	 * ['AI', 'Other AI Nodes', <subcategory>] when one of the Other AI Nodes sections does;
	 * undefined when it is in none of them.
	 */
	async function placeUnderAi(nodeName) {
		await openNodesPanel();
		await itemNamed('AI').click();
		await page.waitForTimeout(500);
		if ((await listedNames()).includes(nodeName)) return ['AI'];
		await itemNamed('Other AI Nodes').click();
		await page.waitForTimeout(500);
		const sections = (await listedNames()).slice();
		for (const section of sections) {
			await itemNamed(section).click();
			await page.waitForTimeout(400);
			if ((await listedNames()).includes(nodeName)) return ['AI', 'Other AI Nodes', section];
			await creator().locator('button[class*="_backButton_"]').first().click();
			await itemNamed(sections[0]).waitFor({ state: 'visible' });
		}
		return undefined;
	}

	const credentialModal = () => byTestId('credential-edit-dialog');

	/** Opens the form of a new credential of the type named `typeName` (Overview > Create credential). */
	async function openNewCredential(typeName) {
		await page.goto(`${baseUrl}/home/credentials/create`, { waitUntil: 'domcontentloaded' });
		const search = byTestId('new-credential-type-select').locator('input');
		await search.fill(typeName);
		await byTestId('new-credential-type-select-option').filter({ hasText: typeName }).first().click();
		await byTestId('new-credential-type-button').click();
		await credentialModal().waitFor({ state: 'visible' });
		await settle();
	}

	/**
	 * The fields the credential form shows, in order: { name, label, value, placeholder } (a
	 * dropdown's value is its chosen option's name).
	 */
	async function credentialFields() {
		return credentialModal().evaluate((root) =>
			[...root.querySelectorAll('[data-test-id^="parameter-input-"]')]
				.filter((el) => el.checkVisibility() && el.getAttribute('data-test-id') !== 'parameter-input-field')
				.map((el) => {
					const name = el.getAttribute('data-test-id').slice('parameter-input-'.length);
					const input = el.querySelector('input, textarea');
					const label = root.querySelector(`[data-test-id="${name}"] label`);
					return {
						name,
						// Without the required mark (" *").
						label: label ? (label.querySelector('[class*="_title_"]') || label).textContent.replace(/\s+/g, ' ').replace(/\s*\*$/, '').trim() : undefined,
						value: input ? input.value : undefined,
						placeholder: input ? input.placeholder : undefined,
					};
				}),
		);
	}

	/** Picks `option` in the credential form's dropdown `name`. */
	async function selectCredentialOption(name, option) {
		await credentialModal().locator(`[data-test-id="parameter-input-${name}"] input`).first().click();
		await page.locator('.el-select__popper:visible .el-select-dropdown__item', { hasText: option }).first().click();
		await settle();
	}

	/** Types `value` into the credential form's text field `name`. */
	async function fillCredentialField(name, value) {
		await credentialModal().locator(`[data-test-id="parameter-input-${name}"] input`).first().fill(value);
		await settle();
	}

	/** Texts of the notices and of the connection-test banner the credential form shows. */
	async function credentialMessages() {
		return credentialModal().evaluate((root) =>
			[...root.querySelectorAll('.notice, [role="alert"]')].filter((el) => el.checkVisibility()).map((el) => el.textContent.replace(/\s+/g, ' ').trim()),
		);
	}

	/**
	 * The output panel's Table view: { headers, rows } (cell texts), after the node ran. Switches
	 * the output panel to Table first.
	 */
	async function outputTable() {
		const output = byTestId('output-panel');
		await output.locator('[data-test-id="radio-button-table"]').first().click();
		const table = output.locator('[data-test-id="ndv-data-container"] table').first();
		await table.waitFor({ state: 'visible' });
		return table.evaluate((el) => ({
			headers: [...el.querySelectorAll('thead th')].map((th) => th.textContent.replace(/\s+/g, ' ').trim()),
			rows: [...el.querySelectorAll('tbody tr')].map((tr) => [...tr.querySelectorAll('td')].map((td) => td.textContent.replace(/\s+/g, ' ').trim())),
		}));
	}

	/** Texts in the panel that the editor cuts off with an ellipsis ("Retry Requests That May Hav..."): { text, shown, full } in pixels. */
	async function cutOffLabels() {
		return parameters().evaluate((root) =>
			[...root.querySelectorAll('*')]
				.filter((el) => el.checkVisibility() && el.textContent.trim() !== '' && getComputedStyle(el).textOverflow === 'ellipsis' && el.scrollWidth > el.clientWidth + 1)
				.map((el) => ({ text: el.textContent.replace(/\s+/g, ' ').trim(), shown: el.clientWidth, full: el.scrollWidth })),
		);
	}

	/** The newest execution of a workflow ({ id, status, ... }) from the REST API, or undefined. */
	async function latestExecution(workflowId) {
		const filter = encodeURIComponent(JSON.stringify({ workflowId }));
		const page = await server.rest('GET', `/executions?filter=${filter}&limit=1`);
		return page.results[0];
	}

	/**
	 * Clicks "Execute workflow", runs `trigger` (e.g. a call of the test webhook) once n8n is
	 * waiting, and waits for the new execution to finish. Returns it with its run data; throws
	 * with n8n's error when it did not succeed.
	 */
	async function executeWorkflow(workflowId, { trigger, timeoutMs = 90000 } = {}) {
		const before = await latestExecution(workflowId);
		await byTestId('execute-workflow-button').first().click();
		const triggered = trigger ? await trigger() : undefined;
		const until = Date.now() + timeoutMs;
		for (;;) {
			const latest = await latestExecution(workflowId);
			if (latest && (!before || latest.id !== before.id) && !['new', 'running', 'waiting'].includes(latest.status)) {
				const execution = await server.getExecution(latest.id);
				if (latest.status !== 'success') {
					const error = execution.data && execution.data.resultData && execution.data.resultData.error;
					throw new Error(`Execution ${latest.id} of ${workflowId} ended "${latest.status}": ${error ? JSON.stringify(error).slice(0, 1500) : ''}`);
				}
				// What the user sees: n8n's own success message.
				await page.getByText('Workflow executed successfully').first().waitFor({ state: 'visible' });
				return { execution, triggered };
			}
			if (Date.now() > until) throw new Error(`No finished execution of ${workflowId} within ${timeoutMs} ms`);
			await page.waitForTimeout(300);
		}
	}

	/** Back to the bare canvas after a failed step: popper, nodes panel and parameter panel closed. */
	async function recover() {
		await page.keyboard.press('Escape').catch(() => {});
		await closeNodesPanel().catch(() => {});
		if (await parameters().isVisible().catch(() => false)) await closeNode().catch(() => {});
	}

	return {
		page,
		recover,
		byTestId,
		login,
		openWorkflow,
		openNode,
		canvasSubtitle,
		typeInto,
		closeNode,
		settle,
		parameters,
		visibleParameters,
		notices,
		issueTexts,
		dropdownOptions,
		addOptionNames,
		addOption,
		collectionParameters,
		selectOption,
		setModelId,
		setParameterMode,
		typeExpression,
		textValue,
		openNodesPanel,
		closeNodesPanel,
		searchNodes,
		placeUnderAi,
		openNewCredential,
		credentialFields,
		selectCredentialOption,
		fillCredentialField,
		credentialMessages,
		outputTable,
		cutOffLabels,
		executeWorkflow,
		latestExecution,
	};
}

module.exports = { launchBrowser, editor, CHROMIUM, CHROMIUM_FLAGS, SCREENSHOTS, slug };
