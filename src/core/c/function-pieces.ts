/**
 * A function of a patch's hunks can be seen in pieces: the named one plus the unnamed fragments git's hunk heading
 * places in it (a function spanning two hunks shows its header in the first and the rest of its body, unnamed, in
 * the next). A question about the C view and the diff alone.
 */
import type { CFacts, FunctionFact, Patch } from '../types';
import { headingFunctionName, hunkAtLine, opensHunk } from './hunk-headings';

/** Every visible piece of `fn` in the post-image facts of a file of `patch` (just `fn` outside a patch). */
export function functionPieces(facts: CFacts, patch: Patch | undefined, fn: FunctionFact): FunctionFact[] {
  const file = patch?.files.find((f) => f.newPath !== null && facts.path.endsWith(f.newPath));
  if (!file || fn.name === '') return [fn];
  // Only a fragment that opens its hunk continues the heading's function (a later one follows some other header).
  const continues = (f: FunctionFact): boolean => {
    const hunk = hunkAtLine(file, f.span.line, 'post');
    return hunk !== undefined && headingFunctionName(hunk.heading) === fn.name && opensHunk(facts, f, hunk, 'post');
  };
  const rest = facts.functions.filter((f) => f !== fn && f.name === '' && !f.complete && continues(f));
  return [fn, ...rest];
}
