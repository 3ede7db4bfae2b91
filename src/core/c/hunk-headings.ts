/**
 * git's hunk heading (`@@ -40,7 +40,9 @@ static int foo_probe(struct pci_dev *pdev, ...)`) names the function a hunk
 * starts in. A hunk view that starts inside a function does not show its header, so the C facts hold that code as an
 * unnamed fragment; the heading gives it its name back. The one reading of headings: the naming pass after
 * extraction, and the rules that label or gather fragments, use these.
 */
import type { CallFact, CFacts, DmaApiUse, FileDiff, FunctionFact, Hunk, IdentifierFact, MmioUse } from '../types';

export type Image = 'post' | 'pre';

/** The function a heading names (`static int foo(struct bar *b` → foo), or undefined (a struct, a declaration). */
export function headingFunctionName(heading: string | undefined): string | undefined {
  return heading ? /^[\w\s*]*?\b([A-Za-z_]\w*)\s*\([^;]*$/.exec(heading.trim())?.[1] : undefined;
}

/** The hunk of `file` whose post- (or pre-) image range holds image line `line`. */
export function hunkAtLine(file: FileDiff, line: number, image: Image): Hunk | undefined {
  return file.hunks.find((h) => {
    const start = image === 'post' ? h.newStart : h.oldStart;
    const count = image === 'post' ? h.newLines : h.oldLines;
    return line >= start && line < start + Math.max(count, 1);
  });
}

/** True when no other function of the facts starts between the hunk's first line and `fn`: the heading is fn's. */
export function opensHunk(facts: CFacts, fn: FunctionFact, hunk: Hunk, image: Image): boolean {
  const start = image === 'post' ? hunk.newStart : hunk.oldStart;
  return !facts.functions.some((g) => g !== fn && g.span.line >= start && g.span.line < fn.span.line);
}

/** The function the heading of the hunk holding `line` names, if that heading names one. */
export function headingNameAt(file: FileDiff, line: number, image: Image): string | undefined {
  return headingFunctionName(hunkAtLine(file, line, image)?.heading);
}

/** Parameters of a function header seen only in a hunk heading ("static int foo(struct bar *b, int n)"). */
export function paramsFromHeading(heading: string): { name: string; type: string }[] | undefined {
  const m = /\(([^()]*)\)?\s*\{?\s*$/.exec(heading.trim());
  if (!m || !heading.includes('(')) return undefined;
  const inner = heading.slice(heading.indexOf('(') + 1).replace(/\)?\s*\{?\s*$/, '');
  if (inner.trim() === '' || inner.trim() === 'void') return [];
  const out: { name: string; type: string }[] = [];
  for (const part of inner.split(',')) {
    const p = /^(.*?)([A-Za-z_]\w*)\s*(\[[^\]]*\])?\s*$/.exec(part.trim());
    if (!p || p[1].trim() === '') return out.length > 0 ? out : undefined; // cut off (long headings are truncated)
    out.push({ name: p[2], type: p[1].trim() });
  }
  return out;
}

/**
 * Names the unnamed fragments of a hunk view from the headings (so rules and the replay find the callback, e.g. a
 * probe whose first lines are outside the hunk), and gives a function whose header ends one hunk while the next
 * hunk shows a body the name that hunk's heading gives. Renamed functions are marked incomplete.
 * The facts given are not changed (the facts memo shares them): the result is `facts` itself when nothing is renamed,
 * else a copy holding renamed copies of the functions, calls and use records that change, and the rest shared.
 */
export function nameFromHeadings(facts: CFacts, file: FileDiff, image: Image): CFacts {
  let functions: FunctionFact[] | undefined;
  let uses: { dmaApi: DmaApiUse[]; mmio: MmioUse[]; identifiers: IdentifierFact[] } | undefined;
  for (let index = 0; index < facts.functions.length; index++) {
    const current = functions ?? facts.functions;
    const fn = current[index];
    let name: string | undefined;
    if (!fn.name) {
      // The heading names the function the hunk STARTS in: a fragment after another function began is not it.
      const hunk = hunkAtLine(file, fn.span.line, image);
      name = hunk && opensHunk(facts, fn, hunk, image) ? headingFunctionName(hunk.heading) : undefined;
    } else {
      // A header at the end of one hunk glued to the body shown by the next hunk: the body is the heading's function.
      const first = hunkAtLine(file, fn.span.line, image);
      const last = hunkAtLine(file, fn.span.endLine, image);
      if (first && last && first !== last) {
        const h = headingFunctionName(last.heading);
        if (h && h !== fn.name) name = h;
      }
    }
    if (!name || current.some((f) => f.name === name)) continue;
    const old = fn.name;
    const heading = hunkAtLine(file, fn.span.endLine, image)?.heading ?? '';
    const params = paramsFromHeading(heading);
    functions ??= [...facts.functions];
    functions[index] = renamedFunction(fn, old, name, params && (!old || fn.params.length === 0) ? params : fn.params);
    const inside = (line: number): boolean => line >= fn.span.line && line <= fn.span.endLine;
    const rename = <T extends { inFunction?: string; span: { line: number } }>(list: T[]): T[] =>
      list.some((d) => (d.inFunction === undefined || d.inFunction === old) && inside(d.span.line))
        ? list.map((d) => ((d.inFunction === undefined || d.inFunction === old) && inside(d.span.line) ? { ...d, inFunction: name } : d))
        : list;
    const before = uses ?? { dmaApi: facts.dmaApi, mmio: facts.mmio, identifiers: facts.identifiers };
    uses = { dmaApi: rename(before.dmaApi), mmio: rename(before.mmio), identifiers: rename(before.identifiers) };
  }
  if (!functions) return facts;
  return { ...facts, functions, ...uses };
}

/** A copy of `fn` under its heading's name: its calls (in calls, program and devmActions alike) re-attributed. */
function renamedFunction(fn: FunctionFact, old: string, name: string, params: FunctionFact['params']): FunctionFact {
  const renamed = new Map<CallFact, CallFact>();
  for (const c of fn.calls) if (!c.inFunction || c.inFunction === old) renamed.set(c, { ...c, inFunction: name });
  const callOf = (c: CallFact): CallFact => renamed.get(c) ?? c;
  return {
    ...fn,
    name,
    complete: false,
    params,
    calls: fn.calls.map(callOf),
    program: fn.program.map((ins) => (ins.op === 'call' && renamed.has(ins.call) ? { ...ins, call: callOf(ins.call) } : ins)),
    devmActions: fn.devmActions.map((d) => (renamed.has(d.call) ? { ...d, call: callOf(d.call) } : d)),
  };
}
