/**
 * Contract test: replays every recorded MLflow 3.11 exchange in test/golden/cases (the repository's copy of ../shared/mlflow-golden/cases)
 * against a fresh stand-in (test/support/mlflow-standin) in the case's configuration, sending
 * each request raw (node:http, path byte for byte) and comparing status, Content-Type, the
 * recorded headers, body kind and body with the README's rules.
 *
 * Configuration per case: `server` plain / workspaces / basic-auth (admin password chosen here),
 * and /version set to the recorded build's "3.11.2.dev0" (the stand-in's default is "3.11.0").
 *
 * Error messages: compared exactly (with placeholders) for every case. The README allows a
 * stand-in to differ where a message embeds database driver text; the stand-in reproduces those
 * texts (SQLAlchemy IntegrityError wording, parameters with the stand-in's own values), so no
 * case needs RELAXED_MESSAGES today. Add a case there (with the reason) only when a message is
 * driver text a client cannot depend on.
 */
import { existsSync } from 'node:fs';
import { afterEach, describe, expect, it } from 'vitest';
import { startStandin, type StandinServer } from '../support/mlflow-standin/index.js';
import {
  Bindings,
  compareJson,
  dig,
  encodeQuery,
  expandRequestString,
  GOLDEN_DIR,
  loadCases,
  parseJson,
  rawRequest,
  requestBody,
  type GoldenCase,
} from './golden.js';

const ADMIN_PASSWORD = 'golden-admin-Pass1';
/** The recorded server was a 3.11 development build; the stand-in answers /version with this. */
const RECORDED_VERSION = '3.11.2.dev0';

/**
 * Cases the stand-in cannot replay yet, by name prefix, each naming the open issue that will
 * implement it (skipped, with the reason in the test title). Keep this short.
 */
const KNOWN_GAP_PREFIXES: Record<string, string> = {
  'artifacts-s3-': 'issue 18 (artifacts in S3: the stand-in has no s3-direct / s3-proxied mode yet)',
};
const knownGap = (name: string): string | undefined =>
  Object.entries(KNOWN_GAP_PREFIXES).find(([prefix]) => name.startsWith(prefix))?.[1];

/** Cases whose error `message` is compared by error_code only, with the reason. */
const RELAXED_MESSAGES: Record<string, string> = {};

// The recordings must be there: a replay of nothing would pass while proving nothing.
if (!existsSync(GOLDEN_DIR)) throw new Error(`no golden cases at ${GOLDEN_DIR}: run npm run golden:refresh or set MLFLOW_GOLDEN_DIR`);
const cases = loadCases();

function header(h: Record<string, string | string[] | undefined>, name: string): string | undefined {
  const v = h[name.toLowerCase()];
  return Array.isArray(v) ? v.join(', ') : v;
}

async function replay(c: GoldenCase, server: StandinServer): Promise<void> {
  const b = new Bindings();
  for (const [i, step] of c.steps.entries()) {
    const rq = step.request;
    const expand = (s: string) => expandRequestString(s, b, ADMIN_PASSWORD);
    const target = expand(rq.path) + encodeQuery(rq.query ?? {}, expand);
    const headers = Object.fromEntries(Object.entries(rq.headers ?? {}).map(([k, v]) => [k, expand(v)]));
    const res = await rawRequest(server.port, rq.method, target, headers, requestBody(rq, b, ADMIN_PASSWORD));
    const where = `${c.name} step ${i + 1}: ${rq.method} ${target.length > 160 ? target.slice(0, 160) + '…' : target}`;
    const exp = step.response;
    const problems: string[] = [];

    if (res.status !== Number(String(exp.status))) problems.push(`status: expected ${exp.status}, got ${res.status}`);
    const ct = header(res.headers, 'content-type');
    if ((exp.content_type ?? undefined) !== ct) problems.push(`content-type: expected ${exp.content_type}, got ${ct}`);
    for (const [name, want] of Object.entries(exp.headers ?? {})) {
      let got = header(res.headers, name);
      if (name === 'allow' && got) got = got.split(/\s*,\s*/).sort().join(', ');
      if (got !== want) problems.push(`header ${name}: expected ${JSON.stringify(want)}, got ${JSON.stringify(got)}`);
    }

    let actualJson: unknown;
    if (exp.body_kind === 'json' || step.bind) {
      try {
        actualJson = parseJson(res.body.toString('utf8'));
      } catch {
        problems.push(`body: expected JSON, got ${JSON.stringify(res.body.toString('utf8').slice(0, 300))}`);
      }
    }
    for (const [name, path] of Object.entries(step.bind ?? {})) {
      const v = dig(actualJson, path);
      if (typeof v === 'string') b.values.set(name, v);
      else if (v !== undefined && v !== null && /^-?\d+$/.test(String(v))) b.values.set(name, Number(String(v)));
      else problems.push(`bind ${name}: nothing at ${path}`);
    }

    switch (exp.body_kind) {
      case 'empty':
        if (res.body.length) problems.push(`body: expected empty, got ${res.body.length} bytes`);
        break;
      case 'text': {
        const errs = compareJson(exp.body, res.body.toString('utf8'), { bindings: b }, 'body');
        problems.push(...errs);
        break;
      }
      case 'base64':
        if (!res.body.equals(Buffer.from(exp.body as string, 'base64')))
          problems.push(`body: expected base64 ${exp.body}, got ${res.body.toString('base64')}`);
        break;
      case 'json':
        if (actualJson !== undefined)
          problems.push(...compareJson(exp.body, actualJson, { bindings: b, relaxMessage: c.name in RELAXED_MESSAGES }, 'body'));
        break;
    }
    expect(problems, where).toEqual([]);
  }
}

describe('MLflow golden exchanges replayed against the stand-in', () => {
  let server: StandinServer | undefined;
  afterEach(async () => {
    await server?.close();
    server = undefined;
  });

  it('has every recorded case to replay', () => {
    expect(cases.length).toBeGreaterThanOrEqual(56);
  });

  for (const c of cases) {
    const gap = knownGap(c.name);
    if (gap) {
      it.skip(`${c.name} — KNOWN GAP: ${gap}`, () => {});
      continue;
    }
    it(c.name, async () => {
      server = await startStandin({
        workspaces: c.server === 'workspaces',
        basicAuth: c.server === 'basic-auth' ? { adminPassword: ADMIN_PASSWORD } : undefined,
        version: RECORDED_VERSION,
      });
      await replay(c, server);
    });
  }
});
