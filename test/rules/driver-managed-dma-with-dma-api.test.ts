import { test } from 'node:test';
import { checkRuleFixtures } from '../helpers';

test('driver-managed-dma-with-dma-api', async () => {
  await checkRuleFixtures('driver-managed-dma-with-dma-api', 'OWN002');
});
