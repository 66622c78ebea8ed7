/**
 * Per-run spill file: the one streaming pass over a run's parts sorts every series point into a
 * "channel" (one per metric key, one per generated text file) and appends full channel buffers to
 * a private temp file as segments. Reading a channel back replays its segments in order.
 *
 * Why a spill and not a re-scan per key: the exporter writes up to 128 series per batch into one
 * row group, so a run's keys are interleaved in the same row groups. Re-reading the run for each
 * key would decode every row group once per key (x128); the spill decodes each row once and costs
 * 24 bytes of temp disk per point. Memory stays bounded: at most BUFFER_CAP bytes of channel
 * buffers plus one segment index entry per flushed segment.
 *
 * The file is unlinked right after it is created (POSIX), so even a crash leaves nothing behind;
 * the descriptor is closed by `close()` (store close, or when the run object is garbage collected).
 */
import { closeSync, openSync, read, unlinkSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import type { MetricPoint } from '../../model/run.js';

const readAsync = promisify(read);

/** Bytes per metric point record: step (f64, or NaN + an int64 record), timestamp f64, value f64. */
const RECORD = 24;
const RECORD_F64 = 3;
/** Largest buffer per channel before it is written out as a segment. */
const CHANNEL_MAX = 64 * 1024;
/** All channel buffers together; beyond this every buffer is written out. */
const BUFFER_CAP = 16 * 1024 * 1024;

interface Channel {
  /** Point channels: Float64 view of `bytes`. */
  f64?: Float64Array;
  i64?: BigInt64Array;
  bytes?: Uint8Array;
  /** Bytes used in the buffer. */
  used: number;
  /** Flat [offset, length, offset, length, ...] of written segments. */
  segments: number[];
  total: number;
}

export class Spill {
  private readonly fd: number;
  private end = 0;
  private buffered = 0;
  private readonly channels: Channel[] = [];
  private closed = false;

  private unlinked = false;
  private path?: string;

  constructor(dir: string, name: string) {
    const path = join(dir, name);
    this.fd = openSync(path, 'wx+', 0o600);
    try {
      unlinkSync(path);
      this.unlinked = true;
    } catch {
      // Windows cannot unlink an open file; close() removes it instead.
      this.path = path;
    }
  }

  newChannel(): number {
    this.channels.push({ used: 0, segments: [], total: 0 });
    return this.channels.length - 1;
  }

  /** Appends one metric point. Steps beyond 2^53 take a second record holding the exact int64. */
  appendPoint(channel: number, step: number | bigint, timestamp: number, value: number): void {
    const ch = this.channels[channel]!;
    const exact = typeof step === 'number';
    this.reserve(ch, exact ? RECORD : 2 * RECORD);
    const f64 = ch.f64!;
    let at = ch.used / 8;
    f64[at] = exact ? step : Number.NaN;
    f64[at + 1] = timestamp;
    f64[at + 2] = value;
    ch.used += RECORD;
    if (!exact) {
      at += RECORD_F64;
      ch.i64![at] = step;
      ch.used += RECORD;
    }
  }

  appendText(channel: number, bytes: Uint8Array): void {
    const ch = this.channels[channel]!;
    if (bytes.length > CHANNEL_MAX) {
      this.flushChannel(ch);
      this.writeSegment(ch, bytes);
      return;
    }
    this.reserve(ch, bytes.length);
    ch.bytes!.set(bytes, ch.used);
    ch.used += bytes.length;
  }

  /** Bytes a channel holds (written and buffered). */
  size(channel: number): number {
    const ch = this.channels[channel]!;
    return ch.total + ch.used;
  }

  /** Writes every buffer out and frees it; call once the pass is over. */
  flush(): void {
    this.releaseAll();
  }

  /** The raw bytes of a channel, segment by segment. */
  async *bytes(channel: number): AsyncIterable<Uint8Array> {
    const ch = this.channels[channel]!;
    this.flushChannel(ch);
    for (let i = 0; i < ch.segments.length; i += 2) {
      const offset = ch.segments[i]!;
      const length = ch.segments[i + 1]!;
      const buffer = new Uint8Array(length);
      let done = 0;
      while (done < length) {
        if (this.closed) throw new Error('the run was closed while it was being read');
        const { bytesRead } = await readAsync(this.fd, buffer, done, length - done, offset + done);
        if (bytesRead === 0) throw new Error('spill file ended early');
        done += bytesRead;
      }
      yield buffer;
    }
  }

  /** A metric channel's points in bounded batches, in the order they were appended. */
  async *points(channel: number, batchSize: number): AsyncIterable<MetricPoint[]> {
    let batch: MetricPoint[] = [];
    for await (const segment of this.bytes(channel)) {
      const f64 = new Float64Array(segment.buffer, segment.byteOffset, segment.byteLength / 8);
      const i64 = new BigInt64Array(segment.buffer, segment.byteOffset, segment.byteLength / 8);
      for (let at = 0; at < f64.length; at += RECORD_F64) {
        let step: number | bigint = f64[at]!;
        const timestamp = f64[at + 1]!;
        const value = f64[at + 2]!;
        if (Number.isNaN(step)) {
          at += RECORD_F64;
          step = i64[at]!;
        }
        batch.push({ value, timestamp, step });
        if (batch.length >= batchSize) {
          yield batch;
          batch = [];
        }
      }
    }
    if (batch.length > 0) yield batch;
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    try {
      closeSync(this.fd);
    } catch {
      // already closed
    }
    if (!this.unlinked && this.path) {
      try {
        unlinkSync(this.path);
      } catch {
        // removed with the temp directory
      }
    }
  }

  /** Makes room for `bytes` more bytes in a channel's buffer (bytes <= CHANNEL_MAX). */
  private reserve(ch: Channel, bytes: number): void {
    let capacity = ch.bytes?.length ?? 0;
    if (ch.used + bytes <= capacity) return;
    if (ch.used + bytes > CHANNEL_MAX) {
      this.flushChannel(ch);
      if (bytes <= capacity) return;
    }
    // Grow by doubling from a small start, so thousands of short channels stay cheap.
    let size = Math.max(capacity * 2, 768);
    while (size < ch.used + bytes) size *= 2;
    if (this.buffered + size - capacity > BUFFER_CAP) {
      this.releaseAll();
      capacity = 0;
      size = 768;
      while (size < bytes) size *= 2;
    }
    const next = new Uint8Array(size);
    if (ch.bytes && ch.used > 0) next.set(ch.bytes.subarray(0, ch.used));
    this.buffered += size - capacity;
    ch.bytes = next;
    ch.f64 = new Float64Array(next.buffer, 0, Math.floor(size / 8));
    ch.i64 = new BigInt64Array(next.buffer, 0, Math.floor(size / 8));
  }

  /** Writes out and frees every channel buffer (the global cap was reached). */
  private releaseAll(): void {
    for (const ch of this.channels) {
      this.flushChannel(ch);
      ch.bytes = undefined;
      ch.f64 = undefined;
      ch.i64 = undefined;
    }
    this.buffered = 0;
  }

  private flushChannel(ch: Channel): void {
    if (!ch.bytes || ch.used === 0) return;
    this.writeSegment(ch, ch.bytes.subarray(0, ch.used));
    ch.used = 0;
  }

  private writeSegment(ch: Channel, bytes: Uint8Array): void {
    let done = 0;
    while (done < bytes.length) {
      done += writeSync(this.fd, bytes, done, bytes.length - done, this.end + done);
    }
    ch.segments.push(this.end, bytes.length);
    ch.total += bytes.length;
    this.end += bytes.length;
  }
}
