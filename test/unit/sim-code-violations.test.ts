/**
 * The replay's violations about how driver code uses the ownership API and its device (issue 11 item 1):
 * null-owner, dma-api-off-default-domain, device-access-while-user-owned, unchecked-failure; and paths that come
 * back from a helper onto a join point are kept (both sides of the branch before it).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { getAnalyzer } from '../helpers';
import { simulateDriver, simulateFunction } from '../../src/core/sim';
import type { CFacts, KernelTarget, ScenarioResult, TopologyKind } from '../../src/core/types';

async function factsOf(c: string, target: KernelTarget = 'latest'): Promise<CFacts> {
  const a = await getAnalyzer();
  const facts = a.dumpFacts({ path: 'drivers/misc/t.c', content: c }, { target }).patches[0].files[0].post;
  assert.ok(facts);
  return facts;
}

async function fnScenarios(c: string, name: string, target: KernelTarget = 'latest', topology: TopologyKind = 'singleton'): Promise<ScenarioResult[]> {
  const facts = await factsOf(c, target);
  const fn = facts.functions.find((f) => f.name === name);
  assert.ok(fn, name);
  return simulateFunction({ target, fn, facts, topology });
}

async function driverScenarios(c: string, topology: TopologyKind, target: KernelTarget = 'latest'): Promise<ScenarioResult[]> {
  const facts = await factsOf(c, target);
  return simulateDriver({ target, driver: facts.drivers[0], facts, topology });
}

const kinds = (list: ScenarioResult[]) => new Set(list.flatMap((s) => s.violations.map((v) => `${v.kind}@${v.at?.line}`)));

const NULL_CLAIM = `
int take(struct device *dev)
{
	void *owner = NULL;

	return iommu_device_claim_dma_owner(dev, owner);
}
int take_group(struct iommu_group *g)
{
	return iommu_group_claim_dma_owner(g, NULL);
}
`;

test('a claim resolved with a NULL owner cookie is a null-owner violation: refused with a WARN on 6.2+, taken on 5.19', async () => {
  const latest = await fnScenarios(NULL_CLAIM, 'take');
  const v = latest.flatMap((s) => s.violations).find((x) => x.kind === 'null-owner');
  assert.ok(v, 'null-owner on latest');
  assert.equal(v.errno, '-EINVAL');
  assert.ok(latest.some((s) => s.violations.some((x) => x.kind === 'warn')), 'the WARN_ON(!owner)');
  const old = await fnScenarios(NULL_CLAIM, 'take_group', '5.19');
  const w = old.flatMap((s) => s.violations).find((x) => x.kind === 'null-owner');
  assert.ok(w, 'null-owner on 5.19');
  assert.equal(w.errno, undefined, '5.19 takes the group');
  const named = await fnScenarios(NULL_CLAIM.replace('void *owner = NULL;', 'void *owner = dev;'), 'take');
  assert.ok(!named.some((s) => s.violations.some((x) => x.kind === 'null-owner')), 'a non-NULL cookie');
});

const FLAGGED = (extra: string) => `
static int nic_probe(struct pci_dev *pdev, const struct pci_device_id *id)
{
	void __iomem *regs;
	void *ring;
	dma_addr_t ring_dma;
${extra}
	regs = pci_iomap(pdev, 0, 0);
	ring = dma_alloc_coherent(&pdev->dev, 4096, &ring_dma, GFP_KERNEL);
	return 0;
}
static const struct pci_device_id nic_ids[] = { { PCI_DEVICE(0x1, 0x2) }, { } };
static struct pci_driver nic_driver = {
	.name = "nic",
	.id_table = nic_ids,
	.probe = nic_probe,
	.driver_managed_dma = true,
};
`;

test('DMA-API and MMIO use of a flagged driver bound into a user-owned group are violations; on its own group they are not', async () => {
  const owned = kinds(await driverScenarios(FLAGGED(''), 'user-owned'));
  assert.ok(owned.has('dma-api-off-default-domain@9'), [...owned].join(' '));
  assert.ok(owned.has('device-access-while-user-owned@8'), [...owned].join(' '));
  const single = kinds(await driverScenarios(FLAGGED(''), 'singleton'));
  assert.ok(![...single].some((k) => /dma-api|device-access/.test(k)), 'singleton: the group is on its default domain');
  // Claimed by the driver and on its blocking domain: the DMA API maps into a detached default domain.
  const claimed = kinds(await driverScenarios(FLAGGED('\tif (iommu_device_claim_dma_owner(&pdev->dev, pdev))\n\t\treturn -EBUSY;'), 'singleton'));
  assert.ok(claimed.has('dma-api-off-default-domain@10'), [...claimed].join(' '));
  assert.ok(!claimed.has('device-access-while-user-owned@9'), 'its own claim: MMIO is for itself');
});

const UNCHECKED = `
int a(struct engine *e)
{
	iommu_attach_device(e->domain, e->dev);
	return 0;
}
int b(struct engine *e)
{
	int ret;

	ret = iommu_device_claim_dma_owner(e->dev, e);
	ret = load(e);
	return ret;
}
int c(struct engine *e)
{
	int ret;

	ret = iommu_device_claim_dma_owner(e->dev, e);
	return 0;
}
int d(struct engine *e)
{
	int ret;

	ret = iommu_device_claim_dma_owner(e->dev, e);
	if (ret)
		return ret;
	return 0;
}
`;

test('a failed claim/attach result dropped, overwritten or never tested is unchecked-failure; a tested one is not', async () => {
  const how = async (fn: string) => (await fnScenarios(UNCHECKED, fn)).flatMap((s) => s.violations).filter((v) => v.kind === 'unchecked-failure').map((v) => v.unchecked);
  assert.deepEqual((await how('a'))[0], { how: 'ignored' });
  assert.deepEqual((await how('b'))[0], { how: 'overwritten', variable: 'ret', line: 12 });
  assert.deepEqual((await how('c'))[0], { how: 'never-tested', variable: 'ret' });
  assert.deepEqual(await how('d'), []);
});

const HELPER_AT_JOIN = `
static void recover(struct w *w)
{
	pci_reset_function(w->pdev);
}
static int w_probe(struct pci_dev *pdev, const struct pci_device_id *id)
{
	struct w *w = devm_kzalloc(&pdev->dev, sizeof(*w), GFP_KERNEL);

	if (!w)
		return -ENOMEM;
	if (ioread32(w->regs) == ~0u)
		recover(w);
	pci_set_drvdata(pdev, w);
	return 0;
}
static struct pci_driver w_driver = { .name = "w", .probe = w_probe, .driver_managed_dma = true };
`;

test('a path back from a helper onto a join point is kept, and so is the path that skipped the helper', async () => {
  const list = await driverScenarios(HELPER_AT_JOIN, 'singleton');
  assert.ok(list.some((s) => s.outcome === 'ok'), `the successful probe is replayed: ${list.map((s) => s.name).join('; ')}`);
  const owned = kinds(await driverScenarios(HELPER_AT_JOIN, 'user-owned'));
  assert.ok(owned.has('device-access-while-user-owned@4'), 'the helper ran on one side');
});
