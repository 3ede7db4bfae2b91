/**
 * What code outside the file may release: a function that tears an object down through a call the replay cannot
 * follow (`put_device()` runs the device type's `.release`; `iommufd_object_destroy_user()` runs the object type's
 * destroy op) may run one of the file's callback functions — those no function of the file calls directly, reached
 * through an ops table or an object type. Their releases are then given the benefit of the doubt — on the paths that
 * made such a call (Path.teardowns), made by the function itself or through helpers of the file that are teardowns
 * by name (`foo_put()` → `put_device()`): a `put_task_struct()` deep in an unmap helper puts a task, not an object
 * whose type the file gives callbacks.
 */
import type { CFacts, FunctionFact } from '../types';
import { functionsWithBodyReached } from '../c/call-graph';
import { DETACH_CALLS, PASID_DETACH_CALLS, RELEASE_CALLS, UNUSE_CALLS_ANY_ERA } from './vocabulary';

/** The release calls that undo each end-check violation kind. */
export const RELEASES_OF: Record<string, readonly string[]> = {
  'left-owned': RELEASE_CALLS,
  'leaked-owner-cnt': [...RELEASE_CALLS, ...UNUSE_CALLS_ANY_ERA],
  'left-private-domain': DETACH_CALLS,
  'use-after-free': DETACH_CALLS,
  'pasid-leak': PASID_DETACH_CALLS,
};

/** Every API that releases something a leak check counts (the union of RELEASES_OF). */
export const RELEASE_APIS: ReadonlySet<string> = new Set(Object.values(RELEASES_OF).flat());

/** Calls outside the file that tear an object down and run its type's callbacks (put_device → .release, ...). */
const OPAQUE_DESTRUCTOR = /(?:^|_)(?:destroy|put|release|free|remove|unregister|unbind|close)(?:_|$)/;

/** A call the replay cannot follow that may tear an object down (and run one of the file's callbacks). */
export function isOpaqueTeardown(callee: string, defined: (name: string) => boolean): boolean {
  return !defined(callee) && OPAQUE_DESTRUCTOR.test(callee) && !/^iommu_/.test(callee);
}

/** A helper of the file through which a teardown is still the caller's own (its name says it tears down). */
export function isTeardownHelper(name: string): boolean {
  return OPAQUE_DESTRUCTOR.test(name);
}

/** The function of the file with that name, preferring the definition with a body. */
export function fnNamed(facts: CFacts, name: string): FunctionFact | undefined {
  return facts.functions.find((f) => f.name === name && f.program.length > 0) ?? facts.functions.find((f) => f.name === name);
}

/** Every callee `from` calls, itself or through functions of the file it reaches. */
export function reachableCallees(facts: CFacts, from: FunctionFact): Set<string> {
  const out = new Set<string>();
  for (const name of functionsWithBodyReached(facts, from)) for (const c of fnNamed(facts, name)?.calls ?? []) out.add(c.callee);
  return out;
}

/**
 * The calls of the file's callback functions when one of `from` (itself or through its teardown helpers) tears an
 * object down through code outside the file; empty otherwise. Callers apply them to the paths that made that call.
 * A callback an object's teardown can run is one nothing in the file calls that is a teardown itself: registered in
 * an ops table or object type under a teardown field (`.release = foo_release`), or named as one
 * (`foo_obj_destroy`, used by another file's type table). `registeredOnly`: the registered ones only.
 * An uncalled function that is no teardown (an exported `foo_attach_group()`) is not run by a put.
 * `exclude`: functions that cannot be the destructor (the acquiring entry point and what it reaches: its own error
 * unwind releases nothing its success left held).
 */
export function destructorCallbackReleases(facts: CFacts, from: readonly string[], registeredOnly = false, exclude?: ReadonlySet<string>): Set<string> {
  const out = new Set<string>();
  const opaque = from.some((name) => {
    const fn = fnNamed(facts, name);
    return !!fn && teardownCalls(facts, fn).length > 0;
  });
  if (!opaque) return out;
  const called = new Set(facts.functions.flatMap((f) => f.calls.map((c) => c.callee)));
  const own = new Set(from);
  const registered = new Set<string>();
  for (const t of facts.opsStructs ?? []) {
    for (const [field, fn] of Object.entries(t.callbacks)) if (TEARDOWN_FIELD.test(field) || isTeardownHelper(fn)) registered.add(fn);
  }
  for (const f of facts.functions) {
    if (called.has(f.name) || own.has(f.name) || exclude?.has(f.name) || f.program.length === 0) continue;
    if (!registered.has(f.name) && (registeredOnly || !isTeardownHelper(f.name))) continue;
    for (const c of reachableCallees(facts, f)) out.add(c);
  }
  return out;
}

/** Fields of an ops table or object type that run when its object goes away. */
const TEARDOWN_FIELD = /(?:^|_)(?:release|remove|detach|destroy|dtor|free|put|close|exit|cleanup|unbind|disable|stop|deinit|fini|teardown|unregister)$/;

/** The opaque teardown calls `from` makes itself or through helpers of the file that are teardowns by name. */
export function teardownCalls(facts: CFacts, from: FunctionFact): string[] {
  const defined = (n: string) => facts.functions.some((f) => f.name === n && f.program.length > 0);
  const out = new Set<string>();
  const seen = new Set<string>([from.name]);
  const work = [from];
  while (work.length) {
    const f = work.pop() as FunctionFact;
    for (const c of f.calls) {
      if (isOpaqueTeardown(c.callee, defined)) out.add(c.callee);
      const g = seen.has(c.callee) || !isTeardownHelper(c.callee) ? undefined : fnNamed(facts, c.callee);
      if (g && g.program.length > 0) {
        seen.add(g.name);
        work.push(g);
      }
    }
  }
  return [...out];
}
