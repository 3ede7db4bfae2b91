/** Device identity: devices the driver creates are other devices, with their own IOMMU groups. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createdDeviceKey, createdDevices, simulateDriver } from '../../src/core/sim';
import type { ScenarioResult } from '../../src/core/types';
import { Prog, driver, facts, fn, int, isErr, truthy, varOf } from './sim-builders';

const kinds = (s: ScenarioResult) => s.violations.map((x) => x.kind);

/** probe creates a firmware child, stores it in priv->fwc.dev and attaches a domain to it; remove undoes it (or not). */
function childFacts(opts: { detach: boolean; unregister: boolean }) {
  const probe = fn('fake_probe', new Prog()
    .call('platform_device_register_full', ['&info'], 'child')
    .ifGoto(isErr('child'), 'out_err')
    .assign('priv->fwc.dev', varOf('&child->dev'))
    .call('iommu_paging_domain_alloc', ['priv->fwc.dev'], 'priv->fwc.domain')
    .ifGoto(isErr('priv->fwc.domain'), 'out_unreg_only')
    .call('iommu_attach_device', ['priv->fwc.domain', 'priv->fwc.dev'], 'ret')
    .ifGoto(truthy('ret'), 'out_unreg')
    .ret(int(0))
    .label('out_unreg').call('iommu_domain_free', ['priv->fwc.domain']).call('platform_device_unregister', ['child']).ret(varOf('ret'))
    .label('out_unreg_only').call('platform_device_unregister', ['child']).ret(int(-12))
    .label('out_err').ret(int(-12)));
  const remove = new Prog(60);
  if (opts.detach) remove.call('iommu_detach_device', ['priv->fwc.domain', 'priv->fwc.dev']);
  if (opts.unregister) remove.call('platform_device_unregister', ['to_platform_device(priv->fwc.dev)']);
  remove.ret(null);
  return facts([probe, fn('fake_remove', remove)]);
}

test('a domain attached to a device the driver created goes to that device\'s own group, not the bound device\'s', () => {
  const list = simulateDriver({ target: 'latest', driver: driver({ probe: 'fake_probe', remove: 'fake_remove' }), facts: childFacts({ detach: true, unregister: true }), topology: 'singleton' });
  const ok = list.find((s) => s.outcome === 'ok');
  assert.ok(ok);
  const attach = ok.trace.find((t) => t.step.startsWith('iommu_attach_device('));
  assert.match(attach?.after ?? '', /^grp-child\d+\{cnt=0 owner=- dom=dom\d+\(paging\)/);
  // The bound device's group only ever sees the bus's DMA-API count.
  const probeSteps = ok.trace.filter((t) => t.phase === 'probe' && /^grp0/.test(t.after ?? ''));
  assert.ok(probeSteps.length > 0 && probeSteps.every((t) => /dom=default/.test(t.after ?? '')));
  for (const s of list) assert.deepEqual(kinds(s), [], s.name);
  // The attach's forced failure unwinds through the driver's own error path.
  assert.ok(list.some((s) => s.outcome === 'probe-failed' && s.errno === '-EINVAL'));
});

test('a created device left registered on a private domain is reported; unregistering it takes its group away', () => {
  const leaky = simulateDriver({ target: 'latest', driver: driver({ probe: 'fake_probe', remove: 'fake_remove' }), facts: childFacts({ detach: false, unregister: false }), topology: 'singleton' });
  const ok = leaky.find((s) => s.outcome === 'ok');
  assert.deepEqual(ok && kinds(ok), ['left-private-domain']);
  assert.match(ok?.violations[0].message ?? '', /created by the driver/);
  const unregistered = simulateDriver({ target: 'latest', driver: driver({ probe: 'fake_probe', remove: 'fake_remove' }), facts: childFacts({ detach: false, unregister: true }), topology: 'singleton' });
  for (const s of unregistered) assert.deepEqual(kinds(s), [], s.name);
});

test('createdDevices: created handles flow through assignments to members; the driver\'s own device is not created', () => {
  const f = childFacts({ detach: true, unregister: true });
  const created = createdDevices(f);
  const probe = f.functions[0];
  const remove = f.functions[1];
  assert.ok(createdDeviceKey(created, probe, '&child->dev'));
  assert.equal(createdDeviceKey(created, probe, 'priv->fwc.dev'), createdDeviceKey(created, remove, 'to_platform_device(priv->fwc.dev)'));
  assert.equal(createdDeviceKey(created, probe, '&pdev->dev'), undefined);
  assert.equal(createdDeviceKey(created, probe, 'priv->dev'), undefined);
  // A local named like the creator's result in another function is another variable.
  assert.equal(createdDeviceKey(created, remove, '&child->dev'), undefined);
});

/** host1x-style: use the DMA API when the device already translates, attach an own domain only on IDENTITY / none. */
function passthroughOnlyFacts(detachInRemove: boolean) {
  const ne = (name: string, rhs: string) => ({ kind: 'cmp' as const, subject: { kind: 'var' as const, name }, op: '!=' as const, rhs });
  const probe = fn('fake_probe', new Prog()
    .call('iommu_get_domain_for_dev', ['&pdev->dev'], 'cur')
    .ifGoto({ kind: 'and', left: truthy('cur'), right: ne('cur->type', 'IOMMU_DOMAIN_IDENTITY') }, 'dma_api')
    .call('iommu_group_get', ['&pdev->dev'], 'priv->group')
    .call('iommu_paging_domain_alloc', ['&pdev->dev'], 'priv->domain')
    .ifGoto(isErr('priv->domain'), 'nomem')
    .call('iommu_attach_group', ['priv->domain', 'priv->group'], 'ret')
    .ifGoto(truthy('ret'), 'free')
    .ret(int(0))
    .label('free').call('iommu_domain_free', ['priv->domain']).ret(varOf('ret'))
    .label('nomem').ret(int(-12))
    .label('dma_api').ret(int(0)));
  const remove = new Prog(60);
  if (detachInRemove) remove.ifGoto({ kind: 'not', cond: truthy('priv->domain') }, 'out').call('iommu_detach_group', ['priv->domain', 'priv->group']).label('out');
  remove.ret(null);
  return facts([probe, fn('fake_remove', remove)]);
}

test('default-domain kind is a dimension: a driver that attaches only on IDENTITY / no default domain is exercised', () => {
  const run = (detach: boolean, target: 'latest' | '6.2') => simulateDriver({ target, driver: driver({ probe: 'fake_probe', remove: 'fake_remove', bus: 'platform' }), facts: passthroughOnlyFacts(detach), topology: 'singleton' });
  const good = run(true, '6.2');
  const attached = good.filter((s) => s.trace.some((t) => t.step.startsWith('iommu_attach_group(') && t.result === '0'));
  assert.ok(attached.some((s) => /IDENTITY default domain/.test(s.name)), good.map((s) => s.name).join('; '));
  assert.ok(attached.some((s) => /no default domain/.test(s.name)), 'before 6.15 a group may have no default domain');
  assert.ok(!attached.some((s) => !/IDENTITY|no default/.test(s.name)), 'on a DMA default domain the driver uses the DMA API');
  for (const s of good) assert.deepEqual(kinds(s), [], s.name);
  // 6.15+: no "no default domain" scenario (the bind defers until the group has one).
  assert.ok(!run(true, 'latest').some((s) => /no default domain/.test(s.name)));
  // Forgetting the detach is only visible in the IDENTITY / none scenarios.
  const bad = run(false, 'latest').filter((s) => kinds(s).includes('left-private-domain'));
  assert.ok(bad.length > 0 && bad.every((s) => /IDENTITY default domain/.test(s.name)));
});

test('feature enable forks: the PASID path behind iommu_dev_enable_feature() success is replayed, and its failure too', () => {
  const probe = fn('fake_probe', new Prog()
    .call('iommu_dev_enable_feature', ['&pdev->dev', 'IOMMU_DEV_FEAT_SVA'], 'ret')
    .ifGoto(truthy('ret'), 'no_sva')
    .call('iommu_paging_domain_alloc', ['&pdev->dev'], 'priv->pdom')
    .ifGoto(isErr('priv->pdom'), 'no_dom')
    .call('iommu_attach_device_pasid', ['priv->pdom', '&pdev->dev', '7', 'NULL'], 'ret')
    .ifGoto(truthy('ret'), 'no_attach')
    .ret(int(0))
    .label('no_attach').call('iommu_domain_free', ['priv->pdom'])
    .label('no_dom').call('iommu_dev_disable_feature', ['&pdev->dev', 'IOMMU_DEV_FEAT_SVA'])
    .label('no_sva').ret(int(0)));
  const remove = fn('fake_remove', new Prog(60).call('iommu_detach_device_pasid', ['priv->pdom', '&pdev->dev', '7']).ret(null));
  const list = simulateDriver({ target: 'latest', driver: driver({ probe: 'fake_probe', remove: 'fake_remove' }), facts: facts([probe, remove]), topology: 'singleton' });
  const enabled = list.filter((s) => s.trace.some((t) => t.step.startsWith('iommu_dev_enable_feature(') && t.result === '0'));
  assert.ok(enabled.some((s) => s.trace.some((t) => t.step.startsWith('iommu_attach_device_pasid(') && t.result === '0')));
  const refused = list.filter((s) => s.trace.some((t) => t.step.includes('iommu_dev_enable_feature(') && t.result === '-ENODEV'));
  assert.ok(refused.length > 0 && refused.every((s) => !s.trace.some((t) => t.step.startsWith('iommu_attach_device_pasid('))));
  // The unconditional detach in remove runs on a path where nothing was attached (feature refused): on 6.12+ that is
  // no WARN (the entry is erased, nothing held), so every scenario stays clean.
  for (const s of list) assert.deepEqual(kinds(s), [], s.name);
});

test('test_remove re-probe failures are real exits: cleanup then devres (6.6+), a leaked count before 6.6', () => {
  const probe = fn('fake_probe', new Prog().call('fake_hw_init', ['pdev'], 'ret').ifGoto(truthy('ret'), 'out').ret(int(0)).label('out').ret(varOf('ret')));
  const input = { driver: driver({ probe: 'fake_probe' }), facts: facts([probe]), topology: 'singleton' as const, testRemove: true };
  const latest = simulateDriver({ ...input, target: 'latest' }).filter((s) => /test_remove re-probe fails/.test(s.name));
  assert.ok(latest.length > 0);
  for (const s of latest) assert.deepEqual(kinds(s), [], s.name);
  // Before 6.6 the test_remove path skipped dma_cleanup: the failed re-probe's cleanup leaves the first bind's count.
  const old = simulateDriver({ ...input, target: '6.2' }).filter((s) => /test_remove re-probe fails/.test(s.name));
  assert.ok(old.length > 0 && old.every((s) => kinds(s).includes('leaked-owner-cnt')), old.map((s) => s.name).join('; '));
});
