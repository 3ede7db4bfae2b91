/**
 * Issue 11 §5b for queries-c's rules (and OWN006): every finding of these rules on their fixtures carries the message id the
 * fixture names inline (`expect: OWN005 msg: leakOnError`; one `msg:` per finding on the line), and each finding of a semantic rule is backed by a
 * replay violation: its report names a scenario, and its trace is that scenario's trace cut at one of its violations.
 * A syntactic rule shows no simulated trace.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { analyzeInputs } from '../../src/review/analyze';
import { RULES } from '../../src/rules';
import type { Report, Rule } from '../../src/rules/types';
import { FIXTURES, getAnalyzer, readTarget } from '../helpers';

const MINE = ['OWN001', 'OWN005', 'OWN006', 'OWN009', 'OWN010', 'OWN012', 'OWN013', 'OWN017', 'OWN018', 'OWN019', 'OWN022', 'OWN027'];

/** `expect: OWN005 msg: leakOnError` → line → the message ids expected there (for `code`). */
function expectedIds(text: string, code: string): Map<number, string[]> {
  const out = new Map<number, string[]>();
  text.split(/\r?\n/).forEach((line, i) => {
    if (!new RegExp(`expect:.*\\b${code}\\b`).test(line)) return;
    const ids = [...line.matchAll(/\bmsg:\s*(\w+)/g)].map((m) => m[1]);
    if (ids.length) out.set(i + 1, ids);
  });
  return out;
}

for (const rule of RULES.filter((r) => MINE.includes(r.meta.code))) {
  test(`${rule.meta.code} ${rule.meta.name}: message ids as the fixtures say, each semantic finding backed by a violation`, async () => {
    await getAnalyzer();
    const dir = path.join(FIXTURES, 'rules', rule.meta.name);
    let named = 0;
    for (const f of fs.readdirSync(dir).filter((x) => !x.startsWith('.')).sort()) {
      const text = fs.readFileSync(path.join(dir, f), 'utf8');
      const reports: Report[] = [];
      const spy: Rule = { meta: rule.meta, check: (ctx) => rule.check({ ...ctx, report: (r) => { reports.push(r); ctx.report(r); } }) };
      const result = analyzeInputs([{ path: `test/fixtures/rules/${rule.meta.name}/${f}`, content: text }], { target: readTarget(text) },
        RULES.map((r) => (r === rule ? spy : r)));
      for (const r of reports) {
        assert.ok(r.messageId in rule.meta.messages, `${f}: unknown message id ${r.messageId}`);
        if (rule.meta.kind === 'syntactic') {
          assert.equal(r.scenario, undefined, `${f}: a syntactic rule names no scenario`);
          assert.ok(!r.trace?.length, `${f}: a syntactic rule shows no trace`);
          continue;
        }
        if (r.messageId === 'replayBudget') continue; // says the replay stopped: no violation to show
        const s = r.scenario;
        assert.ok(s, `${f}: ${r.messageId} names no scenario`);
        const v = s.violations.find((x) => r.trace?.length === x.stepIndex + 1 && r.trace[x.stepIndex] === s.trace[x.stepIndex]);
        assert.ok(v, `${f}: ${r.messageId}: the trace does not end at a violation of its scenario`);
      }
      // The ids the fixture names inline, on the lines the findings land on.
      const want = expectedIds(text, rule.meta.code);
      const got = new Map<number, string[]>();
      for (const x of result.findings.filter((y) => y.code === rule.meta.code)) {
        const message = x.message;
        const id = Object.entries(rule.meta.messages).find(([, tpl]) => templateMatches(tpl, message))?.[0] ?? '?';
        got.set(x.location.line, [...(got.get(x.location.line) ?? []), id]);
      }
      for (const [line, ids] of want) {
        named += ids.length;
        assert.deepEqual((got.get(line) ?? []).sort(), [...ids].sort(), `${f}:${line}: message ids`);
      }
    }
    if (fs.readdirSync(dir).some((x) => x.startsWith('invalid-'))) assert.ok(named > 0, `${rule.meta.name}: no fixture names a message id`);
  });
}

/** Whether a rendered message came from a template (its fixed text in order; placeholders match anything). */
function templateMatches(template: string, message: string): boolean {
  const parts = template.split(/\{\{\s*\w+\s*\}\}/).map((p) => p.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'));
  return new RegExp(`^${parts.join('[\\s\\S]*?')}`).test(message);
}
