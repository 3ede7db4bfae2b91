/**
 * OWN020 pasid-detach-mismatch: iommu_detach_device_pasid() with a (domain, pasid) pair that is not the attached one,
 * or on a path where the attach failed. The core WARNs but removes the PASID entry anyway, tearing down whoever
 * had it attached.
 */
import type { CallFact, FunctionFact, TraceStep } from '../core/types';
import { createRule } from './types';
import { apiExists, callsTo, isDriverCode, keyOf } from './util';
import { argText, compareExpr, exprKey, feasiblePaths, functionLabel, functionOf, sameDevice, scenarioAtCall, stepFor, unseenBetween } from './tier2b-util';

const ATTACH = 'iommu_attach_device_pasid';
const DETACH = 'iommu_detach_device_pasid';

export const pasidDetachMismatch = createRule({
  meta: {
    code: 'OWN020',
    name: 'pasid-detach-mismatch',
    category: 'pasid',
    defaultSeverity: 'error',
    tier: 2,
    description: 'Detaching a PASID with a different domain or PASID than attached, or after the attach failed.',
    messages: {
      wrongDomain:
        '{{fn}}() detaches PASID {{pasid}} naming {{detached}}, but it was attached with {{attached}}: the kernel WARNs and removes the PASID anyway.',
      wrongPasid:
        '{{fn}}() detaches {{domain}} from PASID {{pasid}}, but {{domain}} was attached at PASID {{attachedPasid}}: the kernel WARNs and tears down whatever PASID {{pasid}} holds.',
      notAttached:
        '{{fn}}() detaches PASID {{pasid}} on a path where attaching it failed: the kernel WARNs and removes an entry that belongs to someone else, if any.',
    },
  },
  check(ctx) {
    if (!isDriverCode(ctx) || apiExists(DETACH, ctx.target) === false) return;
    const attaches = callsTo(ctx.facts, ATTACH);
    const detaches = callsTo(ctx.facts, DETACH);
    if (attaches.length === 0 || detaches.length === 0) return;
    const reported = new Set<string>();
    const report = (key: string, call: CallFact, messageId: string, data: Record<string, string>, trace: TraceStep[], fn?: FunctionFact, unseen?: string, crossFunction = false) => {
      if (reported.has(`${call.calleeSpan.line}:${call.calleeSpan.column}`)) return;
      reported.add(`${call.calleeSpan.line}:${call.calleeSpan.column}`);
      const scenario = scenarioAtCall(ctx, fn, call.calleeSpan, DETACH, !crossFunction);
      ctx.report({
        messageId,
        data,
        span: call.calleeSpan,
        key,
        ...(unseen ? { unseen } : {}),
        ...(scenario ? { scenario } : { trace }),
        fixes: [
          {
            title: 'Detach exactly the (domain, PASID) pair that was attached',
            edits: [],
            suggestion:
              messageId === 'notAttached'
                ? `only detach after a successful ${ATTACH}(): on its failure there is nothing to undo`
                : `keep the domain and PASID of each attachment together (e.g. in the driver's private data) and pass both to ${DETACH}()`,
          },
        ],
      });
    };
    const dataOf = (fn: string, d: CallFact, a: CallFact) => ({
      fn,
      pasid: argText(d, 2) ?? '?',
      detached: argText(d, 0) ?? '?',
      domain: argText(d, 0) ?? '?',
      attached: argText(a, 0) ?? '?',
      attachedPasid: argText(a, 2) ?? '?',
    });

    // Within a function, along feasible paths.
    for (const fn of ctx.facts.functions) {
      if (!fn.calls.some((c) => c.callee === ATTACH) || !fn.calls.some((c) => c.callee === DETACH)) continue;
      const label = functionLabel(ctx, fn);
      for (const path of feasiblePaths(fn)) {
        const live: { call: CallFact; ok: boolean; index: number }[] = [];
        for (const [index, e] of path.events.entries()) {
          if (e.kind !== 'call') continue;
          const c = e.call;
          if (c.callee === ATTACH) {
            live.push({ call: c, ok: e.outcome !== 'fail', index });
            continue;
          }
          if (c.callee !== DETACH) continue;
          const sameDev = live.filter((l) => sameDevice(argText(l.call, 1), argText(c, 1)));
          const pasidMatch = sameDev.filter((l) => compareExpr(argText(l.call, 2), argText(c, 2), true) === 'same');
          const exact = pasidMatch.find((l) => compareExpr(argText(l.call, 0), argText(c, 0), true) === 'same');
          const unseen = (l: { index: number }) => unseenBetween(path, l.index, index, label);
          const trace = (l: { call: CallFact; ok: boolean }, note: string) => [
            stepFor(ctx, l.call, 'attach', l.ok ? '0' : 'error'),
            stepFor(ctx, c, 'detach', 'WARN', note),
          ];
          if (exact && !exact.ok && !pasidMatch.some((l) => l.ok)) {
            report(keyOf('OWN020', label, 'not-attached', exprKey(argText(c, 2)).id), c, 'notAttached', dataOf(label, c, exact.call),
              trace(exact, 'nothing attached at this PASID on this path'), fn, unseen(exact));
          } else if (!exact) {
            const okMatch = pasidMatch.filter((l) => l.ok);
            const wrongDom = okMatch.find((l) => compareExpr(argText(l.call, 0), argText(c, 0), true) === 'different');
            if (wrongDom && okMatch.every((l) => compareExpr(argText(l.call, 0), argText(c, 0), true) === 'different')) {
              report(keyOf('OWN020', label, 'wrong-domain', exprKey(argText(c, 0)).id), c, 'wrongDomain', dataOf(label, c, wrongDom.call),
                trace(wrongDom, 'entry holds another domain; removed anyway'), fn, unseen(wrongDom));
            } else if (pasidMatch.length === 0) {
              const domMatch = sameDev.filter((l) => l.ok && compareExpr(argText(l.call, 0), argText(c, 0), true) === 'same');
              if (domMatch.length > 0 && domMatch.every((l) => compareExpr(argText(l.call, 2), argText(c, 2), true) === 'different')) {
                report(keyOf('OWN020', label, 'wrong-pasid', exprKey(argText(c, 2)).id), c, 'wrongPasid', dataOf(label, c, domMatch[0].call),
                  trace(domMatch[0], 'PASID not attached with this domain'), fn, unseen(domMatch[0]));
              }
            }
          }
          // The detach ends whatever attachment it matched on this path.
          for (const l of pasidMatch) live.splice(live.indexOf(l), 1);
        }
      }
    }

    // Across functions: only fields and constants identify a domain or a PASID there.
    for (const d of detaches) {
      const fn = functionOf(ctx, d);
      const label = functionLabel(ctx, fn, d);
      const unseen = ctx.complete ? undefined : 'the matching attach may be outside the patch';
      const others = attaches.filter((a) => functionOf(ctx, a) !== fn);
      if (others.length === 0 || others.length < attaches.length) continue;
      const cmpPasid = others.map((a) => compareExpr(argText(a, 2), argText(d, 2), false));
      const cmpDomain = others.map((a) => compareExpr(argText(a, 0), argText(d, 0), false));
      if (others.some((_, i) => cmpPasid[i] !== 'different' && cmpDomain[i] !== 'different')) continue;
      const i = others.findIndex((_, j) => cmpPasid[j] === 'same');
      if (i >= 0 && cmpDomain.every((c, j) => cmpPasid[j] !== 'same' || c === 'different')) {
        report(keyOf('OWN020', label, 'wrong-domain', exprKey(argText(d, 0)).id), d, 'wrongDomain', dataOf(label, d, others[i]),
          [stepFor(ctx, others[i], 'attach', '0'), stepFor(ctx, d, 'detach', 'WARN', 'entry holds another domain; removed anyway')], fn, unseen, true);
        continue;
      }
      const k = others.findIndex((_, j) => cmpDomain[j] === 'same');
      if (k >= 0 && cmpPasid.every((c) => c === 'different')) {
        report(keyOf('OWN020', label, 'wrong-pasid', exprKey(argText(d, 2)).id), d, 'wrongPasid', dataOf(label, d, others[k]),
          [stepFor(ctx, others[k], 'attach', '0'), stepFor(ctx, d, 'detach', 'WARN', 'PASID not attached with this domain')], fn, unseen, true);
      }
    }
  },
});
