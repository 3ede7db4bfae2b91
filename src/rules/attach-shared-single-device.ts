/**
 * OWN027 (series v2–v4 API): iommu_attach_device_shared() used by a driver that attaches its own, privately
 * allocated domain to one device. The _shared variant exists for drivers that deliberately put several of their
 * devices on one domain, and skips the single-device-group protections iommu_attach_device() has.
 */
import type { CallFact } from '../core/types';
import { createRule, type RuleContext } from './types';
import { callsTo, driversReaching, driverScenarios, fixReplace, functionScenarios, isDriverCode, keyOf } from './util';

const ALLOCATORS = ['iommu_domain_alloc', 'iommu_paging_domain_alloc'];

function norm(text: string): string {
  return text.replace(/\s+/g, '');
}

/** Domain expressions assigned from a domain allocator somewhere in this file. */
function privateDomains(ctx: RuleContext): Set<string> {
  const out = new Set<string>();
  for (const c of callsTo(ctx.facts, ALLOCATORS)) if (c.assignedTo) out.add(norm(c.assignedTo));
  return out;
}

function scenarioFor(ctx: RuleContext, call: CallFact) {
  const driver = call.inFunction ? driversReaching(ctx, call.inFunction)[0] : undefined;
  if (driver) return driverScenarios(ctx, driver, ['singleton'])[0];
  const fn = call.inFunction ? ctx.functionByName(call.inFunction) : undefined;
  return fn ? functionScenarios(ctx, fn, ['singleton'])[0] : undefined;
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
    const shared = callsTo(ctx.facts, ['iommu_attach_device_shared']);
    if (shared.length === 0) return;
    // Several distinct devices attached with _shared in this file: the sharing is deliberate.
    const devices = new Set(shared.map((c) => norm(c.args[1]?.text ?? '')));
    if (devices.size !== 1) return;
    const own = privateDomains(ctx);
    for (const call of shared) {
      const domain = norm(call.args[0]?.text ?? '');
      if (!own.has(domain)) continue; // a domain handed in from elsewhere may well be shared
      // Attached more than once in one function (a loop over sub-devices) is sharing too.
      if (shared.filter((c) => c.inFunction === call.inFunction).length > 1) continue;
      const fixes = [fixReplace(ctx, 'Use iommu_attach_device()', call.calleeSpan, 'iommu_attach_device')];
      ctx.report({
        messageId: 'single',
        data: { fn: call.inFunction ?? 'this code', domain: call.args[0]?.text ?? '?', dev: call.args[1]?.text ?? '?' },
        span: call.calleeSpan,
        scenario: scenarioFor(ctx, call),
        fixes,
        key: keyOf('OWN027', call.inFunction, domain),
      });
    }
  },
});
