/** Finding a call fact's instruction in its function's program. */
import type { CallFact, FunctionFact } from '../types';

/** The program index (pc) of a call fact in its function, or undefined when the program does not hold it. */
export function pcOfCall(fn: FunctionFact, call: CallFact): number | undefined {
  const i = fn.program.findIndex(
    (ins) => ins.op === 'call' && ins.call.calleeSpan.line === call.calleeSpan.line && ins.call.calleeSpan.column === call.calleeSpan.column,
  );
  return i < 0 ? undefined : i;
}
