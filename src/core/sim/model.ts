/**
 * The kernel model: IOMMU groups, devices, domains and owner cookies, and ONE FUNCTION PER KERNEL API over it.
 * Behaviour follows /work/shared/spec/kernel-semantics.md §1–§2 (paraphrased from drivers/iommu/iommu.c);
 * every API cites its source and version in a one-line comment. Version switches come from the Profile.
 * Pure data: a KernelState is copied with cloneState (the replay forks by copying).
 */
import type { BusKind, ViolationKind } from '../types';
import type { Profile } from './profiles';
import { ERRNO, ERRNO_NAME } from '../errno';

// ───────────── errnos (include/uapi/asm-generic/errno*.h values, as the kernel returns them negated) ─────────────
export { ERRNO } from '../errno';

/** "-EPERM" for -1, "0" for 0, the number otherwise. */
export function errnoText(value: number): string {
  if (value < 0 && ERRNO_NAME.has(-value)) return `-${ERRNO_NAME.get(-value)}`;
  return String(value);
}

/** include/linux/iommu.h (6.12) domain type values: what `domain->type` compares against. */
export const IOMMU_DOMAIN_TYPE: Record<string, number> = {
  IOMMU_DOMAIN_BLOCKED: 0, IOMMU_DOMAIN_IDENTITY: 4, IOMMU_DOMAIN_UNMANAGED: 1, IOMMU_DOMAIN_DMA: 3, IOMMU_DOMAIN_DMA_FQ: 11,
  IOMMU_DOMAIN_SVA: 16, IOMMU_DOMAIN_PLATFORM: 32, IOMMU_DOMAIN_NESTED: 64,
};
const KIND_TYPE: Record<DomainKind, number> = { dma: 3, identity: 4, paging: 1, blocked: 0, sva: 16 };

/** The `domain->type` value of a model domain. */
export function domainTypeValue(kind: DomainKind): number {
  return KIND_TYPE[kind];
}

/** include/linux/iommu.h (6.12): IOMMU_NO_PASID (0U), IOMMU_PASID_INVALID (-1U, an ioasid_t: 2^32 - 1). */
export const IOMMU_PASID_CONSTANTS: Record<string, number> = { IOMMU_NO_PASID: 0, IOMMU_PASID_INVALID: 0xffffffff };

/** Parses "-EBUSY", "EBUSY", "-16", "0", the IOMMU_DOMAIN_* type and IOMMU_*PASID* constants; undefined for anything else. */
export function parseErrno(text: string): number | undefined {
  const t = text.trim().replace(/^\((.*)\)$/, '$1').trim();
  if (/^-?\d+$/.test(t)) return Number(t);
  if (IOMMU_DOMAIN_TYPE[t] !== undefined) return IOMMU_DOMAIN_TYPE[t];
  if (IOMMU_PASID_CONSTANTS[t] !== undefined) return IOMMU_PASID_CONSTANTS[t];
  const m = /^(-)?\s*(E[A-Z0-9_]+)$/.exec(t);
  if (m && ERRNO[m[2]] !== undefined) return m[1] ? -ERRNO[m[2]] : ERRNO[m[2]];
  return undefined;
}

// ───────────── objects ─────────────
export type DomainKind = 'dma' | 'identity' | 'paging' | 'blocked' | 'sva';

export interface SimDomain {
  id: string;
  kind: DomainKind;
  freed: boolean;
  /** Who made it: the group's core domains, or driver code (the expression it was stored in). */
  origin: 'core' | 'driver';
  /** Stands for a domain made outside the replayed code (handed in, keyed by its text): not known to be private. */
  placeholder?: boolean;
}

export interface SimGroup {
  id: string;
  devices: string[];
  /** null until the IOMMU probe finished (6.14+: use_default_domain then defers). */
  defaultDomain: string | null;
  /** Allocated lazily by the first ownership claim. */
  blockingDomain: string | null;
  /** Currently attached domain (null = none). */
  domain: string | null;
  /** Owner cookie key; null = kernel DMA-API mode (or free when ownerCnt is 0). */
  owner: string | null;
  ownerCnt: number;
  /** pasid (number, or symbolic key) → domain id. */
  pasids: Map<string, string>;
  /** series v2–v4 iommu_attach_device_shared(): attachers of the shared private domain. */
  sharedAttach: { domain: string; count: number } | null;
}

export interface SimDevice {
  id: string;
  bus: BusKind;
  group: string | null;
  driver: { name: string; managedDma: boolean } | null;
  /** A device the driver under review created (platform_device_register_full & co.), not the one it is bound to. */
  createdByDriver?: boolean;
  /** An existing device the driver looked up (of_find_device_by_node & co.): bound to another driver, its own group. */
  lookedUp?: boolean;
  /** Where the device first got DMA-API mappings on this path: they live in the domain its group was on then. */
  dmaApi?: { api: string; at?: string };
  /** IOMMU features enabled on it (IOMMU_DEV_FEAT_SVA / _IOPF), by name. */
  features?: string[];
}

/** An iommu_sva handle (6.2+: wraps a pasid attachment of an SVA domain). */
export interface SvaHandle {
  id: string;
  device: string;
  mm: string;
  domain: string;
  pasid: string;
  users: number;
  unbound: boolean;
}

export interface KernelState {
  groups: Map<string, SimGroup>;
  devices: Map<string, SimDevice>;
  domains: Map<string, SimDomain>;
  sva: Map<string, SvaHandle>;
  nextId: number;
}

export interface Kernel {
  state: KernelState;
  profile: Profile;
  /** false models !CONFIG_IOMMU_API (include/linux/iommu.h stubs). */
  iommuApi: boolean;
}

// ───────────── resolved arguments and values ─────────────
/** A call argument after the replay resolved it against the scenario. */
export type SimArg =
  | { kind: 'device'; id: string }
  | { kind: 'group'; id: string | null }
  | { kind: 'domain'; id: string | null }
  | { kind: 'cookie'; key: string | null }
  | { kind: 'pasid'; key: string }
  | { kind: 'mm'; key: string }
  | { kind: 'sva-handle'; id: string | null }
  | { kind: 'int'; value: number }
  | { kind: 'unknown'; text: string };

/** What an object pointer points to. */
export type SimRef =
  | { kind: 'device'; id: string }
  | { kind: 'group'; id: string }
  | { kind: 'domain'; id: string }
  | { kind: 'sva'; id: string }
  | { kind: 'opaque' };

export type SimPointer = { kind: 'valid'; ref: SimRef } | { kind: 'null' } | { kind: 'err'; errno: number };

export type SimValue =
  | { kind: 'int'; value: number }
  | { kind: 'bool'; value: boolean }
  | { kind: 'ptr'; ptr: SimPointer }
  | { kind: 'void' };

export interface ApiOutcome {
  value: SimValue;
  /** Text of a WARN_ON that fired. */
  warn?: string;
  /** A domain used after iommu_domain_free(). */
  useAfterFree?: string;
  /** iommu_domain_free() of a domain a group still translates through: the group it is attached to. */
  freedWhileAttachedTo?: string;
  /** Short explanation of the decisive branch (shown in traces). */
  note?: string;
  /** A claim made with a NULL owner cookie (the replay's 'null-owner' violation; set by the call's dispatcher). */
  nullOwner?: boolean;
  /** What the kernel's answer means for the caller, as a typed violation (the tracer records it at the call's step). */
  violation?: ViolationKind;
}

/** Exhaustiveness guard for switches over discriminated unions. */
export function assertNever(x: never): never {
  throw new Error(`unexpected variant ${JSON.stringify(x)}`);
}

export const VOID: SimValue = { kind: 'void' };
export const int = (value: number): SimValue => ({ kind: 'int', value });
const ok = (note?: string): ApiOutcome => ({ value: int(0), note });
const fail = (errno: string, note: string): ApiOutcome => ({ value: int(-ERRNO[errno]), note });
const done = (note?: string, warn?: string): ApiOutcome => ({ value: VOID, note, warn });

export function valueText(v: SimValue): string {
  switch (v.kind) {
    case 'int': return errnoText(v.value);
    case 'bool': return v.value ? 'true' : 'false';
    case 'void': return 'void';
    case 'ptr':
      switch (v.ptr.kind) {
        case 'valid': return v.ptr.ref.kind === 'opaque' ? 'ptr' : `&${v.ptr.ref.id}`;
        case 'null': return 'NULL';
        case 'err': return `ERR_PTR(${errnoText(v.ptr.errno)})`;
        default: return assertNever(v.ptr);
      }
    default: return assertNever(v);
  }
}

/** True when an API's value reports failure (negative int, NULL or ERR_PTR). */
export function isFailureValue(v: SimValue): boolean {
  switch (v.kind) {
    case 'int': return v.value < 0;
    case 'ptr': return v.ptr.kind !== 'valid';
    case 'bool': case 'void': return false;
    default: return assertNever(v);
  }
}

// ───────────── state construction ─────────────
export function emptyState(): KernelState {
  return { groups: new Map(), devices: new Map(), domains: new Map(), sva: new Map(), nextId: 0 };
}

/**
 * A deep copy for a fork (each path changes its own state in place). Written out rather than structuredClone: the
 * replay copies the state at every fork, and the generic clone was a tenth of a scan's replay time.
 */
export function cloneState(s: KernelState): KernelState {
  const groups = new Map<string, SimGroup>();
  for (const [id, g] of s.groups) {
    groups.set(id, { ...g, devices: g.devices.slice(), pasids: new Map(g.pasids), sharedAttach: g.sharedAttach ? { ...g.sharedAttach } : null });
  }
  const devices = new Map<string, SimDevice>();
  for (const [id, d] of s.devices) {
    const c: SimDevice = { ...d, driver: d.driver ? { ...d.driver } : null };
    if (d.dmaApi) c.dmaApi = { ...d.dmaApi };
    if (d.features) c.features = d.features.slice();
    devices.set(id, c);
  }
  const domains = new Map<string, SimDomain>();
  for (const [id, d] of s.domains) domains.set(id, { ...d });
  const sva = new Map<string, SvaHandle>();
  for (const [id, h] of s.sva) sva.set(id, { ...h });
  return { groups, devices, domains, sva, nextId: s.nextId };
}

export function newDomain(s: KernelState, kind: DomainKind, origin: SimDomain['origin']): SimDomain {
  const d: SimDomain = { id: `dom${s.nextId++}`, kind, freed: false, origin };
  s.domains.set(d.id, d);
  return d;
}

/** A group as left by the IOMMU probe: default DMA domain attached, nobody bound. */
export function addGroup(s: KernelState, id: string, opts: { defaultKind?: 'dma' | 'identity'; noDefault?: boolean } = {}): SimGroup {
  const def = opts.noDefault ? null : newDomain(s, opts.defaultKind ?? 'dma', 'core');
  const g: SimGroup = {
    id, devices: [], defaultDomain: def?.id ?? null, blockingDomain: null, domain: def?.id ?? null,
    owner: null, ownerCnt: 0, pasids: new Map(), sharedAttach: null,
  };
  s.groups.set(id, g);
  return g;
}

export function addDevice(s: KernelState, id: string, bus: BusKind, group: string | null): SimDevice {
  const d: SimDevice = { id, bus, group, driver: null };
  s.devices.set(id, d);
  if (group) s.groups.get(group)?.devices.push(id);
  return d;
}

export function groupOf(k: Kernel, dev: string): SimGroup | undefined {
  const g = k.state.devices.get(dev)?.group;
  return g ? k.state.groups.get(g) : undefined;
}

/** "default" | "blocking" | "none" | "dom3(paging)" | "dom3(freed)" — how traces name the attached domain. */
export function domainName(s: KernelState, g: SimGroup, id: string | null): string {
  if (id === null) return 'none';
  if (id === g.defaultDomain) return 'default';
  if (id === g.blockingDomain) return 'blocking';
  const d = s.domains.get(id);
  return d ? `${d.id}(${d.freed ? 'freed' : d.kind})` : id;
}

/** Compact state of one group: `grp0{cnt=1 owner=- dom=default pasids=0}`. */
export function groupText(s: KernelState, groupId: string): string {
  const g = s.groups.get(groupId);
  if (!g) return `${groupId}{gone}`;
  return `${g.id}{cnt=${g.ownerCnt} owner=${g.owner ?? '-'} dom=${domainName(s, g, g.domain)} pasids=${g.pasids.size}}`;
}

export function stateText(s: KernelState, groupId?: string | null): string {
  if (groupId) return groupText(s, groupId);
  const all = [...s.groups.keys()].map((id) => groupText(s, id));
  return all.length ? all.join(' ') : 'no groups';
}

// ───────────── internal helpers (iommu.c static functions, paraphrased) ─────────────
function isPrivateDomain(g: SimGroup): boolean {
  return g.domain !== null && g.domain !== g.defaultDomain && g.domain !== g.blockingDomain;
}

/** __iommu_group_set_core_domain: blocking when owned, default otherwise. */
function setCoreDomain(k: Kernel, g: SimGroup): void {
  g.domain = g.owner !== null ? ensureBlocking(k, g) : g.defaultDomain;
}

/** Puts the group back on its core domain (the replay's "that detach did detach it" assumption). */
export function restoreCoreDomain(k: Kernel, g: SimGroup): void {
  setCoreDomain(k, g);
}

function ensureBlocking(k: Kernel, g: SimGroup): string {
  if (!g.blockingDomain) g.blockingDomain = newDomain(k.state, 'blocked', 'core').id;
  return g.blockingDomain;
}

/** Claim check shared by group and device claims (__iommu_take_dma_ownership). */
function takeOwnership(k: Kernel, g: SimGroup, owner: string): ApiOutcome | undefined {
  if (isPrivateDomain(g)) return fail('EBUSY', 'a private domain is attached');
  // 6.12 __iommu_take_dma_ownership: !xa_empty(&group->pasid_array) → -EBUSY
  if (k.profile.pasid && g.pasids.size > 0) return { ...fail('EBUSY', 'PASIDs are attached'), violation: 'claim-with-pasid-attached' };
  g.domain = ensureBlocking(k, g);
  g.owner = owner;
  g.ownerCnt = 1;
  return undefined;
}

/** __iommu_release_dma_ownership: back to the default domain. */
function dropOwnership(k: Kernel, g: SimGroup): void {
  g.ownerCnt = 0;
  g.owner = null;
  setCoreDomain(k, g);
}

function checkDomain(k: Kernel, id: string | null): string | undefined {
  if (id === null) return undefined;
  const d = k.state.domains.get(id);
  return d?.freed ? `${id} used after iommu_domain_free()` : undefined;
}

/**
 * An ownership call on a NULL group: iommu.c takes group->mutex unconditionally (claim/release/claimed/attach_group,
 * and device release / detach_device_pasid through dev->iommu_group), so the kernel oopses. Reported as a WARN-class
 * event naming the oops; the model returns as if nothing happened so the replay can continue.
 */
function nullGroupOops(api: string, why = 'the group is NULL'): ApiOutcome {
  return { value: VOID, note: `${why}: ${api}() dereferences it`, warn: `NULL pointer dereference in ${api}() (${why}) — kernel oops` };
}

// ───────────── merged ownership API (5.19+) ─────────────

// drivers/iommu/iommu.c iommu_device_use_default_domain (5.19 1ea2a07a532b; PASID check 6.2; -EPROBE_DEFER 6.14)
export function iommu_device_use_default_domain(k: Kernel, dev: string): ApiOutcome {
  if (!k.iommuApi) return ok('!CONFIG_IOMMU_API stub');
  const g = groupOf(k, dev);
  if (!g) return ok('device has no IOMMU group');
  if (k.profile.probeDefer && g.defaultDomain === null) return fail('EPROBE_DEFER', 'group has no default domain yet');
  if (g.ownerCnt > 0) {
    if (g.owner !== null) return fail('EBUSY', `group is owned by ${g.owner}`);
    // 6.0–6.6.y iommu_is_default_domain(): an IDENTITY current domain passes when the default is IDENTITY too.
    const bothIdentity = k.profile.identityCountsAsDefault && g.domain !== null && g.defaultDomain !== null
      && k.state.domains.get(g.domain)?.kind === 'identity' && k.state.domains.get(g.defaultDomain)?.kind === 'identity';
    if (g.domain !== g.defaultDomain && !bothIdentity) return fail('EBUSY', 'group is not on its default domain');
    if (k.profile.pasid && g.pasids.size > 0) return fail('EBUSY', 'PASIDs are attached');
  }
  g.ownerCnt++;
  return ok();
}

// drivers/iommu/iommu.c iommu_device_unuse_default_domain (5.19; PASID WARN 6.2): WARN and skip the decrement
export function iommu_device_unuse_default_domain(k: Kernel, dev: string): ApiOutcome {
  if (!k.iommuApi) return done('!CONFIG_IOMMU_API stub');
  const g = groupOf(k, dev);
  if (!g) return done('device has no IOMMU group');
  if (g.ownerCnt === 0) return done('not decremented', 'owner_cnt is already 0');
  if (k.profile.pasid && g.pasids.size > 0) return done('not decremented', `${g.pasids.size} PASID(s) still attached`);
  g.ownerCnt--;
  return done();
}

// drivers/iommu/iommu.c iommu_group_claim_dma_owner (5.19; NULL owner -EINVAL 6.2): exclusive, even for the same cookie
export function iommu_group_claim_dma_owner(k: Kernel, group: string | null, owner: string | null): ApiOutcome {
  if (!k.iommuApi) return fail('ENODEV', '!CONFIG_IOMMU_API stub');
  const g = group ? k.state.groups.get(group) : undefined;
  if (!g) return nullGroupOops('iommu_group_claim_dma_owner');
  if (owner === null && k.profile.nullOwnerEinval) return { ...fail('EINVAL', 'NULL owner cookie'), warn: 'owner is NULL' };
  if (g.ownerCnt !== 0) return fail('EPERM', g.owner ? `group already owned by ${g.owner}` : `${g.ownerCnt} DMA-API user(s) in the group`);
  const refused = takeOwnership(k, g, owner ?? 'NULL');
  if (refused) return refused;
  // 5.19 with a NULL cookie: owner stays NULL, so the group looks unowned to release (spec OWN-008).
  if (owner === null) g.owner = null;
  return ok();
}

// drivers/iommu/iommu.c iommu_group_release_dma_owner (5.19; PASID WARN 6.2): WARN and no-op without ownership
export function iommu_group_release_dma_owner(k: Kernel, group: string | null): ApiOutcome {
  if (!k.iommuApi) return done('!CONFIG_IOMMU_API stub');
  const g = group ? k.state.groups.get(group) : undefined;
  if (!g) return nullGroupOops('iommu_group_release_dma_owner');
  if (g.ownerCnt === 0 || g.owner === null) return done('nothing released', 'group is not owned');
  // 6.12 __iommu_release_dma_ownership: WARN_ON(!xa_empty(&group->pasid_array)), ownership kept
  if (k.profile.pasid && g.pasids.size > 0) return { ...done('nothing released', `${g.pasids.size} PASID(s) still attached`), violation: 'release-with-pasid-attached' };
  // 6.12 __iommu_release_dma_ownership sets owner_cnt = 0 whatever it was: device claims the same owner made with
  // iommu_device_claim_dma_owner() (each one count) are dropped with it, their devices back on the default domain.
  const others = g.ownerCnt - 1;
  const owner = g.owner;
  dropOwnership(k, g);
  if (others > 0) return { ...done(`owner_cnt ${others + 1} zeroed: ${others} other device claim(s) of ${owner} dropped`), violation: 'dropped-co-owner-claims' };
  return done();
}

// drivers/iommu/iommu.c iommu_group_dma_owner_claimed (5.19): owner_cnt != 0, true for plain DMA-API users too
export function iommu_group_dma_owner_claimed(k: Kernel, group: string | null): ApiOutcome {
  if (!k.iommuApi) return { value: { kind: 'bool', value: false }, note: '!CONFIG_IOMMU_API stub' };
  const g = group ? k.state.groups.get(group) : undefined;
  if (!g) return { ...nullGroupOops('iommu_group_dma_owner_claimed'), value: { kind: 'bool', value: false } };
  return { value: { kind: 'bool', value: g.ownerCnt !== 0 } };
}

// drivers/iommu/iommu.c iommu_device_claim_dma_owner (6.2 89395ccedbc1): same cookie counts, other cookies -EPERM
export function iommu_device_claim_dma_owner(k: Kernel, dev: string, owner: string | null): ApiOutcome {
  if (!k.iommuApi) return fail('ENODEV', '!CONFIG_IOMMU_API stub');
  if (owner === null) return { ...fail('EINVAL', 'NULL owner cookie'), warn: 'owner is NULL' };
  const g = groupOf(k, dev);
  if (!g) return fail('ENODEV', 'device has no IOMMU group');
  if (g.ownerCnt !== 0) {
    if (g.owner !== owner) return fail('EPERM', g.owner ? `group owned by ${g.owner}` : `${g.ownerCnt} DMA-API user(s) in the group`);
    g.ownerCnt++;
    return ok(`co-owner with ${owner}`);
  }
  return takeOwnership(k, g, owner) ?? ok();
}

// drivers/iommu/iommu.c iommu_device_release_dma_owner (6.2): cnt>1 → decrement (no cookie check), else full release
export function iommu_device_release_dma_owner(k: Kernel, dev: string): ApiOutcome {
  if (!k.iommuApi) return done('!CONFIG_IOMMU_API stub');
  const g = groupOf(k, dev);
  if (!g) return nullGroupOops('iommu_device_release_dma_owner', 'the device has no IOMMU group');
  if (g.ownerCnt > 1) {
    g.ownerCnt--;
    return done(g.owner === null ? 'decremented a DMA-API user count' : undefined);
  }
  return iommu_group_release_dma_owner(k, g.id);
}

// ───────────── domains ─────────────

// drivers/iommu/iommu.c iommu_domain_alloc(bus) (long-standing; removed 6.13 f6440fcc9c7b): NULL on failure
export function iommu_domain_alloc(k: Kernel, fail?: boolean): ApiOutcome {
  if (!k.iommuApi || fail) return { value: { kind: 'ptr', ptr: { kind: 'null' } }, note: fail ? 'allocation failed' : '!CONFIG_IOMMU_API stub' };
  const d = newDomain(k.state, 'paging', 'driver');
  return { value: { kind: 'ptr', ptr: { kind: 'valid', ref: { kind: 'domain', id: d.id } } } };
}

// drivers/iommu/iommu.c iommu_paging_domain_alloc(dev) (6.11): ERR_PTR on failure, -ENODEV without IOMMU
export function iommu_paging_domain_alloc(k: Kernel, dev: string, fail?: boolean): ApiOutcome {
  const err = (errno: string, note: string): ApiOutcome => ({ value: { kind: 'ptr', ptr: { kind: 'err', errno: -ERRNO[errno] } }, note });
  if (!k.iommuApi) return err('ENODEV', '!CONFIG_IOMMU_API stub');
  if (!groupOf(k, dev)) return err('ENODEV', 'device has no IOMMU');
  if (fail) return err('ENOMEM', 'allocation failed');
  const d = newDomain(k.state, 'paging', 'driver');
  return { value: { kind: 'ptr', ptr: { kind: 'valid', ref: { kind: 'domain', id: d.id } } } };
}

// drivers/iommu/iommu.c iommu_domain_free (long-standing): freeing an attached domain leaves the group on freed memory
export function iommu_domain_free(k: Kernel, domain: string | null): ApiOutcome {
  if (domain === null) return done('NULL domain');
  const d = k.state.domains.get(domain);
  if (!d) return done();
  if (d.freed) return { value: VOID, useAfterFree: `${domain} freed twice` };
  d.freed = true;
  const stillUsed = [...k.state.groups.values()].find((g) => g.domain === domain || [...g.pasids.values()].includes(domain));
  // iommu_domain_free() does not detach (iommu.c): the group keeps translating through freed page tables.
  if (stillUsed) return { value: VOID, note: `${domain} is still attached to ${stillUsed.id}`, freedWhileAttachedTo: stillUsed.id };
  return done();
}

// drivers/iommu/iommu.c iommu_get_domain_for_dev (long-standing): the group's current domain
export function iommu_get_domain_for_dev(k: Kernel, dev: string): ApiOutcome {
  const g = k.iommuApi ? groupOf(k, dev) : undefined;
  if (!g || g.domain === null) return { value: { kind: 'ptr', ptr: { kind: 'null' } } };
  return { value: { kind: 'ptr', ptr: { kind: 'valid', ref: { kind: 'domain', id: g.domain } } } };
}

// drivers/iommu/iommu.c iommu_group_get / iommu_group_put (trivial): the device's group or NULL
export function iommu_group_get(k: Kernel, dev: string): ApiOutcome {
  const g = k.iommuApi ? groupOf(k, dev) : undefined;
  return { value: { kind: 'ptr', ptr: g ? { kind: 'valid', ref: { kind: 'group', id: g.id } } : { kind: 'null' } } };
}
export function iommu_group_put(): ApiOutcome {
  return done();
}

// drivers/iommu/iommu.c __iommu_attach_group: only from NULL/default/blocking; no owner check
function attachGroupDomain(k: Kernel, g: SimGroup, domain: string): ApiOutcome {
  if (isPrivateDomain(g)) return { ...fail('EBUSY', `group already on ${domainName(k.state, g, g.domain)}`), violation: 'attach-while-attached' };
  g.domain = domain;
  return ok();
}

// drivers/iommu/iommu.c iommu_attach_device (singleton check since 426a273834ea): does not look at owner/owner_cnt
export function iommu_attach_device(k: Kernel, domain: string | null, dev: string): ApiOutcome {
  if (!k.iommuApi) return fail('ENODEV', '!CONFIG_IOMMU_API stub');
  const g = groupOf(k, dev);
  if (!g) return fail('ENODEV', 'device has no IOMMU group');
  if (domain === null) return fail('EINVAL', 'NULL domain');
  if (g.devices.length !== 1) return fail('EINVAL', `group has ${g.devices.length} devices`);
  const uaf = checkDomain(k, domain);
  return { ...attachGroupDomain(k, g, domain), useAfterFree: uaf };
}

// drivers/iommu/iommu.c iommu_detach_device (blocking-domain return since 0286300e6045): WARN + no-op on mismatch
export function iommu_detach_device(k: Kernel, domain: string | null, dev: string): ApiOutcome {
  if (!k.iommuApi) return done('!CONFIG_IOMMU_API stub');
  const g = groupOf(k, dev);
  if (!g) return done('device has no IOMMU group');
  if (domain === null || domain !== g.domain) {
    const out = done('domain stays attached', `detaching ${domain ?? 'NULL'} but ${domainName(k.state, g, g.domain)} is attached`);
    // WARN_ON(domain != group->domain) while a private domain is attached: that one stays (6.12 iommu.c:2149).
    return isPrivateDomain(g) ? { ...out, violation: 'detach-wrong-domain' } : out;
  }
  if (g.devices.length !== 1) return done('domain stays attached', `group has ${g.devices.length} devices`);
  const uaf = checkDomain(k, domain);
  setCoreDomain(k, g);
  return { ...done(), useAfterFree: uaf };
}

// drivers/iommu/iommu.c iommu_attach_group (long-standing): any group size, no owner check
export function iommu_attach_group(k: Kernel, domain: string | null, group: string | null): ApiOutcome {
  if (!k.iommuApi) return fail('ENODEV', '!CONFIG_IOMMU_API stub');
  const g = group ? k.state.groups.get(group) : undefined;
  if (!g) return { ...nullGroupOops('iommu_attach_group'), value: int(-ERRNO.ENODEV) };
  if (domain === null) return fail('EINVAL', 'NULL domain');
  const uaf = checkDomain(k, domain);
  return { ...attachGroupDomain(k, g, domain), useAfterFree: uaf };
}

// drivers/iommu/iommu.c iommu_detach_group (6.1: domain argument not checked): back to the core domain
export function iommu_detach_group(k: Kernel, domain: string | null, group: string | null): ApiOutcome {
  if (!k.iommuApi) return done('!CONFIG_IOMMU_API stub');
  const g = group ? k.state.groups.get(group) : undefined;
  if (!g) return done('NULL group');
  const uaf = checkDomain(k, domain);
  setCoreDomain(k, g);
  return { ...done(), useAfterFree: uaf };
}

/** Largest PASID the model's devices support (PCIe: 20 bits). */
export const MAX_PASIDS = 1 << 20;

function pasidNumber(key: string): number | undefined {
  return /^\d+$/.test(key) ? Number(key) : undefined;
}

// drivers/iommu/iommu.c iommu_attach_device_pasid (6.2 16603704559c; group-wide, IOMMU_NO_PASID check later)
export function iommu_attach_device_pasid(k: Kernel, domain: string | null, dev: string, pasid: string): ApiOutcome {
  if (!k.iommuApi) return fail('ENODEV', '!CONFIG_IOMMU_API stub');
  if (domain === null) return fail('EINVAL', 'NULL domain');
  const g = groupOf(k, dev);
  if (!g) return fail('ENODEV', 'device has no IOMMU group');
  const n = pasidNumber(pasid);
  // 6.12 iommu.c:3406 pasid == IOMMU_NO_PASID → -EINVAL; :3417 pasid >= max_pasids → -EINVAL (IOMMU_PASID_INVALID too)
  if (n !== undefined && k.profile.noPasidCheck && n === 0) return { ...fail('EINVAL', 'IOMMU_NO_PASID'), violation: 'invalid-pasid' };
  if (n !== undefined && n >= MAX_PASIDS) return { ...fail('EINVAL', n === IOMMU_PASID_CONSTANTS.IOMMU_PASID_INVALID ? 'IOMMU_PASID_INVALID >= max_pasids' : 'pasid >= max_pasids'), violation: 'invalid-pasid' };
  if (g.pasids.has(pasid)) return fail('EBUSY', `pasid ${pasid} already attached`);
  const uaf = checkDomain(k, domain);
  g.pasids.set(pasid, domain);
  // Before the IOMMU_NO_PASID check the core passes PASID 0 on: the RID's own entry is programmed as a PASID.
  if (n === 0) return { ...ok('PASID 0 is the RID itself (IOMMU_NO_PASID); this target does not refuse it'), useAfterFree: uaf, violation: 'invalid-pasid' };
  return { ...ok(), useAfterFree: uaf };
}

// drivers/iommu/iommu.c iommu_detach_device_pasid (6.2): entry removed anyway, WARN when it held another domain
export function iommu_detach_device_pasid(k: Kernel, domain: string | null, dev: string, pasid: string): ApiOutcome {
  if (!k.iommuApi) return done('!CONFIG_IOMMU_API stub');
  const g = groupOf(k, dev);
  if (!g) return nullGroupOops('iommu_detach_device_pasid', 'the device has no IOMMU group');
  const held = g.pasids.get(pasid);
  g.pasids.delete(pasid);
  if (held !== domain) {
    const what = `pasid ${pasid} held ${held ?? 'nothing'}, not ${domain ?? 'NULL'}`;
    // 6.2 WARNed; 6.12's iommu_detach_device_pasid erases the entry and runs remove_dev_pasid with the caller's domain.
    const out = k.profile.detachPasidWarn ? done('entry erased anyway', what) : done(`entry erased anyway, no WARN on ${k.profile.target} (${what})`);
    // Another domain's attachment is torn down through the wrong domain's ops (6.12 iommu.c:3456 __iommu_remove_group_pasid).
    return held !== undefined ? { ...out, violation: 'pasid-detach-mismatch' } : out;
  }
  return done();
}

// drivers/iommu/iommu-sva.c iommu_sva_bind_device (6.2 rework: SVA domain attached at the mm's pasid; ≤6.1 op-based, singleton only)
export function iommu_sva_bind_device(k: Kernel, dev: string, mm: string, fail?: boolean): ApiOutcome {
  const err = (errno: string, note: string): ApiOutcome => ({ value: { kind: 'ptr', ptr: { kind: 'err', errno: -ERRNO[errno] } }, note });
  if (!k.iommuApi) return err('ENODEV', '!CONFIG_IOMMU_API stub');
  const g = groupOf(k, dev);
  if (!g) return err('ENODEV', 'device has no IOMMU group');
  if (!k.profile.pasid && g.devices.length !== 1) return err('EINVAL', 'group is not a singleton');
  if (fail) return err('ENOMEM', 'allocation failed');
  const pasid = `mm:${mm}`;
  // 6.12+: the bond is found through the group's pasid entry, so a second device of the group reuses it.
  const existing = [...k.state.sva.values()].find((h) => !h.unbound && h.mm === mm
    && (h.device === dev || (k.profile.svaBondPerGroup && groupOf(k, h.device)?.id === g.id)));
  if (existing) {
    existing.users++;
    return { value: { kind: 'ptr', ptr: { kind: 'valid', ref: { kind: 'sva', id: existing.id } } }, note: 'reused the bond' };
  }
  if (k.profile.pasid && g.pasids.has(pasid)) return err('EBUSY', `pasid ${pasid} already attached`);
  const domain = newDomain(k.state, 'sva', 'driver');
  if (k.profile.pasid) g.pasids.set(pasid, domain.id);
  const h: SvaHandle = { id: `sva${k.state.nextId++}`, device: dev, mm, domain: domain.id, pasid, users: 1, unbound: false };
  k.state.sva.set(h.id, h);
  return { value: { kind: 'ptr', ptr: { kind: 'valid', ref: { kind: 'sva', id: h.id } } } };
}

// drivers/iommu/iommu-sva.c iommu_sva_unbind_device (6.2): detaches the pasid when the last user goes
export function iommu_sva_unbind_device(k: Kernel, handle: string | null): ApiOutcome {
  if (!k.iommuApi || handle === null) return done(handle === null ? 'NULL handle' : '!CONFIG_IOMMU_API stub');
  const h = k.state.sva.get(handle);
  if (!h) return done('unknown handle');
  if (h.unbound) return { value: VOID, useAfterFree: `${handle} unbound twice` };
  if (--h.users > 0) return done(`${h.users} user(s) left`);
  h.unbound = true;
  const g = groupOf(k, h.device);
  if (g && g.pasids.get(h.pasid) === h.domain) g.pasids.delete(h.pasid);
  const d = k.state.domains.get(h.domain);
  if (d) d.freed = true;
  return done();
}

// drivers/iommu/iommu.c iommu_probe_device (§1.2): hot-add joins the group on its current domain; no default attach when owned
export function iommu_probe_device(k: Kernel, dev: string, group: string): ApiOutcome {
  if (!k.iommuApi) return fail('ENODEV', '!CONFIG_IOMMU_API stub');
  const d = k.state.devices.get(dev);
  const g = k.state.groups.get(group);
  if (!d || !g) return fail('ENODEV', 'no such device/group');
  if (d.group) return ok('already probed');
  d.group = g.id;
  g.devices.push(dev);
  return ok(g.owner !== null ? `joined owned group on ${domainName(k.state, g, g.domain)}` : undefined);
}

// ───────────── series-era APIs (postings v1–v5, never merged; spec §2.3) ─────────────
/**
 * Reading of the postings: v1–v4 `iommu_device_set_dma_owner(dev, type, cookie)` — a kernel type (DMA_OWNER_KERNEL,
 * DMA_OWNER_DMA_API) takes a DMA-API count, a user/private type claims for the cookie (co-owners with the same cookie
 * count). Conflicts returned -EBUSY in the postings (the merged -EPERM came with v6), so the series profiles use -EBUSY.
 */
export type SeriesOwnerType = 'kernel' | 'user' | 'private' | 'none' | 'unknown';

export function seriesOwnerType(text: string): SeriesOwnerType {
  if (/DMA_OWNER_(KERNEL|DMA_API)/.test(text)) return 'kernel';
  if (/DMA_OWNER_PRIVATE_DOMAIN_USER|DMA_OWNER_USER/.test(text)) return 'user';
  if (/DMA_OWNER_PRIVATE_DOMAIN/.test(text)) return 'private';
  if (/DMA_OWNER_NONE/.test(text)) return 'none';
  return 'unknown';
}

function seriesConflict(o: ApiOutcome): ApiOutcome {
  // The postings refused conflicts with -EBUSY; translate the merged -EPERM.
  return o.value.kind === 'int' && o.value.value === -ERRNO.EPERM ? { ...o, value: int(-ERRNO.EBUSY) } : o;
}

// series v1–v4 iommu_device_set_dma_owner(dev, type, cookie) [L:20211115020552.2378167-1-baolu.lu@linux.intel.com]
export function iommu_device_set_dma_owner(k: Kernel, dev: string, type: SeriesOwnerType, cookie: string | null): ApiOutcome {
  if (type === 'kernel') return seriesConflict(iommu_device_use_default_domain(k, dev));
  if (type === 'none' || type === 'unknown') return fail('EINVAL', `owner type ${type}`);
  const key = cookie ?? (type === 'private' ? `private:${dev}` : null);
  if (key === null) return fail('EINVAL', 'user owner without a cookie');
  return seriesConflict(iommu_device_claim_dma_owner(k, dev, key));
}

// series v1–v4 iommu_device_release_dma_owner(dev, type): the 2-argument form (stale on every released kernel)
export function iommu_device_release_dma_owner_typed(k: Kernel, dev: string, type: SeriesOwnerType): ApiOutcome {
  if (type === 'kernel') return iommu_device_unuse_default_domain(k, dev);
  return iommu_device_release_dma_owner(k, dev);
}

// series v2–v5 iommu_group_set_dma_owner(group, [type,] cookie) → exclusive group claim
export function iommu_group_set_dma_owner(k: Kernel, group: string | null, cookie: string | null): ApiOutcome {
  return seriesConflict(iommu_group_claim_dma_owner(k, group, cookie ?? 'NULL'));
}

// series v2–v4 iommu_group_dma_owner_unclaimed(group): the negation of the merged _claimed
export function iommu_group_dma_owner_unclaimed(k: Kernel, group: string | null): ApiOutcome {
  const r = iommu_group_dma_owner_claimed(k, group);
  return { value: { kind: 'bool', value: !(r.value.kind === 'bool' && r.value.value) } };
}

/**
 * series v2–v4 iommu_attach_device_shared(domain, dev) (used by drm/tegra): our reading — the first attacher switches
 * the whole group to the shared private domain (any group size), later attachers of the SAME domain only count;
 * another domain while shared → -EBUSY. detach_device_shared drops a count; the last one returns to the core domain.
 */
export function iommu_attach_device_shared(k: Kernel, domain: string | null, dev: string): ApiOutcome {
  if (!k.iommuApi) return fail('ENODEV', '!CONFIG_IOMMU_API stub');
  const g = groupOf(k, dev);
  if (!g) return fail('ENODEV', 'device has no IOMMU group');
  if (domain === null) return fail('EINVAL', 'NULL domain');
  if (g.sharedAttach) {
    if (g.sharedAttach.domain !== domain) return fail('EBUSY', 'group shares another domain');
    g.sharedAttach.count++;
    return ok(`${g.sharedAttach.count} attachers`);
  }
  const r = attachGroupDomain(k, g, domain);
  if (r.value.kind === 'int' && r.value.value === 0) g.sharedAttach = { domain, count: 1 };
  return { ...r, useAfterFree: checkDomain(k, domain) };
}

export function iommu_detach_device_shared(k: Kernel, domain: string | null, dev: string): ApiOutcome {
  if (!k.iommuApi) return done('!CONFIG_IOMMU_API stub');
  const g = groupOf(k, dev);
  if (!g) return done('device has no IOMMU group');
  if (!g.sharedAttach || g.sharedAttach.domain !== domain) return done('nothing detached', `${domain ?? 'NULL'} is not the shared domain`);
  if (--g.sharedAttach.count > 0) return done(`${g.sharedAttach.count} attachers left`);
  g.sharedAttach = null;
  setCoreDomain(k, g);
  return done();
}

// ───────────── devices the driver creates ─────────────

// drivers/base/platform.c platform_device_register_full / platform_device_alloc+add, drivers/of/platform.c
// of_platform_device_create, drivers/base/core.c device_create / device_add: a NEW device. With an IOMMU it is
// probed when added to its bus (iommu_probe_device via the bus notifier / of_dma_configure) and joins a group of its
// own; the parent's group, owner and owner_cnt are not involved.
export function driver_created_device(k: Kernel, bus: BusKind, fail?: boolean): ApiOutcome {
  if (fail) return { value: { kind: 'ptr', ptr: { kind: 'err', errno: -ERRNO.ENOMEM } }, note: 'device creation failed' };
  const s = k.state;
  const id = `child${s.nextId++}`;
  const group = k.iommuApi ? addGroup(s, `grp-${id}`).id : null;
  const d = addDevice(s, id, bus, group);
  d.createdByDriver = true;
  return { value: { kind: 'ptr', ptr: { kind: 'valid', ref: { kind: 'device', id } } }, note: group ? `${id} in its own group ${group}` : `${id}, no IOMMU` };
}

// drivers/iommu/iommu.c iommu_release_device (via device_del): the device leaves its group; the group goes with its
// last device. Unregistering a device the driver did not create is not modelled (no effect).
export function driver_created_device_gone(k: Kernel, dev: string | null): ApiOutcome {
  const d = dev ? k.state.devices.get(dev) : undefined;
  if (!d || !d.createdByDriver) return done('not a device this driver created: no effect');
  const g = d.group ? k.state.groups.get(d.group) : undefined;
  if (g) {
    g.devices = g.devices.filter((x) => x !== d.id);
    if (g.devices.length === 0) k.state.groups.delete(g.id);
  }
  k.state.devices.delete(d.id);
  return done(`${d.id} removed${g ? ` from ${g.id}` : ''}`);
}

// drivers/base/core.c bus_find_device / drivers/of/platform.c of_find_device_by_node / drivers/pci/search.c pci_get_*:
// an EXISTING device, bound (as far as the replay knows) to another driver that uses the DMA API, in a group of its
// own (the IOMMU probe ran when it was added). NULL when nothing matches.
export function looked_up_device(k: Kernel, bus: BusKind, fail?: boolean): ApiOutcome {
  if (fail) return { value: { kind: 'ptr', ptr: { kind: 'null' } }, note: 'no such device' };
  const s = k.state;
  const id = `peer${s.nextId++}`;
  const group = k.iommuApi ? addGroup(s, `grp-${id}`).id : null;
  const d = addDevice(s, id, bus, group);
  d.lookedUp = true;
  d.driver = { name: `${id}'s driver`, managedDma: false };
  if (group) iommu_device_use_default_domain(k, id);
  return { value: { kind: 'ptr', ptr: { kind: 'valid', ref: { kind: 'device', id } } }, note: group ? `${id}, bound to its own DMA-API driver, in ${group}` : `${id}, no IOMMU` };
}

/**
 * Buses whose IOMMU groups hold devices bound to different drivers: PCI (functions behind one non-ACS bridge or a
 * multi-function device), fsl-mc (one DPRC container's objects), CDX. A SoC IOMMU (platform, amba, host1x) groups
 * the masters of one IP block by their stream / swgroup IDs, which one driver drives (tegra drm, host1x, tegra-vde).
 */
const GROUPS_SPAN_DRIVERS: ReadonlySet<BusKind> = new Set<BusKind>(['pci', 'fsl_mc', 'cdx']);

/**
 * Another driver's DMA-API device in the group `dev` is attached through: a group attach without ownership moves it to
 * the caller's domain (iommu_attach_group checks no owner), and while that stays, its bind fails -EBUSY.
 */
export function otherDriversDevice(k: Kernel, g: SimGroup, dev: string): SimDevice | undefined {
  if (g.owner !== null) return undefined;
  return g.devices.map((id) => k.state.devices.get(id)).find((d): d is SimDevice => !!d && d.id !== dev && !!d.driver
    && !d.driver.managedDma && (d.lookedUp === true || GROUPS_SPAN_DRIVERS.has(d.bus)));
}

/** Devices of the group with DMA-API mappings made while it was on its default domain. */
export function dmaMappedDevices(k: Kernel, g: SimGroup): SimDevice[] {
  return g.devices.map((id) => k.state.devices.get(id)).filter((d): d is SimDevice => !!d?.dmaApi);
}

/** True when the group translates through a domain the driver attached (not its default or blocking domain). */
export function onPrivateDomain(g: SimGroup): boolean {
  return isPrivateDomain(g);
}

// ───────────── per-device IOMMU features ─────────────

// drivers/iommu/iommu.c iommu_dev_enable_feature (6.12): the IOMMU driver's dev_enable_feat, -ENODEV without ops.
// Its success is what gates a driver's SVA / PASID path, so the replay forks on it (fail = the IOMMU refused).
export function iommu_dev_enable_feature(k: Kernel, dev: string, feature: string, fail?: boolean): ApiOutcome {
  if (!k.iommuApi) return fail_('ENODEV', '!CONFIG_IOMMU_API stub');
  const d = k.state.devices.get(dev);
  if (!d?.group) return fail_('ENODEV', 'device has no IOMMU');
  if (fail) return fail_('ENODEV', `the IOMMU driver does not support ${feature} for this device`);
  d.features = [...new Set([...(d.features ?? []), feature])];
  return ok(`${feature} enabled`);
}

// drivers/iommu/iommu.c iommu_dev_disable_feature (6.12)
export function iommu_dev_disable_feature(k: Kernel, dev: string, feature: string): ApiOutcome {
  const d = k.state.devices.get(dev);
  if (!k.iommuApi || !d?.group) return fail_('ENODEV', 'device has no IOMMU');
  if (!d.features?.includes(feature)) return fail_('EINVAL', `${feature} was not enabled`);
  d.features = d.features.filter((f) => f !== feature);
  return ok(`${feature} disabled`);
}

function fail_(errno: string, note: string): ApiOutcome {
  return fail(errno, note);
}
