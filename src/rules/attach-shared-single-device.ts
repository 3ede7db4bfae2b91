/**
 * OWN027 (series v2–v4 API): iommu_attach_device_shared() used by a driver that attaches its own, privately
 * allocated domain to one device. A query of the replay: while bound (or after a handler returns), the shared domain
 * the driver allocated has a single attacher ('shared-attach-single-device' on the attach step). The _shared variant
 * exists for drivers that put several of their devices on one domain, and skips iommu_attach_device()'s
 * single-device-group check.
 */
import type { CallFact, ScenarioResult } from '../core/types';
import { createRule, type RuleContext } from './types';
import { ATTACH_DEVICE, ATTACH_DEVICE_SHARED } from '../core/sim/vocabulary';
import { callsTo, driversReaching } from '../core/c/call-graph';
import { driverScenarios, functionScenarios, traceOf } from './scenario-selection';
import { fixReplace } from './fixes';
import { isDriverCode } from './analysed-file';
import { keyOf } from './reports';

/** The scenarios that run `call`: its driver's lifecycle, else its function replayed alone. */
function scenariosRunning(ctx: RuleContext, call: CallFact): ScenarioResult[] {
  const driver = call.inFunction ? driversReaching(ctx.facts, call.inFunction)[0] : undefined;
  if (driver) return driverScenarios(ctx, driver, ['singleton']);
  const fn = call.inFunction ? ctx.functionByName(call.inFunction) : undefined;
  return fn ? functionScenarios(ctx, fn, ['singleton']) : [];
}

export const attachSharedSingleDevice = createRule({
  meta: {
    code: 'OWN027',
    name: 'attach-shared-single-device',
    category: 'attach',
    defaultSeverity: 'warning',
    tier: 1,
    description: 'series v2–v4: a driver attaching its own domain to one device should use iommu_attach_device(), not the _shared variant.',
    targets: ['series-v2', 'series-v3', 'series-v4'],
    messages: {
      single:
        '{{fn}}() attaches its own domain {{domain}} to the single device {{dev}} with iommu_attach_device_shared(); that variant is for several devices sharing one domain and skips the single-device-group checks: use iommu_attach_device()',
    },
  },
  check(ctx) {
    if (!isDriverCode(ctx)) return;
    for (const call of callsTo(ctx.facts, [ATTACH_DEVICE_SHARED])) {
      for (const scenario of scenariosRunning(ctx, call)) {
        const violation = scenario.violations.find((v) => v.kind === 'shared-attach-single-device' && v.at?.line === call.calleeSpan.line);
        if (!violation) continue;
        ctx.report({
          messageId: 'single',
          data: { fn: call.inFunction ?? 'this code', domain: call.args[0]?.text ?? '?', dev: call.args[1]?.text ?? '?' },
          span: call.calleeSpan,
          scenario,
          trace: traceOf(scenario, violation),
          fixes: [fixReplace(ctx, `Use ${ATTACH_DEVICE}()`, call.calleeSpan, ATTACH_DEVICE)],
          key: keyOf('OWN027', call.inFunction, call.args[0]?.text.replace(/\s+/g, '')),
        });
        break;
      }
    }
  },
});
