/**
 * Size limits: API answers and downloads stop at Max Response Size with an error naming it, and
 * the memory (RSS) of the process running the node grows by less than twice the limit under an
 * endless or a huge answer. The flooding server runs in a process of its own, so only the node's
 * memory is measured.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';

import { runNode } from '../harness/n8n';

let flood: ChildProcess;
let credentials: { baseUrl: string; apiKey: string; authentication: string };
const MB = 1024 * 1024;

beforeAll(async () => {
	flood = spawn(process.execPath, [path.join(__dirname, '../server/flood-server.js')], { stdio: ['ignore', 'pipe', 'inherit'] });
	const port = await new Promise<string>((resolve) => flood.stdout?.once('data', (data: Buffer) => resolve(data.toString().trim())));
	credentials = { baseUrl: `http://127.0.0.1:${port}/v1`, apiKey: 'sk-test', authentication: 'bearer' };
	// Warm up: the first run loads n8n's modules, which is not what is measured.
	await generate('small', {});
});
afterAll(() => {
	flood.kill();
});

const generate = (prompt: string, options: Record<string, unknown>) =>
	runNode({
		parameters: { operation: 'generate', model: { __rl: true, mode: 'id', value: 'flux-dev' }, prompt, options: { maxRetries: 0, ...options } } as never,
		credentials,
	});

/** Runs the node and samples this process's RSS every 5 ms: the peak growth over the start. */
async function measured(run: () => Promise<unknown>): Promise<{ growthMb: number; error: Error & { description?: string } }> {
	global.gc?.();
	const start = process.memoryUsage.rss();
	let peak = start;
	const sampler = setInterval(() => (peak = Math.max(peak, process.memoryUsage.rss())), 5);
	const error = await run().then(
		() => new Error('expected the run to fail'),
		(caught: Error) => caught,
	);
	clearInterval(sampler);
	peak = Math.max(peak, process.memoryUsage.rss());
	return { growthMb: (peak - start) / MB, error };
}

const figures: string[] = [];
afterAll(() => console.log(`size-limits.test.ts: RSS growth ${figures.join('; ')}`));

describe('Max Response Size', () => {
	test.each([
		['an endless answer', 'endless', 32],
		['a 300 MB answer without Content-Length', 'huge', 32],
		['an endless answer at the default limit (128 MB)', 'endless', undefined],
	])('%s stops at the limit, memory grows < 2x the limit', async (_name, prompt, limitMb) => {
		const { growthMb, error } = await measured(() => generate(prompt, limitMb ? { maxResponseSize: limitMb } : {}));
		const limit = limitMb ?? 128;
		expect(error.message).toBe(`The answer from ${new URL(credentials.baseUrl).host} is larger than the Max Response Size of ${limit} MB`);
		expect(error.description).toMatch(/raise the option Max Response Size \(MB\)/);
		figures.push(`${prompt} at ${limit} MB: ${growthMb.toFixed(0)} MB`);
		expect(growthMb).toBeLessThan(2 * limit);
	});

	test('a declared Content-Length beyond the limit is refused before reading', async () => {
		const started = Date.now();
		const { growthMb, error } = await measured(() => generate('huge-declared', { maxResponseSize: 32 }));
		expect(error.message).toMatch(/is larger than the Max Response Size of 32 MB$/);
		expect(Date.now() - started).toBeLessThan(2000);
		figures.push(`huge-declared at 32 MB: ${growthMb.toFixed(0)} MB`);
		expect(growthMb).toBeLessThan(32);
	});

	test('an endless image download stops at the limit too', async () => {
		const { growthMb, error } = await measured(() => generate('download-endless', { maxResponseSize: 32 }));
		expect(error.message).toBe(`The image at ${new URL(credentials.baseUrl).host} is larger than the Max Response Size of 32 MB`);
		figures.push(`endless download at 32 MB: ${growthMb.toFixed(0)} MB`);
		expect(growthMb).toBeLessThan(64);
	});

	test('answers under the limit are read as before', async () => {
		const [item] = await generate('small', { maxResponseSize: 1 });
		expect(item.binary?.data?.mimeType).toBe('image/png');
	});

	test('the limit must be a whole number of MB from 1 to 4096', async () => {
		await expect(generate('small', { maxResponseSize: 0 })).rejects.toThrow('Max Response Size (MB) must be a whole number from 1 to 4096, not 0');
	});
});
