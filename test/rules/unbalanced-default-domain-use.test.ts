import { test } from 'node:test';
import assert from 'node:assert/strict';
import { checkRuleFixtures } from '../helpers';

test('unbalanced-default-domain-use (OWN010): inline expectations of every fixture hold', async () => {
  const { files } = await checkRuleFixtures('unbalanced-default-domain-use', 'OWN010');
  assert.ok(files >= 4, 'at least two invalid and two valid fixtures');
});
