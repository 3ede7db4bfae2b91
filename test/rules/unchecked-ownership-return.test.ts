import { test } from 'node:test';
import { checkRuleFixtures } from '../helpers';

test('unchecked-ownership-return', async () => {
  await checkRuleFixtures('unchecked-ownership-return', 'OWN026');
});
