/**
 * `npm run fuzz`: the long fuzz run (issue 7 §1). Runs ≥ 10^5 cases over analyze() — a mix of arbitrary bytes,
 * patch-shaped noise and mutated fixtures — reports cases/s, and writes every failing input to test/fuzz-failures/.
 * Options: --cases N (default 100000), --seed S (default: the time), --mix bytes,shaped,mutated,hostile (default all;
 *          hostile = the issue 15 shapes of test/fuzz/hostile.ts at fuzz scale; full sizes: out/test/fuzz/hostile-run.js),
 *          --jobs N (worker threads, each with its own seed and share of the cases; default min(2, CPUs)).
 * Exit status: 0 no failure, 1 at least one failure.
 */
import { createHash } from 'node:crypto';
import * as os from 'node:os';
import { Worker, isMainThread, parentPort, workerData } from 'node:worker_threads';
import fc from 'fast-check';
import { createAnalyzer } from '../../src/review/analyze';
import { loadWasmForNode } from '../../src/core/c/node-wasm';
import {
  arbitraryBytesCaseArbitrary, loadSeeds, mutatedCaseArbitrary, patchShapedCaseArbitrary, runCase, saveFailure, type FuzzCase,
} from './arbitraries';
import { hostileCaseArbitrary } from './hostile';

function option(name: string, fallback: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 && i + 1 < process.argv.length ? process.argv[i + 1] : fallback;
}

interface Progress {
  done: number;
  failures: number;
  slowest: { ms: number; label: string };
  final: boolean;
}

/** Runs `total` cases from `seed`; calls `report` every few seconds and at the end. */
async function fuzz(total: number, seed: number, mix: string[], report: (p: Progress) => void): Promise<void> {
  const analyzer = await createAnalyzer(loadWasmForNode());
  const seeds = loadSeeds();
  const kinds: { name: string; arbitrary: fc.Arbitrary<FuzzCase>; weight: number }[] = [
    { name: 'bytes', arbitrary: arbitraryBytesCaseArbitrary(), weight: 3 },
    { name: 'shaped', arbitrary: patchShapedCaseArbitrary(), weight: 2 },
    { name: 'mutated', arbitrary: mutatedCaseArbitrary(seeds), weight: 5 },
    { name: 'hostile', arbitrary: hostileCaseArbitrary(), weight: 1 },
  ].filter((k) => mix.includes(k.name));
  const arbitrary = fc.oneof(...kinds.map((k) => ({ arbitrary: k.arbitrary, weight: k.weight })));
  const hash = (bytes: Uint8Array): string => createHash('sha256').update(bytes).digest('hex');
  const saved = new Set<string>();
  const progress: Progress = { done: 0, failures: 0, slowest: { ms: 0, label: '' }, final: false };
  let lastReport = Date.now();
  // fc.sample streams cases from one seeded generator; each is run and checked here so a failure never stops the run.
  let rng = seed;
  while (progress.done < total) {
    for (const c of fc.sample(arbitrary, { seed: rng, numRuns: Math.min(1000, total - progress.done) })) {
      const t = Date.now();
      const error = runCase(analyzer, c);
      const ms = Date.now() - t;
      if (ms > progress.slowest.ms) progress.slowest = { ms, label: `${c.label} (${c.bytes.length} bytes)` };
      if (error) {
        progress.failures++;
        const key = error.message.replace(/\d+/g, 'N').slice(0, 120);
        const file = saveFailure(c, error, hash);
        if (!saved.has(key)) console.log(`FAIL ${file}: ${c.label}: ${error.message}`);
        saved.add(key);
      }
      progress.done++;
    }
    rng = (rng * 1103515245 + 12345) % 2 ** 31;
    if (Date.now() - lastReport > 5_000) {
      lastReport = Date.now();
      report({ ...progress });
    }
  }
  report({ ...progress, final: true });
}

async function main(): Promise<void> {
  const total = Number(option('cases', '100000'));
  const seed = Number(option('seed', String(Date.now() % 2 ** 31)));
  const mix = option('mix', 'bytes,shaped,mutated,hostile').split(',');
  const jobs = Math.max(1, Math.min(Number(option('jobs', String(Math.min(2, os.cpus().length)))), total));
  console.log(`fuzz: ${total} cases, seed ${seed}, kinds ${mix.join('+')}, ${loadSeeds().length} seed files, ${jobs} thread${jobs > 1 ? 's' : ''}`);
  const started = Date.now();
  const states: Progress[] = [];
  let lastPrint = started;
  const print = (force: boolean): void => {
    const done = states.reduce((n, p) => n + p.done, 0);
    const failures = states.reduce((n, p) => n + p.failures, 0);
    if (!force && Date.now() - lastPrint < 10_000) return;
    lastPrint = Date.now();
    console.log(`  ${done} cases, ${failures} failures, ${((done * 1000) / Math.max(1, Date.now() - started)).toFixed(0)} cases/s`);
  };
  // Each thread gets its own seed and share; together they run exactly `total` cases.
  await Promise.all(
    Array.from({ length: jobs }, (_, k) => {
      const share = Math.floor(total / jobs) + (k < total % jobs ? 1 : 0);
      states[k] = { done: 0, failures: 0, slowest: { ms: 0, label: '' }, final: false };
      const onProgress = (p: Progress): void => {
        states[k] = p;
        print(false);
      };
      if (jobs === 1) return fuzz(share, seed, mix, onProgress);
      return new Promise<void>((resolve, reject) => {
        const worker = new Worker(__filename, { workerData: { cases: share, seed: (seed + k * 7919) % 2 ** 31, mix } });
        worker.on('message', onProgress);
        worker.on('error', reject);
        worker.on('exit', (code) => (code === 0 && states[k].final ? resolve() : reject(new Error(`fuzz thread ${k} stopped (exit ${code})`))));
      });
    }),
  );
  print(true);
  const done = states.reduce((n, p) => n + p.done, 0);
  const failures = states.reduce((n, p) => n + p.failures, 0);
  const slowest = states.map((p) => p.slowest).sort((a, b) => b.ms - a.ms)[0];
  const seconds = (Date.now() - started) / 1000;
  console.log(`fuzz: ${done} cases in ${seconds.toFixed(1)} s (${(done / seconds).toFixed(0)} cases/s), ${failures} failures` +
    `, slowest case ${slowest.ms} ms: ${slowest.label}`);
  process.exitCode = failures > 0 ? 1 : 0;
}

if (isMainThread) {
  main().catch((e: unknown) => {
    console.error(e);
    process.exitCode = 2;
  });
} else {
  const data = workerData as { cases: number; seed: number; mix: string[] };
  void fuzz(data.cases, data.seed, data.mix, (p) => parentPort?.postMessage(p));
}
