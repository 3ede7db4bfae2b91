/**
 * Kernel target profiles (behaviour switches per version / series posting) and the API catalogue used by
 * hovers, arity checks and stale-name rules. Facts from spec §1.4, §2.1, §2.3; version numbers there.
 */
import type { KernelTarget } from '../types';
import type { ApiInfo } from './index';

export interface Profile {
  target: KernelTarget;
  /** 0 for merged kernels, 1..5 for the series postings. */
  series: 0 | 1 | 2 | 3 | 4 | 5;
  /** pasid_array exists and blocks ownership changes (6.2, 16603704559c). */
  pasid: boolean;
  /** NULL owner cookie → WARN + -EINVAL in group claims (6.2). */
  nullOwnerEinval: boolean;
  /** iommu_device_claim_dma_owner / 1-arg iommu_device_release_dma_owner exist (6.2, 89395ccedbc1). */
  deviceClaims: boolean;
  /**
   * use_default_domain returns -EPROBE_DEFER without a default domain: mainline 6.15 (b46064a18810, "iommu: Handle race
   * with default domain setup"), backported to 6.14.y/6.12.y/6.6.y — NOT in v6.14.0 (the '6.14' target).
   */
  probeDefer: boolean;
  /** iommu_detach_device_pasid WARNs when the entry held another domain: 6.2 only (6.12's iommu.c has no WARN). */
  detachPasidWarn: boolean;
  /**
   * 6.0–6.6.y: use_default_domain also passes a group whose current domain is not the default one when both are
   * IDENTITY (iommu_is_default_domain); gone by 6.12 (checked against linux-source-6.12 iommu.c).
   */
  identityCountsAsDefault: boolean;
  /** iommu_sva_bind_device keys a bond by (group, mm): a second device of the group gets the same handle (6.12+). */
  svaBondPerGroup: boolean;
  /** dma_configure may run with no driver bound; buses skip ownership then (6.15). */
  configureWithoutDriver: boolean;
  /** iommu_attach_device_pasid takes a 4th `handle` argument (~6.11). */
  pasidHandleArg: boolean;
  /** IOMMU_NO_PASID (0) refused by attach_device_pasid (IOMMU_NO_PASID introduced ~6.5). */
  noPasidCheck: boolean;
  /** The test_remove re-probe path calls dma_cleanup (6.6, 0d5df49d0989). */
  testRemoveCleanup: boolean;
  /** iommu_domain_alloc(bus) exists (removed 6.13, f6440fcc9c7b). */
  legacyDomainAlloc: boolean;
  /** iommu_paging_domain_alloc(dev) exists (6.11). */
  pagingDomainAlloc: boolean;
  /** The ownership flag's spelling on this target, and whether it lives in struct device_driver (v1/v4). */
  flagSpelling: 'driver_managed_dma' | 'suppress_auto_claim_dma_owner' | 'no_kernel_api_dma';
  flagInDeviceDriver: boolean;
}

const MERGED_BASE = {
  series: 0, pasid: false, nullOwnerEinval: false, deviceClaims: false, probeDefer: false, configureWithoutDriver: false,
  detachPasidWarn: false, identityCountsAsDefault: false, svaBondPerGroup: false,
  pasidHandleArg: false, noPasidCheck: false, testRemoveCleanup: false, legacyDomainAlloc: true, pagingDomainAlloc: false,
  flagSpelling: 'driver_managed_dma', flagInDeviceDriver: false,
} as const;

const PROFILES: Record<KernelTarget, Profile> = {
  '5.19': { ...MERGED_BASE, target: '5.19' },
  '6.2': { ...MERGED_BASE, target: '6.2', pasid: true, nullOwnerEinval: true, deviceClaims: true, detachPasidWarn: true, identityCountsAsDefault: true },
  '6.14': {
    ...MERGED_BASE, target: '6.14', pasid: true, nullOwnerEinval: true, deviceClaims: true, probeDefer: false, svaBondPerGroup: true,
    pasidHandleArg: true, noPasidCheck: true, testRemoveCleanup: true, legacyDomainAlloc: false, pagingDomainAlloc: true,
  },
  '6.15': {
    ...MERGED_BASE, target: '6.15', pasid: true, nullOwnerEinval: true, deviceClaims: true, probeDefer: true, svaBondPerGroup: true,
    configureWithoutDriver: true, pasidHandleArg: true, noPasidCheck: true, testRemoveCleanup: true, legacyDomainAlloc: false,
    pagingDomainAlloc: true,
  },
  latest: {
    ...MERGED_BASE, target: 'latest', pasid: true, nullOwnerEinval: true, deviceClaims: true, probeDefer: true, svaBondPerGroup: true,
    configureWithoutDriver: true, pasidHandleArg: true, noPasidCheck: true, testRemoveCleanup: true, legacyDomainAlloc: false,
    pagingDomainAlloc: true,
  },
  'series-v1': { ...MERGED_BASE, target: 'series-v1', series: 1, flagSpelling: 'suppress_auto_claim_dma_owner', flagInDeviceDriver: true },
  'series-v2': { ...MERGED_BASE, target: 'series-v2', series: 2, flagSpelling: 'suppress_auto_claim_dma_owner' },
  'series-v3': { ...MERGED_BASE, target: 'series-v3', series: 3, flagSpelling: 'suppress_auto_claim_dma_owner' },
  'series-v4': { ...MERGED_BASE, target: 'series-v4', series: 4, flagSpelling: 'suppress_auto_claim_dma_owner', flagInDeviceDriver: true },
  'series-v5': { ...MERGED_BASE, target: 'series-v5', series: 5, flagSpelling: 'no_kernel_api_dma' },
};

export function getProfile(target: KernelTarget): Profile {
  return PROFILES[target];
}

/** Is a driver struct's flag, as spelled and placed, honoured on this target? */
export function flagHonoured(profile: Profile, spelling: string | undefined, inDeviceDriver: boolean | undefined): boolean {
  const s = spelling ?? 'driver_managed_dma';
  if (s !== profile.flagSpelling) return false;
  if (s === 'suppress_auto_claim_dma_owner') return !!inDeviceDriver === profile.flagInDeviceDriver;
  return !inDeviceDriver;
}

// ───────────── API catalogue ─────────────
type Pred = (p: Profile) => boolean;
const merged: Pred = (p) => p.series === 0;
const since62: Pred = (p) => p.series === 0 && p.pasid;
const always: Pred = () => true;
const seriesIn = (...v: number[]): Pred => (p) => v.includes(p.series);

interface CatalogueEntry {
  name: string;
  kind: ApiInfo['kind'];
  /** Accepted argument counts (undefined: any). */
  arity?: number[];
  signature: string | ((p: Profile) => string);
  summary: string;
  returns: (p: Profile) => string[];
  exists: Pred;
  replacement?: string | ((p: Profile) => string | undefined);
  history: string;
}

const staleRelease2 = 'iommu_device_unuse_default_domain(dev) for DMA_OWNER_DMA_API (bus code only), iommu_device_release_dma_owner(dev) (6.2+) for user owners';

const CATALOGUE: CatalogueEntry[] = [
  {
    name: 'iommu_device_use_default_domain', kind: 'function', arity: [1], exists: merged,
    signature: 'int iommu_device_use_default_domain(struct device *dev)',
    summary: 'Bus dma_configure hook: the bound driver uses the kernel DMA API (owner_cnt++). Not exported; drivers must not call it.',
    returns: (p) => ['0 (also when the device has no group)', '-EBUSY: group owned, on a non-default domain' + (p.pasid ? ', or PASIDs attached' : ''),
      ...(p.probeDefer ? ['-EPROBE_DEFER: group has no default domain yet (6.15; stable 6.14.y/6.12.y/6.6.y)'] : [])],
    replacement: (p) => (p.series === 5 ? 'iommu_device_use_dma_api' : p.series ? 'iommu_device_set_dma_owner(dev, DMA_OWNER_DMA_API, NULL)' : undefined),
    history: '5.19 (1ea2a07a532b); PASID check 6.2; -EPROBE_DEFER 6.15 (b46064a18810; stable 6.14.y, 6.12.y, 6.6.y)',
  },
  {
    name: 'iommu_device_unuse_default_domain', kind: 'function', arity: [1], exists: merged,
    signature: 'void iommu_device_unuse_default_domain(struct device *dev)',
    summary: 'Bus dma_cleanup hook: owner_cnt--. WARNs and skips the decrement when the count is 0 or (6.2+) PASIDs are attached.',
    returns: () => ['void'],
    replacement: (p) => (p.series === 5 ? 'iommu_device_unuse_dma_api' : p.series ? 'iommu_device_release_dma_owner(dev, DMA_OWNER_DMA_API)' : undefined),
    history: '5.19 (1ea2a07a532b)',
  },
  {
    name: 'iommu_group_claim_dma_owner', kind: 'function', arity: [2], exists: merged,
    signature: 'int iommu_group_claim_dma_owner(struct iommu_group *group, void *owner)',
    summary: 'Exclusive group ownership for VFIO (new users prohibited): moves the group to the blocking domain.',
    returns: (p) => ['0', ...(p.nullOwnerEinval ? ['-EINVAL: NULL owner (WARN)'] : []), '-EPERM: owner_cnt != 0 (DMA-API users or any owner, even the same cookie)',
      '-EBUSY: a private domain' + (p.pasid ? ' or PASIDs' : '') + ' attached', 'blocking-domain allocation error'],
    replacement: (p) => (p.series ? 'iommu_group_set_dma_owner' : undefined),
    history: '5.19 (1ea2a07a532b); blocking domain 0286300e6045; NULL-owner -EINVAL 6.2',
  },
  {
    name: 'iommu_group_release_dma_owner', kind: 'function', arity: [1], exists: (p) => p.series === 0 || p.series === 5,
    signature: 'void iommu_group_release_dma_owner(struct iommu_group *group)',
    summary: 'Drops group ownership and returns to the default domain; WARN + no-op when not owned' + ' or PASIDs are attached (6.2+).',
    returns: () => ['void'],
    replacement: (p) => (p.series >= 2 && p.series <= 4 ? 'iommu_group_release_dma_owner(group, type) (2 arguments in this posting)' : undefined),
    history: '5.19; 1-argument form also in series v5',
  },
  {
    name: 'iommu_group_release_dma_owner', kind: 'function', arity: [2], exists: seriesIn(2, 3, 4),
    signature: 'void iommu_group_release_dma_owner(struct iommu_group *group, enum iommu_dma_owner type)',
    summary: 'Series v2–v4 form with an owner type.',
    returns: () => ['void'],
    replacement: 'iommu_group_release_dma_owner(group)',
    history: 'series v2–v4 only; 1 argument from v5 and in 5.19',
  },
  {
    name: 'iommu_group_dma_owner_claimed', kind: 'function', arity: [1], exists: (p) => p.series === 0 || p.series === 5,
    signature: 'bool iommu_group_dma_owner_claimed(struct iommu_group *group)',
    summary: 'Racy status: owner_cnt != 0 — true for plain DMA-API users too.',
    returns: () => ['true', 'false'],
    replacement: (p) => (p.series >= 2 && p.series <= 4 ? '!iommu_group_dma_owner_unclaimed(group)' : undefined),
    history: '5.19; series v5',
  },
  {
    name: 'iommu_device_claim_dma_owner', kind: 'function', arity: [2], exists: since62,
    signature: 'int iommu_device_claim_dma_owner(struct device *dev, void *owner)',
    summary: 'Device-granular ownership (iommufd): co-owners with the same cookie count; other cookies are refused.',
    returns: () => ['0', '-EINVAL: NULL owner (WARN)', '-ENODEV: no group', '-EPERM: owned by another cookie or DMA-API users', '-EBUSY: private domain or PASIDs attached', 'blocking-domain allocation error'],
    replacement: (p) => (p.series ? 'iommu_device_set_dma_owner(dev, DMA_OWNER_USER, cookie)' : 'iommu_group_claim_dma_owner (device claims arrived in 6.2)'),
    history: '6.2 (89395ccedbc1)',
  },
  {
    name: 'iommu_device_release_dma_owner', kind: 'function', arity: [1], exists: since62,
    signature: 'void iommu_device_release_dma_owner(struct device *dev)',
    summary: 'Releases one device claim: owner_cnt-- when > 1 (no cookie check), else the full group release.',
    returns: () => ['void'],
    replacement: (p) => (p.series ? 'iommu_device_release_dma_owner(dev, type) (2 arguments in this posting)' : 'iommu_group_release_dma_owner'),
    history: '6.2 (89395ccedbc1); the name collides with the 2-argument v1–v4 function',
  },
  {
    name: 'iommu_device_release_dma_owner', kind: 'function', arity: [2], exists: seriesIn(1, 2, 3, 4),
    signature: 'void iommu_device_release_dma_owner(struct device *dev, enum iommu_dma_owner owner)',
    summary: 'Series v1–v4 form taking the owner type; stale on every released kernel.',
    returns: () => ['void'],
    replacement: staleRelease2,
    history: 'series v1–v4 only',
  },
  {
    name: 'iommu_attach_device', kind: 'function', arity: [2], exists: always,
    signature: 'int iommu_attach_device(struct iommu_domain *domain, struct device *dev)',
    summary: 'Attaches a private domain to a singleton group. Does not look at ownership.',
    returns: () => ['0', '-ENODEV: no group', '-EINVAL: group has more than one device, or incompatible domain', '-EBUSY: group already on a private domain'],
    history: 'long-standing; singleton check since 426a273834ea',
  },
  {
    name: 'iommu_detach_device', kind: 'function', arity: [2], exists: always,
    signature: 'void iommu_detach_device(struct iommu_domain *domain, struct device *dev)',
    summary: 'Returns the group to its core domain (blocking when owned, default otherwise); WARN + no-op on a domain mismatch.',
    returns: () => ['void'], history: 'long-standing; blocking-domain return 0286300e6045 (5.19)',
  },
  {
    name: 'iommu_attach_group', kind: 'function', arity: [2], exists: always,
    signature: 'int iommu_attach_group(struct iommu_domain *domain, struct iommu_group *group)',
    summary: 'Attaches a domain to every device of a group; only from the default/blocking domain; no owner check.',
    returns: () => ['0', '-EBUSY: group already on a private domain', '-EINVAL: incompatible domain'], history: 'long-standing',
  },
  {
    name: 'iommu_detach_group', kind: 'function', arity: [2], exists: always,
    signature: 'void iommu_detach_group(struct iommu_domain *domain, struct iommu_group *group)',
    summary: 'Returns the group to its core domain.', returns: () => ['void'], history: 'long-standing',
  },
  {
    name: 'iommu_attach_device_pasid', kind: 'function', arity: [3], exists: (p) => since62(p) && !p.pasidHandleArg,
    signature: 'int iommu_attach_device_pasid(struct iommu_domain *domain, struct device *dev, ioasid_t pasid)',
    summary: 'Attaches a domain at a PASID of every device of the group; populated PASIDs block ownership changes.',
    returns: () => ['0', '-EOPNOTSUPP: domain cannot set_dev_pasid', '-ENODEV: no group', '-EINVAL: invalid pasid', '-EBUSY: pasid already attached'],
    replacement: (p) => (p.pasidHandleArg ? 'iommu_attach_device_pasid(domain, dev, pasid, handle) — 4 arguments since ~6.11' : undefined),
    history: '6.2 (16603704559c); handle argument added ~6.11',
  },
  {
    name: 'iommu_attach_device_pasid', kind: 'function', arity: [4], exists: (p) => since62(p) && p.pasidHandleArg,
    signature: 'int iommu_attach_device_pasid(struct iommu_domain *domain, struct device *dev, ioasid_t pasid, struct iommu_attach_handle *handle)',
    summary: 'Attaches a domain at a PASID of every device of the group; populated PASIDs block ownership changes.',
    returns: () => ['0', '-EOPNOTSUPP: domain cannot set_dev_pasid', '-ENODEV: no group', '-EINVAL: IOMMU_NO_PASID or pasid >= max_pasids', '-EBUSY: pasid already attached'],
    replacement: (p) => (p.pasid ? 'iommu_attach_device_pasid(domain, dev, pasid) — 3 arguments before ~6.11' : undefined),
    history: '6.2 (16603704559c); handle argument added ~6.11',
  },
  {
    name: 'iommu_detach_device_pasid', kind: 'function', arity: [3], exists: since62,
    signature: 'void iommu_detach_device_pasid(struct iommu_domain *domain, struct device *dev, ioasid_t pasid)',
    summary: 'Erases the PASID entry on every group device; WARN if it held another domain (erased anyway).',
    returns: () => ['void'], history: '6.2',
  },
  {
    name: 'iommu_sva_bind_device', kind: 'function', exists: always,
    signature: (p) => (p.pasid ? 'struct iommu_sva *iommu_sva_bind_device(struct device *dev, struct mm_struct *mm)' : 'struct iommu_sva *iommu_sva_bind_device(struct device *dev, struct mm_struct *mm, void *drvdata)'),
    summary: 'Binds an mm: (6.2+) attaches an SVA domain at the mm\'s PASID, which blocks ownership changes until unbind.',
    returns: (p) => ['handle', p.pasid ? 'ERR_PTR(-EOPNOTSUPP / -ENOMEM / attach errors)' : 'ERR_PTR(-ENODEV / -EINVAL non-singleton group)'],
    history: 'op-based ≤6.1; SVA-domain rework 6.2',
  },
  {
    name: 'iommu_sva_unbind_device', kind: 'function', arity: [1], exists: always,
    signature: 'void iommu_sva_unbind_device(struct iommu_sva *handle)',
    summary: 'Drops an SVA bond; the PASID is detached when the last user goes.', returns: () => ['void'], history: 'long-standing',
  },
  {
    name: 'iommu_domain_alloc', kind: 'function', arity: [1], exists: (p) => p.legacyDomainAlloc,
    signature: 'struct iommu_domain *iommu_domain_alloc(const struct bus_type *bus)',
    summary: 'Allocates an unmanaged paging domain; NULL on failure.', returns: () => ['domain', 'NULL'],
    replacement: 'iommu_paging_domain_alloc(dev)', history: 'long-standing; removed 6.13 (f6440fcc9c7b)',
  },
  {
    name: 'iommu_paging_domain_alloc', kind: 'function', arity: [1], exists: (p) => p.pagingDomainAlloc,
    signature: 'struct iommu_domain *iommu_paging_domain_alloc(struct device *dev)',
    summary: 'Allocates a paging domain for dev; ERR_PTR on failure (never NULL).', returns: () => ['domain', 'ERR_PTR(-ENODEV / -ENOMEM / -EINVAL)'],
    replacement: 'iommu_domain_alloc(dev->bus)', history: '6.11',
  },
  {
    name: 'iommu_domain_free', kind: 'function', arity: [1], exists: always,
    signature: 'void iommu_domain_free(struct iommu_domain *domain)', summary: 'Frees a domain; detach it first.', returns: () => ['void'], history: 'long-standing',
  },
  {
    name: 'iommu_get_domain_for_dev', kind: 'function', arity: [1], exists: always,
    signature: 'struct iommu_domain *iommu_get_domain_for_dev(struct device *dev)', summary: 'The group\'s current domain.', returns: () => ['domain', 'NULL'], history: 'long-standing',
  },
  {
    name: 'iommu_group_get', kind: 'function', arity: [1], exists: always,
    signature: 'struct iommu_group *iommu_group_get(struct device *dev)', summary: 'Reference to the device\'s group, NULL without IOMMU.', returns: () => ['group', 'NULL'], history: 'long-standing',
  },
  {
    name: 'iommu_group_put', kind: 'function', arity: [1], exists: always,
    signature: 'void iommu_group_put(struct iommu_group *group)', summary: 'Drops a group reference.', returns: () => ['void'], history: 'long-standing',
  },
  {
    name: 'iommu_probe_device', kind: 'function', arity: [1], exists: always,
    signature: 'int iommu_probe_device(struct device *dev)',
    summary: 'Puts a device into its group; a device joining a claimed group is not attached to the default domain.',
    returns: () => ['0', '-ENODEV'], history: 'long-standing',
  },
  // series-era names
  {
    name: 'iommu_device_set_dma_owner', kind: 'function', arity: [3], exists: seriesIn(1, 2, 3, 4),
    signature: 'int iommu_device_set_dma_owner(struct device *dev, enum iommu_dma_owner owner, void *owner_cookie)',
    summary: 'Series v1–v4: kernel types take a DMA-API count, user types claim for the cookie.',
    returns: () => ['0', '-EBUSY: conflicting owner', '-EINVAL'],
    replacement: 'DMA_OWNER_DMA_API/KERNEL → iommu_device_use_default_domain (bus code only); *_USER → iommu_group_claim_dma_owner (5.19) or iommu_device_claim_dma_owner (6.2+)',
    history: 'series v1–v4 only (never merged)',
  },
  {
    name: 'iommu_group_set_dma_owner', kind: 'function', exists: seriesIn(2, 3, 4, 5),
    signature: (p) => (p.series === 5 ? 'int iommu_group_set_dma_owner(struct iommu_group *group, void *owner)' : 'int iommu_group_set_dma_owner(struct iommu_group *group, enum iommu_dma_owner owner, void *owner_cookie)'),
    summary: 'Series v2–v5 exclusive group claim.', returns: () => ['0', '-EBUSY'],
    replacement: 'iommu_group_claim_dma_owner', history: 'series v2–v5 only (never merged)',
  },
  {
    name: 'iommu_group_dma_owner_unclaimed', kind: 'function', arity: [1], exists: seriesIn(2, 3, 4),
    signature: 'bool iommu_group_dma_owner_unclaimed(struct iommu_group *group)', summary: 'Series v2–v4 status query.',
    returns: () => ['true', 'false'], replacement: '!iommu_group_dma_owner_claimed(group)', history: 'series v2–v4 only',
  },
  {
    name: 'iommu_device_use_dma_api', kind: 'function', arity: [1], exists: seriesIn(5),
    signature: 'int iommu_device_use_dma_api(struct device *dev)', summary: 'Series v5 bus-hook call.', returns: () => ['0', '-EBUSY'],
    replacement: 'iommu_device_use_default_domain (bus code only)', history: 'series v5 only',
  },
  {
    name: 'iommu_device_unuse_dma_api', kind: 'function', arity: [1], exists: seriesIn(5),
    signature: 'void iommu_device_unuse_dma_api(struct device *dev)', summary: 'Series v5 bus-hook call.', returns: () => ['void'],
    replacement: 'iommu_device_unuse_default_domain (bus code only)', history: 'series v5 only',
  },
  {
    name: 'iommu_attach_device_shared', kind: 'function', arity: [2], exists: seriesIn(2, 3, 4),
    signature: 'int iommu_attach_device_shared(struct iommu_domain *domain, struct device *dev)',
    summary: 'Series v2–v4: attach a domain shared by all attachers of the group (counted).', returns: () => ['0', '-EBUSY', '-ENODEV'],
    replacement: 'no equivalent: iommu_attach_device for singleton groups, or claim the group and iommu_attach_group', history: 'series v2–v4 only',
  },
  {
    name: 'iommu_detach_device_shared', kind: 'function', arity: [2], exists: seriesIn(2, 3, 4),
    signature: 'void iommu_detach_device_shared(struct iommu_domain *domain, struct device *dev)', summary: 'Series v2–v4: drop one shared attacher.',
    returns: () => ['void'], replacement: 'iommu_detach_device / iommu_detach_group', history: 'series v2–v4 only',
  },
  // fields
  {
    name: 'driver_managed_dma', kind: 'field', exists: merged,
    signature: 'bool driver_managed_dma; /* in platform_driver, pci_driver, amba_driver, fsl_mc_driver, cdx_driver */',
    summary: 'Set by drivers that manage DMA themselves (VFIO): bind then takes no DMA-API count.', returns: () => [],
    replacement: (p) => (p.series ? p.flagSpelling : undefined), history: '5.19 (512881eacfa7); CDX ~6.5',
  },
  {
    name: 'suppress_auto_claim_dma_owner', kind: 'field', exists: seriesIn(1, 2, 3, 4),
    signature: (p) => `bool suppress_auto_claim_dma_owner; /* in ${p.flagInDeviceDriver ? 'struct device_driver' : 'the bus driver struct'} */`,
    summary: 'Series v1–v4 spelling of the ownership flag.', returns: () => [], replacement: 'driver_managed_dma (in the bus driver struct)', history: 'series v1–v4',
  },
  {
    name: 'no_kernel_api_dma', kind: 'field', exists: seriesIn(5),
    signature: 'bool no_kernel_api_dma;', summary: 'Series v5 spelling of the ownership flag.', returns: () => [],
    replacement: 'driver_managed_dma', history: 'series v5',
  },
  {
    name: 'dma_cleanup', kind: 'field', exists: (p) => p.series === 0 || p.series >= 3,
    signature: 'void (*dma_cleanup)(struct device *dev); /* struct bus_type */', summary: 'Bus hook run after .remove / failed probe, before devres.',
    returns: () => [], replacement: (p) => (p.series === 1 || p.series === 2 ? 'dma_unconfigure' : undefined), history: '5.19 (25f3bcfc54bc); named dma_unconfigure in v2',
  },
  {
    name: 'dma_unconfigure', kind: 'field', exists: seriesIn(2),
    signature: 'void (*dma_unconfigure)(struct device *dev); /* struct bus_type */', summary: 'Series v2 name of dma_cleanup.',
    returns: () => [], replacement: 'dma_cleanup', history: 'series v2',
  },
  // enum constants and removed notifier API
  ...['DMA_OWNER_NONE', 'DMA_OWNER_KERNEL', 'DMA_OWNER_USER', 'DMA_OWNER_DMA_API', 'DMA_OWNER_PRIVATE_DOMAIN', 'DMA_OWNER_PRIVATE_DOMAIN_USER'].map((name): CatalogueEntry => ({
    name, kind: 'enum',
    exists: name === 'DMA_OWNER_NONE' ? seriesIn(1, 2, 3) : name === 'DMA_OWNER_KERNEL' || name === 'DMA_OWNER_USER' ? seriesIn(1) : seriesIn(2, 3, 4),
    signature: `enum iommu_dma_owner { ..., ${name}, ... }`, summary: 'Series-era owner type.', returns: () => [],
    replacement: 'no owner types since v5: use/unuse_default_domain (bus) or claim/release_dma_owner', history: 'series v1–v4 only',
  })),
  ...['iommu_group_register_notifier', 'iommu_group_unregister_notifier', 'vfio_group_viable'].map((name): CatalogueEntry => ({
    name, kind: 'function', exists: (p) => p.series > 0, signature: `${name}(...)`, summary: 'Removed by the 5.19 ownership series.', returns: () => [],
    replacement: 'driver_managed_dma + DMA ownership (or bus notifiers)', history: 'removed 5.19 (a5f1bd1afacd, 3b86f317c9c7, 31076af0cb00)',
  })),
  ...['IOMMU_GROUP_NOTIFY_ADD_DEVICE', 'IOMMU_GROUP_NOTIFY_DEL_DEVICE', 'IOMMU_GROUP_NOTIFY_BIND_DRIVER', 'IOMMU_GROUP_NOTIFY_BOUND_DRIVER',
    'IOMMU_GROUP_NOTIFY_UNBIND_DRIVER', 'IOMMU_GROUP_NOTIFY_UNBOUND_DRIVER'].map((name): CatalogueEntry => ({
    name, kind: 'macro', exists: (p) => p.series > 0, signature: `#define ${name}`, summary: 'Group notifier event, removed in 5.19.', returns: () => [],
    replacement: 'bus notifiers / driver_managed_dma', history: 'removed 5.19 (a5f1bd1afacd)',
  })),
  // bus hooks (hover text)
  ...['platform', 'pci', 'amba', 'fsl_mc', 'cdx'].flatMap((bus): CatalogueEntry[] => [
    {
      name: `${bus}_dma_configure`, kind: 'function', arity: [1], exists: always, signature: `static int ${bus}_dma_configure(struct device *dev)`,
      summary: bus === 'cdx' ? 'CDX bus hook; as merged it swallows a use_default_domain error (returns 0).' : `${bus} bus hook: firmware DMA setup, then iommu_device_use_default_domain unless driver_managed_dma.`,
      returns: () => ['0', 'firmware errors', '-EBUSY / -EPROBE_DEFER from use_default_domain'], history: bus === 'cdx' ? '~6.5' : '5.19 (512881eacfa7)',
    },
    {
      name: `${bus}_dma_cleanup`, kind: 'function', arity: [1], exists: always, signature: `static void ${bus}_dma_cleanup(struct device *dev)`,
      summary: `${bus} bus hook: iommu_device_unuse_default_domain unless driver_managed_dma.`, returns: () => ['void'], history: bus === 'cdx' ? '~6.5' : '5.19',
    },
  ]),
];

function toInfo(e: CatalogueEntry, p: Profile): ApiInfo {
  const replacement = typeof e.replacement === 'function' ? e.replacement(p) : e.replacement;
  const exists = e.exists(p);
  return {
    name: e.name, kind: e.kind,
    signature: typeof e.signature === 'function' ? e.signature(p) : e.signature,
    summary: e.summary, returns: exists ? e.returns(p) : [], exists,
    ...(exists || !replacement ? {} : { replacement }),
    history: e.history,
  };
}

/**
 * Information about `name` on `target`. With `arity`, the entry with that argument count is chosen
 * (2-arg iommu_device_release_dma_owner is the stale v1–v4 form, 1-arg the 6.2+ API); an arity no entry
 * accepts yields exists=false with the entry valid on the target as replacement.
 */
export function lookupApi(name: string, target: KernelTarget, arity?: number): ApiInfo | undefined {
  const p = getProfile(target);
  const entries = CATALOGUE.filter((e) => e.name === name);
  if (entries.length === 0) return undefined;
  if (arity === undefined) {
    const chosen = entries.find((e) => e.exists(p)) ?? entries[0];
    return toInfo(chosen, p);
  }
  const byArity = entries.filter((e) => !e.arity || e.arity.includes(arity));
  const chosen = byArity.find((e) => e.exists(p)) ?? byArity[0];
  if (chosen) return toInfo(chosen, p);
  const valid = entries.find((e) => e.exists(p)) ?? entries[0];
  const info = toInfo(valid, p);
  return { ...info, exists: false, returns: [], replacement: info.exists ? info.signature : info.replacement, summary: `${info.summary} (called with ${arity} argument(s))` };
}

/** Every name the model knows (APIs, fields, enum constants, macros, bus hooks), sorted and unique. */
export function allApiNames(): string[] {
  return [...new Set([...CATALOGUE.map((e) => e.name), 'devm_add_action', 'devm_add_action_or_reset'])].sort();
}
