/**
 * OWN003: driver_managed_dma on a (non-VFIO) driver that maps registers or resets the function. The flag is for
 * drivers that can share their group with user space: no DMA, no MMIO, no reset (the criteria given when the
 * PCIe port driver got the flag).
 */
import { createRule } from './types';
import { isUnder, keyOf, vfioEvidence } from './util';
import { isMmioUse, managedDmaFlag, setsManagedDma } from '../core/sim/vocabulary';
import { driverCode, usesIn } from './tier2a-util';

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
      if (!setsManagedDma(driver, ctx.target)) continue;
      // VFIO drivers (and drivers owning their group) map BARs on behalf of the owner: that is the point of the flag.
      if (vfioEvidence(ctx, driver)) continue;
      const code = driverCode(ctx, driver);
      const fileLevel = ctx.facts.mmio.map((m) => ({ callee: m.callee, span: m.span, inFunction: m.inFunction }));
      const seen = new Set<string>();
      for (const use of usesIn(code.functions, isMmioUse, fileLevel, code.orphans)) {
        const key = keyOf(CODE, driver.name, use.inFunction ?? '?', use.callee);
        if (seen.has(key)) continue;
        seen.add(key);
        ctx.report({
          messageId: RESET.test(use.callee) ? 'resetWithFlag' : 'mmioWithFlag',
          data: { driver: driver.name, flag: `.${flag} = true`, function: use.inFunction ?? '(unnamed)', callee: use.callee },
          span: use.span,
          key,
          fixes: [{ title: `Do not set .${flag} on ${driver.name}`, edits: [], suggestion: `remove \`.${flag} = true,\` from ${driver.name}, or justify the MMIO/reset in the commit message` }],
        });
      }
    }
  },
});
