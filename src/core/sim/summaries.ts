/**
 * Memoised helper summaries (issue 10 item 2). A function of the file called on a path is run as a nested replay;
 * what each of its ends did to the path (kernel state, stored fields, decisions, trace steps, devres actions, ...)
 * is kept as an Outcome under a key made of the callee, its argument values and the part of the path it can read.
 * A later call with the same key (another path, another scenario run of the same file) applies the outcomes
 * instead of running the helper again: the same ends, without new forks.
 *
 * The key is made in interpreter.ts (it knows what a function reads); this module holds the outcome and its replay.
 * A helper that can neither change nor read the kernel model (no modelled API, no `->driver`, `->iommu_group`,
 * `->type` read) is keyed without the model state: its trace steps then carry the caller's group state, rewritten
 * to the group state of the path they are replayed on.
 */
import type { TraceStep, Violation } from '../types';
import { cloneState, groupText, stateText, type KernelState } from './model';
import { hold, letGo, ownGlobals, ownMemo, ranFunction, written, type DevresEntry, type EnvVal, type Path, type Remembered } from './env';
import type { ApiEvent } from './trace';

export interface Outcome {
  ret: EnvVal | null;
  /** The model state at this end (absent for a helper keyed without it: it did not change it). */
  state?: KernelState;
  /** Its token in join keys, once a path it was applied to needed it (Path.stateToken). */
  stateToken?: string;
  /** Stored fields the helper set or changed. */
  globals: [string, EnvVal][];
  /** Names the helper wrote (decisions over them are forgotten on the path it is replayed on too). */
  writes: string[];
  memoRemoved: string[];
  memoSet: [string, Remembered][];
  ran: string[];
  devres: DevresEntry[];
  /** New trace steps; for a state-free helper, the group each step's state text shows (null: every group). */
  steps: TraceStep[];
  stepGroups?: (string | null | undefined)[];
  /** Violations and API events, their step indexes relative to the steps at entry. */
  violations: Violation[];
  events: ApiEvent[];
  completed: string[];
  failureSinceSuccess: boolean;
  useErrors: string[];
  handoff?: string;
  maybeDetached?: Path['maybeDetached'];
  unknownDetaches?: Path['unknownDetaches'];
  /** Opaque teardowns the helper made (teardown.ts) and attaches that failed in it: path facts later checks read. */
  teardowns: string[];
  failedAttaches: string[];
  /** Unseen code the helper's path ran through (Tracer.gaps), step indexes relative to the steps at entry. */
  gaps: { before: number; what: string }[];
  stepsTaken: number;
}

type TracerInside = { completed: Set<string> };
const completedOf = (p: Path): Set<string> => (p.t as unknown as TracerInside).completed;

/** Which group a state text shows, read against the model state it was taken in. */
function groupOfText(state: KernelState, text: string | undefined): string | null | undefined {
  if (text === undefined) return undefined;
  if (text === stateText(state, null)) return null;
  const id = /^(\S+?)\{/.exec(text)?.[1];
  return id !== undefined && state.groups.has(id) && groupText(state, id) === text ? id : undefined;
}

/**
 * What captureOutcome needs of the path where a helper was entered: the maps the helper's run may change, held (the
 * path copies one before writing into it, see env.ts clonePath), and lengths of what the path only grows. Cheaper than
 * a copy of the path: no frames, no trace, no model state (only read for a state-free helper, which does not change it).
 */
export interface HelperEntry {
  globals: Map<string, EnvVal>;
  memo: Map<string, Remembered>;
  ran: Set<string>;
  completed: Set<string>;
  state: KernelState;
  steps: number;
  traceSteps: number;
  violations: number;
  events: number;
  gaps: number;
  devres: number;
  useErrors: number;
  teardowns: number;
  failedAttaches: number;
  handoff?: string;
}

export function helperEntry(p: Path): HelperEntry {
  return {
    globals: hold(p.globals), memo: hold(p.memo), ran: hold(p.ran), completed: new Set(completedOf(p)), state: p.k.state,
    steps: p.steps, traceSteps: p.t.steps.length, violations: p.t.violations.length, events: p.t.events.length, gaps: p.t.gaps.length,
    devres: p.devres.length, useErrors: p.useErrors.length, teardowns: p.teardowns?.length ?? 0, failedAttaches: p.failedAttaches?.length ?? 0,
    ...(p.handoff ? { handoff: p.handoff } : {}),
  };
}

/** The snapshot is done with (its maps are no longer held for it). */
export function dropHelperEntry(entry: HelperEntry): void {
  letGo(entry.globals);
  letGo(entry.memo);
  letGo(entry.ran);
}

/** What running the helper from `entry` (the path at the call) to `end` did. */
export function captureOutcome(entry: HelperEntry, end: Path, ret: EnvVal | null, stateFree: boolean): Outcome {
  const globals: [string, EnvVal][] = [];
  for (const [k, v] of end.globals) if (entry.globals.get(k) !== v) globals.push([k, v]);
  const memoSet: [string, Remembered][] = [];
  for (const [k, v] of end.memo) if (entry.memo.get(k) !== v) memoSet.push([k, v]);
  const base = entry.traceSteps;
  const steps = end.t.steps.slice(base); // shared: a step is not changed once recorded (Tracer.clone)
  const completedAtEntry = entry.completed;
  return {
    ret,
    ...(stateFree ? {} : { state: cloneState(end.k.state) }),
    globals,
    writes: [...new Set(end.writes ?? [])],
    memoRemoved: [...entry.memo.keys()].filter((k) => !end.memo.has(k)),
    memoSet,
    ran: [...end.ran].filter((n) => !entry.ran.has(n)),
    devres: end.devres.slice(entry.devres).map((d) => ({ ...d })),
    steps,
    ...(stateFree ? { stepGroups: steps.map((s) => groupOfText(entry.state, s.before)) } : {}),
    violations: end.t.violations.slice(entry.violations).map((v) => ({ ...v, stepIndex: v.stepIndex - base })),
    events: end.t.events.slice(entry.events).map((e) => ({ ...e, index: e.index - base })),
    completed: [...completedOf(end)].filter((a) => !completedAtEntry.has(a)),
    failureSinceSuccess: end.failureSinceSuccess,
    useErrors: end.useErrors.slice(entry.useErrors),
    ...(end.handoff && !entry.handoff ? { handoff: end.handoff } : {}),
    ...(end.maybeDetached ? { maybeDetached: new Map([...end.maybeDetached].map(([k, v]) => [k, { ...v }])) } : {}),
    ...(end.unknownDetaches ? { unknownDetaches: end.unknownDetaches.map((u) => ({ ...u })) } : {}),
    teardowns: (end.teardowns ?? []).slice(entry.teardowns),
    failedAttaches: (end.failedAttaches ?? []).slice(entry.failedAttaches),
    gaps: end.t.gaps.slice(entry.gaps).map((g) => ({ before: g.before - base, what: g.what })),
    stepsTaken: end.steps - entry.steps,
  };
}

/** Applies an outcome to a path standing at the call (the caller then receives `o.ret`). */
export function applyOutcome(p: Path, o: Outcome): void {
  if (o.state) {
    p.k = { ...p.k, state: cloneState(o.state) };
    p.stateToken = o.stateToken;
  }
  for (const n of o.writes) written(p, n);
  if (o.memoRemoved.length || o.memoSet.length) {
    const memo = ownMemo(p);
    for (const k of o.memoRemoved) memo.delete(k);
    for (const [k, v] of o.memoSet) memo.set(k, v);
  }
  if (o.globals.length) {
    const globals = ownGlobals(p);
    for (const [k, v] of o.globals) globals.set(k, v);
  }
  for (const n of o.ran) ranFunction(p, n);
  for (const d of o.devres) p.devres.push({ ...d });
  const base = p.t.steps.length;
  o.steps.forEach((s, i) => {
    const g = o.stepGroups?.[i];
    const text = g === undefined ? undefined : stateText(p.k.state, g);
    p.t.steps.push(text === undefined ? s : { ...s, before: text, after: text });
  });
  for (const v of o.violations) p.t.violations.push({ ...v, stepIndex: v.stepIndex + base });
  for (const e of o.events) p.t.events.push({ ...e, index: e.index + base });
  const completed = completedOf(p);
  for (const a of o.completed) completed.add(a);
  p.failureSinceSuccess = o.failureSinceSuccess;
  p.useErrors.push(...o.useErrors);
  if (o.handoff && !p.handoff) p.handoff = o.handoff;
  if (o.maybeDetached) p.maybeDetached = new Map([...o.maybeDetached].map(([k, v]) => [k, { ...v }]));
  else p.maybeDetached = undefined;
  if (o.unknownDetaches) p.unknownDetaches = o.unknownDetaches.map((u) => ({ ...u }));
  else p.unknownDetaches = undefined;
  if (o.teardowns.length) (p.teardowns ??= []).push(...o.teardowns);
  if (o.failedAttaches.length) (p.failedAttaches ??= []).push(...o.failedAttaches);
  for (const g of o.gaps) p.t.gaps.push({ before: g.before + base, what: g.what });
  p.steps += o.stepsTaken;
}

/** Everything of an outcome but its trace steps: two outcomes equal here lead the caller to the same future. */
function effectKey(o: Outcome): string {
  // A known return value decides the caller's failure state by itself (deliver), whatever the helper assumed inside.
  const failure = o.ret?.kind === 'known' ? null : o.failureSinceSuccess;
  return JSON.stringify([o.ret, o.state ? [...o.state.groups].map(([, g]) => ({ ...g, pasids: [...g.pasids] })) : null,
    o.state ? [[...o.state.devices], [...o.state.domains], [...o.state.sva].map(([k, h]) => [k, h]), o.state.nextId] : null,
    o.globals, o.writes, o.memoRemoved, o.memoSet, o.ran, o.devres.map((d) => [d.fn, d.data, d.dataText]),
    o.violations.map((v) => [v.kind, v.message]), o.completed, failure, o.useErrors, o.handoff ?? null,
    o.maybeDetached ? [...o.maybeDetached] : null, o.unknownDetaches ?? null, o.teardowns, o.failedAttaches, o.gaps.map((g) => g.what)]);
}

/**
 * The ends of a helper that differ in more than their trace: ends equal in every effect would meet at the caller's
 * next join point in the same state, where all but one are dropped anyway (the first one is kept).
 */
export function distinctOutcomes(list: Outcome[]): Outcome[] {
  const seen = new Set<string>();
  return list.filter((o) => {
    const k = effectKey(o);
    if (seen.has(k)) return false;
    seen.add(k);
    return true;
  });
}
