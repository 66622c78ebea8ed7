/** Runs `copy` or `verify` between two locations through the CLI and returns its JSON report. */
import { runCli, type CliResult } from './cli-process.js';

export interface Locations {
  source: string;
  sourceProject: string;
  target: string;
  targetProject: string;
}

export async function cliReport(cwd: string, verb: 'copy' | 'verify', where: Locations, extra: string[] = []): Promise<{ result: CliResult; report: any }> {
  const args = [verb, '--source-uri', where.source, '--source-project', where.sourceProject, '--target-uri', where.target, '--target-project', where.targetProject, '--json'];
  const result = await runCli([...args, ...(verb === 'copy' ? ['--no-progress'] : []), ...extra], { cwd });
  let report: any;
  try {
    report = JSON.parse(result.stdout);
  } catch {
    throw new Error(`${verb} printed no report (exit ${result.code}): ${result.stderr}`);
  }
  return { result, report };
}
