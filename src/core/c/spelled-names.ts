/**
 * Whether code spells an identifier: in some text, or anywhere a function's flattened program keeps source text (a
 * condition, a call argument, an assignment, a return). Spelling only, never meaning: for rules about the shape of
 * code (a bus whose callbacks read a struct field), not for what the code does.
 */
import type { FunctionFact, Instr } from '../types';

/** A word-boundary test for a C identifier inside some text. */
export function mentionsIdentifier(text: string, name: string): boolean {
  return new RegExp(`(^|[^A-Za-z0-9_])${name}($|[^A-Za-z0-9_])`).test(text);
}

/** The source texts an instruction spells out (its raw text, never its meaning). */
function spelledTexts(instr: Instr): string[] {
  const raw = (x: unknown): string => JSON.stringify(x);
  switch (instr.op) {
    case 'branch': return [raw(instr.cond)];
    case 'call': return instr.call.args.map((a) => a.text);
    case 'assign': return [instr.target, raw(instr.value)];
    case 'return': return instr.value ? [raw(instr.value)] : [];
    default: return [];
  }
}

/** Does the function's code spell `name` (in a condition, argument, assignment or return)? */
export function functionSpells(fn: FunctionFact, name: string): boolean {
  return fn.program.some((instr) => spelledTexts(instr).some((t) => mentionsIdentifier(t, name)));
}
