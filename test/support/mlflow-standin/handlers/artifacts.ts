/**
 * Artifacts: tracking listing (artifacts/list), the artifact proxy (mlflow-artifacts/artifacts:
 * download, upload, list, delete), /get-artifact, multipart (501 on a local destination) and
 * presigned upload (400 for proxied runs).
 */
import { basename } from 'node:path';
import type { Ctx } from '../context.js';
import { invalidParam, MlflowError } from '../errors.js';
import { HTML, internalErrorPage, json, text, type Reply } from '../http.js';
import { S3Artifacts } from '../s3-artifacts.js';
import { type Router, API, ARTIFACTS_API } from '../router.js';
import { getRun } from '../runstore.js';
import { guessMimeType, validatePathIsSafe } from '../artifacts.js';
import { proxiedPathOfUri, scopeArtifactPath } from '../workspaces.js';
import { runIdOf } from './runs.js';

/** NAME_MAX of ext4, XFS, APFS... where the real server's --artifacts-destination lives. */
const MAX_NAME_BYTES = 255;

const join = (a: string, b: string) => (a && b ? `${a}/${b}` : a || b);

/** Streams one stored artifact file (404 when missing, the 500 page for a directory). */
export async function download(ctx: Ctx, rel: string, shown: string): Promise<Reply> {
  const { artifacts } = ctx.state;
  const k = await artifacts.kind(rel);
  if (!k) throw artifacts.missing(rel, shown);
  if (k.isDir) return internalErrorPage();
  return {
    status: 200,
    headers: {
      'Content-Type': guessMimeType(basename(rel)),
      'Content-Disposition': `attachment; filename=${basename(rel)}`,
      'X-Content-Type-Options': 'nosniff',
    },
    file: artifacts.file(rel, k.size),
  };
}

/** A file of a listing: proto3 JSON leaves file_size out for a 0-byte file (artifacts-list-empty-files). */
function fileInfo(path: string, size: number | undefined): Record<string, unknown> {
  return size ? { path, is_dir: false, file_size: size } : { path, is_dir: false };
}

async function listTracking(ctx: Ctx) {
  const f = await ctx.fields();
  const runId = runIdOf(f);
  const path = f.str('path') ?? '';
  if (path) validatePathIsSafe(path);
  const run = getRun(ctx.state.store, ctx.ws, runId);
  const out: Record<string, unknown> = { root_uri: run.artifactUri };
  const base = proxiedPathOfUri(run.artifactUri);
  if (ctx.state.s3 && S3Artifacts.parse(run.artifactUri)) {
    const entries = await ctx.state.s3.list(run.artifactUri, path);
    if (entries.length) out.files = entries.map((e) => (e.isDir ? { path: e.path, is_dir: true } : fileInfo(e.path, e.size)));
  } else if (ctx.state.s3?.backing.mode === 'direct' && base !== undefined) {
    // --no-serve-artifacts: the server has no artifact repository for mlflow-artifacts: URIs
    // (recorded: artifacts-s3-direct-locations answers the 500 page).
    return internalErrorPage();
  } else if (base !== undefined) {
    const entries = await ctx.state.artifacts.list(join(base, path));
    if (entries?.length)
      out.files = entries.map((e) =>
        e.isDir ? { path: join(path, e.name), is_dir: true } : fileInfo(join(path, e.name), e.size),
      );
  }
  return json(out);
}

function proxyPath(ctx: Ctx, path: string): string {
  validatePathIsSafe(path);
  return scopeArtifactPath(ctx.state.store, ctx.ws, path);
}

async function listProxy(ctx: Ctx) {
  const path = ctx.query.get('path')?.[0] ?? '';
  const rel = proxyPath(ctx, path);
  const entries = await ctx.state.artifacts.list(rel);
  const out: Record<string, unknown> = {};
  if (entries?.length)
    out.files = entries.map((e) => (e.isDir ? { path: e.name, is_dir: true } : fileInfo(e.name, e.size)));
  return json(out);
}

async function proxyGet(ctx: Ctx) {
  const path = ctx.params.artifact_path!;
  const rel = proxyPath(ctx, path);
  return download(ctx, rel, rel);
}

async function proxyPut(ctx: Ctx) {
  const rel = proxyPath(ctx, ctx.params.artifact_path!);
  // The real handler writes to a local file system: a name over its 255-byte limit raises
  // OSError (ENAMETOOLONG), which is no MLflow error, so Flask answers its HTML 500 page -
  // whatever file system the stand-in itself runs on.
  if (rel.split('/').some((name) => Buffer.byteLength(name, 'utf8') > MAX_NAME_BYTES)) return internalErrorPage();
  const k = await ctx.state.artifacts.kind(rel);
  if (k?.isDir) return internalErrorPage();
  try {
    await ctx.state.artifacts.upload(rel, ctx.req);
  } catch {
    return internalErrorPage();
  }
  return json({});
}

async function proxyDelete(ctx: Ctx) {
  const rel = proxyPath(ctx, ctx.params.artifact_path!);
  await ctx.state.artifacts.remove(rel);
  return json({});
}

async function getArtifact(ctx: Ctx) {
  const path = ctx.query.get('path')?.[0] ?? '';
  const runId = ctx.query.get('run_uuid')?.[0] ?? ctx.query.get('run_id')?.[0] ?? '';
  validatePathIsSafe(path);
  const run = getRun(ctx.state.store, ctx.ws, runId);
  if (ctx.state.s3 && S3Artifacts.parse(run.artifactUri)) return ctx.state.s3.download(run.artifactUri, path);
  const base = proxiedPathOfUri(run.artifactUri);
  if (base === undefined) throw invalidParam(`Unsupported artifact URI: ${run.artifactUri}`);
  return download(ctx, join(base, path), path);
}

async function multipart(ctx: Ctx): Promise<Reply> {
  proxyPath(ctx, ctx.params.artifact_path!);
  throw new MlflowError('NOT_IMPLEMENTED', 'Multipart upload is not supported for the current artifact repository', true);
}

async function presignedUpload(ctx: Ctx): Promise<Reply> {
  const f = await ctx.fields();
  const run = getRun(ctx.state.store, ctx.ws, runIdOf(f));
  if (ctx.state.s3 && S3Artifacts.parse(run.artifactUri)) {
    const path = f.str('path', true)!;
    validatePathIsSafe(path);
    const expiration = f.int('expiration') ?? 900;
    const signed = ctx.state.s3.presignPut(run.artifactUri, path, Number(expiration));
    return json({ presigned_url: signed.url, headers: { 'Content-Type': signed.contentType } });
  }
  const scheme = run.artifactUri.split(':')[0];
  throw invalidParam(
    `Presigned upload is not supported for runs with proxied artifact storage (artifact URI scheme: ${scheme}). This endpoint requires a run with a direct cloud storage artifact URI.`,
  );
}

/** --no-serve-artifacts: every artifact-proxy route answers 503 naming itself (artifacts-s3-direct-proxy-disabled). */
function proxyDisabled(rule: string, handler: (ctx: Ctx) => Promise<Reply>): (ctx: Ctx) => Promise<Reply> {
  return async (ctx) => {
    if (ctx.state.s3?.backing.mode !== 'direct') return handler(ctx);
    return text(
      503,
      `Endpoint: /api/2.0/mlflow-artifacts${rule} disabled due to the mlflow server running with \`--no-serve-artifacts\`. To enable artifacts server functionality, run \`mlflow server\` with \`--serve-artifacts\``,
      HTML,
    );
  };
}

export function registerArtifacts(r: Router): void {
  r.add(API, '/artifacts/list', ['GET'], 'artifacts/list', listTracking);
  r.add(API, '/artifacts/presigned-upload-url', ['POST'], 'artifacts/presigned-upload-url', presignedUpload);
  r.add(ARTIFACTS_API, '/artifacts', ['GET'], 'mlflow-artifacts/list', proxyDisabled('/artifacts', listProxy));
  const file = '/artifacts/<path:artifact_path>';
  r.add(ARTIFACTS_API, file, ['GET'], 'mlflow-artifacts/download', proxyDisabled(file, proxyGet));
  r.add(ARTIFACTS_API, file, ['PUT'], 'mlflow-artifacts/upload', proxyDisabled(file, proxyPut));
  r.add(ARTIFACTS_API, file, ['DELETE'], 'mlflow-artifacts/delete', proxyDisabled(file, proxyDelete));
  for (const op of ['create', 'complete', 'abort'])
    r.add(ARTIFACTS_API, `/mpu/${op}/<path:artifact_path>`, ['POST'], `mlflow-artifacts/mpu-${op}`, proxyDisabled(`/mpu/${op}/<path:artifact_path>`, multipart));
  r.addRule('/get-artifact', ['GET'], 'get-artifact', getArtifact);
}
