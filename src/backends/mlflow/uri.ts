/**
 * MLflow server store URIs: `http(s)://[user:pass@]host[:port][/prefix]`.
 * Credentials in the userinfo are taken out; the display form and the identity never hold them.
 */
import type { Credentials } from '../contract.js';
import { UsageError } from '../../util/errors.js';

export interface ServerUri {
  /** `http://host:port` as undici wants it. */
  origin: string;
  /** '' or `/prefix` without a trailing slash, percent-encoded as given. */
  prefix: string;
  /** `scheme://host[:port][/prefix]`, without credentials. */
  displayUri: string;
  /** Normalised location for source == target checks. */
  identity: string;
  /** Credentials found in the userinfo, if any. */
  userinfo?: Credentials;
}

export function isServerUri(uri: string): boolean {
  return /^https?:\/\//i.test(uri.trim());
}

/** The URI with any userinfo removed, for messages about a URI we could not parse. */
export function stripUserinfo(uri: string): string {
  return uri.replace(/^([a-z][a-z0-9+.-]*:\/\/)[^/?#]*@/i, '$1');
}

export function parseServerUri(raw: string): ServerUri {
  const text = raw.trim();
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw new UsageError(`malformed MLflow server URI "${stripUserinfo(text)}": use http(s)://host[:port][/prefix]`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new UsageError(`unsupported scheme in "${stripUserinfo(text)}": an MLflow server URI is http(s)://host[:port][/prefix]`);
  }
  if (url.hostname === '') {
    throw new UsageError(`MLflow server URI "${stripUserinfo(text)}" has no host`);
  }
  if (url.search !== '' || url.hash !== '') {
    throw new UsageError(
      `MLflow server URI "${stripUserinfo(text).replace(/[?#].*$/, '')}" must not carry a query or fragment`,
    );
  }

  let userinfo: Credentials | undefined;
  if (url.username !== '' || url.password !== '') {
    const user = safeDecode(url.username);
    const pass = safeDecode(url.password);
    // user:pass -> HTTP Basic; a lone user part is taken as a bearer token (`https://TOKEN@host`).
    userinfo = pass !== '' ? { username: user, password: pass } : { token: user };
    url.username = '';
    url.password = '';
  }

  const prefix = url.pathname.replace(/\/+$/, '');
  const origin = `${url.protocol}//${url.host}`;
  const displayUri = `${origin}${prefix}`;
  return {
    origin,
    prefix,
    displayUri,
    identity: `mlflow:${displayUri}`,
    ...(userinfo ? { userinfo } : {}),
  };
}

function safeDecode(text: string): string {
  try {
    return decodeURIComponent(text);
  } catch {
    return text;
  }
}
