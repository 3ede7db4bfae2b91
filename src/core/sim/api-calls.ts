/**
 * Argument resolution and dispatch of kernel API calls met in a program (heuristics: see replay.ts).
 */
import {
  cloneState, domainName, groupOf, isFailureValue, valueText, newDomain, seriesOwnerType,
  iommu_attach_device, iommu_attach_device_pasid, iommu_attach_device_shared, iommu_attach_group, iommu_detach_device,
  iommu_detach_device_pasid, iommu_detach_device_shared, iommu_detach_group, iommu_device_claim_dma_owner,
  iommu_device_release_dma_owner, iommu_device_release_dma_owner_typed, iommu_device_set_dma_owner,
  iommu_device_unuse_default_domain, iommu_device_use_default_domain, iommu_domain_alloc, iommu_domain_free,
  iommu_get_domain_for_dev, iommu_group_claim_dma_owner, iommu_group_dma_owner_claimed, iommu_group_dma_owner_unclaimed,
  iommu_group_get, iommu_group_put, iommu_group_release_dma_owner, iommu_group_set_dma_owner, iommu_paging_domain_alloc,
  iommu_sva_bind_device, iommu_sva_unbind_device, driver_created_device, driver_created_device_gone,
  iommu_dev_enable_feature, iommu_dev_disable_feature, IOMMU_PASID_CONSTANTS, MAX_PASIDS, looked_up_device, otherDriversDevice,
  dmaMappedDevices, onPrivateDomain,
  type ApiOutcome, type Kernel,
} from './model';
import { lookupApi } from './profiles';
import { DRIVER_ERRNO_CALLS } from './vocabulary';
import { evalArg, isNullText, known, lastComponent, lookupVar, normText, ownGlobals, top, type EnvVal, type Path, type RunContext } from './env';
import { placeText, type At } from './trace';
import type { BusKind } from '../types';

// ───────────── argument resolution ─────────────
export function deviceGroup(p: Path, ctx: RunContext, dev: string = ctx.device): string | null {
  return p.k.iommuApi ? (p.k.state.devices.get(dev)?.group ?? null) : null;
}

/**
 * The device a `struct device *` argument names: a device the driver created on this path (platform_device_register_full
 * and co., stored in the lvalue or reached through `&x->dev`), else the device the driver is bound to. A device the
 * path already unregistered is gone: calls on it act on no group.
 */
export function resolveDevice(p: Path, ctx: RunContext, text: string | undefined): string {
  if (text === undefined) return ctx.device;
  const v = evalArg(p, ctx, text);
  if (v.kind === 'known' && v.value.kind === 'ptr' && v.value.ptr.kind === 'valid' && v.value.ptr.ref.kind === 'device') return v.value.ptr.ref.id;
  return ctx.device;
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

/**
 * True when the group argument is NULL on this path for sure (a NULL literal, or an `iommu_group_get()` result the
 * path saw return NULL). An argument the replay cannot resolve is not assumed NULL: the device's own missing group
 * says nothing about a group pointer handed in from elsewhere.
 */
function groupKnownNull(p: Path, ctx: RunContext, text: string): boolean {
  const v = lookupVar(p, ctx, text);
  if (v?.kind === 'known' && v.value.kind === 'ptr') return v.value.ptr.kind === 'null';
  return isNullText(normText(text));
}

/** The outcome before the NULL-group oops was modelled, for a group the replay could not resolve. */
const UNRESOLVED_GROUP: Record<string, ApiOutcome> = {
  iommu_group_claim_dma_owner: { value: { kind: 'int', value: -19 }, note: 'no group resolved' },
  iommu_attach_group: { value: { kind: 'int', value: -19 }, note: 'no group resolved' },
  iommu_group_release_dma_owner: { value: { kind: 'void' }, note: 'no group resolved' },
  iommu_group_dma_owner_claimed: { value: { kind: 'bool', value: false }, note: 'no group resolved' },
};

/** Runs a group API, unless its group is unresolved (not known NULL): then the call has no effect. */
function onGroup(p: Path, c: RunContext, name: string, text: string, run: (g: string | null) => ApiOutcome): ApiCall {
  const g = resolveGroup(p, c, text);
  if (g === null && p.k.iommuApi && !groupKnownNull(p, c, text) && UNRESOLVED_GROUP[name]) return { out: UNRESOLVED_GROUP[name], group: null };
  return { out: run(g), group: g };
}

function domainFromVal(v: EnvVal | undefined): string | null | undefined {
  if (v?.kind !== 'known' || v.value.kind !== 'ptr') return undefined;
  if (v.value.ptr.kind !== 'valid') return null;
  return v.value.ptr.ref.kind === 'domain' ? v.value.ptr.ref.id : undefined;
}

/**
 * Domains stored under the same last field name (`priv->dom` for `ctx->dom`). A plain local is its own name, not a
 * field: `tegra->domain` is not the local `domain` that holds the device's current domain.
 */
function sameFieldDomains(p: Path, n: string): string[] {
  const isField = (t: string) => /->|\./.test(t);
  return [...p.globals.entries(), ...(p.frames.length ? [...top(p).vars.entries()] : [])]
    .filter(([key, val]) => lastComponent(key) === lastComponent(n) && (isField(key) || !isField(n)) && domainFromVal(val))
    .map(([, val]) => domainFromVal(val) as string);
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
  const byField = sameFieldDomains(p, n);
  if (new Set(byField).size === 1) return byField[0];
  const live = [...p.k.state.domains.values()].filter((d) => d.origin === 'driver' && !d.freed && d.kind === 'paging');
  if (live.length === 1) return live[0].id;
  // A domain made elsewhere (e.g. handed in by VFIO/iommufd): a placeholder keyed by its text.
  const placeholder = newDomain(p.k.state, 'paging', 'driver');
  placeholder.placeholder = true;
  ownGlobals(p).set(n, known({ kind: 'ptr', ptr: { kind: 'valid', ref: { kind: 'domain', id: placeholder.id } } }));
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
  if (n === 'IOMMU_PASID_INVALID') return String(IOMMU_PASID_CONSTANTS.IOMMU_PASID_INVALID);
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
type Handler = (p: Path, ctx: RunContext, a: string[], fail: boolean, where?: At) => ApiCall;

/** A domain argument resolved, or the lvalue that holds no domain the replay knows of. */
type DomainArg = { id: string | null } | { unknown: string; bound: boolean };

function domainOrUnknown(p: Path, ctx: RunContext, text: string): DomainArg {
  let n = normText(text);
  const v = lookupVar(p, ctx, n);
  const direct = domainFromVal(v);
  if (direct !== undefined) return { id: direct };
  if (v?.kind === 'unknown' && v.text) n = v.text;
  if (isNullText(n) || /^iommu_get_domain_for_dev\(/.test(n)) return { id: resolveDomain(p, ctx, n) };
  const byField = sameFieldDomains(p, n);
  if (new Set(byField).size === 1) return { id: byField[0] };
  return { unknown: n, bound: v !== undefined };
}

/**
 * Could code the replay did not run have stored a domain in `text`? Yes in a partial view, when a function is cut
 * or has gaps, when the lvalue holds a value from elsewhere (a parameter), or when any code of the file assigns it
 * or passes its address (`&priv->domain`); a struct field matches by field name (another base pointer may alias).
 */
function couldBeAssigned(ctx: RunContext, text: string, bound: boolean): boolean {
  if (bound || !ctx.facts.complete) return true;
  const isField = /->|\./.test(text);
  const same = (t: string) => {
    const n = normText(t).replace(/^&/, '');
    return isField ? /->|\./.test(n) && lastComponent(n) === lastComponent(text) : n === text;
  };
  for (const fn of ctx.facts.functions) {
    if (!fn.complete) return true;
    for (const instr of fn.program) {
      if (instr.op === 'gap') return true;
      if (instr.op === 'assign' && same(instr.target)) return true;
      if (instr.op === 'call') {
        if (instr.assignTo && same(instr.assignTo)) return true;
        if (instr.call.args.some((a) => /^&/.test(normText(a.text)) && same(a.text))) return true;
      }
    }
  }
  return false;
}

function isPrivate(g: { domain: string | null; defaultDomain: string | null; blockingDomain: string | null }): boolean {
  return g.domain !== null && g.domain !== g.defaultDomain && g.domain !== g.blockingDomain;
}

/**
 * iommu_detach_device(domain, dev) whose domain lvalue the replay never saw assigned, while a private domain is
 * attached: it may be that domain (assigned in code not shown), so no WARN; the domain stays attached but is not
 * flagged later (and a conflicting call assumes it was detached). If nothing in the file can assign the lvalue,
 * it cannot be that domain: nothing is detached and the end checks name this detach.
 */
function unknownDetach(p: Path, ctx: RunContext, arg: { unknown: string; bound: boolean }, where: At | undefined): ApiCall | undefined {
  const g = groupOf(p.k, ctx.device);
  if (!p.k.iommuApi || !g || !isPrivate(g) || g.devices.length !== 1) return undefined;
  const domain = g.domain as string;
  const name = domainName(p.k.state, g, domain);
  if (couldBeAssigned(ctx, arg.unknown, arg.bound)) {
    (p.maybeDetached ??= new Map()).set(domain, { text: arg.unknown, ...(where ? { at: where } : {}) });
    return { out: { value: { kind: 'void' }, note: `${arg.unknown} is not assigned on this path: it may be ${name}, kept attached (not flagged)` }, group: g.id };
  }
  (p.unknownDetaches ??= []).push({ text: arg.unknown, domain, ...(where ? { at: where } : {}) });
  // The lvalue still holds its initial NULL: WARN_ON(domain != group->domain) fires (6.12 iommu.c:2149).
  return {
    out: { value: { kind: 'void' }, note: `${arg.unknown} is never assigned in this file: it cannot be ${name}, which stays attached`,
      warn: `detaching ${arg.unknown} (never assigned) but ${name} is attached`, violation: 'detach-wrong-domain' },
    group: g.id,
  };
}

/**
 * The release names exist in two eras with different argument counts (2-argument series v1–v4 forms, 1-argument
 * 5.19/6.2+ forms). A form the target does not have is not replayed as the one it does have: it would not build,
 * so it changes nothing (stale-api-name reports it).
 */
function otherEraForm(p: Path, name: string, args: string[]): ApiOutcome | undefined {
  if (lookupApi(name, p.k.profile.target, args.length)?.exists !== false) return undefined;
  return { value: { kind: 'void' }, note: `the ${args.length}-argument form does not exist on ${p.k.profile.target}: no effect` };
}

/**
 * Lookups that change no state and report nothing themselves (model.ts): the current domain, and taking and putting
 * the group reference (iommu_group_put(NULL) is a no-op). What the driver does with the answer is its own code;
 * iommu_get_domain_for_dev also makes the replay try the IDENTITY and no-default-domain kinds (replay.ts
 * defaultDomainKinds), where the group stays on its default all the same unless another call of the API moves it.
 */
export const STATE_FREE_LOOKUPS = new Set(['iommu_get_domain_for_dev', 'iommu_group_get', 'iommu_group_put']);

/** Driver-core calls that create a device other than the bound one (each gets its own group, model.ts). */
export const DEVICE_CREATORS = new Set([
  'platform_device_register_full', 'platform_device_register_simple', 'platform_device_register_data',
  'platform_device_register_resndata', 'platform_device_alloc', 'of_platform_device_create', 'device_create',
  'device_create_with_groups', 'auxiliary_device_create',
]);
/** Calls that return an existing device other than the bound one, and its bus (model.ts looked_up_device). */
export const DEVICE_LOOKUPS: Record<string, BusKind> = {
  of_find_device_by_node: 'platform', bus_find_device: 'other', bus_find_device_by_name: 'other', bus_find_device_by_of_node: 'other',
  pci_get_device: 'pci', pci_get_slot: 'pci', pci_get_domain_bus_and_slot: 'pci',
};
/** Calls that take a created device away again (device_del → iommu_release_device). */
export const DEVICE_DESTROYERS = new Set(['platform_device_unregister', 'platform_device_put', 'of_platform_device_destroy', 'device_unregister', 'auxiliary_device_destroy']);

/** A call's device argument resolved (resolveDevice), the API run on it, and the group it acted on. */
function onDevice(p: Path, c: RunContext, text: string | undefined, run: (dev: string) => ApiOutcome): ApiCall {
  const dev = resolveDevice(p, c, text);
  return { out: run(dev), group: deviceGroup(p, c, dev) };
}

/**
 * The forced failure of an attach the model lets succeed: the IOMMU driver's attach_dev error, or a domain from
 * another IOMMU instance (6.12 __iommu_attach_group: dev_iommu_ops(dev) != domain->owner → -EINVAL). Callers'
 * unwind paths after a failed attach are real paths.
 */
function attachFails(fail: boolean): ApiOutcome | undefined {
  return fail ? { value: { kind: 'int', value: -22 }, note: 'the IOMMU driver refused the domain (attach_dev error / ops mismatch, assumed -EINVAL)' } : undefined;
}

/**
 * A claim that takes ownership of a free group can still fail: 6.12 __iommu_take_dma_ownership allocates the blocking
 * domain and attaches it, and either can fail (-ENOMEM; -EINVAL for a require_direct device). Only when the model
 * would take ownership from owner_cnt 0: a co-owner's claim allocates nothing.
 */
function forcedClaimFailure(p: Path, fail: boolean, group: string | null, model: (k: Kernel) => ApiOutcome): ApiOutcome | undefined {
  if (!fail || !group || (p.k.state.groups.get(group)?.ownerCnt ?? 1) !== 0) return undefined;
  const trial: Kernel = { ...p.k, state: cloneState(p.k.state) };
  if (isFailureValue(model(trial).value)) return undefined;
  return { value: { kind: 'int', value: -12 }, note: 'the blocking domain could not be allocated or attached (assumed -ENOMEM)' };
}

/** On the forced-failure side: the model's own refusal when it refuses anyway, else the driver's -EINVAL. */
function forcedAttachFailure(p: Path, fail: boolean, model: (k: Kernel) => ApiOutcome): ApiOutcome | undefined {
  if (!fail) return undefined;
  const trial: Kernel = { ...p.k, state: cloneState(p.k.state) };
  const r = model(trial);
  return isFailureValue(r.value) ? r : attachFails(true);
}

/** An indexed element (`domains[i]`) may name another object each time the code meets it: no identity across calls. */
const indexed = (text: string | undefined): boolean => /\[/.test(text ?? '');

/**
 * Remembers a failed attach on the path, so a detach of it can be told from a detach of another domain. Only within the
 * function that attached (its unwind): a callback run later may reasonably not know that its probe's attach failed.
 */
function noteFailedAttach(p: Path, r: ApiCall, key: string, domainText: string | undefined): ApiCall {
  if (isFailureValue(r.out.value) && !indexed(domainText)) (p.failedAttaches ??= []).push(`${top(p).fn.name}|${key}`);
  return r;
}

/**
 * The outermost function returned success although an attach or a claim of its own failed on this path: the error was
 * swallowed, so a later callback or partner has nothing to detach or release (the kernel WARNs). Marks the failed
 * attaches as counting for every function of the path from here on, not only the one that attached; true when
 * anything failed.
 */
export function swallowedAcquireFailures(p: Path): boolean {
  const keys = (p.failedAttaches ?? []).map((k) => k.slice(k.indexOf('|') + 1));
  // Only domain attaches carry over to a later detach: iommu_detach_device() WARNs in the core (6.12 iommu.c:2149)
  // on a domain that is not attached; a PASID detach of nothing just erases an empty entry there. A failed claim
  // (`own:`) needs no mark: the release of a group nobody owns WARNs by itself in the model.
  const domains = keys.filter((k) => k.startsWith('dom:'));
  if (domains.length) p.failedAttaches = [...(p.failedAttaches ?? []), ...domains.map((k) => `*|${k}`)];
  return domains.length > 0 || keys.some((k) => k.startsWith('own:'));
}

/** A detach the kernel refuses (nothing of it attached) of what failed to attach on this path: typed as such. */
function detachOfFailed(p: Path, r: ApiCall, key: string, kind: 'detach-not-attached' | 'pasid-detach-not-attached', domainText: string | undefined): ApiCall {
  const failed = p.failedAttaches?.includes(`${top(p).fn.name}|${key}`) || p.failedAttaches?.includes(`*|${key}`);
  if (r.out.violation || indexed(domainText) || !failed) return r;
  if (kind === 'detach-not-attached' && !r.out.warn) return r;
  return { ...r, out: { ...r.out, violation: kind, note: `${r.out.note ? `${r.out.note}; ` : ''}its attach failed on this path` } };
}

/**
 * The owner cookie is what tells an explicit owner from DMA-API users (counted with owner == NULL): a claim with a
 * NULL cookie is the 'null-owner' violation on every target — 6.2+ refuse it (iommu.c: WARN_ON(!owner), -EINVAL, in
 * both claims), 5.19/6.1 take it (owner stays NULL, so iommu_group_release_dma_owner WARNs and never releases).
 */
function nullOwner(cookie: string | null, out: ApiOutcome): ApiOutcome {
  return cookie === null ? { ...out, nullOwner: true } : out;
}

/** Allocation APIs, device creation and attaches fork on failure. */
export const CAN_FAIL = new Set([...Object.keys(DEVICE_LOOKUPS), 'iommu_alloc_global_pasid', 'iommu_domain_alloc', 'iommu_paging_domain_alloc', 'iommu_sva_bind_device', 'iommu_attach_device', 'iommu_attach_group', 'iommu_attach_device_pasid', 'iommu_dev_enable_feature',
  'iommu_group_claim_dma_owner', 'iommu_device_claim_dma_owner', ...DEVICE_CREATORS]);
/** Deterministic failures of these, called from driver code, are 'error-return' violations. */
export const OWNERSHIP_APIS = new Set(DRIVER_ERRNO_CALLS);

export const HANDLERS: Record<string, Handler> = {
  iommu_device_use_default_domain: (p, c, a) => onDevice(p, c, a[0], (d) => iommu_device_use_default_domain(p.k, d)),
  iommu_device_use_dma_api: (p, c, a) => onDevice(p, c, a[0], (d) => iommu_device_use_default_domain(p.k, d)),
  iommu_device_unuse_default_domain: (p, c, a) => onDevice(p, c, a[0], (d) => iommu_device_unuse_default_domain(p.k, d)),
  iommu_device_unuse_dma_api: (p, c, a) => onDevice(p, c, a[0], (d) => iommu_device_unuse_default_domain(p.k, d)),
  iommu_group_claim_dma_owner: (p, c, a, fail) => onGroup(p, c, 'iommu_group_claim_dma_owner', a[0] ?? '', (g) => {
    const cookie = resolveCookie(p, c, a[1] ?? 'NULL');
    return nullOwner(cookie, forcedClaimFailure(p, fail, g, (k) => iommu_group_claim_dma_owner(k, g, cookie)) ?? iommu_group_claim_dma_owner(p.k, g, cookie));
  }),
  iommu_group_release_dma_owner: (p, c, a) => onGroup(p, c, 'iommu_group_release_dma_owner', a[0] ?? '',
    (g) => otherEraForm(p, 'iommu_group_release_dma_owner', a) ?? iommu_group_release_dma_owner(p.k, g)),
  iommu_group_dma_owner_claimed: (p, c, a) => onGroup(p, c, 'iommu_group_dma_owner_claimed', a[0] ?? '', (g) => iommu_group_dma_owner_claimed(p.k, g)),
  iommu_group_dma_owner_unclaimed: (p, c, a) => {
    const g = resolveGroup(p, c, a[0] ?? '');
    return { out: iommu_group_dma_owner_unclaimed(p.k, g), group: g };
  },
  iommu_device_claim_dma_owner: (p, c, a, fail) => onDevice(p, c, a[0], (d) => {
    const cookie = resolveCookie(p, c, a[1] ?? 'NULL');
    return nullOwner(cookie, forcedClaimFailure(p, fail, deviceGroup(p, c, d), (k) => iommu_device_claim_dma_owner(k, d, cookie)) ?? iommu_device_claim_dma_owner(p.k, d, cookie));
  }),
  iommu_device_release_dma_owner: (p, c, a) => onDevice(p, c, a[0], (d) =>
    otherEraForm(p, 'iommu_device_release_dma_owner', a) ?? (a.length >= 2 ? iommu_device_release_dma_owner_typed(p.k, d, seriesOwnerType(a[1])) : iommu_device_release_dma_owner(p.k, d))),
  iommu_device_set_dma_owner: (p, c, a) => onDevice(p, c, a[0], (d) => {
    const type = seriesOwnerType(a[1] ?? '');
    const cookie = resolveCookie(p, c, a[2] ?? 'NULL');
    const out = iommu_device_set_dma_owner(p.k, d, type, cookie);
    // Only a user owner names itself by the cookie (v1–v4: DMA_OWNER_USER / _PRIVATE_DOMAIN_USER).
    return a.length === 3 && type === 'user' ? nullOwner(cookie, out) : out;
  }),
  iommu_group_set_dma_owner: (p, c, a) => {
    const g = resolveGroup(p, c, a[0] ?? '');
    const cookie = resolveCookie(p, c, a[a.length - 1] ?? 'NULL');
    const out = iommu_group_set_dma_owner(p.k, g, cookie);
    // v5: (group, owner); v2–v4: (group, type, cookie), a cookie only for a user type.
    const names = a.length === 2 || (a.length === 3 && seriesOwnerType(a[1]) === 'user');
    return { out: names ? nullOwner(cookie, out) : out, group: g };
  },
  iommu_attach_device: (p, c, a, fail) => {
    const dom = resolveDomain(p, c, a[0] ?? '');
    const r = onDevice(p, c, a[1], (d) => forcedAttachFailure(p, fail, (k) => iommu_attach_device(k, dom, d)) ?? iommu_attach_device(p.k, dom, d));
    return privateAttachEffects(p, c, noteFailedAttach(p, r, `dom:${dom}`, a[0]), a[1], false);
  },
  iommu_detach_device: (p, c, a, _fail, where) => {
    const dev = resolveDevice(p, c, a[1]);
    const d = domainOrUnknown(p, c, a[0] ?? '');
    if ('unknown' in d) {
      const r = unknownDetach(p, { ...c, device: dev }, d, where);
      if (r) return r;
    }
    const dom = 'unknown' in d ? resolveDomain(p, c, a[0] ?? '') : d.id;
    return detachOfFailed(p, { out: iommu_detach_device(p.k, dom, dev), group: deviceGroup(p, c, dev) }, `dom:${dom}`, 'detach-not-attached', a[0]);
  },
  iommu_attach_device_shared: (p, c, a) => onDevice(p, c, a[1], (d) => iommu_attach_device_shared(p.k, resolveDomain(p, c, a[0] ?? ''), d)),
  iommu_detach_device_shared: (p, c, a) => onDevice(p, c, a[1], (d) => iommu_detach_device_shared(p.k, resolveDomain(p, c, a[0] ?? ''), d)),
  iommu_attach_group: (p, c, a, fail) => {
    const dom = resolveDomain(p, c, a[0] ?? '');
    const r = onGroup(p, c, 'iommu_attach_group', a[1] ?? '', (g) => forcedAttachFailure(p, fail, (k) => iommu_attach_group(k, dom, g)) ?? iommu_attach_group(p.k, dom, g));
    return privateAttachEffects(p, c, r, undefined, true);
  },
  iommu_detach_group: (p, c, a) => {
    const g = resolveGroup(p, c, a[1] ?? '');
    return { out: iommu_detach_group(p.k, resolveDomain(p, c, a[0] ?? ''), g), group: g };
  },
  iommu_attach_device_pasid: (p, c, a, fail) => {
    let key = '';
    const r = onDevice(p, c, a[1], (d) => {
      const dom = resolveDomain(p, c, a[0] ?? '');
      const pasid = resolvePasid(p, { ...c, device: d }, a[2] ?? '');
      key = `pasid:${d}:${pasid}:${dom}`;
      return forcedAttachFailure(p, fail, (k) => iommu_attach_device_pasid(k, dom, d, pasid)) ?? iommu_attach_device_pasid(p.k, dom, d, pasid);
    });
    return noteFailedAttach(p, r, key, `${a[0] ?? ''}${a[2] ?? ''}`);
  },
  iommu_detach_device_pasid: (p, c, a) => {
    let key = '';
    const r = onDevice(p, c, a[1], (d) => {
      const dom = resolveDomain(p, c, a[0] ?? '');
      const pasid = resolvePasid(p, { ...c, device: d }, a[2] ?? '');
      key = `pasid:${d}:${pasid}:${dom}`;
      return iommu_detach_device_pasid(p.k, dom, d, pasid);
    });
    return detachOfFailed(p, r, key, 'pasid-detach-not-attached', `${a[0] ?? ''}${a[2] ?? ''}`);
  },
  // drivers/iommu/iommu.c iommu_alloc_global_pasid (6.6): a PASID from the global IDA, IOMMU_PASID_INVALID when none is left
  iommu_alloc_global_pasid: (p, c, _a, fail) => ({
    out: fail ? { value: { kind: 'int', value: IOMMU_PASID_CONSTANTS.IOMMU_PASID_INVALID }, note: 'no PASID left (IOMMU_PASID_INVALID)' }
      : { value: { kind: 'int', value: 1 + (p.k.state.nextId++ % (MAX_PASIDS - 1)) } },
    group: deviceGroup(p, c),
  }),
  iommu_free_global_pasid: (p, c) => ({ out: { value: { kind: 'void' } }, group: deviceGroup(p, c) }),
  iommu_sva_bind_device: (p, c, a, fail) => onDevice(p, c, a[0], (d) => iommu_sva_bind_device(p.k, d, normText(a[1] ?? 'mm'), fail)),
  iommu_sva_unbind_device: (p, c, a) => ({ out: iommu_sva_unbind_device(p.k, resolveSva(p, c, a[0] ?? '')), group: deviceGroup(p, c) }),
  iommu_domain_alloc: (p, c, _a, fail) => ({ out: iommu_domain_alloc(p.k, fail), group: deviceGroup(p, c) }),
  iommu_paging_domain_alloc: (p, c, a, fail) => onDevice(p, c, a[0], (d) => iommu_paging_domain_alloc(p.k, d, fail)),
  iommu_domain_free: (p, c, a) => {
    const domain = resolveDomain(p, c, a[0] ?? '');
    const out = iommu_domain_free(p.k, domain);
    // Freed while a group still uses it is a use after free, unless a detach the replay could not resolve may have
    // detached it ("may be the same", see replay.ts): then nothing is claimed.
    const unsure = domain !== null && (p.maybeDetached?.has(domain) || p.unknownDetaches?.some((u) => u.domain === domain));
    if (out.freedWhileAttachedTo && !unsure) {
      return { out: { ...out, useAfterFree: `${domain} freed while still attached to ${out.freedWhileAttachedTo} (no detach before iommu_domain_free)` }, group: out.freedWhileAttachedTo };
    }
    return { out, group: deviceGroup(p, c) };
  },
  iommu_get_domain_for_dev: (p, c, a) => onDevice(p, c, a[0], (d) => iommu_get_domain_for_dev(p.k, d)),
  iommu_group_get: (p, c, a) => onDevice(p, c, a[0], (d) => iommu_group_get(p.k, d)),
  iommu_group_put: (p, c) => ({ out: iommu_group_put(), group: deviceGroup(p, c) }),
  iommu_dev_enable_feature: (p, c, a, fail) => onDevice(p, c, a[0], (d) => iommu_dev_enable_feature(p.k, d, normText(a[1] ?? 'feature'), fail)),
  iommu_dev_disable_feature: (p, c, a) => onDevice(p, c, a[0], (d) => iommu_dev_disable_feature(p.k, d, normText(a[1] ?? 'feature'))),
};

for (const [name, bus] of Object.entries(DEVICE_LOOKUPS)) {
  HANDLERS[name] = (p, c, _a, fail) => ({ out: looked_up_device(p.k, bus, fail), group: deviceGroup(p, c) });
}

/**
 * The device a `struct device *` text surely names: a device the replay made or looked up, or the bound device when the
 * text is the usual spelling of it (`dev`, `&pdev->dev`, `priv->dev`). Another member (`hc->ctx_dev`) may be any device.
 */
export function surelyNamedDevice(p: Path, ctx: RunContext, text: string | undefined): string | undefined {
  if (text === undefined) return undefined;
  const v = evalArg(p, ctx, text);
  if (v.kind === 'known' && v.value.kind === 'ptr' && v.value.ptr.kind === 'valid' && v.value.ptr.ref.kind === 'device') return v.value.ptr.ref.id;
  const parts = normText(text).replace(/^&/, '').split(/->|\./);
  return parts[parts.length - 1] === 'dev' && parts.every((x) => /^\w+$/.test(x)) ? ctx.device : undefined;
}

/**
 * A DMA-API mapping call met on the path: the device keeps DMA-API mappings from now on; made while its group is on a
 * private domain, they go to an IOVA space the device does not translate through. Returns the violation text, if any.
 */
export function dmaApiUse(p: Path, ctx: RunContext, name: string, args: string[], where: At): string | undefined {
  if (!p.k.iommuApi) return undefined;
  const dev = surelyNamedDevice(p, ctx, args[0]);
  const d = dev ? p.k.state.devices.get(dev) : undefined;
  const g = d?.group ? p.k.state.groups.get(d.group) : undefined;
  if (!d || !g) return undefined;
  d.dmaApi ??= { api: name, at: placeText(where) };
  if (!onPrivateDomain(g)) return undefined;
  return `${name}(${dev}) maps through the DMA API while ${domainName(p.k.state, g, g.domain)} is attached to ${g.id}: the IOVA is made in the default domain, which ${dev} no longer translates through`;
}

/** After an attach to a private domain: the violations it causes (another driver's device moved, live DMA-API mappings). */
function privateAttachEffects(p: Path, c: RunContext, r: ApiCall, devText: string | undefined, groupAttach: boolean): ApiCall {
  const g = r.group ? p.k.state.groups.get(r.group) : undefined;
  if (!g || isFailureValue(r.out.value) || !onPrivateDomain(g)) return r;
  const dev = groupAttach ? c.device : surelyNamedDevice(p, c, devText);
  if (groupAttach) {
    const other = otherDriversDevice(p.k, g, c.device);
    if (other) {
      return { ...r, out: { ...r.out, violation: 'attach-group-unowned',
        note: `${g.id} is not owned and holds ${other.id} (${other.driver?.name ?? 'another driver'}, DMA-API): it is moved to ${domainName(p.k.state, g, g.domain)} too` } };
    }
  }
  const mapped = dev ? dmaMappedDevices(p.k, g).filter((d) => groupAttach || d.id === dev) : [];
  if (mapped.length) {
    const m = mapped[0];
    return { ...r, out: { ...r.out, violation: 'dma-api-on-private-domain',
      note: `${m.id} has DMA-API mappings (${m.dmaApi?.api}() at ${m.dmaApi?.at}) in the default domain: they stop translating` } };
  }
  return r;
}

for (const name of DEVICE_CREATORS) {
  HANDLERS[name] = (p, c, _a, fail) => ({ out: driver_created_device(p.k, name.startsWith('device_create') ? 'other' : 'platform', fail), group: deviceGroup(p, c) });
}
for (const name of DEVICE_DESTROYERS) {
  HANDLERS[name] = (p, c, a) => {
    const v = evalArg(p, c, a[0] ?? '');
    const id = v.kind === 'known' && v.value.kind === 'ptr' && v.value.ptr.kind === 'valid' && v.value.ptr.ref.kind === 'device' ? v.value.ptr.ref.id : null;
    const group = id ? deviceGroup(p, c, id) : deviceGroup(p, c);
    return { out: driver_created_device_gone(p.k, id), group };
  };
}

/**
 * Should the replay fork a failing side for this call here? Only a CAN_FAIL API, and only when the forced failure
 * differs from what the model answers anyway (a claim the group refuses with -EPERM is not forked a second time).
 */
export function forksOnFailure(p: Path, ctx: RunContext, name: string, args: string[]): boolean {
  if (!CAN_FAIL.has(name)) return false;
  if (/alloc|bind_device|^platform_device|^of_platform|^device_create|^auxiliary/.test(name)) return true;
  const run = (fail: boolean) => {
    const q: Path = { ...p, stateToken: undefined, k: { ...p.k, state: cloneState(p.k.state) }, globals: new Map(p.globals), frames: p.frames.map((f) => ({ ...f, vars: new Map(f.vars) })) };
    return valueText(HANDLERS[name](q, ctx, args, fail).out.value);
  };
  return run(false) !== run(true);
}

/** Names the replay simulates (the model's API functions). */
export function simulatedApiNames(): string[] {
  // Device lookups only resolve which device a call names: alone they make no file relevant (the scan prefilter's needles).
  return Object.keys(HANDLERS).filter((name) => !(name in DEVICE_LOOKUPS));
}

/** Simulated on this target? Allocation/lookup helpers always are; others only when the name exists there. */
export function simulatedOn(k: Kernel, name: string): boolean {
  if (/^iommu_(domain_alloc|paging_domain_alloc|domain_free|get_domain_for_dev|group_get|group_put)$/.test(name)) return true;
  if (DEVICE_CREATORS.has(name) || DEVICE_DESTROYERS.has(name) || name in DEVICE_LOOKUPS) return true;
  // Per-device features (iommu.c; present in 6.1 and 6.12): replayed on every merged target.
  if (name === 'iommu_dev_enable_feature' || name === 'iommu_dev_disable_feature') return k.profile.series === 0;
  // The global PASID allocator (iommu.c, 6.6): on the targets whose core refuses IOMMU_NO_PASID (6.12 has both).
  if (name === 'iommu_alloc_global_pasid' || name === 'iommu_free_global_pasid') return k.profile.noPasidCheck;
  return lookupApi(name, k.profile.target)?.exists === true;
}
