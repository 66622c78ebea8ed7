/**
 * Route table in the style of Flask/werkzeug rules: `<name>` matches one path segment,
 * `<path:name>` the rest of the path. A path that matches a rule with another method gives 405
 * with an Allow header (plus HEAD for GET rules and OPTIONS, sorted).
 */
import type { Ctx } from './context.js';
import type { Reply } from './http.js';

export type Handler = (ctx: Ctx) => Promise<Reply> | Reply;

interface Entry {
  rule: string;
  re?: RegExp;
  keys: string[];
  methods: Map<string, { name: string; handler: Handler }>;
}

export type Match =
  | { kind: 'ok'; name: string; rule: string; handler: Handler; params: Record<string, string> }
  | { kind: 'method'; allow: string }
  | { kind: 'none' };

export const API = ['/api/2.0/mlflow', '/ajax-api/2.0/mlflow'];
export const API3 = ['/api/3.0/mlflow', '/ajax-api/3.0/mlflow'];
export const ARTIFACTS_API = ['/api/2.0/mlflow-artifacts', '/ajax-api/2.0/mlflow-artifacts'];

export class Router {
  private exact = new Map<string, Entry>();
  private patterns: Entry[] = [];

  /** Register `rel` under each prefix (name is the stats/permission key, e.g. "runs/get"). */
  add(prefixes: string[], rel: string, methods: string[], name: string, handler: Handler): void {
    for (const prefix of prefixes) this.addRule(prefix + rel, methods, name, handler);
  }

  addRule(rule: string, methods: string[], name: string, handler: Handler): void {
    const dynamic = rule.includes('<');
    let e = dynamic ? this.patterns.find((p) => p.rule === rule) : this.exact.get(rule);
    if (!e) {
      const keys: string[] = [];
      let re: RegExp | undefined;
      if (dynamic) {
        const src = rule
          .split(/(<[^>]+>)/)
          .map((part) => {
            const m = /^<(?:(path):)?([a-z_]+)>$/.exec(part);
            if (!m) return part.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
            keys.push(m[2]!);
            return m[1] === 'path' ? '(.+)' : '([^/]+)';
          })
          .join('');
        re = new RegExp(`^${src}$`, 's');
      }
      e = { rule, re, keys, methods: new Map() };
      if (dynamic) this.patterns.push(e);
      else this.exact.set(rule, e);
    }
    for (const m of methods) e.methods.set(m, { name, handler });
  }

  match(path: string, method: string): Match {
    const found: Array<{ e: Entry; params: Record<string, string> }> = [];
    const ex = this.exact.get(path);
    if (ex) found.push({ e: ex, params: {} });
    for (const e of this.patterns) {
      const m = e.re!.exec(path);
      if (!m) continue;
      const params: Record<string, string> = {};
      e.keys.forEach((k, i) => (params[k] = m[i + 1]!));
      found.push({ e, params });
    }
    if (found.length === 0) return { kind: 'none' };
    const want = method === 'HEAD' ? 'GET' : method;
    for (const f of found) {
      const h = f.e.methods.get(want);
      if (h) return { kind: 'ok', name: h.name, rule: f.e.rule, handler: h.handler, params: f.params };
    }
    const allow = new Set<string>(['OPTIONS']);
    for (const f of found)
      for (const m of f.e.methods.keys()) {
        allow.add(m);
        if (m === 'GET') allow.add('HEAD');
      }
    return { kind: 'method', allow: [...allow].sort().join(', ') };
  }
}
