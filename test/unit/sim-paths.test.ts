/**
 * Path-sensitive, interprocedural replay (issue 10 items 1, 2, 5): small C programs written for these tests, compiled
 * by the C layer and replayed. Each pattern has a correct variant (no violation) and a near miss that is a real bug.
 */
import { before, test } from 'node:test';
import assert from 'node:assert/strict';
import { extractFacts, initC } from '../../src/core/c';
import { loadWasmForNode } from '../../src/core/c/node-wasm';
import { simulateDriver, simulateFunction } from '../../src/core/sim';
import type { CFacts, ScenarioResult } from '../../src/core/types';

before(async () => {
  await initC(loadWasmForNode());
});

function cFacts(text: string): CFacts {
  return extractFacts({ path: 'drivers/misc/widget.c', image: 'file', text, complete: true, changedLines: [], visibleLines: [] });
}

function runFn(text: string, name: string): ScenarioResult[] {
  const facts = cFacts(text);
  const fn = facts.functions.find((f) => f.name === name);
  assert.ok(fn, `${name} compiled`);
  return simulateFunction({ target: 'latest', fn, facts, topology: 'singleton' });
}

function runDriver(text: string): ScenarioResult[] {
  const facts = cFacts(text);
  const driver = facts.drivers[0];
  assert.ok(driver, 'driver struct found');
  return simulateDriver({ target: 'latest', driver, facts, topology: 'singleton' });
}

const violated = (list: ScenarioResult[]) => list.filter((s) => s.violations.length > 0);
const steps = (s: ScenarioResult) => s.trace.map((t) => `${t.step} => ${t.result}`).join('\n');

// ───────────── a condition tested twice is decided once ─────────────
const REPEATED = (releaseGuard: string) => `
struct gadget { int kind; struct iommu_group *grp; void *backend; };
static int gadget_attach(struct gadget *g)
{
	int err;

	if (g->kind == GADGET_REAL) {
		err = iommu_group_claim_dma_owner(g->grp, g);
		if (err)
			return err;
	}
	err = gadget_backend_setup(g->backend);
	if (err) {
		if (${releaseGuard})
			iommu_group_release_dma_owner(g->grp);
		return err;
	}
	return 0;
}
`;

test('a claim and its unwind release behind the same named-constant test take the same side', () => {
  const list = runFn(REPEATED('g->kind == GADGET_REAL'), 'gadget_attach');
  assert.deepEqual(violated(list).map((s) => s.name), [], 'no failing path leaves the claim behind');
  // The failing path after the claim went through the release.
  const unwound = list.find((s) => s.outcome === 'probe-failed' && s.trace.some((t) => t.step.startsWith('iommu_group_claim_dma_owner')) && s.trace.some((t) => t.step.startsWith('iommu_group_release_dma_owner')));
  assert.ok(unwound, list.map(steps).join('\n---\n'));
});

test('x == A decided true makes x == B false: a release guarded by another constant is skipped (near miss: a leak)', () => {
  const list = runFn(REPEATED('g->kind == GADGET_FAKE'), 'gadget_attach');
  const bad = violated(list);
  assert.ok(bad.some((s) => s.violations.some((v) => v.kind === 'left-owned')), 'the claim leaks on the backend failure path');
  const claimed = list.filter((s) => s.trace.some((t) => t.step.startsWith('iommu_group_claim_dma_owner')));
  assert.ok(claimed.length > 0);
  assert.ok(!claimed.some((s) => s.trace.some((t) => t.step.startsWith('iommu_group_release_dma_owner'))), 'the other constant is never taken after == GADGET_REAL');
});

test('a condition the C layer keeps as text is decided once per path (until an operand is written)', () => {
  const text = `
struct gadget { int mode; int flags; struct iommu_group *grp; };
static int gadget_open(struct gadget *g)
{
	int err;

	if (g->mode & MODE_OWNED) {
		err = iommu_group_claim_dma_owner(g->grp, g);
		if (err)
			return err;
	}
	err = gadget_hw_start(g);
	if (err)
		goto undo;
	return 0;
undo:
	if (g->mode & MODE_OWNED)
		iommu_group_release_dma_owner(g->grp);
	return err;
}
`;
  assert.deepEqual(violated(runFn(text, 'gadget_open')).map((s) => s.name), []);
  // Near miss: the mode is rewritten between the test and the unwind, so the second test is decided afresh.
  const rewritten = text.replace('err = gadget_hw_start(g);', 'g->mode = gadget_read_mode(g);\n\terr = gadget_hw_start(g);');
  assert.ok(violated(runFn(rewritten, 'gadget_open')).some((s) => s.violations.some((v) => v.kind === 'left-owned')));
});

// ───────────── pure predicates ─────────────
const BOOL_HELPER = (unwindTest: string) => `
struct sprocket { unsigned long flags; struct device *dev; struct iommu_sva *sva; };
static inline bool sprocket_pasid_on(struct sprocket *s)
{
	return test_bit(SPROCKET_PASID, &s->flags);
}
static int sprocket_open(struct sprocket *s, struct mm_struct *mm)
{
	struct iommu_sva *sva = NULL;
	int rc;

	if (sprocket_pasid_on(s)) {
		sva = iommu_sva_bind_device(s->dev, mm);
		if (IS_ERR(sva))
			return PTR_ERR(sva);
	}
	rc = sprocket_slot_get(s);
	if (rc < 0)
		goto fail;
	s->sva = sva;
	return 0;
fail:
	if (${unwindTest})
		iommu_sva_unbind_device(sva);
	return rc;
}
`;

test('a bool helper (test_bit) is a pure predicate: no invented -EIO, and its answer is reused at the unwind', () => {
  const list = runFn(BOOL_HELPER('sprocket_pasid_on(s) && !IS_ERR_OR_NULL(sva)'), 'sprocket_open');
  assert.deepEqual(violated(list).map((s) => `${s.name}: ${s.violations.map((v) => v.kind)}`), []);
  for (const s of list) assert.ok(!s.trace.some((t) => /sprocket_pasid_on\(\) fails|test_bit\(\) fails/.test(t.step)), steps(s));
  // Both answers are explored: with and without the bind.
  assert.ok(list.some((s) => s.trace.some((t) => t.step.startsWith('iommu_sva_bind_device'))));
  assert.ok(list.some((s) => !s.trace.some((t) => t.step.startsWith('iommu_sva_bind_device'))));
});

test('near miss: the unwind tests a different flag bit, so a bound PASID can be left behind', () => {
  const text = BOOL_HELPER('test_bit(SPROCKET_OTHER, &s->flags) && !IS_ERR_OR_NULL(sva)');
  assert.ok(violated(runFn(text, 'sprocket_open')).some((s) => s.violations.some((v) => v.kind === 'pasid-leak')));
});

test('set_bit(&flags) is a write: a test_bit decided before it is decided again', () => {
  const text = `
struct sprocket { unsigned long flags; struct iommu_group *grp; };
static int sprocket_claim(struct sprocket *s)
{
	int err;

	if (test_bit(SPROCKET_OWN, &s->flags)) {
		err = iommu_group_claim_dma_owner(s->grp, s);
		if (err)
			return err;
	}
	clear_bit(SPROCKET_OWN, &s->flags);
	err = sprocket_go(s);
	if (err) {
		if (test_bit(SPROCKET_OWN, &s->flags))
			iommu_group_release_dma_owner(s->grp);
		return err;
	}
	return 0;
}
`;
  // After clear_bit the second test is open again: the path that claimed and then skips the release is explored.
  assert.ok(violated(runFn(text, 'sprocket_claim')).some((s) => s.violations.some((v) => v.kind === 'left-owned')));
});

// ───────────── a call's result and errno compares ─────────────
test('ret bound to a succeeding attach is not also -EMEDIUMTYPE; one value against two errnos stays consistent', () => {
  const text = `
struct cog { struct iommu_domain *dom; struct iommu_group *grp; };
static int cog_bind(struct cog *c)
{
	int ret;

	c->dom = iommu_paging_domain_alloc(cog_dev(c));
	if (IS_ERR(c->dom))
		return PTR_ERR(c->dom);
	ret = iommu_attach_group(c->dom, c->grp);
	if (ret == -EMEDIUMTYPE) {
		iommu_domain_free(c->dom);
		return cog_fallback(c);
	}
	if (ret == -ENODEV)
		goto out_free;
	if (ret)
		goto out_free;
	return 0;
out_free:
	iommu_domain_free(c->dom);
	return ret;
}
`;
  const list = runFn(text, 'cog_bind');
  for (const s of list) {
    const attached = s.trace.findIndex((t) => t.step.startsWith('iommu_attach_group') && t.result === '0');
    if (attached < 0) continue;
    assert.ok(!s.trace.slice(attached).some((t) => t.step.startsWith('iommu_domain_free')), `a path whose attach succeeded frees the domain:\n${steps(s)}`);
  }
});

// ───────────── a field set in one function, tested in another ─────────────
const FIELD = (deinitTest: string) => `
struct widget { bool no_smmu; struct device *fwdev; struct iommu_domain *dom; };
static int widget_fw_init(struct widget *w)
{
	struct iommu_domain *dom;
	int ret;

	if (!widget_has_fw_node(w)) {
		w->no_smmu = true;
		return 0;
	}
	dom = iommu_paging_domain_alloc(w->fwdev);
	if (IS_ERR(dom))
		return PTR_ERR(dom);
	ret = iommu_attach_device(dom, w->fwdev);
	if (ret) {
		iommu_domain_free(dom);
		return ret;
	}
	w->dom = dom;
	return 0;
}
static void widget_fw_deinit(struct widget *w)
{
	if (${deinitTest})
		return;
	iommu_detach_device(w->dom, w->fwdev);
	iommu_domain_free(w->dom);
}
static int widget_probe(struct platform_device *pdev)
{
	struct widget *w;
	int ret;

	w = devm_kzalloc(&pdev->dev, sizeof(*w), GFP_KERNEL);
	if (!w)
		return -ENOMEM;
	platform_set_drvdata(pdev, w);
	ret = widget_fw_init(w);
	if (ret)
		return ret;
	ret = widget_irq_setup(w);
	if (ret)
		goto err_fw;
	return 0;
err_fw:
	widget_fw_deinit(w);
	return ret;
}
static void widget_remove(struct platform_device *pdev)
{
	struct widget *w = platform_get_drvdata(pdev);

	widget_fw_deinit(w);
}
static struct platform_driver widget_driver = {
	.probe = widget_probe,
	.remove = widget_remove,
	.driver = { .name = "widget" },
};
module_platform_driver(widget_driver);
`;

test('a field only set on the path that attached nothing decides the helper that detaches (error unwind and remove)', () => {
  const list = runDriver(FIELD('w->no_smmu'));
  assert.deepEqual(violated(list).map((s) => `${s.name}: ${s.violations.map((v) => v.message).join('; ')}`), []);
  // The detach runs inside the helper on the caller's unwind path.
  assert.ok(list.some((s) => s.outcome === 'probe-failed' && s.trace.some((t) => t.step.startsWith('iommu_detach_device'))));
});

test('near miss: the helper returns early on a field that is set when the domain WAS attached', () => {
  const text = FIELD('w->dom').replace('w->no_smmu = true;', 'w->no_smmu = true;').replace('\tdom = iommu_paging_domain_alloc', '\tdom = iommu_paging_domain_alloc');
  const list = runDriver(text);
  assert.ok(violated(list).some((s) => s.violations.some((v) => v.kind === 'left-private-domain')), list.map((s) => s.name).join('\n'));
});

test('a private-data field set through one name is read through another (same field path)', () => {
  const text = FIELD('wd->no_smmu')
    .replace('static void widget_fw_deinit(struct widget *w)\n{', 'static void widget_fw_deinit(struct widget *w)\n{\n\tstruct widget *wd = widget_priv(w);\n')
    .replace('iommu_detach_device(w->dom, w->fwdev);', 'iommu_detach_device(wd->dom, wd->fwdev);');
  const list = runDriver(text);
  assert.deepEqual(violated(list).map((s) => `${s.name}: ${s.violations.map((v) => v.message).join('; ')}`), []);
  assert.ok(list.some((s) => s.trace.some((t) => t.step.startsWith('iommu_detach_device'))));
});

// ───────────── a helper that releases on the unwind ─────────────
const HELPER_UNWIND = (undoBody: string) => `
struct pump { struct iommu_group *grp; struct device *dev; };
static int pump_bind_queue(struct pump *p)
{
	int err;

	err = iommu_group_claim_dma_owner(p->grp, p);
	if (err)
		return err;
	err = pump_queue_start(p);
	if (err)
		goto undo;
	return 0;
undo:
	${undoBody}
	return err;
}
static void pump_unbind_queue(struct pump *p)
{
	iommu_group_release_dma_owner(p->grp);
}
static int pump_open(struct pump *p)
{
	int err;

	err = pump_bind_queue(p);
	if (err)
		return err;
	err = pump_ring_alloc(p);
	if (err)
		goto out_unbind;
	return 0;
out_unbind:
	pump_unbind_queue(p);
	return err;
}
`;

test('claims and releases inside helpers count on the caller paths, error unwinds included', () => {
  const list = runFn(HELPER_UNWIND('iommu_group_release_dma_owner(p->grp);'), 'pump_open');
  assert.deepEqual(violated(list).map((s) => s.name), []);
  // The claim itself may fail (the model forks it); every failing path on which it succeeded releases in the helper.
  const claimed = list.filter((s) => s.outcome === 'probe-failed'
    && s.trace.some((t) => t.step.startsWith('iommu_group_claim_dma_owner') && t.result === '0'));
  assert.ok(claimed.length >= 1 && claimed.every((s) => s.trace.some((t) => t.step.startsWith('iommu_group_release_dma_owner'))));
});

test('near miss: the helper forgets its own unwind release', () => {
  const list = runFn(HELPER_UNWIND('pump_queue_stop(p);'), 'pump_open');
  assert.ok(violated(list).some((s) => s.outcome === 'probe-failed' && s.violations.some((v) => v.kind === 'left-owned')));
});

test('a helper that attaches and returns the address of its object is not an error pointer to the caller', () => {
  const text = (ret: string) => `
struct lens { struct iommu_domain *dom; int base; };
static int *lens_new(struct device *dev)
{
	struct lens *l;
	int ret;

	l = kzalloc(sizeof(*l), GFP_KERNEL);
	if (!l)
		return ERR_PTR(-ENOMEM);
	l->dom = iommu_paging_domain_alloc(dev);
	if (IS_ERR(l->dom))
		return ERR_CAST(l->dom);
	ret = iommu_attach_device(l->dom, dev);
	if (ret)
		return ERR_PTR(ret);
	return ${ret};
}
static int *lens_gpu_new(struct device *dev)
{
	int *m;

	m = lens_new(dev);
	if (IS_ERR_OR_NULL(m))
		return m;
	lens_set_stall(m);
	return m;
}
`;
  const ok = runFn(text('&l->base'), 'lens_gpu_new');
  assert.deepEqual(violated(ok).filter((s) => s.outcome === 'probe-failed').map((s) => s.name), []);
  // Near miss: a helper returning an unknown pointer may hand back an error after attaching; that exit leaks.
  const unknownRet = runFn(text('lens_lookup(l)'), 'lens_gpu_new');
  assert.ok(violated(unknownRet).some((s) => s.outcome === 'probe-failed' && s.violations.some((v) => v.kind === 'left-private-domain')));
});

// ───────────── a long probe: no silent cap ─────────────
/** A probe with `exits` error exits unwinding in reverse; exit `wrongLabel` (if any) jumps past the release. */
function longProbe(exits: number, wrongLabel?: number): string {
  const steps: string[] = [];
  const labels: string[] = [];
  for (let i = 0; i < exits; i++) {
    steps.push(`\tret = gizmo_stage${i}_init(g);`, '\tif (ret)', `\t\tgoto ${i === wrongLabel ? 'out' : `err_stage${i}`};`);
    if (i % 3 === 0) steps.push(`\tif (g->quirks & GIZMO_QUIRK${i})`, `\t\tgizmo_quirk${i}(g);`);
  }
  for (let i = exits - 1; i >= 0; i--) {
    labels.push(`err_stage${i}:`);
    if (i > 0) labels.push(`\tgizmo_stage${i - 1}_exit(g);`);
  }
  return `
struct gizmo { struct iommu_group *grp; unsigned int quirks; };
static int gizmo_probe(struct pci_dev *pdev, const struct pci_device_id *id)
{
	struct gizmo *g = gizmo_alloc(pdev);
	int ret;

	ret = iommu_group_claim_dma_owner(g->grp, g);
	if (ret)
		return ret;
${steps.join('\n')}
	return 0;
${labels.join('\n')}
	iommu_group_release_dma_owner(g->grp);
out:
	return ret;
}
static void gizmo_remove(struct pci_dev *pdev)
{
	struct gizmo *g = pci_get_drvdata(pdev);

	iommu_group_release_dma_owner(g->grp);
}
static struct pci_driver gizmo_driver = {
	.probe = gizmo_probe,
	.remove = gizmo_remove,
	.driver_managed_dma = true,
};
module_pci_driver(gizmo_driver);
`;
}

test('a probe with 30 error exits (and optional quirk branches) is explored in full, without a budget note', () => {
  const list = runDriver(longProbe(30));
  assert.ok(list.some((s) => s.outcome === 'ok'), 'the success path reaches remove');
  assert.ok(list.some((s) => s.outcome === 'probe-failed'));
  assert.deepEqual(violated(list).map((s) => s.name), []);
  assert.ok(list.every((s) => s.budget === undefined), list.find((s) => s.budget)?.budget);
});

for (const wrong of [0, 15, 29]) {
  test(`near miss: error exit ${wrong} of the long probe jumps past the release, and is found`, () => {
    const list = runDriver(longProbe(30, wrong));
    const leak = violated(list).find((s) => s.outcome === 'probe-failed' && s.violations.some((v) => v.kind === 'left-owned'));
    assert.ok(leak, list.map((s) => s.name).join('\n'));
    assert.match(leak.name, /\(goto out\)/);
    assert.ok(list.every((s) => s.budget === undefined));
  });
}

test('when a budget is still hit, every scenario of the run says where', () => {
  // 14 independent optional branches before a claim, each read again after it: 2^14 distinct states cannot all be kept.
  const branches = Array.from({ length: 14 }, (_, i) => `\tif (gizmo_opt${i}(g))\n\t\tg->opt${i} = 1;`).join('\n');
  const uses = Array.from({ length: 14 }, (_, i) => `\tif (g->opt${i})\n\t\tgizmo_use${i}(g);`).join('\n');
  const text = `
struct gizmo { struct iommu_group *grp; ${Array.from({ length: 14 }, (_, i) => `int opt${i};`).join(' ')} };
static int gizmo_open(struct gizmo *g)
{
	int ret;

${branches}
	ret = iommu_group_claim_dma_owner(g->grp, g);
${uses}
	return ret;
}
`;
  const list = runFn(text, 'gizmo_open');
  assert.ok(list.length > 0);
  for (const s of list) assert.match(s.budget ?? '', /(path|work) budget \(\d+ forks per scenario run[^)]*\) in gizmo_open\(\)/);
});
