/**
 * The driver's ownership flag as a target spells and places it (driver_managed_dma, or the series postings' names),
 * whether a driver struct sets it, and how a rule assumes it when the view does not show it.
 */
import type { DriverStructFact, KernelTarget } from '../core/types';
import { managedDmaFlag } from '../core/sim/vocabulary';
import type { RuleContext } from './types';

export const SERIES_TARGETS: readonly KernelTarget[] = ['series-v1', 'series-v2', 'series-v3', 'series-v4', 'series-v5'];

export function isSeriesTarget(target: KernelTarget): boolean {
  return SERIES_TARGETS.includes(target);
}


/**
 * The driver as the replay should see it when its flag is not visible: a driver that claims ownership itself is
 * assumed to set the flag (otherwise every claim fails with -EPERM, which is missing-driver-managed-dma's finding).
 */
export function assumeFlagIfUnseen(ctx: RuleContext, driver: DriverStructFact): DriverStructFact {
  if (driver.managedDma.state !== 'unknown') return driver;
  const flag = managedDmaFlag(ctx.target);
  return { ...driver, managedDma: { state: 'present', spelling: flag.field, value: 'true', inDeviceDriver: flag.inDeviceDriver } };
}
