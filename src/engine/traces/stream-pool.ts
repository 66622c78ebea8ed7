/**
 * Runs `task` over the items of an async iterable with at most `workers` at once, pulling the
 * next item only when a worker is free: a project of 100,000 traces is never listed into memory.
 */
export async function runStreamPool<T>(items: AsyncIterable<T>, workers: number, task: (item: T, index: number) => Promise<void>): Promise<void> {
  const iterator = items[Symbol.asyncIterator]();
  let index = 0;
  let done = false;
  // One pull at a time: async generators do not take concurrent next() calls well.
  let pulling: Promise<unknown> = Promise.resolve();
  const pull = (): Promise<IteratorResult<T>> => {
    const next = pulling.then(() => iterator.next());
    pulling = next.catch(() => undefined);
    return next;
  };
  const worker = async (): Promise<void> => {
    while (!done) {
      const step = await pull();
      if (step.done) {
        done = true;
        return;
      }
      await task(step.value, index++);
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, workers) }, worker));
}
