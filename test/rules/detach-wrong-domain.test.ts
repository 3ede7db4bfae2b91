import { test } from 'node:test';
import { checkRuleFixtures } from '../helpers';

test('detach-wrong-domain', async () => {
  await checkRuleFixtures('detach-wrong-domain', 'OWN014');
});
