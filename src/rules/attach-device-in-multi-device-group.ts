/**
 * OWN012: iommu_attach_device() on a device whose group may hold other devices. The kernel only lets a driver
 * attach a private domain to a single-device group (-EINVAL otherwise). fsl-mc objects always share the group of
 * their DPRC container, so there the call can never work.
 */
import type { CallFact, DriverStructFact, FunctionFact, ScenarioResult } from '../core/types';
import { createRule, type RuleContext } from './types';
import { ATTACH_DEVICE } from '../core/sim/vocabulary';
import { callbackFunctions, callsIn } from '../core/c/call-graph';
import { driverScenarios, functionScenarios, traceOf } from './scenario-selection';
import { isDriverCode } from './analysed-file';
import { keyOf } from './reports';

const ATTACH = [ATTACH_DEVICE];

/**
 * A query of the replay in the topology fsl-mc objects always have (the DPRC container's group holds several
 * devices): each attach the replay saw refused ('error-return' of iommu_attach_device, drivers/iommu/iommu.c @ v6.12
 * iommu_attach_device: -EINVAL unless the group has one device) is reported on its call, with the kernel's errno.
 */
function reportRefused(ctx: RuleContext, calls: readonly CallFact[], who: string, scenarios: readonly ScenarioResult[], done: Set<string>): void {
  for (const scenario of scenarios) {
    for (const violation of scenario.violations) {
      if (violation.kind !== 'error-return' || !ATTACH.includes(violation.api ?? '') || !violation.at) continue;
      const call = calls.find((c) => c.calleeSpan.line === violation.at!.line || c.span.line === violation.at!.line);
      if (!call) continue;
      const where = `${call.span.line}:${call.span.column}`;
      if (done.has(where)) continue;
      done.add(where);
      ctx.report({
        messageId: 'fslMc',
        data: { who, fn: call.inFunction ?? 'this code', errno: violation.errno ?? '' },
        span: call.calleeSpan,
        scenario,
        trace: traceOf(scenario, violation),
        key: keyOf('OWN012', call.inFunction, call.callee),
      });
    }
  }
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
      const calls = callsIn(callbackFunctions(ctx.facts, driver).functions, ATTACH);
      if (calls.length === 0) continue;
      reportRefused(ctx, calls, driver.name, driverScenarios(ctx, driver, ['shared-dma-api']), done);
    }
    // fsl-mc code outside a visible driver struct (helpers taking a struct fsl_mc_device *).
    for (const fn of ctx.facts.functions.filter(isFslMcFunction)) {
      const calls = callsIn([fn], ATTACH);
      if (calls.length > 0) reportRefused(ctx, calls, 'its struct fsl_mc_device argument', functionScenarios(ctx, fn, ['shared-dma-api']), done);
    }
  },
});
