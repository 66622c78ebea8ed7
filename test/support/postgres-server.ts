/**
 * A real PostgreSQL server for the tests, from Debian's `postgresql` package: a throw-away
 * cluster (initdb) in a temp folder, listening on a free loopback port and on a private socket
 * folder, stopped and removed by `stop()`.
 *
 * PostgreSQL refuses to run as root, so as root (CI, this machine) the cluster belongs to the
 * `postgres` OS user the package creates and its programs run through `runuser -u postgres`.
 * Local socket connections are trusted (the test's own setup); TCP connections need the password
 * (scram-sha-256), so the tests exercise the credential paths a user has.
 */
import { execFileSync } from 'node:child_process';
import { chownSync, existsSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';

export const POSTGRES_USER = 'postgres';
export const POSTGRES_PASSWORD = 'test-secret-Pw9';

export interface PostgresServer {
  host: string;
  port: number;
  /** Folder of the unix socket. */
  socketDir: string;
  /** A fresh empty database; answers its name. */
  createDatabase(name: string): Promise<string>;
  /** `postgresql://postgres:<password>@127.0.0.1:<port>/<db>` */
  uri(database: string, options?: { password?: boolean }): string;
  /** A client on the socket (trusted), for the tests' own setup and checks. */
  client(database: string): Promise<pg.Client>;
  stop(): Promise<void>;
}

/** The newest PostgreSQL binaries the package installed, or undefined when there are none. */
export function postgresBinDir(): string | undefined {
  const root = '/usr/lib/postgresql';
  if (!existsSync(root)) return undefined;
  const versions = readdirSync(root).filter((name) => /^\d+$/.test(name)).sort((a, b) => Number(b) - Number(a));
  for (const version of versions) {
    const dir = join(root, version, 'bin');
    if (existsSync(join(dir, 'initdb'))) return dir;
  }
  return undefined;
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => (typeof address === 'object' && address ? resolve(address.port) : reject(new Error('no port'))));
    });
  });
}

export async function startPostgres(): Promise<PostgresServer> {
  const bin = postgresBinDir();
  if (!bin) throw new Error('PostgreSQL is not installed (apt-get install postgresql): /usr/lib/postgresql/<version>/bin/initdb not found');
  const asRoot = process.getuid?.() === 0;
  const run = (program: string, args: string[]) => {
    const command = join(bin, program);
    if (asRoot) execFileSync('runuser', ['-u', POSTGRES_USER, '--', command, ...args], { stdio: 'pipe' });
    else execFileSync(command, args, { stdio: 'pipe' });
  };

  const dir = mkdtempSync(join(tmpdir(), 'runs-migrator-pg-'));
  const data = join(dir, 'data');
  const socketDir = join(dir, 'socket');
  const pwfile = join(dir, 'pwfile');
  writeFileSync(pwfile, `${POSTGRES_PASSWORD}\n`, { mode: 0o600 });
  execFileSync('mkdir', ['-p', socketDir]);
  if (asRoot) {
    const ids = execFileSync('id', ['-u', POSTGRES_USER]).toString().trim();
    const gid = execFileSync('id', ['-g', POSTGRES_USER]).toString().trim();
    for (const path of [dir, socketDir, pwfile]) chownSync(path, Number(ids), Number(gid));
  }
  run('initdb', ['-D', data, '-U', POSTGRES_USER, '--auth-local=trust', '--auth-host=scram-sha-256', `--pwfile=${pwfile}`, '--locale=C', '-E', 'UTF8']);
  const port = await freePort();
  // fsync off: a test cluster is thrown away; every other setting is the package's default.
  const options = `-p ${port} -k ${socketDir} -c listen_addresses=127.0.0.1 -c fsync=off`;
  run('pg_ctl', ['-D', data, '-o', options, '-l', join(dir, 'server.log'), '-w', 'start']);

  const client = async (database: string) => {
    const c = new pg.Client({ host: socketDir, port, user: POSTGRES_USER, database });
    await c.connect();
    return c;
  };
  return {
    host: '127.0.0.1',
    port,
    socketDir,
    async createDatabase(name: string) {
      const admin = await client('postgres');
      try {
        await admin.query(`CREATE DATABASE "${name}"`);
      } finally {
        await admin.end();
      }
      return name;
    },
    uri(database: string, opts: { password?: boolean } = {}) {
      const auth = opts.password === false ? POSTGRES_USER : `${POSTGRES_USER}:${POSTGRES_PASSWORD}`;
      return `postgresql://${auth}@127.0.0.1:${port}/${database}`;
    },
    client,
    async stop() {
      try {
        run('pg_ctl', ['-D', data, '-m', 'immediate', '-w', 'stop']);
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    },
  };
}
