/**
 * Whole-file recall (issue 10): bugs a reviewer injects into real drivers must be found when the file is replayed
 * whole, not only when the patch shows the removed line. Small C programs written for these tests model each
 * pattern; each has a correct variant (no violation) and a near miss that is a real bug.
 */
import { before, test } from 'node:test';
import assert from 'node:assert/strict';
import { extractFacts, initC } from '../../src/core/c';
import { loadWasmForNode } from '../../src/core/c/node-wasm';
import { simulateDriver, simulateLifecycle } from '../../src/core/sim';
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

// ───────────── helpers run as memoised summaries ─────────────
// Six hardware flags are decided in probe and tested again in remove, so 64 distinct states reach each later step;
// the clock helper, called twice, forks four ways on each. Its ends are made once and reused (a summary), and ends
// that only differ in their trace lead to one path: the run stays within its budget.
const FLAGS = ['a', 'b', 'c', 'd', 'e', 'f'];
const QUIRKY = (unwind: string) => `
struct lamp { struct device *dev; struct iommu_domain *dom; int ${FLAGS.map((f) => `quirk_${f}`).join(', ')}; };

static int lamp_clocks_on(struct lamp *l)
{
	int ret;

	ret = lamp_clk_enable(l->dev, 0);
	if (ret)
		return ret;
	ret = lamp_clk_enable(l->dev, 1);
	if (ret)
		goto off0;
	ret = lamp_clk_enable(l->dev, 2);
	if (ret)
		goto off1;
	return 0;
off1:
	lamp_clk_disable(l->dev, 1);
off0:
	lamp_clk_disable(l->dev, 0);
	return ret;
}

static int lamp_probe(struct platform_device *pdev)
{
	struct lamp *l = devm_kzalloc(&pdev->dev, sizeof(*l), GFP_KERNEL);
	int ret;

	if (!l)
		return -ENOMEM;
	l->dev = &pdev->dev;
	platform_set_drvdata(pdev, l);
${FLAGS.map((f) => `\tif (lamp_has_${f}(pdev))\n\t\tl->quirk_${f} = 1;`).join('\n')}
	l->dom = iommu_paging_domain_alloc(l->dev);
	if (IS_ERR(l->dom))
		return PTR_ERR(l->dom);
	ret = iommu_attach_device(l->dom, l->dev);
	if (ret)
		goto free_dom;
	ret = lamp_clocks_on(l);
	if (ret)
		goto detach;
	ret = lamp_clocks_on(l);
	if (ret)
		goto detach;
	return 0;
detach:
${unwind}
free_dom:
	iommu_domain_free(l->dom);
	return ret;
}

static void lamp_remove(struct platform_device *pdev)
{
	struct lamp *l = platform_get_drvdata(pdev);

${FLAGS.map((f) => `\tif (l->quirk_${f})\n\t\tlamp_fix_${f}(l);`).join('\n')}
	iommu_detach_device(l->dom, l->dev);
	iommu_domain_free(l->dom);
}

static struct platform_driver lamp_driver = {
	.probe = lamp_probe,
	.remove_new = lamp_remove,
	.driver = { .name = "lamp" },
};
`;

test('a forking helper called on 64 distinct states is replayed from its summary: no budget hit, no violation', () => {
  const list = runDriver(QUIRKY('\tiommu_detach_device(l->dom, l->dev);'));
  assert.deepEqual(kinds(list), []);
  assert.ok(list.every((s) => s.budget === undefined), list.find((s) => s.budget)?.budget);
  assert.ok(list.some((s) => s.outcome === 'ok') && list.some((s) => s.outcome === 'probe-failed'));
});

test('near miss: the unwind after a failing clock helper frees the attached domain, on its replayed ends too', () => {
  const list = runDriver(QUIRKY(''));
  const bad = list.filter((s) => s.violations.some((v) => v.kind === 'use-after-free'));
  assert.ok(bad.length > 0);
  assert.ok(list.every((s) => s.budget === undefined));
  // The freed domain's step shows the group state of the path it was replayed on (the child-free singleton group).
  for (const s of bad) {
    const uaf = s.violations.find((v) => v.kind === 'use-after-free');
    assert.match(s.trace[uaf?.stepIndex ?? 0]?.step ?? '', /iommu_domain_free/);
  }
});

// ───────────── DMA mask setters fail only for masks narrower than 32 bits ─────────────
// dma_coerce_mask_and_coherent() after the attach can only fail when dma_supported() refuses the mask; dma-direct
// and dma-iommu accept every mask of 32 bits or more. The mask comes from per-SoC match data in the file.
const SOC_TABLE = (widths: number[], narrowFallback: string) => `
struct kiln_soc { u64 dma_mask; bool wide; };
${widths.map((w, i) => `static const struct kiln_soc kiln${i}_soc = { .dma_mask = DMA_BIT_MASK(${w}), .wide = ${i % 2 ? 'true' : 'false'} };`).join('\n')}
struct kiln { struct device *dev; const struct kiln_soc *soc; struct iommu_group *grp; struct iommu_domain *dom; };

static int kiln_iommu_init(struct kiln *k)
{
	u64 mask = k->soc->dma_mask;
	int err;

	k->grp = iommu_group_get(k->dev);
	if (!k->grp)
		return 0;
	k->dom = iommu_paging_domain_alloc(k->dev);
	if (IS_ERR(k->dom))
		return PTR_ERR(k->dom);
	err = iommu_attach_group(k->dom, k->grp);
	if (err) {
		iommu_domain_free(k->dom);
		return err;
	}
	if (!k->soc->wide)
		mask = ${narrowFallback};
	err = dma_coerce_mask_and_coherent(k->dev, mask);
	if (err < 0)
		return err;
	return 0;
}

static void kiln_iommu_exit(struct kiln *k)
{
	if (k->dom) {
		iommu_detach_group(k->dom, k->grp);
		iommu_domain_free(k->dom);
	}
}

static int kiln_probe(struct platform_device *pdev)
{
	struct kiln *k = devm_kzalloc(&pdev->dev, sizeof(*k), GFP_KERNEL);
	int err;

	if (!k)
		return -ENOMEM;
	k->dev = &pdev->dev;
	k->soc = of_device_get_match_data(&pdev->dev);
	platform_set_drvdata(pdev, k);
	err = kiln_iommu_init(k);
	if (err < 0)
		return err;
	err = kiln_start(k);
	if (err)
		goto exit_iommu;
	return 0;
exit_iommu:
	kiln_iommu_exit(k);
	return err;
}

static void kiln_remove(struct platform_device *pdev)
{
	kiln_iommu_exit(platform_get_drvdata(pdev));
}

static struct platform_driver kiln_driver = {
	.probe = kiln_probe,
	.remove_new = kiln_remove,
	.driver = { .name = "kiln" },
};
`;

const leftAttached = (list: ScenarioResult[]) => list.filter((s) => s.outcome === 'probe-failed' && s.violations.some((v) => v.kind === 'left-private-domain'));

test('a DMA mask of 32 bits or more from the file\'s match data cannot fail: no leak on the exit that skips the detach', () => {
  assert.deepEqual(leftAttached(runDriver(SOC_TABLE([32, 34, 40], 'DMA_BIT_MASK(32)'))).map((s) => s.name), []);
});

test('near miss: one SoC has a 24-bit mask, which dma-direct may refuse: the exit that skips the detach leaks', () => {
  assert.ok(leftAttached(runDriver(SOC_TABLE([32, 24, 40], 'DMA_BIT_MASK(32)'))).length > 0);
});

test('near miss: the fallback mask is narrower than 32 bits: the exit that skips the detach leaks', () => {
  assert.ok(leftAttached(runDriver(SOC_TABLE([32, 34, 40], 'DMA_BIT_MASK(30)'))).length > 0);
});

test('the C facts keep every value the file\'s static initializers give a field', () => {
  const facts = cFacts(SOC_TABLE([32, 24, 40], 'DMA_BIT_MASK(32)'));
  assert.deepEqual(facts.staticFields?.dma_mask, ['DMA_BIT_MASK(32)', 'DMA_BIT_MASK(24)', 'DMA_BIT_MASK(40)']);
  assert.deepEqual(facts.staticFields?.wide, ['false', 'true', 'false']);
});

// ───────────── attach only when the default domain is IDENTITY ─────────────
// A shared-domain client attaches its group only when the device is not already DMA-API translated (its current
// domain is IDENTITY); its exported detach partner must undo that. Replayed on a DMA default domain only, the attach
// never happens.
const SHARED_CLIENT = (detach: string) => `
struct easel { struct iommu_domain *domain; };
struct easel_client { struct device *dev; struct easel *owner; struct iommu_group *group; };

int easel_client_iommu_attach(struct easel_client *c)
{
	struct iommu_domain *domain = iommu_get_domain_for_dev(c->dev);
	struct easel *e = c->owner;
	struct iommu_group *group = NULL;
	int err;

	if (domain && domain->type != IOMMU_DOMAIN_IDENTITY)
		return 0;
	if (e->domain) {
		group = iommu_group_get(c->dev);
		if (!group)
			return -ENODEV;
		err = iommu_attach_group(e->domain, group);
		if (err < 0) {
			iommu_group_put(group);
			return err;
		}
	}
	c->group = group;
	return 0;
}

void easel_client_iommu_detach(struct easel_client *c)
{
	struct easel *e = c->owner;

	if (c->group) {
${detach}
		iommu_group_put(c->group);
		c->group = NULL;
	}
}
`;

function lifecycleKinds(text: string): string[] {
  const facts = cFacts(text);
  return simulateLifecycle({ target: 'latest', facts, topology: 'singleton' })
    .flatMap((r) => r.scenarios.flatMap((s) => s.violations.map((v) => `${s.name.includes('IDENTITY') ? 'identity' : 'dma'}:${v.kind}`)));
}

test('an attach made only on an IDENTITY default domain, undone by its detach partner: no violation', () => {
  assert.deepEqual(lifecycleKinds(SHARED_CLIENT('\t\tiommu_detach_group(e->domain, c->group);')), []);
});

test('near miss: the detach partner forgets the detach: found on the IDENTITY default domain', () => {
  assert.deepEqual(lifecycleKinds(SHARED_CLIENT('')), ['identity:left-private-domain']);
});

// ───────────── a destroy callback reached through code outside the file ─────────────
// bind claims and unbind tears the object down through a call the replay cannot follow; the object type's destroy
// op (registered in another file) is given the benefit of the doubt — but bind's own error unwind is not a destroy op.
const OBJECT_BIND = (destroyBody: string) => `
struct knob { struct device *dev; struct iommufd_ctx *ictx; struct knob_obj obj; };

void knob_destroy(struct knob_obj *obj)
{
	struct knob *k = container_of(obj, struct knob, obj);

${destroyBody}
	knob_put_ctx(k);
}

struct knob *knob_bind(struct device *dev, void *owner)
{
	struct knob *k;
	int rc;

	k = knob_alloc(dev);
	if (IS_ERR(k))
		return k;
	rc = iommu_device_claim_dma_owner(dev, owner);
	if (rc)
		goto out_free;
	rc = knob_register(k);
	if (rc)
		goto out_release;
	k->dev = dev;
	return k;
out_release:
	iommu_device_release_dma_owner(dev);
out_free:
	knob_free(k);
	return ERR_PTR(rc);
}

void knob_unbind(struct knob *k)
{
	iommufd_object_destroy_user(k->ictx, &k->obj);
}
`;

function lifecycleViolations(text: string): string[] {
  return simulateLifecycle({ target: 'latest', facts: cFacts(text), topology: 'singleton' }).flatMap((r) => r.scenarios.flatMap((s) => s.violations.map((v) => v.kind)));
}

test('a destroy op that releases the claim, reached through an opaque teardown: no violation', () => {
  assert.deepEqual(lifecycleViolations(OBJECT_BIND('\tiommu_device_release_dma_owner(k->dev);')), []);
});

test('near miss: the destroy op forgets the release; bind\'s own unwind release does not stand in for it', () => {
  assert.deepEqual([...new Set(lifecycleViolations(OBJECT_BIND('')))], ['left-owned']);
});
