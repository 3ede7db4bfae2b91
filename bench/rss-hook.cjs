// Preloaded (node -r) into a measured process: on exit, write "peakRssKB cpuMs" (all threads) to $BENCH_RSS_FILE.
const { isMainThread } = require('node:worker_threads');
const fs = require('node:fs');
if (isMainThread && process.env.BENCH_RSS_FILE) {
  process.on('exit', () => {
    const usage = process.resourceUsage();
    fs.writeFileSync(process.env.BENCH_RSS_FILE, `${usage.maxRSS} ${(usage.userCPUTime + usage.systemCPUTime) / 1000}\n`);
  });
}
