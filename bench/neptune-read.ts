/**
 * Reader throughput vs DuckDB, measured in one run on the same files.
 *
 *   npx tsx bench/neptune-read.ts [--rows 10000000] [--keys 10] [--part-rows 2000000] [--dir <tmp>]
 *
 * 1. DuckDB writes a neptune-exporter archive: one run, `--rows` float_series rows spread over
 *    `--keys` metrics interleaved row by row (the worst case for per-key reads), parts of
 *    `--part-rows` rows, plus a few atoms; Snappy, the exact 14-column schema.
 * 2. A child process (so its peak RSS is its own) opens the archive through the backend contract
 *    and streams every metric point of every key (metricKeys + metricHistory), summing values.
 * 3. DuckDB scans the same files: SELECT count(*), sum(float_value) WHERE attribute_type = ...
 *
 * Prints rows/s for both, the ratio (target >= 0.5), and the reader's peak RSS (target < 300 MB).
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { DuckDBInstance } from '@duckdb/node-api';
import { openNeptuneArchive } from '../src/backends/neptune-export/index.js';
import { sanitizePathPart } from '../src/backends/neptune-export/sanitise.js';

const PROJECT = { workspace: 'bench', project: 'metrics' };
const RUN_ID = 'BENCH-1';

function arg(name: string, fallback: string): string {
  const index = process.argv.indexOf(`--${name}`);
  return index >= 0 && process.argv[index + 1] !== undefined ? process.argv[index + 1]! : fallback;
}

async function generate(dataPath: string, rows: number, keys: number, partRows: number): Promise<void> {
  const dir = join(dataPath, sanitizePathPart(`${PROJECT.workspace}/${PROJECT.project}`));
  mkdirSync(dir, { recursive: true });
  const db = await DuckDBInstance.create(':memory:');
  const connection = await db.connect();
  await connection.run('SELECT setseed(0.42)');
  const prefix = sanitizePathPart(RUN_ID);
  const nulls = `NULL::BIGINT AS int_value`;
  const tail = `NULL::VARCHAR AS string_value, NULL::BOOLEAN AS bool_value, NULL::TIMESTAMPTZ AS datetime_value,
    NULL::VARCHAR[] AS string_set_value, NULL::STRUCT(path VARCHAR) AS file_value,
    NULL::STRUCT(type VARCHAR, edges DOUBLE[], "values" DOUBLE[]) AS histogram_value`;
  for (let part = 0, start = 0; start < rows; part++, start += partRows) {
    const end = Math.min(rows, start + partRows);
    const atoms =
      part === 0
        ? `SELECT 'bench/metrics' AS project_id, '${RUN_ID}' AS run_id, 'sys/id' AS attribute_path, 'string' AS attribute_type,
             NULL::DECIMAL(18,6) AS step, NULL::TIMESTAMPTZ AS "timestamp", ${nulls}, NULL::DOUBLE AS float_value,
             '${RUN_ID}' AS string_value, NULL::BOOLEAN AS bool_value, NULL::TIMESTAMPTZ AS datetime_value,
             NULL::VARCHAR[] AS string_set_value, NULL::STRUCT(path VARCHAR) AS file_value,
             NULL::STRUCT(type VARCHAR, edges DOUBLE[], "values" DOUBLE[]) AS histogram_value
           UNION ALL `
        : '';
    const series = `SELECT 'bench/metrics' AS project_id, '${RUN_ID}' AS run_id, 'metrics/m' || (i % ${keys}) AS attribute_path,
        'float_series' AS attribute_type, (i // ${keys})::DECIMAL(18,6) AS step,
        make_timestamptz(1700000000000000 + i * 1000) AS "timestamp", ${nulls}, random() AS float_value, ${tail}
      FROM range(${start}, ${end}) t(i)`;
    const file = join(dir, `${prefix}_part_${part}.parquet`);
    await connection.run(`COPY (${atoms}${series}) TO '${file}' (FORMAT parquet, COMPRESSION snappy)`);
  }
  connection.closeSync();
}

/** In the child: stream every point through the backend contract. */
async function readAll(dataPath: string): Promise<void> {
  const started = performance.now();
  const cpuStart = process.cpuUsage();
  const store = openNeptuneArchive({ dataPath });
  const source = await store.openSource(PROJECT);
  let points = 0;
  let sum = 0;
  for await (const info of source.listRuns({ includeDeleted: true })) {
    const run = await source.openRun(info);
    for (const key of await run.metricKeys()) {
      for await (const batch of run.metricHistory(key)) {
        points += batch.length;
        for (const point of batch) sum += point.value;
      }
    }
  }
  await store.close();
  const ms = performance.now() - started;
  const cpu = process.cpuUsage(cpuStart);
  const cpuMs = (cpu.user + cpu.system) / 1000;
  const maxRssMb = process.resourceUsage().maxRSS / 1024;
  process.stdout.write(JSON.stringify({ points, sum, ms, cpuMs, maxRssMb }) + '\n');
}

async function duckdbScan(dataPath: string, threads?: number): Promise<{ points: number; sum: number; ms: number; threads: string }> {
  const db = await DuckDBInstance.create(':memory:', threads ? { threads: String(threads) } : undefined);
  const connection = await db.connect();
  const setting = (await connection.runAndReadAll(`SELECT current_setting('threads')`)).getRows()[0]![0];
  const glob = join(dataPath, '*', '*_part_*.parquet');
  const started = performance.now();
  const result = await connection.runAndReadAll(
    `SELECT count(*), sum(float_value) FROM read_parquet('${glob}') WHERE attribute_type = 'float_series'`,
  );
  const ms = performance.now() - started;
  const [count, sum] = result.getRows()[0]!;
  connection.closeSync();
  return { points: Number(count), sum: Number(sum), ms, threads: String(setting) };
}

async function main(): Promise<void> {
  if (process.argv.includes('--child')) {
    await readAll(arg('child', ''));
    return;
  }
  const rows = Number(arg('rows', '10000000'));
  const keys = Number(arg('keys', '10'));
  const partRows = Number(arg('part-rows', '2000000'));
  const root = arg('dir', '') || mkdtempSync(join(tmpdir(), 'neptune-bench-'));
  const dataPath = join(root, 'data');
  try {
    let started = performance.now();
    await generate(dataPath, rows, keys, partRows);
    console.log(`generated ${rows.toLocaleString()} float_series rows (${keys} keys, parts of ${partRows.toLocaleString()} rows) with DuckDB in ${((performance.now() - started) / 1000).toFixed(1)} s`);

    const self = fileURLToPath(import.meta.url);
    started = performance.now();
    const output = execFileSync(process.execPath, ['--import', 'tsx', self, '--child', dataPath], { encoding: 'utf8', maxBuffer: 1 << 20 });
    const reader = JSON.parse(output.trim().split('\n').at(-1)!) as { points: number; sum: number; ms: number; cpuMs: number; maxRssMb: number };
    const duck = await duckdbScan(dataPath);
    const duckOne = await duckdbScan(dataPath, 1);

    const readerRate = reader.points / (reader.ms / 1000);
    const duckRate = duck.points / (duck.ms / 1000);
    const sameSum = Math.abs(reader.sum - duck.sum) <= 1e-6 * Math.max(1, Math.abs(duck.sum));
    console.log(`reader : ${reader.points.toLocaleString()} points in ${(reader.ms / 1000).toFixed(2)} s (CPU ${(reader.cpuMs / 1000).toFixed(2)} s) = ${Math.round(readerRate).toLocaleString()} rows/s, peak RSS ${reader.maxRssMb.toFixed(0)} MB (target < 300 MB)`);
    console.log(`duckdb : ${duck.points.toLocaleString()} rows in ${(duck.ms / 1000).toFixed(3)} s = ${Math.round(duckRate).toLocaleString()} rows/s (${duck.threads} threads)`);
    console.log(`duckdb : ${Math.round(duckOne.points / (duckOne.ms / 1000)).toLocaleString()} rows/s with 1 thread (context; the reader is single-threaded)`);
    console.log(`ratio  : ${(readerRate / duckRate).toFixed(4)} (reader / duckdb; target >= 0.5)`);
    console.log(`check  : counts ${reader.points === duck.points ? 'equal' : 'DIFFER'}, sums ${sameSum ? 'equal' : 'DIFFER'}`);
    if (reader.points !== duck.points || !sameSum) process.exitCode = 1;
  } finally {
    if (!arg('dir', '')) rmSync(root, { recursive: true, force: true });
  }
}

await main();
