import { test } from 'node:test';
import assert from 'node:assert/strict';
import { analyzeText, checkRuleFixtures } from '../helpers';

test('unchecked-ownership-return', async () => {
  await checkRuleFixtures('unchecked-ownership-return', 'OWN026');
});

test('unchecked-ownership-return: the message tells a (void) cast from an overwritten result; code after a hunk is info', async () => {
  const whole = [
    '#include <linux/iommu.h>',
    'int take(struct iommu_group *g, void *o)',
    '{',
    '	(void)iommu_group_claim_dma_owner(g, o);',
    '	return 0;',
    '}',
    'int bind(struct device *dev, void *o)',
    '{',
    '	int ret = iommu_device_claim_dma_owner(dev, o);',
    '	ret = 0;',
    '	return ret;',
    '}',
    '',
  ].join('\n');
  const result = await analyzeText('two.c', whole);
  const byLine = new Map(result.findings.filter((f) => f.code === 'OWN026').map((f) => [f.location.line, f]));
  assert.match(byLine.get(4)?.message ?? '', /casts the result .* to \(void\)/);
  assert.match(byLine.get(9)?.message ?? '', /overwrites it on line 10/);
  assert.equal(byLine.size, 2);

  const patch = [
    'diff --git a/drivers/misc/xdev.c b/drivers/misc/xdev.c',
    '--- a/drivers/misc/xdev.c',
    '+++ b/drivers/misc/xdev.c',
    '@@ -10,6 +10,7 @@ static int xdev_setup(struct xdev *x)',
    ' 	int ret;',
    ' ',
    '+	ret = iommu_attach_device(x->domain, x->dev);',
    ' 	xdev_lock(x);',
    ' 	xdev_prepare(x);',
    ' 	xdev_unlock(x);',
    ' 	xdev_log(x);',
    '',
  ].join('\n');
  const partial = await analyzeText('attach.patch', patch);
  const info = partial.findings.filter((f) => f.code === 'OWN026');
  assert.equal(info.length, 1);
  assert.equal(info[0].location.line, 7);
  assert.equal(info[0].severity, 'info');
  assert.match(info[0].message, /not in the patch/);
});
