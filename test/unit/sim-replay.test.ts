/** Scenario tests: hand-built programs replayed through the driver-core lifecycle and bus hooks. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { simulateDriver, simulateFunction } from '../../src/core/sim';
import type { Cond, ScenarioResult, ViolationKind } from '../../src/core/types';
import { Prog, driver, facts, fn, int, isErr, not, truthy, varOf } from './sim-builders';

const kinds = (s: ScenarioResult): ViolationKind[] => s.violations.map((x) => x.kind);
const okScenario = (list: ScenarioResult[]) => {
  const ok = list.filter((s) => s.outcome === 'ok');
  assert.ok(ok.length >= 1, `no ok scenario in ${list.map((s) => s.name).join('; ')}`);
  return ok[0];
};
const or = (left: Cond, right: Cond): Cond => ({ kind: 'or', left, right });

/** probe: register with a VFIO-like core; nothing else. */
function vfioLikeFacts() {
  const probe = fn('fake_vfio_probe', new Prog().call('vfio_pci_core_register_device', ['&vdev->core_device'], 'ret')
    .ifGoto(truthy('ret'), 'out').ret(int(0)).label('out').ret(varOf('ret')));
  const remove = fn('fake_vfio_remove', new Prog(40).call('vfio_pci_core_unregister_device', ['&vdev->core_device']).ret(null));
  return facts([probe, remove]);
}

test('VFIO-like driver without the flag blocks user-space claims of its group (-EPERM while bound)', () => {
  const list = simulateDriver({ target: 'latest', driver: driver({ probe: 'fake_vfio_probe', remove: 'fake_vfio_remove' }), facts: vfioLikeFacts(), topology: 'singleton' });
  const ok = okScenario(list);
  const trial = ok.trace.find((s) => s.step.startsWith('while bound'));
  assert.equal(trial?.result, '-EPERM');
  assert.equal(trial?.before, 'grp0{cnt=1 owner=- dom=default pasids=0}');
  // It hands its device to user space yet bound as a DMA-API user: the refused trial is the violation (errno kept).
  const refused = ok.violations.find((x) => x.kind === 'claim-failed');
  assert.equal(refused?.errno, '-EPERM');
  assert.deepEqual(kinds(ok), ['claim-failed'], 'otherwise a balanced DMA-API driver leaves nothing behind');
});

test('the same driver with driver_managed_dma = true lets user space claim the group while bound', () => {
  const list = simulateDriver({ target: 'latest', driver: driver({ probe: 'fake_vfio_probe', remove: 'fake_vfio_remove', flag: 'true' }), facts: vfioLikeFacts(), topology: 'singleton' });
  const ok = okScenario(list);
  assert.equal(ok.trace.find((s) => s.step.startsWith('while bound'))?.result, '0');
  assert.ok(ok.trace.some((s) => s.step.includes('sets the ownership flag')));
});

test('a VFIO-like driver claiming its group itself without the flag gets -EPERM (error-return)', () => {
  const probe = fn('fake_probe', new Prog().call('iommu_group_get', ['&pdev->dev'], 'group').call('iommu_group_claim_dma_owner', ['group', 'vdev'], 'ret')
    .ifGoto(truthy('ret'), 'out').ret(int(0)).label('out').ret(varOf('ret')));
  const list = simulateDriver({ target: '6.2', driver: driver({ probe: 'fake_probe' }), facts: facts([probe]), topology: 'singleton' });
  assert.equal(list.length, 1);
  assert.equal(list[0].outcome, 'probe-failed');
  assert.equal(list[0].errno, '-EPERM');
  const v = list[0].violations.find((x) => x.kind === 'error-return');
  assert.equal(v?.errno, '-EPERM');
  assert.equal(v?.api, 'iommu_group_claim_dma_owner');
  assert.match(list[0].name, /probe fails at line \d+ \(goto out\)/);
});

test('a PASID detached from a devm action leaks the count: unuse WARNs at dma_cleanup, VFIO later -EPERM', () => {
  const probe = fn('fake_probe', new Prog()
    .call('iommu_paging_domain_alloc', ['&pdev->dev'], 'priv->domain')
    .ifGoto(isErr('priv->domain'), 'err')
    .call('iommu_attach_device_pasid', ['priv->domain', '&pdev->dev', 'priv->pasid', 'NULL'], 'ret')
    .ifGoto(truthy('ret'), 'out')
    .call('devm_add_action_or_reset', ['&pdev->dev', 'fake_pasid_release', 'priv'], 'ret')
    .label('out').ret(varOf('ret'))
    .label('err').ret({ kind: 'ptrErr', subject: { kind: 'var', name: 'priv->domain' } }));
  const release = fn('fake_pasid_release', new Prog(50).call('iommu_detach_device_pasid', ['priv->domain', 'priv->dev', 'priv->pasid']).ret(null),
    [{ name: 'data', type: 'void *' }]);
  const list = simulateDriver({ target: 'latest', driver: driver({ probe: 'fake_probe' }), facts: facts([probe, release]), topology: 'singleton' });
  const ok = okScenario(list);
  const unuse = ok.trace.findIndex((s) => s.phase === 'unbind' && s.step.includes('iommu_device_unuse_default_domain'));
  assert.ok(unuse >= 0);
  assert.match(ok.trace[unuse].result, /^WARN: 1 PASID/);
  assert.equal(ok.trace[unuse].after, 'grp0{cnt=1 owner=- dom=default pasids=1}');
  const devres = ok.trace.findIndex((s) => s.phase === 'devres' && s.step.startsWith('iommu_detach_device_pasid'));
  assert.ok(devres > unuse, 'the devm action runs after dma_cleanup');
  assert.deepEqual(new Set(kinds(ok)), new Set<ViolationKind>(['warn', 'leaked-owner-cnt', 'claim-failed']));
  assert.equal(ok.violations.find((x) => x.kind === 'claim-failed')?.errno, '-EPERM');
  // The allocation-failure fork fails probe cleanly, and so does the fork where the IOMMU driver refuses the attach.
  const failed = list.find((s) => s.outcome === 'probe-failed' && s.errno === '-ENOMEM');
  assert.ok(failed);
  assert.deepEqual(kinds(failed), []);
  const refused = list.find((s) => s.outcome === 'probe-failed' && s.errno === '-EINVAL');
  assert.ok(refused?.trace.some((t) => t.step.includes('iommu_attach_device_pasid') && t.step.includes('[the call fails]')));
  assert.deepEqual(refused && kinds(refused), []);
});

test('detaching the PASID in .remove instead keeps the count balanced', () => {
  const probe = fn('fake_probe', new Prog()
    .call('iommu_paging_domain_alloc', ['&pdev->dev'], 'priv->domain').ifGoto(isErr('priv->domain'), 'err')
    .call('iommu_attach_device_pasid', ['priv->domain', '&pdev->dev', '1', 'NULL'], 'ret').ret(varOf('ret'))
    .label('err').ret(int(-12)));
  const remove = fn('fake_remove', new Prog(40).call('iommu_detach_device_pasid', ['priv->domain', '&pdev->dev', '1'])
    .call('iommu_domain_free', ['priv->domain']).ret(null));
  const list = simulateDriver({ target: 'latest', driver: driver({ probe: 'fake_probe', remove: 'fake_remove' }), facts: facts([probe, remove]), topology: 'singleton' });
  for (const s of list) assert.deepEqual(kinds(s), [], s.name);
});

test('test_remove re-probe before 6.6 runs dma_configure twice: owner_cnt stuck at 2, then 1 leaked', () => {
  const probe = fn('fake_probe', new Prog().call('pci_enable_device', ['pdev'], 'ret').ret(varOf('ret')));
  const input = { driver: driver({ probe: 'fake_probe' }), facts: facts([probe]), topology: 'singleton' as const, testRemove: true };
  const old = okScenario(simulateDriver({ ...input, target: '6.2' }));
  const reprobe = old.trace.filter((s) => s.phase === 'test-remove' && s.step.includes('iommu_device_use_default_domain'));
  assert.equal(reprobe.length, 1);
  assert.equal(reprobe[0].after, 'grp0{cnt=2 owner=- dom=default pasids=0}');
  assert.ok(kinds(old).includes('leaked-owner-cnt'));
  assert.ok(kinds(old).includes('claim-failed'));
  const fixed = okScenario(simulateDriver({ ...input, target: 'latest' }));
  assert.deepEqual(kinds(fixed), []);
});

test('CDX quirk: an -EBUSY from use_default_domain is swallowed and the later cleanup drops the user\'s count', () => {
  const probe = fn('fake_cdx_probe', new Prog().ret(int(0)));
  const cdx = simulateDriver({ target: 'latest', driver: driver({ bus: 'cdx', probe: 'fake_cdx_probe' }), facts: facts([probe]), topology: 'user-owned' });
  assert.equal(cdx.length, 1);
  assert.equal(cdx[0].outcome, 'ok', 'probe continues');
  const swallowed = cdx[0].violations.find((x) => x.kind === 'error-return');
  assert.equal(swallowed?.errno, '-EBUSY');
  assert.ok(kinds(cdx[0]).includes('leaked-owner-cnt'));
  // The same driver on PCI: the bind fails cleanly.
  const pci = simulateDriver({ target: 'latest', driver: driver({ bus: 'pci', probe: 'fake_cdx_probe' }), facts: facts([probe]), topology: 'user-owned' });
  assert.equal(pci.length, 1);
  assert.equal(pci[0].outcome, 'bind-failed');
  assert.equal(pci[0].errno, '-EBUSY');
  assert.deepEqual(kinds(pci[0]), []);
  assert.equal(pci[0].trace[0].phase, 'hotplug');
});

/** A driver-managed driver that claims, allocates, attaches, initialises hardware, with goto-unwind. */
function unwindFacts(balanced: boolean) {
  const prog = new Prog()
    .call('iommu_device_claim_dma_owner', ['&pdev->dev', 'priv'], 'ret').ifGoto(truthy('ret'), 'out')
    .call('iommu_paging_domain_alloc', ['&pdev->dev'], 'priv->domain')
    .ifGoto(not(isErr('priv->domain')), 'alloc_ok')
    .assign('ret', { kind: 'ptrErr', subject: { kind: 'var', name: 'priv->domain' } }).goto('err_release')
    .label('alloc_ok')
    .call('iommu_attach_device', ['priv->domain', '&pdev->dev'], 'ret').ifGoto(truthy('ret'), 'err_free')
    .call('fake_hw_init', ['priv'], 'ret').ifGoto(truthy('ret'), 'err_detach')
    .ret(int(0))
    .label('err_detach').call('iommu_detach_device', ['priv->domain', '&pdev->dev']);
  if (!balanced) prog.call('iommu_domain_free', ['priv->domain']).ret(varOf('ret'));
  prog.label('err_free').call('iommu_domain_free', ['priv->domain'])
    .label('err_release').call('iommu_device_release_dma_owner', ['&pdev->dev'])
    .label('out').ret(varOf('ret'));
  const remove = fn('fake_remove', new Prog(60).call('iommu_detach_device', ['priv->domain', '&pdev->dev']).call('iommu_domain_free', ['priv->domain'])
    .call('iommu_device_release_dma_owner', ['&pdev->dev']).ret(null));
  return facts([fn('fake_probe', prog), remove]);
}

test('goto-unwind replay: a balanced driver has no violation on any fork', () => {
  const list = simulateDriver({ target: 'latest', driver: driver({ probe: 'fake_probe', remove: 'fake_remove', flag: 'true' }), facts: unwindFacts(true), topology: 'singleton' });
  assert.ok(list.some((s) => s.outcome === 'probe-failed' && s.errno === '-ENOMEM'));
  assert.ok(list.length >= 3, list.map((s) => s.name).join('\n'));
  assert.ok(list.some((s) => s.outcome === 'ok'));
  assert.ok(list.some((s) => s.name.includes('goto err_detach')));
  for (const s of list) assert.deepEqual(kinds(s), [], `${s.name}: ${s.violations.map((x) => x.message).join('; ')}`);
});

test('goto-unwind replay: a missing release on one error exit is left-owned on exactly that fork', () => {
  const list = simulateDriver({ target: 'latest', driver: driver({ probe: 'fake_probe', remove: 'fake_remove', flag: 'true' }), facts: unwindFacts(false), topology: 'singleton' });
  const bad = list.filter((s) => kinds(s).includes('left-owned'));
  assert.equal(bad.length, 1, list.map((s) => `${s.name}: ${kinds(s)}`).join('\n'));
  assert.match(bad[0].name, /^singleton: probe fails at line \d+ \(goto err_detach\)$/);
  assert.equal(bad[0].outcome, 'probe-failed');
  assert.equal(bad[0].errno, '-EIO');
  for (const s of list.filter((x) => x !== bad[0])) assert.deepEqual(kinds(s), [], s.name);
});

test('a DMA-API driver cannot bind into a user-owned group; a driver-managed one can', () => {
  const probe = fn('fake_probe', new Prog().ret(int(0)));
  const dmaApi = simulateDriver({ target: '5.19', driver: driver({ probe: 'fake_probe' }), facts: facts([probe]), topology: 'user-owned' });
  assert.equal(dmaApi[0].outcome, 'bind-failed');
  const managed = simulateDriver({ target: '5.19', driver: driver({ probe: 'fake_probe', flag: 'true' }), facts: facts([probe]), topology: 'user-owned' });
  assert.equal(managed[0].outcome, 'ok');
  assert.deepEqual(kinds(managed[0]), []);
});

test('the flag spelling must be valid on the target', () => {
  const probe = fn('fake_probe', new Prog().ret(int(0)));
  const stale = driver({ probe: 'fake_probe', flag: 'true', spelling: 'suppress_auto_claim_dma_owner' });
  assert.equal(simulateDriver({ target: 'latest', driver: stale, facts: facts([probe]), topology: 'user-owned' })[0].outcome, 'bind-failed');
  assert.equal(simulateDriver({ target: 'series-v2', driver: stale, facts: facts([probe]), topology: 'user-owned' })[0].outcome, 'ok');
  const v1 = driver({ probe: 'fake_probe', flag: 'true', spelling: 'suppress_auto_claim_dma_owner', inDeviceDriver: true });
  assert.equal(simulateDriver({ target: 'series-v1', driver: v1, facts: facts([probe]), topology: 'user-owned' })[0].outcome, 'ok');
  assert.equal(simulateDriver({ target: 'series-v2', driver: v1, facts: facts([probe]), topology: 'user-owned' })[0].outcome, 'bind-failed');
});

test('shared-dma-api: a balanced DMA-API driver restores the count; VFIO can claim once everyone left', () => {
  const probe = fn('fake_probe', new Prog().ret(int(0)));
  const list = simulateDriver({ target: 'latest', driver: driver({ probe: 'fake_probe' }), facts: facts([probe]), topology: 'shared-dma-api' });
  assert.equal(list.length, 1);
  const use = list[0].trace.find((s) => s.phase === 'bind');
  assert.equal(use?.after, 'grp0{cnt=2 owner=- dom=default pasids=0}');
  assert.deepEqual(kinds(list[0]), []);
});

test('no visible probe: bind and unbind are still replayed with the bus hooks', () => {
  const list = simulateDriver({ target: 'latest', driver: driver({ probe: 'not_in_facts' }), facts: facts([]), topology: 'singleton' });
  assert.equal(list.length, 1);
  assert.ok(list[0].trace.some((s) => s.step.includes('body not visible')));
  assert.ok(list[0].trace.some((s) => s.phase === 'unbind' && s.step.includes('pci_dma_cleanup')));
  assert.deepEqual(kinds(list[0]), []);
});

test('no-iommu and !CONFIG_IOMMU_API: no conflicts; claims fail -ENODEV', () => {
  const probe = fn('fake_probe', new Prog().ret(int(0)));
  const none = simulateDriver({ target: 'latest', driver: driver({ probe: 'fake_probe' }), facts: facts([probe]), topology: 'no-iommu' });
  assert.deepEqual(kinds(none[0]), []);
  const claim = fn('fake_open', new Prog().call('iommu_device_claim_dma_owner', ['dev', 'ctx'], 'ret').ret(varOf('ret')), [{ name: 'dev', type: 'struct device *' }]);
  const stub = simulateFunction({ target: 'latest', fn: claim, facts: facts([claim]), topology: 'singleton', iommuApi: false });
  assert.equal(stub.length, 1);
  assert.equal(stub[0].errno, '-ENODEV');
});

test('double release in a generic function is reported as double-release', () => {
  const f = fn('fake_close', new Prog().call('iommu_device_claim_dma_owner', ['dev', 'ctx'], 'ret').ifGoto(truthy('ret'), 'out')
    .call('iommu_device_release_dma_owner', ['dev']).call('iommu_device_release_dma_owner', ['dev']).label('out').ret(int(0)),
    [{ name: 'dev', type: 'struct device *' }]);
  const list = simulateFunction({ target: 'latest', fn: f, facts: facts([f]), topology: 'singleton' });
  // The claim of a free group also forks on a failed blocking-domain allocation (6.12 __iommu_take_dma_ownership).
  assert.equal(list.length, 2);
  const claimed = list.filter((s) => !s.trace.some((t) => t.step.includes('[the call fails]')));
  assert.equal(claimed.length, 1);
  assert.deepEqual(kinds(claimed[0]), ['double-release']);
  assert.deepEqual(kinds(list.find((s) => s !== claimed[0])!), []);
});

test('a generic function that fails after claiming must release: left-owned on that exit only', () => {
  const f = fn('fake_bind', new Prog().call('iommu_device_claim_dma_owner', ['dev', 'ictx'], 'rc').ifGoto(truthy('rc'), 'out')
    .call('fake_setup', ['dev'], 'rc').ifGoto(truthy('rc'), 'out').ret(int(0)).label('out').ret(varOf('rc')),
    [{ name: 'dev', type: 'struct device *' }]);
  const list = simulateFunction({ target: '6.2', fn: f, facts: facts([f]), topology: 'singleton' });
  assert.equal(list.length, 3);
  const failing = list.find((s) => s.outcome === 'probe-failed' && !s.trace.some((t) => t.step.includes('[the call fails]')));
  assert.deepEqual(failing && kinds(failing), ['left-owned']);
  // The claim's own failure (blocking domain not allocated) leaves nothing to release.
  const refused = list.find((s) => s.trace.some((t) => t.step.includes('[the call fails]')));
  assert.equal(refused?.errno, '-ENOMEM');
  assert.deepEqual(refused && kinds(refused), []);
  assert.deepEqual(kinds(list.find((s) => s.outcome === 'ok') as ScenarioResult), []);
});

/** bus code: `ret = of_dma_configure(); if (!ret && !drv->driver_managed_dma) ret = use(dev); return ret;` */
function busFacts(swallow: boolean) {
  const configure = fn('fake_dma_configure', new Prog()
    .call('to_fake_driver', ['dev->driver'], 'drv')
    .call('of_dma_configure', ['dev', 'dev->of_node', 'true'], 'ret')
    .ifGoto(or(truthy('ret'), truthy('drv->driver_managed_dma')), 'done')
    .call('iommu_device_use_default_domain', ['dev'], 'ret')
    .label('done').ret(swallow ? int(0) : varOf('ret')), [{ name: 'dev', type: 'struct device *' }]);
  const cleanup = fn('fake_dma_cleanup', new Prog(40)
    .call('to_fake_driver', ['dev->driver'], 'drv')
    .ifGoto(truthy('drv->driver_managed_dma'), 'done').call('iommu_device_unuse_default_domain', ['dev']).label('done').ret(null),
    [{ name: 'dev', type: 'struct device *' }]);
  const busTypes = [{ name: 'fake_bus_type', nameSpan: configure.nameSpan, complete: true, fields: [], dmaConfigure: 'fake_dma_configure', dmaCleanup: 'fake_dma_cleanup' }];
  return { configure, cleanup, f: facts([configure, cleanup], { busTypes }) };
}

test('bus hook balance: configure then cleanup returns owner_cnt to its start, with and without the flag', () => {
  const { configure, f } = busFacts(false);
  for (const managed of [false, true]) {
    const list = simulateFunction({ target: 'latest', fn: configure, facts: f, topology: 'singleton', role: { kind: 'dma_configure', driverManagedDma: managed } });
    assert.ok(list.some((s) => s.outcome === 'ok'));
    for (const s of list) assert.deepEqual(kinds(s), [], `${managed}: ${s.name}`);
    const ok = list.find((s) => s.outcome === 'ok') as ScenarioResult;
    assert.equal(ok.trace.some((s) => s.step.startsWith('iommu_device_use_default_domain')), !managed);
  }
});

test('bus hook that swallows the use_default_domain error is flagged (user-owned group)', () => {
  const { configure, f } = busFacts(true);
  const list = simulateFunction({ target: 'latest', fn: configure, facts: f, topology: 'user-owned', role: { kind: 'dma_configure', driverManagedDma: false } });
  const ok = list.filter((s) => s.outcome === 'ok');
  const swallowed = ok.find((s) => s.violations.some((x) => x.kind === 'error-return' && x.errno === '-EBUSY'));
  assert.ok(swallowed, list.map((s) => `${s.name}: ${kinds(s)}`).join('\n'));
  assert.ok(kinds(swallowed).includes('leaked-owner-cnt'));
  const honest = simulateFunction({ target: 'latest', fn: busFacts(false).configure, facts: busFacts(false).f, topology: 'user-owned', role: { kind: 'dma_configure', driverManagedDma: false } });
  for (const s of honest) assert.deepEqual(kinds(s), [], s.name);
});

test('a dma_cleanup that unuses without checking the flag drops a count it never took', () => {
  const cleanup = fn('bad_dma_cleanup', new Prog().call('iommu_device_unuse_default_domain', ['dev']).ret(null), [{ name: 'dev', type: 'struct device *' }]);
  const list = simulateFunction({ target: 'latest', fn: cleanup, facts: facts([cleanup]), topology: 'singleton', role: { kind: 'dma_cleanup', driverManagedDma: true } });
  assert.equal(list.length, 1);
  assert.ok(kinds(list[0]).includes('warn'));
  const shared = simulateFunction({ target: 'latest', fn: cleanup, facts: facts([cleanup]), topology: 'shared-dma-api', role: { kind: 'dma_cleanup', driverManagedDma: true } });
  assert.ok(kinds(shared[0]).includes('leaked-owner-cnt'));
});

test('helpers of the same file are inlined (depth-limited, no recursion)', () => {
  const helper = fn('fake_setup_iommu', new Prog(70).call('iommu_device_claim_dma_owner', ['dev', 'priv'], 'ret').ret(varOf('ret')), [{ name: 'dev', type: 'struct device *' }]);
  const loop = fn('fake_loop', new Prog(80).call('fake_loop', []).ret(int(0)));
  const probe = fn('fake_probe', new Prog().call('fake_loop', []).call('fake_setup_iommu', ['&pdev->dev'], 'ret').ret(varOf('ret')));
  const list = simulateDriver({ target: 'latest', driver: driver({ probe: 'fake_probe', flag: 'true' }), facts: facts([probe, helper, loop]), topology: 'singleton' }).filter((s) => s.outcome === 'ok');
  assert.equal(list.length, 1);
  const claim = list[0].trace.find((s) => s.step.startsWith('iommu_device_claim_dma_owner'));
  assert.equal(claim?.at?.line, 70);
  assert.ok(kinds(list[0]).includes('left-owned'), 'no .remove releases the claim');
});

test('stale series names have no effect on a merged target but run on their posting', () => {
  const probe = fn('fake_probe', new Prog().call('iommu_device_set_dma_owner', ['dev', 'DMA_OWNER_USER', 'priv'], 'ret').ret(varOf('ret')));
  const merged = simulateDriver({ target: 'latest', driver: driver({ probe: 'fake_probe', flag: 'true' }), facts: facts([probe]), topology: 'singleton' });
  assert.ok(merged[0].trace.some((s) => s.result === 'n/a'));
  assert.deepEqual(kinds(merged[0]), []);
  const v1 = simulateDriver({ target: 'series-v1', driver: driver({ probe: 'fake_probe', flag: 'true', spelling: 'suppress_auto_claim_dma_owner', inDeviceDriver: true }), facts: facts([probe]), topology: 'singleton' });
  assert.ok(kinds(v1[0]).includes('left-owned'));
});

test('an error exit that forgets to set ret returns 0 after releasing: remove then detaches an ERR_PTR domain', () => {
  const probe = fn('fake_probe', new Prog()
    .call('iommu_device_claim_dma_owner', ['&pdev->dev', 'priv'], 'ret').ifGoto(truthy('ret'), 'out')
    .call('iommu_paging_domain_alloc', ['&pdev->dev'], 'priv->domain').ifGoto(isErr('priv->domain'), 'err_release')
    .call('iommu_attach_device', ['priv->domain', '&pdev->dev'], 'ret').ret(varOf('ret'))
    .label('err_release').call('iommu_device_release_dma_owner', ['&pdev->dev']).label('out').ret(varOf('ret')));
  const remove = fn('fake_remove', new Prog(60).call('iommu_detach_device', ['priv->domain', '&pdev->dev']).call('iommu_device_release_dma_owner', ['&pdev->dev']).ret(null));
  const list = simulateDriver({ target: 'latest', driver: driver({ probe: 'fake_probe', remove: 'fake_remove', flag: 'true' }), facts: facts([probe, remove]), topology: 'singleton' });
  const bad = list.filter((s) => s.violations.length > 0);
  assert.equal(bad.length, 2);
  assert.deepEqual(kinds(bad.find((s) => s.outcome === 'ok')!), ['bad-detach', 'double-release']);
  // When the IOMMU driver refuses the attach, probe returns its error with the claim still held.
  const refused = bad.find((s) => s.outcome === 'probe-failed');
  assert.equal(refused?.errno, '-EINVAL');
  assert.deepEqual(refused && kinds(refused), ['left-owned']);
});

test('conditions on unknown values fork and refine; path count stays bounded', () => {
  const p = new Prog();
  for (let i = 0; i < 12; i++) p.call(`step${i}`, [], 'ret').ifGoto(truthy('ret'), 'out');
  p.ret(int(0)).label('out').ret(varOf('ret'));
  const probe = fn('fake_probe', p);
  const list = simulateDriver({ target: 'latest', driver: driver({ probe: 'fake_probe' }), facts: facts([probe]), topology: 'singleton' });
  assert.ok(list.length <= 64);
  assert.ok(list.some((s) => s.outcome === 'ok'));
  assert.ok(list.filter((s) => s.outcome === 'probe-failed').every((s) => s.errno === '-EIO'));
  assert.ok(list.every((s) => kinds(s).length === 0));
});

test('unknown return values: failure only after a failure-refining fork', () => {
  const probe = fn('fake_probe', new Prog().call('fake_init', [], 'ret').ifGoto(not(truthy('ret')), 'fine')
    .call('fake_log', []).ret({ kind: 'unknown', text: 'fake_status()' })
    .label('fine').ret({ kind: 'unknown', text: 'fake_status()' }));
  const list = simulateDriver({ target: 'latest', driver: driver({ probe: 'fake_probe' }), facts: facts([probe]), topology: 'singleton' });
  assert.deepEqual(list.map((s) => s.outcome).sort(), ['ok', 'probe-failed']);
});

test('a backward goto (retry loop) terminates and an unresolved branch target ends the function', () => {
  const built = new Prog().label('retry').call('fake_try', [], 'ret').ifGoto({ kind: 'cmp', subject: { kind: 'var', name: 'ret' }, op: '==', rhs: '-EAGAIN' }, 'retry')
    .ret(varOf('ret'));
  const probe = fn('fake_probe', built);
  const list = simulateDriver({ target: 'latest', driver: driver({ probe: 'fake_probe' }), facts: facts([probe]), topology: 'singleton' });
  assert.ok(list.length >= 2 && list.length <= 64);
  const broken = fn('fake_probe', new Prog().ret(int(0)));
  broken.program.unshift({ op: 'branch', cond: { kind: 'const', value: true }, target: -1, span: broken.span });
  const out = simulateDriver({ target: 'latest', driver: driver({ probe: 'fake_probe' }), facts: facts([broken]), topology: 'singleton' });
  assert.equal(out.length, 1);
  assert.equal(out[0].outcome, 'ok');
});

test('series postings: user space claims with the posting\'s name and gets -EBUSY from a DMA-API bind', () => {
  const probe = fn('fake_probe', new Prog().ret(int(0)));
  const list = simulateDriver({ target: 'series-v2', driver: driver({ probe: 'fake_probe' }), facts: facts([probe]), topology: 'singleton' });
  const trial = list[0].trace.find((s) => s.step.startsWith('while bound'));
  assert.match(trial?.step ?? '', /iommu_group_set_dma_owner/);
  assert.equal(trial?.result, '-EBUSY');
  assert.ok(list[0].trace.some((s) => s.step.startsWith('pci_dma_configure → iommu_device_set_dma_owner(dev0, DMA_OWNER_DMA_API, NULL)')));
  assert.ok(list[0].trace.some((s) => s.step.startsWith('pci_dma_unconfigure')));
  const v1 = simulateDriver({ target: 'series-v1', driver: driver({ bus: 'host1x', probe: 'fake_probe' }), facts: facts([probe]), topology: 'singleton' });
  assert.ok(v1[0].trace.some((s) => s.step.startsWith('really_probe → iommu_device_set_dma_owner')), 'v1 claimed in the driver core, for every bus');
  const host1x = simulateDriver({ target: 'latest', driver: driver({ bus: 'host1x', probe: 'fake_probe' }), facts: facts([probe]), topology: 'user-owned' });
  assert.equal(host1x[0].outcome, 'ok', 'host1x has no ownership hooks');
});

test('an API registered directly as a devm action runs at devres release with its data', () => {
  const probe = fn('fake_probe', new Prog()
    .call('iommu_sva_bind_device', ['&pdev->dev', 'current->mm'], 'handle').ifGoto(isErr('handle'), 'err')
    .call('devm_add_action_or_reset', ['&pdev->dev', '(void (*)(void *))iommu_sva_unbind_device', 'handle'], 'ret').ret(varOf('ret'))
    .label('err').ret({ kind: 'ptrErr', subject: { kind: 'var', name: 'handle' } }));
  const list = simulateDriver({ target: 'latest', driver: driver({ probe: 'fake_probe' }), facts: facts([probe]), topology: 'singleton' });
  const ok = okScenario(list);
  const unbind = ok.trace.find((s) => s.phase === 'devres' && s.step.startsWith('iommu_sva_unbind_device'));
  assert.ok(unbind, ok.trace.map((s) => s.step).join('\n'));
  assert.match(unbind.after ?? '', /pasids=0/);
  // Too late: dma_cleanup already WARNed with the SVA pasid attached.
  assert.deepEqual(new Set(kinds(ok)), new Set<ViolationKind>(['warn', 'leaked-owner-cnt', 'claim-failed']));
});

test('6.15+: dma_configure with no driver bound skips the ownership step; 6.14 still takes the count', async () => {
  const { busDmaConfigure } = await import('../../src/core/sim/driver-core');
  const { Tracer } = await import('../../src/core/sim/trace');
  const model = await import('../../src/core/sim/model');
  const { getProfile } = await import('../../src/core/sim/profiles');
  for (const [target, cnt] of [['6.15', 0], ['6.14', 1]] as const) {
    const k = { state: model.emptyState(), profile: getProfile(target), iommuApi: true };
    model.addGroup(k.state, 'grp0');
    model.addDevice(k.state, 'dev0', 'platform', 'grp0');
    const t = new Tracer();
    assert.equal(busDmaConfigure(k, t, 'dev0', 'platform').ret, 0);
    assert.equal(k.state.groups.get('grp0')?.ownerCnt, cnt, target);
  }
});

test('while bound: a hot-added DMA-API device can join a kernel-mode group but not one on a private domain', () => {
  const plain = fn('fake_probe', new Prog().ret(int(0)));
  const a = okScenario(simulateDriver({ target: 'latest', driver: driver({ probe: 'fake_probe' }), facts: facts([plain]), topology: 'singleton' }));
  assert.equal(a.trace.find((s) => s.step.includes('hot-added'))?.result, '0');
  const attach = fn('fake_probe', new Prog().call('iommu_paging_domain_alloc', ['dev'], 'priv->domain').ifGoto(isErr('priv->domain'), 'err')
    .call('iommu_attach_device', ['priv->domain', 'dev'], 'ret').ret(varOf('ret')).label('err').ret(int(-12)));
  const b = okScenario(simulateDriver({ target: 'latest', driver: driver({ probe: 'fake_probe' }), facts: facts([attach]), topology: 'singleton' }));
  assert.equal(b.trace.find((s) => s.step.includes('hot-added'))?.result, '-EBUSY');
  assert.ok(kinds(b).includes('left-private-domain'), 'no .remove detaches it');
});
