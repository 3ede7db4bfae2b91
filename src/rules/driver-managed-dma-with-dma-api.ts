/**
 * OWN002: a driver that sets driver_managed_dma still uses the kernel DMA API, without owning the group and
 * attaching a domain of its own first. The bus then takes no count for it, so nothing keeps the group on the
 * default domain while the driver maps through it.
 */
import type { CallFact, DriverStructFact, Fix, ScenarioResult, TraceStep } from '../core/types';
import { createRule, type RuleContext } from './types';
import { callbackFunctions, callsTo, driverScenarios, isUnder, keyOf } from './util';
import { ATTACH_CALLS, CLAIM_CALLS, isDmaUse, isVfioDeviceCall, managedDmaFlag, setsManagedDma } from '../core/sim/vocabulary';
import { before, driverCode, fnNameOf, traceUpTo, usesIn, type Use } from './tier2a-util';

const CODE = 'OWN002';

/** A VFIO device registration (not a bare claim): the device itself belongs to user space. */

function registersVfioDevice(ctx: RuleContext, driver: DriverStructFact): boolean {
  if (driver.fields.some((f) => /^&?vfio_pci_core_\w+$/.test(f.value))) return true;
  return callbackFunctions(ctx, driver).functions.some((f) => f.calls.some((c) => isVfioDeviceCall(c.callee)));
}

/**
 * A driver that only binds PCI bridges / ports (its id table matches nothing but PCI_CLASS_BRIDGE_* and Root Complex
 * Event Collector classes) enables bus mastering so the port forwards its downstream devices' requests and signals
 * its own service interrupts; the port maps nothing through the DMA API, so nothing it does depends on the default
 * domain. That is why portdrv sets the flag on purpose (c7d469849747): pci_set_master() there is not DMA-API use.
 */
function bindsOnlyPorts(driver: DriverStructFact): boolean {
  const t = driver.idTable;
  return !!t && !t.byOtherIds && t.classes.length > 0 && t.classes.every((c) => /^PCI_CLASS_BRIDGE_\w+$|^PCI_CLASS_SYSTEM_RCEC$/.test(c));
}

function ownsDomainBefore(ctx: RuleContext, use: Use): boolean {
  const sameFn = (c: CallFact) => use.inFunction !== undefined && fnNameOf(ctx, c) === use.inFunction;
  // In the same function the order is visible, so one of those calls must come first; elsewhere, any will do.
  const precedes = (calls: CallFact[]) => {
    const same = calls.filter(sameFn);
    return same.length > 0 ? same.some((c) => before(c.span, use.span)) : calls.length > 0;
  };
  return precedes(callsTo(ctx.facts, CLAIM_CALLS)) && precedes(callsTo(ctx.facts, ATTACH_CALLS));
}

/**
 * The replay of binding the driver into a group user space already owns: the flag lets the bind through, and the
 * probe runs with the group on the blocking/user domain. The trace ends with the DMA call that then misbehaves.
 */
function userOwnedTrace(ctx: RuleContext, scenarios: readonly ScenarioResult[], use: Use): TraceStep[] | undefined {
  for (const s of scenarios) {
    if (s.outcome !== 'ok') continue;
    const upToProbe = traceUpTo(s, (t) => t.phase === 'probe' && /owner=(?!-)/.test(t.before ?? ''));
    if (!upToProbe) continue;
    const state = upToProbe[upToProbe.length - 1].before;
    return [
      ...upToProbe,
      {
        step: `${use.inFunction ?? 'the driver'}: ${use.callee}() programs DMA through the DMA API, but the group is not on its default domain`,
        result: 'IOMMU fault, or DMA into an address space user space controls',
        at: { file: ctx.facts.path, line: use.span.line, column: use.span.column },
        before: state,
        after: state,
      },
    ];
  }
  return undefined;
}

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
      if (!setsManagedDma(driver, ctx.target)) continue;
      // A registered VFIO device is driven by user space; a variant driver's in-kernel DMA targets its PF.
      if (registersVfioDevice(ctx, driver)) continue;
      const code = driverCode(ctx, driver);
      const fileLevel = ctx.facts.dmaApi.map((d) => ({ callee: d.callee, span: d.span, inFunction: d.inFunction }));
      const uses = usesIn(code.functions, isDmaUse, fileLevel, code.orphans);
      if (uses.length === 0) continue;
      const scenarios = driverScenarios(ctx, driver, ['user-owned']);
      const seen = new Set<string>();
      for (const use of uses) {
        const key = keyOf(CODE, driver.name, use.inFunction ?? '?', use.callee);
        if (seen.has(key)) continue;
        seen.add(key);
        if (ownsDomainBefore(ctx, use)) continue;
        if (use.callee === 'pci_set_master' && bindsOnlyPorts(driver)) continue;
        const fix = dropFlagFix(ctx, driver);
        ctx.report({
          messageId: 'dmaWithFlag',
          data: { driver: driver.name, flag: `.${flag} = true`, function: use.inFunction ?? '(unnamed)', callee: use.callee },
          span: use.span,
          key,
          trace: userOwnedTrace(ctx, scenarios, use),
          fixes: fix ? [fix] : [],
        });
      }
    }
  },
});
