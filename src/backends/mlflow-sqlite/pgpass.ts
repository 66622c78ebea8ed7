/**
 * The password libpq would use from ~/.pgpass (or PGPASSFILE): lines of
 * `hostname:port:database:username:password`, `*` matching anything, `\:` and `\\` escaped, `#`
 * comments; the first matching line wins. Like libpq, a file readable by group or others is
 * ignored (with the reason given), since it could have leaked.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

export interface PgpassQuery {
  host: string;
  port: number;
  database: string;
  user: string;
}

export function pgpassPassword(query: PgpassQuery, onIgnored?: (reason: string) => void): string | undefined {
  const file = process.env.PGPASSFILE || path.join(os.homedir(), '.pgpass');
  let text: string;
  try {
    const stat = fs.statSync(file);
    if (!stat.isFile()) return undefined;
    if ((stat.mode & 0o077) !== 0) {
      onIgnored?.(`${file} is readable by others (permissions should be u=rw (0600) or less); not used`);
      return undefined;
    }
    text = fs.readFileSync(file, 'utf8');
  } catch {
    return undefined;
  }
  // A unix socket host matches the entry "localhost", as in libpq.
  const host = query.host.startsWith('/') ? 'localhost' : query.host;
  const wanted = [host, String(query.port), query.database, query.user];
  for (const line of text.split(/\r?\n/)) {
    if (line.trim() === '' || line.startsWith('#')) continue;
    const fields = splitFields(line);
    if (fields.length < 5) continue;
    if (wanted.every((value, index) => fields[index] === '*' || fields[index] === value)) return fields.slice(4).join(':');
  }
  return undefined;
}

function splitFields(line: string): string[] {
  const fields: string[] = [];
  let current = '';
  for (let i = 0; i < line.length; i++) {
    const char = line[i]!;
    if (char === '\\' && i + 1 < line.length) current += line[++i];
    else if (char === ':' && fields.length < 4) {
      fields.push(current);
      current = '';
    } else current += char;
  }
  fields.push(current);
  return fields;
}
