import { test } from 'node:test';
import { checkRuleFixtures } from '../helpers';

test('removed-group-notifier', async () => {
  await checkRuleFixtures('removed-group-notifier', 'OWN018');
});
