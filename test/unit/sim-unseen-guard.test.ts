/**
 * A release guarded by a call the replay cannot see (a header inline testing a flag the driver set after its attach):
 * the path where that call "answers false" after the attach may not exist, so a leak on it rests on unseen code and
 * says so (Violation.unseen), while the same release skipped by a condition the file itself decides is a leak.
 * The programs are written for this test; they model the pattern of a PCI accelerator enabling a system PASID.
 */
import { before, test } from 'node:test';
import assert from 'node:assert/strict';
import { extractFacts, initC } from '../../src/core/c';
import { loadWasmForNode } from '../../src/core/c/node-wasm';
import { simulateDriver } from '../../src/core/sim';
import type { ScenarioResult, Violation } from '../../src/core/types';

before(async () => {
  await initC(loadWasmForNode());
});

function run(text: string): ScenarioResult[] {
  const facts = extractFacts({ path: 'drivers/misc/accel.c', image: 'file', text, complete: true, changedLines: [], visibleLines: [] });
  const driver = facts.drivers[0];
  assert.ok(driver, 'driver struct found');
  return simulateDriver({ target: 'latest', driver, facts, topology: 'singleton' });
}

const leaks = (list: ScenarioResult[]): Violation[] => list.flatMap((s) => s.violations.filter((v) => v.kind === 'pasid-leak'));

const ACCEL = (guard: string) => `
struct accel { struct pci_dev *pdev; unsigned long flags; ioasid_t pasid; };

static int accel_pasid_on(struct accel *a)
{
	struct device *dev = &a->pdev->dev;
	struct iommu_domain *dom = iommu_get_domain_for_dev(dev);
	ioasid_t pasid;
	int ret;

	if (!dom)
		return -EPERM;
	pasid = iommu_alloc_global_pasid(dev);
	if (pasid == IOMMU_PASID_INVALID)
		return -ENOSPC;
	ret = iommu_attach_device_pasid(dom, dev, pasid, NULL);
	if (ret) {
		iommu_free_global_pasid(pasid);
		return ret;
	}
	a->pasid = pasid;
	return 0;
}

static void accel_pasid_off(struct accel *a)
{
	struct device *dev = &a->pdev->dev;

	iommu_detach_device_pasid(iommu_get_domain_for_dev(dev), dev, a->pasid);
	iommu_free_global_pasid(a->pasid);
}

static int accel_probe(struct pci_dev *pdev, const struct pci_device_id *id)
{
	struct accel *a = devm_kzalloc(&pdev->dev, sizeof(*a), GFP_KERNEL);
	int ret;

	if (!a)
		return -ENOMEM;
	a->pdev = pdev;
	pci_set_drvdata(pdev, a);
	if (accel_pasid_on(a) == 0)
		set_bit(ACCEL_PASID_ON, &a->flags);
	ret = accel_queues_init(a);
	if (ret)
		goto err;
	return 0;
err:
	if (${guard})
		accel_pasid_off(a);
	return ret;
}

static void accel_remove(struct pci_dev *pdev)
{
	struct accel *a = pci_get_drvdata(pdev);

	accel_pasid_off(a);
}

static struct pci_driver accel_driver = {
	.name = "accel",
	.probe = accel_probe,
	.remove = accel_remove,
};
`;

test('a release guarded by an unseen predicate: a leak on the skipping path names the predicate as unseen', () => {
  const found = leaks(run(ACCEL('accel_pasid_enabled(a)')));
  assert.ok(found.length > 0, 'the replay still shows the path');
  for (const v of found) assert.match(v.unseen ?? '', /accel_pasid_enabled\(\) \(not in this file\) decides whether accel_pasid_off\(\) runs/);
});

test('near miss: the same release skipped by a condition the file decides is a leak claimed outright', () => {
  // `a->pasid > 4096` is a test of the file's own data: no unseen call decides it.
  const found = leaks(run(ACCEL('a->pasid > 4096')));
  assert.ok(found.length > 0, 'the leak is found');
  assert.ok(found.some((v) => v.unseen === undefined), 'at least one leak is claimed, not hedged');
});

test('valid: an unguarded release on the unwind leaves nothing attached', () => {
  assert.deepEqual(leaks(run(ACCEL('1'))), []);
});
