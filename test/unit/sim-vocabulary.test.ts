/** The kernel vocabulary (src/core/sim/vocabulary.ts): roles consistent with the API catalogue and with each other. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { lookupApi } from '../../src/core/sim';
import {
  ATTACH_CALLS, CLAIM_CALLS, CLAIM_CALLS_ANY_ERA, DETACH_CALLS, OWNERSHIP_API, OWNERSHIP_API_NAMES, PASID_ATTACH_CALLS, PASID_DETACH_CALLS,
  DRIVER_ERRNO_CALLS, RELEASE_CALLS, REMOVED_NOTIFIER_NAMES, USER_HANDOFF_CALLS, hasManagedDma, isDmaOnDevice, isDmaUse, isMmioUse, isVfioDeviceCall, managedDmaFlag, setsManagedDma,
} from '../../src/core/sim/vocabulary';
import type { DriverStructFact, KernelTarget } from '../../src/core/types';

const TARGETS: KernelTarget[] = ['5.19', '6.2', '6.14', '6.15', 'latest', 'series-v1', 'series-v2', 'series-v3', 'series-v4', 'series-v5'];

test('every vocabulary name is in the API catalogue, existing on a target of its era', () => {
  for (const [name, e] of Object.entries(OWNERSHIP_API)) {
    const on = TARGETS.filter((t) => lookupApi(name, t)?.exists);
    assert.ok(on.length > 0, `${name} exists on no target`);
    assert.equal(on.some((t) => !t.startsWith('series')), e.era === 'merged', `${name}: era ${e.era} but exists on ${on.join(', ')}`);
  }
});

test('each undo names an entry of the opposite role', () => {
  const opposite: Record<string, string[]> = {
    claim: ['release'], 'set-owner': ['release'], 'use-default-domain': ['unuse-default-domain'], attach: ['detach'],
    'pasid-attach': ['pasid-detach'], 'sva-bind': ['sva-unbind'],
  };
  for (const [name, e] of Object.entries(OWNERSHIP_API)) {
    if (!e.undo) continue;
    assert.ok(OWNERSHIP_API[e.undo], `${name}: undo ${e.undo} is not in the vocabulary`);
    assert.ok(opposite[e.role]?.includes(OWNERSHIP_API[e.undo].role), `${name} (${e.role}) undone by ${e.undo} (${OWNERSHIP_API[e.undo].role})`);
  }
});

test('the pair lists agree with the roles', () => {
  const role = (n: string) => OWNERSHIP_API[n]?.role;
  for (const n of CLAIM_CALLS_ANY_ERA) assert.equal(role(n), 'claim', n);
  for (const n of RELEASE_CALLS) assert.equal(role(n), 'release', n);
  for (const n of ATTACH_CALLS) assert.equal(role(n), 'attach', n);
  for (const n of DETACH_CALLS) assert.equal(role(n), 'detach', n);
  assert.deepEqual(PASID_ATTACH_CALLS.map(role), ['pasid-attach', 'sva-bind']);
  assert.deepEqual(PASID_DETACH_CALLS.map(role), ['pasid-detach', 'sva-unbind']);
  assert.ok(CLAIM_CALLS.every((n) => OWNERSHIP_API[n].era === 'merged'));
  assert.ok(OWNERSHIP_API_NAMES.includes('iommu_device_use_default_domain'));
});

test('call classes: hand-off, VFIO device calls, DMA use, DMA on the device, MMIO and resets', () => {
  assert.ok(USER_HANDOFF_CALLS.includes('iommufd_device_bind') && !USER_HANDOFF_CALLS.includes('vfio_register_emulated_iommu_dev'));
  assert.ok(isVfioDeviceCall('vfio_register_emulated_iommu_dev') && isVfioDeviceCall('vfio_pci_core_enable') && !isVfioDeviceCall('vfio_group_get'));
  assert.ok(isDmaUse('dma_alloc_coherent') && isDmaUse('pci_set_master') && !isDmaUse('dma_set_mask_and_coherent'));
  assert.ok(isDmaOnDevice('dma_map_single') && !isDmaOnDevice('dma_pool_alloc') && !isDmaOnDevice('pci_set_master'));
  assert.ok(isMmioUse('pci_try_reset_function') && isMmioUse('devm_ioremap_resource') && !isMmioUse('pci_request_regions'));
});

test('the flag: spelling and placement per target, C truth of the value', () => {
  const d = (managedDma: DriverStructFact['managedDma']) => ({ managedDma });
  assert.deepEqual(managedDmaFlag('latest'), { field: 'driver_managed_dma', inDeviceDriver: false });
  assert.deepEqual(managedDmaFlag('series-v4'), { field: 'suppress_auto_claim_dma_owner', inDeviceDriver: true });
  const set = d({ state: 'present', spelling: 'driver_managed_dma', value: 'true' });
  assert.ok(hasManagedDma(set) && setsManagedDma(set, 'latest') && !setsManagedDma(set, 'series-v2'));
  assert.ok(setsManagedDma(d({ state: 'present', spelling: 'driver_managed_dma', value: '1' }), '6.2'));
  assert.ok(!hasManagedDma(d({ state: 'present', spelling: 'driver_managed_dma', value: 'false' })));
  assert.ok(!hasManagedDma(d({ state: 'present', spelling: 'driver_managed_dma', value: ' 0 ' })));
  assert.ok(!hasManagedDma(d({ state: 'absent' })) && !hasManagedDma(d({ state: 'unknown' })));
  // In struct device_driver it is the v1/v4 placement only.
  const nested = d({ state: 'present', spelling: 'suppress_auto_claim_dma_owner', value: 'true', inDeviceDriver: true });
  assert.ok(setsManagedDma(nested, 'series-v1') && !setsManagedDma(nested, 'series-v2') && hasManagedDma(nested));
});

test('removed notifier names and the calls whose errno a driver must check are catalogued', () => {
  for (const n of REMOVED_NOTIFIER_NAMES) {
    assert.equal(lookupApi(n, 'latest')?.exists, false, `${n} is gone on latest`);
    assert.equal(lookupApi(n, 'series-v1')?.exists, true, `${n} exists before the series`);
  }
  for (const n of DRIVER_ERRNO_CALLS) assert.ok(lookupApi(n, 'latest')?.returns.some((r) => /^-E/.test(r)) || OWNERSHIP_API[n].era === 'series', `${n} returns an errno`);
});
