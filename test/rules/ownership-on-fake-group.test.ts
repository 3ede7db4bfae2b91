import { test } from 'node:test';
import { checkRuleFixtures } from '../helpers';

test('ownership-on-fake-group', async () => {
  await checkRuleFixtures('ownership-on-fake-group', 'OWN025');
});
