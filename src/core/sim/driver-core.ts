/**
 * The built-in bus hooks (dma_configure / dma_cleanup per bus, spec §1.4) and the driver-core milestones of
 * drivers/base/dd.c (§1.3). The replay drives the order; these functions do one hook each and trace it.
 */
import type { BusKind } from '../types';
import {
  ERRNO, assertNever, errnoText, iommu_device_unuse_default_domain, iommu_device_use_default_domain, type ApiOutcome, type Kernel,
} from './model';
import type { At, Tracer } from './trace';

export type HookStyle = 'standard' | 'cdx-swallow' | 'none';

/** How a bus's hooks treat ownership on this profile. */
export function hookStyle(k: Kernel, bus: BusKind): HookStyle {
  // series v1/v4: the auto-claim sat in really_probe itself, so every bus got it.
  if (k.profile.series === 1 || k.profile.series === 4) return 'standard';
  switch (bus) {
    case 'platform': case 'pci': case 'amba': case 'fsl_mc': case 'other': return 'standard';
    // drivers/cdx/cdx.c cdx_dma_configure (~6.5, [KCDX]): the use_default_domain error is not returned.
    case 'cdx': return 'cdx-swallow';
    // host1x_dma_configure only did OF setup; VFIO/mdev devices have no ownership hooks.
    case 'host1x': case 'vfio': return 'none';
    default: return assertNever(bus);
  }
}

/** The name the hook has in traces: pci_dma_configure, really_probe (v1/v4), ... */
function hookName(k: Kernel, bus: BusKind, which: 'configure' | 'cleanup'): string {
  if (k.profile.series === 1 || k.profile.series === 4) return which === 'configure' ? 'really_probe' : '__device_release_driver';
  const b = bus === 'other' ? 'bus' : bus;
  if (which === 'cleanup' && k.profile.series === 2) return `${b}_dma_unconfigure`;
  return `${b}_dma_${which}`;
}

function useName(k: Kernel): string {
  if (k.profile.series === 5) return 'iommu_device_use_dma_api';
  if (k.profile.series) return 'iommu_device_set_dma_owner';
  return 'iommu_device_use_default_domain';
}
function unuseName(k: Kernel): string {
  if (k.profile.series === 5) return 'iommu_device_unuse_dma_api';
  if (k.profile.series) return 'iommu_device_release_dma_owner';
  return 'iommu_device_unuse_default_domain';
}
function callText(k: Kernel, name: string, dev: string): string {
  return k.profile.series && k.profile.series < 5 ? `${name}(${dev}, DMA_OWNER_DMA_API${name.includes('set') ? ', NULL' : ''})` : `${name}(${dev})`;
}

/** Does the bound driver skip the auto-claim? (6.15+: no driver at all also skips.) */
function skipsOwnership(k: Kernel, dev: string): { skip: boolean; why?: string } {
  const d = k.state.devices.get(dev);
  if (!d?.driver) return k.profile.configureWithoutDriver ? { skip: true, why: 'no driver bound (6.15+: skipped)' } : { skip: false };
  return d.driver.managedDma ? { skip: true, why: `${d.driver.name} sets the ownership flag` } : { skip: false };
}

export interface ConfigureResult {
  /** What dma_configure returned to really_probe. */
  ret: number;
  /** The use_default_domain outcome, when it was called. */
  use?: ApiOutcome;
}

/** bus->dma_configure(dev) as the built-in model of the bus. */
export function busDmaConfigure(k: Kernel, t: Tracer, dev: string, bus: BusKind, at?: At): ConfigureResult {
  const style = hookStyle(k, bus);
  const hook = hookName(k, bus, 'configure');
  const group = k.state.devices.get(dev)?.group ?? null;
  if (style === 'none') {
    t.note(k, `${hook === 'bus_dma_configure' ? 'dma_configure' : hook}: no DMA ownership on the ${bus} bus`, '0', group, at);
    return { ret: 0 };
  }
  const skip = skipsOwnership(k, dev);
  if (skip.skip) {
    t.note(k, `${hook}: ${skip.why}, no ${useName(k)}`, '0', group, at);
    return { ret: 0 };
  }
  const use = t.api(k, 'iommu_device_use_default_domain', `${hook} → ${callText(k, useName(k), dev)}`, group,
    () => iommu_device_use_default_domain(k, dev), at);
  const code = use.value.kind === 'int' ? use.value.value : 0;
  if (code !== 0 && style === 'cdx-swallow') {
    const i = t.note(k, `${hook}: error ${errnoText(code)} swallowed, returns 0 (probe continues)`, '0', group, at);
    t.violate('error-return', `${hook} swallowed ${errnoText(code)} from iommu_device_use_default_domain; the later dma_cleanup drops a count it never took`, i, 'iommu_device_use_default_domain', errnoText(code));
    return { ret: 0, use };
  }
  return { ret: code, use };
}

/** bus->dma_cleanup(dev). */
export function busDmaCleanup(k: Kernel, t: Tracer, dev: string, bus: BusKind, at?: At): void {
  const style = hookStyle(k, bus);
  const hook = hookName(k, bus, 'cleanup');
  const group = k.state.devices.get(dev)?.group ?? null;
  if (style === 'none') return;
  const skip = skipsOwnership(k, dev);
  if (skip.skip) {
    t.note(k, `${hook}: ${skip.why}, no ${unuseName(k)}`, 'void', group, at);
    return;
  }
  t.api(k, 'iommu_device_unuse_default_domain', `${hook} → ${callText(k, unuseName(k), dev)}`, group,
    () => iommu_device_unuse_default_domain(k, dev), at);
}

export const EPROBE_DEFER = -ERRNO.EPROBE_DEFER;
