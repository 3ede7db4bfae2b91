/**
 * OWN021 pasid-ownership-order: DMA ownership must wrap PASID attachments: claim → attach PASID … detach PASID → release.
 * A claim while a PASID is attached fails with -EBUSY; a release while one is attached WARNs and keeps the ownership.
 */
import type { CallFact, FunctionFact, TraceStep } from '../core/types';
import { createRule } from './types';
import { apiExists, isDriverCode, keyOf } from './util';
import { argText, deviceKey, feasiblePaths, functionLabel, scenarioAtCall, stepFor, unseenBetween } from './tier2b-util';
import { CLAIM_CALLS, PASID_ATTACH_CALLS, PASID_DETACH_CALLS, RELEASE_CALLS } from '../core/sim/vocabulary';

const PASID_ATTACH = new Set(PASID_ATTACH_CALLS);
const PASID_DETACH = new Set(PASID_DETACH_CALLS);
const CLAIM = new Set(CLAIM_CALLS);
const RELEASE = new Set(RELEASE_CALLS);

/** The device a PASID call acts on ('' when it cannot be told, e.g. an SVA handle). */
function pasidDevice(call: CallFact): string {
  if (call.callee === 'iommu_attach_device_pasid' || call.callee === 'iommu_detach_device_pasid') return deviceKey(argText(call, 1));
  if (call.callee === 'iommu_sva_bind_device') return deviceKey(argText(call, 0));
  return '';
}

/** The device an ownership call acts on ('' for group-wide calls: they concern every device of the group). */
function ownerDevice(call: CallFact): string {
  return call.callee.startsWith('iommu_device_') ? deviceKey(argText(call, 0)) : '';
}

function related(a: string, b: string): boolean {
  return a === '' || b === '' || a === b;
}

export const pasidOwnershipOrder = createRule({
  meta: {
    code: 'OWN021',
    name: 'pasid-ownership-order',
    category: 'pasid',
    defaultSeverity: 'error',
    tier: 2,
    description: 'A PASID attached before DMA ownership is claimed, or ownership released before the PASID is detached.',
    messages: {
      claimAfterAttach:
        '{{fn}}() claims DMA ownership with {{claim}}() while a PASID is attached ({{attach}}() at line {{line}}): the claim fails with -EBUSY.',
      releaseBeforeDetach:
        '{{fn}}() releases DMA ownership with {{release}}() before detaching the PASID ({{detach}}() at line {{line}}): the kernel WARNs and keeps the ownership.',
    },
  },
  check(ctx) {
    if (!isDriverCode(ctx) || apiExists('iommu_detach_device_pasid', ctx.target) === false) return;
    const reported = new Set<string>();
    const report = (
      key: string, call: CallFact, messageId: string, data: Record<string, string | number>, trace: TraceStep[], fn: FunctionFact, fix: string,
      selfContained: boolean, unseen: string | undefined,
    ) => {
      if (reported.has(key)) return;
      reported.add(key);
      const scenario = scenarioAtCall(ctx, fn, call.calleeSpan, call.callee, selfContained && !unseen);
      ctx.report({
        messageId, data, span: call.calleeSpan, key,
        ...(unseen ? { unseen } : {}),
        ...(scenario ? { scenario } : { trace }),
        fixes: [{ title: 'Claim → attach PASID … detach PASID → release', edits: [], suggestion: fix }],
      });
    };
    for (const fn of ctx.facts.functions) {
      const names = new Set(fn.calls.map((c) => c.callee));
      const hasPasid = [...names].some((n) => PASID_ATTACH.has(n) || PASID_DETACH.has(n));
      const hasOwner = [...names].some((n) => CLAIM.has(n) || RELEASE.has(n));
      if (!hasPasid || !hasOwner) continue;
      const label = functionLabel(ctx, fn);
      for (const path of feasiblePaths(fn)) {
        const calls = path.events.flatMap((e, index) => (e.kind === 'call' ? [{ ...e, index }] : []));
        calls.forEach((e, i) => {
          const c = e.call;
          if (CLAIM.has(c.callee)) {
            // A PASID attached earlier on this path and not detached since.
            let attached: CallFact | undefined;
            let attachedAt = -1;
            for (const p of calls.slice(0, i)) {
              if (PASID_ATTACH.has(p.call.callee) && p.outcome !== 'fail' && related(pasidDevice(p.call), ownerDevice(c))) {
                attached = p.call;
                attachedAt = p.index;
              } else if (PASID_DETACH.has(p.call.callee) && attached && related(pasidDevice(p.call), pasidDevice(attached))) attached = undefined;
            }
            if (attached) {
              report(keyOf('OWN021', label, 'claim-after-attach', c.callee), c, 'claimAfterAttach',
                { fn: label, claim: c.callee, attach: attached.callee, line: attached.calleeSpan.line },
                [stepFor(ctx, attached, 'attach', '0', 'pasid_array not empty'), stepFor(ctx, c, 'claim', '-EBUSY', 'PASIDs attached')], fn,
                `claim ownership before ${attached.callee}() (and release it only after the PASID is detached)`, true,
                unseenBetween(path, attachedAt, e.index, label));
            }
          } else if (RELEASE.has(c.callee) && e.outcome !== 'fail') {
            // A detach later on this path, before any new attach, shows the PASID was still attached here.
            for (const later of calls.slice(i + 1)) {
              if (PASID_ATTACH.has(later.call.callee) && related(pasidDevice(later.call), ownerDevice(c))) break;
              if (PASID_DETACH.has(later.call.callee) && related(pasidDevice(later.call), ownerDevice(c))) {
                report(keyOf('OWN021', label, 'release-before-detach', c.callee), c, 'releaseBeforeDetach',
                  { fn: label, release: c.callee, detach: later.call.callee, line: later.call.calleeSpan.line },
                  [stepFor(ctx, c, 'release', 'WARN', 'PASIDs still attached; ownership kept'), stepFor(ctx, later.call, 'detach', 'void')], fn,
                  `move ${c.callee}() after ${later.call.callee}()`, false, unseenBetween(path, e.index, later.index, label));
                break;
              }
            }
          }
        });
      }
    }
  },
});
