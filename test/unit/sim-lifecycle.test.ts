/**
 * Lifecycle replay across entry points (sim/lifecycle.ts): an entry point that acquires, replayed with its release
 * partner on the same kernel state. Small C programs written for these tests; for each way of pairing, a correct
 * pair, a partner that lacks the release, and a near miss.
 */
import { before, test } from 'node:test';
import assert from 'node:assert/strict';
import { extractFacts, initC } from '../../src/core/c';
import { loadWasmForNode } from '../../src/core/c/node-wasm';
import { simulateFunction, simulateLifecycle, type LifecycleResult } from '../../src/core/sim';
import { analyzeInputs } from '../../src/review/analyze';

before(async () => {
  await initC(loadWasmForNode());
});

function lifecycle(text: string): LifecycleResult[] {
  const facts = extractFacts({ path: 'drivers/misc/gizmo.c', image: 'file', text, complete: true, changedLines: [], visibleLines: [] });
  return simulateLifecycle({ target: 'latest', facts, topology: 'singleton' });
}

function of(list: LifecycleResult[], name: string): LifecycleResult {
  const r = list.find((x) => x.acquire.name === name);
  assert.ok(r, `${name} is an acquiring entry point (got ${list.map((x) => x.acquire.name).join(', ') || 'none'})`);
  return r;
}

const leaks = (r: LifecycleResult) => r.scenarios.flatMap((s) => s.violations.map((v) => v.kind));

// ───────────── name pairs: foo_attach / foo_detach ─────────────
const NAMED = (detachBody: string, detachName = 'gizmo_mmu_detach') => `
struct gizmo { struct device *dev; struct iommu_domain *dom; };
int gizmo_mmu_attach(struct gizmo *gz)
{
	int err;

	gz->dom = iommu_paging_domain_alloc(gz->dev);
	if (IS_ERR(gz->dom))
		return PTR_ERR(gz->dom);
	err = iommu_attach_device(gz->dom, gz->dev);
	if (err) {
		iommu_domain_free(gz->dom);
		return err;
	}
	return 0;
}
void ${detachName}(struct gizmo *gz)
{
${detachBody}
}
`;

test('name pair attach/detach: a detach that undoes the attach leaves the group as found', () => {
  const r = of(lifecycle(NAMED('\tiommu_detach_device(gz->dom, gz->dev);\n\tiommu_domain_free(gz->dom);')), 'gizmo_mmu_attach');
  assert.deepEqual(r.partners.map((p) => [p.fn, p.how]), [['gizmo_mmu_detach', 'name']]);
  assert.deepEqual(leaks(r), []);
});

test('name pair attach/detach: a detach helper that only frees the domain leaves the group on it', () => {
  const r = of(lifecycle(NAMED('\tiommu_domain_free(gz->dom);')), 'gizmo_mmu_attach');
  assert.ok(leaks(r).includes('use-after-free'), leaks(r).join(','));
  const s = r.scenarios.find((x) => x.violations.length);
  assert.ok(s?.trace.some((t) => /then gizmo_mmu_detach\(\)/.test(t.step)), 'the trace shows the partner');
  assert.deepEqual(s?.lifecycle, { acquire: 'gizmo_mmu_attach', release: ['gizmo_mmu_detach'], pairing: 'name' });
});

test('near miss: a function whose name pairs with nothing (gizmo_mmu_flush) is no partner; the attach is left unpaired', () => {
  const r = of(lifecycle(NAMED('\tiommu_domain_free(gz->dom);', 'gizmo_mmu_flush')), 'gizmo_mmu_attach');
  assert.deepEqual(r.partners, []);
  assert.equal(r.exported, true);
  assert.equal(r.releasedElsewhere, false);
});

test('name pairs fold plurals and to/from (attach_dev_to_ctx ~ detach_dev_from_ctx, resources_init ~ resource_deinit)', () => {
  const text = NAMED('\tiommu_detach_device(gz->dom, gz->dev);', 'gizmo_detach_dev_from_ctx').replace('gizmo_mmu_attach', 'gizmo_attach_dev_to_ctx');
  assert.deepEqual(of(lifecycle(text), 'gizmo_attach_dev_to_ctx').partners.map((p) => p.fn), ['gizmo_detach_dev_from_ctx']);
  const plural = NAMED('\tiommu_detach_device(gz->dom, gz->dev);', 'gizmo_fw_resource_deinit').replace('gizmo_mmu_attach', 'gizmo_fw_resources_init');
  assert.deepEqual(of(lifecycle(plural), 'gizmo_fw_resources_init').partners.map((p) => p.fn), ['gizmo_fw_resource_deinit']);
  // The same words in another order pair only when no name pairs in order.
  const swapped = NAMED('\tiommu_detach_device(gz->dom, gz->dev);', 'gizmo_ctx_detach_mmu').replace('gizmo_mmu_attach', 'gizmo_mmu_attach_ctx');
  assert.deepEqual(of(lifecycle(swapped), 'gizmo_mmu_attach_ctx').partners.map((p) => p.fn), ['gizmo_ctx_detach_mmu']);
  const both = `${swapped}\nvoid gizmo_mmu_detach_ctx(struct gizmo *gz)\n{\n\tiommu_detach_device(gz->dom, gz->dev);\n}\n`;
  assert.deepEqual(of(lifecycle(both), 'gizmo_mmu_attach_ctx').partners.map((p) => p.fn), ['gizmo_mmu_detach_ctx']);
});

// ───────────── ops tables: .open / .release ─────────────
const FOPS = (releaseBody: string, releaseField = 'release') => `
struct gizmo_file { struct device *dev; struct iommu_sva *bond; };
static int gizmo_open(struct inode *inode, struct file *filp)
{
	struct gizmo_file *gf = filp->private_data;

	gf->bond = iommu_sva_bind_device(gf->dev, current->mm);
	if (IS_ERR(gf->bond))
		return PTR_ERR(gf->bond);
	return 0;
}
static int gizmo_close_file(struct inode *inode, struct file *filp)
{
	struct gizmo_file *gf = filp->private_data;

${releaseBody}
	return 0;
}
static const struct file_operations gizmo_fops = {
	.open = gizmo_open,
	.${releaseField} = gizmo_close_file,
};
`;

test('ops pair .open/.release: a release that unbinds the SVA bond is balanced', () => {
  const r = of(lifecycle(FOPS('\tiommu_sva_unbind_device(gf->bond);')), 'gizmo_open');
  assert.deepEqual(r.partners.map((p) => [p.fn, p.how]), [['gizmo_close_file', 'ops']]);
  assert.deepEqual(leaks(r), []);
});

test('ops pair .open/.release: a release that forgets the bond leaves it (pasid-leak)', () => {
  const r = of(lifecycle(FOPS('\tkfree(gf);')), 'gizmo_open');
  assert.deepEqual(leaks(r), ['pasid-leak']);
});

test('near miss: the same function in another field (.flush) is no partner of .open, and the static open has no partner', () => {
  const r = of(lifecycle(FOPS('\tiommu_sva_unbind_device(gf->bond);', 'flush')), 'gizmo_open');
  assert.deepEqual(r.partners, []);
  assert.equal(r.exported, false);
  // ...but something else in the file does unbind: nothing is claimed about a missing release.
  assert.equal(r.releasedElsewhere, true);
});

// ───────────── registered: the .release of a struct handed out by address ─────────────
const REGISTERED = (typeRelease: string) => `
struct gizmo_ctx { struct device *dev; struct device cdev; struct iommu_sva *bond; };
static void gizmo_ctx_dev_release(struct device *d)
{
	struct gizmo_ctx *ctx = container_of(d, struct gizmo_ctx, cdev);

${typeRelease}
	kfree(ctx);
}
static const struct device_type gizmo_ctx_type = {
	.name = "gizmo_ctx",
	.release = gizmo_ctx_dev_release,
};
int gizmo_ctx_new(struct gizmo_ctx *ctx)
{
	ctx->bond = iommu_sva_bind_device(ctx->dev, current->mm);
	if (IS_ERR(ctx->bond))
		return PTR_ERR(ctx->bond);
	ctx->cdev.type = &gizmo_ctx_type;
	return device_add(&ctx->cdev);
}
`;

test('registered .release: the created device\'s release unbinds what the creator bound', () => {
  const r = of(lifecycle(REGISTERED('\tiommu_sva_unbind_device(ctx->bond);')), 'gizmo_ctx_new');
  assert.deepEqual(r.partners.map((p) => [p.fn, p.how]), [['gizmo_ctx_dev_release', 'registered']]);
  assert.deepEqual(leaks(r), []);
});

test('registered .release: a release that only frees leaves the bond', () => {
  assert.deepEqual(leaks(of(lifecycle(REGISTERED('')), 'gizmo_ctx_new')), ['pasid-leak']);
});

test('near miss: a struct the creator does not hand out is not its partner', () => {
  const text = REGISTERED('\tiommu_sva_unbind_device(ctx->bond);').replace('ctx->cdev.type = &gizmo_ctx_type;', '');
  const r = of(lifecycle(text), 'gizmo_ctx_new');
  assert.deepEqual(r.partners, []);
  assert.equal(r.releasedElsewhere, true);
});

// ───────────── rules: the violations are what OWN013 / OWN019 / OWN005 report ─────────────
function review(text: string): string[] {
  const res = analyzeInputs([{ path: 'drivers/misc/gizmo.c', content: text }], { target: 'latest' });
  return res.findings.map((f) => `${f.code}@${f.location.line}:${f.severity}`);
}

test('OWN013 reports a partner that does not detach, on the partner, at error severity; the correct pair is quiet', () => {
  const bad = review(NAMED('\tiommu_domain_free(gz->dom);'));
  assert.ok(bad.some((f) => /^OWN013@17:error$/.test(f)), bad.join(' '));
  const good = review(NAMED('\tiommu_detach_device(gz->dom, gz->dev);\n\tiommu_domain_free(gz->dom);'));
  assert.deepEqual(good.filter((f) => f.startsWith('OWN013')), []);
});

test('an exported entry point with no partner and no release in the file: said at info (the partner may be elsewhere)', () => {
  const list = review(NAMED('\tiommu_domain_free(gz->dom);', 'gizmo_mmu_flush'));
  assert.ok(list.some((f) => /^OWN013@\d+:info$/.test(f)), list.join(' '));
});

test('OWN019 reports an .open whose .release keeps the bond; OWN005 a static open whose claim nothing releases', () => {
  const sva = review(FOPS('\tkfree(gf);'));
  assert.ok(sva.some((f) => /^OWN019@12:error$/.test(f)), sva.join(' '));
  const claim = `
static int gizmo_claim_open(struct inode *inode, struct file *filp)
{
	struct device *dev = filp->private_data;

	return iommu_device_claim_dma_owner(dev, filp);
}
static const struct file_operations gizmo_claim_fops = {
	.open = gizmo_claim_open,
};
`;
  const own = review(claim);
  assert.ok(own.some((f) => /^OWN005@6:error$/.test(f)), own.join(' '));
});

// ───────────── bus hooks: .dma_configure / .dma_cleanup ─────────────
const BUS = (cleanupField: string) => `
struct gizmo_driver { struct device_driver driver; bool driver_managed_dma; };
static int gizmo_bus_dma_configure(struct device *dev)
{
	struct gizmo_driver *gdrv = to_gizmo_driver(dev->driver);
	int ret = 0;

	if (!gdrv->driver_managed_dma)
		ret = iommu_device_use_default_domain(dev);
	return ret;
}
static void gizmo_bus_dma_cleanup(struct device *dev)
{
	struct gizmo_driver *gdrv = to_gizmo_driver(dev->driver);

	if (!gdrv->driver_managed_dma)
		iommu_device_unuse_default_domain(dev);
}
const struct bus_type gizmo_bus_type = {
	.name = "gizmo",
	.dma_configure = gizmo_bus_dma_configure,
${cleanupField}
};
`;

test('bus hooks: a bus_type that wires .dma_cleanup is balanced; one that does not leaks a count per unbind (OWN010 on the bus_type)', () => {
  const path = 'drivers/bus/gizmo-bus.c';
  const run = (text: string) => analyzeInputs([{ path, content: text }], { target: 'latest' }).findings.map((f) => `${f.code}@${f.location.line}:${f.severity}`);
  assert.deepEqual(run(BUS('\t.dma_cleanup = gizmo_bus_dma_cleanup,')).filter((f) => f.startsWith('OWN010')), []);
  // Near miss: the cleanup function is still there, named like one, but the bus never calls it.
  assert.deepEqual(run(BUS('')).filter((f) => f.startsWith('OWN010')), ['OWN010@19:error']);
});

// ───────────── freeing a domain a group still uses ─────────────
test('iommu_domain_free() of a domain still attached is a use after free, at the free; detached first it is not', () => {
  const freed = of(lifecycle(NAMED('\tiommu_domain_free(gz->dom);')), 'gizmo_mmu_attach');
  const uaf = freed.scenarios.flatMap((s) => s.violations).find((v) => v.kind === 'use-after-free');
  assert.ok(uaf, 'the free of an attached domain is reported');
  assert.match(uaf.message, /freed while still attached/);
  const clean = of(lifecycle(NAMED('\tiommu_detach_device(gz->dom, gz->dev);\n\tiommu_domain_free(gz->dom);')), 'gizmo_mmu_attach');
  assert.deepEqual(clean.scenarios.flatMap((s) => s.violations.map((v) => v.kind)), []);
});

// ───────────── a partner that tears an object down through code outside the file ─────────────
const OBJECT_DESTROY = (destroyBody: string, teardownCall: string) => `
struct gizmo_obj { int id; };
struct gizmo { struct device *dev; struct gizmo_obj obj; bool dma_ready; };
static void gizmo_obj_destroy(struct gizmo_obj *obj)
{
	struct gizmo *gz = container_of(obj, struct gizmo, obj);
${destroyBody}
}
int gizmo_bind(struct gizmo *gz)
{
	return iommu_device_claim_dma_owner(gz->dev, gz);
}
void gizmo_unbind(struct gizmo *gz)
{
	gz->dma_ready = false;
	${teardownCall}
}
`;

test('a partner that destroys the object through an external call may run the file\'s destroy callback: no leak claimed', () => {
  const r = of(lifecycle(OBJECT_DESTROY('\tiommu_device_release_dma_owner(gz->dev);', 'gizmo_core_destroy_object(&gz->obj);')), 'gizmo_bind');
  assert.deepEqual(r.partners.map((p) => p.fn), ['gizmo_unbind']);
  assert.deepEqual(leaks(r), []);
});

test('near miss: the destroy callback does not release, or the partner calls nothing that tears down: the leak stands', () => {
  const noRelease = of(lifecycle(OBJECT_DESTROY('\tgz->obj.id = 0;', 'gizmo_core_destroy_object(&gz->obj);')), 'gizmo_bind');
  assert.ok(leaks(noRelease).includes('left-owned'));
  const noTeardown = of(lifecycle(OBJECT_DESTROY('\tiommu_device_release_dma_owner(gz->dev);', 'gizmo_core_log(&gz->obj);')), 'gizmo_bind');
  assert.ok(leaks(noTeardown).includes('left-owned'));
});

// ───────────── a failing exit that puts an object whose type's .release undoes the bond ─────────────
const PUT_ON_ERROR = (releaseBody: string, registered: boolean) => `
struct gizmo_file { struct device dev; struct iommu_sva *sva; struct device *parent; };
${registered ? 'static' : ''} void gizmo_file_release(struct device *dev)
{
	struct gizmo_file *gf = container_of(dev, struct gizmo_file, dev);
${releaseBody}
}
${registered ? 'static const struct device_type gizmo_file_type = {\n\t.name = "gizmo_file",\n\t.release = gizmo_file_release,\n};' : ''}
int gizmo_file_open(struct gizmo_file *gf)
{
	int rc;

	gf->sva = iommu_sva_bind_device(gf->parent, current->mm);
	if (IS_ERR(gf->sva))
		return PTR_ERR(gf->sva);
	rc = gizmo_file_publish(gf);
	if (rc)
		goto out_put;
	return 0;
out_put:
	put_device(&gf->dev);
	return rc;
}
`;

function failingExitLeaks(text: string): string[] {
  const facts = extractFacts({ path: 'drivers/misc/gizmo.c', image: 'file', text, complete: true, changedLines: [], visibleLines: [] });
  const fn = facts.functions.find((f) => f.name === 'gizmo_file_open');
  assert.ok(fn);
  return simulateFunction({ target: 'latest', fn, facts, topology: 'singleton' })
    .filter((s) => s.outcome === 'probe-failed').flatMap((s) => s.violations.map((v) => v.kind));
}

test('a failing exit that puts a device whose registered .release unbinds the SVA bond leaks nothing', () => {
  assert.deepEqual(failingExitLeaks(PUT_ON_ERROR('\tiommu_sva_unbind_device(gf->sva);', true)), []);
});

test('near miss: the registered .release does not unbind, or the releasing function is not a registered callback: the leak stands', () => {
  assert.ok(failingExitLeaks(PUT_ON_ERROR('\tgf->sva = NULL;', true)).includes('pasid-leak'));
  assert.ok(failingExitLeaks(PUT_ON_ERROR('\tiommu_sva_unbind_device(gf->sva);', false)).includes('pasid-leak'));
});

// ───────────── 'co-owned': the same owner claims a second device of the group (sim/co-owner.ts) ─────────────
const CO_OWNED = (claim: string, release: string) => `
struct port { struct device *dev; struct iommu_group *grp; void *ctx; };
int port_open(struct port *p)
{
	p->grp = iommu_group_get(p->dev);
	if (!p->grp)
		return -ENODEV;
	return ${claim};
}
void port_release(struct port *p)
{
	${release};
	iommu_group_put(p->grp);
}
`;

function coOwned(text: string): LifecycleResult[] {
  const facts = extractFacts({ path: 'drivers/misc/port.c', image: 'file', text, complete: true, changedLines: [], visibleLines: [] });
  return simulateLifecycle({ target: 'latest', facts, topology: 'co-owned' });
}

test('co-owned: a device claim released per group drops the co-owner claim; its release then WARNs', () => {
  const r = of(coOwned(CO_OWNED('iommu_device_claim_dma_owner(p->dev, p->ctx)', 'iommu_group_release_dma_owner(p->grp)')), 'port_open');
  const s = r.scenarios.find((x) => x.violations.some((v) => v.kind === 'dropped-co-owner-claims'));
  assert.ok(s, JSON.stringify(r.scenarios.map((x) => x.violations.map((v) => v.kind))));
  const drop = s.violations.find((v) => v.kind === 'dropped-co-owner-claims')!;
  assert.equal(drop.api, 'iommu_group_release_dma_owner');
  assert.ok(drop.at, 'the drop is at the file\'s release call');
  const warn = s.violations.find((v) => v.phase === 'co-owner');
  assert.equal(warn?.api, 'iommu_device_release_dma_owner');
  assert.ok(warn?.warn);
  assert.ok(s.trace.some((t) => t.phase === 'co-owner' && /iommu_device_claim_dma_owner\(dev1, p->ctx\)/.test(t.step)), 'the co-owner claim is a step');
});

test('co-owned: device claim and device release, or group claim and group release, leave nothing', () => {
  for (const [claim, release] of [
    ['iommu_device_claim_dma_owner(p->dev, p->ctx)', 'iommu_device_release_dma_owner(p->dev)'],
    ['iommu_group_claim_dma_owner(p->grp, p->ctx)', 'iommu_group_release_dma_owner(p->grp)'],
    ['iommu_group_claim_dma_owner(p->grp, p->ctx)', 'iommu_device_release_dma_owner(p->dev)'],
  ]) {
    const r = of(coOwned(CO_OWNED(claim, release)), 'port_open');
    assert.deepEqual(leaks(r), [], `${claim} / ${release}`);
    // The co-owner only joins an owner that claimed per device: a group claim is exclusive.
    assert.equal(r.scenarios.some((s) => s.trace.some((t) => t.phase === 'co-owner')), claim.startsWith('iommu_device'), `${claim}: co-owner step`);
  }
});
