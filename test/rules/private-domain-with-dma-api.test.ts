import { test } from 'node:test';
import { checkRuleFixtures } from '../helpers';

test('private-domain-with-dma-api', async () => {
  await checkRuleFixtures('private-domain-with-dma-api', 'OWN015');
});
