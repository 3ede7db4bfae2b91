import { test } from 'node:test';
import { checkRuleFixtures } from '../helpers';

test('placeholder-driver-without-flag', async () => {
  await checkRuleFixtures('placeholder-driver-without-flag', 'OWN004');
});
