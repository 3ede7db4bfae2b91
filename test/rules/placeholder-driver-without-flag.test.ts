import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { analyzeText, checkRuleFixtures, FIXTURES } from '../helpers';

test('placeholder-driver-without-flag', async () => {
  await checkRuleFixtures('placeholder-driver-without-flag', 'OWN004');
});

test('placeholder-driver-without-flag: the fix inserts the flag before the closing brace, the trace shows the refused claim', async () => {
  const file = path.join(FIXTURES, 'rules/placeholder-driver-without-flag/invalid-parking-stub.c');
  const text = fs.readFileSync(file, 'utf8');
  const result = await analyzeText('parking-stub.c', text);
  const finding = result.findings.find((f) => f.code === 'OWN004');
  assert.ok(finding, 'OWN004 reported');
  assert.match(finding.message, /parkdev_driver/);
  const edit = finding.fixes[0]?.edits[0];
  assert.ok(edit, 'an edit is offered');
  const closing = text.split('\n').findIndex((l) => l === '};') + 1;
  assert.equal(edit.span.line, closing);
  assert.match(edit.newText, /^\s+\.driver_managed_dma = true,\n$/);
  assert.ok(finding.trace.some((s) => /claim/.test(s.step) && /-EPERM/.test(s.result)), 'trace ends in a refused claim');
});
