/**
 * Run the stand-in as its own process (benchmarks):
 *   node --import tsx test/support/mlflow-standin/cli.ts --port 0 [--workspaces] [--auth-password X]
 *        [--static-prefix /mlflow] [--artifacts-root DIR] [--fault-rate R --fault-seed N] [--server-version V]
 *        [--s3-direct-bucket NAME]   (s3-direct mode; endpoint and keys from MLFLOW_S3_ENDPOINT_URL, AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY)
 *        [--s3-proxied-bucket NAME]  (s3-proxied mode: the artifact proxy stores into s3://NAME/proxied; same variables)
 * Prints one JSON line {"url": ..., "port": ...} on stdout once listening; stops on SIGINT/SIGTERM;
 * on SIGUSR2 prints {"stats": {requests, faults, byRoute}} as one more line.
 */
import { startStandin, type StandinOptions } from './index.js';

function parseArgs(argv: string[]): StandinOptions {
  const o: StandinOptions = {};
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    const val = () => {
      const v = argv[++i];
      if (v === undefined) throw new Error(`missing value for ${a}`);
      return v;
    };
    switch (a) {
      case '--port':
        o.port = Number(val());
        break;
      case '--workspaces':
        o.workspaces = true;
        break;
      case '--auth-password':
        o.basicAuth = { adminPassword: val() };
        break;
      case '--static-prefix':
        o.staticPrefix = val();
        break;
      case '--artifacts-root':
        o.artifactsRoot = val();
        break;
      case '--fault-rate':
        o.faults = { ...o.faults, rate: Number(val()) };
        break;
      case '--server-version':
        o.version = val();
        break;
      case '--fault-seed':
        o.faults = { rate: 0, ...o.faults, seed: Number(val()) };
        break;
      case '--s3-direct-bucket':
      case '--s3-proxied-bucket': {
        const { MLFLOW_S3_ENDPOINT_URL: endpoint, AWS_ACCESS_KEY_ID: accessKeyId, AWS_SECRET_ACCESS_KEY: secretAccessKey } = process.env;
        if (!endpoint || !accessKeyId || !secretAccessKey) throw new Error(`${a} needs MLFLOW_S3_ENDPOINT_URL, AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY`);
        o.s3 = { mode: a === '--s3-direct-bucket' ? 'direct' : 'proxied', bucket: val(), endpoint, accessKeyId, secretAccessKey };
        break;
      }
      default:
        throw new Error(`unknown argument ${a}`);
    }
  }
  return o;
}

const server = await startStandin(parseArgs(process.argv.slice(2)));
process.stdout.write(JSON.stringify({ url: server.url, port: server.port }) + '\n');
const stop = () => void server.close().then(() => process.exit(0));
process.on('SIGINT', stop);
process.on('SIGTERM', stop);
// Benchmarks count requests per route: SIGUSR2 prints {"stats": {...}} as one line.
process.on('SIGUSR2', () => process.stdout.write(JSON.stringify({ stats: server.stats() }) + '\n'));
