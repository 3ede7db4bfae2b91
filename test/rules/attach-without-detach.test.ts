import { test } from 'node:test';
import assert from 'node:assert/strict';
import { checkRuleFixtures } from '../helpers';

test('attach-without-detach (OWN013): inline expectations of every fixture hold', async () => {
  const { files } = await checkRuleFixtures('attach-without-detach', 'OWN013');
  assert.ok(files >= 4, 'at least two invalid and two valid fixtures');
});
