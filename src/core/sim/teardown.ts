/**
 * What code outside the file may release: a function that tears an object down through a call the replay cannot
 * follow (`put_device()` runs the device type's `.release`; `iommufd_object_destroy_user()` runs the object type's
 * destroy op) may run one of the file's callback functions — those no function of the file calls directly, reached
 * through an ops table or an object type. Their releases are then given the benefit of the doubt.
 */
import type { CFacts, FunctionFact } from '../types';

/** The release calls that undo each end-check violation kind. */
export const RELEASES_OF: Record<string, readonly string[]> = {
  'left-owned': ['iommu_group_release_dma_owner', 'iommu_device_release_dma_owner'],
  'leaked-owner-cnt': ['iommu_group_release_dma_owner', 'iommu_device_release_dma_owner', 'iommu_device_unuse_default_domain', 'iommu_device_unuse_dma_api'],
  'left-private-domain': ['iommu_detach_device', 'iommu_detach_group'],
  'use-after-free': ['iommu_detach_device', 'iommu_detach_group'],
  'pasid-leak': ['iommu_detach_device_pasid', 'iommu_sva_unbind_device'],
};

/** Calls outside the file that tear an object down and run its type's callbacks (put_device → .release, ...). */
const OPAQUE_DESTRUCTOR = /(?:^|_)(?:destroy|put|release|free|remove|unregister|unbind|close)(?:_|$)/;

/** The function of the file with that name, preferring the definition with a body. */
export function fnNamed(facts: CFacts, name: string): FunctionFact | undefined {
  return facts.functions.find((f) => f.name === name && f.program.length > 0) ?? facts.functions.find((f) => f.name === name);
}

/** Functions `from` reaches through calls to functions of the file (itself included). */
export function reachable(facts: CFacts, from: FunctionFact): Set<string> {
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

/** Every callee `from` calls, itself or through functions of the file it reaches. */
export function reachableCallees(facts: CFacts, from: FunctionFact): Set<string> {
  const out = new Set<string>();
  for (const name of reachable(facts, from)) for (const c of fnNamed(facts, name)?.calls ?? []) out.add(c.callee);
  return out;
}

/**
 * The calls of the file's callback functions when one of `from` (or a helper of the file they call) tears an object
 * down through code outside the file; empty otherwise. `registeredOnly`: only callbacks the file registers in an ops
 * table or object type (`.release = foo_release`), not any function nothing in the file calls (an exported one).
 * `exclude`: functions that cannot be the destructor (the acquiring entry point and what it reaches: its own error
 * unwind releases nothing its success left held).
 */
export function destructorCallbackReleases(facts: CFacts, from: readonly string[], registeredOnly = false, exclude?: ReadonlySet<string>): Set<string> {
  const out = new Set<string>();
  const defined = new Set(facts.functions.filter((f) => f.program.length > 0).map((f) => f.name));
  const opaque = from.some((name) => {
    const fn = fnNamed(facts, name);
    if (!fn) return false;
    return [...reachableCallees(facts, fn)].some((c) => !defined.has(c) && OPAQUE_DESTRUCTOR.test(c) && !/^iommu_/.test(c));
  });
  if (!opaque) return out;
  const called = new Set(facts.functions.flatMap((f) => f.calls.map((c) => c.callee)));
  const own = new Set(from);
  const registered = new Set((facts.opsStructs ?? []).flatMap((t) => Object.values(t.callbacks)));
  for (const f of facts.functions) {
    if (called.has(f.name) || own.has(f.name) || exclude?.has(f.name) || f.program.length === 0) continue;
    if (registeredOnly && !registered.has(f.name)) continue;
    for (const c of reachableCallees(facts, f)) out.add(c);
  }
  return out;
}
