/**
 * Checks shared by the fault and security tests: that no secret leaks into anything n8n shows,
 * stores or logs; that every input item is accounted for; that no promise is left rejected.
 */
import * as util from 'node:util';

import { Logger } from '@n8n/backend-common';
import type { GlobalConfig, InstanceSettingsConfig } from '@n8n/config';
import { Container } from '@n8n/di';
import type { INodeExecutionData } from 'n8n-workflow';

/** Everything n8n's logger and the console received in this test file. */
export const logLines: string[] = [];

/**
 * Makes n8n's own Logger (the one n8n-core and its HTTP layer take from the DI container, and
 * n8n-workflow's LoggerProxy) record every line at debug level, and records console output.
 * Must run before the harness first touches n8n-core's services.
 */
export function captureLogs(): void {
	const config = { logging: { level: 'debug', outputs: [], scopes: [], format: 'text' } } as unknown as GlobalConfig;
	const logger = new Logger(config, {} as InstanceSettingsConfig);
	const internal = {
		log: (level: string, message: string, metadata: unknown) =>
			logLines.push(`${level} ${message} ${util.inspect(metadata, { depth: 8 })}`),
		child: () => internal,
	};
	// Private in the types, but the one seam that routes n8n's own Logger into the test.
	(logger as unknown as { setInternalLogger: (internal: unknown) => void }).setInternalLogger(internal);
	Container.set(Logger, logger);
	for (const method of ['log', 'info', 'warn', 'error', 'debug'] as const) {
		jest.spyOn(console, method).mockImplementation((...args: unknown[]) => {
			logLines.push(`console.${method} ${args.map((arg) => util.inspect(arg, { depth: 8 })).join(' ')}`);
		});
	}
}

/** Logs an error the way n8n logs a failed node (name, message, stack and cause chain). */
export function logAsN8n(error: unknown): void {
	Container.get(Logger).error('Node execution failed', { error });
}

/** Every string reachable from a value: own properties (also hidden ones), cause chains, buffers as text. */
function textsOf(value: unknown, seen = new Set<unknown>(), out: string[] = []): string[] {
	if (typeof value === 'string') out.push(value);
	else if (typeof value === 'number' || typeof value === 'boolean') out.push(String(value));
	if (!value || typeof value !== 'object' || seen.has(value)) return out;
	seen.add(value);
	if (Buffer.isBuffer(value) || value instanceof Uint8Array) {
		out.push(Buffer.from(value).toString('latin1'));
		return out;
	}
	for (const key of Object.getOwnPropertyNames(value)) {
		out.push(key);
		try {
			textsOf((value as Record<string, unknown>)[key], seen, out);
		} catch {
			// a getter that throws holds nothing
		}
	}
	return out;
}

/**
 * Every way n8n would render a value: JSON (what it stores), util.inspect with hidden properties
 * (what console and loggers print), and each string reachable from it. For errors also the
 * cause chain, context, errorResponse, description and stack, each on its own.
 */
export function renderings(value: unknown): string[] {
	const parts: string[] = [];
	const safeJson = (item: unknown) => {
		try {
			parts.push(JSON.stringify(item) ?? '');
		} catch (error) {
			parts.push(`unserialisable: ${(error as Error).message}`);
		}
	};
	safeJson(value);
	parts.push(util.inspect(value, { depth: Infinity, showHidden: true, maxArrayLength: Infinity, maxStringLength: Infinity }));
	if (value instanceof Error) {
		const error = value as Error & { context?: unknown; errorResponse?: unknown; description?: unknown; messages?: unknown };
		for (const part of [error.message, error.stack, error.description, error.messages, error.context, error.errorResponse]) safeJson(part);
		let cause: unknown = error.cause;
		for (let depth = 0; cause && depth < 10; depth++) {
			safeJson(cause);
			cause = (cause as { cause?: unknown }).cause;
		}
	}
	parts.push(...textsOf(value));
	return parts;
}

export interface Tally {
	faultCases: number;
	badInputCases: number;
	securityAssertions: number;
}

/** Counts kept per test file and printed at its end, for the report. */
export const tally: Tally = { faultCases: 0, badInputCases: 0, securityAssertions: 0 };

/**
 * Asserts that no secret (nor its URL-encoded form) shows in any rendering of the values. Each
 * secret checked against one value counts as one security assertion.
 */
export function expectNoSecrets(secrets: readonly string[], label: string, ...values: unknown[]): void {
	for (const value of values) {
		const text = renderings(value).join('\n');
		for (const secret of secrets) {
			tally.securityAssertions++;
			for (const form of new Set([secret, encodeURIComponent(secret)])) {
				if (text.includes(form)) throw new Error(`${label}: the secret ${JSON.stringify(secret.slice(0, 6))}... appears in ${text.slice(Math.max(0, text.indexOf(form) - 200), text.indexOf(form) + 60)}`);
			}
		}
	}
}

/** The log lines written since `mark` (the length of logLines before a run). */
export const logsSince = (mark: number) => logLines.slice(mark);

export type Expected = 'image' | RegExp;

/**
 * Every input item is accounted for, in input order: its images (binary data, no error), or one
 * error item matching the pattern, each paired with the input item.
 */
export function expectAccounted(output: INodeExecutionData[], expected: Expected[]): void {
	const pairs = output.map((item) => (item.pairedItem as { item: number } | undefined)?.item);
	// In input order, and every input item has at least one output item.
	expect(pairs).toEqual([...pairs].sort((a, b) => (a ?? -1) - (b ?? -1)));
	expect([...new Set(pairs)]).toEqual(expected.map((_, index) => index));
	expected.forEach((want, index) => {
		const items = output.filter((_, position) => pairs[position] === index);
		if (want === 'image') {
			for (const item of items) {
				expect(item.json.error).toBeUndefined();
				const binaries = Object.values(item.binary ?? {});
				expect(binaries.length).toBeGreaterThan(0);
				for (const binary of binaries) expect(binary.mimeType).toMatch(/^image\//);
			}
		} else {
			expect(items).toHaveLength(1);
			expect(items[0].binary).toBeUndefined();
			expect(String(items[0].json.error)).toMatch(want);
		}
	});
}

/** Records unhandled rejections of the test file; `check` fails the test that left one. */
export function watchUnhandledRejections(): { check: () => void; stop: () => void } {
	const seen: unknown[] = [];
	const listener = (reason: unknown) => seen.push(reason);
	process.on('unhandledRejection', listener);
	return {
		check: () => expect(seen.splice(0)).toEqual([]),
		stop: () => process.off('unhandledRejection', listener),
	};
}

/** Writes the counts where the test run shows them (console is captured by captureLogs). */
export function printTally(file: string): void {
	process.stdout.write(
		`\n${file}: ${tally.faultCases} fault cases, ${tally.badInputCases} bad-input cases, ${tally.securityAssertions} security assertions\n`,
	);
}
