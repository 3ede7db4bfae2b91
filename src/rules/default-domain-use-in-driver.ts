/**
 * OWN009: a driver calling iommu_device_use_default_domain()/unuse. Those are the bus's job (dma_configure /
 * dma_cleanup); they are not exported, and a built-in driver calling them counts itself twice.
 */
import type { CallFact, ScenarioResult } from '../core/types';
import { createRule, type RuleContext } from './types';
import { callsTo, driverScenarios, driversReaching, firstViolation, isDriverCode, keyOf, traceOf } from './util';
import { USE_UNUSE_CALLS } from '../core/sim/vocabulary';

const USE_CALLS = USE_UNUSE_CALLS;

function evidence(ctx: RuleContext, call: CallFact): { scenario?: ScenarioResult; trace?: ScenarioResult['trace'] } {
  const driver = call.inFunction ? driversReaching(ctx, call.inFunction)[0] : undefined;
  if (!driver) return {};
  const scenarios = driverScenarios(ctx, driver, ['singleton']);
  const hit = firstViolation(scenarios);
  if (hit) return { scenario: hit.scenario, trace: traceOf(hit.scenario, hit.violation) };
  return { scenario: scenarios.find((s) => s.trace.some((t) => t.step.includes(call.callee))) ?? scenarios[0] };
}

export const defaultDomainUseInDriver = createRule({
  meta: {
    code: 'OWN009',
    name: 'default-domain-use-in-driver',
    category: 'default-domain',
    defaultSeverity: 'error',
    tier: 1,
    description: 'Only bus code (dma_configure/dma_cleanup) may call iommu_device_use_default_domain()/unuse; a driver must not.',
    // The names exist on released kernels only; series-era spellings are stale-api-name's business.
    targets: ['5.19', '6.2', '6.14', '6.15', 'latest'],
    messages: {
      driverUses:
        '{{fn}}() calls {{callee}}(), which only the bus\'s dma_configure may call: it is not exported (a module fails to link) and the bus already counted this device, so the count is taken twice',
      driverUnuses:
        '{{fn}}() calls {{callee}}(), which only the bus\'s dma_cleanup may call: it is not exported (a module fails to link) and the bus drops the count itself, so it is dropped twice',
    },
  },
  check(ctx) {
    if (!isDriverCode(ctx)) return;
    const seen = new Map<string, number>();
    for (const call of callsTo(ctx.facts, USE_CALLS)) {
      if (!ctx.isAdded(call.span)) continue; // unchanged calls are the pre-image's problem
      const fn = call.inFunction ?? 'this code';
      const base = keyOf('OWN009', fn, call.callee);
      const n = (seen.get(base) ?? 0) + 1;
      seen.set(base, n);
      const ev = evidence(ctx, call);
      ctx.report({
        messageId: call.callee.includes('unuse') ? 'driverUnuses' : 'driverUses',
        data: { fn, callee: call.callee },
        span: call.calleeSpan,
        scenario: ev.scenario,
        trace: ev.trace,
        key: keyOf(base, n > 1 ? n : undefined),
      });
    }
  },
});
