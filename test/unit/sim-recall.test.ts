/**
 * Whole-file recall (issue 10): bugs a reviewer injects into real drivers must be found when the file is replayed
 * whole, not only when the patch shows the removed line. Small C programs written for these tests model each
 * pattern; each has a correct variant (no violation) and a near miss that is a real bug.
 */
import { before, test } from 'node:test';
import assert from 'node:assert/strict';
import { extractFacts, initC } from '../../src/core/c';
import { loadWasmForNode } from '../../src/core/c/node-wasm';
import { simulateDriver } from '../../src/core/sim';
import type { CFacts, ScenarioResult } from '../../src/core/types';

before(async () => {
  await initC(loadWasmForNode());
});

function cFacts(text: string): CFacts {
  return extractFacts({ path: 'drivers/misc/radio.c', image: 'file', text, complete: true, changedLines: [], visibleLines: [] });
}

function runDriver(text: string): ScenarioResult[] {
  const facts = cFacts(text);
  const driver = facts.drivers[0];
  assert.ok(driver, 'driver struct found');
  return simulateDriver({ target: 'latest', driver, facts, topology: 'singleton' });
}

const kinds = (list: ScenarioResult[]) => [...new Set(list.flatMap((s) => s.violations.map((v) => v.kind)))].sort();

// ───────────── a helper call right before an error label ─────────────
// The probe's unwind calls a helper of the file (radio_irq_free) just before the next label. Back from that helper
// the path stands on a join point: it must be compared with the other paths once, not with itself.
const FIRMWARE_CHILD = (unwind: string) => `
struct radio { struct device *fw_dev; struct iommu_domain *fw_dom; int irq; };

static void radio_irq_free(struct radio *r)
{
	radio_hw_irq_release(r->irq);
}

static int radio_fw_start(struct radio *r, struct device *parent)
{
	struct platform_device_info info = { .parent = parent };
	struct platform_device *child;
	struct iommu_domain *dom;
	int ret;

	child = platform_device_register_full(&info);
	if (IS_ERR(child))
		return PTR_ERR(child);
	r->fw_dev = &child->dev;
	dom = iommu_paging_domain_alloc(r->fw_dev);
	if (IS_ERR(dom)) {
		ret = PTR_ERR(dom);
		goto out_unregister;
	}
	ret = iommu_attach_device(dom, r->fw_dev);
	if (ret)
		goto out_free;
	r->fw_dom = dom;
	ret = radio_fw_map(dom, r);
	if (ret)
		goto out_detach;
	return 0;

out_detach:
${unwind}
out_free:
	iommu_domain_free(dom);
out_unregister:
	platform_device_unregister(child);
	return ret;
}

static void radio_fw_stop(struct radio *r)
{
	iommu_detach_device(r->fw_dom, r->fw_dev);
	iommu_domain_free(r->fw_dom);
	platform_device_unregister(to_platform_device(r->fw_dev));
}

static int radio_probe(struct platform_device *pdev)
{
	struct radio *r;
	int ret;

	r = devm_kzalloc(&pdev->dev, sizeof(*r), GFP_KERNEL);
	if (!r)
		return -ENOMEM;
	platform_set_drvdata(pdev, r);
	ret = radio_irq_setup(r);
	if (ret)
		return ret;
	ret = radio_fw_start(r, &pdev->dev);
	if (ret)
		goto err_irq;
	ret = radio_link_up(r);
	if (ret)
		goto err_fw;
	return 0;

err_fw:
	radio_fw_stop(r);
err_irq:
	radio_irq_free(r);
err_base:
	radio_base_put(r);
	return ret;
}

static void radio_remove(struct platform_device *pdev)
{
	struct radio *r = platform_get_drvdata(pdev);

	radio_fw_stop(r);
	radio_irq_free(r);
	radio_base_put(r);
}

static struct platform_driver radio_driver = {
	.probe = radio_probe,
	.remove_new = radio_remove,
	.driver = { .name = "radio" },
};
`;

test('an unwind that detaches the firmware child before freeing its domain: no violation on any path', () => {
  assert.deepEqual(kinds(runDriver(FIRMWARE_CHILD('\tiommu_detach_device(dom, r->fw_dev);'))), []);
});

test('near miss: the detach is missing from the unwind, and the path through the helper before err_base still reports it', () => {
  const list = runDriver(FIRMWARE_CHILD(''));
  const bad = list.filter((s) => s.violations.some((v) => v.kind === 'use-after-free'));
  assert.ok(bad.length > 0, list.map((s) => s.name).join('\n'));
  assert.ok(bad.every((s) => s.outcome === 'probe-failed'));
});
