import { test } from 'node:test';
import { checkRuleFixtures } from '../helpers';

test('pasid-ownership-order', async () => {
  await checkRuleFixtures('pasid-ownership-order', 'OWN021');
});
