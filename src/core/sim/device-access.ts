/**
 * What a bound driver does to its device besides the ownership API: kernel DMA-API use (mappings, coherent buffers,
 * bus mastering) and register access (MMIO mappings, function resets). The kernel does not stop either when the
 * driver sets driver_managed_dma — the bus then takes no DMA-API count, so nothing keeps the group on its default
 * domain — but the replay can say what the group is doing at that moment:
 *   - DMA-API use while the group is not on its default domain (a user owner's or a blocking domain), other than a
 *     domain the driver attached itself: the DMA API maps into the default domain (iommu_get_dma_domain() is
 *     group->default_domain in 6.1 and 6.12), which the device does not translate through then
 *     ('dma-api-off-default-domain');
 *   - an MMIO mapping or reset while another owner (user space) holds the group: the owner's devices can reach the
 *     registers by peer-to-peer DMA, and a reset races them ('device-access-while-user-owned'; the criteria given
 *     when the PCIe port driver got the flag, c7d469849747).
 */
import type { DriverStructFact, CFacts } from '../types';
import { domainName, groupOf } from './model';
import { resolveDevice } from './api-calls';
import { placeText, type At } from './trace';
import { CLAIM_CALLS_ANY_ERA, VFIO_PCI_CORE_FIELD, isDmaUse, isMmioUse, isVfioDeviceCall } from './vocabulary';
import type { Path, RunContext } from './env';



/** Which device accesses a driver replay charges to the bound device (RunContext.access). */
export interface AccessPolicy {
  /** DMA-API use is checked (not for a driver that hands its device to user space: its in-kernel DMA is its PF's). */
  dma: boolean;
  /** MMIO / reset is checked (not for VFIO-like drivers or drivers that own their group: they map for the owner). */
  mmio: boolean;
  /**
   * pci_set_master() counts as DMA: not for a driver whose id table binds only PCI bridges / RCECs — on a port it
   * makes the port forward its downstream devices' requests and signal its own interrupts (portdrv has the flag
   * on purpose, c7d469849747).
   */
  busMaster: boolean;
}

function bindsOnlyPorts(driver: DriverStructFact): boolean {
  const t = driver.idTable;
  return !!t && !t.byOtherIds && t.classes.length > 0 && t.classes.every((c) => /^PCI_CLASS_BRIDGE_\w+$|^PCI_CLASS_SYSTEM_RCEC$/.test(c));
}

/** The access policy of a driver's replay: what the file shows of the driver handing its device on or owning it. */
export function driverAccessPolicy(driver: DriverStructFact, facts: CFacts): AccessPolicy {
  const calls = facts.functions.flatMap((f) => f.calls.map((c) => c.callee));
  const handsOn = driver.fields.some((f) => VFIO_PCI_CORE_FIELD.test(f.value.trim())) || calls.some(isVfioDeviceCall);
  return { dma: !handsOn, mmio: !handsOn && !calls.some((c) => CLAIM_CALLS_ANY_ERA.includes(c)), busMaster: !bindsOnlyPorts(driver) };
}

/** True when the call is a device access the replay checks under this policy. */
export function checksAccess(ctx: RunContext, name: string): boolean {
  const a = ctx.access;
  if (!a) return false;
  if (isDmaUse(name)) return a.dma && (name !== 'pci_set_master' || a.busMaster);
  return a.mmio && isMmioUse(name);
}

/** Did a claim on this path give the group its current owner (the driver's own claim)? */
function ownClaim(p: Path, group: string, owner: string): boolean {
  return p.t.events.some((e) => e.group === group && /claim_dma_owner|set_dma_owner/.test(e.api) && e.after?.owner === owner && e.before?.owner !== owner);
}

/** Checks one DMA-API / MMIO call of the bound driver against the group's state; records the violation. */
export function checkDeviceAccess(p: Path, ctx: RunContext, name: string, args: readonly string[], where: At): void {
  if (!checksAccess(ctx, name) || !p.k.iommuApi) return;
  const devArg = /^dmam?_pool_create$/.test(name) ? args[1] : args[0];
  const dev = resolveDevice(p, ctx, devArg);
  const g = groupOf(p.k, dev);
  if (!g) return;
  const call = `${name}() on ${dev}`;
  if (isDmaUse(name)) {
    if (g.domain === g.defaultDomain) return;
    const d = g.domain ? p.k.state.domains.get(g.domain) : undefined;
    if (d && d.origin === 'driver' && !d.freed) return; // the driver's own domain: its DMA-API use there is deliberate
    const on = domainName(p.k.state, g, g.domain);
    const why = g.owner !== null ? `${g.id} is owned by ${g.owner} and on ${on}` : `${g.id} is on ${on}`;
    const i = p.t.note(p.k, `${call} — DMA-API use while ${why}`, 'maps into the default domain, which is not attached', g.id, where);
    p.t.violate('dma-api-off-default-domain',
      `${name}() at ${placeText(where)} uses the DMA API for ${dev} while ${why}: the mapping goes to the default domain, which the device does not translate through now`,
      i, name, undefined, g.id);
    return;
  }
  if (g.owner === null || ownClaim(p, g.id, g.owner)) return;
  const what = /reset/.test(name) ? 'resets the device' : 'maps device registers';
  const i = p.t.note(p.k, `${call} — ${what} while ${g.id} is owned by ${g.owner}`, 'reachable by the owner', g.id, where);
  p.t.violate('device-access-while-user-owned',
    `${name}() at ${placeText(where)} ${what} of ${dev} while ${g.owner} owns ${g.id}: the owner's devices can reach it by peer-to-peer DMA${/reset/.test(name) ? ', and the reset races them' : ''}`,
    i, name, undefined, g.id);
}
