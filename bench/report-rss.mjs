// Loaded with --import into a benchmarked child: prints its own peak RSS and CPU time when it exits.
process.on('exit', () => {
  const usage = process.resourceUsage();
  process.stderr.write(`\nRUNS_MIGRATOR_MAX_RSS_KB=${usage.maxRSS}\nRUNS_MIGRATOR_CPU_MS=${Math.round((usage.userCPUTime + usage.systemCPUTime) / 1000)}\nRUNS_MIGRATOR_USER_CPU_MS=${Math.round(usage.userCPUTime / 1000)}\n`);
});
