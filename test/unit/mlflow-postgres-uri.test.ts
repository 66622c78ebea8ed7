import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { parsePostgresUri } from '../../src/backends/mlflow-sqlite/postgres-uri.js';
import { numberedPlaceholders } from '../../src/backends/mlflow-sqlite/postgres-driver.js';
import { pgpassPassword } from '../../src/backends/mlflow-sqlite/pgpass.js';
import { UsageError } from '../../src/util/errors.js';

describe('postgresql:// store URIs', () => {
  it('reads MLflow users\' spellings, keeps the password out of the display form', () => {
    const location = parsePostgresUri('postgresql+psycopg2://mlflow:s%40cret@db.example:6543/tracking?artifacts=/srv/art', '/w');
    expect(location).toMatchObject({ host: 'db.example', port: 6543, database: 'tracking', user: 'mlflow', password: 's@cret', artifactsRoot: '/srv/art', artifactsRootGiven: true });
    expect(location.displayUri).toBe('postgresql+psycopg2://mlflow@db.example:6543/tracking?artifacts=/srv/art');
    const plain = parsePostgresUri('postgresql://mlflow@localhost/mlflow', '/w');
    expect(plain).toMatchObject({ port: 5432, artifactsRoot: '/w/mlartifacts', artifactsRootGiven: false });
    expect(plain.password).toBeUndefined();
    expect(parsePostgresUri('postgresql://u@x/db?host=/var/run/postgresql').host).toBe('/var/run/postgresql');
  });

  it.each([
    ['postgresql://u:pw@host', /names no database/],
    ['postgresql://u:pw@host/db?search_path=x', /unknown option "search_path"/],
    ['postgresql://u:pw@host/db?sslmode=sometimes', /sslmode "sometimes"/],
  ])('refuses %s without showing the password', (uri, message) => {
    expect(() => parsePostgresUri(uri)).toThrow(UsageError);
    expect(() => parsePostgresUri(uri)).toThrow(message);
    try {
      parsePostgresUri(uri);
    } catch (error) {
      expect(String(error)).not.toContain(':pw@');
    }
  });

  it('numbers placeholders outside quoted text', () => {
    expect(numberedPlaceholders("SELECT a FROM t WHERE b = ? AND c = '?' AND \"d?\" = ? LIMIT ?")).toBe("SELECT a FROM t WHERE b = $1 AND c = '?' AND \"d?\" = $2 LIMIT $3");
  });
});

describe('~/.pgpass', () => {
  const saved = process.env.PGPASSFILE;
  let dir: string | undefined;
  afterEach(() => {
    if (saved === undefined) delete process.env.PGPASSFILE;
    else process.env.PGPASSFILE = saved;
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
  });

  function pgpass(text: string, mode = 0o600): void {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'pgpass-'));
    const file = path.join(dir, 'pgpass');
    fs.writeFileSync(file, text, { mode });
    fs.chmodSync(file, mode);
    process.env.PGPASSFILE = file;
  }

  it('takes the first matching line, with wildcards and escapes, and treats a socket as localhost', () => {
    pgpass('# comment\nother:5432:*:*:nope\nlocalhost:5432:mlflow:alice:pa\\:ss\n*:*:*:alice:fallback\n');
    expect(pgpassPassword({ host: '/var/run/postgresql', port: 5432, database: 'mlflow', user: 'alice' })).toBe('pa:ss');
    expect(pgpassPassword({ host: 'db', port: 6000, database: 'x', user: 'alice' })).toBe('fallback');
    expect(pgpassPassword({ host: 'db', port: 6000, database: 'x', user: 'bob' })).toBeUndefined();
  });

  it('ignores a file others can read, as libpq does, and says why', () => {
    pgpass('*:*:*:*:secret\n', 0o644);
    const reasons: string[] = [];
    expect(pgpassPassword({ host: 'db', port: 5432, database: 'x', user: 'u' }, (reason) => reasons.push(reason))).toBeUndefined();
    expect(reasons[0]).toMatch(/readable by others/);
  });
});
