import { test } from 'node:test';
import assert from 'node:assert/strict';
import { checkRuleFixtures } from '../helpers';

test('attach-device-in-multi-device-group (OWN012): inline expectations of every fixture hold', async () => {
  const { files } = await checkRuleFixtures('attach-device-in-multi-device-group', 'OWN012');
  assert.ok(files >= 4, 'at least two invalid and two valid fixtures');
});
