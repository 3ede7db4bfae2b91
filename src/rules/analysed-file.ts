/**
 * What the rules ask about the file under review itself: driver code or the IOMMU core / bus code, where in the tree
 * it lives, and which calls the patch removes from it.
 */
import type { CallFact, ImageSpan } from '../core/types';
import { callsIn } from '../core/c/call-graph';
import type { RuleContext } from './types';

/** True when driver rules should look at this file. */
export function isDriverCode(ctx: RuleContext): boolean {
  return !ctx.isCoreOrBusCode;
}

/** True when the file lives under `dir` (e.g. 'drivers/vfio/'), whatever prefix the user's path has. */
export function isUnder(ctx: RuleContext, dir: string): boolean {
  const p = ctx.facts.path.replace(/\\/g, '/');
  return p.startsWith(dir) || p.includes(`/${dir}`);
}

/** True when `span` (pre-image coordinates) touches a line the patch removes. */
function isRemoved(ctx: RuleContext, span: ImageSpan): boolean {
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
