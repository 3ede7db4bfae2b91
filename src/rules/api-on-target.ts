/**
 * Whether a kernel API name exists on the review's target, and what replaces a stale one: the simulation's API
 * catalogue (sim/profiles.ts lookupApi), asked without letting an unknown name throw.
 */
import type { KernelTarget } from '../core/types';
import { lookupApi } from '../core/sim';
import type { RuleContext } from './types';

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

/** False only when the simulation knows the name and says it does not exist on the review's target. */
export function existsOn(ctx: RuleContext, name: string, arity?: number): boolean {
  return apiExists(name, ctx.target, arity) !== false;
}
