/**
 * One request gate per MLflow store, shared by every request its pool sends: a cap on requests per
 * second (--max-rps), and a shared slow-down when the server says it is overloaded (429 / 503).
 *
 * Pacing is GCRA (a token bucket written as "theoretical arrival time"): each request reserves the
 * next slot synchronously, so concurrent workers queue fairly and no timer loop is needed. A burst
 * of at most `burst` requests may go at once; over any window of T seconds at most rate*T + burst
 * requests leave.
 *
 * Back-off: a 429 or 503 halves the shared rate (at most once per `cooldownMs`, so the ten workers
 * that all got the same 429 halve it once, not ten times). Without --max-rps the first halving
 * starts from the rate measured over the last seconds. After `recoverAfterMs` without another
 * overload answer the rate grows by a quarter of its ceiling per step until it is back at the
 * ceiling (with --max-rps) or at the rate it had when it first slowed (without): then the gate says
 * it recovered, and without --max-rps it stops pacing altogether.
 */

export type RateNotice =
  | { type: 'slowed'; ratePerSecond: number; reason: string }
  | { type: 'recovered'; ratePerSecond: number | undefined };

export interface RateGateOptions {
  /** Requests per second never exceeded; undefined = no cap until a server asks for less. */
  maxRps?: number;
  /** Told when the gate slows down and when it has recovered. Must not throw. */
  onNotice?: (notice: RateNotice) => void;
  /** Shortest time between two halvings (default 1 000 ms). */
  cooldownMs?: number;
  /** Quiet time before each recovery step (default 2 000 ms). */
  recoverAfterMs?: number;
  /** Lowest rate back-off goes down to (default 0.5 requests per second). */
  floorRps?: number;
  /** The clock (tests). */
  now?: () => number;
  sleep?: (ms: number) => Promise<void>;
}

/** Window over which the unpaced rate is measured, for the first halving without a cap. */
const MEASURE_WINDOW_MS = 2_000;
const SLOT_MS = 100;

export class RateGate {
  private readonly ceiling: number | undefined;
  /** The rate paced to now; undefined = unpaced. */
  private rate: number | undefined;
  /** Where recovery stops when there is no ceiling. */
  private recoverTo: number | undefined;
  private tat = 0;
  private lastSlowdown = -Infinity;
  private lastStep = -Infinity;
  /** Requests per 100 ms slot over the last MEASURE_WINDOW_MS (a ring: constant work per request). */
  private readonly slots = new Array<number>(MEASURE_WINDOW_MS / SLOT_MS).fill(0);
  private slotIndex = 0;
  private slotStart = -Infinity;
  private readonly cooldownMs: number;
  private readonly recoverAfterMs: number;
  private readonly floorRps: number;
  private readonly now: () => number;
  private readonly sleep: (ms: number) => Promise<void>;
  private readonly onNotice: ((notice: RateNotice) => void) | undefined;

  constructor(options: RateGateOptions = {}) {
    if (options.maxRps !== undefined && !(options.maxRps > 0)) throw new RangeError('maxRps must be positive');
    this.ceiling = options.maxRps;
    this.rate = options.maxRps;
    this.cooldownMs = options.cooldownMs ?? 1_000;
    this.recoverAfterMs = options.recoverAfterMs ?? 2_000;
    this.floorRps = options.floorRps ?? 0.5;
    this.now = options.now ?? (() => performance.now());
    this.sleep = options.sleep ?? ((ms) => new Promise((resolve) => setTimeout(resolve, ms)));
    this.onNotice = options.onNotice;
  }

  /** The rate paced to now (undefined: unpaced). */
  get currentRate(): number | undefined {
    return this.rate;
  }

  /** True while an overload answer holds the rate below where it started. */
  get slowed(): boolean {
    return this.recoverTo !== undefined;
  }

  /** Waits for this request's slot. */
  async take(): Promise<void> {
    const now = this.now();
    this.maybeRecover(now);
    if (this.rate === undefined) {
      this.note(now);
      return;
    }
    const interval = 1000 / this.rate;
    const tolerance = interval * (this.burst() - 1);
    const start = Math.max(this.tat, now);
    this.tat = start + interval;
    const wait = start - tolerance - now;
    if (wait > 0) await this.sleep(wait);
    this.note(this.now());
  }

  /** A 429 or 503 came back: the whole pool slows down. */
  slowDown(reason: string): void {
    const now = this.now();
    if (now - this.lastSlowdown < this.cooldownMs) return;
    this.lastSlowdown = now;
    this.lastStep = now;
    const from = this.rate ?? Math.max(this.floorRps, this.measuredRate(now));
    if (this.recoverTo === undefined) this.recoverTo = this.ceiling ?? from;
    this.rate = Math.max(this.floorRps, from / 2);
    // Restart pacing from now at the new rate (slots already reserved at the old rate stand).
    this.tat = Math.max(this.tat, now);
    this.tell({ type: 'slowed', ratePerSecond: round(this.rate), reason });
  }

  private maybeRecover(now: number): void {
    const target = this.recoverTo;
    if (target === undefined || this.rate === undefined) return;
    if (now - this.lastStep < this.recoverAfterMs) return;
    this.lastStep = now;
    const next = this.rate + Math.max(this.floorRps, target / 4);
    if (next < target) {
      this.rate = next;
      return;
    }
    this.recoverTo = undefined;
    this.rate = this.ceiling;
    this.tell({ type: 'recovered', ratePerSecond: this.ceiling });
  }

  /** Burst size: a quarter of a second's worth, at least one request. */
  private burst(): number {
    return Math.max(1, Math.floor((this.rate ?? 1) / 4));
  }

  private note(time: number): void {
    this.advanceSlots(time);
    this.slots[this.slotIndex]!++;
  }

  private measuredRate(now: number): number {
    this.advanceSlots(now);
    const count = this.slots.reduce((sum, n) => sum + n, 0);
    return (count * 1000) / MEASURE_WINDOW_MS;
  }

  /** Moves the ring to the slot of `time`, emptying the slots it passes. */
  private advanceSlots(time: number): void {
    if (time - this.slotStart < SLOT_MS) return;
    const steps = Math.min(this.slots.length, Math.floor((time - this.slotStart) / SLOT_MS));
    for (let i = 0; i < steps; i++) {
      this.slotIndex = (this.slotIndex + 1) % this.slots.length;
      this.slots[this.slotIndex] = 0;
    }
    this.slotStart = Number.isFinite(this.slotStart) ? this.slotStart + Math.floor((time - this.slotStart) / SLOT_MS) * SLOT_MS : time;
  }

  private tell(notice: RateNotice): void {
    try {
      this.onNotice?.(notice);
    } catch {
      // a listener never breaks requests
    }
  }
}

function round(rate: number): number {
  return Math.round(rate * 10) / 10;
}
