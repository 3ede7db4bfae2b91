/**
 * OWN004: a stub driver (probe only parks the device; the file does no DMA and no MMIO) that does not set
 * driver_managed_dma. A query of the replay: bound, the driver holds a DMA-API count it never uses, and the replay's
 * trial user-space claim of its singleton group is refused ('idle-driver-blocks-claim', decided in sim/replay.ts on
 * a whole-file view). The rule narrows that to drivers whose callbacks only log and keep driver data (a placeholder),
 * words it and proposes the flag. Info only.
 */
import type { BusKind, DriverStructFact, KernelTarget, ScenarioResult, Violation } from '../core/types';
import { createRule, type RuleContext } from './types';
import { managedDmaFlag } from '../core/sim/vocabulary';
import { callbackFunctions } from '../core/c/call-graph';
import { driverScenarios, traceOf } from './scenario-selection';
import { fixAddManagedDma } from './fixes';
import { isSeriesTarget } from './driver-flag';
import { keyOf } from './reports';

/** Driver-struct fields that name data, not code (a missing definition for them hides nothing). */
const DATA_FIELD = /(^|\.)(id_table|\w*match_table|name|owner|pm|groups|dev_groups|err_handler|bus|mod_name|probe_type|suppress_bind_attrs)$/;

/** Callbacks wired up whose code is not in this file's facts (data fields such as id_table do not count). */
function missingCallbacks(ctx: RuleContext, driver: DriverStructFact): { field: string; fn: string }[] {
  return callbackFunctions(ctx.facts, driver).missing.filter((m) => !DATA_FIELD.test(m.field) && m.fn !== 'NULL');
}

/** The replay's refused user-space claim while this driver is bound and idle. */
function blockedClaim(scenarios: readonly ScenarioResult[]): { scenario: ScenarioResult; violation: Violation } | undefined {
  for (const scenario of scenarios) {
    const violation = scenario.violations.find((v) => v.kind === 'idle-driver-blocks-claim');
    if (violation) return { scenario, violation };
  }
  return undefined;
}

const CODE = 'OWN004';

export { PARKING_CALL } from '../core/sim/vocabulary';

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
        '{{driver}} looks like a placeholder ({{probe}}() only parks the device and the file does no DMA or MMIO) but does not set {{flag}}: binding it takes a DMA-API count, so every claim of its IOMMU group fails with {{errno}}.',
    },
    targets: ['5.19', '6.2', '6.14', '6.15', 'latest'],
  },
  check(ctx) {
    if (ctx.isCoreOrBusCode || isSeriesTarget(ctx.target)) return;
    const flag = managedDmaFlag(ctx.target).field;
    for (const driver of ctx.facts.drivers) {
      if (driver.managedDma.state !== 'absent' || !driver.complete) continue;
      if (!busHasFlag(driver.bus, ctx.target)) continue;
      const cbs = callbackFunctions(ctx.facts, driver);
      const probe = cbs.byField.probe;
      if (!probe || !probe.complete || missingCallbacks(ctx, driver).length > 0 || cbs.incomplete.length > 0) continue;
      const blocked = blockedClaim(driverScenarios(ctx, driver, ['singleton']));
      if (!blocked) continue;
      ctx.report({
        messageId: 'placeholder',
        scenario: blocked.scenario,
        trace: traceOf(blocked.scenario, blocked.violation),
        data: { driver: driver.name, probe: probe.name, flag: `.${flag} = true`, errno: blocked.violation.errno ?? '' },
        span: driver.nameSpan,
        key: keyOf(CODE, driver.name),
        fixes: [fixAddManagedDma(ctx, driver)],
      });
    }
  },
});
