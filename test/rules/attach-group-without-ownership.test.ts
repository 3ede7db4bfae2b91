import { test } from 'node:test';
import { checkRuleFixtures } from '../helpers';

test('attach-group-without-ownership', async () => {
  await checkRuleFixtures('attach-group-without-ownership', 'OWN016');
});
