/**
 * The README and every page of docs/ link only to files and headings that exist: a renamed
 * section or a moved file breaks this test, not a reader's click.
 */
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { brokenLinks, headingAnchors, markdownLinks, slug } from '../support/markdown-links.js';

const root = join(import.meta.dirname, '..', '..');
const docsDir = join(root, 'docs');
const pages = [join(root, 'README.md'), ...readdirSync(docsDir).filter((name) => name.endsWith('.md')).map((name) => join(docsDir, name))];

describe('links in README.md and docs/', () => {
  it.each(pages.map((page) => [relative(root, page), page]))('%s: every relative link and #anchor resolves', (_name, page) => {
    const broken = brokenLinks(page).map((link) => `${relative(root, link.file)}:${link.line} ${link.target} (${link.reason})`);
    expect(broken).toEqual([]);
  });

  it('the README links every page of docs/, so none is an orphan', () => {
    const readme = readFileSync(join(root, 'README.md'), 'utf8');
    const linked = new Set(markdownLinks('README.md', readme).map((link) => link.target.split('#', 1)[0]));
    const unlinked = readdirSync(docsDir)
      .filter((name) => name.endsWith('.md'))
      .filter((name) => !linked.has(`docs/${name}`));
    expect(unlinked).toEqual([]);
  });

  it('the README is one a newcomer reads in two minutes: at most about 200 lines', () => {
    const lines = readFileSync(join(root, 'README.md'), 'utf8').split('\n').length;
    expect(lines).toBeLessThanOrEqual(200);
  });
});

describe('the link checker itself', () => {
  const dir = mkdtempSync(join(tmpdir(), 'docs-links-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('makes anchors the way GitHub does', () => {
    expect(slug("Moving an mlruns folder into MLflow's database")).toBe('moving-an-mlruns-folder-into-mlflows-database');
    expect(slug('What a re-run does (the sync rules)')).toBe('what-a-re-run-does-the-sync-rules');
    expect(slug('Many small runs, MLflow server to MLflow server')).toBe('many-small-runs-mlflow-server-to-mlflow-server');
    expect(slug('`verify` and `--html`')).toBe('verify-and---html');
    expect(slug('Keys — and paths')).toBe('keys--and-paths');
    expect([...headingAnchors('# Usage\n## Notes\n## Notes\n```\n# not a heading\n```\n')]).toEqual(['usage', 'notes', 'notes-1']);
  });

  it('finds a missing file and a missing anchor, and ignores links in code and to other sites', () => {
    writeFileSync(join(dir, 'other.md'), '# Other\n## A section\n');
    const page = join(dir, 'page.md');
    writeFileSync(
      page,
      [
        '# Page',
        'Good: [other](other.md), [section](other.md#a-section), [here](#page), [site](https://example.com/x.md).',
        'Bad: [gone](gone.md) and [no section](other.md#missing) and [no local](#nowhere).',
        'Not links: `[code](gone.md)`',
        '```',
        '[fenced](gone.md)',
        '```',
      ].join('\n'),
    );
    const broken = brokenLinks(page).map((link) => [link.line, link.target]);
    expect(broken).toEqual([
      [3, 'gone.md'],
      [3, 'other.md#missing'],
      [3, '#nowhere'],
    ]);
  });
});
