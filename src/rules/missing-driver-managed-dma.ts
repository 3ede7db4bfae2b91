/**
 * OWN001: a driver that hands its device to user space (VFIO / iommufd, or claims DMA ownership itself) without
 * setting driver_managed_dma. A query of the replay: bound without the flag, the driver's bind took a DMA-API count,
 * so the replay's user-space claim while bound ('claim-failed') or the driver's own claim ('error-return') is refused
 * with the kernel's errno. The rule only words that violation and proposes the flag.
 */
import type { DriverStructFact, ImageSpan, ScenarioResult, Violation } from '../core/types';
import { createRule, type RuleContext } from './types';
import { OWNERSHIP_TAKING_CALLS, USER_HANDOFF_CALLS, managedDmaFlag } from '../core/sim/vocabulary';
import { driverScenarios, traceOf } from './scenario-selection';
import { fixAddManagedDma } from './fixes';
import { isDriverCode } from './analysed-file';
import { keyOf } from './reports';

/** Claims a driver makes itself: refused in its probe, they are this rule's evidence too. */
const OWN_CLAIMS = OWNERSHIP_TAKING_CALLS;

interface Refusal { scenario: ScenarioResult; violation: Violation }

/** The replay's refused claim: user space's while the driver is bound, or the driver's own in its probe. */
function refusedClaim(scenarios: readonly ScenarioResult[]): Refusal | undefined {
  for (const scenario of scenarios) {
    const violation = scenario.violations.find((v) =>
      v.kind === 'claim-failed' && v.phase === 'user' && v.handoff !== undefined
      || v.kind === 'error-return' && v.api !== undefined && OWN_CLAIMS.includes(v.api) && v.errno !== undefined);
    if (violation) return { scenario, violation };
  }
  return undefined;
}

/** The pre-image span of the flag when the pre-image of this driver struct set it and the post-image does not. */
function removedFlag(ctx: RuleContext, driver: DriverStructFact, field: string): ImageSpan | undefined {
  const before = ctx.pre?.drivers.find((d) => d.name === driver.name)?.managedDma;
  if (before?.state !== 'present' || before.spelling !== field || !before.span) return undefined;
  return /^(true|1)$/.test((before.value ?? '').trim()) ? before.span : undefined;
}

/**
 * The driver as the replay should judge it. A flag the view does not show may be set, and the replay then claims
 * nothing; the question "would it be refused without the flag?" is asked of the replay with the flag absent, and a
 * refusal is reported at info naming what is unseen.
 */
function withoutUnseenFlag(driver: DriverStructFact): DriverStructFact {
  return driver.managedDma.state === 'unknown' ? { ...driver, managedDma: { state: 'absent' } } : driver;
}

function checkDriver(ctx: RuleContext, driver: DriverStructFact): void {
  const flag = managedDmaFlag(ctx.target);
  const m = driver.managedDma;
  const flagUnseen = m.state === 'unknown' && !ctx.complete;
  const refused = refusedClaim(driverScenarios(ctx, flagUnseen ? withoutUnseenFlag(driver) : driver, ['singleton']));
  if (!refused) return;
  const { scenario, violation } = refused;
  // Wording only: the replay already decided that the flag, where it is written, is not honoured on this target.
  const misplaced = m.state === 'present' && m.spelling === flag.field && !!m.inDeviceDriver !== flag.inDeviceDriver;
  const ownClaim = violation.kind === 'error-return';
  const removed = m.state === 'present' ? undefined : removedFlag(ctx, driver, flag.field);
  const unseen = flagUnseen && !removed ? `the rest of ${driver.name}'s initializer, which may set .${flag.field}` : undefined;
  const inFunction = ownClaim && violation.at ? ctx.facts.functions.find((f) => f.span.line <= violation.at!.line && violation.at!.line <= f.span.endLine) : undefined;
  ctx.report({
    messageId: misplaced ? (flag.inDeviceDriver ? 'misplacedOutsideDriver' : 'misplaced') : ownClaim ? 'missingOwnClaim' : 'missing',
    data: {
      fn: inFunction?.name || 'its probe',
      callee: violation.api ?? '',
      driver: driver.name,
      evidence: violation.handoff ?? `${violation.api}()`,
      flag: flag.field,
      target: ctx.target,
      errno: violation.errno ?? '',
    },
    // A flag the patch deletes: the problem is the deleted line (the struct's name may not even be in the hunk).
    ...(removed ? { span: removed, image: 'pre' as const } : { span: misplaced && m.span ? m.span : driver.nameSpan }),
    scenario,
    trace: traceOf(scenario, violation),
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
        '{{driver}} hands its device to user space ({{evidence}}) but does not set .{{flag}} = true: binding it already counts a kernel DMA-API user, so claiming the group for user space fails with {{errno}}',
      missingOwnClaim:
        '{{driver}} claims DMA ownership itself ({{callee}}() in {{fn}}()) but does not set .{{flag}} = true: binding it already counts a kernel DMA-API user, so that claim fails with {{errno}} and the device never probes',
      misplaced:
        '{{driver}} hands its device to user space ({{evidence}}) and sets .{{flag}} inside .driver = { }, but the flag belongs to the bus driver struct itself (struct device_driver has no such field): as written it does not build, and the group cannot be claimed ({{errno}})',
      misplacedOutsideDriver:
        '{{driver}} hands its device to user space ({{evidence}}) and sets .{{flag}} in the bus driver struct, but on {{target}} the flag belongs inside .driver = { } (struct device_driver): the bus code does not see it, and the group cannot be claimed ({{errno}})',
      missingStructUnseen:
        '{{fn}}() hands its device to user space ({{evidence}}); the driver struct that binds it must set .{{flag}} = true, or claiming the group for user space fails with {{errno}}',
    },
  },
  check(ctx) {
    if (!isDriverCode(ctx)) return;
    for (const driver of ctx.facts.drivers) checkDriver(ctx, driver);
    if (ctx.facts.drivers.length === 0 && !ctx.complete) checkUnseenStruct(ctx);
  },
});

/**
 * A patch that adds a user-space hand-off to a probe whose driver struct is outside the hunks: the replay binds that
 * probe as a driver of the bus its argument names, with the flag absent, and a refused claim is reported at info,
 * naming the struct it could not see (it decides whether the flag is set).
 */
function checkUnseenStruct(ctx: RuleContext): void {
  for (const fn of ctx.facts.functions) {
    if (!/probe/.test(fn.name) || !fn.calls.some((c) => USER_HANDOFF_CALLS.includes(c.callee) && ctx.isAdded(c.span))) continue;
    const bus = /\bstruct\s+pci_dev\b/.test(fn.params[0]?.type ?? '') ? 'pci' : 'platform';
    const stand: DriverStructFact = {
      name: `the ${bus}_driver that binds ${fn.name}()`, structType: `${bus}_driver`, bus, nameSpan: fn.nameSpan, span: fn.span, insertBefore: null,
      fields: [], complete: false, managedDma: { state: 'absent' }, callbacks: { probe: fn.name }, addedLines: [],
    };
    const refused = refusedClaim(driverScenarios(ctx, stand, ['singleton']));
    if (!refused) continue;
    const flag = managedDmaFlag(ctx.target).field;
    ctx.report({
      messageId: 'missingStructUnseen',
      data: { fn: fn.name, evidence: refused.violation.handoff ?? `${refused.violation.api}()`, flag, errno: refused.violation.errno ?? '' },
      span: fn.nameSpan,
      scenario: refused.scenario,
      trace: traceOf(refused.scenario, refused.violation),
      unseen: `the driver struct that binds ${fn.name}() (does it set .${flag}?)`,
      key: keyOf('OWN001', fn.name),
    });
  }
}
