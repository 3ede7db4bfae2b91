/**
 * OWN012: iommu_attach_device() on a device whose group may hold other devices. The kernel only lets a driver
 * attach a private domain to a single-device group (-EINVAL otherwise). fsl-mc objects always share the group of
 * their DPRC container, so there the call can never work.
 */
import type { CallFact, DriverStructFact, FunctionFact } from '../core/types';
import { createRule, type RuleContext } from './types';
import { callbackFunctions, callsIn, driverScenarios, firstViolation, functionScenarios, isDriverCode, keyOf, traceOf } from './util';

const ATTACH = ['iommu_attach_device'];

function report(ctx: RuleContext, call: CallFact, who: string, scenarios: ReturnType<typeof driverScenarios>): void {
  const hit =
    firstViolation(scenarios.filter((s) => s.trace.some((t) => t.step.includes('iommu_attach_device'))), ['error-return', 'warn']) ??
    firstViolation(scenarios);
  ctx.report({
    messageId: 'fslMc',
    data: { who, fn: call.inFunction ?? 'this code', errno: hit?.violation.errno ?? '-EINVAL' },
    span: call.calleeSpan,
    scenario: hit?.scenario ?? scenarios[0],
    trace: hit ? traceOf(hit.scenario, hit.violation) : undefined,
    key: keyOf('OWN012', call.inFunction, call.callee),
  });
}

function isFslMcFunction(fn: FunctionFact): boolean {
  return fn.params.some((p) => /\bfsl_mc_device\b/.test(p.type));
}

export const attachDeviceInMultiDeviceGroup = createRule({
  meta: {
    code: 'OWN012',
    name: 'attach-device-in-multi-device-group',
    category: 'attach',
    defaultSeverity: 'warning',
    tier: 1,
    description: 'iommu_attach_device() only works on a single-device group; fsl-mc objects share their container\'s group.',
    messages: {
      fslMc:
        '{{fn}}() attaches a private domain with iommu_attach_device() to an fsl-mc object ({{who}}); fsl-mc objects share the IOMMU group of their DPRC container, so the attach fails with {{errno}}. Use the DMA API, or claim the group and use iommu_attach_group()',
    },
  },
  check(ctx) {
    if (!isDriverCode(ctx)) return;
    const done = new Set<string>();
    for (const driver of ctx.facts.drivers.filter((d: DriverStructFact) => d.bus === 'fsl_mc')) {
      const calls = callsIn(callbackFunctions(ctx, driver).functions, ATTACH);
      if (calls.length === 0) continue;
      const scenarios = driverScenarios(ctx, driver, ['shared-dma-api']);
      for (const call of calls) {
        done.add(`${call.span.line}:${call.span.column}`);
        report(ctx, call, driver.name, scenarios);
      }
    }
    // fsl-mc code outside a visible driver struct (helpers taking a struct fsl_mc_device *).
    for (const fn of ctx.facts.functions.filter(isFslMcFunction)) {
      for (const call of callsIn([fn], ATTACH)) {
        if (done.has(`${call.span.line}:${call.span.column}`)) continue;
        done.add(`${call.span.line}:${call.span.column}`);
        report(ctx, call, 'its struct fsl_mc_device argument', functionScenarios(ctx, fn, ['shared-dma-api']));
      }
    }
  },
});
