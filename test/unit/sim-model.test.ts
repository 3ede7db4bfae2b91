/** Table-driven tests of every model API's return codes and WARN paths (spec §2.1, §2.2), per relevant target. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as m from '../../src/core/sim/model';
import { getProfile } from '../../src/core/sim/profiles';
import type { KernelTarget } from '../../src/core/types';

interface World { k: m.Kernel; g: m.SimGroup; dom: string }

/** A group grp0 with dev0 (and dev1 when `shared`) on its default domain, plus one driver-allocated paging domain. */
function world(target: KernelTarget, opts: { shared?: boolean; noDefault?: boolean; iommuApi?: boolean } = {}): World {
  const k: m.Kernel = { state: m.emptyState(), profile: getProfile(target), iommuApi: opts.iommuApi !== false };
  const g = m.addGroup(k.state, 'grp0', { noDefault: opts.noDefault });
  m.addDevice(k.state, 'dev0', 'pci', 'grp0');
  if (opts.shared) m.addDevice(k.state, 'dev1', 'pci', 'grp0');
  m.addDevice(k.state, 'lonely', 'platform', null);
  const dom = m.newDomain(k.state, 'paging', 'driver').id;
  return { k, g, dom };
}

const res = (o: m.ApiOutcome) => m.valueText(o.value);

type Setup = (w: World) => void;
const FREE: Setup = () => {};
const KERNEL_MODE: Setup = (w) => { m.iommu_device_use_default_domain(w.k, 'dev1'); };
const PRIVATE_DOMAIN: Setup = (w) => { m.iommu_device_use_default_domain(w.k, 'dev1'); m.iommu_attach_group(w.k, w.dom, 'grp0'); };
const PASIDS: Setup = (w) => { m.iommu_device_use_default_domain(w.k, 'dev1'); m.iommu_attach_device_pasid(w.k, w.dom, 'dev1', '5'); };
const OWNED_C: Setup = (w) => { m.iommu_device_claim_dma_owner(w.k, 'dev1', 'C'); };
const OWNED_OTHER: Setup = (w) => { m.iommu_device_claim_dma_owner(w.k, 'dev1', 'C2'); };

interface Row { name: string; targets: KernelTarget[]; shared?: boolean; noDefault?: boolean; iommuApi?: boolean; setup: Setup; run: (w: World) => m.ApiOutcome; result: string; warn?: boolean; check?: (w: World) => void }

const MERGED: KernelTarget[] = ['5.19', '6.2', '6.14', '6.15', 'latest'];
const SINCE_62: KernelTarget[] = ['6.2', '6.14', '6.15', 'latest'];

const ROWS: Row[] = [
  // spec §5 corrections, checked against linux-source-6.1 / 6.12 iommu.c
  { name: 'detach_pasid: other domain → no WARN, erased anyway (6.12+)', targets: ['6.14', '6.15', 'latest'], setup: (w) => { m.iommu_attach_device_pasid(w.k, w.dom, 'dev0', '1'); }, run: (w) => m.iommu_detach_device_pasid(w.k, null, 'dev0', '1'), result: 'void', check: (w) => assert.equal(w.g.pasids.size, 0) },
  { name: 'detach_pasid: device without a group → oops', targets: SINCE_62, setup: FREE, run: (w) => m.iommu_detach_device_pasid(w.k, w.dom, 'lonely', '1'), result: 'void', warn: true },
  { name: 'group claim: NULL group → oops, not an errno', targets: MERGED, setup: FREE, run: (w) => m.iommu_group_claim_dma_owner(w.k, null, 'C'), result: 'void', warn: true },
  { name: 'group release: NULL group → oops', targets: MERGED, setup: FREE, run: (w) => m.iommu_group_release_dma_owner(w.k, null), result: 'void', warn: true },
  { name: 'attach_group: NULL group → oops', targets: MERGED, setup: FREE, run: (w) => m.iommu_attach_group(w.k, w.dom, null), result: '-ENODEV', warn: true },
  { name: 'device release: device without a group → oops', targets: SINCE_62, setup: FREE, run: (w) => m.iommu_device_release_dma_owner(w.k, 'lonely'), result: 'void', warn: true },
  // iommu_device_use_default_domain
  { name: 'use: free group → 0, cnt 1', targets: MERGED, setup: FREE, run: (w) => m.iommu_device_use_default_domain(w.k, 'dev0'), result: '0', check: (w) => assert.equal(w.g.ownerCnt, 1) },
  { name: 'use: no group → 0', targets: MERGED, setup: FREE, run: (w) => m.iommu_device_use_default_domain(w.k, 'lonely'), result: '0' },
  { name: 'use: kernel mode → cnt n+1', targets: MERGED, shared: true, setup: KERNEL_MODE, run: (w) => m.iommu_device_use_default_domain(w.k, 'dev0'), result: '0', check: (w) => assert.equal(w.g.ownerCnt, 2) },
  { name: 'use: private domain → -EBUSY', targets: MERGED, shared: true, setup: PRIVATE_DOMAIN, run: (w) => m.iommu_device_use_default_domain(w.k, 'dev0'), result: '-EBUSY', check: (w) => assert.equal(w.g.ownerCnt, 1) },
  { name: 'use: owned → -EBUSY', targets: SINCE_62, shared: true, setup: OWNED_C, run: (w) => m.iommu_device_use_default_domain(w.k, 'dev0'), result: '-EBUSY' },
  { name: 'use: PASIDs attached → -EBUSY (6.2+)', targets: SINCE_62, shared: true, setup: PASIDS, run: (w) => m.iommu_device_use_default_domain(w.k, 'dev0'), result: '-EBUSY' },
  { name: 'use: no default domain yet → -EPROBE_DEFER (6.15; stable 6.14.y, not v6.14.0)', targets: ['6.15', 'latest'], noDefault: true, setup: FREE, run: (w) => m.iommu_device_use_default_domain(w.k, 'dev0'), result: '-EPROBE_DEFER' },
  { name: 'use: no default domain before 6.15 (v6.14.0 included) → 0', targets: ['5.19', '6.2', '6.14'], noDefault: true, setup: FREE, run: (w) => m.iommu_device_use_default_domain(w.k, 'dev0'), result: '0' },
  { name: 'use: !CONFIG_IOMMU_API stub → 0', targets: MERGED, iommuApi: false, setup: FREE, run: (w) => m.iommu_device_use_default_domain(w.k, 'dev0'), result: '0', check: (w) => assert.equal(w.g.ownerCnt, 0) },
  // unuse
  { name: 'unuse: cnt 0 → WARN, stays 0', targets: MERGED, setup: FREE, run: (w) => m.iommu_device_unuse_default_domain(w.k, 'dev0'), result: 'void', warn: true, check: (w) => assert.equal(w.g.ownerCnt, 0) },
  { name: 'unuse: cnt 1 → 0', targets: MERGED, shared: true, setup: KERNEL_MODE, run: (w) => m.iommu_device_unuse_default_domain(w.k, 'dev1'), result: 'void', check: (w) => assert.equal(w.g.ownerCnt, 0) },
  { name: 'unuse: PASIDs attached → WARN, no decrement (6.2+)', targets: SINCE_62, shared: true, setup: PASIDS, run: (w) => m.iommu_device_unuse_default_domain(w.k, 'dev1'), result: 'void', warn: true, check: (w) => assert.equal(w.g.ownerCnt, 1) },
  { name: 'unuse: no group → nothing', targets: MERGED, setup: FREE, run: (w) => m.iommu_device_unuse_default_domain(w.k, 'lonely'), result: 'void' },
  // group claim
  { name: 'group claim: free → 0, blocking', targets: MERGED, setup: FREE, run: (w) => m.iommu_group_claim_dma_owner(w.k, 'grp0', 'C'), result: '0', check: (w) => { assert.equal(w.g.owner, 'C'); assert.equal(w.g.domain, w.g.blockingDomain); assert.equal(w.g.ownerCnt, 1); } },
  { name: 'group claim: NULL owner → WARN -EINVAL (6.2+)', targets: SINCE_62, setup: FREE, run: (w) => m.iommu_group_claim_dma_owner(w.k, 'grp0', null), result: '-EINVAL', warn: true, check: (w) => assert.equal(w.g.ownerCnt, 0) },
  { name: 'group claim: NULL owner on 5.19 → 0 but owner stays NULL', targets: ['5.19'], setup: FREE, run: (w) => m.iommu_group_claim_dma_owner(w.k, 'grp0', null), result: '0', check: (w) => { assert.equal(w.g.owner, null); assert.equal(w.g.ownerCnt, 1); } },
  { name: 'group claim: kernel mode → -EPERM', targets: MERGED, shared: true, setup: KERNEL_MODE, run: (w) => m.iommu_group_claim_dma_owner(w.k, 'grp0', 'C'), result: '-EPERM' },
  { name: 'group claim: same cookie again → -EPERM', targets: MERGED, setup: (w) => { m.iommu_group_claim_dma_owner(w.k, 'grp0', 'C'); }, run: (w) => m.iommu_group_claim_dma_owner(w.k, 'grp0', 'C'), result: '-EPERM' },
  { name: 'group claim: private domain, cnt 0 → -EBUSY', targets: MERGED, setup: (w) => { m.iommu_attach_group(w.k, w.dom, 'grp0'); }, run: (w) => m.iommu_group_claim_dma_owner(w.k, 'grp0', 'C'), result: '-EBUSY' },
  { name: 'group claim: PASIDs, cnt 0 → -EBUSY (6.2+)', targets: SINCE_62, setup: (w) => { m.iommu_attach_device_pasid(w.k, w.dom, 'dev0', '3'); }, run: (w) => m.iommu_group_claim_dma_owner(w.k, 'grp0', 'C'), result: '-EBUSY' },
  { name: 'group claim: stub → -ENODEV', targets: MERGED, iommuApi: false, setup: FREE, run: (w) => m.iommu_group_claim_dma_owner(w.k, 'grp0', 'C'), result: '-ENODEV' },
  // group release
  { name: 'group release: owned → default domain', targets: MERGED, setup: (w) => { m.iommu_group_claim_dma_owner(w.k, 'grp0', 'C'); }, run: (w) => m.iommu_group_release_dma_owner(w.k, 'grp0'), result: 'void', check: (w) => { assert.equal(w.g.owner, null); assert.equal(w.g.ownerCnt, 0); assert.equal(w.g.domain, w.g.defaultDomain); } },
  { name: 'group release: not owned → WARN no-op', targets: MERGED, setup: FREE, run: (w) => m.iommu_group_release_dma_owner(w.k, 'grp0'), result: 'void', warn: true },
  { name: 'group release: kernel mode (owner NULL) → WARN, cnt kept', targets: MERGED, shared: true, setup: KERNEL_MODE, run: (w) => m.iommu_group_release_dma_owner(w.k, 'grp0'), result: 'void', warn: true, check: (w) => assert.equal(w.g.ownerCnt, 1) },
  { name: 'group release: PASIDs attached → WARN, still owned (6.2+)', targets: SINCE_62, setup: (w) => { m.iommu_group_claim_dma_owner(w.k, 'grp0', 'C'); m.iommu_attach_device_pasid(w.k, w.dom, 'dev0', '7'); }, run: (w) => m.iommu_group_release_dma_owner(w.k, 'grp0'), result: 'void', warn: true, check: (w) => assert.equal(w.g.owner, 'C') },
  // claimed
  { name: 'claimed: DMA-API user → true', targets: MERGED, shared: true, setup: KERNEL_MODE, run: (w) => m.iommu_group_dma_owner_claimed(w.k, 'grp0'), result: 'true' },
  { name: 'claimed: free → false', targets: MERGED, setup: FREE, run: (w) => m.iommu_group_dma_owner_claimed(w.k, 'grp0'), result: 'false' },
  // device claim
  { name: 'device claim: free → 0', targets: SINCE_62, setup: FREE, run: (w) => m.iommu_device_claim_dma_owner(w.k, 'dev0', 'C'), result: '0', check: (w) => assert.equal(w.g.domain, w.g.blockingDomain) },
  { name: 'device claim: NULL owner → WARN -EINVAL', targets: SINCE_62, setup: FREE, run: (w) => m.iommu_device_claim_dma_owner(w.k, 'dev0', null), result: '-EINVAL', warn: true },
  { name: 'device claim: no group → -ENODEV', targets: SINCE_62, setup: FREE, run: (w) => m.iommu_device_claim_dma_owner(w.k, 'lonely', 'C'), result: '-ENODEV' },
  { name: 'device claim: same cookie → cnt++', targets: SINCE_62, shared: true, setup: OWNED_C, run: (w) => m.iommu_device_claim_dma_owner(w.k, 'dev0', 'C'), result: '0', check: (w) => assert.equal(w.g.ownerCnt, 2) },
  { name: 'device claim: other cookie → -EPERM', targets: SINCE_62, shared: true, setup: OWNED_OTHER, run: (w) => m.iommu_device_claim_dma_owner(w.k, 'dev0', 'C'), result: '-EPERM' },
  { name: 'device claim: DMA-API users → -EPERM', targets: SINCE_62, shared: true, setup: KERNEL_MODE, run: (w) => m.iommu_device_claim_dma_owner(w.k, 'dev0', 'C'), result: '-EPERM' },
  { name: 'device claim: private domain → -EBUSY', targets: SINCE_62, setup: (w) => { m.iommu_attach_device(w.k, w.dom, 'dev0'); }, run: (w) => m.iommu_device_claim_dma_owner(w.k, 'dev0', 'C'), result: '-EBUSY' },
  // device release
  { name: 'device release: cnt 2 → 1, still owned', targets: SINCE_62, shared: true, setup: (w) => { OWNED_C(w); m.iommu_device_claim_dma_owner(w.k, 'dev0', 'C'); }, run: (w) => m.iommu_device_release_dma_owner(w.k, 'dev0'), result: 'void', check: (w) => { assert.equal(w.g.ownerCnt, 1); assert.equal(w.g.owner, 'C'); } },
  { name: 'device release: last → default', targets: SINCE_62, setup: (w) => { m.iommu_device_claim_dma_owner(w.k, 'dev0', 'C'); }, run: (w) => m.iommu_device_release_dma_owner(w.k, 'dev0'), result: 'void', check: (w) => assert.equal(w.g.domain, w.g.defaultDomain) },
  { name: 'device release: DMA-API cnt 2 → silently decrements', targets: SINCE_62, shared: true, setup: (w) => { KERNEL_MODE(w); m.iommu_device_use_default_domain(w.k, 'dev0'); }, run: (w) => m.iommu_device_release_dma_owner(w.k, 'dev0'), result: 'void', check: (w) => assert.equal(w.g.ownerCnt, 1) },
  { name: 'device release: not owned → WARN', targets: SINCE_62, setup: FREE, run: (w) => m.iommu_device_release_dma_owner(w.k, 'dev0'), result: 'void', warn: true },
  // mixed granularity (6.12 __iommu_release_dma_ownership zeroes owner_cnt; iommu_device_release_dma_owner at cnt 1 is it)
  { name: 'group release of two device claims by one owner → zeroed, co-owner claim dropped', targets: SINCE_62, shared: true, setup: (w) => { OWNED_C(w); m.iommu_device_claim_dma_owner(w.k, 'dev0', 'C'); }, run: (w) => m.iommu_group_release_dma_owner(w.k, 'grp0'), result: 'void', check: (w) => { assert.equal(w.g.ownerCnt, 0); assert.equal(w.g.domain, w.g.defaultDomain); assert.equal(m.iommu_group_release_dma_owner(w.k, 'grp0').violation, undefined); assert.ok(m.iommu_device_release_dma_owner(w.k, 'dev1').warn, 'the co-owner release WARNs'); } },
  { name: 'group release of one device claim → no violation (count 1)', targets: SINCE_62, setup: (w) => { m.iommu_device_claim_dma_owner(w.k, 'dev0', 'C'); }, run: (w) => m.iommu_group_release_dma_owner(w.k, 'grp0'), result: 'void', check: (w) => assert.equal(w.g.ownerCnt, 0) },
  { name: 'device release of a group claim → same as the group release', targets: SINCE_62, setup: (w) => { m.iommu_group_claim_dma_owner(w.k, 'grp0', 'C'); }, run: (w) => m.iommu_device_release_dma_owner(w.k, 'dev0'), result: 'void', check: (w) => { assert.equal(w.g.ownerCnt, 0); assert.equal(w.g.owner, null); assert.equal(w.g.domain, w.g.defaultDomain); } },
  { name: 'device claim by the group claim\'s owner → counted (cnt 2)', targets: SINCE_62, shared: true, setup: (w) => { m.iommu_group_claim_dma_owner(w.k, 'grp0', 'C'); }, run: (w) => m.iommu_device_claim_dma_owner(w.k, 'dev1', 'C'), result: '0', check: (w) => assert.equal(w.g.ownerCnt, 2) },
  // attach / detach device
  { name: 'attach_device: singleton → 0', targets: MERGED, setup: FREE, run: (w) => m.iommu_attach_device(w.k, w.dom, 'dev0'), result: '0', check: (w) => assert.equal(w.g.domain, w.dom) },
  { name: 'attach_device: kernel mode singleton → 0 (no owner check)', targets: MERGED, setup: (w) => { m.iommu_device_use_default_domain(w.k, 'dev0'); }, run: (w) => m.iommu_attach_device(w.k, w.dom, 'dev0'), result: '0' },
  { name: 'attach_device: multi-device group → -EINVAL', targets: MERGED, shared: true, setup: FREE, run: (w) => m.iommu_attach_device(w.k, w.dom, 'dev0'), result: '-EINVAL' },
  { name: 'attach_device: no group → -ENODEV', targets: MERGED, setup: FREE, run: (w) => m.iommu_attach_device(w.k, w.dom, 'lonely'), result: '-ENODEV' },
  { name: 'attach_device: already private → -EBUSY (even the same domain)', targets: MERGED, setup: (w) => { m.iommu_attach_device(w.k, w.dom, 'dev0'); }, run: (w) => m.iommu_attach_device(w.k, w.dom, 'dev0'), result: '-EBUSY' },
  { name: 'attach_device: owned (blocking) → 0', targets: SINCE_62, setup: (w) => { m.iommu_device_claim_dma_owner(w.k, 'dev0', 'C'); }, run: (w) => m.iommu_attach_device(w.k, w.dom, 'dev0'), result: '0' },
  { name: 'attach_device: stub → -ENODEV', targets: MERGED, iommuApi: false, setup: FREE, run: (w) => m.iommu_attach_device(w.k, w.dom, 'dev0'), result: '-ENODEV' },
  { name: 'detach_device: matching → default', targets: MERGED, setup: (w) => { m.iommu_attach_device(w.k, w.dom, 'dev0'); }, run: (w) => m.iommu_detach_device(w.k, w.dom, 'dev0'), result: 'void', check: (w) => assert.equal(w.g.domain, w.g.defaultDomain) },
  { name: 'detach_device: owned → back to blocking', targets: SINCE_62, setup: (w) => { m.iommu_device_claim_dma_owner(w.k, 'dev0', 'C'); m.iommu_attach_device(w.k, w.dom, 'dev0'); }, run: (w) => m.iommu_detach_device(w.k, w.dom, 'dev0'), result: 'void', check: (w) => assert.equal(w.g.domain, w.g.blockingDomain) },
  { name: 'detach_device: wrong domain → WARN, stays', targets: MERGED, setup: (w) => { m.iommu_attach_device(w.k, w.dom, 'dev0'); }, run: (w) => m.iommu_detach_device(w.k, m.newDomain(w.k.state, 'paging', 'driver').id, 'dev0'), result: 'void', warn: true, check: (w) => assert.equal(w.g.domain, w.dom) },
  // attach / detach group
  { name: 'attach_group: multi-device from default → 0', targets: MERGED, shared: true, setup: FREE, run: (w) => m.iommu_attach_group(w.k, w.dom, 'grp0'), result: '0' },
  { name: 'attach_group: from private → -EBUSY', targets: MERGED, shared: true, setup: PRIVATE_DOMAIN, run: (w) => m.iommu_attach_group(w.k, m.newDomain(w.k.state, 'paging', 'driver').id, 'grp0'), result: '-EBUSY' },
  { name: 'detach_group: → default', targets: MERGED, shared: true, setup: PRIVATE_DOMAIN, run: (w) => m.iommu_detach_group(w.k, w.dom, 'grp0'), result: 'void', check: (w) => assert.equal(w.g.domain, w.g.defaultDomain) },
  // pasid
  { name: 'attach_pasid: → 0, pasid recorded', targets: SINCE_62, setup: FREE, run: (w) => m.iommu_attach_device_pasid(w.k, w.dom, 'dev0', '1'), result: '0', check: (w) => assert.equal(w.g.pasids.get('1'), w.dom) },
  { name: 'attach_pasid: busy pasid → -EBUSY', targets: SINCE_62, setup: (w) => { m.iommu_attach_device_pasid(w.k, w.dom, 'dev0', '1'); }, run: (w) => m.iommu_attach_device_pasid(w.k, w.dom, 'dev0', '1'), result: '-EBUSY' },
  { name: 'attach_pasid: no group → -ENODEV', targets: SINCE_62, setup: FREE, run: (w) => m.iommu_attach_device_pasid(w.k, w.dom, 'lonely', '1'), result: '-ENODEV' },
  { name: 'attach_pasid: IOMMU_NO_PASID → -EINVAL (6.14+)', targets: ['6.14', '6.15', 'latest'], setup: FREE, run: (w) => m.iommu_attach_device_pasid(w.k, w.dom, 'dev0', '0'), result: '-EINVAL' },
  { name: 'attach_pasid: pasid ≥ max → -EINVAL', targets: SINCE_62, setup: FREE, run: (w) => m.iommu_attach_device_pasid(w.k, w.dom, 'dev0', String(1 << 20)), result: '-EINVAL' },
  { name: 'detach_pasid: matching → erased', targets: SINCE_62, setup: (w) => { m.iommu_attach_device_pasid(w.k, w.dom, 'dev0', '1'); }, run: (w) => m.iommu_detach_device_pasid(w.k, w.dom, 'dev0', '1'), result: 'void', check: (w) => assert.equal(w.g.pasids.size, 0) },
  { name: 'detach_pasid: other domain → WARN, erased anyway (6.2)', targets: ['6.2'], setup: (w) => { m.iommu_attach_device_pasid(w.k, w.dom, 'dev0', '1'); }, run: (w) => m.iommu_detach_device_pasid(w.k, null, 'dev0', '1'), result: 'void', warn: true, check: (w) => assert.equal(w.g.pasids.size, 0) },
  // sva
  { name: 'sva bind: populates pasid_array (6.2+)', targets: SINCE_62, setup: FREE, run: (w) => m.iommu_sva_bind_device(w.k, 'dev0', 'mm'), result: '&sva3', check: (w) => assert.equal(w.g.pasids.size, 1) },
  { name: 'sva bind: non-singleton on 5.19 → ERR_PTR(-EINVAL)', targets: ['5.19'], shared: true, setup: FREE, run: (w) => m.iommu_sva_bind_device(w.k, 'dev0', 'mm'), result: 'ERR_PTR(-EINVAL)' },
  { name: 'sva bind: no group → ERR_PTR(-ENODEV)', targets: MERGED, setup: FREE, run: (w) => m.iommu_sva_bind_device(w.k, 'lonely', 'mm'), result: 'ERR_PTR(-ENODEV)' },
  { name: 'sva unbind: detaches the pasid', targets: SINCE_62, setup: (w) => { m.iommu_sva_bind_device(w.k, 'dev0', 'mm'); }, run: (w) => m.iommu_sva_unbind_device(w.k, 'sva3'), result: 'void', check: (w) => assert.equal(w.g.pasids.size, 0) },
  // domains
  { name: 'domain_alloc: stub → NULL', targets: MERGED, iommuApi: false, setup: FREE, run: (w) => m.iommu_domain_alloc(w.k), result: 'NULL' },
  { name: 'paging_domain_alloc: no iommu → ERR_PTR(-ENODEV)', targets: MERGED, setup: FREE, run: (w) => m.iommu_paging_domain_alloc(w.k, 'lonely'), result: 'ERR_PTR(-ENODEV)' },
  { name: 'attach after free → use-after-free', targets: MERGED, setup: (w) => { m.iommu_domain_free(w.k, w.dom); }, run: (w) => m.iommu_attach_device(w.k, w.dom, 'dev0'), result: '0', check: () => {} },
  // hot-add into a claimed group
  { name: 'probe_device: hot-add into claimed group stays on blocking', targets: MERGED, setup: (w) => { m.iommu_group_claim_dma_owner(w.k, 'grp0', 'C'); }, run: (w) => { m.addDevice(w.k.state, 'hot', 'pci', null); return m.iommu_probe_device(w.k, 'hot', 'grp0'); }, result: '0', check: (w) => { assert.equal(w.g.domain, w.g.blockingDomain); assert.equal(m.iommu_device_use_default_domain(w.k, 'hot').value.kind === 'int' && m.valueText(m.iommu_device_use_default_domain(w.k, 'hot').value), '-EBUSY'); } },
  // series
  { name: 'series set_dma_owner(KERNEL) on owned → -EBUSY', targets: ['series-v1', 'series-v4'], shared: true, setup: (w) => { m.iommu_device_set_dma_owner(w.k, 'dev1', 'user', 'C'); }, run: (w) => m.iommu_device_set_dma_owner(w.k, 'dev0', 'kernel', null), result: '-EBUSY' },
  { name: 'series set_dma_owner(USER) with DMA-API user → -EBUSY', targets: ['series-v1', 'series-v2'], shared: true, setup: KERNEL_MODE, run: (w) => m.iommu_device_set_dma_owner(w.k, 'dev0', 'user', 'C'), result: '-EBUSY' },
  { name: 'series release(dev, DMA_API) → unuse', targets: ['series-v2'], shared: true, setup: KERNEL_MODE, run: (w) => m.iommu_device_release_dma_owner_typed(w.k, 'dev1', 'kernel'), result: 'void', check: (w) => assert.equal(w.g.ownerCnt, 0) },
  { name: 'series group_set_dma_owner then unclaimed → false', targets: ['series-v3'], setup: (w) => { m.iommu_group_set_dma_owner(w.k, 'grp0', 'C'); }, run: (w) => m.iommu_group_dma_owner_unclaimed(w.k, 'grp0'), result: 'false' },
  { name: 'series attach_device_shared: second attacher of same domain counts', targets: ['series-v2', 'series-v4'], shared: true, setup: (w) => { m.iommu_attach_device_shared(w.k, w.dom, 'dev1'); }, run: (w) => m.iommu_attach_device_shared(w.k, w.dom, 'dev0'), result: '0', check: (w) => assert.equal(w.g.sharedAttach?.count, 2) },
  { name: 'series attach_device_shared: other domain → -EBUSY', targets: ['series-v3'], shared: true, setup: (w) => { m.iommu_attach_device_shared(w.k, w.dom, 'dev1'); }, run: (w) => m.iommu_attach_device_shared(w.k, m.newDomain(w.k.state, 'paging', 'driver').id, 'dev0'), result: '-EBUSY' },
  { name: 'series detach_device_shared: last attacher → default', targets: ['series-v4'], shared: true, setup: (w) => { m.iommu_attach_device_shared(w.k, w.dom, 'dev1'); }, run: (w) => m.iommu_detach_device_shared(w.k, w.dom, 'dev1'), result: 'void', check: (w) => { assert.equal(w.g.sharedAttach, null); assert.equal(w.g.domain, w.g.defaultDomain); } },
];

for (const row of ROWS) {
  for (const target of row.targets) {
    test(`${row.name} [${target}]`, () => {
      const w = world(target, row);
      row.setup(w);
      const out = row.run(w);
      assert.equal(res(out), row.result);
      assert.equal(!!out.warn, !!row.warn, `WARN expected: ${!!row.warn}, got ${out.warn ?? 'none'}`);
      row.check?.(w);
    });
  }
}

test('mixed granularity: only a group release of several device claims by one owner is a violation [latest]', () => {
  const co = world('latest', { shared: true });
  OWNED_C(co);
  m.iommu_device_claim_dma_owner(co.k, 'dev0', 'C');
  assert.equal(m.iommu_group_release_dma_owner(co.k, 'grp0').violation, 'dropped-co-owner-claims');
  const one = world('latest');
  m.iommu_device_claim_dma_owner(one.k, 'dev0', 'C');
  assert.equal(m.iommu_group_release_dma_owner(one.k, 'grp0').violation, undefined);
  const group = world('latest');
  m.iommu_group_claim_dma_owner(group.k, 'grp0', 'C');
  const out = m.iommu_device_release_dma_owner(group.k, 'dev0');
  assert.equal(out.violation, undefined);
  assert.equal(out.warn, undefined);
});

test('use-after-free is reported by attach after iommu_domain_free', () => {
  const w = world('latest');
  m.iommu_domain_free(w.k, w.dom);
  assert.match(m.iommu_attach_device(w.k, w.dom, 'dev0').useAfterFree ?? '', /used after iommu_domain_free/);
  assert.match(m.iommu_domain_free(w.k, w.dom).useAfterFree ?? '', /twice/);
});

// spec §2.2: what a second actor sees, rows = group state, columns = actor.
const OUTCOME_ROWS: { state: string; setup: Setup; pasidOnly?: boolean; cells: [string, string, string, string] }[] = [
  { state: 'free', setup: FREE, cells: ['0', '0', '0', '0'] },
  { state: 'kernel mode on default', setup: KERNEL_MODE, cells: ['0', '-EPERM', '-EPERM', '0'] },
  { state: 'kernel mode, private domain', setup: PRIVATE_DOMAIN, cells: ['-EBUSY', '-EPERM', '-EPERM', '-EBUSY'] },
  { state: 'kernel mode, PASIDs', setup: PASIDS, pasidOnly: true, cells: ['-EBUSY', '-EPERM', '-EPERM', '0'] },
  { state: 'owned by C', setup: OWNED_C, cells: ['-EBUSY', '-EPERM', '0', '0'] },
  { state: "owned by C' ≠ C", setup: OWNED_OTHER, cells: ['-EBUSY', '-EPERM', '-EPERM', '0'] },
];
const ACTORS: { name: string; run: (w: World) => m.ApiOutcome }[] = [
  { name: 'DMA-API bind of dev0', run: (w) => m.iommu_device_use_default_domain(w.k, 'dev0') },
  { name: 'group claim', run: (w) => m.iommu_group_claim_dma_owner(w.k, 'grp0', 'C') },
  { name: 'device claim (C)', run: (w) => m.iommu_device_claim_dma_owner(w.k, 'dev0', 'C') },
  // The attach column is for a singleton group: the second device leaves before the attach.
  { name: 'attach_device (singleton)', run: (w) => {
    w.g.devices = w.g.devices.filter((d) => d !== 'dev1');
    return m.iommu_attach_device(w.k, m.newDomain(w.k.state, 'paging', 'driver').id, 'dev0');
  } },
];
for (const row of OUTCOME_ROWS) {
  ACTORS.forEach((actor, col) => {
    test(`outcome table: ${row.state} × ${actor.name} → ${row.cells[col]} [latest]`, () => {
      const w = world('latest', { shared: true });
      row.setup(w);
      assert.equal(res(actor.run(w)), row.cells[col]);
    });
  });
}

test('compact state text names the domain and the owner', () => {
  const w = world('latest');
  assert.equal(m.groupText(w.k.state, 'grp0'), 'grp0{cnt=0 owner=- dom=default pasids=0}');
  m.iommu_device_claim_dma_owner(w.k, 'dev0', 'ictx');
  assert.equal(m.groupText(w.k.state, 'grp0'), 'grp0{cnt=1 owner=ictx dom=blocking pasids=0}');
});
