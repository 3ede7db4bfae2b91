// Preloaded (node -r) into a measured process: on exit, write "peakRssKB cpuMs" (all threads of the process, not its
// child processes) to $BENCH_RSS_FILE. The variable is taken out of the environment at once, so worker threads (and
// children) started later do not write too; node:worker_threads is not loaded for that, the CLI must pay for it alone.
const fs = require('node:fs');
const file = process.env.BENCH_RSS_FILE;
if (file) {
  delete process.env.BENCH_RSS_FILE;
  process.on('exit', () => {
    const usage = process.resourceUsage();
    fs.writeFileSync(file, `${usage.maxRSS} ${(usage.userCPUTime + usage.systemCPUTime) / 1000}\n`);
  });
}
