import { test } from 'node:test';
import { checkRuleFixtures } from '../helpers';

test('mixed-claim-granularity', async () => {
  await checkRuleFixtures('mixed-claim-granularity', 'OWN006');
});
