import { test } from 'node:test';
import { checkRuleFixtures } from '../helpers';

test('null-dma-owner-cookie', async () => {
  await checkRuleFixtures('null-dma-owner-cookie', 'OWN008');
});
