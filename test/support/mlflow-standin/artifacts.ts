/**
 * Artifact storage on disk (the server's --artifacts-destination): path safety, streamed
 * upload/download, one-level listings, MIME types of downloads.
 */
import { createWriteStream } from 'node:fs';
import { mkdir, readdir, readFile, rename, rm, stat } from 'node:fs/promises';
import type { IncomingMessage } from 'node:http';
import { dirname, join, resolve, sep } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { invalidParam, notFound, type MlflowError } from './errors.js';
import type { ProxyStore } from './proxy-store.js';

/** validate_path_is_safe: no '..' component, not absolute, no '#'. */
export function validatePathIsSafe(path: string): string {
  const bad = () => invalidParam('Invalid path');
  let p = path;
  for (let i = 0; i < 3; i++) {
    if (p.includes('#')) throw bad();
    if (p.split('/').includes('..') || p.split('\\').includes('..')) throw bad();
    if (p.startsWith('/') || /^[a-zA-Z]:[\\/]/.test(p) || /^[\\/]{2}/.test(p)) throw bad();
    let next: string;
    try {
      next = decodeURIComponent(p);
    } catch {
      break;
    }
    if (next === p) break;
    p = next;
  }
  return path;
}

export interface Entry {
  name: string;
  isDir: boolean;
  size?: number;
}

export class ArtifactStorage implements ProxyStore {
  readonly root: string;

  constructor(root: string) {
    this.root = resolve(root);
  }

  abs(rel: string): string {
    const p = resolve(this.root, ...rel.split('/').filter((s) => s && s !== '.'));
    if (p !== this.root && !p.startsWith(this.root + sep)) throw invalidParam('Invalid path');
    return p;
  }

  async kind(rel: string): Promise<{ isDir: boolean; size: number } | undefined> {
    try {
      const s = await stat(this.abs(rel));
      return { isDir: s.isDirectory(), size: s.size };
    } catch {
      return undefined;
    }
  }

  /** Entries of a directory sorted by name; undefined when `rel` is not a directory. */
  async list(rel: string): Promise<Entry[] | undefined> {
    const dir = this.abs(rel);
    let ents;
    try {
      ents = await readdir(dir, { withFileTypes: true });
    } catch {
      return undefined;
    }
    const out: Entry[] = [];
    for (const e of ents.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))) {
      if (e.name.startsWith('.standin-upload-')) continue;
      if (e.isDirectory()) out.push({ name: e.name, isDir: true });
      else {
        const s = await stat(join(dir, e.name)).catch(() => undefined);
        out.push({ name: e.name, isDir: false, size: s?.size ?? 0 });
      }
    }
    return out;
  }

  /** Stream the request body into the file (written next to it, then renamed into place). */
  async upload(rel: string, req: IncomingMessage): Promise<void> {
    const target = this.abs(rel);
    await mkdir(dirname(target), { recursive: true });
    const tmp = join(dirname(target), `.standin-upload-${process.pid}-${Math.random().toString(36).slice(2)}`);
    try {
      await pipeline(req, createWriteStream(tmp));
      await rename(tmp, target);
    } catch (e) {
      await rm(tmp, { force: true });
      throw e;
    }
  }

  async remove(rel: string): Promise<void> {
    await rm(this.abs(rel), { recursive: true, force: true });
  }

  file(rel: string, size: number): { path: string; size: number } {
    return { path: this.abs(rel), size };
  }

  /** A local destination answers 404 naming the folder (artifacts-proxy-* recordings). */
  missing(_rel: string, shown: string): MlflowError {
    return notFound(`The following failures occurred while downloading one or more artifacts from ${this.root}:\n##### File ${shown} #####\nNo such artifact: '${shown}'`);
  }

  readText(rel: string): Promise<string> {
    return readFile(this.abs(rel), 'utf8');
  }
}

const TEXT_EXTENSIONS = new Set([
  'txt', 'log', 'err', 'cfg', 'conf', 'cnf', 'cf', 'ini', 'properties', 'prop', 'hocon', 'toml', 'yaml', 'yml',
  'xml', 'json', 'js', 'py', 'py3', 'csv', 'tsv', 'md', 'rst', 'MLmodel', 'MLproject',
]);

const MIME: Record<string, string> = {
  png: 'image/png', jpg: 'image/jpeg', jpeg: 'image/jpeg', gif: 'image/gif', svg: 'image/svg+xml',
  bmp: 'image/bmp', tif: 'image/tiff', tiff: 'image/tiff', ico: 'image/vnd.microsoft.icon', webp: 'image/webp',
  html: 'text/html', htm: 'text/html', css: 'text/css', pdf: 'application/pdf', zip: 'application/zip',
  tar: 'application/x-tar', mp4: 'video/mp4', mp3: 'audio/mpeg', wav: 'audio/x-wav', bin: 'application/octet-stream',
};

/** _guess_mime_type: text-like extensions as text/plain, else Python's mimetypes, else octet-stream. */
export function guessMimeType(filename: string): string {
  const dot = filename.lastIndexOf('.');
  const ext = dot > 0 ? filename.slice(dot + 1) : filename;
  if (TEXT_EXTENSIONS.has(ext)) return 'text/plain';
  return MIME[ext.toLowerCase()] ?? 'application/octet-stream';
}
