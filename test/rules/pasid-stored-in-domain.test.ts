import { test } from 'node:test';
import { checkRuleFixtures } from '../helpers';

test('pasid-stored-in-domain', async () => {
  await checkRuleFixtures('pasid-stored-in-domain', 'OWN022');
});
