/**
 * What the analysis did not review in a file because a limit stopped it, as problem messages: nothing is cut off
 * silently (issue 15). The limits are counts, not clocks, so a result does not depend on the machine or on the
 * thread that computed it — except the parse timeout, which is reported for what it is.
 */
import type { CFacts } from './types';

export function limitProblems(facts: CFacts | undefined): string[] {
  if (!facts) return [];
  const out: string[] = [];
  if (facts.parse.timedOut) out.push(`${facts.path}: the C parser gave up (time limit) on this ${facts.parse.bytes}-byte view: not reviewed`);
  const large = facts.parse.tooLarge;
  if (large) out.push(`${facts.path}: ${large.codeBytes} bytes of code, over the budget of ${large.limit} per file: not reviewed`);
  for (const fn of facts.parse.tooDeep ?? []) {
    out.push(`${facts.path}: ${fn.name}() at line ${fn.line} nests deeper than the limit of ${fn.limit} syntax levels: not replayed (calls to it are unknown)`);
  }
  for (const fn of facts.parse.tooManyCalls ?? []) {
    out.push(`${facts.path}: ${fn.name}() at line ${fn.line} makes ${fn.calls} IOMMU/VFIO API calls, over the budget of ${fn.limit} per function: not replayed (calls to it are unknown)`);
  }
  return out;
}
