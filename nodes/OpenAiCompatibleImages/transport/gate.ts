/**
 * Adaptive concurrency for the API requests of one node run: at most `limit` attempts in flight,
 * where `limit` starts at the Concurrency option, drops on HTTP 429 to what the server was
 * handling when it refused (never below 1), and climbs back by one after twice `limit` answers in
 * a row that were not rate limited (never above the option): slowly, as each probe beyond the
 * server's limit costs one request a retry-after wait. Waiting attempts are served first come,
 * first served; a cancelled execution releases its waiters at once.
 */
export class RequestGate {
	private limit: number;
	private inFlight = 0;
	private successes = 0;
	private readonly waiting: Array<() => void> = [];

	constructor(private readonly max: number) {
		this.limit = max;
	}

	/** The current limit, for tests and figures. */
	get current(): number {
		return this.limit;
	}

	/** Waits for a free slot (or for `signal` to abort: the caller then checks for the cancel). */
	async acquire(signal?: AbortSignal): Promise<void> {
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

	/** Frees a slot; `rateLimited` when the server answered 429. */
	release(rateLimited: boolean): void {
		this.inFlight--;
		if (rateLimited) {
			// The server took what is still in flight, not this one.
			this.limit = Math.max(1, Math.min(this.limit, this.inFlight));
			this.successes = 0;
		} else if (this.limit < this.max && ++this.successes >= 2 * this.limit) {
			this.limit++;
			this.successes = 0;
		}
		while (this.waiting.length > 0 && this.inFlight < this.limit) this.waiting.shift()?.();
	}
}
