import { createHash } from 'crypto';

import type { ICredentialDataDecryptedObject } from 'n8n-workflow';

/** How an attempt that held a slot ended, for the gate's adaptation. */
export type AttemptEnd = 'answered' | 'rateLimited' | 'failed';

/**
 * Adaptive concurrency for the API requests of one account: at most `limit` attempts in flight,
 * where `limit` starts at the Concurrency option, drops on HTTP 429 to what the server was
 * handling when it refused (never below 1), and climbs back by one after twice `limit` answers in
 * a row that were not rate limited (never above the option): slowly, as each probe beyond the
 * server's limit costs one request a retry-after wait. A probe refused doubles the answers the
 * next one waits for (up to 8 times), so a server with a fixed limit is probed ever more rarely.
 * Waiting attempts are served first come, first served; a cancelled execution releases its
 * waiters at once.
 */
export class RequestGate {
	private limit: number;
	private inFlight = 0;
	private successes = 0;
	/** The limit was just raised: a 429 now means the server's limit was found again. */
	private probing = false;
	/** How many times twice `limit` answers the next climb waits for. */
	private probeBackoff = 1;
	private readonly waiting: Array<() => void> = [];
	/** When the gate last let an attempt in or out (Date.now()), to forget idle gates. */
	lastUsed = Date.now();

	constructor(private max: number) {
		this.limit = max;
	}

	/** The current limit, for tests and figures. */
	get current(): number {
		return this.limit;
	}

	/** Attempts holding a slot now, for tests. */
	get active(): number {
		return this.inFlight;
	}

	/** Nothing in flight and nobody waiting. */
	get idle(): boolean {
		return this.inFlight === 0 && this.waiting.length === 0;
	}

	/**
	 * A run with a higher Concurrency option joined: the ceiling rises to it, and so does the limit
	 * unless the server has rate limited the account (then it climbs back as usual).
	 */
	allow(max: number): void {
		if (max <= this.max) return;
		if (this.limit === this.max) this.limit = max;
		this.max = max;
		this.admit();
	}

	/** Waits for a free slot (or for `signal` to abort: the caller then checks for the cancel). */
	async acquire(signal?: AbortSignal): Promise<void> {
		this.lastUsed = Date.now();
		if (this.inFlight < this.limit && this.waiting.length === 0) {
			this.inFlight++;
			return;
		}
		await new Promise<void>((resolve) => {
			const enter = () => {
				signal?.removeEventListener('abort', leave);
				this.inFlight++;
				resolve();
			};
			const leave = () => {
				const index = this.waiting.indexOf(enter);
				if (index >= 0) this.waiting.splice(index, 1);
				// Counted in flight, so that the caller's release balances it.
				this.inFlight++;
				resolve();
			};
			this.waiting.push(enter);
			signal?.addEventListener('abort', leave, { once: true });
		});
	}

	/** Frees a slot. Only answers count towards climbing back: a failure or a cancel says nothing of the limit. */
	release(end: AttemptEnd): void {
		this.lastUsed = Date.now();
		this.inFlight--;
		if (end === 'rateLimited') {
			// The server took what is still in flight, not this one.
			this.limit = Math.max(1, Math.min(this.limit, this.inFlight));
			this.successes = 0;
			if (this.probing) this.probeBackoff = Math.min(8, this.probeBackoff * 2);
			this.probing = false;
		} else if (end === 'answered' && this.limit < this.max && ++this.successes >= 2 * this.limit * this.probeBackoff) {
			// The last probe held (no 429 since): the next one comes as soon as ever.
			if (this.probing) this.probeBackoff = 1;
			this.limit++;
			this.successes = 0;
			this.probing = true;
		}
		this.admit();
	}

	private admit(): void {
		while (this.waiting.length > 0 && this.inFlight < this.limit) this.waiting.shift()?.();
	}
}

/** Gates kept at most; beyond, the least recently used idle one is forgotten. */
const MAX_GATES = 64;
/** A gate nobody used for this long is forgotten: its account may have a new limit by now. */
const IDLE_MS = 10 * 60_000;

/**
 * The gates of the accounts this n8n process has sent image requests to, by a hash of the
 * credential's data (Base URL, key, headers: never the secrets themselves), least recently used
 * first. Shared by every execution in the process, so that simultaneous executions of one account
 * (a webhook hit 40 times at once) share its rate limit like the items of one run do.
 */
const gates = new Map<string, RequestGate>();

/** The same account: every field of the credential equal (a different key or Base URL is another account). */
function accountOf(credentials: ICredentialDataDecryptedObject): string {
	const fields = Object.keys(credentials)
		.sort()
		.map((key) => [key, credentials[key]]);
	return createHash('sha256').update(JSON.stringify(fields)).digest('hex');
}

/**
 * The gate of the credential's account, shared with every other run of it in this process;
 * `concurrency` is the run's Concurrency option. Idle gates unused for IDLE_MS are forgotten, and
 * at most MAX_GATES are kept: when all of those are busy, the run gets a gate of its own.
 */
export function accountGate(credentials: ICredentialDataDecryptedObject, concurrency: number): RequestGate {
	const now = Date.now();
	for (const [key, gate] of gates) {
		if (gate.idle && (now - gate.lastUsed > IDLE_MS || gates.size >= MAX_GATES)) gates.delete(key);
	}
	const account = accountOf(credentials);
	let gate = gates.get(account);
	if (gate) {
		gates.delete(account);
		gate.allow(concurrency);
	} else {
		gate = new RequestGate(concurrency);
		if (gates.size >= MAX_GATES) return gate;
	}
	gate.lastUsed = now;
	gates.set(account, gate);
	return gate;
}

/** How many account gates are kept, for tests. */
export function accountGateCount(): number {
	return gates.size;
}

/** Forgets every gate: a test's runs then start as a fresh process's would. */
export function forgetAccountGates(): void {
	gates.clear();
}
