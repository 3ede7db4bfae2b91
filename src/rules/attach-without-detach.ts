/**
 * OWN013: a private domain attached in a driver's probe that is not detached on unbind or on a probe-failure exit.
 * The group is left on that domain: the next DMA-API driver DMAs through the wrong domain (or a freed one), and
 * VFIO cannot claim the group (-EBUSY). A detach registered as a devm action is fine for a plain attach: it runs
 * after dma_cleanup, which does not look at the domain; the replay says whether it holds.
 */
import type { DriverStructFact, ViolationKind } from '../core/types';
import { createRule, type RuleContext } from './types';
import { lifecycleLeaks, reportLifecycleLeaks } from './lifecycle-leaks';
import { ATTACH_CALLS, DETACH_CALLS } from '../core/sim/vocabulary';
import { acquisitionOnPath, scenarioLabel, driverScenarios, traceOf } from './scenario-selection';
import { reportBudget, reportErrorExitLeak, keyOf } from './reports';
import { callbackFunctions, callsIn, entryFunctions, unbindFunctions } from '../core/c/call-graph';
import { driverPrefix, unseenErrorPath, unseenLocalHelpers, unseenRemove } from './unseen-code';
import { isDriverCode, removedCalls } from './analysed-file';

const LEFT_KINDS: readonly ViolationKind[] = ['left-private-domain', 'use-after-free'];

function checkDriver(ctx: RuleContext, driver: DriverStructFact, reportedAt: Set<number>): void {
  const cbs = callbackFunctions(ctx.facts, driver);
  const attaches = callsIn(cbs.functions, ATTACH_CALLS);
  if (attaches.length === 0) return;
  const reported = new Set<string>();
  const scenarios = driverScenarios(ctx, driver, ['singleton']);
  // A leak the replay claims outright goes before one resting on unseen code (the key is reported once).
  const restsOnUnseen = (x: (typeof scenarios)[number]) => (x.violations.find((w) => LEFT_KINDS.includes(w.kind))?.unseen ? 1 : 0);
  for (const s of [...scenarios].sort((a, b) => restsOnUnseen(a) - restsOnUnseen(b))) {
    const v = s.violations.find((x) => LEFT_KINDS.includes(x.kind));
    if (!v) continue;
    const attach = acquisitionOnPath(ctx, s, ATTACH_CALLS, attaches[0]);
    const inProbe = s.outcome === 'probe-failed';
    const key = keyOf('OWN013', driver.name, attach.callee, inProbe ? 'probe-failure' : 'unbind');
    if (reported.has(key)) continue;
    reported.add(key);
    reportedAt.add(attach.calleeSpan.line);
    // A detach the patch deletes is the cause: the finding goes on the deleted line.
    const probe = cbs.byField.probe;
    const removed = removedCalls(ctx, inProbe ? (probe ? [probe.name] : []) : unbindFunctions(ctx.facts, driver).map((f) => f.name), DETACH_CALLS)[0];
    let unseen: string | undefined = v.unseen;
    if (removed) unseen = undefined;
    else if (unseen) { /* the replay's own note: the leak rests on a call it could not see */ }
    else if (inProbe) unseen = unseenErrorPath(ctx, attach, cbs.byField.probe, s);
    else {
      unseen = unseenRemove(ctx, driver);
      const helpers = unseenLocalHelpers(ctx, unbindFunctions(ctx.facts, driver), driverPrefix(driver));
      if (!unseen && helpers.length > 0) unseen = `${helpers.map((h) => `${h}()`).join(', ')} (defined elsewhere) may detach it`;
    }
    ctx.report({
      messageId: removed ? 'leakRemovedDetach' : inProbe ? 'leakOnError' : 'leakOnUnbind',
      data: {
        driver: driver.name, attach: attach.callee, fn: attach.inFunction ?? 'probe', scenario: scenarioLabel(ctx, s), kind: v.kind,
        detach: removed?.callee ?? '', from: removed?.inFunction ?? '', when: inProbe ? `an error exit of ${attach.inFunction ?? 'probe'}()` : 'unbind',
      },
      ...(removed ? { span: removed.calleeSpan, image: 'pre' as const } : { span: attach.calleeSpan }),
      scenario: s,
      trace: traceOf(s, v),
      unseen,
      key,
    });
  }
  if (reported.size === 0) reportBudget(ctx, scenarios, 'OWN013', cbs.byField.probe?.name ?? driver.name, attaches[0]); // 'replayBudget'
}

export const attachWithoutDetach = createRule({
  meta: {
    code: 'OWN013',
    name: 'attach-without-detach',
    category: 'attach',
    defaultSeverity: 'error',
    tier: 1,
    description: 'A domain attached with iommu_attach_device()/iommu_attach_group() must be detached on remove and on every probe-failure exit.',
    messages: {
      replayBudget: '{{fn}}(): the replay did not explore every path ({{budget}}), so an imbalance on the paths past that point would not be reported',
      leakOnUnbind:
        '{{driver}}: the domain attached by {{attach}}() in {{fn}}() is still attached after unbind; the group stays on a private (possibly freed) domain, so the next DMA-API driver uses the wrong translation and VFIO cannot claim the group (-EBUSY)',
      leakOnError: '{{driver}}: {{fn}}() attaches a domain with {{attach}}() but an error exit returns without detaching it ({{scenario}})',
      leakRemovedDetach:
        '{{driver}}: the patch removes {{detach}}() from {{from}}(), so the domain attached by {{attach}}() in {{fn}}() is still attached after {{when}}; the group stays on a private (possibly freed) domain and VFIO cannot claim it (-EBUSY)',
      partnerLeak:
        '{{fn}}() attaches a domain with {{acquire}}() and keeps it attached, but its partner {{partners}} does not detach it: replayed one after the other, the group is left on a private (possibly freed) domain ({{kind}}), so the next DMA-API driver uses the wrong translation and VFIO cannot claim the group (-EBUSY)',
      partnerFreesAttached:
        '{{fn}}() attaches a domain with {{acquire}}(), and its partner {{partners}} frees that domain while it is still attached ({{freedAt}}): the group keeps translating through a freed domain until a detach that comes too late. Detach before iommu_domain_free()',
      neverDetached:
        '{{fn}}() attaches a domain with {{acquire}}() and keeps it attached, but nothing in this file detaches it: the group stays on a private (possibly freed) domain after its user is gone',
      leakOnErrorFn: '{{fn}}() attaches a domain with {{attach}}() but an error exit returns without detaching it ({{scenario}})',
    },
  },
  check(ctx) {
    if (!isDriverCode(ctx)) return;
    if (!ctx.facts.functions.some((f) => f.calls.some((c) => ATTACH_CALLS.includes(c.callee)))) return;
    const reportedAt = new Set<number>();
    for (const driver of ctx.facts.drivers) checkDriver(ctx, driver, reportedAt);
    // open/ioctl-style functions: the attach is meant to outlive a successful call; only failing exits must undo it.
    for (const fn of entryFunctions(ctx.facts)) {
      const reported = reportErrorExitLeak(ctx, fn, 'OWN013', 'leakOnErrorFn', ATTACH_CALLS, LEFT_KINDS);
      if (reported) reportedAt.add(reported.calleeSpan.line);
    }
    // ...and their partner (detach helper, release, deinit) must undo it after a successful one.
    reportLifecycleLeaks(ctx, 'OWN013', lifecycleLeaks(ctx, LEFT_KINDS, ATTACH_CALLS), reportedAt,
      { partner: 'partnerLeak', none: 'neverDetached', noneKey: 'never-detached', freedByPartner: 'partnerFreesAttached' });
  },
});
