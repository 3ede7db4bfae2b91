/**
 * OWN014 detach-wrong-domain: iommu_detach_device() naming a domain other than the one attached (WARN, no-op),
 * and a second attach while a private domain is still attached (-EBUSY).
 */
import type { CallFact, FunctionFact, TraceStep } from '../core/types';
import { createRule } from './types';
import { callsTo, isDriverCode, keyOf } from './util';
import { argText, compareExpr, deviceKey, exprKey, feasiblePaths, functionLabel, functionOf, scenarioAtCall, stepFor, unseenBetween } from './tier2b-util';
import { ATTACH_CALLS, DETACH_CALLS } from '../core/sim/vocabulary';

const ATTACH = new Set(ATTACH_CALLS);
const DETACH = new Set(DETACH_CALLS);

/** The object an attach/detach acts on: the device for *_device, the group for *_group. */
function targetKey(call: CallFact): string {
  return call.callee.endsWith('_group') ? `group:${exprKey(argText(call, 1)).id}` : `dev:${deviceKey(argText(call, 1))}`;
}

interface Attached {
  call: CallFact;
  ok: boolean;
  /** Index of the attach in the path's events. */
  index: number;
}

export const detachWrongDomain = createRule({
  meta: {
    code: 'OWN014',
    name: 'detach-wrong-domain',
    category: 'attach',
    defaultSeverity: 'error',
    tier: 2,
    description: 'Detaching a domain other than the attached one, or attaching a second domain while a private domain is attached.',
    messages: {
      wrongDomain:
        '{{fn}}() detaches {{detached}} from {{target}}, but the domain attached there is {{attached}}: the kernel WARNs and leaves {{attached}} attached.',
      notAttached:
        '{{fn}}() detaches {{detached}} on a path where attaching it failed: nothing is attached, so the kernel WARNs and does nothing.',
      doubleAttach:
        '{{fn}}() attaches {{domain}} to {{target}} while {{attached}} (line {{line}}) is still attached: the kernel refuses with -EBUSY.',
    },
  },
  check(ctx) {
    if (!isDriverCode(ctx)) return;
    const attaches = callsTo(ctx.facts, ATTACH);
    const detaches = callsTo(ctx.facts, DETACH);
    if (attaches.length === 0 || (detaches.length === 0 && attaches.length < 2)) return;
    const reported = new Set<string>();
    const report = (key: string, call: CallFact, messageId: string, data: Record<string, string | number>, trace: TraceStep[], fn?: FunctionFact, unseen?: string, crossFunction?: boolean) => {
      if (reported.has(key)) return;
      reported.add(key);
      const scenario = scenarioAtCall(ctx, fn, call.calleeSpan, call.callee, unseen === undefined && crossFunction !== true);
      ctx.report({
        messageId,
        data,
        span: call.calleeSpan,
        key,
        ...(unseen ? { unseen } : {}),
        ...(scenario ? { scenario } : { trace }),
        fixes: [
          {
            title: 'Keep the attached domain and detach exactly that one',
            edits: [],
            suggestion:
              messageId === 'doubleAttach'
                ? `detach ${data.attached} before attaching ${data.domain}, or keep one domain per device`
                : `store the domain you attach (e.g. in the driver's private data) and pass that pointer to ${call.callee}()`,
          },
        ],
      });
    };

    // Within a function: follow every feasible path, so a retry after a failed attach is not a double attach.
    for (const fn of ctx.facts.functions) {
      if (!fn.calls.some((c) => ATTACH.has(c.callee))) continue;
      const label = functionLabel(ctx, fn);
      for (const path of feasiblePaths(fn)) {
        const state = new Map<string, Attached>();
        for (const [index, e] of path.events.entries()) {
          if (e.kind !== 'call') continue;
          const c = e.call;
          if (ATTACH.has(c.callee)) {
            const t = targetKey(c);
            const prev = state.get(t);
            // The same call met again is a loop over several devices/domains (indexed targets), not a second attach.
            const sameCall = prev !== undefined && prev.call.calleeSpan.line === c.calleeSpan.line && prev.call.calleeSpan.column === c.calleeSpan.column;
            if (prev?.ok && c.callee === prev.call.callee && !sameCall && exprKey(argText(c, 1)).kind !== 'other') {
              report(
                keyOf('OWN014', label, 'double-attach', c.callee, exprKey(argText(c, 0)).id),
                c,
                'doubleAttach',
                { fn: label, domain: argText(c, 0) ?? '?', target: argText(c, 1) ?? '?', attached: argText(prev.call, 0) ?? '?', line: prev.call.calleeSpan.line },
                [stepFor(ctx, prev.call, 'probe', '0'), stepFor(ctx, c, 'probe', '-EBUSY', 'group already on a private domain')],
                fn,
                unseenBetween(path, prev.index, index, label),
              );
            }
            state.set(t, { call: c, ok: e.outcome !== 'fail', index });
          } else if (c.callee === 'iommu_detach_device') {
            const t = targetKey(c);
            const prev = state.get(t);
            if (!prev || prev.call.callee !== 'iommu_attach_device') continue;
            const same = compareExpr(argText(prev.call, 0), argText(c, 0), true);
            if (prev.ok && same === 'different') {
              report(
                keyOf('OWN014', label, 'wrong-domain', exprKey(argText(c, 0)).id),
                c,
                'wrongDomain',
                { fn: label, detached: argText(c, 0) ?? '?', target: argText(c, 1) ?? '?', attached: argText(prev.call, 0) ?? '?' },
                [stepFor(ctx, prev.call, 'probe', '0'), stepFor(ctx, c, 'detach', 'WARN', 'domain is not the attached one; no-op')],
                fn,
                unseenBetween(path, prev.index, index, label),
              );
            } else if (!prev.ok && same === 'same') {
              report(
                keyOf('OWN014', label, 'not-attached', exprKey(argText(c, 0)).id),
                c,
                'notAttached',
                { fn: label, detached: argText(c, 0) ?? '?' },
                [stepFor(ctx, prev.call, 'probe', 'error'), stepFor(ctx, c, 'detach', 'WARN', 'nothing attached; no-op')],
                fn,
                unseenBetween(path, prev.index, index, label),
              );
            }
            state.delete(t);
          } else if (DETACH.has(c.callee)) {
            state.delete(targetKey(c));
          }
        }
      }
    }

    // Across functions (probe attaches, remove detaches): only fields identify a domain, so compare those.
    for (const d of detaches) {
      if (d.callee !== 'iommu_detach_device' || exprKey(argText(d, 0)).kind !== 'field') continue;
      const dFn = functionOf(ctx, d);
      const dLabel = functionLabel(ctx, dFn, d);
      const candidates = attaches.filter((a) => a.callee === 'iommu_attach_device' && functionOf(ctx, a) !== dFn && targetKey(a) === targetKey(d));
      if (candidates.length === 0) continue;
      // Any attach in this function or elsewhere naming the same domain makes the detach plausible.
      const sameAnywhere = attaches.some((a) => a.callee === 'iommu_attach_device' && targetKey(a) === targetKey(d) &&
        compareExpr(argText(a, 0), argText(d, 0), functionOf(ctx, a) === dFn) !== 'different');
      if (sameAnywhere) continue;
      if (!candidates.every((a) => compareExpr(argText(a, 0), argText(d, 0), false) === 'different')) continue;
      const a = candidates[0];
      report(
        keyOf('OWN014', dLabel, 'wrong-domain', exprKey(argText(d, 0)).id),
        d,
        'wrongDomain',
        { fn: dLabel, detached: argText(d, 0) ?? '?', target: argText(d, 1) ?? '?', attached: argText(a, 0) ?? '?' },
        [stepFor(ctx, a, 'probe', '0'), stepFor(ctx, d, 'remove', 'WARN', 'domain is not the attached one; no-op')],
        dFn,
        ctx.complete ? undefined : `an attach of ${argText(d, 0)} may be outside the patch`,
        true,
      );
    }
  },
});
