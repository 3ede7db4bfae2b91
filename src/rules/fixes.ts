/** Quick-fix builders: the text edits a finding proposes (add the flag, insert a line, replace a span). */
import type { DriverStructFact, Fix, ImageSpan } from '../core/types';
import type { RuleContext } from './types';
import { managedDmaFlag } from '../core/sim/vocabulary';

/** The fix "add .driver_managed_dma = true" (spelt as on the target) to a driver struct, if the struct's end is visible. */
export function fixAddManagedDma(ctx: RuleContext, driver: DriverStructFact): Fix {
  const flag = managedDmaFlag(ctx.target);
  const line = flag.inDeviceDriver ? `.driver = { .${flag.field} = true },` : `.${flag.field} = true,`;
  const title = `Add ${line.replace(/,$/, '')} to ${driver.name}`;
  const at = driver.insertBefore;
  if (!at) return { title, edits: [], suggestion: `add \`${line}\` to the initializer of ${driver.name}` };
  return {
    title,
    edits: [{ path: ctx.facts.path, span: { line: at.line, column: 1, endLine: at.line, endColumn: 1 }, newText: `${at.indent}${line}\n` }],
    suggestion: `add \`${line}\` to the initializer of ${driver.name}`,
  };
}

/** A fix that inserts a line of code before image line `line` (e.g. a missing release call). */
export function fixInsertLine(ctx: RuleContext, title: string, line: number, indent: string, code: string): Fix {
  return {
    title,
    edits: [{ path: ctx.facts.path, span: { line, column: 1, endLine: line, endColumn: 1 }, newText: `${indent}${code}\n` }],
    suggestion: code,
  };
}

/** A fix that replaces the text of a span (e.g. a stale identifier). */
export function fixReplace(ctx: RuleContext, title: string, span: ImageSpan, newText: string): Fix {
  return { title, edits: [{ path: ctx.facts.path, span, newText }], suggestion: newText };
}
