/** Self-explaining traces: fork and return steps, verdict steps at the end, the while-bound claim and unknown detaches. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { renderTrace, simulateDriver } from '../../src/core/sim';
import type { CFacts, ScenarioResult, ViolationKind } from '../../src/core/types';
import { Prog, driver, facts, fn, int, isErr, not, truthy, varOf } from './sim-builders';

const kinds = (s: ScenarioResult): ViolationKind[] => s.violations.map((x) => x.kind);
const last = (s: ScenarioResult) => s.trace[s.trace.length - 1];
const dump = (s: ScenarioResult) => s.trace.map((t) => `${t.step} = ${t.result}`).join('\n');

/** probe (from line 10): claim, `ret = npu_hw_init(); if (ret) return ret;`, return 0. remove (line 40) releases. */
function leakOnInitFailure(): CFacts {
  const p = new Prog(10)
    .call('iommu_device_claim_dma_owner', ['&pdev->dev', 'npu'], 'ret') // 10
    .ifGoto(not(truthy('ret')), 'claimed') // 11: if (ret)
    .ret(varOf('ret')) // 12
    .label('claimed') // 13
    .call('npu_hw_init', ['npu'], 'ret') // 14
    .ifGoto(not(truthy('ret')), 'done') // 15: if (ret)
    .ret(varOf('ret')) // 16: return ret;  (no release: the leak)
    .label('done') // 17
    .ret(int(0)); // 18
  const remove = new Prog(40).call('iommu_device_release_dma_owner', ['&pdev->dev']).ret(null);
  return facts([fn('npu_probe', p), fn('npu_remove', remove)]);
}

test('a failing path explains itself: the assumed failure at the branch, the return, then the verdict as last step', () => {
  const list = simulateDriver({ target: 'latest', driver: driver({ probe: 'npu_probe', remove: 'npu_remove', flag: 'true' }), facts: leakOnInitFailure(), topology: 'singleton' });
  const failed = list.find((s) => s.outcome === 'probe-failed' && s.trace.some((t) => t.step.includes('npu_hw_init() fails')));
  assert.ok(failed, list.map(dump).join('\n---\n'));
  const fork = failed.trace.find((t) => t.step.includes('npu_hw_init() fails'));
  assert.equal(fork?.step, 'if (ret) — npu_hw_init() fails (assumed -EIO on this path)');
  assert.equal(fork?.result, 'taken');
  assert.equal(fork?.at?.line, 15);
  const ret = failed.trace.find((t) => t.step.startsWith('return'));
  assert.deepEqual([ret?.step, ret?.result, ret?.at?.line], ['return ret', '-EIO', 16]);
  const verdict = last(failed);
  assert.equal(verdict.result, 'left-owned');
  assert.match(verdict.step, /^✗ after the failed probe: grp0 still owned by 'npu' \(owner_cnt=1\) — nothing released the claim taken by iommu_device_claim_dma_owner\(\) at fake\.c:10$/);
  const v = failed.violations.find((x) => x.kind === 'left-owned');
  assert.equal(v?.stepIndex, failed.trace.length - 1, 'the violation points at its verdict step');
  assert.ok(failed.trace.length <= 12, dump(failed));
  // The success path: no fork step for assumed successes, a `return = 0`, and a ✓ verdict after unbind.
  const ok = list.find((s) => s.outcome === 'ok');
  assert.ok(ok);
  assert.ok(!ok.trace.some((t) => t.step.startsWith('if (')), dump(ok));
  assert.ok(ok.trace.some((t) => t.step === 'return' && t.result === '0' && t.at?.line === 18));
  assert.equal(last(ok).result, 'ok');
  assert.match(last(ok).step, /^✓ after unbind: grp0 as found \(owner_cnt=0, owner none, default domain\)/);
  assert.deepEqual(kinds(ok), []);
});

test('a WARN shows as the result of the call that fired it, and the violation points there', () => {
  const remove = fn('fake_remove', new Prog(40).call('iommu_device_release_dma_owner', ['&pdev->dev']).ret(null));
  const probe = fn('fake_probe', new Prog(10).ret(int(0)));
  const list = simulateDriver({ target: 'latest', driver: driver({ probe: 'fake_probe', remove: 'fake_remove', flag: 'true' }), facts: facts([probe, remove]), topology: 'singleton' });
  const s = list[0];
  const v = s.violations.find((x) => x.kind === 'warn');
  assert.ok(v, dump(s));
  const step = s.trace[v.stepIndex];
  assert.match(step.result, /^WARN: /);
  assert.equal(step.at?.line, 40);
  assert.equal(last(s).result, 'as found', 'the group itself ends as found');
});

test('an unbalanced DMA-API count names the call that took it; an unknown condition says so on both sides', () => {
  const probe = fn('fake_probe', new Prog(10)
    .call('iommu_device_use_default_domain', ['&pdev->dev']) // 10: a second count the driver never drops
    .ifGoto(not({ kind: 'unknown', text: 'pdev->revision > 2' }), 'old_rev') // 11: if (pdev->revision > 2) {
    .call('iommu_group_get', ['&pdev->dev'], 'group') // 12: (a step of its own, so the two paths stay two scenarios)
    .ret(int(0)) // 13: }
    .label('old_rev') // 14
    .ret(int(0))); // 15
  const list = simulateDriver({ target: 'latest', driver: driver({ probe: 'fake_probe' }), facts: facts([probe]), topology: 'singleton' });
  assert.equal(list.length, 2);
  for (const s of list) {
    const fork = s.trace.find((t) => t.step.startsWith('if (pdev->revision > 2)'));
    assert.ok(fork && /does not know/.test(fork.step), dump(s));
    const verdict = s.trace.find((t) => t.result === 'leaked-owner-cnt');
    assert.match(verdict?.step ?? '', /^✗ after unbind: owner_cnt of grp0 is 1, was 0: 1 count\(s\) leaked — taken by iommu_device_use_default_domain\(\) at fake\.c:10, never dropped/);
  }
  assert.deepEqual(list.map((s) => s.trace.find((t) => t.step.startsWith('if ('))?.result).sort(), ['not taken', 'taken']);
  // Paths that differ only in how they explain themselves are one scenario.
  const same = fn('fake_probe', new Prog(10).ifGoto(not({ kind: 'unknown', text: 'quirk' }), 'out').label('out').ret(int(0)));
  assert.equal(simulateDriver({ target: 'latest', driver: driver({ probe: 'fake_probe' }), facts: facts([same]), topology: 'singleton' }).length, 1);
});

/** A VFIO-like probe that hands the device to user space. */
function vfioFacts(): CFacts {
  const probe = fn('fake_vfio_probe', new Prog(10).call('vfio_register_group_dev', ['&vdev->vdev'], 'ret').ret(varOf('ret')));
  const remove = fn('fake_vfio_remove', new Prog(40).call('vfio_unregister_group_dev', ['&vdev->vdev']).ret(null));
  return facts([probe, remove]);
}

test('while bound: the refused user-space claim is a claim-failed violation only for a driver that hands its device to user space', () => {
  const run = (opts: { flag?: string; f?: CFacts; topology?: 'singleton' | 'shared-dma-api' }) =>
    simulateDriver({ target: 'latest', driver: driver({ probe: 'fake_vfio_probe', remove: 'fake_vfio_remove', ...(opts.flag ? { flag: opts.flag } : {}) }), facts: opts.f ?? vfioFacts(), topology: opts.topology ?? 'singleton' });
  const bad = run({}).find((s) => s.outcome === 'ok');
  assert.ok(bad);
  const v = bad.violations.find((x) => x.kind === 'claim-failed');
  assert.deepEqual([v?.errno, v?.api], ['-EPERM', 'iommu_group_claim_dma_owner']);
  const step = bad.trace[v?.stepIndex ?? -1];
  assert.match(step.step, /^✗ while bound: user space cannot claim grp0 .*vfio_register_group_dev\(\) at fake\.c:10/);
  assert.equal(bad.trace[(v?.stepIndex ?? 0) - 1].result, '-EPERM', 'right after the trial it explains');
  // With the flag user space can claim; in a group shared with another DMA-API driver the refusal is not this driver's.
  assert.deepEqual(run({ flag: 'true' }).flatMap(kinds), []);
  assert.ok(!run({ topology: 'shared-dma-api' }).flatMap(kinds).includes('claim-failed'));
  // A partial initializer may set the flag where the view does not reach: the trial is shown, nothing is claimed.
  const unseenFlag = { ...driver({ probe: 'fake_vfio_probe', remove: 'fake_vfio_remove' }), managedDma: { state: 'unknown' as const }, complete: false };
  const partial = simulateDriver({ target: 'latest', driver: unseenFlag, facts: vfioFacts(), topology: 'singleton' });
  assert.ok(partial.some((s) => s.trace.some((t) => t.step.startsWith('while bound: user space') && t.result === '-EPERM')));
  assert.ok(!partial.flatMap(kinds).includes('claim-failed'));
  // Precision: an ordinary DMA-API driver (nothing handed to user space) is refused too, and that is by design.
  const plain = facts([fn('fake_vfio_probe', new Prog(10).call('fake_hw_init', [], 'ret').ret(varOf('ret')))]);
  const ordinary = run({ f: plain });
  assert.ok(ordinary.some((s) => s.trace.some((t) => t.step.startsWith('while bound: user space') && t.result === '-EPERM')));
  assert.deepEqual(ordinary.flatMap(kinds), []);
});

/** probe attaches priv->fw_domain; remove detaches priv->domain (never assigned by the replay) and frees fw_domain. */
function wrongFieldDetach(extra: { assignElsewhere?: boolean; complete?: boolean; attachAgain?: boolean; keep?: boolean } = {}): CFacts {
  const probe = fn('fw_probe', new Prog(10)
    .call('iommu_paging_domain_alloc', ['&pdev->dev'], 'priv->fw_domain')
    .ifGoto(isErr('priv->fw_domain'), 'err')
    .call('iommu_attach_device', ['priv->fw_domain', '&pdev->dev'], 'ret')
    .ret(varOf('ret'))
    .label('err').ret(int(-12)));
  const remove = new Prog(40).call('iommu_detach_device', ['priv->domain', '&pdev->dev']);
  if (extra.attachAgain) remove.call('iommu_paging_domain_alloc', ['&pdev->dev'], 'other').call('iommu_attach_device', ['other', '&pdev->dev'], 'ret').call('iommu_detach_device', ['other', '&pdev->dev']).call('iommu_domain_free', ['other']);
  if (!extra.keep) remove.call('iommu_domain_free', ['priv->fw_domain']);
  remove.ret(null);
  const fns = [probe, fn('fw_remove', remove)];
  // A helper no callback reaches (an ioctl, say) that stores the domain in the field.
  if (extra.assignElsewhere) fns.push(fn('fw_switch', new Prog(70).assign('vdev->domain', { kind: 'unknown', text: 'dom' }).ret(int(0))));
  return facts(fns, { complete: extra.complete ?? true });
}

test('detach through a field nothing assigns, in a whole file: the private domain is left attached and then freed', () => {
  const list = simulateDriver({ target: 'latest', driver: driver({ probe: 'fw_probe', remove: 'fw_remove', flag: 'true', bus: 'platform' }), facts: wrongFieldDetach(), topology: 'singleton' });
  const ok = list.find((s) => s.outcome === 'ok');
  assert.ok(ok);
  const detach = ok.trace.find((t) => t.step.startsWith('iommu_detach_device(priv->domain'));
  // Nothing assigns the field: it holds its initial NULL, so WARN_ON(domain != group->domain) fires (6.12 iommu.c:2149).
  assert.match(detach?.warn ?? '', /detaching priv->domain \(never assigned\) but dom\d+\(paging\) is attached/);
  assert.ok(ok.violations.some((x) => x.kind === 'detach-wrong-domain' && ok.trace[x.stepIndex] === detach), dump(ok));
  assert.match(detach?.step ?? '', /never assigned in this file: it cannot be dom\d+\(paging\), which stays attached/);
  const v = ok.violations.find((x) => x.kind === 'use-after-free');
  assert.ok(v, dump(ok));
  assert.match(ok.trace[v.stepIndex].step, /^✗ after unbind: grp0 is left on dom\d+, which was freed — attached by iommu_attach_device\(\) at fake\.c:12, priv->domain, detached at fake\.c:40, is never assigned in this file/);
  // The verdicts close the trace (here also user space's refused claim, as a result of the same leak).
  assert.ok(ok.trace.slice(v.stepIndex).every((t) => t.step.startsWith('✗ ')), dump(ok));
  assert.equal(last(ok).result, 'claim-failed');
  // Not freed: the domain is simply left attached.
  const kept = simulateDriver({ target: 'latest', driver: driver({ probe: 'fw_probe', remove: 'fw_remove', flag: 'true', bus: 'platform' }), facts: wrongFieldDetach({ keep: true }), topology: 'singleton' });
  const left = kept.find((s) => s.outcome === 'ok')?.violations.find((x) => x.kind === 'left-private-domain');
  assert.ok(left);
  assert.match(left.message, /priv->domain, detached at fake\.c:40, is never assigned in this file, so nothing detached it$/);
});

test('detach through an unassigned lvalue that code elsewhere (or unseen code) may set: "may be the same", nothing flagged', () => {
  for (const variant of [{ assignElsewhere: true }, { complete: false }]) {
    const list = simulateDriver({ target: 'latest', driver: driver({ probe: 'fw_probe', remove: 'fw_remove', flag: 'true', bus: 'platform' }), facts: wrongFieldDetach(variant), topology: 'singleton' });
    const ok = list.find((s) => s.outcome === 'ok');
    assert.ok(ok);
    const detach = ok.trace.find((t) => t.step.startsWith('iommu_detach_device(priv->domain'));
    assert.match(detach?.step ?? '', /it may be dom\d+\(paging\), kept attached \(not flagged\)/, JSON.stringify(variant));
    assert.equal(detach?.warn, undefined);
    assert.match(detach?.after ?? '', /dom=dom\d+\(paging\)/, 'not pretending it matched: the domain stays in the state');
    assert.deepEqual(kinds(ok), [], `${JSON.stringify(variant)}\n${dump(ok)}`);
    assert.match(last(ok).step, /^✓ after unbind: .*assuming priv->domain \(detached at fake\.c:40\) was dom\d+/);
  }
  // A later attach is not refused because of the domain that may already be gone.
  const again = simulateDriver({ target: 'latest', driver: driver({ probe: 'fw_probe', remove: 'fw_remove', flag: 'true', bus: 'platform' }), facts: wrongFieldDetach({ complete: false, attachAgain: true }), topology: 'singleton' });
  const ok = again.find((s) => s.outcome === 'ok' && !s.trace.some((t) => t.step.includes('[allocation fails]')));
  assert.ok(ok);
  const attach = ok.trace.find((t) => t.step.startsWith('iommu_attach_device(other'));
  assert.equal(attach?.result, '0', dump(ok));
  assert.match(attach?.step ?? '', /assuming priv->domain, detached at fake\.c:40, was dom\d+/);
  assert.deepEqual(kinds(ok), []);
});

test('renderTrace: verdict steps stand out in markdown and narrative results stay blank', () => {
  const list = simulateDriver({ target: 'latest', driver: driver({ probe: 'npu_probe', remove: 'npu_remove', flag: 'true' }), facts: leakOnInitFailure(), topology: 'singleton' });
  const failed = list.find((s) => s.outcome === 'probe-failed' && s.violations.length > 0);
  assert.ok(failed);
  const md = renderTrace(failed.trace, 'markdown').split('\n');
  assert.equal(md.length, failed.trace.length + 2);
  assert.match(md[md.length - 1], /^\| \d+ \| probe-failure-cleanup \| \*\*✗ after the failed probe: .*\*\* \| \*\*left-owned\*\* \|/);
  const probeRow = md.find((r) => r.includes('`probe: npu_probe()`'));
  assert.match(probeRow ?? '', /\| `probe: npu_probe\(\)` \|  \|/, 'the narrative result "call" is not shown as a value');
  const text = renderTrace(failed.trace, 'text').split('\n');
  assert.match(text[text.length - 1], /✗ after the failed probe: .* {2}left-owned/);
  assert.match(text.find((l) => l.includes('return ret')) ?? '', /return ret\s+-EIO\s+.*fake\.c:16$/);
});

test('runs of lookups that change nothing collapse into one step; violation indexes still point at their steps', () => {
  const probe = fn('fake_probe', new Prog(10)
    .call('iommu_group_get', ['&pdev->dev'], 'group')
    .call('iommu_get_domain_for_dev', ['&pdev->dev'], 'cur')
    .call('iommu_group_put', ['group'])
    .call('iommu_group_claim_dma_owner', ['group', 'priv'], 'ret') // 13: never released
    .ret(varOf('ret')));
  const list = simulateDriver({ target: 'latest', driver: driver({ probe: 'fake_probe', flag: 'true' }), facts: facts([probe]), topology: 'singleton' });
  const ok = list.find((s) => s.outcome === 'ok');
  assert.ok(ok);
  const lookups = ok.trace.filter((t) => /^iommu_group_get|iommu_get_domain_for_dev|iommu_group_put/.test(t.step));
  assert.equal(lookups.length, 1, dump(ok));
  assert.match(lookups[0].step, /^iommu_group_get\(&pdev->dev\), iommu_get_domain_for_dev\(&pdev->dev\), iommu_group_put\(group\) — lookups, no effect on the group$/);
  assert.equal(lookups[0].at?.line, 10);
  const v = ok.violations.find((x) => x.kind === 'left-owned');
  assert.ok(v);
  assert.equal(ok.trace[v.stepIndex].result, 'left-owned');
  assert.match(ok.trace[v.stepIndex].step, /claim taken by iommu_group_claim_dma_owner\(\) at fake\.c:13/);
});

test('a state that ends as found after an earlier WARN is not ticked: the last step points back at the WARN', () => {
  const remove = fn('fake_remove', new Prog(40).call('iommu_device_release_dma_owner', ['&pdev->dev']).ret(null));
  const probe = fn('fake_probe', new Prog(10).ret(int(0)));
  const list = simulateDriver({ target: 'latest', driver: driver({ probe: 'fake_probe', remove: 'fake_remove', flag: 'true' }), facts: facts([probe, remove]), topology: 'singleton' });
  const s = list[0];
  const warn = s.violations.find((x) => x.kind === 'warn');
  assert.ok(warn);
  assert.equal(last(s).result, 'as found');
  assert.equal(last(s).step, `after unbind: grp0 as found (owner_cnt=0, owner none, default domain) — but see step ${warn.stepIndex + 1} (warn)`);
});
