import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { analyzeText, checkRuleFixtures, FIXTURES } from '../helpers';

test('unbalanced-dma-owner-claim (OWN005): inline expectations of every fixture hold', async () => {
  const { files } = await checkRuleFixtures('unbalanced-dma-owner-claim', 'OWN005');
  assert.ok(files >= 4, 'at least two invalid and two valid fixtures');
});

test('unbalanced-dma-owner-claim: iommufd code under drivers/iommu/ is reviewed, not exempted as core', async () => {
  const text = fs.readFileSync(path.join(FIXTURES, 'rules/unbalanced-dma-owner-claim/invalid-iommufd-style-bind.c'), 'utf8');
  const result = await analyzeText('drivers/iommu/iommufd/binding.c', text);
  assert.deepEqual(result.findings.filter((f) => f.code === 'OWN005').map((f) => f.location.line), [27]);
});
