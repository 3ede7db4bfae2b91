/**
 * OWN005: a DMA ownership claim that is not released on every path (unbind, probe-failure exits), or a release
 * with no claim before it. The replay of the driver's lifecycle decides; this rule picks the scenario that shows it.
 */
import type { CallFact, DriverStructFact, FunctionFact, ScenarioResult, Violation, ViolationKind } from '../core/types';
import { createRule, type RuleContext } from './types';
import { lifecycleLeaks, reportLifecycleLeaks } from './lifecycle-leaks';
import { CLAIM_CALLS_ANY_ERA, RELEASE_CALLS } from '../core/sim/vocabulary';
import { scenarioLabel, callAtStep, driverScenarios, functionScenarios, traceOf, violationStep } from './scenario-selection';
import { apiExists } from './api-on-target';
import { assumeFlagIfUnseen } from './driver-flag';
import { callbackFunctions, callsIn, reachableFunctions, entryFunctions, unbindFunctions } from '../core/c/call-graph';
import { driverPrefix, unseenBody, unseenErrorPath, unseenLocalHelpers, unseenRemove } from './unseen-code';
import { reportBudget, keyOf } from './reports';
import { isDriverCode, removedCalls } from './analysed-file';

/** Claims on released kernels and their series-era spellings. */
const CLAIM_CALLS = CLAIM_CALLS_ANY_ERA;
const OWNER_API = [...CLAIM_CALLS, ...RELEASE_CALLS];

const LEAK_KINDS: readonly ViolationKind[] = ['left-owned', 'leaked-owner-cnt'];

/**
 * Entry points that claim and keep ownership on success (open/bind handlers, attach helpers), replayed with their
 * release partner (sim/lifecycle.ts): the partner must release it; with no partner, something in the file must.
 */
function checkLifecycle(ctx: RuleContext, reportedAt: Set<number>): void {
  const leaks = lifecycleLeaks(ctx, LEAK_KINDS, CLAIM_CALLS).filter((l) => !usesOtherEra(ctx, callsIn(reachableFunctions(ctx.facts, l.result.acquire), OWNER_API)));
  reportLifecycleLeaks(ctx, 'OWN005', leaks, reportedAt, { partner: 'partnerLeak', none: 'neverReleased', noneKey: 'never-released' });
  // An entry point that returns success after its claim failed: the partner's release WARNs (or drops another
  // owner's claim). The lifecycle replay runs the partner on that path too (sim/lifecycle.ts, swallowed failures).
  if (!ctx.complete || !ctx.sim.lifecycle) return;
  for (const result of ctx.sim.lifecycle('singleton')) {
    for (const scenario of result.scenarios) {
      const v = scenario.violations.find((x) => isReleaseViolation(x) && x.phase === 'release');
      if (!v) continue;
      // A claim whose result is never tested is unchecked-ownership-return's finding; this is its consequence.
      if (scenario.violations.some((x) => x.kind === 'unchecked-failure')) continue;
      const release = callAtStep(ctx, scenario.trace[v.stepIndex], RELEASE_CALLS);
      if (!release || reportedAt.has(release.calleeSpan.line)) break;
      reportedAt.add(release.calleeSpan.line);
      const claim = callsIn(reachableFunctions(ctx.facts, result.acquire), CLAIM_CALLS)[0];
      ctx.report({
        messageId: 'partnerReleaseAfterFailedClaim',
        data: { fn: result.acquire.name, claim: claim?.callee ?? 'the claim', release: release.callee, partner: release.inFunction ?? 'its partner' },
        span: release.calleeSpan,
        scenario,
        trace: traceOf(scenario, v),
        ...(v.unseen ? { unseen: v.unseen } : {}),
        key: keyOf('OWN005', result.acquire.name, release.callee, 'release-after-failed-claim'),
      });
      break;
    }
  }
}

function isReleaseViolation(v: Violation): boolean {
  if (v.kind === 'double-release') return true;
  return v.kind === 'warn' && v.api !== undefined && RELEASE_CALLS.includes(v.api);
}

/** The phase of the scenario where the leak shows: a probe-failure exit or the unbind. */
function failsInProbe(s: ScenarioResult): boolean {
  return s.outcome === 'probe-failed';
}

/**
 * A claim or release spelt as another era has it (absent on the target, or that arity absent) does not build: the
 * replay gives it no effect, so pairing it with the calls that do exist would report a cascade. stale-api-name
 * is the one report about it.
 */
function usesOtherEra(ctx: RuleContext, calls: readonly CallFact[]): boolean {
  return calls.some((c) => apiExists(c.callee, ctx.target, c.args.length) === false);
}

function checkDriver(ctx: RuleContext, driver: DriverStructFact): void {
  const cbs = callbackFunctions(ctx.facts, driver);
  const claims = callsIn(cbs.functions, CLAIM_CALLS);
  const releases = callsIn(cbs.functions, RELEASE_CALLS);
  if (claims.length === 0 && releases.length === 0) return;
  if (usesOtherEra(ctx, [...claims, ...releases])) return;
  const scenarios = driverScenarios(ctx, assumeFlagIfUnseen(ctx, driver), ['singleton']);
  const reported = new Set<string>();
  const first = claims[0] ?? releases[0];
  if (first && !scenarios.some((s) => s.violations.length)) reportBudget(ctx, scenarios, 'OWN005', cbs.byField.probe?.name ?? driver.name, first); // 'replayBudget'

  for (const s of scenarios) {
    for (const v of s.violations) {
      if (LEAK_KINDS.includes(v.kind) && claims.length > 0) {
        const claim = claimOnPath(ctx, s, claims);
        const where = failsInProbe(s) ? 'probe-failure' : 'unbind';
        const key = keyOf('OWN005', driver.name, claim.callee, where);
        if (reported.has(key)) continue;
        reported.add(key);
        const probe = cbs.byField.probe;
        // A release the patch deletes is the cause: the finding goes on the deleted line.
        const removed = removedCalls(ctx, failsInProbe(s) ? (probe ? [probe.name] : []) : unbindFunctions(ctx.facts, driver).map((f) => f.name), RELEASE_CALLS)[0];
        const unseen = removed ? undefined : failsInProbe(s)
          ? unseenErrorPath(ctx, claim, probe, s)
          : unseenRemove(ctx, driver) ?? helpersUnseen(ctx, driver, unbindFunctions(ctx.facts, driver));
        ctx.report({
          messageId: removed ? 'leakRemovedRelease' : failsInProbe(s) ? 'leakOnError' : 'leakOnUnbind',
          data: {
            driver: driver.name, claim: claim.callee, fn: claim.inFunction ?? 'probe', scenario: scenarioLabel(ctx, s),
            release: removed?.callee ?? '', from: removed?.inFunction ?? '', when: failsInProbe(s) ? `an error exit of ${claim.inFunction ?? 'probe'}()` : 'unbind',
          },
          ...(removed ? { span: removed.calleeSpan, image: 'pre' as const } : { span: claim.calleeSpan }),
          scenario: s,
          trace: traceOf(s, v),
          unseen,
          key,
        });
      } else if (isReleaseViolation(v) && claims.length > 0) {
        // Without any claim in view the claim may live in another file (a shared helper): nothing to judge.
        const release = callAtStep(ctx, violationStep(s, v), RELEASE_CALLS) ?? releases[0];
        if (!release) continue;
        const key = keyOf('OWN005', driver.name, release.callee, 'unpaired-release');
        if (reported.has(key)) continue;
        reported.add(key);
        ctx.report({
          messageId: 'releaseWithoutClaim',
          data: { driver: driver.name, release: release.callee, fn: release.inFunction ?? 'remove' },
          span: release.calleeSpan,
          scenario: s,
          trace: traceOf(s, v),
          unseen: unseenBody(ctx, cbs.byField.probe, driver.callbacks.probe),
          key,
        });
      }
    }
  }
}

/** The claim whose ownership leaked: the last claim the scenario ran, else the first claim in the callbacks. */
function claimOnPath(ctx: RuleContext, s: ScenarioResult, claims: CallFact[]): CallFact {
  for (let i = s.trace.length - 1; i >= 0; i--) {
    const c = callAtStep(ctx, s.trace[i], CLAIM_CALLS);
    if (c) return c;
  }
  return claims[0];
}

function helpersUnseen(ctx: RuleContext, driver: DriverStructFact, fns: FunctionFact[]): string | undefined {
  const helpers = unseenLocalHelpers(ctx, fns, driverPrefix(driver));
  return helpers.length > 0 ? `${helpers.map((h) => `${h}()`).join(', ')} (defined elsewhere) may release it` : undefined;
}

/** Claims in functions no driver callback reaches (open/ioctl handlers): only error exits that leak are reported. */
function checkEntryPoint(ctx: RuleContext, fn: FunctionFact): void {
  const claims = callsIn([fn], CLAIM_CALLS);
  if (claims.length === 0 || usesOtherEra(ctx, [...claims, ...callsIn([fn], RELEASE_CALLS)])) return;
  const scenarios = functionScenarios(ctx, fn, ['singleton']);
  for (const s of scenarios) {
    if (!failsInProbe(s)) continue; // on success the claim is meant to outlive the call (released in close/release)
    const v = s.violations.find((x) => LEAK_KINDS.includes(x.kind));
    if (!v) continue;
    const claim = claimOnPath(ctx, s, claims);
    ctx.report({
      messageId: 'leakOnErrorFn',
      data: { claim: claim.callee, fn: fn.name, scenario: scenarioLabel(ctx, s) },
      span: claim.calleeSpan,
      scenario: s,
      trace: traceOf(s, v),
      unseen: unseenErrorPath(ctx, claim, undefined, s),
      key: keyOf('OWN005', fn.name, claim.callee, 'error-exit'),
    });
    return;
  }
}

export const unbalancedDmaOwnerClaim = createRule({
  meta: {
    code: 'OWN005',
    name: 'unbalanced-dma-owner-claim',
    category: 'ownership',
    defaultSeverity: 'error',
    tier: 1,
    description: 'Every DMA ownership claim must be released on every path (remove and probe-failure exits), and only once.',
    messages: {
      replayBudget: '{{fn}}(): the replay did not explore every path ({{budget}}), so an imbalance on the paths past that point would not be reported',
      leakOnUnbind:
        '{{driver}}: the DMA ownership taken by {{claim}}() in {{fn}}() is still held after unbind; the group stays on the blocking domain and every later bind in it fails with -EBUSY',
      leakOnError:
        '{{driver}}: {{fn}}() claims DMA ownership with {{claim}}() but an error exit returns without releasing it ({{scenario}})',
      leakRemovedRelease:
        '{{driver}}: the patch removes {{release}}() from {{from}}(), so the DMA ownership taken by {{claim}}() in {{fn}}() is still held after {{when}}; the group stays on the blocking domain and every later bind in it fails with -EBUSY',
      leakOnErrorFn: '{{fn}}() claims DMA ownership with {{claim}}() but an error exit returns without releasing it ({{scenario}})',
      partnerLeak:
        '{{fn}}() claims DMA ownership with {{acquire}}() and keeps it, but its partner {{partners}} does not release it: replayed one after the other, the group is still owned ({{kind}}) and every later bind or claim in it fails with -EBUSY',
      neverReleased:
        '{{fn}}() claims DMA ownership with {{claim}}() but nothing in this file releases it: the group stays on the blocking domain after its user is gone, and every later bind or claim in it fails with -EBUSY',
      partnerReleaseAfterFailedClaim:
        '{{partner}}() releases DMA ownership with {{release}}(), but on this path {{fn}}() returned success after {{claim}}() failed (the error was not returned): nothing is owned, so the kernel WARNs, or the release drops the claim of the owner that made {{claim}}() fail. Return the claim error from {{fn}}()',
      releaseWithoutClaim:
        '{{driver}}: {{release}}() in {{fn}}() releases DMA ownership that is not held at that point (already released, or never claimed on this path): the kernel WARNs, or drops another owner\'s claim',
    },
  },
  check(ctx) {
    if (!isDriverCode(ctx)) return;
    if (!ctx.facts.functions.some((f) => f.calls.some((c) => OWNER_API.includes(c.callee)))) return;
    // Remember where the replay-based checks reported, so the whole-file check does not repeat them.
    const reportedAt = new Set<number>();
    const tracking: RuleContext = Object.create(ctx, {
      report: { value: (r: Parameters<RuleContext['report']>[0]) => { reportedAt.add(r.span.line); ctx.report(r); } },
    });
    for (const driver of ctx.facts.drivers) checkDriver(tracking, driver);
    for (const fn of entryFunctions(ctx.facts)) checkEntryPoint(tracking, fn);
    checkLifecycle(ctx, reportedAt);
  },
});
