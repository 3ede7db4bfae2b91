import { test } from 'node:test';
import assert from 'node:assert/strict';
import { checkRuleFixtures } from '../helpers';

test('default-domain-use-in-driver (OWN009): inline expectations of every fixture hold', async () => {
  const { files } = await checkRuleFixtures('default-domain-use-in-driver', 'OWN009');
  assert.ok(files >= 4, 'at least two invalid and two valid fixtures');
});
