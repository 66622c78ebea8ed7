/**
 * What runs/search said of each listed run, kept on disk until the run is opened (util/spool.ts):
 * the run's JSON object as the server sent it, read back through the same parser. So opening a
 * run costs no request and the listing no memory per run beyond an index entry.
 *
 * Integers beyond 2^53 (bigint after parsing) are kept as digit strings, which MLflow's int64
 * fields may be anyway (toInt64 and toMillis read both).
 */
import { Spool } from '../../util/spool.js';
import { parseRun, type RunDoc } from './api.js';
import { parseJson } from './json.js';

const bigintsAsText = (_key: string, value: unknown): unknown => (typeof value === 'bigint' ? value.toString() : value);

export class ListingSpool {
  private readonly spool = new Spool();

  /**
   * Keeps the run's JSON object; returns its JSON.stringify text, or undefined when the object
   * holds a bigint (then a text with the bigints as digit strings was kept), so a caller that
   * digests the object can reuse the text instead of serialising it again.
   */
  put(runId: string, item: unknown): string | undefined {
    let text: string;
    try {
      text = JSON.stringify(item); // a replacer costs a call per value: only for the rare bigint
    } catch {
      this.spool.put(runId, JSON.stringify(item, bigintsAsText));
      return undefined;
    }
    this.spool.put(runId, text);
    return text;
  }

  /** Keeps the run's JSON text as the server sent it. */
  putText(runId: string, text: string): void {
    this.spool.put(runId, text);
  }

  /** Keeps the run's JSON as the bytes the server sent. */
  putBytes(runId: string, bytes: Buffer): void {
    this.spool.putBytes(runId, bytes);
  }

  /** The run as it was listed, or undefined when it was not. */
  doc(runId: string): RunDoc | undefined {
    const text = this.spool.get(runId);
    // A server's own text may hold integers beyond 2^53: the big-integer-safe parse.
    return text === undefined ? undefined : parseRun(parseJson(text));
  }

  close(): void {
    this.spool.close();
  }
}
