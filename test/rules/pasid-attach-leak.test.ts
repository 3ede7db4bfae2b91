import { test } from 'node:test';
import assert from 'node:assert/strict';
import { checkRuleFixtures } from '../helpers';

test('pasid-attach-leak (OWN019): inline expectations of every fixture hold', async () => {
  const { files } = await checkRuleFixtures('pasid-attach-leak', 'OWN019');
  assert.ok(files >= 4, 'at least two invalid and two valid fixtures');
});
