/**
 * OWN002: a driver that sets driver_managed_dma still uses the kernel DMA API, without owning the group and
 * attaching a domain of its own first. The bus then takes no count for it, so nothing keeps the group on the
 * default domain while the driver maps through it. A query of the replay's 'dma-api-off-default-domain'
 * violations: bound into a group user space owns (the flag lets the bind through) or after claiming the group
 * itself without attaching a domain, the driver's DMA-API call runs while the group is off its default domain.
 * The replay charges nothing to a driver that hands its device to user space (its in-kernel DMA is its PF's) and
 * does not count pci_set_master() of a driver that binds only PCI bridges (sim/device-access.ts).
 */
import type { DriverStructFact, Fix } from '../core/types';
import { createRule, type RuleContext } from './types';
import { managedDmaFlag } from '../core/sim/vocabulary';
import { hitsOf, traceTo } from './violation-sites';
import { driverScenarios } from './scenario-selection';
import { isUnder } from './analysed-file';
import { keyOf } from './reports';

const CODE = 'OWN002';

function dropFlagFix(ctx: RuleContext, driver: DriverStructFact): Fix | undefined {
  const span = driver.managedDma.span;
  const field = driver.managedDma.spelling ?? managedDmaFlag(ctx.target).field;
  const title = `Remove .${field} = true from ${driver.name} (the driver uses the DMA API)`;
  if (!span) return { title, edits: [], suggestion: `remove \`.${field} = true,\` from ${driver.name}` };
  return {
    title,
    edits: [{ path: ctx.facts.path, span: { line: span.line, column: 1, endLine: span.line + 1, endColumn: 1 }, newText: '' }],
    suggestion: `remove \`.${field} = true,\` from ${driver.name}`,
  };
}

export const driverManagedDmaWithDmaApi = createRule({
  meta: {
    code: CODE,
    name: 'driver-managed-dma-with-dma-api',
    category: 'ownership',
    defaultSeverity: 'error',
    tier: 2,
    description: 'A driver that sets driver_managed_dma must not use the kernel DMA API unless it owns the group and attached its own domain first.',
    messages: {
      dmaWithFlag:
        '{{driver}} sets {{flag}}, yet {{function}}() calls {{callee}}(): the bus takes no DMA-API count for this driver, so the group can be claimed by user space and moved off the default domain while the device still does DMA through it.',
    },
  },
  check(ctx) {
    // VFIO drivers hand their device to user space; a variant driver's in-kernel DMA goes through its PF.
    if (ctx.isCoreOrBusCode || isUnder(ctx, 'drivers/vfio/')) return;
    const flag = managedDmaFlag(ctx.target).field;
    for (const driver of ctx.facts.drivers) {
      const seen = new Set<string>();
      for (const hit of hitsOf(ctx, driverScenarios(ctx, driver, ['user-owned', 'singleton']), ['dma-api-off-default-domain'])) {
        const call = hit.call;
        if (!call) continue;
        const fn = call.inFunction || '(unnamed)';
        const key = keyOf(CODE, driver.name, call.inFunction ?? '?', call.callee);
        if (seen.has(key)) continue;
        seen.add(key);
        const fix = dropFlagFix(ctx, driver);
        ctx.report({
          messageId: 'dmaWithFlag',
          data: { driver: driver.name, flag: `.${flag} = true`, function: fn, callee: call.callee },
          span: call.calleeSpan,
          key,
          scenario: hit.scenario,
          trace: traceTo(hit),
          fixes: fix ? [fix] : [],
        });
      }
    }
  },
});
