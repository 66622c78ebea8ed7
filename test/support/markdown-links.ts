/**
 * Relative links in Markdown files, and the anchors GitHub gives their headings - enough to check
 * that README.md and docs/*.md never point at a file or a section that is not there.
 *
 * Links inside fenced code blocks and inline code are not links (they are shown as text), so
 * they are left out. Only inline links `[text](target)` and images `![alt](target)` are used in
 * this repository's docs; reference-style links are not looked for.
 */
import { existsSync, readFileSync, statSync } from 'node:fs';
import { dirname, resolve } from 'node:path';

export interface MarkdownLink {
  /** The file the link is in. */
  file: string;
  /** 1-based line of the link. */
  line: number;
  target: string;
}

/**
 * The text with fenced code blocks blanked out, line by line; inline code spans are removed too
 * unless `keepCode` (headings keep their code text: GitHub slugs `` `verify` `` as `verify`).
 */
function proseLines(text: string, keepCode = false): string[] {
  const lines = text.split(/\r?\n/);
  let fence: string | undefined;
  return lines.map((line) => {
    const opening = /^\s{0,3}(`{3,}|~{3,})/.exec(line);
    if (fence !== undefined) {
      if (opening && opening[1]!.startsWith(fence)) fence = undefined;
      return '';
    }
    if (opening) {
      fence = opening[1]!;
      return '';
    }
    return keepCode ? line : line.replace(/(`+)[^`]*?\1/g, '');
  });
}

/** Every inline link of a Markdown text, with its line. */
export function markdownLinks(file: string, text: string): MarkdownLink[] {
  const links: MarkdownLink[] = [];
  proseLines(text).forEach((line, index) => {
    for (const match of line.matchAll(/!?\[(?:[^\]\\]|\\.)*\]\(\s*<?([^)\s>]+)>?(?:\s+"[^"]*")?\s*\)/g)) {
      links.push({ file, line: index + 1, target: match[1]! });
    }
  });
  return links;
}

/** A link to another site or a mail address: not checked here (no network in tests). */
export function isExternal(target: string): boolean {
  return /^[a-z][a-z0-9+.-]*:/i.test(target) || target.startsWith('//');
}

/**
 * The anchor GitHub gives a heading (github-slugger's rule): the text as shown (inline code,
 * emphasis and link markup dropped), lower-cased, every character that is not a letter, a digit,
 * a space, `-` or `_` removed, spaces made `-`; a repeated anchor gets `-1`, `-2`, ...
 */
export function headingAnchors(text: string): Set<string> {
  const anchors = new Set<string>();
  const seen = new Map<string, number>();
  for (const line of proseLines(text, true)) {
    const heading = /^\s{0,3}#{1,6}\s+(.*?)\s*#*\s*$/.exec(line);
    if (!heading) continue;
    const base = slug(heading[1]!);
    const count = seen.get(base) ?? 0;
    seen.set(base, count + 1);
    anchors.add(count === 0 ? base : `${base}-${count}`);
  }
  return anchors;
}


export function slug(heading: string): string {
  const shown = heading
    .replace(/!?\[([^\]]*)\]\([^)]*\)/g, '$1') // a link shows its text
    .replace(/<[^>]+>/g, '') // inline HTML tags are not shown
    .replace(/[`*]/g, '') // code and emphasis markers
    .replace(/(^|\s)_+|_+(\s|$)/g, '$1$2'); // _emphasis_ markers (an inner `_` stays)
  return shown
    .toLowerCase()
    .replace(/[^\p{L}\p{M}\p{N}\p{Pc} -]/gu, '')
    .replace(/ /g, '-');
}

export interface BrokenLink extends MarkdownLink {
  reason: string;
}

/** The links of `file` that do not resolve: a missing file, or an anchor no heading has. */
export function brokenLinks(file: string): BrokenLink[] {
  const text = readFileSync(file, 'utf8');
  const broken: BrokenLink[] = [];
  for (const link of markdownLinks(file, text)) {
    if (isExternal(link.target)) continue;
    const hash = link.target.indexOf('#');
    const pathPart = decodeURI(hash === -1 ? link.target : link.target.slice(0, hash));
    const anchor = hash === -1 ? undefined : decodeURIComponent(link.target.slice(hash + 1));
    const resolved = pathPart === '' ? file : resolve(dirname(file), pathPart);
    if (!existsSync(resolved)) {
      broken.push({ ...link, reason: `no such file: ${pathPart}` });
      continue;
    }
    if (anchor === undefined || anchor === '') continue;
    if (statSync(resolved).isDirectory() || !resolved.endsWith('.md')) {
      broken.push({ ...link, reason: `an anchor into something that is not a Markdown file` });
      continue;
    }
    const anchors = headingAnchors(readFileSync(resolved, 'utf8'));
    if (!anchors.has(anchor)) broken.push({ ...link, reason: `no heading with anchor #${anchor} in ${pathPart || 'this file'}` });
  }
  return broken;
}
