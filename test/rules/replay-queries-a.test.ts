/**
 * The rules of issue 11 item 1–2 (queries-a) are queries of the replay: every finding is backed by a replay
 * violation of the rule's kinds at the finding's place, carries one of the rule's message ids and the scenario's
 * trace (no hand-built steps); with the replay answering nothing they report nothing (item 5b, per rule).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { FIXTURES, getAnalyzer, readTarget } from '../helpers';
import { runRules } from '../../src/rules/engine';
import { isCoreOrBusCode } from '../../src/core/sim/file-role';
import type { Rule, SimQueries } from '../../src/rules/types';
import type { ViolationKind } from '../../src/core/types';
import { detachWrongDomain } from '../../src/rules/detach-wrong-domain';
import { privateDomainWithDmaApi } from '../../src/rules/private-domain-with-dma-api';
import { attachGroupWithoutOwnership } from '../../src/rules/attach-group-without-ownership';
import { pasidDetachMismatch } from '../../src/rules/pasid-detach-mismatch';
import { pasidOwnershipOrder } from '../../src/rules/pasid-ownership-order';
import { invalidPasid } from '../../src/rules/invalid-pasid';
import { defaultDomainProbeDefer } from '../../src/rules/default-domain-probe-defer';

const RULES: { rule: Rule; kinds: ViolationKind[] }[] = [
  { rule: detachWrongDomain, kinds: ['detach-wrong-domain', 'detach-not-attached', 'attach-while-attached'] },
  { rule: privateDomainWithDmaApi, kinds: ['dma-api-on-private-domain'] },
  { rule: attachGroupWithoutOwnership, kinds: ['attach-group-unowned'] },
  { rule: pasidDetachMismatch, kinds: ['pasid-detach-mismatch', 'pasid-detach-not-attached'] },
  { rule: pasidOwnershipOrder, kinds: ['claim-with-pasid-attached', 'release-with-pasid-attached'] },
  { rule: invalidPasid, kinds: ['invalid-pasid'] },
  { rule: defaultDomainProbeDefer, kinds: ['probe-defer-lost'] },
];

/** A replay that answers nothing. */
const REPLAY_OFF: SimQueries = { driverScenarios: () => [], functionScenarios: () => [], lifecycle: () => [] };

/** Each analysed image of every fixture of a rule: its facts and target. */
async function images(ruleName: string) {
  const analyzer = await getAnalyzer();
  const dir = path.join(FIXTURES, 'rules', ruleName);
  const out = [];
  for (const f of fs.readdirSync(dir).sort()) {
    const text = fs.readFileSync(path.join(dir, f), 'utf8');
    const target = readTarget(text) ?? 'latest';
    const dumped = analyzer.dumpFacts({ path: `test/fixtures/rules/${ruleName}/${f}`, content: text }, { target });
    for (const p of dumped.patches) for (const file of p.files) if (file.post) out.push({ file: f, facts: file.post, target });
  }
  return out;
}

for (const { rule, kinds } of RULES) {
  test(`${rule.meta.name}: every finding is a replay violation (${kinds.join(', ')}) with a message id and the scenario's trace`, async () => {
    let findings = 0;
    for (const img of await images(rule.meta.name)) {
      const { reports, errors } = runRules([rule], { target: img.target, facts: img.facts, isCoreOrBusCode: isCoreOrBusCode(img.facts) });
      assert.deepEqual(errors, [], img.file);
      for (const { report } of reports) {
        findings++;
        const where = `${img.file}:${report.span.line}`;
        assert.ok(report.messageId in rule.meta.messages, `${where}: message id ${report.messageId}`);
        assert.equal(report.trace, undefined, `${where}: no hand-built trace`);
        const s = report.scenario;
        assert.ok(s, `${where}: backed by a scenario`);
        const v = s.violations.find((x) => kinds.includes(x.kind) && x.at?.line === report.span.line);
        assert.ok(v, `${where}: a ${kinds.join('/')} violation at the finding's line in ${s.name}: ${s.violations.map((x) => `${x.kind}@${x.at?.line}`).join(', ')}`);
        assert.ok(s.trace[v.stepIndex], `${where}: the violation's step is in the trace`);
      }
    }
    assert.ok(findings > 0, `${rule.meta.name}: its invalid fixtures give findings`);
  });

  test(`${rule.meta.name}: with the replay off it reports nothing on its fixtures`, async () => {
    for (const img of await images(rule.meta.name)) {
      const { reports } = runRules([rule], { target: img.target, facts: img.facts, isCoreOrBusCode: isCoreOrBusCode(img.facts), sim: REPLAY_OFF });
      assert.deepEqual(reports.map((r) => `${r.report.messageId}@${r.report.span.line}`), [], img.file);
    }
  });
}
