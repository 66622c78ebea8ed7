/** Per-request context handed to handlers, and the server-wide state they share. */
import type { DatasetRace } from './dataset-race.js';
import type { IncomingMessage } from 'node:http';
import type { ProxyStore } from './proxy-store.js';
import type { S3Artifacts } from './s3-artifacts.js';
import type { Auth, User } from './auth.js';
import { invalidParam } from './errors.js';
import { readBody } from './http.js';
import { parseBody } from './json.js';
import { DEFAULT_WORKSPACE, type Store } from './store.js';
import { Fields, type Query } from './validation.js';

export interface ServerState {
  store: Store;
  auth?: Auth;
  /** The artifact proxy's destination (a local folder, or S3 on the s3-proxied server). */
  artifacts: ProxyStore;
  version: string;
  /** Mode `datasetRaceMs` (dataset-race.ts): the dataset insert race of a real SQL-backed server. */
  datasetRace?: DatasetRace;
  /** Set on the s3-direct / s3-proxied servers (s3-artifacts.ts). */
  s3?: S3Artifacts;
}

export function parseQuery(qs: string): Query {
  const q: Query = new Map();
  if (!qs) return q;
  for (const part of qs.split('&')) {
    if (!part) continue;
    const eq = part.indexOf('=');
    const k = decodeForm(eq < 0 ? part : part.slice(0, eq));
    const v = eq < 0 ? '' : decodeForm(part.slice(eq + 1));
    const list = q.get(k);
    if (list) list.push(v);
    else q.set(k, [v]);
  }
  return q;
}

function decodeForm(s: string): string {
  return safeDecode(s.replace(/\+/g, ' '));
}

/** Percent-decoding like werkzeug (bad escapes stay as they are). */
export function safeDecode(s: string): string {
  if (!s.includes('%')) return s;
  try {
    return decodeURIComponent(s);
  } catch {
    return s.replace(/%([0-9a-fA-F]{2})/g, (m, h: string) => {
      const c = parseInt(h, 16);
      return c < 0x80 ? String.fromCharCode(c) : m;
    });
  }
}

export class Ctx {
  ws = DEFAULT_WORKSPACE;
  user: User | undefined;
  params: Record<string, string> = {};
  private jsonBody: Promise<unknown> | undefined;

  constructor(
    readonly state: ServerState,
    readonly req: IncomingMessage,
    readonly method: string,
    /** decoded request path without the static prefix */
    readonly path: string,
    readonly query: Query,
  ) {}

  header(name: string): string | undefined {
    const v = this.req.headers[name.toLowerCase()];
    return Array.isArray(v) ? v[0] : v;
  }

  /** The JSON body parsed like Flask's get_json(silent=True): malformed -> {}. Cached. */
  rawJson(): Promise<unknown> {
    if (!this.jsonBody)
      this.jsonBody = readBody(this.req).then((b) => {
        if (b.length === 0) return {};
        const v = parseBody(b.toString('utf8'));
        return v && typeof v === 'object' && !Array.isArray(v) ? v : {};
      });
    return this.jsonBody;
  }

  /** Request message fields: query string for GET/DELETE, JSON body (Content-Type checked on POST) otherwise. */
  async fields(): Promise<Fields> {
    if (this.method === 'GET' || this.method === 'HEAD' || this.method === 'DELETE') {
      if (this.method === 'DELETE' && this.query.size === 0) return Fields.body(await this.rawJson());
      return Fields.query(this.query);
    }
    if (this.method === 'POST') {
      const ct = this.header('content-type');
      if (ct === undefined) throw invalidParam('Bad Request. Content-Type header is missing.');
      if (ct.split(';')[0]!.trim() !== 'application/json')
        throw invalidParam("Bad Request. Content-Type must be one of ['application/json'].");
    }
    return Fields.body(await this.rawJson());
  }
}
