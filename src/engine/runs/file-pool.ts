/**
 * A few file copies of one run at a time. A small file through an HTTP store costs a round trip
 * or two of waiting on the network and the server; with several in flight the waits overlap.
 *
 * Bounded twice: at most `limit` copies at once, and at most `byteBudget` bytes of them (a target
 * may buffer a small file whole so that it can retry it); a file over the budget goes alone.
 * The first failure stops new copies: `add` and `drain` throw it, and `settle` waits for the copies
 * still in flight, so that nothing is still writing when the run is declared failed.
 */
export class FileCopyPool {
  private readonly running = new Set<Promise<void>>();
  private bytes = 0;
  private failure: { error: unknown } | undefined;

  constructor(
    private readonly limit: number,
    private readonly byteBudget: number,
  ) {}

  /** Waits for room, then starts `copy`; throws the failure of an earlier copy instead. */
  async add(size: number, copy: () => Promise<void>): Promise<void> {
    this.throwIfFailed();
    while (this.running.size > 0 && (this.running.size >= this.limit || this.bytes + size > this.byteBudget)) {
      await Promise.race(this.running);
      this.throwIfFailed();
    }
    this.bytes += size;
    const task: Promise<void> = copy()
      .catch((error: unknown) => {
        this.failure ??= { error };
      })
      .finally(() => {
        this.bytes -= size;
        this.running.delete(task);
      });
    this.running.add(task);
  }

  /** Waits for every copy; throws the first failure. */
  async drain(): Promise<void> {
    await this.settle();
    this.throwIfFailed();
  }

  /** Waits for every copy in flight, failed or not (never throws). */
  async settle(): Promise<void> {
    while (this.running.size > 0) await Promise.all(this.running);
  }

  private throwIfFailed(): void {
    if (this.failure) throw this.failure.error;
  }
}
