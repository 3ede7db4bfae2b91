/**
 * Removed lines as evidence, unseen code as explicit unknowns (hunk-only reviews).
 *
 * A hunk shows part of a function; what it does not show is the same before and after the patch. So the pre-image
 * (context and `-` lines) and the post-image (context and `+` lines) are replayed in the same *world*: one choice for
 * each unseen piece (the code before an error label acquired what the removed line released, or not; the driver
 * struct's probe registers a VFIO device, or not; the bus's configure hook takes the default-domain count, or not).
 * A violation the post-image's replay has and the pre-image's lacks is what the patch introduces in that world.
 *
 * The pre-image is evidence too: worlds in which the code before the patch already breaks the rules on every path
 * are dropped when some world keeps it working. A problem introduced in every remaining world gets the rule's
 * severity; in only some, it is `info` naming the unseen piece and the condition.
 *
 * Pure: CFacts in, reports out; the replay (src/core/sim) decides every verdict.
 */
import type {
  CallFact, CFacts, DriverStructFact, FileDiff, FunctionFact, ImageSpan, Instr, KernelTarget, ScenarioResult, TraceStep, Violation, ViolationKind,
} from './types';
import { simulateDriver, simulateFunction, lookupApi } from './sim';
import { flagValueTrue } from './sim/vocabulary';

export interface EvidenceReport {
  code: string;
  message: string;
  /** Where the evidence is: the removed line (pre-image) or an added one (post-image). */
  span: ImageSpan;
  image: 'pre' | 'post';
  scenario?: ScenarioResult;
  trace?: TraceStep[];
  /** Set when only some worlds show the problem: names the unseen piece and the condition. */
  unseen?: string;
  key: string;
}

export interface EvidenceInput {
  target: KernelTarget;
  pre: CFacts;
  post: CFacts;
  file: FileDiff;
  path: string;
}

/** Release → the acquisition it undoes (the unseen code before it must have done that for the pre-image to work). */
const ACQUIRE_OF: Record<string, { callee: string; args: (release: string[]) => string[]; assign?: (release: string[]) => string }> = {
  iommu_detach_device: { callee: 'iommu_attach_device', args: (a) => a },
  iommu_detach_group: { callee: 'iommu_attach_group', args: (a) => a },
  iommu_group_release_dma_owner: { callee: 'iommu_group_claim_dma_owner', args: (a) => [a[0] ?? 'group', a[1] ?? 'owner'] },
  iommu_device_release_dma_owner: { callee: 'iommu_device_claim_dma_owner', args: (a) => [a[0] ?? 'dev', a[1] ?? 'owner'] },
  iommu_device_unuse_default_domain: { callee: 'iommu_device_use_default_domain', args: (a) => a },
  iommu_detach_device_pasid: { callee: 'iommu_attach_device_pasid', args: (a) => a },
  iommu_sva_unbind_device: { callee: 'iommu_sva_bind_device', args: () => ['dev', 'current->mm'], assign: (a) => a[0] ?? 'handle' },
};

/** The rule whose business a violation is, by kind first, then by the API involved. */
function ruleFor(kind: ViolationKind, api: string | undefined, removed?: string): string {
  const name = api ?? removed ?? '';
  if (kind === 'leaked-owner-cnt' || /default_domain/.test(name)) return 'OWN010';
  if (kind === 'pasid-leak' || /pasid|sva/.test(name)) return 'OWN019';
  if (kind === 'left-owned' || /dma_owner/.test(name)) return 'OWN005';
  if (kind === 'claim-failed') return 'OWN001';
  if (kind === 'left-private-domain' || kind === 'use-after-free' || kind === 'bad-detach' || /attach|detach/.test(name)) return 'OWN013';
  return removed ? ruleFor(kind, removed) : 'OWN013';
}

/** The rule a removed release call belongs to. */
function ruleOfRemoved(callee: string): string {
  if (/default_domain/.test(callee)) return 'OWN010';
  if (/pasid|sva/.test(callee)) return 'OWN019';
  if (/dma_owner/.test(callee)) return 'OWN005';
  return 'OWN013';
}

// ───────────────────────────── lattice of violations ─────────────────────────────

type Level = 0 | 1 | 2; // never, on some paths, on every path

/**
 * What a violation is, for comparing the images: its kind and the family of the API (the rule it belongs to), so a
 * patch that swaps one release for its sibling (`iommu_group_release_dma_owner` for `iommu_device_release_dma_owner`)
 * is not credited with a WARN both images hit.
 */
function signature(v: Violation): string {
  return `${v.kind}\u0000${v.api ? ruleOfRemoved(v.api) : ''}`;
}

/** Scenarios keyed by what they did (which exit, in post-image lines), not by their path number. */
type LineMapper = (line: number) => number;

function scenarioKey(s: ScenarioResult, map: LineMapper): string {
  return s.name.replace(/\s*\(path \d+\)/g, '').replace(/\bat line (\d+)/g, (_, n: string) => `at line ${map(Number(n))}`);
}

function levels(scenarios: readonly ScenarioResult[], map: LineMapper): Map<string, { level: Level; scenario: ScenarioResult; violation: Violation }> {
  const byKey = new Map<string, ScenarioResult[]>();
  for (const s of scenarios) {
    const k = scenarioKey(s, map);
    byKey.set(k, [...(byKey.get(k) ?? []), s]);
  }
  const out = new Map<string, { level: Level; scenario: ScenarioResult; violation: Violation }>();
  for (const [key, group] of byKey) {
    const count = new Map<string, { n: number; scenario: ScenarioResult; violation: Violation }>();
    for (const s of group) {
      const seen = new Set<string>();
      for (const v of s.violations) {
        const k = signature(v);
        if (seen.has(k)) continue;
        seen.add(k);
        const c = count.get(k);
        if (c) c.n++;
        else count.set(k, { n: 1, scenario: s, violation: v });
      }
    }
    for (const [k, c] of count) out.set(`${key}\u0001${k}`, { level: c.n >= group.length ? 2 : 1, scenario: c.scenario, violation: c.violation });
  }
  return out;
}

interface WorldOutcome {
  /** What this world assumes about the unseen code, in words. */
  assumption: string;
  pre: ScenarioResult[];
  post: ScenarioResult[];
}

interface Introduced {
  violation: Violation;
  scenario: ScenarioResult;
  worlds: string[];
}

/**
 * Violations the post-image adds (or makes certain) over the pre-image, per world; worlds where the pre-image fails on
 * every path are dropped when another keeps it working. `all` tells whether every remaining world shows it.
 */
function compareWorlds(worlds: readonly WorldOutcome[], preToPost: LineMapper = (l) => l, filter = true): { introduced: Introduced[]; plausible: number } {
  const judged = worlds.map((w) => ({ w, pre: levels(w.pre, preToPost), post: levels(w.post, (l) => l) }));
  const plausible = judged.filter((j) => [...j.pre.values()].every((x) => x.level < 2) && j.pre.size === 0);
  const kept = plausible.length > 0 ? plausible : judged.filter((j) => [...j.pre.values()].every((x) => x.level < 2));
  const use = !filter ? judged : kept.length > 0 ? kept : judged;
  const byKey = new Map<string, Introduced>();
  for (const j of use) {
    for (const [k, p] of j.post) {
      const before = j.pre.get(k)?.level ?? 0;
      if (p.level <= before) continue;
      const sig = k.slice(k.indexOf('\u0001') + 1);
      const hit = byKey.get(sig) ?? { violation: p.violation, scenario: p.scenario, worlds: [] };
      if (hit.worlds.includes(j.w.assumption)) continue;
      hit.worlds.push(j.w.assumption);
      byKey.set(sig, hit);
    }
  }
  return { introduced: [...byKey.values()], plausible: use.length };
}

// ───────────────────────────── building worlds ─────────────────────────────

function point(span: ImageSpan): ImageSpan {
  return { line: span.line, column: span.column, endLine: span.line, endColumn: span.column };
}

function synthCall(callee: string, args: string[], at: ImageSpan, inFunction: string, assignedTo?: string): CallFact {
  return {
    callee,
    args: args.map((text) => ({ text, span: point(at) })),
    span: point(at),
    calleeSpan: point(at),
    inFunction,
    resultUse: assignedTo ? 'assigned' : 'tested',
    ...(assignedTo ? { assignedTo } : {}),
    added: false,
    inErrorRegion: false,
  };
}

function synthFunction(name: string, at: ImageSpan, program: Instr[], params: FunctionFact['params'] = []): FunctionFact {
  const calls = program.flatMap((i) => (i.op === 'call' ? [i.call] : []));
  const labels: Record<string, number> = {};
  program.forEach((i, k) => {
    if (i.op === 'label') labels[i.name] = k;
  });
  return {
    name, nameSpan: point(at), span: point(at), isStatic: true, params, returnType: 'int', complete: true,
    calls, program, devmActions: [], labels, addedLines: [],
  };
}

/** `program` moved down by `by` instructions (branch and jump targets follow). */
function shifted(program: readonly Instr[], by: number): Instr[] {
  return program.map((i) => (i.op === 'branch' || i.op === 'jump' ? { ...i, target: i.target + by } : i));
}

/**
 * A `return` right after unseen code may sit under an `if` the hunk does not show (`if (!o->dom)` above the hunk,
 * `return;` in it): the unseen code becomes an unknown condition that skips the return or not.
 */
function guardUnseenReturns(program: readonly Instr[]): Instr[] {
  return program.map((ins, k) => {
    const next = program[k + 1];
    return ins.op === 'gap' && next?.op === 'return'
      ? { op: 'branch' as const, cond: { kind: 'unknown' as const, text: 'code not shown' }, target: k + 2, span: ins.span }
      : ins;
  });
}

/** A copy of `fn` renamed, with `prefix` run first and `suffix` appended; labels re-indexed. */
function wrapped(fn: FunctionFact, name: string, prefix: Instr[], suffix: Instr[]): FunctionFact {
  const program = [...prefix, ...shifted(guardUnseenReturns(fn.program), prefix.length), ...suffix];
  const labels: Record<string, number> = {};
  for (const [l, i] of Object.entries(fn.labels)) labels[l] = i + prefix.length;
  program.forEach((i, k) => {
    if (i.op === 'label' && labels[i.name] === undefined) labels[i.name] = k;
  });
  return { ...fn, name, program, labels, calls: program.flatMap((i) => (i.op === 'call' ? [{ ...i.call, inFunction: name }] : [])) };
}

const ERRNO_EIO = -5;
/** Variables an error path usually returns: the world sets them to an error before jumping to the label. */
const RET_NAMES = ['ret', 'err', 'rc', 'error', 'status', 'rv', 'retval'];

function failingEntry(at: ImageSpan): Instr[] {
  return RET_NAMES.map((target) => ({ op: 'assign' as const, target, value: { kind: 'int' as const, value: ERRNO_EIO }, span: point(at) }));
}

function acquisitionFor(call: CallFact, target: KernelTarget, fnName: string): CallFact | undefined {
  const a = ACQUIRE_OF[call.callee];
  if (!a) return undefined;
  const args = a.args(call.args.map((x) => x.text));
  let use = args;
  // The attach of a PASID takes a fourth argument on kernels with attach handles: pick the arity the target has.
  if (a.callee === 'iommu_attach_device_pasid') {
    const four = lookupApi(a.callee, target, 4)?.exists;
    use = four ? [...args.slice(0, 3), 'NULL'] : args.slice(0, 3);
  }
  return synthCall(a.callee, use, call.span, fnName, a.assign?.(call.args.map((x) => x.text)));
}

function withFunctions(facts: CFacts, fns: FunctionFact[], drivers?: DriverStructFact[]): CFacts {
  const names = new Set(fns.map((f) => f.name));
  return { ...facts, functions: [...fns, ...facts.functions.filter((f) => !names.has(f.name))], ...(drivers ? { drivers } : {}) };
}

function worldDriver(name: string, probe: string, remove: string | undefined, managed: boolean, at: ImageSpan, bus: DriverStructFact['bus'] = 'platform'): DriverStructFact {
  return {
    name, structType: `${bus}_driver`, bus, nameSpan: point(at), span: point(at), insertBefore: null, fields: [], complete: true,
    managedDma: managed ? { state: 'present', spelling: 'driver_managed_dma', value: 'true' } : { state: 'absent' },
    callbacks: remove ? { probe, remove } : { probe }, addedLines: [],
  };
}

function safe<T>(f: () => T[]): T[] {
  try {
    return f();
  } catch {
    return [];
  }
}

// ───────────────────────────── hunk geometry ─────────────────────────────

/** The post-image function that shows the same hunk as the pre-image function `fn` (by name, else by position). */
function counterpart(input: EvidenceInput, fn: FunctionFact, preLine: number): FunctionFact | undefined {
  if (fn.name) {
    const same = input.post.functions.find((f) => f.name === fn.name);
    if (same) return same;
  }
  const hunk = input.file.hunks.find((h) => preLine >= h.oldStart && preLine < h.oldStart + Math.max(1, h.oldLines));
  if (!hunk) return undefined;
  const from = hunk.newStart;
  const to = hunk.newStart + Math.max(1, hunk.newLines) - 1;
  const delta = fn.span.line - hunk.oldStart;
  return input.post.functions
    .filter((f) => f.span.line <= to && f.span.endLine >= from && (fn.name === '' || f.name === '' || f.name === fn.name))
    .sort((a, b) => Math.abs(a.span.line - (from + delta)) - Math.abs(b.span.line - (from + delta)))[0];
}

/**
 * The post-image of a function the post-image's facts lack (a fragment whose header is outside the hunk and whose
 * remaining lines hold no call): the pre-image's program without the instructions on removed lines.
 */
function withoutRemoved(fn: FunctionFact, removed: ReadonlySet<number>): FunctionFact {
  const lineOf = (i: Instr): number | undefined => (i.op === 'call' ? i.call.span.line : i.op === 'jump' ? i.span?.line : i.span.line);
  const keep: number[] = [];
  const newIndex: number[] = [];
  fn.program.forEach((i, k) => {
    newIndex[k] = keep.length;
    const l = lineOf(i);
    if (l === undefined || !removed.has(l) || i.op === 'label') keep.push(k);
  });
  newIndex[fn.program.length] = keep.length;
  const program = keep.map((k) => {
    const i = fn.program[k];
    return i.op === 'branch' || i.op === 'jump' ? { ...i, target: newIndex[Math.min(i.target, fn.program.length)] } : i;
  });
  const labels: Record<string, number> = {};
  for (const [l, k] of Object.entries(fn.labels)) labels[l] = newIndex[k];
  return { ...fn, program, labels, calls: fn.calls.filter((c) => !removed.has(c.span.line)) };
}

/** Pre-image line → post-image line (context lines exactly; elsewhere by the offset of the nearest hunk above). */
function preToPostLines(file: FileDiff): LineMapper {
  const exact = new Map<number, number>();
  const offsets: { from: number; delta: number }[] = [];
  for (const h of file.hunks) {
    for (const l of h.lines) if (l.kind === 'context' && l.oldLine !== undefined && l.newLine !== undefined) exact.set(l.oldLine, l.newLine);
    offsets.push({ from: h.oldStart + h.oldLines, delta: h.newStart + h.newLines - (h.oldStart + h.oldLines) });
  }
  return (line) => {
    const hit = exact.get(line);
    if (hit !== undefined) return hit;
    let delta = 0;
    for (const o of offsets) if (line >= o.from) delta = o.delta;
    return line + delta;
  };
}

function removedLines(input: EvidenceInput): Set<number> {
  return new Set(input.pre.addedLines);
}

/** Calls of helpers the patch adds that are neither in the file nor known to the replay: they may do the undo. */
function addedUnknownHelpers(input: EvidenceInput, fn: FunctionFact | undefined): string[] {
  if (!fn) return [];
  const added = new Set(input.post.addedLines);
  const out = new Set<string>();
  for (const c of fn.calls) {
    if (!added.has(c.span.line)) continue;
    if (input.post.functions.some((f) => f.name === c.callee)) continue;
    if (lookupApi(c.callee, input.target) !== undefined) continue;
    if (/^(dev_|pr_|WARN|BUG|kfree|kzalloc|kmalloc|mutex_|spin_|memset|memcpy|devm_kzalloc)/.test(c.callee)) continue;
    out.add(c.callee);
  }
  return [...out];
}

// ───────────────────────────── case 1: a removed release/unuse/detach/unbind ─────────────────────────────

type Role = 'hook' | 'error-path' | 'remove';

function failingReturn(ins: Instr): boolean {
  if (ins.op !== 'return' || !ins.value) return false;
  const v = ins.value;
  return (v.kind === 'int' && v.value < 0) || v.kind === 'errno' || v.kind === 'errPtr' || v.kind === 'ptrErr' || (v.kind === 'var' && RET_NAMES.includes(v.name));
}

function roleOf(input: EvidenceInput, fn: FunctionFact, callIndex: number): Role {
  if (/_dma_(cleanup|unconfigure)$/.test(fn.name) || input.pre.busTypes.some((b) => b.dmaCleanup === fn.name || b.dmaUnconfigure === fn.name)) return 'hook';
  if (fn.program.slice(0, callIndex).some((i) => i.op === 'label')) return 'error-path';
  // An undo followed by a failing return (`release(x); return -ENODEV;`) is an error exit too.
  for (const ins of fn.program.slice(callIndex + 1)) {
    if (ins.op === 'label' || ins.op === 'branch' || ins.op === 'jump') break;
    if (ins.op === 'return') return failingReturn(ins) ? 'error-path' : 'remove';
  }
  return 'remove';
}

function labelBefore(fn: FunctionFact, callIndex: number): string | undefined {
  for (let i = callIndex - 1; i >= 0; i--) {
    const ins = fn.program[i];
    if (ins.op === 'label') return ins.name;
  }
  return undefined;
}

/** Replays one image of the function in the world where the unseen code before it did `acquire`. */
function replayRemoval(input: EvidenceInput, facts: CFacts, fn: FunctionFact, role: Role, acquire: CallFact | undefined, label: string | undefined, managed: boolean): ScenarioResult[] {
  if (role === 'hook') {
    return safe(() => simulateFunction({ target: input.target, fn, facts, topology: 'singleton', role: { kind: 'dma_cleanup', driverManagedDma: false } }));
  }
  const at = fn.span;
  const acquired: Instr[] = acquire ? [{ op: 'call', call: acquire, ...(acquire.assignedTo ? { assignTo: acquire.assignedTo } : {}) }] : [];
  if (role === 'error-path') {
    // The function on its own: the unseen acquisition, a failure after it, and the fragment's unwinding (from the
    // label on, when the undo sits under one). A failing call must leave the group as it found it.
    const labelAt = label !== undefined ? fn.labels[label] : undefined;
    const prefix: Instr[] = [...acquired, ...failingEntry(at)];
    const jump: Instr[] = labelAt !== undefined ? [{ op: 'jump', target: labelAt + prefix.length + 1 }] : [];
    const world = wrapped(fn, fn.name || 'function (start not shown)', [...prefix, ...jump], [{ op: 'return', value: { kind: 'var', name: 'ret' }, span: point(fn.span) }]);
    return safe(() => simulateFunction({ target: input.target, fn: world, facts: withFunctions(facts, [world]), topology: 'singleton' })).filter((sc) => sc.outcome !== 'ok');
  }
  // remove: probe (not shown) acquired it; this function is the remove callback. The unseen probe is assumed correct:
  // a failing claim, use or attach fails the probe (its errno is the probe's result), so remove never runs after it.
  const probeBody: Instr[] = acquire && !acquire.assignedTo
    ? [{ op: 'call', call: { ...acquire, assignedTo: 'ret', resultUse: 'assigned' }, assignTo: 'ret' }, { op: 'return', value: { kind: 'var', name: 'ret' }, span: point(at) }]
    : [...acquired, { op: 'return', value: { kind: 'int', value: 0 }, span: point(at) }];
  const probe = synthFunction('probe (not shown)', at, probeBody);
  const remove = wrapped(fn, fn.name || 'remove (start not shown)', [], []);
  const world = withFunctions(facts, [probe, remove]);
  return safe(() => simulateDriver({ target: input.target, driver: worldDriver('driver (not shown)', probe.name, remove.name, managed, at), facts: world, topology: 'singleton' }));
}

function removedReleases(input: EvidenceInput, out: EvidenceReport[]): void {
  const removed = removedLines(input);
  for (const fn of input.pre.functions) {
    fn.program.forEach((ins, index) => {
      if (ins.op !== 'call' || !ACQUIRE_OF[ins.call.callee] || !removed.has(ins.call.calleeSpan.line)) return;
      const call = ins.call;
      const post = counterpart(input, fn, call.span.line) ?? withoutRemoved(fn, removed);
      const role = roleOf(input, fn, index);
      const label = labelBefore(fn, index);
      // The acquisition is unseen unless the fragment itself shows it before the removed call.
      const shown = fn.program.slice(0, index).some((i) => i.op === 'call' && i.call.callee === ACQUIRE_OF[call.callee].callee);
      // An error-path world jumps to the label, past any acquisition the fragment shows: it is synthesised then too.
      const acquire = role === 'hook' || (shown && role !== 'error-path') ? undefined : acquisitionFor(call, input.target, fn.name);
      const worlds: WorldOutcome[] = [];
      for (const managed of [false, true]) {
        const flagText = managed ? 'sets driver_managed_dma' : 'uses the kernel DMA API';
        // The removed undo is evidence that the code before it acquired what it undoes: no "acquired nothing" world.
        for (const withAcquire of acquire ? [true] : [false]) {
          const a = withAcquire ? acquire : undefined;
          const what = role === 'hook' ? 'the bus configure hook took the default-domain count' : a ? `the code before it (not shown) called ${a.callee}()` : 'the code before it (not shown) acquired nothing';
          worlds.push({
            assumption: `${what}; the driver ${flagText}`,
            pre: replayRemoval(input, input.pre, fn, role, a, label, managed),
            post: replayRemoval(input, input.post, post, role, a, label, managed),
          });
          if (role === 'hook') break;
        }
        if (role === 'hook') break;
      }
      const { introduced, plausible } = compareWorlds(worlds, preToPostLines(input.file));
      const helpers = addedUnknownHelpers(input, post);
      // An undo moved into a devm action the patch registers runs at unbind too: the synthetic probe does not register it.
      const addedLines = new Set(input.post.addedLines);
      for (const f of input.post.functions) for (const a of f.devmActions) if (addedLines.has(a.call.span.line)) helpers.push(`the devm action ${a.fn}`);
      // Only what undoing `call` is about (the rule of the removed call): later consequences (a refused claim) follow from it.
      const own = ruleOfRemoved(call.callee);
      const primary = introduced.filter((hit) => ruleFor(hit.violation.kind, hit.violation.api, call.callee) === own).slice(0, 1);
      for (const hit of primary) {
        const code = own;
        const where = role === 'hook' ? `the bus's ${fn.name}() hook` : role === 'error-path' ? `the error path${label ? ` under label ${label}` : ''}` : `${fn.name || 'the remove path'}()`;
        const unseen = helpers.length > 0
          ? `if ${helpers.map((h) => (h.startsWith('the devm action') ? h : `${h}()`)).join(', ')}, not shown, does not do what ${call.callee}() did`
          : hit.worlds.length < plausible
            ? `if ${hit.worlds[0]}`
            : undefined;
        out.push({
          code,
          message:
            `the patch removes ${call.callee}() from ${where}: replayed with the code not shown ${role === 'hook' ? 'configuring the device as the bus does' : `having called ${ACQUIRE_OF[call.callee].callee}() first`}, ` +
            `after the patch ${hit.violation.message}`,
          span: call.calleeSpan,
          image: 'pre',
          scenario: hit.scenario,
          trace: hit.scenario.trace.slice(0, Math.max(hit.violation.stepIndex + 1, 1)),
          ...(unseen ? { unseen } : {}),
          key: `${code}:${fn.name}:${call.callee}:removed`,
        });
      }
    });
  }
}

// ───────────────────────────── case 2: a removed ownership flag ─────────────────────────────

/** A driver known to be a VFIO driver from what the hunk shows: its directory, vfio_* members or calls. */
function vfioKnown(input: EvidenceInput, driver: DriverStructFact): boolean {
  if (/(^|\/)drivers\/vfio\//.test(input.path.replace(/\\/g, '/'))) return true;
  if (driver.fields.some((f) => /\bvfio_/.test(f.value))) return true;
  return [...input.pre.functions, ...input.post.functions].some((f) => f.calls.some((c) => c.callee.startsWith('vfio_')));
}

function removedFlags(input: EvidenceInput, out: EvidenceReport[]): void {
  const removed = removedLines(input);
  for (const before of input.pre.drivers) {
    const m = before.managedDma;
    if (m.state !== 'present' || !m.span || !flagValueTrue(m.value) || !removed.has(m.span.line)) continue;
    const after = input.post.drivers.find((d) => d.name === before.name);
    if (!after || (after.managedDma.state === 'present' && flagValueTrue(after.managedDma.value))) continue;
    const probeName = after.callbacks.probe ?? before.callbacks.probe;
    const probeShown = probeName ? input.post.functions.find((f) => f.name === probeName && f.complete) : undefined;
    const at = before.nameSpan;
    const vfio = vfioKnown(input, before);
    const register = before.bus === 'pci' ? 'vfio_pci_core_register_device' : 'vfio_register_group_dev';
    const probes: { assumption: string; fn?: FunctionFact }[] = probeShown
      ? [{ assumption: `${probeShown.name}() as shown` }]
      : [
          {
            assumption: `${probeName ? `${probeName}()` : `the probe of ${before.name}`}, not shown, hands the device to user space or claims its DMA ownership (as ${register}() does)`,
            fn: synthFunction(probeName ?? 'probe (not shown)', at, [
              { op: 'call', call: synthCall(register, ['&vdev->core_device'], at, probeName ?? 'probe (not shown)') },
              { op: 'return', value: { kind: 'int', value: 0 }, span: point(at) },
            ]),
          },
          ...(vfio ? [] : [{ assumption: `${probeName ? `${probeName}()` : `the probe of ${before.name}`}, not shown, hands nothing to user space`, fn: synthFunction(probeName ?? 'probe (not shown)', at, [{ op: 'return', value: { kind: 'int', value: 0 }, span: point(at) }]) }]),
        ];
    const worlds: WorldOutcome[] = probes.map((p) => {
      const fns = p.fn ? [p.fn] : [];
      const probe = p.fn?.name ?? probeName ?? '';
      const preDriver: DriverStructFact = { ...before, complete: true, callbacks: { ...before.callbacks, probe } };
      const postDriver: DriverStructFact = { ...after, complete: true, managedDma: { state: 'absent' }, callbacks: { ...after.callbacks, probe } };
      return {
        assumption: p.assumption,
        pre: safe(() => simulateDriver({ target: input.target, driver: preDriver, facts: withFunctions(input.pre, fns), topology: 'singleton' })),
        post: safe(() => simulateDriver({ target: input.target, driver: postDriver, facts: withFunctions(input.post, fns), topology: 'singleton' })),
      };
    });
    const { introduced, plausible } = compareWorlds(worlds);
    for (const hit of introduced) {
      if (hit.violation.kind !== 'claim-failed' && hit.violation.kind !== 'error-return') continue;
      const some = hit.worlds.length < plausible;
      out.push({
        code: 'OWN001',
        message:
          `the patch removes .${m.spelling ?? 'driver_managed_dma'} = true from ${before.name}: without it binding counts a kernel DMA-API user, ` +
          `so claiming the group for user space fails with ${hit.violation.errno ?? '-EPERM'}`,
        span: m.span,
        image: 'pre',
        scenario: hit.scenario,
        trace: hit.scenario.trace.slice(0, hit.violation.stepIndex + 1),
        ...(some ? { unseen: `if ${hit.worlds[0]}` } : {}),
        key: `OWN001:${before.name}`,
      });
    }
  }
}

// ───────────────────────────── case 3: a removed bus dma_cleanup hook ─────────────────────────────

function removedHooks(input: EvidenceInput, out: EvidenceReport[]): void {
  const removed = removedLines(input);
  for (const before of input.pre.busTypes) {
    const field = before.fields.find((f) => (f.name === 'dma_cleanup' || f.name === 'dma_unconfigure') && removed.has(f.span.line));
    if (!field) continue;
    const after = input.post.busTypes.find((b) => b.name === before.name);
    if (!after || after.dmaCleanup !== undefined || after.dmaUnconfigure !== undefined) continue;
    const configure = after.dmaConfigure ?? before.dmaConfigure;
    if (!configure) continue;
    const at = field.span;
    const dev = [{ name: 'dev', type: 'struct device *' }];
    const shownConfigure = input.post.functions.find((f) => f.name === configure && f.complete);
    const configureFn = shownConfigure ?? synthFunction(configure, at, [
      { op: 'call', call: synthCall('iommu_device_use_default_domain', ['dev'], at, configure) },
      { op: 'return', value: { kind: 'int', value: 0 }, span: point(at) },
    ], dev);
    const cleanupName = field.value.replace(/^&/, '');
    const shownCleanup = input.pre.functions.find((f) => f.name === cleanupName && f.complete);
    const cleanupFn = shownCleanup ?? synthFunction(cleanupName, at, [{ op: 'call', call: synthCall('iommu_device_unuse_default_domain', ['dev'], at, cleanupName) }], dev);
    const preFacts = { ...withFunctions(input.pre, [configureFn, cleanupFn]), busTypes: [{ ...before, dmaConfigure: configure, complete: true }] };
    const postFacts = { ...withFunctions(input.post, [configureFn]), busTypes: [{ ...after, dmaConfigure: configure, dmaCleanup: undefined, complete: true }] };
    const world = (facts: CFacts) => safe(() => simulateFunction({ target: input.target, fn: configureFn, facts, topology: 'singleton', role: { kind: 'dma_configure', driverManagedDma: false } }));
    const assumption = `${shownConfigure ? `${configure}() as shown` : `${configure}(), not shown, takes the default-domain count as every bus does`}`;
    const { introduced } = compareWorlds([{ assumption, pre: world(preFacts), post: world(postFacts) }]);
    for (const hit of introduced) {
      out.push({
        code: 'OWN010',
        message: `the patch removes the .${field.name} hook from ${before.name}: ${configure}() takes the default-domain count at bind and nothing gives it back at unbind (${hit.violation.message})`,
        span: field.span,
        image: 'pre',
        scenario: hit.scenario,
        trace: hit.scenario.trace.slice(0, hit.violation.stepIndex + 1),
        ...(shownConfigure ? {} : { unseen: undefined }),
        key: `OWN010:${before.name}:${field.name}:removed`,
      });
    }
  }
}

/** Reports of what the patch's removed lines take away, judged by replaying both images in each world. */
export function patchEvidence(input: EvidenceInput): EvidenceReport[] {
  const out: EvidenceReport[] = [];
  removedReleases(input, out);
  removedFlags(input, out);
  removedHooks(input, out);
  addedAcquisitions(input, out);
  return out;
}

// ───────────────────────────── case 4: an added acquisition whose other half is not shown ─────────────────────────────

/** Acquisition → the undo a .remove would do (inverse of ACQUIRE_OF). */
const RELEASE_OF: Record<string, { callee: string; args: (acquire: string[], assigned?: string) => string[] }> = {
  iommu_attach_device: { callee: 'iommu_detach_device', args: (a) => a },
  iommu_attach_group: { callee: 'iommu_detach_group', args: (a) => a },
  iommu_group_claim_dma_owner: { callee: 'iommu_group_release_dma_owner', args: (a) => [a[0] ?? 'group'] },
  iommu_device_claim_dma_owner: { callee: 'iommu_device_release_dma_owner', args: (a) => [a[0] ?? 'dev'] },
  iommu_attach_device_pasid: { callee: 'iommu_detach_device_pasid', args: (a) => a.slice(0, 3) },
  iommu_sva_bind_device: { callee: 'iommu_sva_unbind_device', args: (_a, assigned) => [assigned ?? 'handle'] },
};

/** The pre-image of a function the patch adds lines to: same name in the pre-image, else the post without them. */
function withoutAdded(fn: FunctionFact, added: ReadonlySet<number>): FunctionFact {
  return withoutRemoved(fn, added);
}

interface AddedWorld {
  flag: boolean;
  undo: boolean;
}

function describeCondition(hit: readonly AddedWorld[], all: readonly AddedWorld[], driverName: string | undefined, removeName: string | undefined, flagField: string, undo: string): string | undefined {
  if (hit.length === all.length) return undefined;
  const parts: string[] = [];
  const flags = new Set(hit.map((w) => w.flag));
  const undos = new Set(hit.map((w) => w.undo));
  if (flags.size === 1 && new Set(all.map((w) => w.flag)).size > 1) {
    parts.push(`${driverName ?? 'the driver struct'}, not shown, ${hit[0].flag ? 'sets' : 'lacks'} .${flagField}`);
  }
  if (undos.size === 1 && new Set(all.map((w) => w.undo)).size > 1) {
    parts.push(`${removeName ? `${removeName}()` : 'the .remove callback'}, not shown, ${hit[0].undo ? 'calls' : 'does not call'} ${undo}()`);
  }
  return parts.length > 0 ? `if ${parts.join(' and ')}` : 'depends on code not shown';
}

function addedAcquisitions(input: EvidenceInput, out: EvidenceReport[]): void {
  const added = new Set(input.post.addedLines);
  for (const fn of input.post.functions) {
    const struct = input.post.drivers.find((d) => d.callbacks.probe === fn.name);
    if (!struct && !/probe/.test(fn.name)) continue; // entry points (open/ioctl) are the rules' business
    fn.program.forEach((ins) => {
      if (ins.op !== 'call' || !RELEASE_OF[ins.call.callee] || !added.has(ins.call.calleeSpan.line)) return;
      const call = ins.call;
      const rel = RELEASE_OF[call.callee];
      const removeName = struct ? struct.callbacks.remove ?? struct.callbacks.remove_new : undefined;
      const removeFn = removeName ? input.post.functions.find((f) => f.name === removeName) : undefined;
      // A .remove shown in part but calling the undo (e.g. added by another hunk) is taken as shown.
      // Without the struct, a teardown function of the patch that calls the undo (iris_remove with the detach) is the .remove.
      const teardown = removeFn ? undefined : input.post.functions.find((f) => f !== fn && /remove|exit|teardown|release|destroy|fini|unbind/.test(f.name) && f.calls.some((c) => c.callee === rel.callee));
      const removeShown = removeFn && (removeFn.complete || removeFn.calls.some((c) => c.callee === rel.callee)) ? removeFn : teardown;
      const flagKnown = struct && struct.complete ? struct.managedDma.state === 'present' && flagValueTrue(struct.managedDma.value) : undefined;
      const flagField = struct?.managedDma.spelling ?? 'driver_managed_dma';
      if (flagKnown !== undefined && (removeShown || (struct?.complete && !removeName))) return; // nothing unseen: the rules judge it
      const preFn = input.pre.functions.find((f) => f.name === fn.name) ?? withoutAdded(fn, added);
      const at = call.span;
      const undoCall = synthCall(rel.callee, rel.args(call.args.map((a) => a.text), ins.assignTo ?? call.assignedTo), at, removeName ?? 'remove (not shown)');
      const worlds: (AddedWorld & WorldOutcome)[] = [];
      for (const flag of flagKnown === undefined ? [true, false] : [flagKnown]) {
        for (const undo of removeShown ? [true] : [true, false]) {
          const remove = removeShown ?? synthFunction(removeName ?? 'remove (not shown)', at, undo ? [{ op: 'call', call: undoCall }] : []);
          const probe = wrapped(fn, fn.name || 'probe (not shown)', [], []);
          const probePre = wrapped(preFn, fn.name || 'probe (not shown)', [], []);
          const driver = worldDriver(struct?.name ?? 'driver (not shown)', probe.name, remove.name, flag, struct?.nameSpan ?? at, struct?.bus ?? 'platform');
          worlds.push({
            flag,
            undo,
            assumption: `flag ${flag}, undo ${undo}`,
            pre: safe(() => simulateDriver({ target: input.target, driver, facts: withFunctions(input.pre, [probePre, remove]), topology: 'singleton' })),
            post: safe(() => simulateDriver({ target: input.target, driver, facts: withFunctions(input.post, [probe, remove]), topology: 'singleton' })),
          });
        }
      }
      // What the unseen struct and .remove do is the open question here: every world counts (no plausibility filter).
      const { introduced } = compareWorlds(worlds, (l) => l, false);
      const reported = new Set<string>();
      const allowed = new Set([ruleOfRemoved(rel.callee), ...(/claim_dma_owner/.test(call.callee) ? ['OWN001'] : [])]);
      for (const hit of introduced) {
        const code = hit.violation.kind === 'error-return' && /claim_dma_owner/.test(hit.violation.api ?? '') ? 'OWN001' : ruleFor(hit.violation.kind, hit.violation.api, call.callee);
        if (reported.has(code) || !allowed.has(code)) continue;
        reported.add(code);
        const inWorlds = worlds.filter((w) => hit.worlds.includes(w.assumption));
        const condition = describeCondition(inWorlds, worlds, struct?.name ?? `the driver struct binding ${fn.name}()`, removeName, flagField, rel.callee);
        const what = code === 'OWN001'
          ? `this claim fails with ${hit.violation.errno ?? '-EPERM'} (binding already counted a kernel DMA-API user)`
          : hit.violation.message;
        out.push({
          code,
          message: `${fn.name || 'probe'}() gains ${call.callee}(): ${what}`,
          span: call.calleeSpan,
          image: 'post',
          scenario: hit.scenario,
          trace: hit.scenario.trace.slice(0, hit.violation.stepIndex + 1),
          ...(condition ? { unseen: condition } : {}),
          key: `${code}:${fn.name}:${call.callee}:added`,
        });
      }
    });
  }
}
