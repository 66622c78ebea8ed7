#!/usr/bin/env node
// Checks that every key fact of an earlier README is still written somewhere in README.md or
// docs/*.md: figures, `code`, **bold** phrases, flags and file paths, sentence by sentence and
// table row by table row. Issue 19 moved the README's content into docs/; run this after merging
// a branch that added to the old README, to find what still has to be moved.
//
//   node scripts/check-readme-facts.mjs <git revision>     e.g. 04750ea (the README before issue 19)
//   node scripts/check-readme-facts.mjs --file old-README.md
//
// Prints each sentence or row with a fact not found, and exits 1 when there is one.
import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

const root = join(import.meta.dirname, '..');
const [first, second] = process.argv.slice(2);
if (!first) {
  console.error('usage: node scripts/check-readme-facts.mjs <git revision> | --file <old README>');
  process.exit(2);
}
const old = first === '--file' ? readFileSync(second, 'utf8') : execFileSync('git', ['show', `${first}:README.md`], { cwd: root, encoding: 'utf8' });

const squash = (text) => text.replace(/\s+/g, ' ');
const pages = ['README.md', ...readdirSync(join(root, 'docs')).filter((name) => name.endsWith('.md')).map((name) => `docs/${name}`)];
const now = squash(pages.map((page) => readFileSync(join(root, page), 'utf8')).join('\n'));

/** Sentences of paragraphs and list items, table rows, and code lines of the old README. */
function units(text) {
  const found = [];
  let code = false;
  let paragraph = [];
  const flush = () => {
    if (paragraph.length > 0) found.push({ kind: 'prose', text: paragraph.join(' ') });
    paragraph = [];
  };
  for (const line of text.split('\n')) {
    if (line.startsWith('```')) {
      flush();
      code = !code;
      continue;
    }
    if (code) {
      if (line.trim() !== '') found.push({ kind: 'code', text: line.trim() });
      continue;
    }
    if (line.startsWith('|')) {
      flush();
      found.push({ kind: 'row', text: line });
      continue;
    }
    const item = /^\s*- (.*)$/.exec(line);
    if (line.trim() === '' || line.startsWith('#') || item) {
      flush();
      if (item) paragraph = [item[1]];
      continue;
    }
    paragraph.push(line.trim());
  }
  flush();
  return found;
}

function facts(sentence) {
  const all = [
    ...[...sentence.matchAll(/`([^`]+)`/g)].map((m) => m[1]),
    ...[...sentence.matchAll(/\*\*([^*]+)\*\*/g)].map((m) => m[1]),
    ...[...sentence.matchAll(/(?<![\w.])\d[\d,.]*(?:\s?(?:%|x|MB|KB|ms|s|runs\/s|points\/s|rows\/s|MiB|bytes|B))?/g)].map((m) => m[0]),
    ...[...sentence.matchAll(/--[a-z][a-z-]+/g)].map((m) => m[0]),
    ...[...sentence.matchAll(/\b[\w-]+\/[\w./-]+\.(?:ts|js|md|mjs|json)\b/g)].map((m) => m[0]),
  ];
  return [...new Set(all.map((fact) => fact.trim().replace(/[.,]+$/, '')).filter((fact) => fact !== ''))];
}

let missing = 0;
for (const unit of units(old)) {
  if (unit.kind === 'code') {
    if (!now.includes(squash(unit.text))) {
      missing++;
      console.log(`code line not found: ${unit.text}`);
    }
    continue;
  }
  const sentences = unit.kind === 'row' ? [unit.text] : unit.text.split(/(?<=[.;:])\s+(?=[A-Z(`*])/);
  for (const sentence of sentences) {
    const lost = facts(sentence).filter((fact) => !now.includes(squash(fact)));
    if (lost.length > 0) {
      missing++;
      console.log(`not found ${JSON.stringify(lost)} <- ${sentence.slice(0, 200)}`);
    }
  }
}
console.log(missing === 0 ? 'every fact of the old README is in README.md or docs/' : `${missing} sentence(s) or row(s) with facts not found`);
process.exitCode = missing === 0 ? 0 : 1;
