/**
 * The run log, like the seed's: `<source>_to_<target>_%Y%m%d%H%M%S.log` in the working directory,
 * lines `YYYY-MM-DD HH:MM:SS,mmm runs-migrator LEVEL message` in local time (Python's asctime),
 * created with mode 0600. Lines are appended synchronously so that an interrupted copy still
 * leaves every line it wrote; every line passes through the redactor first.
 */
import { closeSync, openSync, writeSync } from 'node:fs';
import type { ProjectRef } from '../model/project-ref.js';
import { UsageError } from '../util/errors.js';
import type { Redactor } from '../util/redact.js';

export type Level = 'INFO' | 'WARNING' | 'ERROR';

export interface Logger {
  /** Undefined for the logger that writes nothing (dry run). */
  readonly path: string | undefined;
  info(message: string): void;
  warning(message: string): void;
  error(message: string): void;
  close(): void;
}

const pad = (value: number, width = 2) => String(value).padStart(width, '0');

/** `%Y%m%d%H%M%S` in local time. */
export function fileTimestamp(now: Date): string {
  return (
    `${now.getFullYear()}${pad(now.getMonth() + 1)}${pad(now.getDate())}` +
    `${pad(now.getHours())}${pad(now.getMinutes())}${pad(now.getSeconds())}`
  );
}

/** Python logging's asctime: `YYYY-MM-DD HH:MM:SS,mmm`, local time. */
export function lineTimestamp(now: Date): string {
  return (
    `${now.getFullYear()}-${pad(now.getMonth() + 1)}-${pad(now.getDate())} ` +
    `${pad(now.getHours())}:${pad(now.getMinutes())}:${pad(now.getSeconds())},${pad(now.getMilliseconds(), 3)}`
  );
}

/** `WORKSPACE_PROJECT` with anything but letters, digits, `.`, `_`, `-` replaced by `_`. */
export function fileSafeName(ref: ProjectRef): string {
  const name = `${ref.workspace}_${ref.project}`.replace(/[^A-Za-z0-9._-]/g, '_');
  return name.replace(/^\.+/, '_');
}

export function defaultLogName(source: ProjectRef, target: ProjectRef, now: Date): string {
  return `${fileSafeName(source)}_to_${fileSafeName(target)}_${fileTimestamp(now)}.log`;
}

export function formatLine(now: Date, level: Level, message: string): string {
  return `${lineTimestamp(now)} runs-migrator ${level} ${message}\n`;
}

/** Opens (appends to) the log file, creating it with mode 0600. */
export function openLogFile(path: string, redact: Redactor, now: () => Date = () => new Date()): Logger {
  let fd: number | undefined;
  try {
    fd = openSync(path, 'a', 0o600);
  } catch (error) {
    const code = (error as { code?: string }).code ?? 'error';
    throw new UsageError(`--log-file ${path}: cannot open the log file (${code})`);
  }
  const write = (level: Level) => (message: string) => {
    if (fd === undefined) return;
    writeSync(fd, redact(formatLine(now(), level, message)));
  };
  return {
    path,
    info: write('INFO'),
    warning: write('WARNING'),
    error: write('ERROR'),
    close() {
      if (fd !== undefined) closeSync(fd);
      fd = undefined;
    },
  };
}

/** Writes nothing (a dry run writes nothing at all). */
export const NULL_LOGGER: Logger = {
  path: undefined,
  info() {},
  warning() {},
  error() {},
  close() {},
};
