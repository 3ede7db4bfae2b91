/**
 * OWN023 invalid-pasid: iommu_attach_device_pasid() with a PASID the core refuses: IOMMU_NO_PASID / 0 (that is the RID
 * itself), IOMMU_PASID_INVALID, or the result of iommu_alloc_global_pasid() used without checking it for
 * IOMMU_PASID_INVALID.
 */
import type { CallFact, FunctionFact } from '../core/types';
import { createRule } from './types';
import { lookupApi } from '../core/sim';
import { callsTo, keyOf } from './util';
import { argText, condMentions, functionLabel, functionOf, scenarioAtCall, stepFor } from './tier2b-util';
import { pcOfCall } from '../core/c/program-lookup';

const ATTACH = 'iommu_attach_device_pasid';
const ALLOC = 'iommu_alloc_global_pasid';

/** The allocation whose unchecked result reaches the attach's PASID argument, if any. */
function uncheckedAllocation(fn: FunctionFact, attach: CallFact, pasid: string): CallFact | undefined {
  const attachPc = pcOfCall(fn, attach);
  if (attachPc === undefined) return undefined;
  let alloc: { call: CallFact; pc: number } | undefined;
  for (let pc = 0; pc < attachPc; pc++) {
    const ins = fn.program[pc];
    if (ins.op === 'call' && ins.call.callee === ALLOC && (ins.assignTo ?? ins.call.assignedTo) === pasid) alloc = { call: ins.call, pc };
    else if (ins.op === 'assign' && ins.target === pasid) alloc = undefined;
    else if (ins.op === 'gap') alloc = undefined; // unseen code may check it
  }
  if (!alloc) return undefined;
  for (let pc = alloc.pc + 1; pc < attachPc; pc++) {
    const ins = fn.program[pc];
    if (ins.op === 'branch' && condMentions(ins.cond, pasid)) return undefined;
    // Handed to a helper (pasid_valid(pasid), a range check): treat as checked.
    if (ins.op === 'call' && ins.call.args.some((a) => a.text.replace(/\s+/g, '') === pasid)) return undefined;
  }
  return alloc.call;
}

export const invalidPasid = createRule({
  meta: {
    code: 'OWN023',
    name: 'invalid-pasid',
    category: 'pasid',
    defaultSeverity: 'warning',
    tier: 3,
    description: 'iommu_attach_device_pasid() with IOMMU_NO_PASID/0, IOMMU_PASID_INVALID, or an unchecked allocated PASID.',
    messages: {
      noPasid:
        '{{fn}}() attaches {{domain}} at PASID {{pasid}}: PASID 0 (IOMMU_NO_PASID) is the RID itself and the core refuses it with -EINVAL; use iommu_attach_device() for the RID.',
      ridAsPasid:
        '{{fn}}() attaches {{domain}} at PASID {{pasid}}: PASID 0 addresses the RID itself, not a PASID, and newer kernels refuse it with -EINVAL; use iommu_attach_device() for the RID.',
      invalidPasid: '{{fn}}() attaches {{domain}} at IOMMU_PASID_INVALID: the core refuses it with -EINVAL.',
      unchecked:
        '{{fn}}() attaches at {{pasid}} straight from iommu_alloc_global_pasid() (line {{line}}) without checking for IOMMU_PASID_INVALID: when the allocator is exhausted the attach fails with -EINVAL.',
    },
  },
  check(ctx) {
    const api = lookupApi(ATTACH, ctx.target);
    if (!api?.exists) return;
    // IOMMU_NO_PASID is refused outright only where the core checks for it (~6.5 on).
    const refusesNoPasid = api.returns.some((r) => r.includes('IOMMU_NO_PASID'));
    for (const attach of callsTo(ctx.facts, ATTACH)) {
      const pasid = argText(attach, 2)?.replace(/\s+/g, '');
      if (!pasid) continue;
      const fn = functionOf(ctx, attach);
      const label = functionLabel(ctx, fn, attach);
      const data = { fn: label, domain: argText(attach, 0) ?? '?', pasid, line: 0 };
      let messageId: string | undefined;
      let alloc: CallFact | undefined;
      if (/^\(?(IOMMU_NO_PASID|0+[uUlL]*)\)?$/.test(pasid)) messageId = refusesNoPasid ? 'noPasid' : 'ridAsPasid';
      else if (pasid === 'IOMMU_PASID_INVALID') messageId = 'invalidPasid';
      else if (fn && (alloc = uncheckedAllocation(fn, attach, pasid))) {
        messageId = 'unchecked';
        data.line = alloc.calleeSpan.line;
      }
      if (!messageId) continue;
      const scenario = scenarioAtCall(ctx, fn, attach.calleeSpan, ATTACH);
      const trace = [
        ...(alloc ? [stepFor(ctx, alloc, 'alloc', 'IOMMU_PASID_INVALID when exhausted')] : []),
        stepFor(ctx, attach, 'attach', messageId === 'ridAsPasid' ? 'RID programmed as a PASID' : '-EINVAL', messageId === 'unchecked' ? 'PASID out of range' : 'PASID not valid for a PASID attach'),
      ];
      ctx.report({
        messageId,
        data,
        span: attach.calleeSpan,
        key: keyOf('OWN023', label, messageId, pasid),
        ...(scenario ? { scenario } : { trace }),
        fixes: [
          {
            title: messageId === 'unchecked' ? 'Check the allocated PASID' : 'Attach the RID with iommu_attach_device()',
            edits: [],
            suggestion:
              messageId === 'unchecked'
                ? `if (${pasid} == IOMMU_PASID_INVALID) return -ENOSPC;`
                : 'use iommu_attach_device(domain, dev) for the RID; use iommu_attach_device_pasid() only with a PASID from the allocator or the mm',
          },
        ],
      });
    }
  },
});
