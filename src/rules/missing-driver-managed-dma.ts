/**
 * OWN001: a driver that hands its device to user space (VFIO / iommufd, or claims DMA ownership itself) without
 * setting driver_managed_dma. Its bind already took a DMA-API count, so the later claim fails with -EPERM.
 */
import type { BusKind, DriverStructFact, ImageSpan, ScenarioResult, TraceStep } from '../core/types';
import { createRule, type RuleContext } from './types';
import {
  callsTo,
  driverScenarios,
  firstViolation,
  fixAddManagedDma,
  isDriverCode,
  keyOf,
  traceOf,
  vfioEvidence,
} from './util';
import { managedDmaFlag, OWNERSHIP_TAKING_CALLS, VFIO_DEVICE_REGISTRATIONS } from '../core/sim/vocabulary';

/** Buses whose driver struct carries the flag (on the released kernels; series v1/v4 put it in device_driver). */
const BUSES_WITH_FLAG: readonly BusKind[] = ['pci', 'platform', 'amba', 'fsl_mc', 'cdx'];

/** Registration calls that only make sense in a VFIO driver's probe (for the struct-not-visible case). */
const PROBE_REGISTRATIONS = VFIO_DEVICE_REGISTRATIONS;

/** Calls by which a driver takes DMA ownership itself (its own claim can be the one that fails). */
const OWN_CLAIMS = OWNERSHIP_TAKING_CALLS;

function refusedClaim(scenarios: readonly ScenarioResult[]): { scenario: ScenarioResult; trace: TraceStep[]; errno: string } | undefined {
  for (const scenario of scenarios) {
    const i = scenario.trace.findIndex((t) => /claim_dma_owner/.test(t.step) && /^-E/.test(t.result.trim()));
    if (i >= 0) return { scenario, trace: scenario.trace.slice(0, i + 1), errno: scenario.trace[i].result.trim() };
  }
  return undefined;
}

/** The pre-image span of the flag when the pre-image of this driver struct set it and the post-image does not. */
function removedFlag(ctx: RuleContext, driver: DriverStructFact, field: string): ImageSpan | undefined {
  const before = ctx.pre?.drivers.find((d) => d.name === driver.name)?.managedDma;
  if (before?.state !== 'present' || before.spelling !== field || !before.span) return undefined;
  return /^(true|1)$/.test((before.value ?? '').trim()) ? before.span : undefined;
}

function checkDriver(ctx: RuleContext, driver: DriverStructFact): void {
  const flag = managedDmaFlag(ctx.target);
  const m = driver.managedDma;
  // The flag is read where the target's posting put it: `.driver = { }` on series v1/v4, the bus driver struct
  // everywhere else. Set in the other place, the bus code never sees it (the replay treats it as unset too).
  const misplaced = m.state === 'present' && m.spelling === flag.field && !!m.inDeviceDriver !== flag.inDeviceDriver;
  if (m.state === 'present' && !misplaced) return; // set (a stale spelling is stale-api-name's business)
  if (!flag.inDeviceDriver && !BUSES_WITH_FLAG.includes(driver.bus)) return;
  const evidence = vfioEvidence(ctx, driver);
  if (!evidence) return;
  const scenarios = driverScenarios(ctx, driver, ['singleton']);
  const hit = firstViolation(scenarios, ['claim-failed', 'error-return']);
  // The replay tries a VFIO claim while the driver is bound; the step where it fails is the evidence.
  const refused = hit ? undefined : refusedClaim(scenarios);
  const removed = m.state === 'present' ? undefined : removedFlag(ctx, driver, flag.field);
  const unseen =
    driver.managedDma.state === 'unknown' && !ctx.complete && !removed
      ? `the rest of ${driver.name}'s initializer, which may set .${flag.field}`
      : undefined;
  // Which claim fails: the driver's own (a step in its code, e.g. probe's claim) or user space's trial while bound.
  const evidenceTrace = hit ? traceOf(hit.scenario, hit.violation) : refused?.trace;
  const failing = evidenceTrace?.[evidenceTrace.length - 1];
  const ownCall = failing?.at ? callsTo(ctx.facts, OWN_CLAIMS).find((c) => c.calleeSpan.line === failing.at?.line) : undefined;
  ctx.report({
    messageId: misplaced ? (flag.inDeviceDriver ? 'misplacedOutsideDriver' : 'misplaced') : ownCall ? 'missingOwnClaim' : 'missing',
    data: {
      fn: ownCall?.inFunction || 'its probe',
      callee: ownCall?.callee ?? '',
      driver: driver.name,
      evidence: evidence.isCall ? `${evidence.name}()` : evidence.name,
      flag: flag.field,
      target: ctx.target,
      errno: hit?.violation.errno ?? refused?.errno ?? '-EPERM',
    },
    // A flag the patch deletes: the problem is the deleted line (the struct's name may not even be in the hunk).
    ...(removed ? { span: removed, image: 'pre' as const } : { span: misplaced && m.span ? m.span : driver.nameSpan }),
    scenario: hit?.scenario ?? refused?.scenario ?? scenarios[0],
    trace: evidenceTrace,
    fixes: [
      misplaced && !flag.inDeviceDriver
        ? { ...fixAddManagedDma(ctx, driver), title: `Move .${flag.field} = true out of .driver into ${driver.name}`, suggestion: `move \`.${flag.field} = true,\` from \`.driver = { }\` to the initializer of ${driver.name}` }
        : misplaced
          ? { title: `Move .${flag.field} = true into .driver of ${driver.name}`, edits: [], suggestion: `move \`.${flag.field} = true,\` into the nested \`.driver = { }\` of ${driver.name}` }
          : fixAddManagedDma(ctx, driver),
    ],
    unseen,
    key: keyOf('OWN001', driver.name),
  });
}

export const missingDriverManagedDma = createRule({
  meta: {
    code: 'OWN001',
    name: 'missing-driver-managed-dma',
    category: 'ownership',
    defaultSeverity: 'error',
    tier: 1,
    description: 'A driver that gives its device to user space (VFIO, iommufd) or claims DMA ownership must set driver_managed_dma.',
    messages: {
      missing:
        '{{driver}} uses {{evidence}} but does not set .{{flag}} = true: binding it already counts a kernel DMA-API user, so claiming the group for user space fails with {{errno}}',
      missingOwnClaim:
        '{{driver}} claims DMA ownership itself ({{callee}}() in {{fn}}()) but does not set .{{flag}} = true: binding it already counts a kernel DMA-API user, so that claim fails with {{errno}} and the device never probes',
      misplaced:
        '{{driver}} uses {{evidence}} and sets .{{flag}} inside .driver = { }, but the flag belongs to the bus driver struct itself (struct device_driver has no such field): as written it does not build, and the group cannot be claimed ({{errno}})',
      misplacedOutsideDriver:
        '{{driver}} uses {{evidence}} and sets .{{flag}} in the bus driver struct, but on {{target}} the flag belongs inside .driver = { } (struct device_driver): the bus code does not see it, and the group cannot be claimed ({{errno}})',
      missingStructUnseen:
        '{{fn}}() registers a VFIO device with {{evidence}}; the driver struct that binds it must set .{{flag}} = true or the group cannot be claimed (-EPERM)',
    },
  },
  check(ctx) {
    if (!isDriverCode(ctx)) return;
    for (const driver of ctx.facts.drivers) checkDriver(ctx, driver);
    // A patch that adds VFIO registration to a probe whose driver struct is outside the hunks.
    if (ctx.facts.drivers.length > 0 || ctx.complete) return;
    for (const call of callsTo(ctx.facts, PROBE_REGISTRATIONS)) {
      if (!ctx.isAdded(call.span) || !call.inFunction || !/probe/.test(call.inFunction)) continue;
      ctx.report({
        messageId: 'missingStructUnseen',
        data: { fn: call.inFunction, evidence: `${call.callee}()`, flag: managedDmaFlag(ctx.target).field },
        span: call.calleeSpan,
        unseen: `the driver struct that binds ${call.inFunction}() (does it set .${managedDmaFlag(ctx.target).field}?)`,
        key: keyOf('OWN001', call.inFunction, call.callee),
      });
    }
  },
});
