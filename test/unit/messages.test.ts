/** Message wording defects a reviewer reported (issue 14): each must read true to the trace it comes with. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { analyzeText } from '../helpers';
import { formatMessage } from '../../src/rules/types';
import { fixLines } from '../../src/format/text';

const NO_HEADER_HUNK = `diff --git a/drivers/gpu/drm/acme/acme_vm.c b/drivers/gpu/drm/acme/acme_vm.c
--- a/drivers/gpu/drm/acme/acme_vm.c
+++ b/drivers/gpu/drm/acme/acme_vm.c
@@ -18,4 +18,7 @@
 	mutex_lock(&container->lock);
+	ret = iommu_group_claim_dma_owner(group->iommu_group, container);
+	if (ret)
+		goto out_unlock;
 	group->container = container;
 	mutex_unlock(&container->lock);
 	return ret;
`;

test('OWN007 in a hunk without a function header names no empty function', async () => {
  const r = await analyzeText('gpu.patch', NO_HEADER_HUNK);
  const f = r.findings.find((x) => x.code === 'OWN007');
  assert.ok(f, JSON.stringify(r.findings.map((x) => x.code)));
  assert.doesNotMatch(f.message, /(^|\s)\(\) calls/);
  assert.doesNotMatch(f.message, /\(unnamed\)/);
  assert.match(f.message, /^The enclosing function \(its header is not in the hunk\) calls iommu_group_claim_dma_owner\(\)/);
});

test('formatMessage: an empty or unnamed function placeholder reads as the unseen enclosing function', () => {
  assert.equal(formatMessage('{{fn}}() calls x()', { fn: 'foo' }), 'foo() calls x()');
  assert.equal(formatMessage('{{fn}}() calls x()', { fn: '' }), 'The enclosing function (its header is not in the hunk) calls x()');
  assert.equal(formatMessage('released in {{fn}}()', { fn: '(unnamed)' }), 'released in the enclosing function (its header is not in the hunk)');
});

const SELF_CLAIM = `// A platform driver that takes DMA ownership of its device in probe, without the ownership flag.
#include <linux/iommu.h>
#include <linux/platform_device.h>

static int widget_probe(struct platform_device *pdev)
{
	int ret;

	ret = iommu_device_claim_dma_owner(&pdev->dev, pdev);
	if (ret)
		return ret;
	return 0;
}

static void widget_remove(struct platform_device *pdev)
{
	iommu_device_release_dma_owner(&pdev->dev);
}

static struct platform_driver widget_driver = {
	.probe = widget_probe,
	.remove = widget_remove,
	.driver = {
		.name = "widget",
	},
};
`;

test('OWN001 on a driver that claims ownership itself says its own claim in probe fails (as the trace shows)', async () => {
  const r = await analyzeText('drivers/misc/widget.c', SELF_CLAIM);
  const f = r.findings.find((x) => x.code === 'OWN001');
  assert.ok(f, JSON.stringify(r.findings.map((x) => x.code)));
  const last = f.trace[f.trace.length - 1];
  assert.match(last.step, /^iommu_device_claim_dma_owner\(/);
  assert.equal(last.result.trim(), '-EPERM');
  assert.doesNotMatch(f.message, /user space/);
  assert.match(f.message, /claims DMA ownership itself \(iommu_device_claim_dma_owner\(\) in widget_probe\(\)\).*that claim fails with -EPERM/);
});

test('a fix is said once in text output', async () => {
  const r = await analyzeText('drivers/misc/widget.c', SELF_CLAIM);
  for (const f of r.findings) {
    for (const fix of f.fixes) {
      const lines = fixLines(fix);
      const words = (s: string) => s.toLowerCase().replace(/[`.,:]/g, '').split(/\s+/).filter((w) => w.length > 3);
      if (lines.length > 1) {
        // Title and code: the code must not merely restate the title.
        assert.notDeepEqual(words(lines[0]), words(lines.slice(1).join(' ')));
      }
      assert.equal(lines.filter((l) => l.startsWith('    fix: ')).length, 1);
    }
  }
});
