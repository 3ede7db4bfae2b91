/**
 * Error unwinds and teardown paths of whole files (issue 10, whole-file mutation recall): small C programs written for
 * these tests, compiled by the C layer and replayed. Each pattern has a correct variant and a near miss that is a bug.
 */
import { before, test } from 'node:test';
import assert from 'node:assert/strict';
import { extractFacts, initC } from '../../src/core/c';
import { loadWasmForNode } from '../../src/core/c/node-wasm';
import { simulateFunction } from '../../src/core/sim';
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
