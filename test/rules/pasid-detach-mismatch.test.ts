import { test } from 'node:test';
import { checkRuleFixtures } from '../helpers';

test('pasid-detach-mismatch', async () => {
  await checkRuleFixtures('pasid-detach-mismatch', 'OWN020');
});
