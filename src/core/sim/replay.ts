/**
 * Replay: interprets FunctionFact.program (types.ts Instr) over the kernel model, inside the driver-core lifecycle.
 *
 * Choices, documented here once:
 * - Paths: a pc-based interpreter; an unknown branch condition FORKS, and each side REFINES the tested variable
 *   (failing side: -EIO / NULL / ERR_PTR(-ENOMEM); other side: 0 / a valid pointer). Allocation APIs
 *   (iommu_domain_alloc, iommu_paging_domain_alloc, iommu_sva_bind_device) also fork on allocation failure.
 *   At most MAX_PATHS paths per scenario run (after that the fall-through side is taken) and MAX_STEPS per path.
 * - Unknown return values: a path returns failure when it took a failure-refining fork (or saw an API fail) since
 *   the last API that succeeded; otherwise success.
 * - Argument resolution (heuristic): every device-position argument is the driver's device (driver code only names
 *   its own device); groups resolve from `iommu_group_get()` results, else to the device's group; domains, SVA handles
 *   and pasids resolve through the variable or lvalue they were stored in (`priv->domain` and `domain` are distinct
 *   keys unless assigned from each other), then by the same last field name, then to the single live domain the driver
 *   allocated; an unresolved domain becomes a placeholder domain keyed by its text. Owner cookies are keyed by their
 *   text (`NULL`/`0` → NULL). Symbolic pasids are keyed by text and matched by last field name.
 * - Names that do not exist on the target (stale series names) have no effect; an existing name called with another
 *   arity is still simulated (the arity itself is a rule's business).
 * - Unknown callees and `gap` instructions have no effect; unknown call results are typed by a name heuristic
 *   (`ret`/`rc`/`err` → int; *alloc/_get/_create/ioremap → pointer; else int).
 * - `devm_add_action[_or_reset](dev, fn, data)` always succeeds (0); fn (a function of the file, or a kernel API
 *   registered directly) runs with `data` at devres release, LIFO, AFTER dma_cleanup (dd.c order, spec §1.3).
 * - Helpers of the same file are inlined (depth ≤ 4, no recursion); a backward goto is taken at most twice.
 * - Violations: every WARN (double-release / bad-detach when that is what it is), use-after-free, deterministic errors
 *   of ownership/attach APIs called by driver code ('error-return'), and after unbind or a failed probe/call: the group
 *   compared with how the scenario found it (left-owned, leaked-owner-cnt, left-private-domain, pasid-leak), then a
 *   user-space claim ('claim-failed'). A succeeding generic function may legitimately keep ownership: no end checks.
 */
import type { ArgFact, BusKind, CFacts, Cond, FunctionFact, Instr, ScenarioResult, Subject, TopologyKind, Violation, ValueExpr } from '../types';
import type { DriverSimInput, FunctionSimInput } from './index';
import {
  ERRNO, assertNever, cloneState, emptyState, errnoText, groupOf, isFailureValue, parseErrno, seriesOwnerType, valueText,
  iommu_attach_device, iommu_attach_device_pasid, iommu_attach_device_shared, iommu_attach_group, iommu_detach_device,
  iommu_detach_device_pasid, iommu_detach_device_shared, iommu_detach_group, iommu_device_claim_dma_owner,
  iommu_device_release_dma_owner, iommu_device_release_dma_owner_typed, iommu_device_set_dma_owner,
  iommu_device_unuse_default_domain, iommu_device_use_default_domain, iommu_domain_alloc, iommu_domain_free,
  iommu_get_domain_for_dev, iommu_group_claim_dma_owner, iommu_group_dma_owner_claimed, iommu_group_dma_owner_unclaimed,
  iommu_group_get, iommu_group_put, iommu_group_release_dma_owner, iommu_group_set_dma_owner, iommu_paging_domain_alloc,
  iommu_sva_bind_device, iommu_sva_unbind_device, newDomain, addDevice, iommu_probe_device,
  type ApiOutcome, type Kernel, type SimValue,
} from './model';
import { flagHonoured, getProfile, lookupApi } from './profiles';
import { busDmaCleanup, busDmaConfigure } from './driver-core';
import { buildTopology, USER_COOKIE, type TopologySetup } from './topology';
import { Tracer, type At, type Phase } from './trace';

const MAX_PATHS = 64;
const MAX_STEPS = 5000;
const MAX_DEPTH = 4;

type TypeHint = 'int' | 'ptr' | 'bool' | 'unknown';

/** A value in the replay's environment: known (a model value) or unknown (with a type guess). */
export type EnvVal =
  | { kind: 'known'; value: SimValue }
  | { kind: 'unknown'; hint: TypeHint; text: string; failure?: boolean };

interface Frame {
  fn: FunctionFact;
  pc: number;
  vars: Map<string, EnvVal>;
  /** Results of calls by instruction index. */
  calls: Map<number, EnvVal>;
  /** Label of the last goto taken in this frame. */
  lastGoto?: string;
  /** Backward jumps taken, by target (a `goto retry` loop runs at most twice). */
  backEdges: Map<number, number>;
}

interface DevresEntry { fn: string; data: EnvVal; dataText: string; at?: At }

interface RunContext {
  facts: CFacts;
  file: string;
  device: string;
  budget: { forks: number };
}

interface Path {
  k: Kernel;
  t: Tracer;
  frames: Frame[];
  globals: Map<string, EnvVal>;
  devres: DevresEntry[];
  failureSinceSuccess: boolean;
  steps: number;
  /** Errors returned by use_default_domain on this path (swallowed-error check). */
  useErrors: string[];
}

interface RunResult {
  path: Path;
  ret: EnvVal | null;
  failed: boolean;
  /** Where the outermost function returned, and the last goto label it took. */
  retLine?: number;
  lastGoto?: string;
}

// ───────────── helpers ─────────────
const known = (value: SimValue): EnvVal => ({ kind: 'known', value });
const unknown = (hint: TypeHint, text: string, failure?: boolean): EnvVal => ({ kind: 'unknown', hint, text, ...(failure ? { failure } : {}) });
const validPtr = (): SimValue => ({ kind: 'ptr', ptr: { kind: 'valid', ref: { kind: 'opaque' } } });

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
const lastComponent = (t: string): string => t.split(/->|\./).pop() ?? t;
const isNullText = (t: string): boolean => /^(NULL|0|0L|nullptr|\(void\*\)0)$/.test(t);

function clonePath(p: Path): Path {
  return {
    k: { ...p.k, state: cloneState(p.k.state) },
    t: p.t.clone(),
    frames: p.frames.map((f) => ({ ...f, vars: new Map(f.vars), calls: new Map(f.calls), backEdges: new Map(f.backEdges) })),
    globals: new Map(p.globals),
    devres: p.devres.map((d) => ({ ...d })),
    failureSinceSuccess: p.failureSinceSuccess,
    steps: p.steps,
    useErrors: [...p.useErrors],
  };
}

function top(p: Path): Frame {
  return p.frames[p.frames.length - 1];
}

/** Struct-field lvalues live across functions (probe stores priv->domain, remove reads it); plain names are locals. */
function isGlobalName(n: string): boolean {
  return /->|\.|\[/.test(n);
}

function setVar(p: Path, name: string, v: EnvVal): void {
  const n = normText(name).replace(/^\*/, '');
  if (isGlobalName(n) || p.frames.length === 0) p.globals.set(n, v);
  else top(p).vars.set(n, v);
}

function lookupVar(p: Path, ctx: RunContext, name: string): EnvVal | undefined {
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
  if (/->iommu_group$/.test(n) && dev) {
    return known({ kind: 'ptr', ptr: dev.group && p.k.iommuApi ? { kind: 'valid', ref: { kind: 'group', id: dev.group } } : { kind: 'null' } });
  }
  return undefined;
}

function evalArg(p: Path, ctx: RunContext, text: string): EnvVal {
  const n = normText(text);
  const v = lookupVar(p, ctx, n);
  if (v) return v;
  if (/^-?\d+$/.test(n)) return known({ kind: 'int', value: Number(n) });
  const e = parseErrno(n);
  if (e !== undefined) return known({ kind: 'int', value: e });
  if (isNullText(n)) return known({ kind: 'ptr', ptr: { kind: 'null' } });
  if (n === 'true' || n === 'false') return known({ kind: 'bool', value: n === 'true' });
  return unknown('unknown', n);
}

function hintFor(callee: string, assignTo?: string): TypeHint {
  if (assignTo && /^(ret|rc|err|error|status|res|result|r|rv)$/.test(lastComponent(normText(assignTo)))) return 'int';
  if (/^(devm_)?(k[mz]alloc|kcalloc|kmemdup|kstrdup|vzalloc|vmalloc|ioremap)|(_alloc|_create|_get|_find|_lookup|_iomap|_ioremap_resource|_ioremap)$/.test(callee)) return 'ptr';
  return 'int';
}

// ───────────── argument resolution ─────────────
function deviceGroup(p: Path, ctx: RunContext): string | null {
  return p.k.iommuApi ? (p.k.state.devices.get(ctx.device)?.group ?? null) : null;
}

function resolveGroup(p: Path, ctx: RunContext, text: string): string | null {
  const v = lookupVar(p, ctx, text);
  if (v?.kind === 'known' && v.value.kind === 'ptr') {
    if (v.value.ptr.kind !== 'valid') return null;
    if (v.value.ptr.ref.kind === 'group') return v.value.ptr.ref.id;
  }
  if (isNullText(normText(text))) return null;
  return deviceGroup(p, ctx);
}

function domainFromVal(v: EnvVal | undefined): string | null | undefined {
  if (v?.kind !== 'known' || v.value.kind !== 'ptr') return undefined;
  if (v.value.ptr.kind !== 'valid') return null;
  return v.value.ptr.ref.kind === 'domain' ? v.value.ptr.ref.id : undefined;
}

function resolveDomain(p: Path, ctx: RunContext, text: string): string | null {
  let n = normText(text);
  const v = lookupVar(p, ctx, n);
  const direct = domainFromVal(v);
  if (direct !== undefined) return direct;
  if (v?.kind === 'unknown' && v.text) n = v.text; // a parameter bound to the caller's expression
  if (isNullText(n)) return null;
  if (/^iommu_get_domain_for_dev\(/.test(n)) {
    const g = groupOf(p.k, ctx.device);
    return g?.domain ?? null;
  }
  const byField = [...p.globals.entries(), ...(p.frames.length ? [...top(p).vars.entries()] : [])]
    .filter(([key, val]) => lastComponent(key) === lastComponent(n) && domainFromVal(val))
    .map(([, val]) => domainFromVal(val) as string);
  if (new Set(byField).size === 1) return byField[0];
  const live = [...p.k.state.domains.values()].filter((d) => d.origin === 'driver' && !d.freed && d.kind === 'paging');
  if (live.length === 1) return live[0].id;
  // A domain made elsewhere (e.g. handed in by VFIO/iommufd): a placeholder keyed by its text.
  const placeholder = newDomain(p.k.state, 'paging', 'driver');
  p.globals.set(n, known({ kind: 'ptr', ptr: { kind: 'valid', ref: { kind: 'domain', id: placeholder.id } } }));
  return placeholder.id;
}

function resolveCookie(p: Path, ctx: RunContext, text: string): string | null {
  const n = normText(text);
  const v = lookupVar(p, ctx, n);
  if (v?.kind === 'known' && ((v.value.kind === 'ptr' && v.value.ptr.kind === 'null') || (v.value.kind === 'int' && v.value.value === 0))) return null;
  return isNullText(n) ? null : n;
}

function resolvePasid(p: Path, ctx: RunContext, text: string): string {
  const n = normText(text);
  if (/^\d+$/.test(n)) return String(Number(n));
  if (/^0x[0-9a-f]+$/i.test(n)) return String(parseInt(n, 16));
  if (n === 'IOMMU_NO_PASID') return '0';
  const v = lookupVar(p, ctx, n);
  if (v?.kind === 'known' && v.value.kind === 'int') return String(v.value.value);
  const g = groupOf(p.k, ctx.device);
  if (g && !g.pasids.has(n)) {
    const same = [...g.pasids.keys()].filter((key) => !/^\d+$/.test(key) && lastComponent(key) === lastComponent(n));
    if (same.length === 1) return same[0];
  }
  return n;
}

function resolveSva(p: Path, ctx: RunContext, text: string): string | null {
  const v = lookupVar(p, ctx, text);
  if (v?.kind === 'known' && v.value.kind === 'ptr') {
    if (v.value.ptr.kind !== 'valid') return null;
    if (v.value.ptr.ref.kind === 'sva') return v.value.ptr.ref.id;
  }
  const live = [...p.k.state.sva.values()].filter((h) => !h.unbound && h.device === ctx.device);
  return live.length === 1 ? live[0].id : null;
}

// ───────────── API dispatch ─────────────
interface ApiCall { out: ApiOutcome; group: string | null }
type Handler = (p: Path, ctx: RunContext, a: string[], fail: boolean) => ApiCall;

/** Allocation APIs fork on failure. */
const CAN_FAIL = new Set(['iommu_domain_alloc', 'iommu_paging_domain_alloc', 'iommu_sva_bind_device']);
/** Deterministic failures of these, called from driver code, are 'error-return' violations. */
const OWNERSHIP_APIS = new Set(['iommu_group_claim_dma_owner', 'iommu_device_claim_dma_owner', 'iommu_attach_device', 'iommu_attach_group',
  'iommu_attach_device_pasid', 'iommu_device_set_dma_owner', 'iommu_group_set_dma_owner', 'iommu_attach_device_shared']);

const HANDLERS: Record<string, Handler> = {
  iommu_device_use_default_domain: (p, c) => ({ out: iommu_device_use_default_domain(p.k, c.device), group: deviceGroup(p, c) }),
  iommu_device_use_dma_api: (p, c) => ({ out: iommu_device_use_default_domain(p.k, c.device), group: deviceGroup(p, c) }),
  iommu_device_unuse_default_domain: (p, c) => ({ out: iommu_device_unuse_default_domain(p.k, c.device), group: deviceGroup(p, c) }),
  iommu_device_unuse_dma_api: (p, c) => ({ out: iommu_device_unuse_default_domain(p.k, c.device), group: deviceGroup(p, c) }),
  iommu_group_claim_dma_owner: (p, c, a) => {
    const g = resolveGroup(p, c, a[0] ?? '');
    return { out: iommu_group_claim_dma_owner(p.k, g, resolveCookie(p, c, a[1] ?? 'NULL')), group: g };
  },
  iommu_group_release_dma_owner: (p, c, a) => {
    const g = resolveGroup(p, c, a[0] ?? '');
    return { out: iommu_group_release_dma_owner(p.k, g), group: g };
  },
  iommu_group_dma_owner_claimed: (p, c, a) => {
    const g = resolveGroup(p, c, a[0] ?? '');
    return { out: iommu_group_dma_owner_claimed(p.k, g), group: g };
  },
  iommu_group_dma_owner_unclaimed: (p, c, a) => {
    const g = resolveGroup(p, c, a[0] ?? '');
    return { out: iommu_group_dma_owner_unclaimed(p.k, g), group: g };
  },
  iommu_device_claim_dma_owner: (p, c, a) => ({ out: iommu_device_claim_dma_owner(p.k, c.device, resolveCookie(p, c, a[1] ?? 'NULL')), group: deviceGroup(p, c) }),
  iommu_device_release_dma_owner: (p, c, a) => ({
    out: a.length >= 2 ? iommu_device_release_dma_owner_typed(p.k, c.device, seriesOwnerType(a[1])) : iommu_device_release_dma_owner(p.k, c.device),
    group: deviceGroup(p, c),
  }),
  iommu_device_set_dma_owner: (p, c, a) => ({
    out: iommu_device_set_dma_owner(p.k, c.device, seriesOwnerType(a[1] ?? ''), resolveCookie(p, c, a[2] ?? 'NULL')), group: deviceGroup(p, c),
  }),
  iommu_group_set_dma_owner: (p, c, a) => {
    const g = resolveGroup(p, c, a[0] ?? '');
    return { out: iommu_group_set_dma_owner(p.k, g, resolveCookie(p, c, a[a.length - 1] ?? 'NULL')), group: g };
  },
  iommu_attach_device: (p, c, a) => ({ out: iommu_attach_device(p.k, resolveDomain(p, c, a[0] ?? ''), c.device), group: deviceGroup(p, c) }),
  iommu_detach_device: (p, c, a) => ({ out: iommu_detach_device(p.k, resolveDomain(p, c, a[0] ?? ''), c.device), group: deviceGroup(p, c) }),
  iommu_attach_device_shared: (p, c, a) => ({ out: iommu_attach_device_shared(p.k, resolveDomain(p, c, a[0] ?? ''), c.device), group: deviceGroup(p, c) }),
  iommu_detach_device_shared: (p, c, a) => ({ out: iommu_detach_device_shared(p.k, resolveDomain(p, c, a[0] ?? ''), c.device), group: deviceGroup(p, c) }),
  iommu_attach_group: (p, c, a) => {
    const g = resolveGroup(p, c, a[1] ?? '');
    return { out: iommu_attach_group(p.k, resolveDomain(p, c, a[0] ?? ''), g), group: g };
  },
  iommu_detach_group: (p, c, a) => {
    const g = resolveGroup(p, c, a[1] ?? '');
    return { out: iommu_detach_group(p.k, resolveDomain(p, c, a[0] ?? ''), g), group: g };
  },
  iommu_attach_device_pasid: (p, c, a) => ({
    out: iommu_attach_device_pasid(p.k, resolveDomain(p, c, a[0] ?? ''), c.device, resolvePasid(p, c, a[2] ?? '')), group: deviceGroup(p, c),
  }),
  iommu_detach_device_pasid: (p, c, a) => ({
    out: iommu_detach_device_pasid(p.k, resolveDomain(p, c, a[0] ?? ''), c.device, resolvePasid(p, c, a[2] ?? '')), group: deviceGroup(p, c),
  }),
  iommu_sva_bind_device: (p, c, a, fail) => ({ out: iommu_sva_bind_device(p.k, c.device, normText(a[1] ?? 'mm'), fail), group: deviceGroup(p, c) }),
  iommu_sva_unbind_device: (p, c, a) => ({ out: iommu_sva_unbind_device(p.k, resolveSva(p, c, a[0] ?? '')), group: deviceGroup(p, c) }),
  iommu_domain_alloc: (p, c, _a, fail) => ({ out: iommu_domain_alloc(p.k, fail), group: deviceGroup(p, c) }),
  iommu_paging_domain_alloc: (p, c, _a, fail) => ({ out: iommu_paging_domain_alloc(p.k, c.device, fail), group: deviceGroup(p, c) }),
  iommu_domain_free: (p, c, a) => ({ out: iommu_domain_free(p.k, resolveDomain(p, c, a[0] ?? '')), group: deviceGroup(p, c) }),
  iommu_get_domain_for_dev: (p, c) => ({ out: iommu_get_domain_for_dev(p.k, c.device), group: deviceGroup(p, c) }),
  iommu_group_get: (p, c) => ({ out: iommu_group_get(p.k, c.device), group: deviceGroup(p, c) }),
  iommu_group_put: (p, c) => ({ out: iommu_group_put(), group: deviceGroup(p, c) }),
};

/** Names the replay simulates (the model's API functions). */
export function simulatedApiNames(): string[] {
  return Object.keys(HANDLERS);
}

/** Simulated on this target? Allocation/lookup helpers always are; others only when the name exists there. */
function simulatedOn(k: Kernel, name: string): boolean {
  if (/^iommu_(domain_alloc|paging_domain_alloc|domain_free|get_domain_for_dev|group_get|group_put)$/.test(name)) return true;
  return lookupApi(name, k.profile.target)?.exists === true;
}

// ───────────── conditions ─────────────
function subjectVal(p: Path, ctx: RunContext, s: Subject): EnvVal | undefined {
  return s.kind === 'var' ? lookupVar(p, ctx, s.name) : top(p).calls.get(s.pc);
}

function rhsValue(rhs: number | string): number | 'null' | undefined {
  if (typeof rhs === 'number') return rhs;
  const n = normText(rhs);
  if (n === 'NULL') return 'null';
  return parseErrno(n);
}

function compare(a: number, op: string, b: number): boolean {
  switch (op) {
    case '<': return a < b;
    case '<=': return a <= b;
    case '==': return a === b;
    case '!=': return a !== b;
    case '>': return a > b;
    default: return a >= b;
  }
}

function evalCond(p: Path, ctx: RunContext, c: Cond): boolean | undefined {
  switch (c.kind) {
    case 'const': return c.value;
    case 'unknown': return undefined;
    case 'not': {
      const v = evalCond(p, ctx, c.cond);
      return v === undefined ? undefined : !v;
    }
    case 'and': {
      const l = evalCond(p, ctx, c.left);
      if (l === false) return false;
      const r = evalCond(p, ctx, c.right);
      if (r === false) return false;
      return l === true && r === true ? true : undefined;
    }
    case 'or': {
      const l = evalCond(p, ctx, c.left);
      if (l === true) return true;
      const r = evalCond(p, ctx, c.right);
      if (r === true) return true;
      return l === false && r === false ? false : undefined;
    }
    case 'truthy': case 'isErr': case 'isErrOrNull': case 'cmp': {
      const v = subjectVal(p, ctx, c.subject);
      if (!v || v.kind !== 'known') return undefined;
      const val = v.value;
      if (c.kind === 'truthy') {
        switch (val.kind) {
          case 'int': return val.value !== 0;
          case 'bool': return val.value;
          case 'ptr': return val.ptr.kind !== 'null';
          case 'void': return undefined;
          default: return assertNever(val);
        }
      }
      if (c.kind === 'isErr') return val.kind === 'ptr' ? val.ptr.kind === 'err' : undefined;
      if (c.kind === 'isErrOrNull') return val.kind === 'ptr' ? val.ptr.kind !== 'valid' : undefined;
      const rhs = rhsValue(c.rhs);
      if (val.kind === 'ptr' && (rhs === 'null' || rhs === 0) && (c.op === '==' || c.op === '!=')) {
        return (val.ptr.kind === 'null') === (c.op === '==');
      }
      const num = val.kind === 'int' ? val.value : val.kind === 'bool' ? Number(val.value) : undefined;
      return num !== undefined && typeof rhs === 'number' ? compare(num, c.op, rhs) : undefined;
    }
  }
}

/** Gives an unknown subject a value that makes the condition `truth`; returns true when that value is a failure. */
function refine(p: Path, ctx: RunContext, c: Cond, truth: boolean): boolean {
  switch (c.kind) {
    case 'const': case 'unknown': return false;
    case 'not': return refine(p, ctx, c.cond, !truth);
    case 'and':
      if (truth) return refine(p, ctx, c.left, true) || refine(p, ctx, c.right, true);
      return evalCond(p, ctx, c.left) === undefined ? refine(p, ctx, c.left, false) : refine(p, ctx, c.right, false);
    case 'or':
      if (!truth) return refine(p, ctx, c.left, false) || refine(p, ctx, c.right, false);
      return evalCond(p, ctx, c.left) === undefined ? refine(p, ctx, c.left, true) : refine(p, ctx, c.right, true);
    default: {
      const cur = subjectVal(p, ctx, c.subject);
      if (cur?.kind === 'known') return false;
      let hint: TypeHint = cur?.kind === 'unknown' ? cur.hint : 'unknown';
      const rhs = c.kind === 'cmp' ? rhsValue(c.rhs) : undefined;
      // Comparing with another lvalue tells nothing about the subject's value: leave it unknown.
      if (c.kind === 'cmp' && rhs === undefined) return false;
      if (c.kind === 'isErr' || c.kind === 'isErrOrNull' || rhs === 'null') hint = 'ptr';
      if (hint === 'unknown') hint = 'int';
      const value = refinedValue(c, truth, hint, rhs);
      setSubject(p, c.subject, known(value));
      return isFailureValue(value);
    }
  }
}

function refinedValue(c: Cond, truth: boolean, hint: TypeHint, rhs: number | 'null' | undefined): SimValue {
  const nullPtr: SimValue = { kind: 'ptr', ptr: { kind: 'null' } };
  const errPtr: SimValue = { kind: 'ptr', ptr: { kind: 'err', errno: -ERRNO.ENOMEM } };
  if (hint === 'ptr') {
    switch (c.kind) {
      case 'truthy': return truth ? validPtr() : nullPtr;
      case 'isErr': case 'isErrOrNull': return truth ? errPtr : validPtr();
      case 'cmp': {
        const wantNull = (c.op === '==') === truth;
        return wantNull ? nullPtr : validPtr();
      }
      default: return validPtr();
    }
  }
  if (hint === 'bool' && c.kind === 'truthy') return { kind: 'bool', value: truth };
  if (c.kind === 'truthy') return { kind: 'int', value: truth ? -ERRNO.EIO : 0 };
  if (c.kind === 'cmp' && typeof rhs === 'number') {
    const candidates = [rhs, 0, -ERRNO.EIO, 1, rhs - 1, rhs + 1];
    const pick = candidates.find((x) => compare(x, c.op, rhs) === truth);
    return { kind: 'int', value: pick ?? 0 };
  }
  return { kind: 'int', value: truth ? -ERRNO.EIO : 0 };
}

function setSubject(p: Path, s: Subject, v: EnvVal): void {
  if (s.kind === 'var') {
    setVar(p, s.name, v);
    return;
  }
  const f = top(p);
  f.calls.set(s.pc, v);
  const instr = f.fn.program[s.pc];
  const assignTo = instr?.op === 'call' ? assignTarget(instr) : undefined;
  if (assignTo) setVar(p, assignTo, v);
}

function assignTarget(instr: Extract<Instr, { op: 'call' }>): string | undefined {
  return instr.assignTo ?? (instr.call.resultUse === 'assigned' ? instr.call.assignedTo : undefined);
}

// ───────────── values ─────────────
function evalValue(p: Path, ctx: RunContext, v: ValueExpr): EnvVal {
  switch (v.kind) {
    case 'int': return known({ kind: 'int', value: v.value });
    case 'errno': {
      const n = parseErrno(v.name);
      if (n !== undefined) return known({ kind: 'int', value: n > 0 && !/^\d/.test(v.name) ? -n : n });
      return unknown('int', v.name, true);
    }
    case 'null': return known({ kind: 'ptr', ptr: { kind: 'null' } });
    case 'var': return lookupVar(p, ctx, v.name) ?? evalArg(p, ctx, v.name);
    case 'call': return top(p).calls.get(v.pc) ?? unknown('unknown', `call@${v.pc}`);
    case 'ptrErr': {
      const s = subjectVal(p, ctx, v.subject);
      if (s?.kind === 'known' && s.value.kind === 'ptr') {
        if (s.value.ptr.kind === 'err') return known({ kind: 'int', value: s.value.ptr.errno });
        if (s.value.ptr.kind === 'null') return known({ kind: 'int', value: 0 });
      }
      return unknown('int', 'PTR_ERR', true);
    }
    case 'errPtr': {
      const inner = evalValue(p, ctx, v.value);
      if (inner.kind === 'known' && inner.value.kind === 'int') return known({ kind: 'ptr', ptr: { kind: 'err', errno: inner.value.value } });
      return known({ kind: 'ptr', ptr: { kind: 'err', errno: -ERRNO.EIO } });
    }
    case 'unknown': return unknown('unknown', v.text);
    default: return assertNever(v);
  }
}

function isFailure(p: Path, v: EnvVal | null): boolean {
  if (!v) return false;
  if (v.kind === 'known') return isFailureValue(v.value);
  return v.failure ?? p.failureSinceSuccess;
}

// ───────────── the interpreter ─────────────
function at(ctx: RunContext, span: { line: number; column: number }): At {
  return { file: ctx.file, line: span.line, column: span.column };
}

function fnByName(ctx: RunContext, name: string): FunctionFact | undefined {
  return ctx.facts.functions.find((f) => f.name === name && f.program.length > 0);
}

function pushFrame(p: Path, fn: FunctionFact, args: EnvVal[]): void {
  const vars = new Map<string, EnvVal>();
  fn.params.forEach((param, i) => {
    if (!param.name) return;
    vars.set(param.name, args[i] ?? unknown(/\*/.test(param.type) ? 'ptr' : 'int', param.name));
  });
  p.frames.push({ fn, pc: 0, vars, calls: new Map(), backEdges: new Map() });
}

/** Runs `fn` from the current state of `path`; returns every path's end (forks included). */
function runFunction(path: Path, ctx: RunContext, fn: FunctionFact, args: EnvVal[]): RunResult[] {
  const base = path.frames.length;
  pushFrame(path, fn, args);
  const work: Path[] = [path];
  const results: RunResult[] = [];
  while (work.length) {
    const p = work.pop() as Path;
    const r = execute(p, ctx, base, work);
    results.push(r);
  }
  return results;
}

/** Executes one path until its base frame returns; forks are pushed onto `work`. */
function execute(p: Path, ctx: RunContext, base: number, work: Path[]): RunResult {
  for (;;) {
    const f = top(p);
    if (++p.steps > MAX_STEPS || f.pc >= f.fn.program.length) {
      const r = popFrame(p, base, null, undefined);
      if (r) return r;
      continue;
    }
    const instr = f.fn.program[f.pc];
    switch (instr.op) {
      case 'label': case 'gap':
        f.pc++;
        break;
      case 'jump':
        gotoTarget(f, instr.target);
        break;
      case 'assign':
        setVar(p, instr.target, evalValue(p, ctx, instr.value));
        f.pc++;
        break;
      case 'return': {
        const v = instr.value ? evalValue(p, ctx, instr.value) : null;
        const r = popFrame(p, base, v, instr.span.line);
        if (r) return r;
        break;
      }
      case 'branch': {
        const v = evalCond(p, ctx, instr.cond);
        if (v !== undefined) {
          if (v) gotoTarget(f, instr.target);
          else f.pc++;
          break;
        }
        if (ctx.budget.forks > 0) {
          ctx.budget.forks--;
          const q = clonePath(p);
          if (refine(q, ctx, instr.cond, true)) q.failureSinceSuccess = true;
          gotoTarget(top(q), instr.target);
          work.push(q);
        }
        if (refine(p, ctx, instr.cond, false)) p.failureSinceSuccess = true;
        f.pc++;
        break;
      }
      case 'call':
        executeCall(p, ctx, instr, work);
        break;
      default: assertNever(instr);
    }
  }
}

function gotoTarget(f: Frame, target: number): void {
  if (!Number.isInteger(target) || target < 0 || target >= f.fn.program.length) {
    f.pc = f.fn.program.length; // an unresolved target ends the function
    return;
  }
  if (target <= f.pc) {
    // Programs have no back edges except a backward goto; take it at most twice, then fall through.
    const taken = f.backEdges.get(target) ?? 0;
    if (taken >= 2) {
      f.pc++;
      return;
    }
    f.backEdges.set(target, taken + 1);
  }
  const label = f.fn.program[target];
  if (label?.op === 'label') f.lastGoto = label.name;
  f.pc = target;
}

/** Pops the top frame; returns the RunResult when that was the base frame, else delivers the value to the caller. */
function popFrame(p: Path, base: number, v: EnvVal | null, line: number | undefined): RunResult | undefined {
  const f = p.frames.pop() as Frame;
  if (p.frames.length === base) {
    return { path: p, ret: v, failed: isFailure(p, v), retLine: line, lastGoto: f.lastGoto };
  }
  const caller = top(p);
  const instr = caller.fn.program[caller.pc];
  const value = v ?? known({ kind: 'void' });
  caller.calls.set(caller.pc, value);
  if (instr?.op === 'call') {
    const target = assignTarget(instr);
    if (target) setVar(p, target, value);
  }
  caller.pc++;
  return undefined;
}

function executeCall(p: Path, ctx: RunContext, instr: Extract<Instr, { op: 'call' }>, work: Path[]): void {
  const f = top(p);
  const call = instr.call;
  const name = call.callee;
  const args = call.args.map((a: ArgFact) => a.text);
  const target = assignTarget(instr);
  const done = (v: EnvVal) => {
    f.calls.set(f.pc, v);
    if (target) setVar(p, target, v);
    f.pc++;
  };

  if (name === 'devm_add_action' || name === 'devm_add_action_or_reset') {
    const fnName = normText(args[1] ?? '').replace(/^&/, '');
    p.devres.push({ fn: fnName, data: evalArg(p, ctx, args[2] ?? 'NULL'), dataText: args[2] ?? 'NULL', at: at(ctx, call.span) });
    p.t.note(p.k, `${name}(${args.join(', ')}) — ${fnName}() runs at devres release`, '0', deviceGroup(p, ctx), at(ctx, call.span));
    done(known({ kind: 'int', value: 0 }));
    return;
  }

  const handler = Object.prototype.hasOwnProperty.call(HANDLERS, name) ? HANDLERS[name] : undefined;
  if (handler && simulatedOn(p.k, name)) {
    if (CAN_FAIL.has(name) && p.k.iommuApi && ctx.budget.forks > 0) {
      ctx.budget.forks--;
      const q = clonePath(p);
      invoke(q, ctx, name, args, call.span, true, target);
      work.push(q);
    }
    invoke(p, ctx, name, args, call.span, false, target);
    return;
  }
  if (handler) {
    p.t.note(p.k, `${name}(${args.join(', ')}) — not available on ${p.k.profile.target}, no effect`, 'n/a', deviceGroup(p, ctx), at(ctx, call.span));
    done(unknown(hintFor(name, target), name));
    return;
  }

  const callee = fnByName(ctx, name);
  const depth = p.frames.length;
  if (callee && depth <= MAX_DEPTH && !p.frames.some((fr) => fr.fn.name === name)) {
    pushFrame(p, callee, args.map((a) => evalArg(p, ctx, a)));
    return; // popFrame delivers the result and advances the caller
  }
  done(unknown(hintFor(name, target), name));
}

function invoke(p: Path, ctx: RunContext, name: string, args: string[], span: { line: number; column: number }, fail: boolean, target?: string): void {
  const f = top(p);
  // The group is only known once the arguments are resolved, so the tracer asks for it after the call.
  const out = p.t.api(p.k, name, `${name}(${args.join(', ')})${fail ? ' [allocation fails]' : ''}`, undefined, () => {
    const r = HANDLERS[name](p, ctx, args, fail);
    return { ...r.out, group: r.group };
  }, at(ctx, span));
  const failed = isFailureValue(out.value);
  if (out.value.kind !== 'void' && out.value.kind !== 'bool') p.failureSinceSuccess = failed;
  if (failed && name === 'iommu_device_use_default_domain') p.useErrors.push(valueText(out.value));
  if (failed && !fail && OWNERSHIP_APIS.has(name) && out.value.kind === 'int') {
    p.t.violate('error-return', `${name}() returns ${errnoText(out.value.value)}${out.note ? ` (${out.note})` : ''}`, p.t.steps.length - 1, name, errnoText(out.value.value));
  }
  f.calls.set(f.pc, known(out.value));
  if (target) setVar(p, target, known(out.value));
  f.pc++;
}

// ───────────── lifecycle ─────────────
interface GroupSnapshot { ownerCnt: number; owner: string | null; domain: string | null; pasids: Set<string> }

function snapshot(k: Kernel, group: string | null): GroupSnapshot | undefined {
  const g = group ? k.state.groups.get(group) : undefined;
  return g ? { ownerCnt: g.ownerCnt, owner: g.owner, domain: g.domain, pasids: new Set(g.pasids.keys()) } : undefined;
}

/** Compares the group with how the scenario found it; records violations at a final "state" step. */
function endChecks(p: Path, setup: TopologySetup, start: GroupSnapshot | undefined, label: string): void {
  const i = p.t.note(p.k, label, 'state', setup.group);
  const g = setup.group ? p.k.state.groups.get(setup.group) : undefined;
  if (g && start) {
    if (g.owner !== start.owner) {
      p.t.violate('left-owned', `${g.id} is left owned by ${g.owner ?? 'NULL'} (owner_cnt=${g.ownerCnt})`, i);
    } else if (g.ownerCnt !== start.ownerCnt) {
      p.t.violate('leaked-owner-cnt', g.ownerCnt > start.ownerCnt
        ? `owner_cnt of ${g.id} is ${g.ownerCnt}, was ${start.ownerCnt}: ${g.ownerCnt - start.ownerCnt} count(s) leaked`
        : `owner_cnt of ${g.id} is ${g.ownerCnt}, was ${start.ownerCnt}: a count it never took was dropped`, i);
    }
    // An owned group sits on its blocking domain: that is the left-owned violation, not a second one.
    const onOwnBlocking = g.owner !== start.owner && g.domain === g.blockingDomain;
    if (g.domain !== start.domain && !onOwnBlocking) {
      const d = g.domain ? p.k.state.domains.get(g.domain) : undefined;
      if (d?.freed) p.t.violate('use-after-free', `${g.id} is left on ${d.id}, which was freed`, i);
      else p.t.violate('left-private-domain', `${g.id} is left on ${d ? `${d.id} (${d.kind})` : 'no domain'} instead of its core domain`, i);
    }
    const leaked = [...g.pasids.keys()].filter((key) => !start.pasids.has(key));
    if (leaked.length) p.t.violate('pasid-leak', `pasid(s) ${leaked.join(', ')} still attached to ${g.id}`, i);
  }
  const handles = [...p.k.state.sva.values()].filter((h) => !h.unbound && h.device === setup.device);
  if (handles.length && !(g && handles.every((h) => g.pasids.has(h.pasid)))) {
    p.t.violate('pasid-leak', `SVA bond(s) ${handles.map((h) => h.id).join(', ')} never unbound`, i);
  }
}

function runDevres(p: Path, ctx: RunContext): Path[] {
  let paths = [p];
  const entries = [...p.devres].reverse();
  p.devres = [];
  for (const e of entries) {
    const next: Path[] = [];
    for (const q of paths) {
      const fn = fnByName(ctx, e.fn);
      if (!fn && Object.prototype.hasOwnProperty.call(HANDLERS, e.fn) && simulatedOn(q.k, e.fn)) {
        // A kernel API registered directly as the action (e.g. a cast iommu_sva_unbind_device): call it with the data.
        q.frames.push({ fn: devresShim(e), pc: 0, vars: new Map([[normText(e.dataText), e.data]]), calls: new Map(), backEdges: new Map() });
        invoke(q, ctx, e.fn, [e.dataText], e.at ?? { line: 0, column: 0 }, false);
        q.frames.pop();
        next.push(q);
        continue;
      }
      if (!fn) {
        q.t.note(q.k, `devres: ${e.fn}() (body not visible)`, 'void', deviceGroup(q, ctx), e.at);
        next.push(q);
        continue;
      }
      q.t.note(q.k, `devres: ${e.fn}()`, 'void', deviceGroup(q, ctx), e.at);
      for (const r of runFunction(q, ctx, fn, [e.data])) next.push(r.path);
    }
    paths = next;
  }
  return paths;
}

/** A one-instruction frame so an API registered as a devres action can be invoked like a call. */
function devresShim(e: DevresEntry): FunctionFact {
  const sp = { line: e.at?.line ?? 0, column: e.at?.column ?? 0, endLine: e.at?.line ?? 0, endColumn: e.at?.column ?? 0 };
  return { name: `devres:${e.fn}`, nameSpan: sp, span: sp, isStatic: true, params: [], returnType: 'void', complete: true, calls: [], program: [{ op: 'gap', span: sp }], devmActions: [], labels: {}, addedLines: [] };
}

function newPath(k: Kernel): Path {
  return { k, t: new Tracer(), frames: [], globals: new Map(), devres: [], failureSinceSuccess: false, steps: 0, useErrors: [] };
}

function setPhase(p: Path, phase: Phase): void {
  p.t.phase = phase;
}

/** Runs a callback by name, or records that its body is not visible (treated as returning 0). */
function runCallback(p: Path, ctx: RunContext, name: string | undefined, role: string): RunResult[] {
  const fn = name ? fnByName(ctx, name) : undefined;
  if (!fn) {
    p.t.note(p.k, name ? `${role}: ${name}() (body not visible, assumed to return 0)` : `${role}: no .${role} callback`, '0', deviceGroup(p, ctx));
    return [{ path: p, ret: null, failed: false }];
  }
  p.t.note(p.k, `${role}: ${fn.name}()`, 'call', deviceGroup(p, ctx), at(ctx, fn.nameSpan));
  const args = fn.params.map((param) => unknown(/\*/.test(param.type) ? 'ptr' : 'int', param.name));
  return runFunction(p, ctx, fn, args);
}

/** How user space (VFIO) claims a group on this target: the series postings had their own name and errno. */
function userClaim(k: Kernel, group: string): { name: string; out: ApiOutcome } {
  if (k.profile.series) return { name: 'iommu_group_set_dma_owner', out: iommu_group_set_dma_owner(k, group, 'vfio') };
  return { name: 'iommu_group_claim_dma_owner', out: iommu_group_claim_dma_owner(k, group, 'vfio') };
}

function userChecks(p: Path, topology: TopologyKind, setup: TopologySetup): void {
  if (!setup.group || !p.k.iommuApi) return;
  setPhase(p, 'user');
  const group = setup.group;
  if (topology === 'user-owned') {
    p.t.api(p.k, 'iommu_group_release_dma_owner', `user space closes the container → iommu_group_release_dma_owner(${group})`, group,
      () => iommu_group_release_dma_owner(p.k, group));
    return;
  }
  if (topology === 'shared-dma-api') {
    p.t.api(p.k, 'iommu_device_unuse_default_domain', 'the co-grouped DMA-API driver unbinds → iommu_device_unuse_default_domain(dev1)', group,
      () => iommu_device_unuse_default_domain(p.k, 'dev1'));
  }
  let claimName = 'iommu_group_claim_dma_owner';
  const out = p.t.api(p.k, claimName, `user space (VFIO) claims ${group}`, group, () => {
    const r = userClaim(p.k, group);
    claimName = r.name;
    return { ...r.out, note: [`${r.name}(${group}, vfio)`, r.out.note].filter(Boolean).join(' — ') };
  });
  if (isFailureValue(out.value) && out.value.kind === 'int') {
    p.t.violate('claim-failed', `after the driver unbound, user space cannot claim ${group}: ${errnoText(out.value.value)}`, p.t.steps.length - 1,
      claimName, errnoText(out.value.value));
  }
}

/** While bound: would a VFIO claim of the group succeed? Tried on a copy, so the main trace state is untouched. */
function whileBoundCheck(p: Path, topology: TopologyKind, setup: TopologySetup): void {
  if (!setup.group || !p.k.iommuApi || topology === 'user-owned') return;
  const trial: Kernel = { ...p.k, state: cloneState(p.k.state) };
  const { name, out } = userClaim(trial, setup.group);
  const prev = p.t.phase;
  setPhase(p, 'user');
  p.t.note(p.k, `while bound: user space tries ${name}(${setup.group}, vfio) (trial, state unchanged)${out.note ? ` — ${out.note}` : ''}`,
    valueText(out.value), setup.group);
  // Second actor: a device hot-added to the group binds a DMA-API driver (spec §2.2, first column).
  const hot: Kernel = { ...p.k, state: cloneState(p.k.state) };
  addDevice(hot.state, 'hot0', 'pci', null);
  iommu_probe_device(hot, 'hot0', setup.group);
  const bind = iommu_device_use_default_domain(hot, 'hot0');
  p.t.note(p.k, `while bound: a device hot-added to ${setup.group} binds a DMA-API driver → iommu_device_use_default_domain(hot0) (trial, state unchanged)${bind.note ? ` — ${bind.note}` : ''}`,
    valueText(bind.value), setup.group);
  setPhase(p, prev);
}

function driverFlag(input: DriverSimInput): boolean {
  const m = input.driver.managedDma;
  if (m.state !== 'present' || !/^(true|1)$/.test((m.value ?? '').trim())) return false;
  return flagHonoured(getProfile(input.target), m.spelling, m.inDeviceDriver);
}

function scenarioKey(s: ScenarioResult): string {
  return JSON.stringify([s.outcome, s.errno, s.trace.map((t) => [t.step, t.result, t.after]), s.violations.map((v) => [v.kind, v.stepIndex])]);
}

/** Dedupes identical scenarios and numbers equal names. */
function finishScenarios(list: ScenarioResult[]): ScenarioResult[] {
  const seen = new Set<string>();
  const unique = list.filter((s) => {
    const key = scenarioKey(s);
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
  const counts = new Map<string, number>();
  for (const s of unique) counts.set(s.name, (counts.get(s.name) ?? 0) + 1);
  const index = new Map<string, number>();
  return unique.map((s) => {
    if ((counts.get(s.name) ?? 0) < 2) return s;
    const n = (index.get(s.name) ?? 0) + 1;
    index.set(s.name, n);
    return { ...s, name: `${s.name} (path ${n})` };
  });
}

function makeKernel(target: DriverSimInput['target'], iommuApi?: boolean): Kernel {
  return { state: emptyState(), profile: getProfile(target), iommuApi: iommuApi !== false };
}

function violationsOf(p: Path): Violation[] {
  return p.t.violations;
}

export function simulateDriver(input: DriverSimInput): ScenarioResult[] {
  const k = makeKernel(input.target, input.iommuApi);
  const bus: BusKind = input.driver.bus;
  const setup = buildTopology(k, input.topology, bus);
  const ctx: RunContext = { facts: input.facts, file: input.facts.path, device: setup.device, budget: { forks: MAX_PATHS - 1 } };
  const topo = input.topology;
  const flag = driverFlag(input);
  const start = snapshot(k, setup.group);
  const p0 = newPath(k);
  if (setup.hotAdded) {
    setPhase(p0, 'hotplug');
    p0.t.note(k, `iommu_probe_device(${setup.device}) joins ${setup.group}, claimed by ${USER_COOKIE}: no default-domain attach`, '0', setup.group);
  }
  // bind: really_probe → dma_configure
  setPhase(p0, 'bind');
  const dev = k.state.devices.get(setup.device);
  if (dev) dev.driver = { name: input.driver.name, managedDma: flag };
  const cfg = busDmaConfigure(k, p0.t, setup.device, bus);
  if (cfg.ret !== 0) {
    if (dev) dev.driver = null;
    endChecks(p0, setup, start, 'bind failed: state after really_probe');
    return [{
      name: `${topo}: bind fails in dma_configure (${errnoText(cfg.ret)})`, topology: topo, outcome: 'bind-failed', errno: errnoText(cfg.ret),
      trace: p0.t.steps, violations: violationsOf(p0),
    }];
  }
  const out: ScenarioResult[] = [];
  setPhase(p0, 'probe');
  const probes = runCallback(p0, ctx, input.driver.callbacks.probe, 'probe');
  for (const pr of probes) {
    let p = pr.path;
    if (pr.failed) {
      const errno = pr.ret?.kind === 'known' ? valueText(pr.ret.value) : 'error';
      finishFailure(p, ctx, bus, setup, start);
      out.push(...p2Scenario([p], `${topo}: probe fails${pr.retLine ? ` at line ${pr.retLine}` : ''}${pr.lastGoto ? ` (goto ${pr.lastGoto})` : ''}`, topo, 'probe-failed', errno));
      continue;
    }
    whileBoundCheck(p, topo, setup);
    let bound: Path[] = [p];
    if (input.testRemove) bound = testRemovePaths(p, ctx, input, bus, setup);
    for (const b of bound) {
      p = b;
      setPhase(p, 'remove');
      const removes = runCallback(p, ctx, input.driver.callbacks.remove ?? input.driver.callbacks.remove_new, 'remove');
      const ends: Path[] = [];
      for (const r of removes) {
        setPhase(r.path, 'unbind');
        busDmaCleanup(r.path.k, r.path.t, setup.device, bus);
        setPhase(r.path, 'devres');
        for (const q of runDevres(r.path, ctx)) {
          const d = q.k.state.devices.get(setup.device);
          if (d) d.driver = null;
          setPhase(q, 'unbind');
          endChecks(q, setup, start, 'unbind complete: state after remove, dma_cleanup and devres');
          userChecks(q, topo, setup);
          ends.push(q);
        }
      }
      out.push(...p2Scenario(ends, `${topo}: bind → probe → remove → unbind${input.testRemove ? ' (with test_remove re-probe)' : ''}`, topo, 'ok'));
    }
  }
  return finishScenarios(out);
}

function p2Scenario(paths: Path[], name: string, topology: TopologyKind, outcome: ScenarioResult['outcome'], errno?: string): ScenarioResult[] {
  return paths.map((p) => ({ name, topology, outcome, ...(errno ? { errno } : {}), trace: p.t.steps, violations: violationsOf(p) }));
}

/** really_probe failure after a successful dma_configure: dma_cleanup, then devres release (dd.c order). */
function finishFailure(p: Path, ctx: RunContext, bus: BusKind, setup: TopologySetup, start: GroupSnapshot | undefined): void {
  setPhase(p, 'probe-failure-cleanup');
  busDmaCleanup(p.k, p.t, setup.device, bus);
  setPhase(p, 'devres');
  const ends = runDevres(p, ctx);
  // devres actions rarely fork; keep the first end as this scenario's continuation.
  const q = ends[0] ?? p;
  if (q !== p) Object.assign(p, q);
  const d = p.k.state.devices.get(setup.device);
  if (d) d.driver = null;
  setPhase(p, 'probe-failure-cleanup');
  endChecks(p, setup, start, 'probe failed: state after dma_cleanup and devres');
}

/** CONFIG_DEBUG_TEST_DRIVER_REMOVE: remove, (6.6+) dma_cleanup, devres, then dma_configure and probe again. */
function testRemovePaths(p: Path, ctx: RunContext, input: DriverSimInput, bus: BusKind, setup: TopologySetup): Path[] {
  setPhase(p, 'test-remove');
  const out: Path[] = [];
  for (const r of runCallback(p, ctx, input.driver.callbacks.remove ?? input.driver.callbacks.remove_new, 'remove')) {
    if (r.path.k.profile.testRemoveCleanup) busDmaCleanup(r.path.k, r.path.t, setup.device, bus);
    else r.path.t.note(r.path.k, 'test_remove: no dma_cleanup on this path before 6.6 (0d5df49d0989)', 'void', setup.group);
    for (const q of runDevres(r.path, ctx)) {
      setPhase(q, 'test-remove');
      const cfg = busDmaConfigure(q.k, q.t, setup.device, bus);
      if (cfg.ret !== 0) continue;
      for (const again of runCallback(q, ctx, input.driver.callbacks.probe, 'probe')) {
        if (!again.failed) out.push(again.path);
      }
    }
  }
  return out;
}

// ───────────── functions alone ─────────────
export function simulateFunction(input: FunctionSimInput): ScenarioResult[] {
  const k = makeKernel(input.target, input.iommuApi);
  const role = input.role ?? { kind: 'generic' as const };
  const bus: BusKind = 'other';
  const setup = buildTopology(k, input.topology, bus);
  const ctx: RunContext = { facts: input.facts, file: input.facts.path, device: setup.device, budget: { forks: MAX_PATHS - 1 } };
  const topo = input.topology;
  const start = snapshot(k, setup.group);
  const dev = k.state.devices.get(setup.device);
  const p0 = newPath(k);
  const fn = input.fn;
  const args = fn.params.map((param) => unknown(/\*/.test(param.type) ? 'ptr' : 'int', param.name));

  if (role.kind === 'generic') {
    // The caller acts for a driver that manages DMA itself (an ioctl/open handler of a VFIO-like driver).
    if (dev) dev.driver = { name: 'caller', managedDma: true };
    setPhase(p0, 'generic');
    const out: ScenarioResult[] = [];
    for (const r of runFunction(p0, ctx, fn, args)) {
      const errno = r.ret?.kind === 'known' ? valueText(r.ret.value) : r.failed ? 'error' : '0';
      // A failing call must leave the group as it found it; a succeeding one may legitimately hold ownership.
      if (r.failed) endChecks(r.path, setup, start, `${fn.name} failed: state after return`);
      out.push({
        name: `${topo}: ${fn.name}() ${r.failed ? 'fails' : 'returns'}${r.retLine ? ` at line ${r.retLine}` : ''}${r.lastGoto ? ` (goto ${r.lastGoto})` : ''}`,
        topology: topo, outcome: r.failed ? 'probe-failed' : 'ok', ...(r.failed ? { errno } : {}), trace: r.path.t.steps, violations: violationsOf(r.path),
      });
    }
    return finishScenarios(out);
  }

  if (dev) dev.driver = { name: 'bound-driver', managedDma: role.driverManagedDma };
  const cleanupName = input.facts.busTypes.find((b) => b.dmaConfigure === fn.name)?.dmaCleanup;
  const out: ScenarioResult[] = [];
  if (role.kind === 'dma_configure') {
    setPhase(p0, 'dma_configure');
    for (const r of runFunction(p0, ctx, fn, [known({ kind: 'ptr', ptr: { kind: 'valid', ref: { kind: 'device', id: setup.device } } })])) {
      const p = r.path;
      if (r.failed) {
        endChecks(p, setup, start, `${fn.name} failed: state after return (really_probe calls no dma_cleanup)`);
        out.push({ name: `${topo}: ${fn.name}() fails${r.retLine ? ` at line ${r.retLine}` : ''}`, topology: topo, outcome: 'bind-failed',
          errno: r.ret?.kind === 'known' ? valueText(r.ret.value) : 'error', trace: p.t.steps, violations: violationsOf(p) });
        continue;
      }
      if (p.useErrors.length) {
        const i = p.t.note(p.k, `${fn.name}() returned 0 although iommu_device_use_default_domain failed (${p.useErrors.join(', ')})`, '0', setup.group);
        p.t.violate('error-return', `${fn.name}() swallowed ${p.useErrors[0]} from iommu_device_use_default_domain`, i, 'iommu_device_use_default_domain', p.useErrors[0]);
      }
      const ends: RunResult[] = [];
      const cleanup = cleanupName ? fnByName(ctx, cleanupName) : undefined;
      setPhase(p, 'dma_cleanup');
      if (cleanup) ends.push(...runFunction(p, ctx, cleanup, [known({ kind: 'ptr', ptr: { kind: 'valid', ref: { kind: 'device', id: setup.device } } })]));
      else {
        p.t.note(p.k, cleanupName ? `dma_cleanup: ${cleanupName}() (body not visible)` : 'dma_cleanup: no cleanup hook found for this bus', 'void', setup.group);
        ends.push({ path: p, ret: null, failed: false });
      }
      for (const e of ends) {
        endChecks(e.path, setup, start, 'after dma_configure then dma_cleanup');
        out.push({ name: `${topo}: ${fn.name}() then ${cleanupName ?? 'dma_cleanup'}()`, topology: topo, outcome: 'ok', trace: e.path.t.steps, violations: violationsOf(e.path) });
      }
    }
    return finishScenarios(out);
  }
  // dma_cleanup alone: start from the state the built-in configure model leaves.
  setPhase(p0, 'bind');
  const cfg = busDmaConfigure(k, p0.t, setup.device, 'platform');
  if (cfg.ret !== 0) {
    return [{ name: `${topo}: no bind (dma_configure ${errnoText(cfg.ret)})`, topology: topo, outcome: 'bind-failed', errno: errnoText(cfg.ret), trace: p0.t.steps, violations: violationsOf(p0) }];
  }
  setPhase(p0, 'dma_cleanup');
  for (const r of runFunction(p0, ctx, fn, [known({ kind: 'ptr', ptr: { kind: 'valid', ref: { kind: 'device', id: setup.device } } })])) {
    endChecks(r.path, setup, start, 'after dma_configure (built-in) then this dma_cleanup');
    out.push({ name: `${topo}: ${fn.name}() after a standard dma_configure`, topology: topo, outcome: 'ok', trace: r.path.t.steps, violations: violationsOf(r.path) });
  }
  return finishScenarios(out);
}
