/**
 * The ownership rules that are queries of the replay (issue 11 items 2, 5b): on their fixtures (and the corpus),
 * every report names a message of the rule and, for a semantic rule, carries the scenario whose violation of the
 * rule's kind backs it, with the trace ending at that violation's step. With the replay answering nothing, the
 * semantic rules report nothing; a syntactic rule reports the same and never attaches a simulated trace.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { FIXTURES, getAnalyzer, readTarget } from '../helpers';
import { analyzeInputs } from '../../src/review/analyze';
import { RULES } from '../../src/rules';
import type { Report, Rule, SimQueries } from '../../src/rules/types';
import type { ViolationKind } from '../../src/core/types';

/** Rule name → the violation kinds that back its findings ([] for a syntactic rule). */
const QUERIES: Record<string, readonly ViolationKind[]> = {
  'null-dma-owner-cookie': ['null-owner'],
  'unchecked-ownership-return': ['unchecked-failure'],
  'driver-managed-dma-with-dma-api': ['dma-api-off-default-domain'],
  'driver-managed-dma-on-mmio-driver': ['device-access-while-user-owned'],
  'group-claim-outside-vfio': [],
  'bus-without-ownership-hooks': [],
};

const NO_REPLAY: SimQueries = { driverScenarios: () => [], functionScenarios: () => [], lifecycle: () => [] };

function spied(rule: Rule, into: Report[], sim?: SimQueries): Rule {
  return {
    meta: rule.meta,
    check(ctx) {
      rule.check(Object.assign(Object.create(ctx), { sim: sim ?? ctx.sim, report: (r: Report) => { into.push(r); ctx.report(r); } }));
    },
  };
}

function inputsOf(dir: string): { file: string; text: string }[] {
  return fs.readdirSync(dir).filter((f) => !f.startsWith('.')).sort().map((f) => ({ file: path.join(dir, f), text: fs.readFileSync(path.join(dir, f), 'utf8') }));
}

function run(rule: Rule, file: string, text: string, sim?: SimQueries): Report[] {
  const reports: Report[] = [];
  analyzeInputs([{ path: path.relative(path.join(FIXTURES, '..', '..'), file), content: text }], { target: readTarget(text) }, [spied(rule, reports, sim)]);
  return reports;
}

for (const [name, kinds] of Object.entries(QUERIES)) {
  const rule = RULES.find((r) => r.meta.name === name);
  const files = [...inputsOf(path.join(FIXTURES, 'rules', name)), ...inputsOf(path.join(FIXTURES, 'corpus'))];

  test(`${name}: every finding names a message of the rule and is backed by a replay violation`, async () => {
    await getAnalyzer();
    assert.ok(rule, name);
    assert.equal(rule.meta.kind === 'syntactic', kinds.length === 0, `${name}: kind in its metadata`);
    let seen = 0;
    for (const { file, text } of files) {
      for (const r of run(rule, file, text)) {
        seen++;
        assert.ok(r.messageId in rule.meta.messages, `${file}: unknown message id ${r.messageId}`);
        if (kinds.length === 0) {
          assert.equal(r.scenario, undefined, `${file}: a syntactic finding shows no simulated scenario`);
          assert.ok(!r.trace || r.trace.length === 0, `${file}: a syntactic finding shows no simulated trace`);
          continue;
        }
        const v = r.scenario?.violations.find((x) => kinds.includes(x.kind) && r.trace?.length === x.stepIndex + 1);
        assert.ok(v, `${file}:${r.span.line}: ${r.messageId} is not backed by a ${kinds.join('/')} violation ending its trace`);
        assert.ok(v.at && Math.abs(v.at.line - r.span.line) <= 1, `${file}:${r.span.line}: the violation is at line ${v.at?.line}`);
      }
    }
    assert.ok(seen > 0, `${name}: no finding on its fixtures`);
  });

  test(`${name}: with the replay answering nothing, ${kinds.length ? 'nothing is reported' : 'the same is reported'}`, async () => {
    await getAnalyzer();
    assert.ok(rule);
    for (const { file, text } of files) {
      const off: string[] = run(rule, file, text, NO_REPLAY).map((r) => `${r.messageId}@${r.span.line}`);
      if (kinds.length) assert.deepEqual(off, [], `${file}: reported without the replay`);
      else assert.deepEqual(off, run(rule, file, text).map((r) => `${r.messageId}@${r.span.line}`), `${file}: a syntactic rule does not depend on the replay`);
    }
  });
}
