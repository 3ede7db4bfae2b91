/**
 * Shared test helpers: one analyzer per test process, and the fixture runner for rule tests.
 * Rule fixtures carry their expectations inline, next to the line they point at:
 *   `expect: OWN005` (default severity) or `expect: OWN005:info` in a comment on that line (in a patch: on that patch line).
 * A fixture may pin the kernel target with `iommu-review-target: series-v3` anywhere in the file.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import assert from 'node:assert/strict';
import { createAnalyzer, type Analyzer } from '../src/review/analyze';
import { loadWasmForNode } from '../src/core/c/node-wasm';
import { freezeStoredFacts } from '../src/core/c/facts-cache';
import type { AnalysisResult, AnalyzeOptions, KernelTarget } from '../src/core/types';

export const REPO_ROOT = path.resolve(__dirname, '../..');
export const FIXTURES = path.join(REPO_ROOT, 'test/fixtures');

let analyzerPromise: Promise<Analyzer> | undefined;
export function getAnalyzer(): Promise<Analyzer> {
  // Facts are shared by the memo, not copied: any test that analyses fails if something writes into them.
  freezeStoredFacts(true);
  analyzerPromise ??= createAnalyzer(loadWasmForNode());
  return analyzerPromise;
}

export async function analyzeText(filePath: string, text: string, options: AnalyzeOptions = {}): Promise<AnalysisResult> {
  const analyzer = await getAnalyzer();
  return analyzer.analyze([{ path: filePath, content: text }], options);
}

export interface Expectation { code: string; line: number; severity?: string }

export function readExpectations(text: string): Expectation[] {
  const out: Expectation[] = [];
  text.split(/\r?\n/).forEach((lineText, i) => {
    const m = /expect:\s*((?:OWN\d{3}(?::\w+)?[\s,]*)+)/.exec(lineText);
    if (!m) return;
    for (const tok of m[1].split(/[\s,]+/).filter(Boolean)) {
      const [code, severity] = tok.split(':');
      out.push({ code, line: i + 1, severity });
    }
  });
  return out;
}

export function readTarget(text: string): KernelTarget | undefined {
  const m = /iommu-review-target:\s*([\w.-]+)/.exec(text);
  return m ? (m[1] as KernelTarget) : undefined;
}

/**
 * Runs every fixture in test/fixtures/rules/<ruleName>/ and compares the findings of that rule (code, line,
 * severity when given) with the inline expectations. Files named valid-* must expect nothing.
 */
export async function checkRuleFixtures(ruleName: string, code: string): Promise<{ files: number }> {
  const dir = path.join(FIXTURES, 'rules', ruleName);
  const files = fs.readdirSync(dir).filter((f) => !f.startsWith('.')).sort();
  assert.ok(files.some((f) => f.startsWith('valid-')), `${ruleName}: needs valid-* fixtures`);
  assert.ok(files.some((f) => f.startsWith('invalid-')), `${ruleName}: needs invalid-* fixtures`);
  for (const f of files) {
    const full = path.join(dir, f);
    const text = fs.readFileSync(full, 'utf8');
    const expected = readExpectations(text).filter((e) => e.code === code);
    if (f.startsWith('valid-')) assert.equal(expected.length, 0, `${f}: a valid-* fixture must not expect ${code}`);
    if (f.startsWith('invalid-')) assert.ok(expected.length > 0, `${f}: an invalid-* fixture must expect ${code}`);
    const result = await analyzeText(`test/fixtures/rules/${ruleName}/${f}`, text, { target: readTarget(text) });
    const got = result.findings.filter((x) => x.code === code);
    const gotKeys = got.map((x) => `${x.location.line}`).sort();
    const wantKeys = expected.map((e) => `${e.line}`).sort();
    assert.deepEqual(gotKeys, wantKeys, `${f}: ${code} at lines [${gotKeys}] but expected [${wantKeys}]\n` +
      got.map((x) => `  ${x.location.line}: ${x.severity} ${x.message}`).join('\n'));
    for (const e of expected) {
      if (!e.severity) continue;
      const match = got.find((x) => x.location.line === e.line);
      assert.equal(match?.severity, e.severity, `${f}:${e.line}: severity`);
    }
  }
  return { files: files.length };
}
