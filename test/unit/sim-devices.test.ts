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
