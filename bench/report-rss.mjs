// Loaded with --import into a benchmarked child: prints its own peak RSS when it exits.
process.on('exit', () => {
  process.stderr.write(`\nRUNS_MIGRATOR_MAX_RSS_KB=${process.resourceUsage().maxRSS}\n`);
});
