/**
 * The replay's environment: values (known model values or typed unknowns), frames, paths and name lookup.
 */
import type { CFacts, FunctionFact } from '../types';
import { cloneState, domainTypeValue, parseErrno, type Kernel, type SimValue } from './model';
import type { At, Tracer } from './trace';
import type { AccessPolicy } from './device-access';

/**
 * Forks per scenario run. Paths that reach a join point in the same state as an earlier path are merged (dropped), so
 * this bounds distinct behaviours, not error exits; when it is still hit, the run records it (RunContext.budget.hit).
 */
export const MAX_PATHS = 256;
/**
 * Forks a run may take in all, merged ones included: a path merged into an earlier one gives its fork back to
 * MAX_PATHS (it is no distinct behaviour), so this second bound keeps the work of a run finite and small.
 */
export const MAX_FORKS_TAKEN = 4 * MAX_PATHS;
export const MAX_STEPS = 20000;
export const MAX_DEPTH = 4;

export type TypeHint = 'int' | 'ptr' | 'bool' | 'unknown';

/** A value in the replay's environment: known (a model value) or unknown (with a type guess). */
export type EnvVal =
  | { kind: 'known'; value: SimValue }
  | { kind: 'unknown'; hint: TypeHint; text: string; failure?: boolean };

export interface Frame {
  fn: FunctionFact;
  pc: number;
  vars: Map<string, EnvVal>;
  /** Results of calls by instruction index. */
  calls: Map<number, EnvVal>;
  /** Label of the last goto taken in this frame. */
  lastGoto?: string;
  /** Backward jumps taken, by target (a `goto retry` loop runs at most twice). */
  backEdges: Map<number, number>;
  /** The path's failureSinceSuccess when this frame was entered (restored when it returns a known value). */
  failureAtEntry?: boolean;
  /** For a pure helper of the file: the memo entry its result is kept under in the caller's path. */
  memoKey?: { key: string; operands: string[] };
  /** Variables holding a failed claim/attach result this path has not tested yet (unchecked.ts). */
  unchecked?: Map<string, UncheckedResult>;
}

export interface UncheckedResult { api: string; stepIndex: number; errno?: string }

export interface DevresEntry { fn: string; data: EnvVal; dataText: string; at?: At }

export interface RunContext {
  facts: CFacts;
  file: string;
  device: string;
  /** Forks left; `hit` names the first function where a fork (or the step limit) was refused for lack of budget. */
  budget: { forks: number; hit?: string; taken?: number };
  /** In a driver replay: which DMA-API / MMIO calls are checked against the group (device-access.ts). */
  access?: AccessPolicy;
  /**
   * Functions of the file that may run after this run's entry point returns (the driver's remove, a lifecycle
   * partner); undefined: any function of the file. Path merging only keeps state they (or the rest) can read.
   */
  later?: readonly string[];
  /** The group is a VFIO no-IOMMU (fake) group (FunctionSimInput.fakeGroup). */
  fakeGroup?: boolean;
}

/** A run's context, always with every property (see makePath). */
export function makeRunContext(facts: CFacts, device: string, later: readonly string[], extra: { access?: AccessPolicy; fakeGroup?: boolean } = {}): RunContext {
  return { facts, file: facts.path, device, budget: { forks: MAX_PATHS - 1, hit: undefined, taken: undefined }, access: extra.access, later, fakeGroup: extra.fakeGroup };
}

/**
 * What a path remembers besides variables: condition decisions (`cond:<text>`), results of pure predicates
 * (`call:<callee>(<args>)`) and equalities with named constants (`eq:<lvalue>`). Each entry holds until one of its
 * operands is written on the path (see written()).
 */
export interface Remembered { value: EnvVal; operands: string[] }

export interface Path {
  k: Kernel;
  t: Tracer;
  frames: Frame[];
  globals: Map<string, EnvVal>;
  devres: DevresEntry[];
  failureSinceSuccess: boolean;
  steps: number;
  /** Errors returned by use_default_domain on this path (swallowed-error check). */
  useErrors: string[];
  /** The first call on this path that handed the device to user space ("vfio_register_group_dev() at foo.c:40"). */
  handoff?: string;
  /**
   * Private domains a detach through a never-assigned lvalue may have detached (domain id → that lvalue): they stay
   * attached in the model, but nothing is flagged for them and the next conflicting call assumes they were detached.
   */
  maybeDetached?: Map<string, { text: string; at?: At }>;
  /** Detaches whose never-assigned lvalue cannot be the attached domain (nothing in the file assigns it). */
  unknownDetaches?: { text: string; domain: string; at?: At }[];
  /**
   * Attaches that failed on this path (`dom:<id>`, `pasid:<dev>:<pasid>:<domain>`): a later detach of them undoes nothing;
   * and claims that failed (`own:<claim API>`): a caller returning success then leaves its partner nothing to release.
   */
  failedAttaches?: string[];
  /** Decisions and pure results, keyed as described at Remembered. */
  memo: Map<string, Remembered>;
  /**
   * The model state's token in join keys, kept while the state cannot have changed: made by the keys, dropped by whatever
   * may change the state (interpreter.ts stateTokenOf).
   */
  stateToken?: string;
  /** Functions of the file this path has entered (a field only they write, and they did not, still holds its initial 0). */
  ran: Set<string>;
  /**
   * Calls the replay cannot follow that may tear an object down (teardown.ts), made on this path by the outermost
   * function itself or through its teardown helpers: only these paths may have run a callback of the file.
   */
  teardowns?: string[];
  /** While a helper's summary is being made: the names written on this path since the helper was entered. */
  writes?: string[];
}

export interface RunResult {
  path: Path;
  ret: EnvVal | null;
  failed: boolean;
  /** Where the outermost function returned, and the last goto label it took. */
  retLine?: number;
  /** Column of that `return` (with retLine, where a verdict about the returned value points). */
  retColumn?: number;
  lastGoto?: string;
}

// ───────────── helpers ─────────────
export const known = (value: SimValue): EnvVal => ({ kind: 'known', value });
export const unknown = (hint: TypeHint, text: string, failure?: boolean): EnvVal => ({ kind: 'unknown', hint, text, ...(failure ? { failure } : {}) });
export const validPtr = (): SimValue => ({ kind: 'ptr', ptr: { kind: 'valid', ref: { kind: 'opaque' } } });

/** Whitespace-free text with outer parentheses and pointer casts removed: `(void *)priv->dom` → `priv->dom`. */
export function normText(text: string): string {
  let t = text.replace(/\s+/g, '');
  for (;;) {
    const cast = /^\((?:const)?(?:struct)?[A-Za-z_][\w]*\**\)(.+)$/.exec(t) ?? /^\([^()]*\(\*\)\([^()]*\)\)(.+)$/.exec(t);
    if (cast) { t = cast[1]; continue; }
    if (/^\(.*\)$/.test(t) && balanced(t.slice(1, -1))) { t = t.slice(1, -1); continue; }
    return t;
  }
}
function balanced(t: string): boolean {
  let depth = 0;
  for (const c of t) {
    if (c === '(') depth++;
    if (c === ')' && --depth < 0) return false;
  }
  return depth === 0;
}
export const lastComponent = (t: string): string => t.split(/->|\./).pop() ?? t;
export const isNullText = (t: string): boolean => /^(NULL|0|0L|nullptr|\(void\*\)0)$/.test(t);

/**
 * Paths holding each map or set that forks share (see clonePath); one when it has no entry. A holder writes into the
 * object itself only when it is the last one; otherwise it takes a copy of its own and leaves the others theirs.
 * A path that ends without writing never gives its hold back: the others then copy once more than needed, never less.
 */
const holders = new WeakMap<object, number>();
const holdersOf = (o: object): number => holders.get(o) ?? 1;
/** One more path (or helper entry snapshot) holds `o`. */
export function hold<T extends object>(o: T): T {
  holders.set(o, holdersOf(o) + 1);
  return o;
}
/** A holder lets `o` go. */
export function letGo(o: object): void {
  holders.set(o, holdersOf(o) - 1);
}
function own<T extends Map<unknown, unknown> | Set<unknown>>(o: T, copy: (o: T) => T): T {
  if (holdersOf(o) <= 1) return o;
  letGo(o);
  return copy(o);
}

/**
 * A fork of the path. The maps most forks change little or not at all (stored fields, decisions, functions run,
 * and the frames' variables, call results and back edges) are shared by both paths; a path copies one before its
 * first write while another still holds it (ownGlobals, ownMemo, ownFrame, ranFunction), so a map both sides
 * change is copied once, as before, and one they do not change is not copied at all.
 */
export function clonePath(p: Path): Path {
  for (const f of p.frames) {
    hold(f.vars);
    hold(f.calls);
    hold(f.backEdges);
  }
  return makePath({
    k: { ...p.k, state: cloneState(p.k.state) },
    t: p.t.clone(),
    frames: p.frames.map((f) => makeFrame({ ...f, unchecked: f.unchecked ? new Map(f.unchecked) : undefined })),
    globals: hold(p.globals),
    devres: p.devres.map((d) => ({ ...d })),
    failureSinceSuccess: p.failureSinceSuccess,
    steps: p.steps,
    useErrors: [...p.useErrors],
    memo: hold(p.memo),
    ran: hold(p.ran),
    writes: p.writes ? [...p.writes] : undefined,
    handoff: p.handoff || undefined,
    teardowns: p.teardowns ? [...p.teardowns] : undefined,
    maybeDetached: p.maybeDetached ? new Map([...p.maybeDetached].map(([k, v]) => [k, { ...v }])) : undefined,
    unknownDetaches: p.unknownDetaches ? p.unknownDetaches.map((u) => ({ ...u })) : undefined,
    failedAttaches: p.failedAttaches ? [...p.failedAttaches] : undefined,
    stateToken: p.stateToken,
  });
}

/**
 * Every Path has the same properties in the same order, the optional ones undefined (never deleted): V8 then sees
 * one object shape at each property access of the replay instead of one per combination of optional fields.
 * On 6.12 drivers/ nearly all of the replay's deoptimisations were for an object shape the optimised code had not
 * seen; the paths were one source of them (run-size.ts's later optimisation does more against the rest).
 */
export function makePath(p: Path): Path {
  return {
    k: p.k, t: p.t, frames: p.frames, globals: p.globals, devres: p.devres, failureSinceSuccess: p.failureSinceSuccess, steps: p.steps,
    useErrors: p.useErrors, memo: p.memo, ran: p.ran,
    handoff: p.handoff,
    maybeDetached: p.maybeDetached,
    unknownDetaches: p.unknownDetaches,
    failedAttaches: p.failedAttaches,
    stateToken: p.stateToken,
    teardowns: p.teardowns,
    writes: p.writes,
  };
}

/** A call frame, always with every property (see makePath); a new frame starts at pc 0 with no calls or back edges. */
export function makeFrame(f: Pick<Frame, 'fn' | 'vars'> & Partial<Frame>): Frame {
  return {
    fn: f.fn, pc: f.pc ?? 0, vars: f.vars, calls: f.calls ?? new Map(), lastGoto: f.lastGoto, backEdges: f.backEdges ?? new Map(),
    failureAtEntry: f.failureAtEntry, memoKey: f.memoKey, unchecked: f.unchecked,
  };
}

/** The frame with maps of its own, to write into (see clonePath). */
export function ownFrame(f: Frame): Frame {
  f.vars = own(f.vars, (m) => new Map(m));
  f.calls = own(f.calls, (m) => new Map(m));
  f.backEdges = own(f.backEdges, (m) => new Map(m));
  return f;
}

/** The path's own stored fields, to write into (see clonePath). */
export function ownGlobals(p: Path): Map<string, EnvVal> {
  return (p.globals = own(p.globals, (m) => new Map(m)));
}

/** Records that the path entered `name` (see clonePath). */
export function ranFunction(p: Path, name: string): void {
  if (p.ran.has(name)) return;
  p.ran = own(p.ran, (s) => new Set(s));
  p.ran.add(name);
}

/** The path's own decisions, to write into (see clonePath). */
export function ownMemo(p: Path): Map<string, Remembered> {
  return (p.memo = own(p.memo, (m) => new Map(m)));
}

export function top(p: Path): Frame {
  return p.frames[p.frames.length - 1];
}

/** Struct-field lvalues live across functions (probe stores priv->domain, remove reads it); plain names are locals. */
function isGlobalName(n: string): boolean {
  return /->|\.|\[/.test(n);
}

/**
 * Stores a value. Unless `refined` (the replay only learnt what the value already was), it is a write: decisions and
 * pure results that read `name` are forgotten.
 */
export function setVar(p: Path, name: string, v: EnvVal, refined = false): void {
  const n = normText(name).replace(/^\*/, '');
  if (!refined) written(p, n);
  if (isGlobalName(n) || p.frames.length === 0) ownGlobals(p).set(n, v);
  else ownFrame(top(p)).vars.set(n, v);
}

/** `a` and `b` name the same storage, or one is inside the other (`priv` and `priv->flags`, `x.y` and `x.y.z`). */
export function overlaps(a: string, b: string): boolean {
  if (a === b) return true;
  const inside = (outer: string, inner: string) => inner.startsWith(outer) && /^(->|\.|\[)/.test(inner.slice(outer.length));
  return inside(a, b) || inside(b, a);
}

/** A write to `name` (an assignment, a call's result, `&name` handed to a call): forgets what depended on it. */
export function written(p: Path, name: string): void {
  if (!p.memo.size && !p.writes) return;
  const n = normText(name).replace(/^[&*]+/, '');
  p.writes?.push(n);
  forgetDecisions(p, (o) => overlaps(o, n));
}

/** Forgets the decisions with an operand `gone` says is gone (the memo is copied only when one is). */
export function forgetDecisions(p: Path, gone: (operand: string) => boolean): void {
  if (!p.memo.size) return;
  let keys: string[] | undefined;
  p.memo.forEach((m, key) => { if (m.operands.some(gone)) (keys ??= []).push(key); });
  if (!keys) return;
  const memo = ownMemo(p);
  for (const key of keys) memo.delete(key);
}

/** Lvalue-like operands of an expression's text (`&wq->flags`, `group->type==VFIO_IOMMU` → wq->flags, group->type). */
export function operandsOf(text: string): string[] {
  const out = new Set<string>();
  for (const m of text.matchAll(/[A-Za-z_]\w*(?:\s*(?:->|\.)\s*[A-Za-z_]\w*)*/g)) {
    const t = m[0].replace(/\s+/g, '');
    if (/^[A-Z][A-Z0-9_]*$/.test(t)) continue; // constants
    out.add(t);
  }
  return [...out];
}

export function lookupVar(p: Path, ctx: RunContext, name: string): EnvVal | undefined {
  const n = normText(name);
  const f = p.frames.length ? top(p) : undefined;
  const direct = f?.vars.get(n) ?? p.globals.get(n);
  if (direct) return direct;
  const dev = p.k.state.devices.get(ctx.device);
  // Bus-hook code reads the bound driver's flag and dev->driver.
  if (/(driver_managed_dma|suppress_auto_claim_dma_owner|no_kernel_api_dma)$/.test(n) && dev?.driver) {
    return known({ kind: 'bool', value: dev.driver.managedDma });
  }
  if (/->driver$/.test(n) && dev) return known(dev.driver ? validPtr() : { kind: 'ptr', ptr: { kind: 'null' } });
  // domain->type of a domain the path knows: compared with IOMMU_DOMAIN_IDENTITY & co. (model.ts IOMMU_DOMAIN_TYPE).
  const typeOf = /^(.+)->type$/.exec(n);
  if (typeOf) {
    const base = f?.vars.get(typeOf[1]) ?? p.globals.get(typeOf[1]);
    if (base?.kind === 'known' && base.value.kind === 'ptr' && base.value.ptr.kind === 'valid' && base.value.ptr.ref.kind === 'domain') {
      const d = p.k.state.domains.get(base.value.ptr.ref.id);
      if (d) return known({ kind: 'int', value: domainTypeValue(d.kind) });
    }
  }
  if (/->iommu_group$/.test(n) && dev) {
    return known({ kind: 'ptr', ptr: dev.group && p.k.iommuApi ? { kind: 'valid', ref: { kind: 'group', id: dev.group } } : { kind: 'null' } });
  }
  return undefined;
}

/**
 * A device expression naming a device the replay made (`&pdev->dev`, `pdev->dev`, `&child.dev`, `to_platform_device(x)`,
 * `x` itself): that device's pointer. Undefined when the expression names no device the replay knows (then it is the
 * bound device, see api-calls.ts resolveDevice).
 */
function deviceValue(p: Path, ctx: RunContext, n: string): EnvVal | undefined {
  const isDevice = (v: EnvVal | undefined) => v?.kind === 'known' && v.value.kind === 'ptr' && v.value.ptr.kind === 'valid' && v.value.ptr.ref.kind === 'device';
  const bare = n.replace(/^&/, '');
  const wrapped = /^(?:to_platform_device|to_pci_dev|to_amba_device|to_auxiliary_dev|to_fsl_mc_device|to_cdx_device)\((.+)\)$/.exec(bare);
  const candidates = [bare, ...(wrapped ? [normText(wrapped[1])] : [])];
  const member = /^(.+?)(?:->|\.)dev$/.exec(bare);
  if (member) candidates.push(normText(member[1]).replace(/^&/, ''));
  for (const c of candidates) {
    const v = lookupVar(p, ctx, c);
    if (isDevice(v)) return v;
  }
  return undefined;
}

export function evalArg(p: Path, ctx: RunContext, text: string): EnvVal {
  const n = normText(text);
  const v = lookupVar(p, ctx, n);
  if (v) return v;
  const dev = deviceValue(p, ctx, n);
  if (dev) return dev;
  if (/^-?\d+$/.test(n)) return known({ kind: 'int', value: Number(n) });
  const e = parseErrno(n);
  if (e !== undefined) return known({ kind: 'int', value: e });
  if (isNullText(n)) return known({ kind: 'ptr', ptr: { kind: 'null' } });
  if (n === 'true' || n === 'false') return known({ kind: 'bool', value: n === 'true' });
  return unknown('unknown', n);
}

export function hintFor(callee: string, assignTo?: string): TypeHint {
  if (assignTo && /^(ret|rc|err|error|status|res|result|r|rv)$/.test(lastComponent(normText(assignTo)))) return 'int';
  if (/^(devm_)?(k[mz]alloc|kcalloc|kmemdup|kstrdup|vzalloc|vmalloc|ioremap)|(_alloc|_create|_get|_find|_lookup|_iomap|_ioremap_resource|_ioremap)$/.test(callee)) return 'ptr';
  return 'int';
}
