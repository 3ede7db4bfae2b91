import { test } from 'node:test';
import assert from 'node:assert/strict';
import { checkRuleFixtures } from '../helpers';

test('unbalanced-dma-owner-claim (OWN005): inline expectations of every fixture hold', async () => {
  const { files } = await checkRuleFixtures('unbalanced-dma-owner-claim', 'OWN005');
  assert.ok(files >= 4, 'at least two invalid and two valid fixtures');
});
