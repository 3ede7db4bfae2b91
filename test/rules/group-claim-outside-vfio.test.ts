import { test } from 'node:test';
import { checkRuleFixtures } from '../helpers';

test('group-claim-outside-vfio', async () => {
  await checkRuleFixtures('group-claim-outside-vfio', 'OWN007');
});
