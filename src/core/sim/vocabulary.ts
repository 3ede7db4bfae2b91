/**
 * The kernel vocabulary: every name of the DMA-ownership world the tool recognises, with its role, in one place.
 * Rules, patch evidence and the hosts' prefilter import these lists; nobody else spells them.
 *
 * What a name does on a target (signature, arity, whether it exists, errnos, replacement) is the API catalogue in
 * profiles.ts (`lookupApi`); what it does to the group is model.ts, dispatched by api-calls.ts. This module only
 * says which names play which role. Names are those of linux 6.12 (drivers/iommu/iommu.c, iommu-sva.c,
 * drivers/vfio/vfio_main.c, drivers/iommu/iommufd/device.c) and of the 5.19 ownership series' postings v1–v5.
 */
import type { DriverStructFact, KernelTarget } from '../types';
import { DMA_API_CALL, MMIO_CALL } from '../c/call-names';
import { flagHonoured, getProfile } from './profiles';

// ───────────────────────────── roles ─────────────────────────────

export type ApiRole =
  | 'claim' | 'release' // exclusive (user) ownership of a group, for a cookie
  | 'use-default-domain' | 'unuse-default-domain' // the DMA-API count, taken by bus code only
  | 'attach' | 'detach' // a private domain on the whole group
  | 'pasid-attach' | 'pasid-detach' // a domain at one PASID
  | 'sva-bind' | 'sva-unbind' // an mm bound at a PASID (attaches an SVA domain, 6.2+)
  | 'owner-status' // racy queries of owner_cnt
  | 'set-owner' // series v1–v5: one call for kernel and user owners, the type chosen by an argument
  | 'release-typed'; // series v1–v4: the release taking an owner type

export interface VocabularyEntry {
  role: ApiRole;
  /** What the call names: the group, or a device (acting on its group). */
  on: 'group' | 'device';
  /** Merged kernels (5.19+), or only the series postings (never merged). Per-target detail: profiles.ts. */
  era: 'merged' | 'series';
  /** The call that undoes this one. */
  undo?: string;
}

/** Every ownership API function, by name. The arity-dependent forms are one name: lookupApi(name, target, arity). */
export const OWNERSHIP_API: Readonly<Record<string, VocabularyEntry>> = {
  iommu_group_claim_dma_owner: { role: 'claim', on: 'group', era: 'merged', undo: 'iommu_group_release_dma_owner' },
  iommu_group_release_dma_owner: { role: 'release', on: 'group', era: 'merged' },
  iommu_device_claim_dma_owner: { role: 'claim', on: 'device', era: 'merged', undo: 'iommu_device_release_dma_owner' },
  iommu_device_release_dma_owner: { role: 'release', on: 'device', era: 'merged' },
  iommu_device_use_default_domain: { role: 'use-default-domain', on: 'device', era: 'merged', undo: 'iommu_device_unuse_default_domain' },
  iommu_device_unuse_default_domain: { role: 'unuse-default-domain', on: 'device', era: 'merged' },
  iommu_attach_device: { role: 'attach', on: 'device', era: 'merged', undo: 'iommu_detach_device' },
  iommu_detach_device: { role: 'detach', on: 'device', era: 'merged' },
  iommu_attach_group: { role: 'attach', on: 'group', era: 'merged', undo: 'iommu_detach_group' },
  iommu_detach_group: { role: 'detach', on: 'group', era: 'merged' },
  iommu_attach_device_pasid: { role: 'pasid-attach', on: 'device', era: 'merged', undo: 'iommu_detach_device_pasid' },
  iommu_detach_device_pasid: { role: 'pasid-detach', on: 'device', era: 'merged' },
  iommu_sva_bind_device: { role: 'sva-bind', on: 'device', era: 'merged', undo: 'iommu_sva_unbind_device' },
  iommu_sva_unbind_device: { role: 'sva-unbind', on: 'device', era: 'merged' },
  iommu_group_dma_owner_claimed: { role: 'owner-status', on: 'group', era: 'merged' },
  // series postings
  iommu_group_set_dma_owner: { role: 'claim', on: 'group', era: 'series', undo: 'iommu_group_release_dma_owner' },
  iommu_device_set_dma_owner: { role: 'set-owner', on: 'device', era: 'series', undo: 'iommu_device_release_dma_owner' },
  iommu_group_dma_owner_unclaimed: { role: 'owner-status', on: 'group', era: 'series' },
  iommu_device_use_dma_api: { role: 'use-default-domain', on: 'device', era: 'series', undo: 'iommu_device_unuse_dma_api' },
  iommu_device_unuse_dma_api: { role: 'unuse-default-domain', on: 'device', era: 'series' },
  iommu_attach_device_shared: { role: 'attach', on: 'device', era: 'series', undo: 'iommu_detach_device_shared' },
  iommu_detach_device_shared: { role: 'detach', on: 'device', era: 'series' },
};

/** Every ownership API function name (defining one makes a file the API's implementation, see file-role.ts). */
export const OWNERSHIP_API_NAMES: readonly string[] = Object.keys(OWNERSHIP_API);

// ───────────────────────────── pairs ─────────────────────────────

/** Exclusive ownership of a whole group for one owner (5.19; VFIO's legacy group path). */
export const GROUP_CLAIM = 'iommu_group_claim_dma_owner';
export const GROUP_RELEASE = 'iommu_group_release_dma_owner';
/** Ownership per device, counted for one owner across the devices of a group (6.2, 89395ccedbc1). */
export const DEVICE_CLAIM = 'iommu_device_claim_dma_owner';
export const DEVICE_RELEASE = 'iommu_device_release_dma_owner';
/** Exclusive ownership on merged kernels: group form (5.19) and device form (6.2). */
export const CLAIM_CALLS: readonly string[] = [GROUP_CLAIM, DEVICE_CLAIM];
export const RELEASE_CALLS: readonly string[] = [GROUP_RELEASE, DEVICE_RELEASE];
/**
 * Claims whose name alone says so in any era: the merged two and the series' iommu_group_set_dma_owner.
 * (The series' iommu_device_set_dma_owner claims only for a user owner type: its role is 'set-owner'.)
 */
export const CLAIM_CALLS_ANY_ERA: readonly string[] = [...CLAIM_CALLS, 'iommu_group_set_dma_owner'];
/** Series-era set-owner calls: v2–v5 on a group (an exclusive claim), v1–v4 on a device (an owner type argument). */
export const GROUP_SET_OWNER = 'iommu_group_set_dma_owner';
export const DEVICE_SET_OWNER = 'iommu_device_set_dma_owner';
/** Both series-era set-owner calls (group and device). */
export const SET_OWNER_CALLS: readonly string[] = [GROUP_SET_OWNER, DEVICE_SET_OWNER];

/** The DMA-API count: bus code only (dma_configure / dma_cleanup); drivers must not call these. */
export const USE_DEFAULT_DOMAIN = 'iommu_device_use_default_domain';
export const UNUSE_DEFAULT_DOMAIN = 'iommu_device_unuse_default_domain';
export const USE_UNUSE_CALLS: readonly string[] = [USE_DEFAULT_DOMAIN, UNUSE_DEFAULT_DOMAIN];
/** Series v5's spelling of the same count. */
export const USE_DMA_API = 'iommu_device_use_dma_api';
export const UNUSE_DMA_API = 'iommu_device_unuse_dma_api';
/** The same count in every era (series v5 spelt it iommu_device_use_dma_api / unuse_dma_api). */
export const USE_CALLS_ANY_ERA: readonly string[] = [USE_DEFAULT_DOMAIN, USE_DMA_API];
export const UNUSE_CALLS_ANY_ERA: readonly string[] = [UNUSE_DEFAULT_DOMAIN, UNUSE_DMA_API];

/** A private domain on a device's (singleton) group or on a group. */
export const ATTACH_DEVICE = 'iommu_attach_device';
export const ATTACH_GROUP = 'iommu_attach_group';
export const DETACH_DEVICE = 'iommu_detach_device';
export const DETACH_GROUP = 'iommu_detach_group';
export const ATTACH_CALLS: readonly string[] = [ATTACH_DEVICE, ATTACH_GROUP];
export const DETACH_CALLS: readonly string[] = [DETACH_DEVICE, DETACH_GROUP];
/** Series v2–v4: a private domain shared by several devices (never merged). */
export const ATTACH_DEVICE_SHARED = 'iommu_attach_device_shared';

/** A domain at one PASID (6.2), and the SVA bind that attaches an mm's domain at one. */
export const PASID_ATTACH = 'iommu_attach_device_pasid';
export const PASID_DETACH = 'iommu_detach_device_pasid';
export const SVA_BIND = 'iommu_sva_bind_device';
export const SVA_UNBIND = 'iommu_sva_unbind_device';
/** Populated PASIDs block ownership changes (6.2+): an explicit PASID attach, or an SVA bind. */
export const PASID_ATTACH_CALLS: readonly string[] = [PASID_ATTACH, SVA_BIND];
export const PASID_DETACH_CALLS: readonly string[] = [PASID_DETACH, SVA_UNBIND];

/**
 * Ownership calls a driver makes that return 0 or a negative errno it must check: claims, attaches (also at a PASID)
 * and the series' set-owner and shared attach. (The DMA-API count's use call is bus code's, not a driver's.)
 */
export const DRIVER_ERRNO_CALLS: readonly string[] = [
  ...CLAIM_CALLS, ...ATTACH_CALLS, PASID_ATTACH, DEVICE_SET_OWNER, GROUP_SET_OWNER, ATTACH_DEVICE_SHARED,
];

/** The group notifier API and vfio_group_viable(), removed by the 5.19 ownership series (profiles.ts has their history). */
export const REMOVED_NOTIFIER_NAMES: readonly string[] = [
  'iommu_group_register_notifier',
  'iommu_group_unregister_notifier',
  'vfio_group_viable',
  'IOMMU_GROUP_NOTIFY_ADD_DEVICE',
  'IOMMU_GROUP_NOTIFY_DEL_DEVICE',
  'IOMMU_GROUP_NOTIFY_BIND_DRIVER',
  'IOMMU_GROUP_NOTIFY_BOUND_DRIVER',
  'IOMMU_GROUP_NOTIFY_UNBIND_DRIVER',
  'IOMMU_GROUP_NOTIFY_UNBOUND_DRIVER',
];

// ───────────────────────────── VFIO / iommufd hand-off ─────────────────────────────

/** A driver registers its device for user space (probe time); vfio_pci_core_register_device calls the first. */
export const VFIO_DEVICE_REGISTRATIONS: readonly string[] = ['vfio_register_group_dev', 'vfio_pci_core_register_device'];
/** iommufd binds a device to a context: it claims device ownership (iommu_device_claim_dma_owner) for it. */
export const IOMMUFD_BIND = 'iommufd_device_bind';
/** Calls after which user space owns the device's group (the replay's hand-off). */
export const USER_HANDOFF_CALLS: readonly string[] = [...VFIO_DEVICE_REGISTRATIONS, IOMMUFD_BIND];
/** Emulated-IOMMU (mdev) devices have no IOMMU group: registering one hands nothing over and never needs the flag. */
export const EMULATED_VFIO_CALLS: readonly string[] = ['vfio_register_emulated_iommu_dev'];
/** vfio-pci-core's helpers: a driver that uses them (as calls or as ops) is a VFIO PCI variant driver. */
export const VFIO_PCI_CORE_PREFIX = 'vfio_pci_core_';
/** Calls that take user ownership of a group: a hand-off, or a claim in any era (the group must be ownable). */
export const USER_OWNERSHIP_CALLS: readonly string[] = [...USER_HANDOFF_CALLS, ...CLAIM_CALLS, 'iommu_group_set_dma_owner'];
/** Calls that take ownership themselves (a claim fails, with the errno the replay shows, where the flag is missing). */
export const OWNERSHIP_TAKING_CALLS: readonly string[] = [...CLAIM_CALLS_ANY_ERA, IOMMUFD_BIND];

/** Any call that registers or drives a VFIO device, emulated or not. */
export function isVfioDeviceCall(callee: string): boolean {
  return USER_HANDOFF_CALLS.includes(callee) || EMULATED_VFIO_CALLS.includes(callee) || callee.startsWith(VFIO_PCI_CORE_PREFIX);
}

/** A vfio_pci_core_* helper named as a driver struct's callback or ops (`.err_handler = &vfio_pci_core_err_handlers`). */
export const VFIO_PCI_CORE_FIELD = /^&?vfio_pci_core_\w+$/;

// ───────────────────────────── DMA API and MMIO ─────────────────────────────

/**
 * The call classes the C facts record (facts.dmaApi, facts.mmio): every DMA-API call, every register mapping or
 * reset. Defined beside the extractor (src/core/c/call-names.ts), which must not import the simulation.
 */
export { DMA_API_CALL, MMIO_CALL };

/** Calls after which the device masters the bus through the kernel DMA API (a mapping or pool exists, or bus mastering). */
const DMA_USE = /^(?:dma_map_\w+|dma_alloc_\w+|dmam_alloc_\w+|dma_pool_create|dma_pool_alloc|dma_pool_zalloc|dmam_pool_create|pci_set_master)$/;
/** DMA-API calls that take the device: they map through the device's current domain. */
const DMA_ON_DEVICE = /^(?:dma_map_\w+|dma_alloc_\w+|dmam_alloc_\w+|dma_pool_create|dmam_pool_create)$/;
/** Calls that map device registers or reset the function (the portdrv criteria for the flag). */
const MMIO_USE = /^(?:ioremap\w*|devm_ioremap\w*|devm_platform_ioremap_resource\w*|devm_platform_get_and_ioremap_resource|pci_iomap(?:_range|_wc|_wc_range)?|pcim_iomap(?:_regions|_region|_range)?|pci_ioremap_bar|pci_ioremap_wc_bar|of_iomap|pci_reset_function(?:_locked)?|pci_try_reset_function|__pci_reset_function_locked)$/;

/**
 * Names that say "a VFIO no-IOMMU (fake) group": VFIO_NO_IOMMU, vfio_device_is_noiommu(), ->noiommu, fake_group.
 * A fake group is a real iommu_group with no IOMMU behind its device (drivers/vfio/group.c vfio_noiommu_group_alloc).
 */
export const FAKE_GROUP_TEXT = /no_?iommu|NO_IOMMU|NOIOMMU|EMULATED_IOMMU|fake_?group/i;

/** Calls a parking probe may make: logging and driver-data bookkeeping. Anything else is real work. */
export const PARKING_CALL = /^(?:(?:dev|pci|pr|netdev|platform)_(?:info|dbg|debug|notice|warn|err|emerg|crit|alert)(?:_once|_ratelimited)?|printk|(?:dev|pci|platform|amba|fsl_mc|cdx)_(?:set|get)_drvdata|dev_name|pci_name)$/;

export function isDmaUse(callee: string): boolean {
  return DMA_USE.test(callee);
}

export function isDmaOnDevice(callee: string): boolean {
  return DMA_ON_DEVICE.test(callee);
}

export function isMmioUse(callee: string): boolean {
  return MMIO_USE.test(callee);
}

// ───────────────────────────── the ownership flag ─────────────────────────────

/** How the "this driver manages DMA itself" flag is spelt on a target, and whether it sits in `.driver = {}`. */
export function managedDmaFlag(target: KernelTarget): { field: string; inDeviceDriver: boolean } {
  const p = getProfile(target);
  return { field: p.flagSpelling, inDeviceDriver: p.flagInDeviceDriver };
}

/** A flag initialiser's value read as C reads a bool: only a literal false or 0 is false (the kernel writes `true`). */
export function flagValueTrue(value: string | undefined): boolean {
  return !/^(false|0)$/.test((value ?? 'true').trim());
}

/** The struct writes the flag (any spelling or placement) with a true value. */
export function hasManagedDma(driver: Pick<DriverStructFact, 'managedDma'>): boolean {
  return driver.managedDma.state === 'present' && flagValueTrue(driver.managedDma.value);
}

/** The flag is set as the target's bus code reads it: a true value, with the target's spelling and placement. */
export function setsManagedDma(driver: Pick<DriverStructFact, 'managedDma'>, target: KernelTarget): boolean {
  const m = driver.managedDma;
  return hasManagedDma(driver) && flagHonoured(getProfile(target), m.spelling, m.inDeviceDriver);
}
