/**
 * The HTML report as one self-contained file: the page (page/report.html, page/style.css,
 * page/app.js) with uPlot's script and stylesheet inlined, and the report's data as JSON in a
 * <script type="application/json">. No server, no CDN, nothing fetched at view time: a Content
 * Security Policy allows only the inlined script and style (by hash) and no connection at all.
 * Run data is untrusted: the JSON is escaped so no `</script>` or `<!--` can end its element, and
 * the page only ever puts it in the document as text.
 */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Redactor } from '../util/redact.js';
import { writePrivateFile } from '../util/private-file.js';
import type { HtmlReportData } from './report-data.js';

/**
 * The page's files. tsc does not copy them into dist/, so they are read from src/report/page both
 * when running from src (tsx, tests) and from dist (dist/report/html.js): two levels up is the
 * package root either way. package.json "files" ships src/report/page.
 */
const PAGE_DIR = fileURLToPath(new URL('../../src/report/page/', import.meta.url));

interface PageAssets {
  template: string;
  style: string;
  script: string;
  chartStyle: string;
  chartScript: string;
  chartLicense: string;
}

let cached: PageAssets | undefined;

function assets(): PageAssets {
  if (cached) return cached;
  const require = createRequire(import.meta.url);
  const read = (path: string) => readFileSync(path, 'utf8');
  cached = {
    template: read(join(PAGE_DIR, 'report.html')),
    style: read(join(PAGE_DIR, 'style.css')),
    script: read(join(PAGE_DIR, 'app.js')),
    chartStyle: read(require.resolve('uplot/dist/uPlot.min.css')),
    chartScript: read(require.resolve('uplot/dist/uPlot.iife.min.js')),
    chartLicense: read(require.resolve('uplot/LICENSE')),
  };
  for (const [name, text] of Object.entries(cached)) {
    if (name !== 'template' && /<\/(script|style)|<!--|-->/i.test(text)) throw new Error(`report page asset ${name} would end its own element`);
  }
  return cached;
}

/** JSON that is safe inside <script type="application/json">: every `<` (and the JS line separators) escaped. */
export function embeddedJson(jsonText: string): string {
  return jsonText
    .replace(/</g, '\\u003c')
    .replace(/>/g, '\\u003e')
    .replace(/&/g, '\\u0026')
    .replace(/\u2028/g, '\\u2028')
    .replace(/\u2029/g, '\\u2029');
}

function sha256(text: string): string {
  return `'sha256-${createHash('sha256').update(text, 'utf8').digest('base64')}'`;
}

/** Escapes text for an HTML text node or a double-quoted attribute. */
function escapeHtml(text: string): string {
  return text.replace(/[&<>"]/g, (c) => `&#${c.charCodeAt(0)};`);
}

export function renderHtmlReport(data: HtmlReportData, redact: Redactor = (text) => text): string {
  const page = assets();
  const json = embeddedJson(redact(JSON.stringify(data)));
  const styles = `${page.chartStyle}\n${page.style}`;
  const scripts = [page.chartScript, page.script];
  const csp = [
    "default-src 'none'",
    `script-src ${scripts.map(sha256).join(' ')}`,
    `style-src ${sha256(styles)}`,
    'img-src data:',
    "base-uri 'none'",
    "form-action 'none'",
  ].join('; ');
  const title = `runs-migrator ${data.command}: ${data.source.project} → ${data.target.project}`;
  const parts: Record<string, string> = {
    CSP: escapeHtml(csp),
    TITLE: escapeHtml(redact(title)),
    STYLE: `<style>${styles}</style>`,
    DATA: `<script type="application/json" id="report-data">${json}</script>`,
    SCRIPTS: scripts.map((script) => `<script>${script}</script>`).join('\n'),
    LICENSES: `<!-- The charts are drawn by uPlot (https://github.com/leeoniya/uPlot), bundled in this file:\n\n${page.chartLicense.trim()}\n-->`,
  };
  // One pass over the template's {{NAME}} slots: nothing inserted is scanned again.
  return page.template.replace(/\{\{([A-Z]+)\}\}/g, (slot, name: string) => {
    const part = parts[name];
    if (part === undefined) throw new Error(`report page template: unknown slot ${slot}`);
    return part;
  });
}

/** Writes the page like the JSON reports: private (0600), atomically (temp file + rename). */
export function writeHtmlReport(path: string, data: HtmlReportData, redact: Redactor = (text) => text): void {
  const html = renderHtmlReport(data, redact);
  writePrivateFile(path, html, `--html ${path}`);
}
