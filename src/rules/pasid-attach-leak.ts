/**
 * OWN019: a PASID attachment (iommu_attach_device_pasid / iommu_sva_bind_device) still present when the bus's
 * dma_cleanup runs. unuse then WARNs and skips the decrement: the DMA-API count leaks for good (VFIO -EPERM, other
 * binds -EBUSY). devm actions run after dma_cleanup, so a devm detach is too late.
 */
import { PASID_ATTACH_CALLS, PASID_DETACH_CALLS } from '../core/sim/vocabulary';
import type { DriverStructFact, ViolationKind } from '../core/types';
import { createRule, type RuleContext } from './types';
import { lifecycleLeaks, reportLifecycleLeaks } from './lifecycle-leaks';
import { acquisitionOnPath, scenarioLabel, driverScenarios, traceOf } from './scenario-selection';
import { reportBudget, reportErrorExitLeak, keyOf } from './reports';
import { callbackFunctions, callsIn, entryFunctions, reachableFunctions, unbindFunctions } from '../core/c/call-graph';
import { driverPrefix, unseenErrorPath, unseenLocalHelpers, unseenRemove } from './unseen-code';
import { isDriverCode } from './analysed-file';

export { PASID_ATTACH_CALLS };
const LEAK_KINDS: readonly ViolationKind[] = ['pasid-leak', 'leaked-owner-cnt'];

function isDevmDetach(ctx: RuleContext, driver: DriverStructFact): string | undefined {
  const cbs = callbackFunctions(ctx.facts, driver);
  const f = callsIn(cbs.devmActions, PASID_DETACH_CALLS)[0];
  return f?.inFunction;
}

/**
 * An entry point whose attachment only a devm action gives back (the lifecycle replay's `releasedOnlyByDevm`): the
 * replay of the entry point leaves the PASID attached, and the devm action runs at unbind after dma_cleanup.
 */
function checkOnlyDevmDetach(ctx: RuleContext, reportedAt: Set<number>): void {
  if (!ctx.complete || !ctx.sim.lifecycle) return;
  for (const result of ctx.sim.lifecycle('singleton')) {
    if (!result.releasedOnlyByDevm) continue;
    const own = callsIn(reachableFunctions(ctx.facts, result.acquire), PASID_ATTACH_CALLS);
    if (own.length === 0) continue;
    for (const scenario of result.scenarios) {
      const violation = scenario.violations.find((v) => v.kind === 'pasid-leak');
      if (!violation) continue;
      const attach = acquisitionOnPath(ctx, scenario, PASID_ATTACH_CALLS, own[0]);
      if (reportedAt.has(attach.calleeSpan.line)) break;
      reportedAt.add(attach.calleeSpan.line);
      ctx.report({
        messageId: 'onlyDevmDetach',
        data: { attach: attach.callee, fn: attach.inFunction ?? '(unnamed)', action: result.releasedOnlyByDevm },
        span: attach.calleeSpan,
        scenario,
        trace: traceOf(scenario, violation),
        key: keyOf('OWN019', attach.inFunction ?? '?', attach.callee, 'never-detached'),
      });
      break;
    }
  }
}

/** Entry points that attach a PASID / bind SVA and keep it, replayed with their partner (sim/lifecycle.ts). */
function checkLifecycle(ctx: RuleContext, reportedAt: Set<number>): void {
  reportLifecycleLeaks(ctx, 'OWN019', lifecycleLeaks(ctx, ['pasid-leak'], PASID_ATTACH_CALLS), reportedAt,
    { partner: 'partnerLeak', none: 'neverDetached', noneKey: 'never-detached' });
}

function checkDriver(ctx: RuleContext, driver: DriverStructFact, reportedAt: Set<number>): void {
  const cbs = callbackFunctions(ctx.facts, driver);
  const attaches = callsIn(cbs.functions.filter((f) => !cbs.devmActions.includes(f)), PASID_ATTACH_CALLS);
  if (attaches.length === 0) return;
  const reported = new Set<string>();
  const scenarios = driverScenarios(ctx, driver, ['singleton']);
  if (!scenarios.some((s) => s.violations.length)) reportBudget(ctx, scenarios, 'OWN019', cbs.byField.probe?.name ?? driver.name, attaches[0]); // 'replayBudget'
  // A leak the replay claims outright goes before one resting on unseen code (the key is reported once).
  const restsOnUnseen = (x: (typeof scenarios)[number]) => (x.violations.find((w) => LEAK_KINDS.includes(w.kind))?.unseen ? 1 : 0);
  for (const s of [...scenarios].sort((a, b) => restsOnUnseen(a) - restsOnUnseen(b))) {
    const v = s.violations.find((x) => LEAK_KINDS.includes(x.kind)) ?? s.violations.find((x) => x.kind === 'warn' && /unuse|release/.test(x.api ?? ''));
    if (!v) continue;
    const attach = acquisitionOnPath(ctx, s, PASID_ATTACH_CALLS, attaches[0]);
    const inProbe = s.outcome === 'probe-failed';
    const key = keyOf('OWN019', driver.name, attach.callee, inProbe ? 'probe-failure' : 'unbind');
    if (reported.has(key)) continue;
    reported.add(key);
    reportedAt.add(attach.calleeSpan.line);
    const devm = inProbe ? undefined : isDevmDetach(ctx, driver);
    // The replay's own note first: the leak rests on a call it could not see (Violation.unseen).
    let unseen: string | undefined = v.unseen;
    if (unseen) { /* said by the replay */ } else if (inProbe) unseen = unseenErrorPath(ctx, attach, cbs.byField.probe, s);
    else if (!devm) {
      unseen = unseenRemove(ctx, driver);
      const helpers = unseenLocalHelpers(ctx, unbindFunctions(ctx.facts, driver), driverPrefix(driver));
      if (!unseen && helpers.length > 0) unseen = `${helpers.map((h) => `${h}()`).join(', ')} (defined elsewhere) may detach it`;
    }
    ctx.report({
      messageId: inProbe ? 'leakOnError' : devm ? 'devmDetach' : 'leakOnUnbind',
      data: { driver: driver.name, attach: attach.callee, fn: attach.inFunction ?? 'probe', scenario: scenarioLabel(ctx, s), action: devm ?? '' },
      span: attach.calleeSpan,
      scenario: s,
      trace: traceOf(s, v),
      unseen,
      key,
    });
  }
}

export const pasidAttachLeak = createRule({
  meta: {
    code: 'OWN019',
    name: 'pasid-attach-leak',
    category: 'pasid',
    defaultSeverity: 'error',
    tier: 1,
    description: 'A PASID attach or SVA bind must be undone in .remove (not a devm action) and on every probe-failure exit.',
    // pasid_array exists from 6.2; before it, SVA binds did not block ownership changes.
    targets: ['6.2', '6.14', '6.15', 'latest'],
    messages: {
      replayBudget: '{{fn}}(): the replay did not explore every path ({{budget}}), so an imbalance on the paths past that point would not be reported',
      leakOnUnbind:
        '{{driver}}: the PASID attached by {{attach}}() in {{fn}}() is still attached when dma_cleanup runs; unuse WARNs and skips the decrement, so the group\'s DMA-API count leaks (VFIO -EPERM, other binds -EBUSY)',
      devmDetach:
        '{{driver}}: the PASID attached by {{attach}}() in {{fn}}() is detached in the devm action {{action}}(), which runs after dma_cleanup; unuse has already WARNed and leaked the count. Detach in .remove',
      leakOnError: '{{driver}}: {{fn}}() attaches a PASID with {{attach}}() but an error exit returns without detaching it ({{scenario}})',
      leakOnErrorFn: '{{fn}}() attaches a PASID with {{attach}}() but an error exit returns without detaching it ({{scenario}})',
      partnerLeak:
        '{{fn}}() attaches a PASID with {{acquire}}() and keeps it, but its partner {{partners}} does not detach it: replayed one after the other, the attachment is still there when dma_cleanup runs, so unuse WARNs and the group\'s DMA-API count leaks',
      neverDetached:
        '{{fn}}() attaches a PASID with {{attach}}() but nothing in this file detaches it: the attachment outlives its user and is still there when dma_cleanup runs, so unuse WARNs and the group\'s DMA-API count leaks',
      onlyDevmDetach:
        '{{fn}}() attaches a PASID with {{attach}}() that only the devm action {{action}}() detaches: it stays attached until the driver unbinds, and the devm action runs after dma_cleanup, which has already WARNed and leaked the count. Detach it when its user goes away (release) and in .remove',
    },
  },
  check(ctx) {
    if (!isDriverCode(ctx)) return;
    if (!ctx.facts.functions.some((f) => f.calls.some((c) => PASID_ATTACH_CALLS.includes(c.callee)))) return;
    const reportedAt = new Set<number>();
    for (const driver of ctx.facts.drivers) checkDriver(ctx, driver, reportedAt);
    for (const fn of entryFunctions(ctx.facts)) {
      const reported = reportErrorExitLeak(ctx, fn, 'OWN019', 'leakOnErrorFn', PASID_ATTACH_CALLS, LEAK_KINDS);
      if (reported) reportedAt.add(reported.calleeSpan.line);
    }
    checkOnlyDevmDetach(ctx, reportedAt);
    checkLifecycle(ctx, reportedAt);
  },
});
