/**
 * Quick fixed-seed fuzz run of the whole pipeline (issue 7 §1): analyze() must never throw and its result must keep its
 * invariants on arbitrary bytes, patch-shaped noise, mutations of the project's fixtures, and saved regression inputs.
 * The long run is `npm run fuzz` (test/fuzz/long.ts).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import fc from 'fast-check';
import { getAnalyzer } from '../helpers';
import {
  arbitraryBytesCaseArbitrary, FAILURES_DIR, loadFailures, loadSeeds, mutatedCaseArbitrary, patchShapedCaseArbitrary, runCase, type FuzzCase,
} from '../fuzz/arbitraries';
import { hostileCaseArbitrary } from '../fuzz/hostile';

const SEED = 20261122;

/** Asserts the invariants over `numRuns` cases; returns how many cases had findings (the fuzz reached the rules). */
async function holds(arbitrary: fc.Arbitrary<FuzzCase>, numRuns: number): Promise<number> {
  const analyzer = await getAnalyzer();
  let withFindings = 0;
  fc.assert(
    fc.property(arbitrary, (c) => {
      const error = runCase(analyzer, c, (r) => {
        if (r.findings.length > 0) withFindings++;
      });
      if (error) throw new Error(`${c.label} (${c.path}, ${c.bytes.length} bytes): ${error.message}`);
    }),
    { seed: SEED, numRuns, endOnFailure: true },
  );
  return withFindings;
}

test('fuzz: the fixtures exist to be mutated', () => {
  const seeds = loadSeeds();
  assert.ok(seeds.length >= 20, `only ${seeds.length} seed files`);
  assert.ok(seeds.some((s) => s.name.endsWith('.mbox')) && seeds.some((s) => s.name.endsWith('.c')) && seeds.some((s) => s.name.endsWith('.eml')));
});

test('fuzz: arbitrary bytes', async () => {
  await holds(arbitraryBytesCaseArbitrary(), 1500);
});

test('fuzz: patch-shaped noise', async () => {
  await holds(patchShapedCaseArbitrary(), 600);
});

test('fuzz: mutated fixtures (flips, truncation, lines, CRLF, headers, braces, nesting, gigantic lines)', async () => {
  const withFindings = await holds(mutatedCaseArbitrary(loadSeeds()), 500);
  // Mutations that only ever produced unreadable input would test nothing past the input layer.
  assert.ok(withFindings >= 50, `only ${withFindings} of 500 mutated inputs reached a finding`);
});

test('fuzz: the issue 15 hostile shapes at fuzz scale, mutated', async () => {
  await holds(hostileCaseArbitrary(), 60);
});

test('fuzz: saved regression inputs still pass', async () => {
  const analyzer = await getAnalyzer();
  for (const failure of loadFailures()) {
    const sidecar = path.join(FAILURES_DIR, `${path.basename(failure.name)}.json`);
    const meta = fs.existsSync(sidecar) ? (JSON.parse(fs.readFileSync(sidecar, 'utf8')) as { path?: string; asString?: boolean }) : {};
    const c: FuzzCase = { label: failure.name, bytes: failure.bytes, path: meta.path ?? path.basename(failure.name), asString: meta.asString ?? false };
    const error = runCase(analyzer, c);
    assert.equal(error, undefined, `${failure.name}: ${error?.message}`);
  }
});

test('fuzz: the invariant check rejects a broken result (the harness can fail)', async () => {
  const analyzer = await getAnalyzer();
  const broken: typeof analyzer = {
    ...analyzer,
    analyze: (inputs, options) => {
      const r = analyzer.analyze(inputs, options);
      return { ...r, stats: { ...r.stats, reviewed: r.stats.reviewed + 1 } };
    },
  };
  const error = runCase(broken, { label: 'x', bytes: new TextEncoder().encode('int x;\n'), path: 'x.c', asString: false });
  assert.match(error?.message ?? '', /invariant broken: reviewed/);
  const throwing: typeof analyzer = { ...analyzer, analyze: () => { throw new RangeError('boom'); } };
  assert.match(runCase(throwing, { label: 'y', bytes: new Uint8Array(), path: 'y.c', asString: false })?.message ?? '', /boom/);
});
