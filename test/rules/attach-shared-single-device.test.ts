import { test } from 'node:test';
import assert from 'node:assert/strict';
import { checkRuleFixtures } from '../helpers';

test('attach-shared-single-device (OWN027): inline expectations of every fixture hold', async () => {
  const { files } = await checkRuleFixtures('attach-shared-single-device', 'OWN027');
  assert.ok(files >= 4, 'at least two invalid and two valid fixtures');
});
