import { test } from 'node:test';
import { checkRuleFixtures } from '../helpers';

test('default-domain-probe-defer', async () => {
  await checkRuleFixtures('default-domain-probe-defer', 'OWN024');
});
