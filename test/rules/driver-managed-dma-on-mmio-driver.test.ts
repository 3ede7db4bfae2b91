import { test } from 'node:test';
import { checkRuleFixtures } from '../helpers';

test('driver-managed-dma-on-mmio-driver', async () => {
  await checkRuleFixtures('driver-managed-dma-on-mmio-driver', 'OWN003');
});
