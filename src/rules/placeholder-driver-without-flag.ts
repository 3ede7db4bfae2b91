/**
 * OWN004: a stub driver (probe only parks the device; the file does no DMA and no MMIO) that does not set
 * driver_managed_dma. Its bind takes a DMA-API count, so no other device of its group can be claimed.
 * Info only, and only when the whole file is visible: "does no DMA" must be a fact, not a guess.
 */
import type { BusKind, DriverStructFact, KernelTarget, ScenarioResult, TraceStep } from '../core/types';
import { isDmaApiUse, isMmioUse } from '../core/sim';
import { createRule, type RuleContext } from './types';
import { callbackFunctions, driverScenarios, fixAddManagedDma, isSeriesTarget, isVfioLikeDriver, keyOf } from './util';
import { managedDmaFlag } from '../core/sim/vocabulary';

/** Driver-struct fields that name data, not code (a missing definition for them hides nothing). */
const DATA_FIELD = /(^|\.)(id_table|\w*match_table|name|owner|pm|groups|dev_groups|err_handler|bus|mod_name|probe_type|suppress_bind_attrs)$/;

/** Callbacks wired up whose code is not in this file's facts (data fields such as id_table do not count). */
function missingCallbacks(ctx: RuleContext, driver: DriverStructFact): { field: string; fn: string }[] {
  return callbackFunctions(ctx, driver).missing.filter((m) => !DATA_FIELD.test(m.field) && m.fn !== 'NULL');
}

/** The trace of a scenario up to and including the first step matching `pred` (undefined when none matches). */
function traceUpTo(scenario: ScenarioResult, pred: (step: TraceStep) => boolean): TraceStep[] | undefined {
  const i = scenario.trace.findIndex(pred);
  return i < 0 ? undefined : scenario.trace.slice(0, i + 1);
}

const CODE = 'OWN004';

/** Calls a parking probe may make: logging and driver-data bookkeeping. Anything else is real work. */
export const PARKING_CALL = /^(?:(?:dev|pci|pr|netdev|platform)_(?:info|dbg|debug|notice|warn|err|emerg|crit|alert)(?:_once|_ratelimited)?|printk|(?:dev|pci|platform|amba|fsl_mc|cdx)_(?:set|get)_drvdata|dev_name|pci_name)$/;

function busHasFlag(bus: BusKind, target: KernelTarget): boolean {
  switch (bus) {
    case 'pci':
    case 'platform':
    case 'amba':
    case 'fsl_mc':
      return true;
    case 'cdx':
      // CDX gained the flag after 6.2 (spec §1.4); the 6.14+ profiles have it.
      return target !== '5.19' && target !== '6.2';
    default:
      return false;
  }
}

export const placeholderDriverWithoutFlag = createRule({
  meta: {
    code: CODE,
    name: 'placeholder-driver-without-flag',
    category: 'ownership',
    defaultSeverity: 'info',
    tier: 3,
    description: 'A stub driver that only parks its device (no DMA, no MMIO) should set driver_managed_dma so the rest of its IOMMU group stays assignable.',
    messages: {
      placeholder:
        '{{driver}} looks like a placeholder ({{probe}}() only parks the device and the file does no DMA or MMIO) but does not set {{flag}}: binding it takes a DMA-API count, so every claim of its IOMMU group fails with -EPERM.',
    },
    targets: ['5.19', '6.2', '6.14', '6.15', 'latest'],
  },
  check(ctx) {
    if (ctx.isCoreOrBusCode || isSeriesTarget(ctx.target)) return;
    if (!ctx.complete) return;
    const allCalls = ctx.facts.functions.flatMap((f) => f.calls);
    if (ctx.facts.dmaApi.length > 0 || ctx.facts.mmio.length > 0) return;
    if (allCalls.some((c) => isDmaApiUse(c.callee) || isMmioUse(c.callee))) return;
    const flag = managedDmaFlag(ctx.target).field;
    for (const driver of ctx.facts.drivers) {
      if (driver.managedDma.state !== 'absent' || !driver.complete) continue;
      if (!busHasFlag(driver.bus, ctx.target)) continue;
      const cbs = callbackFunctions(ctx, driver);
      const probe = cbs.byField.probe;
      if (!probe || !probe.complete || missingCallbacks(ctx, driver).length > 0 || cbs.incomplete.length > 0) continue;
      if (isVfioLikeDriver(ctx, driver)) continue;
      // A probe that never succeeds holds no count (dma_cleanup runs on probe failure): nothing is parked.
      if (!probe.program.some((i) => i.op === 'return' && (i.value === null || (i.value.kind === 'int' && i.value.value === 0)))) continue;
      const local = new Set(ctx.facts.functions.map((f) => f.name));
      const work = cbs.functions.flatMap((f) => f.calls).filter((c) => !local.has(c.callee) && !PARKING_CALL.test(c.callee));
      if (work.length > 0) continue;
      // The replay shows the bind taking a count and a user-space claim of the group being refused.
      let trace;
      for (const sc of driverScenarios(ctx, driver, ['singleton'])) {
        trace = traceUpTo(sc, (t) => t.phase === 'user' && /claim/.test(t.step) && /^-E/.test(t.result));
        if (trace) break;
      }
      ctx.report({
        messageId: 'placeholder',
        trace,
        data: { driver: driver.name, probe: probe.name, flag: `.${flag} = true` },
        span: driver.nameSpan,
        key: keyOf(CODE, driver.name),
        fixes: [fixAddManagedDma(ctx, driver)],
      });
    }
  },
});
