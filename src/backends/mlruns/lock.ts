/**
 * A lock between processes that share one store, for the few moments a shared decision takes
 * (is there an experiment with this name? if not, create it). `mkdir` is atomic, so whoever
 * creates the lock directory holds the lock. A lock older than `staleMs` was left by a killed
 * process (the guarded work takes milliseconds) and is broken.
 */
import { mkdir, rm, stat } from 'node:fs/promises';
import { dirname } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { isErrorCode, mkdirPrivate, PRIVATE_DIR_MODE } from './fs-util.js';

export interface LockOptions {
  staleMs?: number;
  timeoutMs?: number;
}

async function ageOf(path: string): Promise<number | undefined> {
  try {
    return Date.now() - (await stat(path)).mtimeMs;
  } catch (error) {
    if (isErrorCode(error, 'ENOENT')) return undefined;
    throw error;
  }
}

export async function withLock<T>(path: string, work: () => Promise<T>, options: LockOptions = {}): Promise<T> {
  const staleMs = options.staleMs ?? 30_000;
  const timeoutMs = options.timeoutMs ?? 120_000;
  await mkdirPrivate(dirname(path));
  const started = Date.now();
  for (;;) {
    try {
      await mkdir(path, { mode: PRIVATE_DIR_MODE });
      break;
    } catch (error) {
      if (!isErrorCode(error, 'EEXIST')) throw error;
    }
    const age = await ageOf(path);
    if (age !== undefined && age > staleMs) {
      await rm(path, { recursive: true, force: true });
      continue;
    }
    if (Date.now() - started > timeoutMs) {
      throw new Error(`waited ${Math.round(timeoutMs / 1000)} s for the lock ${path}; remove it if no other copy is running`);
    }
    await sleep(10 + Math.random() * 40);
  }
  try {
    return await work();
  } finally {
    await rm(path, { recursive: true, force: true });
  }
}
