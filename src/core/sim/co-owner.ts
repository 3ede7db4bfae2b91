/**
 * The 'co-owned' topology's second actor: device claims are counted per owner (drivers/iommu/iommu.c @ v6.12
 * iommu_device_claim_dma_owner: a claim by the owner already holding the group only increments owner_cnt), so the
 * owner that claimed dev0 per device may claim dev1 of the same group too — iommufd does so for every device it
 * binds to one context. The step runs once the replayed code owns the group through a device claim, and dev1's
 * holder releases it (iommu_device_release_dma_owner) after the code under review released its own claim. What
 * the kernel does with the mix (a group release zeroing the count, the later device release's WARN) is model.ts.
 */
import { iommu_device_claim_dma_owner, iommu_device_release_dma_owner, isFailureValue } from './model';
import { PEER_DEVICE, type TopologySetup } from './topology';
import { DEVICE_CLAIM, DEVICE_RELEASE } from './vocabulary';
import type { Path } from './env';

/** What the co-owner is called in traces and in dev1's driver field. */
const CO_OWNER = 'co-owner';

/**
 * The owner of the group took it with a device claim on this path (the step that set the owner was one): the same
 * owner then claims dev1. A group claim is exclusive by design (iommu_group_claim_dma_owner's kernel-doc: only a single
 * owner), so its owner is not given a second device.
 */
export function coOwnerClaims(p: Path, setup: TopologySetup): void {
  const group = setup.group ? p.k.state.groups.get(setup.group) : undefined;
  const peer = p.k.state.devices.get(PEER_DEVICE);
  if (!group || !peer || peer.group !== group.id || peer.driver || group.owner === null) return;
  const owner = group.owner;
  const took = [...p.t.events].reverse().find((e) => e.group === group.id && e.after?.owner === owner && e.before?.owner !== owner);
  if (took?.api !== DEVICE_CLAIM) return;
  const phase = p.t.phase;
  p.t.phase = 'co-owner';
  const out = p.t.api(p.k, DEVICE_CLAIM, `the same owner claims ${PEER_DEVICE} of ${group.id} too → ${DEVICE_CLAIM}(${PEER_DEVICE}, ${owner})`, group.id,
    () => iommu_device_claim_dma_owner(p.k, PEER_DEVICE, owner));
  if (!isFailureValue(out.value)) peer.driver = { name: CO_OWNER, managedDma: true };
  p.t.phase = phase;
}

/** dev1's holder gives its claim back (after the code under review released its own). */
export function coOwnerReleases(p: Path, setup: TopologySetup): void {
  const peer = p.k.state.devices.get(PEER_DEVICE);
  if (!setup.group || peer?.driver?.name !== CO_OWNER) return;
  const phase = p.t.phase;
  p.t.phase = 'co-owner';
  p.t.api(p.k, DEVICE_RELEASE, `the co-owner of ${PEER_DEVICE} releases it → ${DEVICE_RELEASE}(${PEER_DEVICE})`, setup.group,
    () => iommu_device_release_dma_owner(p.k, PEER_DEVICE));
  peer.driver = null;
  p.t.phase = phase;
}
