/**
 * The file's call graph, as its C facts show it: the calls to some names, the functions one function reaches through
 * direct calls and devm actions, what a driver struct's callbacks reach, what runs at unbind, and the entry points
 * nothing in the file calls. Questions about the facts alone (no kernel behaviour): rules and the simulation ask them.
 */
import type { CallFact, CFacts, DriverStructFact, FunctionFact } from '../types';

function nameSet(names: string | Iterable<string>): Set<string> {
  return new Set(typeof names === 'string' ? [names] : names);
}

/** Every call (in any function of the facts) to one of `names`, in source order. */
export function callsTo(facts: CFacts, names: string | Iterable<string>): CallFact[] {
  return callsIn(facts.functions, names);
}

/** Calls to `names` inside the given functions only. */
export function callsIn(fns: readonly FunctionFact[], names: string | Iterable<string>): CallFact[] {
  const wanted = nameSet(names);
  const out: CallFact[] = [];
  for (const fn of fns) for (const c of fn.calls) if (wanted.has(c.callee)) out.push(c);
  return out;
}

function fnByName(facts: CFacts, name: string): FunctionFact | undefined {
  return facts.functions.find((f) => f.name === name);
}

/** The name of the function a call sits in (also for fragments whose name comes from the hunk heading). */
export function functionNameOf(facts: CFacts, call: CallFact): string {
  return call.inFunction || facts.functions.find((f) => f.calls.includes(call))?.name || '(unnamed)';
}

/**
 * Functions reachable from `fromFn` through direct calls to functions defined in this file (intra-file call graph),
 * including `fromFn` itself and devm action functions registered on the way. Order: breadth-first.
 */
export function reachableFunctions(facts: CFacts, fromFn: string | FunctionFact): FunctionFact[] {
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

/**
 * The names of `from` and of the functions of the file with a body that it calls, directly or through each other
 * (the replay's view: devm actions are not calls, they run at unbind).
 */
export function functionsWithBodyReached(facts: CFacts, from: FunctionFact): Set<string> {
  const seen = new Set<string>([from.name]);
  const work = [from];
  while (work.length) {
    const f = work.pop() as FunctionFact;
    for (const c of f.calls) {
      if (seen.has(c.callee)) continue;
      const g = facts.functions.find((x) => x.name === c.callee && x.program.length > 0);
      if (g) {
        seen.add(g.name);
        work.push(g);
      }
    }
  }
  return seen;
}

/** The calls to `names` in `fn` and every function of the file it reaches. */
export function reaches(facts: CFacts, fn: FunctionFact, names: readonly string[]): CallFact[] {
  return callsIn(reachableFunctions(facts, fn), names);
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
export function callbackFunctions(facts: CFacts, driver: DriverStructFact): CallbackSet {
  const byField: Record<string, FunctionFact> = {};
  const missing: { field: string; fn: string }[] = [];
  const all = new Map<string, FunctionFact>();
  for (const [field, fnName] of Object.entries(driver.callbacks)) {
    const fn = fnByName(facts, fnName);
    if (!fn) {
      missing.push({ field, fn: fnName });
      continue;
    }
    byField[field] = fn;
    for (const r of reachableFunctions(facts, fn)) all.set(r.name, r);
  }
  const devmNames = new Set<string>();
  for (const fn of all.values()) for (const a of fn.devmActions) devmNames.add(a.fn);
  const devmActions = [...devmNames].map((n) => fnByName(facts, n)).filter((f): f is FunctionFact => f !== undefined);
  const functions = [...all.values()];
  return { byField, functions, devmActions, missing, incomplete: functions.filter((f) => !f.complete) };
}

/** The driver structs whose callbacks reach `fnName`. */
export function driversReaching(facts: CFacts, fnName: string): DriverStructFact[] {
  return facts.drivers.filter((d) => callbackFunctions(facts, d).functions.some((f) => f.name === fnName));
}

/** Entry points: functions no driver callback reaches and no other function of the file calls (open/ioctl handlers). */
export function entryFunctions(facts: CFacts): FunctionFact[] {
  const reached = new Set<string>();
  for (const d of facts.drivers) for (const f of callbackFunctions(facts, d).functions) reached.add(f.name);
  const called = new Set<string>();
  for (const fn of facts.functions) {
    for (const c of fn.calls) called.add(c.callee);
    for (const a of fn.devmActions) called.add(a.fn);
  }
  return facts.functions.filter((f) => !reached.has(f.name) && !called.has(f.name));
}

/** Functions of the file with a body that no other function of it calls and that reach a call of `names`. */
export function uncalledFunctionsReaching(facts: CFacts, names: readonly string[]): FunctionFact[] {
  const called = new Set(facts.functions.flatMap((f) => f.calls.map((c) => c.callee)));
  return facts.functions.filter((fn) => fn.program.length > 0 && !called.has(fn.name)
    && reachableFunctions(facts, fn).some((r) => r.calls.some((c) => names.includes(c.callee))));
}

/** The .remove-like callback name of a driver struct ('remove', 'remove_new'), if wired up. */
export function removeCallbackName(driver: DriverStructFact): string | undefined {
  return driver.callbacks.remove ?? driver.callbacks.remove_new;
}

/** The functions that run at unbind: .remove, everything it reaches, and the devm actions registered anywhere. */
export function unbindFunctions(facts: CFacts, driver: DriverStructFact): FunctionFact[] {
  const name = removeCallbackName(driver);
  const remove = name ? fnByName(facts, name) : undefined;
  const out = new Map<string, FunctionFact>();
  if (remove) for (const f of reachableFunctions(facts, remove)) out.set(f.name, f);
  for (const f of callbackFunctions(facts, driver).devmActions) for (const r of reachableFunctions(facts, f)) out.set(r.name, r);
  return [...out.values()];
}
