/**
 * Trace recording: every simulated kernel call becomes a TraceStep with the state of the group before and after,
 * the return code or WARN, and the lifecycle phase; WARNs and use-after-free become Violations on the spot.
 */
import type { TraceStep, Violation, ViolationKind } from '../types';
import { errnoText, groupText, isFailureValue, stateText, valueText, type ApiOutcome, type Kernel, type KernelState } from './model';

export type Phase = 'setup' | 'hotplug' | 'bind' | 'probe' | 'probe-failure-cleanup' | 'remove' | 'unbind' | 'devres' | 'user'
  | 'test-remove' | 'generic' | 'dma_configure' | 'dma_cleanup' | 'acquire' | 'release'
  | 'co-owner';

export interface At { file: string; line: number; column: number }

/** The ownership fields of one group, structured (trace steps only carry them as text). */
export interface GroupFields { ownerCnt: number; owner: string | null; domain: string | null; pasids: number }

/** A kernel API step with its group before and after: the end checks use it to name the call that caused a leak. */
export interface ApiEvent {
  index: number; api: string; group: string | null; at?: At; before?: GroupFields; after?: GroupFields; warned: boolean;
  /** The kernel code that made the call when the driver did not (a bus hook: "pci_dma_cleanup"). */
  via?: string;
}

function fieldsOf(s: KernelState, group: string | null): GroupFields | undefined {
  const g = group ? s.groups.get(group) : undefined;
  return g ? { ownerCnt: g.ownerCnt, owner: g.owner, domain: g.domain, pasids: g.pasids.size } : undefined;
}

/** "t-leak.c:9": where a step ran, short enough for a sentence. */
export function placeText(at: At | undefined): string {
  if (!at) return 'an unseen place';
  return `${at.file.split('/').pop() ?? at.file}:${at.line}`;
}

/**
 * Violations about how driver code made a call (its owner cookie, what it did with a failed result, DMA or MMIO on
 * the device), not a WARN or refusal of the kernel: they do not end a lifecycle pairing (lifecycle.ts).
 */
export const CODE_VIOLATIONS: ReadonlySet<ViolationKind> = new Set<ViolationKind>(['null-owner', 'unchecked-failure', 'dma-api-off-default-domain', 'device-access-while-user-owned']);

/** APIs whose WARN means "released what was not held". */
const RELEASES = new Set(['iommu_group_release_dma_owner', 'iommu_device_release_dma_owner', 'iommu_device_unuse_default_domain',
  'iommu_device_unuse_dma_api', 'iommu_sva_unbind_device']);
const DETACHES = new Set(['iommu_detach_device', 'iommu_detach_device_pasid', 'iommu_detach_device_shared', 'iommu_detach_group']);

export class Tracer {
  steps: TraceStep[] = [];
  violations: Violation[] = [];
  events: ApiEvent[] = [];
  phase: Phase = 'setup';
  /** APIs that already completed without a WARN (to tell a double release from a release without claim). */
  private completed = new Set<string>();
  /** Unseen code the path ran through (a `gap` of a partial view), with the number of steps recorded before it. */
  gaps: { before: number; what: string }[] = [];

  /** The path ran through code the view does not show. */
  gap(what: string): void {
    this.gaps.push({ before: this.steps.length, what });
  }

  /**
   * Unseen code between the last API step that changed `group` before `stepIndex` (what set the state up) and that
   * step: a verdict resting on it may be undone there.
   */
  private unseenSince(stepIndex: number, group: string | null | undefined): string | undefined {
    if (!this.gaps.length || !group) return undefined;
    const cause = [...this.events].reverse().find((e) => e.index < stepIndex && e.group === group && e.before && e.after
      && JSON.stringify(e.before) !== JSON.stringify(e.after));
    if (!cause) return undefined;
    return this.gaps.find((g) => g.before > cause.index && g.before <= stepIndex)?.what;
  }

  /** The first unseen code the path ran before step `stepIndex` (a test there may have decided otherwise). */
  gapBefore(stepIndex: number): string | undefined {
    return this.gaps.find((g) => g.before <= stepIndex)?.what;
  }

  /**
   * A fork's copy. Steps, violations and events are shared, not copied: none is changed once another record follows
   * it (the only later writes fill in fields of the record just made, before the path can fork).
   */
  clone(): Tracer {
    const t = new Tracer();
    t.steps = this.steps.slice();
    t.violations = this.violations.slice();
    t.events = this.events.slice();
    t.phase = this.phase;
    t.completed = new Set(this.completed);
    t.gaps = [...this.gaps];
    return t;
  }

  /** A step that is not a kernel API call (driver-core milestones, notes). */
  note(k: Kernel, step: string, result: string, group: string | null, at?: At): number {
    const st = stateText(k.state, group);
    this.steps.push({ step, result, before: st, after: st, phase: this.phase, ...(at ? { at } : {}) });
    return this.steps.length - 1;
  }

  /**
   * Runs one model API and records it; returns the outcome. With `group` undefined, the group shown is the one
   * the run reports (resolved from the call's arguments), so the state of every group is taken before the call.
   */
  api(k: Kernel, api: string, step: string, group: string | null | undefined, run: () => ApiOutcome & { group?: string | null }, at?: At): ApiOutcome {
    const beforeAll = new Map([...k.state.groups.keys()].map((id) => [id, groupText(k.state, id)]));
    const beforeNone = stateText(k.state, null);
    const beforeFields = new Map([...k.state.groups.keys()].map((id) => [id, fieldsOf(k.state, id)]));
    const out = run();
    const shown = group === undefined ? (out.group ?? null) : group;
    const before = shown ? (beforeAll.get(shown) ?? stateText(k.state, shown)) : beforeNone;
    const after = stateText(k.state, shown);
    const result = out.warn ? `WARN: ${out.warn}` : valueText(out.value);
    const text = out.note ? `${step} — ${out.note}` : step;
    this.steps.push({ step: text, result, before, after, phase: this.phase, ...(out.warn ? { warn: out.warn } : {}), ...(at ? { at } : {}) });
    const index = this.steps.length - 1;
    this.events.push({
      index, api, group: shown, warned: !!out.warn, ...(at ? { at } : {}), ...(step.includes(' → ') ? { via: step.split(' → ')[0] } : {}),
      before: shown ? beforeFields.get(shown) : undefined, after: fieldsOf(k.state, shown),
    });
    if (out.warn) this.violate(this.warnKind(api), `${api}: WARN — ${out.warn}`, index, api, undefined, shown);
    if (out.useAfterFree) this.violate('use-after-free', `${api}: ${out.useAfterFree}`, index, api, undefined, shown);
    if (out.nullOwner) {
      const ret = valueText(out.value);
      this.violate('null-owner', `${api}() with a NULL owner cookie returns ${ret}${out.warn ? ' (WARN)' : ''}`, index, api, isFailureValue(out.value) ? ret : undefined, shown);
    }
    if (out.violation) {
      const errno = out.value.kind === 'int' && out.value.value < 0 ? errnoText(out.value.value) : undefined;
      this.violate(out.violation, `${api}: ${out.warn ? `WARN — ${out.warn}` : (out.note ?? result)}`, index, api, errno, shown);
    }
    if (!out.warn) this.completed.add(api);
    return out;
  }

  /**
   * A violation shown as its own step: `✗ <when>: <message>` with the violation kind as result, so a trace cut at
   * the violation (rules attach traces up to it) ends with the explanation.
   */
  verdict(k: Kernel, group: string | null, kind: ViolationKind, when: string, message: string, api?: string, errno?: string): number {
    const i = this.note(k, `✗ ${when}: ${message}`, kind, group);
    this.violate(kind, message, i, api, errno, group);
    return i;
  }

  /** Records a violation with the step's place, state and phase as fields, so rules never read them out of text. */
  violate(kind: ViolationKind, message: string, stepIndex: number, api?: string, errno?: string, group?: string | null): void {
    const step = this.steps[stepIndex];
    const unseen = this.unseenSince(stepIndex, group);
    this.violations.push({
      kind, message, stepIndex, ...(api ? { api } : {}), ...(errno ? { errno } : {}), ...(group ? { group } : {}),
      ...(step?.warn ? { warn: step.warn } : {}), ...(step?.at ? { at: step.at } : {}),
      ...(step?.before !== undefined ? { before: step.before } : {}), ...(step?.after !== undefined ? { after: step.after } : {}),
      ...(step?.phase ? { phase: step.phase } : {}), ...(unseen ? { unseen } : {}),
    });
  }

  private warnKind(api: string): ViolationKind {
    if (DETACHES.has(api)) return 'bad-detach';
    // A release WARN after an earlier clean release of the same API is a double release.
    if (RELEASES.has(api) && this.completed.has(api)) return 'double-release';
    return 'warn';
  }
}
