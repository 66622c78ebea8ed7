/**
 * Spans of several traces in one OTLP `/v1/traces` request. The trace copy writes one trace per
 * worker (32 at once); each hands its spans here and waits until they are stored. A request goes
 * out at once while fewer than `maxInFlight` are under way; when the server is the slower side,
 * the traces that arrive meanwhile wait and go together in the next request (up to `maxSpans`
 * spans and `maxBytes` of body). So a busy server gets fewer, larger requests, an idle one no
 * added wait.
 *
 * MLflow's OTLP route (mlflow/server/otel_api.py, 3.11) groups a request's spans by trace id and
 * stores each trace's spans on their own, answering 422 when any trace failed (the others stored).
 * Not recorded: no golden case sends two traces in one request; the stand-in groups by trace
 * as that code does. A failed request of several traces is sent again one trace at a time, so
 * that only the trace the server refuses fails (span writes are upserts by span id: sending a
 * span twice stores it once).
 */

import { MlflowRequestError } from './errors.js';

const refusedByServer = (error: unknown): boolean => error instanceof MlflowRequestError && error.status >= 400 && error.status < 500;

export interface OtlpBatchLimits {
  /** Requests under way at once. */
  maxInFlight: number;
  /** Spans per request (a trace with more goes alone, whole). */
  maxSpans: number;
  /** Bytes of span JSON per request (a bigger trace goes alone, whole). */
  maxBytes: number;
}

export const DEFAULT_OTLP_BATCH_LIMITS: OtlpBatchLimits = { maxInFlight: 2, maxSpans: 500, maxBytes: 4 * 1024 * 1024 };

interface Entry {
  /** Each span as OTLP/JSON text. */
  spans: string[];
  bytes: number;
  resolve(): void;
  reject(error: unknown): void;
}

/** One ExportTraceServiceRequest (OTLP/JSON) from spans already written as OTLP/JSON text. */
export function otlpBody(spans: readonly string[]): string {
  return `{"resourceSpans":[{"resource":{"attributes":[]},"scopeSpans":[{"spans":[${spans.join(',')}]}]}]}`;
}

export class OtlpBatcher {
  private readonly queue: Entry[] = [];
  private inFlight = 0;
  /** Requests sent and traces in them, for tests and the benchmark's curiosity. */
  readonly stats = { requests: 0, traces: 0 };

  constructor(
    private readonly send: (body: string) => Promise<void>,
    private readonly limits: OtlpBatchLimits = DEFAULT_OTLP_BATCH_LIMITS,
  ) {}

  /** Resolves once the server stored these spans (one trace's); rejects with that trace's error. */
  write(spans: string[]): Promise<void> {
    if (spans.length === 0) return Promise.resolve();
    return new Promise<void>((resolve, reject) => {
      const bytes = spans.reduce((sum, span) => sum + span.length + 1, 0);
      this.queue.push({ spans, bytes, resolve, reject });
      this.pump();
    });
  }

  private pump(): void {
    while (this.inFlight < this.limits.maxInFlight && this.queue.length > 0) {
      const batch = this.take();
      this.inFlight++;
      void this.sendBatch(batch).finally(() => {
        this.inFlight--;
        this.pump();
      });
    }
  }

  /** The traces at the head of the queue that fit one request (always at least one). */
  private take(): Entry[] {
    const batch: Entry[] = [this.queue.shift()!];
    let spans = batch[0]!.spans.length;
    let bytes = batch[0]!.bytes;
    while (this.queue.length > 0) {
      const next = this.queue[0]!;
      if (spans + next.spans.length > this.limits.maxSpans || bytes + next.bytes > this.limits.maxBytes) break;
      batch.push(this.queue.shift()!);
      spans += next.spans.length;
      bytes += next.bytes;
    }
    return batch;
  }

  private async sendBatch(batch: Entry[]): Promise<void> {
    try {
      await this.request(batch.flatMap((entry) => entry.spans), batch.length);
      for (const entry of batch) entry.resolve();
      return;
    } catch (error) {
      // The server answered, but refused (e.g. 422 for one trace it could not store): worth
      // finding out which trace. Anything else (unreachable after the client's retries, 5xx)
      // would fail each trace alone too, only slower: all fail now.
      if (batch.length === 1 || !refusedByServer(error)) {
        for (const entry of batch) entry.reject(error);
        return;
      }
    }
    // Which trace was refused? Each alone, so that the others are stored and only it fails.
    for (const entry of batch) {
      try {
        await this.request(entry.spans, 1);
        entry.resolve();
      } catch (error) {
        entry.reject(error);
      }
    }
  }

  /** One trace's spans may exceed a request: sent in parts of maxSpans then. */
  private async request(spans: string[], traces: number): Promise<void> {
    for (let i = 0; i < spans.length; i += this.limits.maxSpans) {
      this.stats.requests++;
      await this.send(otlpBody(spans.slice(i, i + this.limits.maxSpans)));
    }
    this.stats.traces += traces;
  }
}
