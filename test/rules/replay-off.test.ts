/**
 * Issue 11 §5a: every semantic finding is a query of the replay. With the simulation answering nothing (no scenario,
 * no lifecycle, no hook replay), every rule whose meta is not `kind: 'syntactic'` must report nothing on every rule
 * fixture, the corpus, the examples and the other analysable fixtures. A semantic rule that still fires decides from
 * something other than the replay.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { analyzeInputs } from '../../src/review/analyze';
import { RULES } from '../../src/rules';
import type { Rule } from '../../src/rules/types';
import { FIXTURES, getAnalyzer, readTarget, REPO_ROOT } from '../helpers';

/**
 * The simulation switched off at its entry points (the replay of a driver, of a function, of a file's lifecycle):
 * every caller (the rules' ctx.sim, the hunk-only evidence in src/core/patch-evidence.ts) gets no scenario. The
 * compiled modules export them as plain properties read at each call, so replacing them reaches every caller.
 */
const replay = require('../../src/core/sim/replay') as Record<string, unknown>;
const lifecycle = require('../../src/core/sim/lifecycle') as Record<string, unknown>;
const sim = require('../../src/core/sim') as { simulateDriver: () => unknown[]; simulateFunction: () => unknown[]; simulateLifecycle: () => unknown[] };

function withReplayOff<T>(run: () => T): T {
  const saved = { d: replay.simulateDriver, f: replay.simulateFunction, l: lifecycle.simulateLifecycle };
  replay.simulateDriver = () => [];
  replay.simulateFunction = () => [];
  lifecycle.simulateLifecycle = () => [];
  try {
    return run();
  } finally {
    replay.simulateDriver = saved.d;
    replay.simulateFunction = saved.f;
    lifecycle.simulateLifecycle = saved.l;
  }
}

test('the switch reaches the simulation entry points every caller imports', () => {
  withReplayOff(() => {
    assert.deepEqual(sim.simulateDriver(), []);
    assert.deepEqual(sim.simulateFunction(), []);
    assert.deepEqual(sim.simulateLifecycle(), []);
  });
  assert.equal(sim.simulateDriver, replay.simulateDriver, 'restored after the switch');
});

const INPUT = /\.(c|patch|diff|eml|mbox)$/;

function filesUnder(dir: string): string[] {
  if (!fs.existsSync(dir)) return [];
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const full = path.join(dir, e.name);
    if (e.isDirectory()) return filesUnder(full);
    return INPUT.test(e.name) ? [full] : [];
  }).sort();
}

const INPUTS = [
  ...filesUnder(path.join(FIXTURES, 'rules')),
  ...filesUnder(path.join(FIXTURES, 'corpus')),
  ...filesUnder(path.join(REPO_ROOT, 'examples')),
  ...['patch', 'c', 'analyze', 'e2e'].flatMap((d) => filesUnder(path.join(FIXTURES, d))),
];

const semantic = (r: Rule): boolean => r.meta.kind !== 'syntactic';

test('replay off: semantic rules report nothing on every fixture and the corpus', async () => {
  await getAnalyzer(); // initialises the C parser
  assert.ok(INPUTS.length > 200, `only ${INPUTS.length} inputs`);
  const firing = new Map<string, string[]>(); // code → where
  let on = 0;
  let unchanged = 0;
  for (const file of INPUTS) {
    const text = fs.readFileSync(file, 'utf8');
    const input = [{ path: path.relative(REPO_ROOT, file), content: text }];
    const options = { target: readTarget(text) };
    const off = withReplayOff(() => analyzeInputs(input, options, RULES).findings);
    const full = analyzeInputs(input, options, RULES).findings;
    on += full.length;
    const offKeys = off.map((f) => `${f.code}@${f.location.line}:${f.message}`);
    for (const f of full) {
      const i = offKeys.indexOf(`${f.code}@${f.location.line}:${f.message}`);
      if (i >= 0) { unchanged++; offKeys.splice(i, 1); }
    }
    for (const f of off) {
      const rule = RULES.find((r) => r.meta.code === f.code);
      if (!rule || !semantic(rule)) continue;
      firing.set(f.code, [...(firing.get(f.code) ?? []), `${path.relative(REPO_ROOT, file)}:${f.location.line}`]);
    }
  }
  // The figure the issue measured (137 of 171 unchanged on main); printed so a run shows where it stands.
  console.log(`replay off: ${unchanged} of ${on} findings unchanged; semantic rules still firing: ${[...firing.keys()].sort().join(' ') || 'none'}`);
  const offenders = [...firing.keys()].sort();
  assert.deepEqual(offenders, [], offenders.map((c) => `${c} fires without the replay: ${firing.get(c)!.slice(0, 5).join(', ')}`).join('\n'));
});

test('replay off: syntactic rules still report (the switch does not silence everything)', async () => {
  await getAnalyzer();
  const syntactic = RULES.filter((r) => !semantic(r)).map((r) => r.meta.code);
  assert.ok(syntactic.length > 0, 'no rule says kind: syntactic');
  const seen = new Set<string>();
  for (const file of INPUTS) {
    const text = fs.readFileSync(file, 'utf8');
    const off = withReplayOff(() => analyzeInputs([{ path: path.relative(REPO_ROOT, file), content: text }], { target: readTarget(text) }, RULES).findings);
    for (const f of off) seen.add(f.code);
  }
  for (const code of syntactic) assert.ok(seen.has(code), `${code} (syntactic) never fires with the replay off`);
});
