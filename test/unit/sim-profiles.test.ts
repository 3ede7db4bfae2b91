/** Profiles and the API catalogue (lookupApi, allApiNames), sysfs topologies and trace rendering. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { allApiNames, lookupApi, renderTrace } from '../../src/core/sim';
import { flagHonoured, getProfile } from '../../src/core/sim/profiles';
import { topologyFromSysfs } from '../../src/core/sim/topology';
import { groupText } from '../../src/core/sim/model';
import { KERNEL_TARGETS, type KernelTarget, type TraceStep } from '../../src/core/types';

test('2-arg iommu_device_release_dma_owner is the stale v1–v4 form; 1-arg is the 6.2+ API', () => {
  const stale = lookupApi('iommu_device_release_dma_owner', 'latest', 2);
  assert.equal(stale?.exists, false);
  assert.match(stale?.replacement ?? '', /iommu_device_unuse_default_domain/);
  assert.equal(lookupApi('iommu_device_release_dma_owner', 'latest', 1)?.exists, true);
  assert.equal(lookupApi('iommu_device_release_dma_owner', '6.2', 1)?.exists, true);
  assert.equal(lookupApi('iommu_device_release_dma_owner', '5.19', 1)?.exists, false);
  assert.equal(lookupApi('iommu_device_release_dma_owner', 'series-v3', 2)?.exists, true);
  assert.match(lookupApi('iommu_device_release_dma_owner', 'series-v3', 2)?.signature ?? '', /enum iommu_dma_owner/);
});

const EXISTS: [string, KernelTarget, boolean, number?][] = [
  ['iommu_group_claim_dma_owner', '5.19', true],
  ['iommu_group_claim_dma_owner', 'series-v5', false],
  ['iommu_device_claim_dma_owner', '5.19', false],
  ['iommu_device_claim_dma_owner', '6.2', true],
  ['iommu_attach_device_pasid', '6.2', true, 3],
  ['iommu_attach_device_pasid', 'latest', false, 3],
  ['iommu_attach_device_pasid', 'latest', true, 4],
  ['iommu_attach_device_pasid', '5.19', false],
  ['iommu_domain_alloc', '6.2', true],
  ['iommu_domain_alloc', '6.14', false],
  ['iommu_paging_domain_alloc', '6.14', true],
  ['iommu_paging_domain_alloc', '5.19', false],
  ['iommu_device_set_dma_owner', 'series-v1', true],
  ['iommu_device_set_dma_owner', 'series-v5', false],
  ['iommu_device_set_dma_owner', 'latest', false],
  ['iommu_device_use_dma_api', 'series-v5', true],
  ['iommu_device_use_dma_api', 'series-v4', false],
  ['iommu_group_set_dma_owner', 'series-v2', true],
  ['iommu_group_dma_owner_unclaimed', 'series-v4', true],
  ['iommu_group_dma_owner_unclaimed', 'series-v5', false],
  ['iommu_group_release_dma_owner', 'series-v3', true, 2],
  ['iommu_group_release_dma_owner', 'latest', false, 2],
  ['iommu_group_release_dma_owner', 'latest', true, 1],
  ['iommu_attach_device_shared', 'series-v2', true],
  ['iommu_attach_device_shared', 'series-v5', false],
  ['suppress_auto_claim_dma_owner', 'series-v4', true],
  ['suppress_auto_claim_dma_owner', '5.19', false],
  ['no_kernel_api_dma', 'series-v5', true],
  ['driver_managed_dma', 'latest', true],
  ['driver_managed_dma', 'series-v3', false],
  ['iommu_group_register_notifier', '5.19', false],
  ['IOMMU_GROUP_NOTIFY_BOUND_DRIVER', 'latest', false],
  ['DMA_OWNER_USER', 'series-v1', true],
  ['DMA_OWNER_USER', 'latest', false],
  ['dma_unconfigure', 'series-v2', true],
  ['dma_cleanup', 'series-v2', false],
];
for (const [name, target, exists, arity] of EXISTS) {
  test(`lookupApi(${name}, ${target}${arity !== undefined ? `, ${arity}` : ''}).exists = ${exists}`, () => {
    const info = lookupApi(name, target, arity);
    assert.ok(info);
    assert.equal(info.exists, exists);
    if (!exists && target === 'latest') assert.ok(info.replacement, 'a stale name names its replacement');
    if (exists) assert.equal(info.replacement, undefined);
  });
}

test('returns vary by target', () => {
  const use62 = lookupApi('iommu_device_use_default_domain', '6.2')?.returns.join(' ') ?? '';
  const useLatest = lookupApi('iommu_device_use_default_domain', 'latest')?.returns.join(' ') ?? '';
  assert.doesNotMatch(use62, /EPROBE_DEFER/);
  assert.match(useLatest, /EPROBE_DEFER/);
  assert.doesNotMatch(lookupApi('iommu_group_claim_dma_owner', '5.19')?.returns.join(' ') ?? '', /EINVAL/);
  assert.match(lookupApi('iommu_group_claim_dma_owner', '6.2')?.returns.join(' ') ?? '', /-EINVAL/);
  assert.equal(lookupApi('not_an_iommu_api', 'latest'), undefined);
});

test('allApiNames lists every catalogue name once, sorted', () => {
  const names = allApiNames();
  assert.deepEqual(names, [...new Set(names)].sort());
  for (const n of ['iommu_device_use_default_domain', 'iommu_device_set_dma_owner', 'no_kernel_api_dma', 'cdx_dma_configure', 'iommu_probe_device']) {
    assert.ok(names.includes(n), n);
  }
});

test('profiles switch behaviours by version', () => {
  assert.equal(getProfile('5.19').pasid, false);
  assert.equal(getProfile('6.2').pasid, true);
  assert.equal(getProfile('6.2').probeDefer, false);
  // b46064a18810 is mainline 6.15 (backported to 6.14.y/6.12.y/6.6.y): v6.14.0 has no -EPROBE_DEFER.
  assert.equal(getProfile('6.14').probeDefer, false);
  assert.equal(getProfile('6.15').probeDefer, true);
  assert.equal(getProfile('6.2').detachPasidWarn, true);
  assert.equal(getProfile('latest').detachPasidWarn, false);
  assert.equal(getProfile('6.14').configureWithoutDriver, false);
  assert.equal(getProfile('6.15').configureWithoutDriver, true);
  for (const t of KERNEL_TARGETS) assert.equal(getProfile(t).target, t);
  assert.equal(flagHonoured(getProfile('series-v1'), 'suppress_auto_claim_dma_owner', true), true);
  assert.equal(flagHonoured(getProfile('series-v2'), 'suppress_auto_claim_dma_owner', false), true);
  assert.equal(flagHonoured(getProfile('series-v5'), 'no_kernel_api_dma', false), true);
  assert.equal(flagHonoured(getProfile('latest'), 'driver_managed_dma', true), false);
  assert.equal(flagHonoured(getProfile('latest'), 'driver_managed_dma', false), true);
});

test('topologyFromSysfs builds groups from a listing', () => {
  const s = topologyFromSysfs([
    'lrwxrwxrwx 1 root root 0 /sys/kernel/iommu_groups/12/devices/0000:00:1f.3 -> ../../../../devices/pci0000:00/0000:00:1f.3',
    '/sys/kernel/iommu_groups/12/devices/0000:00:1f.4',
    '/sys/kernel/iommu_groups/3/devices/ff800000.usb',
    'garbage line',
    '/sys/kernel/iommu_groups/12/devices/0000:00:1f.3',
  ].join('\n'));
  assert.deepEqual([...s.groups.keys()].sort(), ['grp12', 'grp3']);
  assert.deepEqual(s.groups.get('grp12')?.devices, ['0000:00:1f.3', '0000:00:1f.4']);
  assert.equal(s.devices.get('0000:00:1f.3')?.bus, 'pci');
  assert.equal(s.devices.get('ff800000.usb')?.bus, 'platform');
  assert.equal(groupText(s, 'grp3'), 'grp3{cnt=0 owner=- dom=default pasids=0}');
});

test('renderTrace prints a compact step table', () => {
  const steps: TraceStep[] = [
    { step: 'pci_dma_configure → iommu_device_use_default_domain(dev0)', result: '0', phase: 'bind', before: 'grp0{cnt=0 owner=- dom=default pasids=0}', after: 'grp0{cnt=1 owner=- dom=default pasids=0}' },
    { step: 'iommu_group_claim_dma_owner(group, a|b)', result: '-EPERM', phase: 'probe', at: { file: 'drivers/x.c', line: 57, column: 8 }, before: 'grp0{cnt=1}', after: 'grp0{cnt=1}' },
  ];
  const text = renderTrace(steps, 'text').split('\n');
  assert.equal(text.length, 2);
  assert.match(text[0], /^1 {2}bind\s+pci_dma_configure → iommu_device_use_default_domain\(dev0\)\s+0\s+grp0\{cnt=0 .*\} → grp0\{cnt=1 /);
  assert.match(text[1], /-EPERM {2}grp0\{cnt=1\} {2}drivers\/x\.c:57$/);
  const md = renderTrace(steps, 'markdown').split('\n');
  assert.equal(md[0], '| # | phase | step | result | state | at |');
  assert.equal(md.length, 4);
  assert.match(md[3], /a\\\|b/);
});
