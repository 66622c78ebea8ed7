// Loaded with --import into a benchmarked child: prints its own peak RSS and CPU time when it exits,
// and (Linux) the CPU time of its main thread alone, apart from worker threads and GC helpers.
import { readFileSync } from 'node:fs';

function mainThreadCpuMs() {
  try {
    const fields = readFileSync(`/proc/self/task/${process.pid}/stat`, 'utf8').split(') ')[1].split(' ');
    return Math.round(((Number(fields[11]) + Number(fields[12])) * 1000) / 100);
  } catch {
    return undefined;
  }
}

process.on('exit', () => {
  const usage = process.resourceUsage();
  const main = mainThreadCpuMs();
  process.stderr.write(`\nRUNS_MIGRATOR_MAX_RSS_KB=${usage.maxRSS}\nRUNS_MIGRATOR_CPU_MS=${Math.round((usage.userCPUTime + usage.systemCPUTime) / 1000)}\nRUNS_MIGRATOR_USER_CPU_MS=${Math.round(usage.userCPUTime / 1000)}\n${main !== undefined ? `RUNS_MIGRATOR_MAIN_THREAD_CPU_MS=${main}\n` : ''}`);
});
