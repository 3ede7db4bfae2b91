/**
 * Error unwinds and teardown paths of whole files (issue 10, whole-file mutation recall): small C programs written for
 * these tests, compiled by the C layer and replayed. Each pattern has a correct variant and a near miss that is a bug.
 */
import { before, test } from 'node:test';
import assert from 'node:assert/strict';
import { extractFacts, initC } from '../../src/core/c';
import { loadWasmForNode } from '../../src/core/c/node-wasm';
import { simulateFunction, simulateLifecycle, type LifecycleResult } from '../../src/core/sim';
import type { CFacts, ScenarioResult } from '../../src/core/types';

before(async () => {
  await initC(loadWasmForNode());
});

function cFacts(text: string, path = 'drivers/misc/widget.c'): CFacts {
  return extractFacts({ path, image: 'file', text, complete: true, changedLines: [], visibleLines: [] });
}

function runFn(text: string, name: string): ScenarioResult[] {
  const facts = cFacts(text);
  const fn = facts.functions.find((f) => f.name === name && f.program.length > 0);
  assert.ok(fn, `${name} compiled`);
  return simulateFunction({ target: 'latest', fn, facts, topology: 'singleton' });
}

const violated = (list: ScenarioResult[]) => list.filter((s) => s.violations.length > 0);
const steps = (s: ScenarioResult) => s.trace.map((t) => `${t.step} => ${t.result}`).join('\n');
const dump = (list: ScenarioResult[]) => list.map((s) => `${s.name}\n${steps(s)}`).join('\n---\n');

// ───────────── an unwind label right after a helper call ─────────────
const HELPER_BEFORE_LABEL = (detach: string) => `
struct gadget { struct device *dev; struct iommu_domain *dom; struct iommu_group *grp; void *bufs; };

static void gadget_free_bufs(struct gadget *g)
{
	kfree(g->bufs);
}

static int gadget_start(struct gadget *g)
{
	int err;

	g->dom = iommu_paging_domain_alloc(g->dev);
	if (IS_ERR(g->dom))
		return PTR_ERR(g->dom);
	err = iommu_attach_group(g->dom, g->grp);
	if (err)
		goto err_free_domain;
	err = gadget_fill_bufs(g);
	if (err)
		goto err_detach;
	return 0;

err_detach:
	${detach}
	gadget_free_bufs(g);
err_free_domain:
	iommu_domain_free(g->dom);
	return err;
}
`;

test('an exit through `helper(); label:` is replayed to its end (it is not merged with itself at the label)', () => {
  const list = runFn(HELPER_BEFORE_LABEL('iommu_detach_group(g->dom, g->grp);'), 'gadget_start');
  assert.deepEqual(violated(list).map((s) => s.name), [], dump(list));
  assert.ok(list.some((s) => s.exit?.lastGoto === 'err_detach'), `the err_detach exit is among the scenarios:\n${dump(list)}`);
});

test('near miss: the unwind after the helper forgets the detach — the freed domain is left attached', () => {
  const list = runFn(HELPER_BEFORE_LABEL(''), 'gadget_start');
  const bad = violated(list);
  assert.ok(bad.some((s) => s.exit?.lastGoto === 'err_detach' && s.violations.some((v) => v.kind === 'use-after-free')), dump(list));
});

// ───────────── a teardown through code outside the file counts on the exits that make it ─────────────
const OPEN_WITH_PUT = (unbind: string) => `
struct gizmo_file { struct device dev; struct iommu_sva *sva; struct device *parent; int id; };

static void gizmo_file_release(struct device *dev)
{
	struct gizmo_file *gf = container_of(dev, struct gizmo_file, dev);

	iommu_sva_unbind_device(gf->sva);
	kfree(gf);
}

static const struct device_type gizmo_file_type = {
	.name = "gizmo_file",
	.release = gizmo_file_release,
};

int gizmo_file_open(struct gizmo_file *gf)
{
	struct iommu_sva *sva;
	int rc;

	sva = iommu_sva_bind_device(gf->parent, current->mm);
	if (IS_ERR(sva))
		return PTR_ERR(sva);
	gf->sva = sva;
	gf->id = gizmo_id_alloc();
	if (gf->id < 0) {
		rc = -ENOSPC;
		goto out_unbind;
	}
	device_initialize(&gf->dev);
	gf->dev.type = &gizmo_file_type;
	rc = device_add(&gf->dev);
	if (rc)
		goto out_put;
	return 0;

out_put:
	put_device(&gf->dev);
	return rc;
out_unbind:
	${unbind}
	return rc;
}
`;

test('an exit that puts the device (its type\'s .release unbinds) and an exit that unbinds itself both leave nothing', () => {
  const list = runFn(OPEN_WITH_PUT('iommu_sva_unbind_device(sva);'), 'gizmo_file_open');
  assert.deepEqual(violated(list).map((s) => s.name), [], dump(list));
  assert.ok(list.some((s) => s.exit?.lastGoto === 'out_put' && s.outcome === 'probe-failed'), dump(list));
});

test('near miss: the exit that does not put the device forgets the unbind — the .release reached by another exit does not excuse it', () => {
  const list = runFn(OPEN_WITH_PUT(''), 'gizmo_file_open');
  const bad = violated(list);
  assert.deepEqual(bad.map((s) => s.exit?.lastGoto), ['out_unbind'], dump(list));
  assert.ok(bad[0].violations.some((v) => v.kind === 'pasid-leak'));
});

function lifecycle(text: string): LifecycleResult[] {
  const facts = cFacts(text, 'drivers/misc/gadget.c');
  return simulateLifecycle({ target: 'latest', facts, topology: 'singleton' });
}

const PARTNER_PUTS = (teardown: string) => `
struct gadget_map { struct task_struct *task; };
struct gadget { struct device dev; struct iommu_domain *dom; struct iommu_group *grp; struct gadget_map *map; bool dma_on; };

static void gadget_release(struct device *dev)
{
	struct gadget *gd = container_of(dev, struct gadget, dev);

	iommu_detach_group(gd->dom, gd->grp);
}

static const struct device_type gadget_type = {
	.release = gadget_release,
};

static void gadget_unmap_all(struct gadget *gd)
{
	put_task_struct(gd->map->task);
	kfree(gd->map);
}

static void gadget_put(struct gadget *gd)
{
	put_device(&gd->dev);
}

int gadget_register(struct gadget *gd)
{
	gd->dev.type = &gadget_type;
	return device_add(&gd->dev);
}

int gadget_attach(struct gadget *gd)
{
	return iommu_attach_group(gd->dom, gd->grp);
}

void gadget_detach(struct gadget *gd)
{
	gd->dma_on = false;
	${teardown}
}
`;

const lifecycleLeaks = (text: string) => {
  const r = lifecycle(text).find((x) => x.acquire.name === 'gadget_attach');
  assert.ok(r, 'gadget_attach is an acquiring entry point');
  assert.deepEqual(r.partners.map((p) => p.fn), ['gadget_detach']);
  return r.scenarios.flatMap((s) => s.violations.map((v) => v.kind));
};

test('a partner that puts the object through a teardown helper may run its type\'s .release: no leak claimed', () => {
  assert.deepEqual(lifecycleLeaks(PARTNER_PUTS('gadget_put(gd);')), []);
});

test('near miss: a partner whose only external put is of another object, deep in a helper that is no teardown, leaks the domain', () => {
  assert.ok(lifecycleLeaks(PARTNER_PUTS('gadget_unmap_all(gd);')).includes('left-private-domain'));
});

// ───────────── an exported acquirer is not a callback a put can run ─────────────
const BOX = (release: string) => `
struct widget_box { struct kref kref; int nr; };
struct widget_grp { struct iommu_group *iommu_group; struct widget_box *box; };

static void widget_box_release(struct kref *kref)
{
	struct widget_box *box = container_of(kref, struct widget_box, kref);

	kfree(box);
}

static void widget_box_put(struct widget_box *box)
{
	kref_put(&box->kref, widget_box_release);
}

int widget_box_attach_grp(struct widget_box *box, struct widget_grp *grp)
{
	int ret;

	ret = iommu_group_claim_dma_owner(grp->iommu_group, grp);
	if (ret)
		return ret;
	ret = widget_box_hw_add(box, grp);
	if (ret) {
		iommu_group_release_dma_owner(grp->iommu_group);
		return ret;
	}
	grp->box = box;
	kref_get(&box->kref);
	return 0;
}

void widget_grp_detach_box(struct widget_grp *grp)
{
	struct widget_box *box = grp->box;

	widget_box_hw_del(box, grp);
	${release}
	grp->box = NULL;
	widget_box_put(box);
}
`;

const boxLeaks = (text: string) => {
  const r = lifecycle(text).find((x) => x.acquire.name === 'widget_box_attach_grp');
  assert.ok(r, 'widget_box_attach_grp is an acquiring entry point');
  assert.deepEqual(r.partners.map((p) => p.fn), ['widget_grp_detach_box']);
  return r.scenarios.flatMap((s) => s.violations.map((v) => v.kind));
};

test('the detach partner releases the claim before it drops its reference: nothing is left owned', () => {
  assert.deepEqual(boxLeaks(BOX('iommu_group_release_dma_owner(grp->iommu_group);')), []);
});

test('near miss: the partner only drops a reference — the acquirer\'s own unwind release is not a callback the put can run', () => {
  assert.ok(boxLeaks(BOX('')).includes('left-owned'));
});
