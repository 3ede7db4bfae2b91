/**
 * Scenario topologies: the driver's device dev0 placed in a group together with what the scenario needs.
 * All setup runs through the model APIs so the starting state is one the kernel can actually reach.
 */
import type { BusKind, TopologyKind } from '../types';
import {
  assertNever, addDevice, addGroup as addGroupOf, emptyState, iommu_device_use_default_domain, iommu_group_claim_dma_owner, iommu_probe_device, type Kernel, type KernelState,
} from './model';

export const DRIVER_DEVICE = 'dev0';
export const PEER_DEVICE = 'dev1';
export const GROUP = 'grp0';
/** The owner cookie of user space (VFIO container / iommufd ctx) in 'user-owned'. */
export const USER_COOKIE = 'vfio-user';

export interface TopologySetup {
  /** The driver's device. */
  device: string;
  /** Its group, null for 'no-iommu'. */
  group: string | null;
  /** True when dev0 is hot-added into the already-claimed group (shown as a hotplug step). */
  hotAdded: boolean;
}

/**
 * The kind of default domain the IOMMU probe left (a scenario dimension): a DMA domain (the DMA API translates), an
 * IDENTITY one (passthrough: iommu.passthrough=1, ARM32 ARM_DMA_USE_IOMMU, some platforms' quirks), or none at all
 * (an IOMMU driver without default domains, before 6.15 where use_default_domain then passes).
 */
export type DefaultDomainKind = 'dma' | 'identity' | 'none';

/** Builds the topology in k.state (which must be empty). */
export function buildTopology(k: Kernel, kind: TopologyKind, bus: BusKind, defaultKind: DefaultDomainKind = 'dma'): TopologySetup {
  const s = k.state;
  const addGroup = (st: KernelState, id: string) => addGroupOf(st, id, defaultKind === 'none' ? { noDefault: true } : { defaultKind });
  switch (kind) {
    case 'no-iommu':
      addDevice(s, DRIVER_DEVICE, bus, null);
      return { device: DRIVER_DEVICE, group: null, hotAdded: false };
    case 'singleton':
      addGroup(s, GROUP);
      addDevice(s, DRIVER_DEVICE, bus, GROUP);
      return { device: DRIVER_DEVICE, group: GROUP, hotAdded: false };
    case 'shared-dma-api': {
      addGroup(s, GROUP);
      addDevice(s, DRIVER_DEVICE, bus, GROUP);
      const peer = addDevice(s, PEER_DEVICE, bus, GROUP);
      peer.driver = { name: 'peer-dma-api-driver', managedDma: false };
      iommu_device_use_default_domain(k, PEER_DEVICE);
      return { device: DRIVER_DEVICE, group: GROUP, hotAdded: false };
    }
    case 'user-owned': {
      addGroup(s, GROUP);
      const peer = addDevice(s, PEER_DEVICE, bus, GROUP);
      peer.driver = { name: 'vfio-pci', managedDma: true };
      iommu_group_claim_dma_owner(k, GROUP, USER_COOKIE);
      addDevice(s, DRIVER_DEVICE, bus, null);
      iommu_probe_device(k, DRIVER_DEVICE, GROUP);
      return { device: DRIVER_DEVICE, group: GROUP, hotAdded: true };
    }
    case 'co-owned':
      // A second device of the group, unbound: the driver's owner claims it too once it owns dev0 per device (co-owner.ts).
      addGroup(s, GROUP);
      addDevice(s, DRIVER_DEVICE, bus, GROUP);
      addDevice(s, PEER_DEVICE, bus, GROUP);
      return { device: DRIVER_DEVICE, group: GROUP, hotAdded: false };
    default: return assertNever(kind);
  }
}

/**
 * Groups from a sysfs listing (`find /sys/kernel/iommu_groups/ -type l` or `ls -l` output): every line naming
 * `/iommu_groups/<n>/devices/<bdf>` puts that device into group `grp<n>`, on its default domain, nobody bound.
 */
export function topologyFromSysfs(listing: string): KernelState {
  const s = emptyState();
  const re = /iommu_groups\/(\d+)\/devices\/([^\s/]+)/;
  for (const line of listing.split(/\r?\n/)) {
    const m = re.exec(line);
    if (!m) continue;
    const group = `grp${m[1]}`;
    if (!s.groups.has(group)) addGroupOf(s, group);
    if (s.devices.has(m[2])) continue;
    const bus: BusKind = /^[0-9a-f]{4}:[0-9a-f]{2}:[0-9a-f]{2}\.[0-7]$/i.test(m[2]) ? 'pci' : 'platform';
    addDevice(s, m[2], bus, group);
  }
  return s;
}
