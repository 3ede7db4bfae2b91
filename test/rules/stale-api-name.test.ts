import { test } from 'node:test';
import assert from 'node:assert/strict';
import { checkRuleFixtures } from '../helpers';

test('stale-api-name (OWN017): inline expectations of every fixture hold', async () => {
  const { files } = await checkRuleFixtures('stale-api-name', 'OWN017');
  assert.ok(files >= 4, 'at least two invalid and two valid fixtures');
});
