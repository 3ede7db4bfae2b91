/**
 * The ownership calls the rules name (claims, releases), whether a name exists on the target, and the
 * function a call sits in. The kernel behaviour itself stays in the simulation.
 */
import type { CallFact } from '../core/types';
import type { RuleContext } from './types';
import { apiExists } from './util';

export { CLAIM_CALLS, RELEASE_CALLS } from '../core/sim/vocabulary';

/** False only when the simulation knows the name and says it does not exist on the target. */
export function existsOn(ctx: RuleContext, name: string, arity?: number): boolean {
  return apiExists(name, ctx.target, arity) !== false;
}

/** The name of the function a call sits in (also for fragments whose name comes from the hunk heading). */
export function fnNameOf(ctx: RuleContext, call: CallFact): string {
  return call.inFunction || ctx.facts.functions.find((f) => f.calls.includes(call))?.name || '(unnamed)';
}
