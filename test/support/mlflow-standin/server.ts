/**
 * Request pipeline, in the real server's order: static prefix -> fault injection -> security
 * middleware (Host / Origin) -> X-MLFLOW-WORKSPACE -> basic auth -> routing (404/405 pages) ->
 * handler. MlflowErrors become JSON error replies; anything unexpected a 500 HTML page.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { forbidden, unauthenticated } from './auth.js';
import { Ctx, parseQuery, safeDecode, type ServerState } from './context.js';
import { MlflowError } from './errors.js';
import { Faults, resetConnection, type FaultKind } from './faults.js';
import { errorReply, internalErrorPage, methodNotAllowedPage, notFoundPage, sendReply, text, HTML, type Reply } from './http.js';
import { isAllowed } from './policy.js';
import type { Router } from './router.js';
import { resolveWorkspace, WORKSPACE_HEADER } from './workspaces.js';
import { asFastApiReply } from './handlers/otlp.js';

export interface Stats {
  requests: number;
  faults: Record<string, number>;
  byRoute: Record<string, number>;
}

const LOCAL_HOSTS = ['localhost', '127.0.0.1', '[::1]', '0.0.0.0'];
const PRIVATE_HOST = /^(192\.168\.|10\.|172\.(1[6-9]|2\d|3[01])\.|fc00:|fd00:)/;

function hostAllowed(host: string | undefined): boolean {
  if (!host) return false;
  const name = host.startsWith('[') ? host.slice(0, host.indexOf(']') + 1) : host.split(':')[0]!;
  const rest = host.slice(name.length);
  if (LOCAL_HOSTS.includes(name) && (rest === '' || /^:\d*$/.test(rest))) return true;
  return PRIVATE_HOST.test(host);
}

function originAllowed(origin: string): boolean {
  try {
    const h = new URL(origin).hostname;
    return ['localhost', '127.0.0.1', '[::1]', '::1'].includes(h);
  } catch {
    return false;
  }
}

const STATE_CHANGING = new Set(['POST', 'PUT', 'DELETE', 'PATCH']);
const HEALTH = new Set(['/health', '/version']);
const UNPROTECTED = (p: string) => p === '/health' || p === '/favicon.ico' || p.startsWith('/static');
/** Routes that ignore / do not need a resolvable workspace. */
const NO_WORKSPACE_ROUTES = new Set(['health', 'version', 'server-info', 'workspaces/list', 'workspaces/create', 'workspaces/get', 'workspaces/update', 'workspaces/delete']);

export class Pipeline {
  readonly faults = new Faults();
  readonly stats: Stats = { requests: 0, faults: {}, byRoute: {} };

  constructor(
    private readonly state: ServerState,
    private readonly router: Router,
    private readonly staticPrefix: string,
  ) {}

  handle(req: IncomingMessage, res: ServerResponse): void {
    this.stats.requests++;
    this.run(req, res).catch((e) => {
      console.error('[mlflow-standin] unexpected error', e);
      if (!res.headersSent) sendReply(res, internalErrorPage(), { head: false, truncate: false });
      else res.destroy();
    });
  }

  private async run(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const method = (req.method ?? 'GET').toUpperCase();
    const url = req.url ?? '/';
    const q = url.indexOf('?');
    let rawPath = q < 0 ? url : url.slice(0, q);
    const qs = q < 0 ? '' : url.slice(q + 1);
    const head = method === 'HEAD';
    const send = (reply: Reply, fault?: FaultKind) => {
      const go = () => sendReply(res, reply, { head, truncate: fault === 'truncate' });
      if (fault === 'slow') setTimeout(go, this.faults.slowMs);
      else go();
    };
    if (this.staticPrefix) {
      if (rawPath !== this.staticPrefix && !rawPath.startsWith(this.staticPrefix + '/')) return send(notFoundPage());
      rawPath = rawPath.slice(this.staticPrefix.length) || '/';
    }
    const path = safeDecode(rawPath);
    const match = this.router.match(path, method); // OPTIONS never matches a handler: answered with Allow
    const routeName = match.kind === 'ok' ? match.name : 'unmatched';
    this.stats.byRoute[routeName] = (this.stats.byRoute[routeName] ?? 0) + 1;

    // fault injection (never /health)
    let fault: FaultKind | undefined;
    if (path !== '/health') {
      fault = this.faults.draw();
      if (fault) {
        this.stats.faults[fault] = (this.stats.faults[fault] ?? 0) + 1;
        if (fault === 'reset') return resetConnection(res);
        const refusal = this.faults.refusal(fault);
        if (refusal) return send(refusal);
      }
    }

    // security middleware
    if (!HEALTH.has(path) && !hostAllowed(req.headers.host))
      return send(text(403, 'Invalid Host header - possible DNS rebinding attack detected', 'text/plain'), fault);
    const origin = req.headers.origin;
    if (origin && STATE_CHANGING.has(method) && !originAllowed(origin))
      return send(text(403, 'Cross-origin request blocked', 'text/plain'), fault);

    const ctx = new Ctx(this.state, req, method, path, parseQuery(qs));
    try {
      // workspace header
      const wsHeader = req.headers[WORKSPACE_HEADER];
      const wsValue = Array.isArray(wsHeader) ? wsHeader[0] : wsHeader;
      if (routeName !== 'server-info')
        ctx.ws = resolveWorkspace(this.state.store, wsValue, !NO_WORKSPACE_ROUTES.has(routeName));

      // basic auth
      const { auth } = this.state;
      if (auth && !UNPROTECTED(path)) {
        ctx.user = auth.authenticate(req.headers.authorization);
        if (!ctx.user) return send(asFastApiReply(path, unauthenticated()), fault);
      }

      if (match.kind === 'method' && method === 'OPTIONS') return send(text(200, '', HTML, { Allow: match.allow }), fault);
      if (match.kind === 'none') return send(notFoundPage(), fault);
      if (match.kind === 'method') return send(methodNotAllowedPage(match.allow), fault);
      ctx.params = match.params;
      if (auth && ctx.user && !(await isAllowed(ctx, match.name))) return send(asFastApiReply(path, forbidden()), fault);
      const reply = await match.handler(ctx);
      return send(reply, fault);
    } catch (e) {
      if (e instanceof MlflowError) return send(errorReply(e), fault);
      console.error('[mlflow-standin] handler error', e);
      return send(internalErrorPage(), fault);
    }
  }
}
