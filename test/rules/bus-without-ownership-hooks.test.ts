import { test } from 'node:test';
import { checkRuleFixtures } from '../helpers';

test('bus-without-ownership-hooks', async () => {
  await checkRuleFixtures('bus-without-ownership-hooks', 'OWN011');
});
