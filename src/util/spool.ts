/**
 * Text records kept on disk instead of in memory, read back by key: what a listing learned about
 * each run until the run is copied (10,000 runs held about 10 MB in memory; here, about 40 bytes
 * each for the index).
 *
 * The file is private (0600, created exclusively in the temp folder) and unlinked as soon as it
 * is open, so it holds run data only while this process has it open and is never left behind,
 * not even by a killed process. Writes are gathered into blocks of about 64 KB. Where the temp
 * folder cannot be written (read-only, full), records are kept in memory instead: slower to
 * nothing, only bigger.
 */
import { randomBytes } from 'node:crypto';
import { closeSync, openSync, readSync, rmSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const BLOCK = 65_536;

export class Spool {
  private fd: number | undefined;
  /** Set only where the file could not be unlinked while open: removed on close. */
  private path: string | undefined;
  /** Records the file could not take. */
  private memory: Map<string, string> | undefined;
  private written = 0;
  /** Records not written yet: text, or bytes already encoded (a view into a page is copied when written). */
  private pending: Array<[key: string, text: string | Buffer]> = [];
  private pendingBytes = 0;
  private readonly index = new Map<string, number>();
  private starts = new Float64Array(1024);
  private lengths = new Uint32Array(1024);
  private count = 0;

  constructor(private readonly dir: string = tmpdir()) {}

  /** Keeps `text` under `key`; a key put again reads back its latest text. */
  put(key: string, text: string): void {
    this.keep(key, text);
  }

  /**
   * Keeps UTF-8 `bytes` under `key`, read back as their text (no decoding and encoding again on the
   * way in). They are copied only when written: the caller must not change them afterwards.
   */
  putBytes(key: string, bytes: Buffer): void {
    this.keep(key, bytes);
  }

  private keep(key: string, text: string | Buffer): void {
    const fd = this.memory ? undefined : this.open();
    if (fd === undefined) {
      this.index.delete(key);
      this.memory!.set(key, typeof text === 'string' ? text : text.toString('utf8'));
      return;
    }
    const bytes = typeof text === 'string' ? Buffer.byteLength(text, 'utf8') : text.length;
    if (this.count === this.starts.length) this.grow();
    this.starts[this.count] = this.written + this.pendingBytes;
    this.lengths[this.count] = bytes;
    this.index.set(key, this.count++);
    this.pending.push([key, text]);
    this.pendingBytes += bytes;
    if (this.pendingBytes >= BLOCK) this.flush(fd);
  }

  /** The text last put under `key`, or undefined. */
  get(key: string): string | undefined {
    const kept = this.memory?.get(key);
    if (kept !== undefined) return kept;
    const at = this.index.get(key);
    if (at === undefined || this.fd === undefined) return undefined;
    this.flush(this.fd);
    const remembered = this.memory?.get(key);
    if (remembered !== undefined) return remembered;
    const buffer = Buffer.allocUnsafe(this.lengths[at]!);
    let read = 0;
    while (read < buffer.length) {
      const n = readSync(this.fd, buffer, read, buffer.length - read, this.starts[at]! + read);
      if (n === 0) throw new Error('the spool file ended early');
      read += n;
    }
    return buffer.toString('utf8');
  }

  get size(): number {
    return this.index.size + (this.memory?.size ?? 0);
  }

  close(): void {
    if (this.fd !== undefined) closeSync(this.fd);
    if (this.path !== undefined) rmSync(this.path, { force: true });
    this.fd = undefined;
    this.path = undefined;
    this.memory = undefined;
    this.index.clear();
    this.pending = [];
    this.pendingBytes = 0;
  }

  /** The file, opened on first use; undefined (and records kept in memory) when it cannot be. */
  private open(): number | undefined {
    if (this.fd !== undefined) return this.fd;
    const path = join(this.dir, `.runs-migrator-spool-${process.pid}-${randomBytes(6).toString('hex')}`);
    try {
      this.fd = openSync(path, 'wx+', 0o600);
    } catch {
      this.memory = new Map();
      return undefined;
    }
    try {
      rmSync(path);
    } catch {
      this.path = path; // a system that keeps open files from being removed: removed on close
    }
    return this.fd;
  }

  private flush(fd: number): void {
    if (this.pendingBytes === 0) return;
    const block = Buffer.concat(this.pending.map(([, text]) => (typeof text === 'string' ? Buffer.from(text, 'utf8') : text)), this.pendingBytes);
    try {
      let done = 0;
      while (done < block.length) done += writeSync(fd, block, done, block.length - done, this.written + done);
      this.written += block.length;
    } catch {
      // A full disk: what did not fit, and everything after it, stays in memory.
      this.memory ??= new Map();
      for (const [key, text] of this.pending) {
        this.index.delete(key);
        this.memory.set(key, typeof text === 'string' ? text : text.toString('utf8'));
      }
    }
    this.pending = [];
    this.pendingBytes = 0;
  }

  private grow(): void {
    const starts = new Float64Array(this.starts.length * 2);
    starts.set(this.starts);
    const lengths = new Uint32Array(this.lengths.length * 2);
    lengths.set(this.lengths);
    this.starts = starts;
    this.lengths = lengths;
  }
}
