import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { analyzeText, checkRuleFixtures, FIXTURES } from '../helpers';

test('driver-managed-dma-with-dma-api', async () => {
  await checkRuleFixtures('driver-managed-dma-with-dma-api', 'OWN002');
});

test('driver-managed-dma-with-dma-api: trace binds into a user-owned group; the fix drops the flag line', async () => {
  const file = path.join(FIXTURES, 'rules/driver-managed-dma-with-dma-api/invalid-flagged-driver-maps.c');
  const text = fs.readFileSync(file, 'utf8');
  const result = await analyzeText('flagged.c', text);
  const finding = result.findings.find((f) => f.code === 'OWN002' && /dma_alloc_coherent/.test(f.message));
  assert.ok(finding, 'OWN002 on dma_alloc_coherent');
  assert.ok(finding.trace.some((s) => /claimed|owned|vfio/i.test(s.step)), 'a step shows the group owned by user space');
  assert.match(finding.trace.at(-1)?.step ?? '', /dma_alloc_coherent\(\)/);
  assert.equal(finding.trace.at(-1)?.location?.line, finding.location.line);
  const flagLine = text.split('\n').findIndex((l) => l.includes('.driver_managed_dma = true')) + 1;
  const edit = finding.fixes[0]?.edits[0];
  assert.deepEqual(edit && { line: edit.span.line, endLine: edit.span.endLine, text: edit.newText }, { line: flagLine, endLine: flagLine + 1, text: '' });
});
