/**
 * A run's local artifact directory, listed and read without ever leaving it: symbolic links are
 * never followed (MLflow's artifact repositories copy files and never create links, so a link is
 * either foreign or an escape attempt: it is reported, not read), requested paths must be plain
 * relative POSIX paths, and a file is opened only when its real path is exactly the expected one
 * (O_NOFOLLOW closes the last gap). Directories are walked one at a time, files are streamed.
 */
import fs from 'node:fs';
import path from 'node:path';
import type { Readable } from 'node:stream';
import type { ReadIssue } from '../contract.js';
import type { FileEntry } from '../../model/run.js';
import { NotFoundError, UsageError } from '../../util/errors.js';

export class ArtifactTree {
  constructor(
    /** The run's artifact directory as the store names it (may not exist). */
    private readonly root: string,
    private readonly report: (issue: ReadIssue) => void,
  ) {}

  /** Depth first, entries of a directory in name order (code units), one directory read at a time. */
  async *files(): AsyncIterable<FileEntry> {
    const root = await this.realRoot();
    if (root === undefined) return;
    const stack: Array<{ dir: string; entries: fs.Dirent[]; next: number }> = [{ dir: '', entries: await sortedEntries(root), next: 0 }];
    while (stack.length > 0) {
      const frame = stack[stack.length - 1]!;
      const entry = frame.entries[frame.next++];
      if (!entry) {
        stack.pop();
        continue;
      }
      const relative = frame.dir === '' ? entry.name : `${frame.dir}/${entry.name}`;
      const refusal = nameRefusal(entry.name) ?? typeRefusal(entry);
      if (refusal) {
        this.report({ field: `files/${relative}`, reason: refusal });
      } else if (entry.isDirectory()) {
        stack.push({ dir: relative, entries: await sortedEntries(path.join(root, relative)), next: 0 });
      } else {
        const stat = await fs.promises.lstat(path.join(root, relative));
        yield { path: relative, size: stat.size, modifiedMs: stat.mtimeMs };
      }
    }
  }

  async open(relative: string): Promise<Readable> {
    const segments = checkedSegments(relative);
    const root = await this.realRoot();
    if (root === undefined) throw new NotFoundError(`artifact "${relative}" not found: the run's artifact directory ${this.root} does not exist`);
    const full = path.join(root, ...segments);
    let real: string;
    try {
      real = await fs.promises.realpath(full);
    } catch (error) {
      if (isMissing(error)) throw new NotFoundError(`artifact "${relative}" not found in ${this.root}`);
      throw error;
    }
    if (real !== full) {
      throw new UsageError(`refusing artifact "${relative}": it passes through a symbolic link (${real}); only files inside the run's artifact directory are read`);
    }
    const stat = await fs.promises.lstat(full);
    if (!stat.isFile()) throw new UsageError(`refusing artifact "${relative}": not a regular file`);
    const handle = await fs.promises.open(full, fs.constants.O_RDONLY | (fs.constants.O_NOFOLLOW ?? 0));
    return handle.createReadStream();
  }

  /** The real path of the artifact directory, or undefined when it does not exist. */
  private async realRoot(): Promise<string | undefined> {
    try {
      const real = await fs.promises.realpath(this.root);
      if (!(await fs.promises.stat(real)).isDirectory()) {
        this.report({ field: 'files', reason: `artifact location ${this.root} is not a directory` });
        return undefined;
      }
      return real;
    } catch (error) {
      if (!isMissing(error)) throw error;
      this.reportIfStoreMissing();
      return undefined;
    }
  }

  /**
   * MLflow creates a run's artifact directory only when something is logged, so a missing one
   * usually means "no artifacts". When even the artifact store above it (<store>/<exp>/<run>/
   * artifacts) is missing, the files were more likely moved or live on another machine: say so.
   */
  private reportIfStoreMissing(): void {
    const store = path.dirname(path.dirname(path.dirname(this.root)));
    if (!fs.existsSync(store)) {
      this.report({
        field: 'files',
        reason: `artifact directory ${this.root} not found, nor the artifact store ${store} above it: the artifacts were moved or are on another machine`,
      });
    }
  }
}

/** A relative POSIX path below the artifact root, as segments; anything else is refused. */
export function checkedSegments(relative: string): string[] {
  const segments = relative.split('/');
  const bad =
    relative === '' ||
    relative.startsWith('/') ||
    segments.some((segment) => segment === '' || segment === '.' || segment === '..' || nameRefusal(segment) !== undefined);
  if (bad) {
    throw new UsageError(`refusing artifact path "${relative}": it must be a relative path inside the run's artifact directory`);
  }
  return segments;
}

async function sortedEntries(dir: string): Promise<fs.Dirent[]> {
  const entries = await fs.promises.readdir(dir, { withFileTypes: true });
  return entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
}

function nameRefusal(name: string): string | undefined {
  if (name.includes('\0')) return 'file name contains a NUL character; not read';
  if (name.includes('\\')) return 'file name contains a backslash, which other stores read as a directory separator; not read';
  return undefined;
}

function typeRefusal(entry: fs.Dirent): string | undefined {
  if (entry.isSymbolicLink()) return 'symbolic link: not followed (it could point outside the run\'s artifact directory)';
  if (entry.isDirectory() || entry.isFile()) return undefined;
  return 'not a regular file or directory (device, socket or pipe); not read';
}

function isMissing(error: unknown): boolean {
  const code = (error as { code?: unknown } | null)?.code;
  return code === 'ENOENT' || code === 'ENOTDIR';
}
