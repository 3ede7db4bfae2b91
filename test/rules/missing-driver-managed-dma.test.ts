import { test } from 'node:test';
import assert from 'node:assert/strict';
import { checkRuleFixtures } from '../helpers';

test('missing-driver-managed-dma (OWN001): inline expectations of every fixture hold', async () => {
  const { files } = await checkRuleFixtures('missing-driver-managed-dma', 'OWN001');
  assert.ok(files >= 4, 'at least two invalid and two valid fixtures');
});
