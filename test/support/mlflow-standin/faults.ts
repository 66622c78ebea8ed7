/**
 * Fault injection. A faulted request is either refused before it is applied ('503', '429',
 * 'reset') or applied and then answered late ('slow') or with a cut body ('truncate').
 */
import type { ServerResponse } from 'node:http';
import { json, type Reply } from './http.js';

export type FaultKind = '503' | '429' | 'reset' | 'slow' | 'truncate';

export interface FaultOptions {
  /** 0..1 probability that a request (not /health) is faulted */
  rate: number;
  /** seed of the deterministic PRNG */
  seed?: number;
  /** kinds to draw from (default: all) */
  kinds?: FaultKind[];
  /** Retry-After for 429 (default 1; 0 allowed) */
  retryAfterSeconds?: number;
  /** delay for 'slow' (default 3000 ms) */
  slowMs?: number;
  /**
   * Under load: more than this many requests within one second are answered 429
   * REQUEST_LIMIT_EXCEEDED with Retry-After (like a server behind a rate-limiting proxy).
   */
  overloadRps?: number;
  /** The dataset insert race of a real SQL-backed server, with this window (dataset-race.ts). */
  datasetRaceMs?: number;
}

export const ALL_FAULTS: FaultKind[] = ['503', '429', 'reset', 'slow', 'truncate'];

/** mulberry32 */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export class Faults {
  private opts: FaultOptions | undefined;
  private rand: () => number = Math.random;

  set(f: FaultOptions | undefined): void {
    this.opts = f;
    this.rand = f?.seed !== undefined ? prng(f.seed) : Math.random;
  }

  /** Arrival times of the last second, for overloadRps. */
  private arrivals: number[] = [];

  /** Decide the fate of one request. */
  draw(): FaultKind | undefined {
    const o = this.opts;
    if (o?.overloadRps !== undefined) {
      const now = performance.now();
      while (this.arrivals.length > 0 && this.arrivals[0]! <= now - 1000) this.arrivals.shift();
      this.arrivals.push(now);
      if (this.arrivals.length > o.overloadRps) return '429';
    }
    if (!o || !(o.rate > 0)) return undefined;
    if (this.rand() >= o.rate) return undefined;
    const kinds = o.kinds && o.kinds.length ? o.kinds : ALL_FAULTS;
    return kinds[Math.floor(this.rand() * kinds.length)] ?? kinds[0];
  }

  get slowMs(): number {
    return this.opts?.slowMs ?? 3000;
  }

  /** The refusal for kinds applied before the request: a reply, or undefined for 'reset'. */
  refusal(kind: FaultKind): Reply | undefined {
    if (kind === '503')
      return json({ error_code: 'TEMPORARILY_UNAVAILABLE', message: 'Injected fault: service temporarily unavailable' }, 503);
    if (kind === '429') {
      const r = json({ error_code: 'REQUEST_LIMIT_EXCEEDED', message: 'Injected fault: too many requests' }, 429);
      r.headers['Retry-After'] = String(this.opts?.retryAfterSeconds ?? 1);
      return r;
    }
    return undefined;
  }
}

export function resetConnection(res: ServerResponse): void {
  res.socket?.destroy();
}
