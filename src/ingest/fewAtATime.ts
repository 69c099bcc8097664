/**
 * Runs `work` on every item, `concurrency` at a time (the files of an ingest, each on its own pooled
 * connection). After a failure nobody takes the next item, and the first error is thrown only once
 * every item started has finished, so nothing still writes when the caller hears of it.
 */
export async function fewAtATime<T>(items: readonly T[], concurrency: number, work: (item: T) => Promise<void>): Promise<void> {
  const queue = [...items];
  let failed = false;
  const worker = async (): Promise<void> => {
    for (let item = queue.shift(); item !== undefined && !failed; item = queue.shift()) {
      try {
        await work(item);
      } catch (err) {
        failed = true;
        throw err;
      }
    }
  };
  const settled = await Promise.allSettled(Array.from({ length: Math.max(1, concurrency) }, worker));
  const firstError = settled.find((s): s is PromiseRejectedResult => s.status === 'rejected');
  if (firstError) throw firstError.reason;
}
