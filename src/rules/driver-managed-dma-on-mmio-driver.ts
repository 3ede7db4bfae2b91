/**
 * OWN003: driver_managed_dma on a (non-VFIO) driver that maps registers or resets the function. The flag is for
 * drivers that can share their group with user space: no DMA, no MMIO, no reset (the criteria given when the
 * PCIe port driver got the flag). A query of the replay's 'device-access-while-user-owned' violations: bound into
 * a group user space owns (the flag lets the bind through), the driver maps or resets its device. Drivers that
 * hand the device to user space or claim the group themselves do it for the owner: the replay charges them nothing.
 */
import { createRule } from './types';
import { managedDmaFlag } from '../core/sim/vocabulary';
import { hitsOf, traceTo } from './violation-sites';
import { driverScenarios } from './scenario-selection';
import { isUnder } from './analysed-file';
import { keyOf } from './reports';

const CODE = 'OWN003';

const RESET = /reset/;

export const driverManagedDmaOnMmioDriver = createRule({
  meta: {
    code: CODE,
    name: 'driver-managed-dma-on-mmio-driver',
    category: 'ownership',
    defaultSeverity: 'warning',
    tier: 3,
    description: 'A non-VFIO driver that sets driver_managed_dma should not map device registers or reset the device.',
    messages: {
      mmioWithFlag:
        '{{driver}} sets {{flag}} but {{function}}() maps device registers with {{callee}}(): user space owning the rest of the group can reach this MMIO by peer-to-peer DMA.',
      resetWithFlag:
        '{{driver}} sets {{flag}} but {{function}}() resets the device with {{callee}}(): a reset races user space owning the rest of the group.',
    },
  },
  check(ctx) {
    if (ctx.isCoreOrBusCode) return;
    if (isUnder(ctx, 'drivers/vfio/')) return;
    const flag = managedDmaFlag(ctx.target).field;
    for (const driver of ctx.facts.drivers) {
      const seen = new Set<string>();
      for (const hit of hitsOf(ctx, driverScenarios(ctx, driver, ['user-owned']), ['device-access-while-user-owned'])) {
        const call = hit.call;
        if (!call) continue;
        const key = keyOf(CODE, driver.name, call.inFunction ?? '?', call.callee);
        if (seen.has(key)) continue;
        seen.add(key);
        ctx.report({
          messageId: RESET.test(call.callee) ? 'resetWithFlag' : 'mmioWithFlag',
          data: { driver: driver.name, flag: `.${flag} = true`, function: call.inFunction || '(unnamed)', callee: call.callee },
          span: call.calleeSpan,
          key,
          scenario: hit.scenario,
          trace: traceTo(hit),
          fixes: [{ title: `Do not set .${flag} on ${driver.name}`, edits: [], suggestion: `remove \`.${flag} = true,\` from ${driver.name}, or justify the MMIO/reset in the commit message` }],
        });
      }
    }
  },
});
