/**
 * The precision guard: realistic patches, mails and drivers modelled on the DMA-ownership work (bus hooks,
 * VFIO/iommufd claims, variant and mdev drivers, series-era names, PASID users, review replies, a series
 * that breaks and then fixes). Each file states EVERY finding it must get, of every rule, inline:
 *   `expect: OWN001` (or `OWN001:info`) in a comment on the line the finding lands on, or
 *   `expect-at 87: OWN001` anywhere, when that line cannot carry a comment (a context line a later patch matches).
 * A finding that is not expected fails the test as much as a missing one; so does any input problem.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { analyzeText, FIXTURES, readExpectations, readTarget, type Expectation } from '../helpers';

const CORPUS = path.join(FIXTURES, 'corpus');

function expectationsOf(text: string): Expectation[] {
  const out = readExpectations(text);
  for (const m of text.matchAll(/expect-at\s+(\d+):\s*(OWN\d{3})(?::(\w+))?/g)) {
    out.push({ code: m[2], line: Number(m[1]), severity: m[3] });
  }
  return out;
}

const files = fs.readdirSync(CORPUS).filter((f) => !f.startsWith('.')).sort();

test('the corpus is there and covers both quiet and noisy inputs', () => {
  assert.ok(files.length >= 20, `only ${files.length} corpus files`);
  const texts = files.map((f) => fs.readFileSync(path.join(CORPUS, f), 'utf8'));
  assert.ok(texts.some((t) => expectationsOf(t).length === 0));
  assert.ok(texts.some((t) => expectationsOf(t).length > 0));
});

for (const file of files) {
  test(`corpus ${file}: exactly the expected findings of all rules`, async () => {
    const text = fs.readFileSync(path.join(CORPUS, file), 'utf8');
    const expected = expectationsOf(text);
    const result = await analyzeText(`test/fixtures/corpus/${file}`, text, { target: readTarget(text) });
    assert.deepEqual(result.problems.map((p) => p.message), [], `${file}: input problems`);
    const got = result.findings.map((f) => `${f.code}@${f.location.line}`).sort();
    const want = expected.map((e) => `${e.code}@${e.line}`).sort();
    assert.deepEqual(got, want, `${file}: findings\n` +
      result.findings.map((f) => `  ${f.code}@${f.location.line} ${f.severity}: ${f.message}`).join('\n'));
    for (const e of expected) {
      if (!e.severity) continue;
      const match = result.findings.find((f) => f.code === e.code && f.location.line === e.line);
      assert.equal(match?.severity, e.severity, `${file}:${e.line} ${e.code} severity`);
    }
  });
}
