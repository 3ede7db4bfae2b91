/**
 * Entry-point leaks, as the lifecycle replay finds them (core/sim/lifecycle.ts): an entry point that acquires and
 * its release partner replayed one after the other, or an entry point with no partner in the file while nothing
 * else in the file releases what it acquires. Shared by OWN005 (ownership), OWN013 (private domain) and OWN019
 * (PASID / SVA): each selects the violation kinds and acquiring calls that are its business.
 */
import type { CallFact, ScenarioResult, Violation, ViolationKind } from '../core/types';
import type { LifecycleResult } from '../core/sim';
import type { RuleContext } from './types';
import { acquisitionOnPath, traceOf } from './scenario-selection';
import { callsIn, reachableFunctions } from '../core/c/call-graph';
import { keyOf } from './reports';

export interface LifecycleLeak {
  result: LifecycleResult;
  scenario: ScenarioResult;
  violation: Violation;
  /** The acquiring call the leak goes back to. */
  acquire: CallFact;
  /** 'partner': the partner(s) did not release it; 'none': no partner and no release anywhere in the file. */
  kind: 'partner' | 'none';
}

/** The leaks of `kinds` whose acquisition is one of `acquireApis`, one per entry point and kind of report. */
export function lifecycleLeaks(ctx: RuleContext, kinds: readonly ViolationKind[], acquireApis: readonly string[]): LifecycleLeak[] {
  // Partners and "nothing else releases it" are judgements about the whole file.
  if (!ctx.complete || !ctx.sim.lifecycle) return [];
  const out: LifecycleLeak[] = [];
  for (const result of ctx.sim.lifecycle('singleton')) {
    const own = callsIn(reachableFunctions(ctx.facts, result.acquire), acquireApis);
    if (own.length === 0) continue;
    const kind = result.partners.length ? 'partner' : 'none';
    if (kind === 'none' && result.releasedElsewhere) continue;
    // Given back only by a devm action (after dma_cleanup, at unbind): pasid-attach-leak's onlyDevmDetach words it.
    if (result.releasedOnlyByDevm) continue;
    for (const scenario of result.scenarios) {
      const violation = scenario.violations.find((v) => kinds.includes(v.kind));
      if (!violation) continue;
      out.push({ result, scenario, violation, acquire: acquisitionOnPath(ctx, scenario, acquireApis, own[0]), kind });
      break;
    }
  }
  return out;
}

/** Reports each leak (skipping lines already reported): partners by name, or the missing partner. */
export function reportLifecycleLeaks(
  ctx: RuleContext,
  code: string,
  leaks: readonly LifecycleLeak[],
  reportedAt: Set<number>,
  ids: { partner: string; none: string; noneKey: string; freedByPartner?: string },
): void {
  for (const leak of leaks) {
    const line = leak.acquire.calleeSpan.line;
    if (leak.kind === 'none' && reportedAt.has(line)) continue;
    reportedAt.add(line);
    const a = leak.result.acquire;
    const partners = leak.result.partners.map((p) => `${p.fn}() (${p.via})`).join(', ');
    const exported = leak.kind === 'none' && leak.result.exported;
    ctx.report({
      // A partner that frees the domain before detaching it does undo the attach, too late: worded as what it is.
      messageId: leak.kind === 'partner'
        ? (leak.violation.kind === 'use-after-free' && ids.freedByPartner ? ids.freedByPartner : ids.partner)
        : ids.none,
      data: {
        fn: a.name, acquire: leak.acquire.callee, claim: leak.acquire.callee, attach: leak.acquire.callee, partners, kind: leak.violation.kind,
        action: '', freedAt: leak.violation.at ? `line ${leak.violation.at.line}` : 'its body',
      },
      // A partner that does not release: the release is missing there, so the finding is there (the trace shows both).
      span: partnerSpan(ctx, leak) ?? leak.acquire.calleeSpan,
      scenario: leak.scenario,
      trace: traceOf(leak.scenario, leak.violation),
      // An exported entry point may be paired with a release in another file: said, not claimed.
      unseen: leak.violation.unseen ?? (exported ? `the caller of ${a.name}() (exported) in another file, which may release it` : undefined),
      key: keyOf(code, a.name, leak.acquire.callee, leak.kind === 'partner' ? 'partner' : ids.noneKey),
    });
  }
}

function partnerSpan(ctx: RuleContext, leak: LifecycleLeak): CallFact['calleeSpan'] | undefined {
  if (leak.kind !== 'partner') return undefined;
  const first = leak.result.partners[0];
  return first ? ctx.functionByName(first.fn)?.nameSpan : undefined;
}
