/**
 * One fixture for the unit tests: a loopback image server (test/server/image-server.js) started
 * before the file's tests and closed after, its records reset before each test, and credentials
 * pointing at it. `run` executes the node (test/harness/n8n.ts) with those credentials.
 *
 *   const api = useImageServer({ imageSize: { width: 24, height: 16 } });
 *   test('...', async () => { await api.run({ operation: 'generate', model: api.model('gpt-image-2'), prompt: 'a' }); expect(api.server.imageRequests()).toHaveLength(1); });
 *
 * Called inside a describe, the server lives for that describe only; called twice, a file gets two
 * servers. The server's options pass through, with these defaults and variants:
 * - `imageSize` is 24x16 unless given; `imageSize: undefined` draws each picture at the size asked.
 * - `apiKey` is TEST_API_KEY unless given; `apiKey: ''` starts a server that checks no key.
 * - `credentials` builds other credentials than the plain bearer ones from the started server and
 *   the key, e.g. a Base URL with a trailing slash and a key with whitespace around it.
 */
import { startImageServer } from '../server/image-server';
import { runNode } from './n8n';

type Server = Awaited<ReturnType<typeof startImageServer>>;
type ServerOptions = NonNullable<Parameters<typeof startImageServer>[0]>;
type RunOptions = Parameters<typeof runNode>[0];
type Credentials = { baseUrl: string; apiKey: string; authentication: string };

export const TEST_API_KEY = 'sk-test-secret-key-123';

export interface ImageServerOptions extends ServerOptions {
	/** The credentials `credentials` holds and `run` uses, built once the server is up. */
	credentials?: (server: Server, apiKey: string) => Credentials;
}

export interface ImageServerFixture {
	server: Server;
	credentials: Credentials;
	/** A Model parameter holding this ID, as the editor stores one typed "By ID". */
	model: (id: string) => { __rl: true; mode: 'id'; value: string };
	/** Runs the node with these parameters and the fixture's credentials (`extra` may override them). */
	run: (parameters: Record<string, unknown>, extra?: Partial<RunOptions>) => ReturnType<typeof runNode>;
}

export function useImageServer(options: ImageServerOptions = {}): ImageServerFixture {
	const { credentials, ...serverOptions } = options;
	const fixture = {
		model: (id: string) => ({ __rl: true as const, mode: 'id' as const, value: id }),
		run: (parameters: Record<string, unknown>, extra: Partial<RunOptions> = {}) =>
			runNode({ parameters: parameters as never, credentials: fixture.credentials, ...extra }),
	} as ImageServerFixture;
	beforeAll(async () => {
		const apiKey = serverOptions.apiKey ?? TEST_API_KEY;
		fixture.server = await startImageServer({ imageSize: { width: 24, height: 16 }, ...serverOptions, apiKey });
		fixture.credentials = credentials?.(fixture.server, apiKey) ?? { baseUrl: fixture.server.baseUrl, apiKey, authentication: 'bearer' };
	});
	afterAll(async () => await fixture.server?.close());
	beforeEach(() => fixture.server.reset());
	return fixture;
}
