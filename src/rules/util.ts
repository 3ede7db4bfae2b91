/**
 * Helpers shared by every rule file. Stable and additive: tier-2/3 rules depend on these signatures.
 * Pure functions over CFacts and the simulation; nothing here re-derives kernel behaviour.
 */
import type {
  CallFact,
  CFacts,
  DriverStructFact,
  FunctionFact,
  ImageSpan,
  KernelTarget,
  ScenarioResult,
  ViolationKind,
} from '../core/types';
import { lookupApi } from '../core/sim';
import { headingFunctionName, hunkAtLine, opensHunk } from '../core/c/hunk-headings';
import { EMULATED_VFIO_CALLS, USER_OWNERSHIP_CALLS, VFIO_PCI_CORE_FIELD, VFIO_PCI_CORE_PREFIX } from '../core/sim/vocabulary';
import { acquisitionOnPath, functionScenarios, scenarioLabel, traceOf } from './scenario-selection';
import type { RuleContext } from './types';

// Helpers that moved to modules named for what they hold; re-exported so rule files importing './util' keep working
// (import from the modules directly in new code).
export * from './driver-flag';
export * from './fixes';
export * from './scenario-selection';

// ───────────────────────────── code classification ─────────────────────────────

/** True when driver rules should look at this file. */
export function isDriverCode(ctx: RuleContext): boolean {
  return !ctx.isCoreOrBusCode;
}

/** Path helpers: the tree path of the analysed file, with forward slashes. */
export function treePath(ctx: RuleContext): string {
  return ctx.facts.path.replace(/\\/g, '/');
}

/** True when the file lives under `dir` (e.g. 'drivers/vfio/'), whatever prefix the user's path has. */
export function isUnder(ctx: RuleContext, dir: string): boolean {
  const p = treePath(ctx);
  return p.startsWith(dir) || p.includes(`/${dir}`);
}

// ───────────────────────────── calls and functions ─────────────────────────────

function nameSet(names: string | Iterable<string>): Set<string> {
  return new Set(typeof names === 'string' ? [names] : names);
}

/** Every call (in any function of the facts) to one of `names`, in source order. */
export function callsTo(facts: CFacts, names: string | Iterable<string>): CallFact[] {
  const wanted = nameSet(names);
  const out: CallFact[] = [];
  for (const fn of facts.functions) for (const c of fn.calls) if (wanted.has(c.callee)) out.push(c);
  return out;
}

/** Calls to `names` inside the given functions only. */
export function callsIn(fns: readonly FunctionFact[], names: string | Iterable<string>): CallFact[] {
  const wanted = nameSet(names);
  const out: CallFact[] = [];
  for (const fn of fns) for (const c of fn.calls) if (wanted.has(c.callee)) out.push(c);
  return out;
}

/** Driver structs of the post-image (empty in core/bus code is NOT implied: callers decide). */
export function driversOf(ctx: RuleContext): DriverStructFact[] {
  return ctx.facts.drivers;
}

function fnByName(facts: CFacts, name: string): FunctionFact | undefined {
  return facts.functions.find((f) => f.name === name);
}

/**
 * Functions reachable from `fromFn` through direct calls to functions defined in this file (intra-file call graph),
 * including `fromFn` itself and devm action functions registered on the way. Order: breadth-first.
 */
export function reachableFunctions(ctx: RuleContext | { facts: CFacts }, fromFn: string | FunctionFact): FunctionFact[] {
  const facts = ctx.facts;
  const start = typeof fromFn === 'string' ? fnByName(facts, fromFn) : fromFn;
  if (!start) return [];
  const seen = new Map<string, FunctionFact>([[start.name, start]]);
  const queue: FunctionFact[] = [start];
  while (queue.length > 0) {
    const fn = queue.shift()!;
    // Function pointers handed to other subsystems (irq handlers, work items) are not followed: they do not run
    // in the bind/unbind sequence. devm actions are: they run at unbind, after dma_cleanup.
    const next = [...fn.calls.map((c) => c.callee), ...fn.devmActions.map((a) => a.fn)];
    for (const name of next) {
      if (seen.has(name)) continue;
      const target = fnByName(facts, name);
      if (target) {
        seen.set(name, target);
        queue.push(target);
      }
    }
  }
  return [...seen.values()];
}

export interface CallbackSet {
  /** Callback field ('probe', 'remove', ...) → its function, when the body is in the facts. */
  byField: Record<string, FunctionFact>;
  /** The callbacks, every function they reach in this file, and devm action functions (deduplicated). */
  functions: FunctionFact[];
  /** Functions registered with devm_add_action(_or_reset) from any of the above (they run AFTER dma_cleanup). */
  devmActions: FunctionFact[];
  /** Callbacks wired up whose definitions are not visible (outside the hunks, or in another file). */
  missing: { field: string; fn: string }[];
  /** Reached functions whose body is only partly visible. */
  incomplete: FunctionFact[];
}

/** probe/remove/... of a driver struct, everything they reach, and their devm action functions. */
export function callbackFunctions(ctx: RuleContext | { facts: CFacts }, driver: DriverStructFact): CallbackSet {
  const byField: Record<string, FunctionFact> = {};
  const missing: { field: string; fn: string }[] = [];
  const all = new Map<string, FunctionFact>();
  for (const [field, fnName] of Object.entries(driver.callbacks)) {
    const fn = fnByName(ctx.facts, fnName);
    if (!fn) {
      missing.push({ field, fn: fnName });
      continue;
    }
    byField[field] = fn;
    for (const r of reachableFunctions(ctx, fn)) all.set(r.name, r);
  }
  const devmNames = new Set<string>();
  for (const fn of all.values()) for (const a of fn.devmActions) devmNames.add(a.fn);
  const devmActions = [...devmNames].map((n) => fnByName(ctx.facts, n)).filter((f): f is FunctionFact => f !== undefined);
  const functions = [...all.values()];
  return { byField, functions, devmActions, missing, incomplete: functions.filter((f) => !f.complete) };
}

/** The driver structs whose callbacks reach `fn` (by name). */
export function driversReaching(ctx: RuleContext, fnName: string): DriverStructFact[] {
  return ctx.facts.drivers.filter((d) => callbackFunctions(ctx, d).functions.some((f) => f.name === fnName));
}

/** Functions not reachable from any driver callback: entry points such as ioctl/open/release handlers. */
export function nonCallbackFunctions(ctx: RuleContext): FunctionFact[] {
  const reached = new Set<string>();
  for (const d of ctx.facts.drivers) for (const f of callbackFunctions(ctx, d).functions) reached.add(f.name);
  return ctx.facts.functions.filter((f) => !reached.has(f.name));
}

// ───────────────────────────── kernel API knowledge (via the simulation) ─────────────────────────────

/** True when `span` (pre-image coordinates) touches a line the patch removes. */
export function isRemoved(ctx: RuleContext, span: ImageSpan): boolean {
  if (!ctx.pre || ctx.pre.image === 'file') return false;
  const removed = new Set(ctx.pre.addedLines); // the pre-image's changed lines are the removed ones
  for (let l = span.line; l <= Math.max(span.line, span.endLine); l++) if (removed.has(l)) return true;
  return false;
}

/** Calls to `names` the patch removes from the pre-image's functions called `fnNames` (pre-image spans). */
export function removedCalls(ctx: RuleContext, fnNames: readonly string[], names: readonly string[]): CallFact[] {
  if (!ctx.pre) return [];
  const fns = ctx.pre.functions.filter((f) => fnNames.includes(f.name));
  return callsIn(fns, names).filter((c) => isRemoved(ctx, c.calleeSpan));
}

/** Whether `name` exists on `target` (undefined when the simulation does not know the name at all). */
export function apiExists(name: string, target: KernelTarget, arity?: number): boolean | undefined {
  try {
    return lookupApi(name, target, arity)?.exists;
  } catch {
    return undefined;
  }
}

/** The replacement the simulation suggests for a stale name on `target`. */
export function apiReplacement(name: string, target: KernelTarget, arity?: number): string | undefined {
  try {
    return lookupApi(name, target, arity)?.replacement;
  } catch {
    return undefined;
  }
}

// ───────────────────────────── scenarios ─────────────────────────────

// ───────────────────────────── VFIO-like drivers ─────────────────────────────

/**
 * Why a driver looks like a VFIO driver (the first piece of evidence), or undefined.
 * Evidence: a registering call reachable from its callbacks, a vfio_pci_core_* helper used as a callback or
 * ops, or a call to any vfio_pci_core_* function. vfio_register_emulated_iommu_dev alone is NOT evidence.
 */
export function vfioEvidence(
  ctx: RuleContext | { facts: CFacts },
  driver: DriverStructFact,
): { name: string; span: ImageSpan; isCall: boolean } | undefined {
  const cbs = callbackFunctions(ctx, driver);
  const reg = callsIn(cbs.functions, USER_OWNERSHIP_CALLS)[0];
  if (reg) return { name: reg.callee, span: reg.calleeSpan, isCall: true };
  const coreField = driver.fields.find((f) => VFIO_PCI_CORE_FIELD.test(f.value));
  if (coreField) return { name: coreField.value.replace(/^&/, ''), span: coreField.span, isCall: false };
  const coreCall = cbs.functions.flatMap((f) => f.calls).find((c) => c.callee.startsWith(VFIO_PCI_CORE_PREFIX));
  if (coreCall) return { name: coreCall.callee, span: coreCall.calleeSpan, isCall: true };
  return undefined;
}

export function isVfioLikeDriver(ctx: RuleContext | { facts: CFacts }, driver: DriverStructFact): boolean {
  return vfioEvidence(ctx, driver) !== undefined;
}

/** True when the driver's callbacks register an emulated-IOMMU (mdev-style) VFIO device. */
export function usesEmulatedIommu(ctx: RuleContext | { facts: CFacts }, driver: DriverStructFact): boolean {
  return callsIn(callbackFunctions(ctx, driver).functions, EMULATED_VFIO_CALLS).length > 0;
}

// ───────────────────────────── fixes ─────────────────────────────

// ───────────────────────────── misc ─────────────────────────────

/** A stable finding key: 'OWN005:foo_probe:iommu_group_claim_dma_owner'. */
export function keyOf(code: string, ...parts: (string | number | undefined)[]): string {
  return [code, ...parts.filter((p) => p !== undefined && p !== '')].join(':');
}

/** True when the image line is visible (context or added) in the analysed view. */
export function isVisibleLine(facts: CFacts, line: number): boolean {
  return facts.visibleLines.some((r) => line >= r.from && line <= r.to);
}

/** The enclosing function of a call, looked up by name. */
export function enclosingFunction(ctx: RuleContext, call: CallFact): FunctionFact | undefined {
  return call.inFunction ? ctx.functionByName(call.inFunction) : undefined;
}

/** True when an argument is a NULL / 0 literal. */
export function isNullArg(text: string | undefined): boolean {
  return text !== undefined && /^\(?\s*(NULL|0|\(void\s*\*\)\s*0|0UL|0L)\s*\)?$/.test(text.trim());
}

// ───────────────────────────── partial code and scenario evidence ─────────────────────────────

/** The .remove-like callback name of a driver struct ('remove', 'remove_new'), if wired up. */
export function removeCallbackName(driver: DriverStructFact): string | undefined {
  return driver.callbacks.remove ?? driver.callbacks.remove_new;
}

/**
 * What a driver rule could not see in order to judge the unbind path (undefined when everything needed is visible):
 * the .remove body outside the hunks, or the struct initializer only partly shown (so .remove may exist).
 */
export function unseenRemove(ctx: RuleContext, driver: DriverStructFact): string | undefined {
  if (ctx.complete) return undefined;
  const name = removeCallbackName(driver);
  if (name) {
    const fn = ctx.functionByName(name);
    if (!fn) return `the .remove callback ${name}() is not in the patch`;
    if (!fn.complete) return `only part of ${name}() is in the patch`;
    return undefined;
  }
  if (!driver.complete) return `the rest of ${driver.name}'s initializer (it may set .remove) is not in the patch`;
  return undefined;
}

/** What a rule could not see of a function it reasons about (undefined when the whole body is visible). */
export function unseenBody(ctx: RuleContext, fn: FunctionFact | undefined, name?: string): string | undefined {
  if (ctx.complete) return undefined;
  if (!fn) return name ? `${name}() is not in the patch` : undefined;
  return fn.complete ? undefined : `only part of ${fn.name}() is in the patch`;
}

/**
 * Functions called from `fns` that are neither defined in this file nor known to the simulation and look like the
 * driver's own helpers (same name prefix): the release/detach a rule looks for may be inside them.
 */
const TEARDOWN_WORDS = /(release|teardown|cleanup|clean_up|fini|exit|uninit|deinit|destroy|free|detach|unbind|put|stop|remove|shutdown|disable|unregister|close|unmap|unset|done|iommu|dma|owner|pasid|sva)/;

export function unseenLocalHelpers(ctx: RuleContext, fns: readonly FunctionFact[], prefix: string): string[] {
  if (prefix.length < 2) return [];
  const out = new Set<string>();
  for (const fn of fns) {
    for (const c of fn.calls) {
      if (!c.callee.startsWith(prefix) || ctx.functionByName(c.callee)) continue;
      if (!TEARDOWN_WORDS.test(c.callee.slice(prefix.length))) continue; // register accessors, loggers: not an undo
      if (apiExists(c.callee, ctx.target) !== undefined) continue;
      out.add(c.callee);
    }
  }
  return [...out];
}

/** The driver's name prefix ('foo_' for foo_pci_driver / foo_probe), used to recognise its own helpers. */
export function driverPrefix(driver: DriverStructFact): string {
  const probe = driver.callbacks.probe;
  const base = probe ?? driver.name;
  const m = /^([a-z0-9]+_)/i.exec(base);
  return m ? m[1] : '';
}

/**
 * Every visible piece of a function: the named one plus the unnamed fragments git's hunk heading places in it
 * (a function spanning two hunks shows its header in the first and the rest of its body, unnamed, in the next).
 */
export function functionPieces(ctx: RuleContext, fn: FunctionFact): FunctionFact[] {
  const file = ctx.patch?.files.find((f) => f.newPath !== null && ctx.facts.path.endsWith(f.newPath));
  if (!file || fn.name === '') return [fn];
  // Only a fragment that opens its hunk continues the heading's function (a later one follows some other header).
  const continues = (f: FunctionFact): boolean => {
    const hunk = hunkAtLine(file, f.span.line, 'post');
    return hunk !== undefined && headingFunctionName(hunk.heading) === fn.name && opensHunk(ctx.facts, f, hunk, 'post');
  };
  const rest = ctx.facts.functions.filter((f) => f !== fn && f.name === '' && !f.complete && continues(f));
  return [fn, ...rest];
}

/** Every function (including `fn`) reachable from `fn`, and whether any of them calls one of `names`. */
export function reaches(ctx: RuleContext, fn: FunctionFact, names: readonly string[]): CallFact[] {
  return callsIn(reachableFunctions(ctx, fn), names);
}

/** Entry points: functions no driver callback reaches and no other function of the file calls (open/ioctl handlers). */
export function entryFunctions(ctx: RuleContext): FunctionFact[] {
  const called = new Set<string>();
  for (const fn of ctx.facts.functions) {
    for (const c of fn.calls) called.add(c.callee);
    for (const a of fn.devmActions) called.add(a.fn);
  }
  return nonCallbackFunctions(ctx).filter((f) => !called.has(f.name));
}

/**
 * What a rule could not see of the rest of `fn` from image line `line` on (a probe-failure path after a claim):
 * undefined when every line after it up to the function's end is visible.
 */
export function unseenAfter(ctx: RuleContext, fn: FunctionFact | undefined, line: number, name?: string): string | undefined {
  if (ctx.complete) return undefined;
  if (!fn) return name ? `${name}() is not in the patch` : undefined;
  if (fn.complete) return undefined;
  // A gap hides code only where its lines are not visible (the C layer also marks an unmatched closing brace).
  const gap = fn.program.some((i) => {
    if (i.op !== 'gap' || i.span.endLine < line) return false;
    for (let l = Math.max(i.span.line, line); l <= i.span.endLine; l++) if (!isVisibleLine(ctx.facts, l)) return true;
    return false;
  });
  if (!gap && isVisibleLine(ctx.facts, fn.span.endLine)) return undefined;
  return `part of ${fn.name || 'the function'}() is not in the patch`;
}

/**
 * What a rule could not see of a probe-failure path that starts at `call`. With the failing scenario, the path is
 * judged by what it actually ran: every line from the call to the failing return visible, and any goto target
 * seen. Without it, the rest of the call's function (and of the probe) must be visible.
 */
export function unseenErrorPath(ctx: RuleContext, call: CallFact, probe?: FunctionFact, scenario?: ScenarioResult): string | undefined {
  if (ctx.complete) return undefined;
  const own = call.inFunction ? ctx.functionByName(call.inFunction) : undefined;
  const ret = scenario?.exit?.returnLine;
  if (own && ret !== undefined) {
    const label = scenario?.exit?.lastGoto;
    const inOwn = ret >= own.span.line && ret <= own.span.endLine && ret >= call.span.line;
    if (inOwn) {
      let hidden = false;
      for (let l = call.span.line; l <= ret && !hidden; l++) if (!isVisibleLine(ctx.facts, l)) hidden = true;
      if (label) {
        // The C layer stands in an unseen goto target by a label wrapped in gaps.
        const i = own.labels[label];
        if (i === undefined || own.program[i - 1]?.op === 'gap' || own.program[i + 1]?.op === 'gap') hidden = true;
      }
      return hidden ? `part of ${own.name || 'the function'}() on that path is not in the patch` : undefined;
    }
  }
  const first = unseenAfter(ctx, own, call.span.line);
  if (first) return first;
  if (probe && probe !== own) return unseenAfter(ctx, probe, probe.span.line);
  return undefined;
}

/** The functions that run at unbind: .remove, everything it reaches, and the devm actions registered anywhere. */
export function unbindFunctions(ctx: RuleContext, driver: DriverStructFact): FunctionFact[] {
  const name = removeCallbackName(driver);
  const remove = name ? ctx.functionByName(name) : undefined;
  const out = new Map<string, FunctionFact>();
  if (remove) for (const f of reachableFunctions(ctx, remove)) out.set(f.name, f);
  for (const f of callbackFunctions(ctx, driver).devmActions) for (const r of reachableFunctions(ctx, f)) out.set(r.name, r);
  return [...out.values()];
}

/**
 * Entry points (open/ioctl/bind handlers): what they acquire is meant to outlive a successful call, so only a failing exit
 * that leaves one of `leakKinds` behind is a leak. Reports the first such exit with `messageId` (data: fn, attach,
 * scenario) and returns the acquiring call it reported, if any.
 */
export function reportErrorExitLeak(
  ctx: RuleContext,
  fn: FunctionFact,
  code: string,
  messageId: string,
  acquireNames: readonly string[],
  leakKinds: readonly ViolationKind[],
): CallFact | undefined {
  // Helpers the entry point calls acquire on its paths too (a `*_bind_queue()` doing the bind).
  const acquisitions = callsIn(reachableFunctions(ctx, fn), acquireNames);
  if (acquisitions.length === 0) return undefined;
  const scenarios = functionScenarios(ctx, fn, ['singleton']);
  for (const s of scenarios) {
    if (s.outcome !== 'probe-failed') continue;
    const v = s.violations.find((x) => leakKinds.includes(x.kind));
    if (!v) continue;
    const acquisition = acquisitionOnPath(ctx, s, acquireNames, acquisitions[0]);
    ctx.report({
      messageId,
      data: { fn: fn.name, attach: acquisition.callee, scenario: scenarioLabel(ctx, s) },
      span: acquisition.calleeSpan,
      scenario: s,
      trace: traceOf(s, v),
      unseen: unseenErrorPath(ctx, acquisition, undefined, s),
      key: keyOf(code, fn.name, acquisition.callee, 'error-exit'),
    });
    return acquisition;
  }
  reportBudget(ctx, scenarios, code, fn.name, acquisitions[0]);
  return undefined;
}

/**
 * When the replay of `subject` hit a budget, the paths past it were not all explored: says so at info (as unseen
 * code), on the acquisition the rule was checking, instead of staying silent. Every rule that calls this declares a
 * 'replayBudget' message with {{fn}} and {{budget}}.
 */
export function reportBudget(ctx: RuleContext, scenarios: readonly ScenarioResult[], code: string, subject: string, at: CallFact): void {
  const budget = scenarios.find((s) => s.budget)?.budget;
  if (!budget) return;
  ctx.report({
    messageId: 'replayBudget',
    data: { fn: subject, budget },
    span: at.calleeSpan,
    unseen: `the replay of ${subject}() stopped at ${budget}`,
    key: keyOf(code, subject, 'replay-budget'),
  });
}
