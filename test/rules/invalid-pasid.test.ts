import { test } from 'node:test';
import { checkRuleFixtures } from '../helpers';

test('invalid-pasid', async () => {
  await checkRuleFixtures('invalid-pasid', 'OWN023');
});
