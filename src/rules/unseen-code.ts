/**
 * What a rule could not see: the notes that lower a finding to info and name the code a patch's hunks do not show
 * (a .remove body, the rest of an error path, the driver's own helpers defined elsewhere).
 */
import type { CallFact, CFacts, DriverStructFact, FunctionFact, ScenarioResult } from '../core/types';
import { removeCallbackName } from '../core/c/call-graph';
import { apiExists } from './api-on-target';
import type { RuleContext } from './types';

/** True when the image line is visible (context or added) in the analysed view. */
function isVisibleLine(facts: CFacts, line: number): boolean {
  return facts.visibleLines.some((r) => line >= r.from && line <= r.to);
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
 * What a rule could not see of the rest of `fn` from image line `line` on (a probe-failure path after a claim):
 * undefined when every line after it up to the function's end is visible.
 */
function unseenAfter(ctx: RuleContext, fn: FunctionFact | undefined, line: number, name?: string): string | undefined {
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
