/**
 * Replay: interprets FunctionFact.program (types.ts Instr) over the kernel model, inside the driver-core lifecycle.
 *
 * Choices, documented here once:
 * - Paths: a pc-based interpreter; an unknown branch condition FORKS, and each side REFINES the tested variable
 *   (failing side: -EIO / NULL / ERR_PTR(-ENOMEM); other side: 0 / a valid pointer). Allocation APIs
 *   (iommu_domain_alloc, iommu_paging_domain_alloc, iommu_sva_bind_device) also fork on allocation failure.
 *   At most MAX_PATHS live forks per scenario run (a merged path gives its fork back; MAX_FORKS_TAKEN bounds all
 *   forks taken, merged ones included; after either the fall-through side is taken) and MAX_STEPS per path;
 *   hitting any is recorded on every scenario of the run (ScenarioResult.budget), never silent. A path that reaches
 *   a join point (label, jump target) in the same state as an earlier one (kernel model, variables the rest of the
 *   function reads, fields, memory below, devres, violations so far) is dropped: its future is the earlier path's.
 *   Fields count only when what can still run reads them: the rest of the running functions and what they call, the
 *   devres actions, and the functions that run after the entry point (remove, a lifecycle partner) unless the entry
 *   point can only fail from there. Arguments of calls the replay does not interpret are not reads.
 * - Path memory (env.ts Remembered): a condition over operands not written since the path decided it is not forked
 *   again — text conditions (`container->noiommu != ...`), compares with named constants (`x == A` true makes
 *   `x == B` false for another constant B), and pure predicates (test_bit, list_empty, capable, is_* / *_enabled /
 *   *_supported, bool helpers of the file whose bodies only call such predicates), which also never fail with an
 *   errno. A write is an assignment, a call's result, or `&lvalue` handed to a non-pure call; a write to `x` also
 *   forgets what was decided about `x->f`. Calls with a pointer argument (not its address) are assumed not to
 *   change fields the caller tests.
 * - Fields at their initial value (heuristic): a struct field that functions of a whole file write, when every one
 *   of them has run on the path and none wrote it, is 0 when tested (driver private data is zero-allocated).
 * - Fields of private data under two names (heuristic): fields are keyed by their lvalue text; a tested field not
 *   stored under its own text, whose base is the driver's private data (a name with priv/drvdata, or a value from
 *   `*_priv()`, `*get_drvdata()`, `container_of()`, `to_*()`), reads an entry stored through another plain base with
 *   the same field path (`priv->use_tz` for `ar_snoc->use_tz`) when all such entries agree.
 * - Unknown return values: a path returns failure when it took a failure-refining fork (or saw an API fail) since
 *   the last API that succeeded; otherwise success.
 * - Argument resolution (heuristic): every device-position argument is the driver's device (driver code only names
 *   its own device); groups resolve from `iommu_group_get()` results, else to the device's group; domains, SVA handles
 *   and pasids resolve through the variable or lvalue they were stored in (`priv->domain` and `domain` are distinct
 *   keys unless assigned from each other), then by the same last field name, then to the single live domain the driver
 *   allocated; an unresolved domain becomes a placeholder domain keyed by its text. Exception: iommu_detach_device()
 *   through an lvalue never assigned on the path while a private domain is attached is "may be the same" — no WARN,
 *   the domain stays attached, is not flagged at the end, and a later attach/claim assumes it was detached; only when
 *   nothing in a whole file can assign that lvalue (no assignment, no `&lvalue`, no gaps) is the domain flagged. Owner cookies are keyed by their
 *   text (`NULL`/`0` → NULL). Symbolic pasids are keyed by text and matched by last field name.
 * - Names that do not exist on the target (stale series names) have no effect; an existing name called with another
 *   arity is still simulated (the arity itself is a rule's business).
 * - DMA mask setters (dma_set_mask & co.) whose mask is provably at least 32 bits wide return 0: dma-direct and
 *   dma-iommu accept every such mask (dma-mask.ts; only arch ops with their own .dma_supported could refuse one).
 * - Unknown callees and `gap` instructions have no effect; unknown call results are typed by a name heuristic
 *   (`ret`/`rc`/`err` → int; *alloc/_get/_create/ioremap → pointer; else int).
 * - `devm_add_action[_or_reset](dev, fn, data)` always succeeds (0); fn (a function of the file, or a kernel API
 *   registered directly) runs with `data` at devres release, LIFO, AFTER dma_cleanup (dd.c order, spec §1.3).
 * - Helpers of the same file are executed with their arguments on the caller's path (depth ≤ 4, no recursion), so
 *   what they claim, attach, release or detach, error unwinds included, counts for the caller; a backward goto is
 *   taken at most twice. Each helper call is a nested run whose ends are memoised (summaries.ts) under what it can
 *   read (arguments, the fields and decisions it or its callees read, the model state unless it neither calls a
 *   modelled API nor reads the model): the same call in the same situation reuses them without forking again, and
 *   ends that differ only in their trace continue as one.
 * - Violations: every WARN (double-release / bad-detach when that is what it is), use-after-free, deterministic errors
 *   of ownership/attach APIs called by driver code ('error-return'), and after unbind or a failed probe/call: the group
 *   compared with how the scenario found it (left-owned, leaked-owner-cnt, left-private-domain, pasid-leak), then a
 *   user-space claim ('claim-failed'). While bound, a refused VFIO claim is 'claim-failed' only in a singleton group
 *   whose DMA-API-bound driver hands the device to user space (vfio_register_group_dev & co., or a vfio_pci_core_*
 *   callback): for any other DMA-API driver the refusal is the kernel working as designed.
 *   A succeeding generic function may legitimately keep ownership: no end checks.
 * - Traces explain themselves: a fork on an unknown value adds a step at the branch when its side assumed a failure
 *   ("foo_init() fails (assumed -EIO on this path)") or the condition is opaque; a callback's `return` adds
 *   `return ret = -EIO`; WARNs are `WARN: …` results of the call; end-check violations are `✗ <when>: …` steps
 *   naming the call that caused them (result = the violation kind), kept as the last steps, else one `✓` step.
 */
import type { BusKind, ScenarioResult, TopologyKind, TraceStep, Violation, ViolationKind } from '../types';
import type { DriverSimInput, FunctionSimInput } from './index';
import {
  addDevice, cloneState, domainName, emptyState, errnoText, isFailureValue, restoreCoreDomain, stateText, valueText,
  iommu_device_unuse_default_domain, iommu_device_use_default_domain, iommu_group_claim_dma_owner, iommu_group_release_dma_owner,
  iommu_group_set_dma_owner, iommu_probe_device, type ApiOutcome, type Kernel,
} from './model';
import { getProfile } from './profiles';
import { PARKING_CALL, setsManagedDma, VFIO_PCI_CORE_FIELD } from './vocabulary';
import { busDmaCleanup, busDmaConfigure } from './driver-core';
import { buildTopology, USER_COOKIE, type DefaultDomainKind, type TopologySetup } from './topology';
import { placeText, type ApiEvent, type GroupFields, type Phase } from './trace';
import { known, makeFrame, makeRunContext, unknown, type Path, type RunContext, type RunResult } from './env';
import { HANDLERS, deviceGroup, simulatedOn, swallowedAcquireFailures } from './api-calls';
import { RELEASES_OF, destructorCallbackReleases } from './teardown';
import { functionsWithBodyReached } from '../c/call-graph';
import { at, fnByName, newPath, runDevres, runFunction } from './interpreter';
import { driverAccessPolicy } from './device-access';
import { coOwnerClaims, coOwnerReleases } from './co-owner';

// ───────────── lifecycle ─────────────
export interface GroupSnapshot { ownerCnt: number; owner: string | null; domain: string | null; pasids: Set<string> }

export function snapshot(k: Kernel, group: string | null): GroupSnapshot | undefined {
  const g = group ? k.state.groups.get(group) : undefined;
  return g ? { ownerCnt: g.ownerCnt, owner: g.owner, domain: g.domain, pasids: new Set(g.pasids.keys()) } : undefined;
}

/** The last API step on `group` whose after-state satisfies `now` while its before-state did not. */
function culprit(p: Path, group: string, changed: (before: GroupFields, after: GroupFields) => boolean): ApiEvent | undefined {
  for (let i = p.t.events.length - 1; i >= 0; i--) {
    const e = p.t.events[i];
    if (e.group === group && e.before && e.after && changed(e.before, e.after)) return e;
  }
  return undefined;
}

function apiAt(e: ApiEvent | undefined): string {
  if (!e) return 'code the replay did not see';
  return e.at ? `${e.api}() at ${placeText(e.at)}` : e.via ? `${e.via}` : `${e.api}()`;
}

/**
 * Compares the group with how the scenario found it and ends the trace with the verdict: one `✗` step per
 * violation (naming the call that caused it), or one `✓` step. `when` says which moment is checked ("after unbind").
 */
function endChecks(p: Path, setup: TopologySetup, start: GroupSnapshot | undefined, when: string): void {
  emitVerdicts(p, endFindings(p, setup, start), when);
}

/** What the end checks found, kept until the trace's last steps (user-space steps may come in between). */
export interface EndFindings {
  group: string | null;
  found: { kind: ViolationKind; message: string; api?: string; errno?: string }[];
  /** The ✓ sentence when nothing was found, and the state it describes. */
  fine: string;
  state: string;
}

export function emitVerdicts(p: Path, end: EndFindings, when: string): void {
  for (const f of end.found) {
    const i = p.t.verdict(p.k, end.group, f.kind, when, f.message, f.api, f.errno);
    Object.assign(p.t.steps[i], { before: end.state, after: end.state });
  }
  if (!end.found.length) {
    // The state may be fine while an earlier step (a WARN, a refused call) was not: point there instead of ticking.
    const earlier = p.t.violations[0];
    const i = earlier
      ? p.t.note(p.k, `${when}: ${end.fine} — but see step ${earlier.stepIndex + 1} (${earlier.kind})`, 'as found', end.group)
      : p.t.note(p.k, `✓ ${when}: ${end.fine}`, 'ok', end.group);
    Object.assign(p.t.steps[i], { before: end.state, after: end.state });
  }
}

export function endFindings(p: Path, setup: TopologySetup, start: GroupSnapshot | undefined): EndFindings {
  const group = setup.group;
  const g = group ? p.k.state.groups.get(group) : undefined;
  const found: EndFindings['found'] = [];
  let assumed = '';
  if (g && start) {
    // A detach through an lvalue the replay never saw assigned may have detached the private domain: not flagged.
    const maybe = g.domain ? p.maybeDetached?.get(g.domain) : undefined;
    if (maybe && g.domain !== start.domain) {
      assumed = `, assuming ${maybe.text} (detached at ${placeText(maybe.at)}) was ${domainName(p.k.state, g, g.domain)}`;
      restoreCoreDomain(p.k, g);
    }
    if (g.owner !== start.owner) {
      const claim = culprit(p, g.id, (b, a) => a.owner === g.owner && b.owner !== g.owner);
      const released = claim && p.t.events.some((e) => e.index > claim.index && e.group === g.id && /release|unuse/.test(e.api));
      found.push({
        kind: 'left-owned',
        message: `${g.id} still owned by '${g.owner ?? 'NULL'}' (owner_cnt=${g.ownerCnt}) — ${released ? 'the release did not drop' : 'nothing released'} the claim taken by ${apiAt(claim)}`,
      });
    } else if (g.ownerCnt !== start.ownerCnt) {
      if (g.ownerCnt > start.ownerCnt) {
        const took = culprit(p, g.id, (b, a) => a.ownerCnt > b.ownerCnt);
        const refused = took && [...p.t.events].reverse().find((e) => e.index > took.index && e.group === g.id && e.warned && /unuse|release/.test(e.api));
        found.push({
          kind: 'leaked-owner-cnt',
          message: `owner_cnt of ${g.id} is ${g.ownerCnt}, was ${start.ownerCnt}: ${g.ownerCnt - start.ownerCnt} count(s) leaked — taken by ${apiAt(took)}, ${refused ? `not dropped by ${apiAt(refused)} (it WARNed)` : 'never dropped'}`,
        });
      } else {
        const dropped = culprit(p, g.id, (b, a) => a.ownerCnt < b.ownerCnt);
        found.push({
          kind: 'leaked-owner-cnt',
          message: `owner_cnt of ${g.id} is ${g.ownerCnt}, was ${start.ownerCnt}: ${apiAt(dropped)} dropped a count it never took`,
        });
      }
    }
    // An owned group sits on its blocking domain: that is the left-owned violation, not a second one.
    const onOwnBlocking = g.owner !== start.owner && g.domain === g.blockingDomain;
    if (g.domain !== start.domain && !onOwnBlocking) {
      const d = g.domain ? p.k.state.domains.get(g.domain) : undefined;
      const attach = culprit(p, g.id, (b, a) => a.domain === g.domain && b.domain !== g.domain);
      const detach = p.unknownDetaches?.find((u) => u.domain === g.domain);
      const why = detach
        ? `${detach.text}, detached at ${placeText(detach.at)}, is never assigned in this file, so nothing detached it`
        : 'nothing detached it';
      if (d?.freed) {
        found.push({ kind: 'use-after-free', message: `${g.id} is left on ${d.id}, which was freed — attached by ${apiAt(attach)}, ${why}` });
      } else {
        found.push({
          kind: 'left-private-domain',
          message: `${g.id} is left on ${d ? `${d.id} (${d.kind})` : 'no domain'} instead of its core domain — attached by ${apiAt(attach)}, ${why}`,
        });
      }
    }
    const leaked = [...g.pasids.keys()].filter((key) => !start.pasids.has(key));
    if (leaked.length) {
      const attach = culprit(p, g.id, (b, a) => a.pasids > b.pasids);
      found.push({ kind: 'pasid-leak', message: `pasid(s) ${leaked.join(', ')} still attached to ${g.id} — attached by ${apiAt(attach)}, never detached` });
    }
  }
  // Devices the driver created and never unregistered keep their group: a private domain left on one is left behind.
  for (const d of p.k.state.devices.values()) {
    const cg = d.createdByDriver && d.group ? p.k.state.groups.get(d.group) : undefined;
    if (!cg || cg.domain === null || cg.domain === cg.defaultDomain || cg.domain === cg.blockingDomain) continue;
    const attach = culprit(p, cg.id, (b, a) => a.domain === cg.domain && b.domain !== cg.domain);
    found.push({ kind: 'left-private-domain', message: `${d.id} (created by the driver, still registered) is left on ${domainName(p.k.state, cg, cg.domain)} — attached by ${apiAt(attach)}, nothing detached it` });
  }
  const handles = [...p.k.state.sva.values()].filter((h) => !h.unbound && h.device === setup.device);
  if (handles.length && !(g && handles.every((h) => g.pasids.has(h.pasid)))) {
    found.push({ kind: 'pasid-leak', message: `SVA bond(s) ${handles.map((h) => h.id).join(', ')} never unbound` });
  }
  const fine = g ? `${g.id} as found (owner_cnt=${g.ownerCnt}, owner ${g.owner ?? 'none'}, ${domainName(p.k.state, g, g.domain)} domain${g.pasids.size ? `, ${g.pasids.size} pasid(s)` : ''})` : 'no IOMMU group involved';
  return { group, found, fine: `${fine}${assumed}`, state: stateText(p.k.state, group) };
}

export function setPhase(p: Path, phase: Phase): void {
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

/** User space after unbind; a refused claim joins the end findings (shown with them as the last steps). */
function userChecks(p: Path, topology: TopologyKind, setup: TopologySetup, end: EndFindings): void {
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
    const errno = errnoText(out.value.value);
    const why = out.note?.split(' — ').slice(1).join(' — ');
    end.found.push({ kind: 'claim-failed', message: `user space cannot claim ${group}: ${claimName}() returns ${errno}${why ? ` (${why})` : ''}`, api: claimName, errno });
  }
}

/** While bound: would a VFIO claim of the group succeed? Tried on a copy, so the main trace state is untouched. */
/**
 * While bound: would a VFIO claim of the group succeed? Tried on a copy, so the main trace state is untouched.
 * It is a 'claim-failed' violation only where user space is meant to claim: a singleton group whose driver hands
 * the device to user space (`handoff`) yet bound as a kernel DMA-API user (no honoured ownership flag).
 */
function whileBoundCheck(p: Path, topology: TopologyKind, setup: TopologySetup, driver?: { name: string; flag: boolean; handoff?: string; idle?: boolean }): void {
  if (!setup.group || !p.k.iommuApi || topology === 'user-owned') return;
  const trial: Kernel = { ...p.k, state: cloneState(p.k.state) };
  const g = p.k.state.groups.get(setup.group);
  const dmaApiBound = !!g && g.owner === null && g.ownerCnt > 0;
  const { name, out } = userClaim(trial, setup.group);
  const prev = p.t.phase;
  setPhase(p, 'user');
  p.t.note(p.k, `while bound: user space tries ${name}(${setup.group}, vfio) (trial, state unchanged)${out.note ? ` — ${out.note}` : ''}`,
    valueText(out.value), setup.group);
  const handoff = p.handoff ?? driver?.handoff;
  if (driver && !driver.flag && handoff && topology === 'singleton' && dmaApiBound && isFailureValue(out.value) && out.value.kind === 'int') {
    const errno = errnoText(out.value.value);
    p.t.verdict(p.k, setup.group, 'claim-failed', 'while bound',
      `user space cannot claim ${setup.group} (${name}() returns ${errno}): ${driver.name} hands the device to user space (${handoff}) but bound as a kernel DMA-API user (owner_cnt=${g?.ownerCnt ?? 0}) because it does not set the ownership flag`,
      name, errno);
    p.t.violations[p.t.violations.length - 1].handoff = handoff;
  } else if (driver?.idle && !driver.flag && !handoff && topology === 'singleton' && dmaApiBound && isFailureValue(out.value) && out.value.kind === 'int') {
    // A driver that never does DMA holds its count for nothing: the refusal is the cost of the missing flag.
    const errno = errnoText(out.value.value);
    p.t.verdict(p.k, setup.group, 'idle-driver-blocks-claim', 'while bound',
      `user space cannot claim ${setup.group} (${name}() returns ${errno}): ${driver.name} does no DMA and no MMIO, yet bound as a kernel DMA-API user (owner_cnt=${g?.ownerCnt ?? 0}) because it does not set the ownership flag`,
      name, errno);
  }
  // Second actor: a device hot-added to the group binds a DMA-API driver (spec §2.2, first column).
  const hot: Kernel = { ...p.k, state: cloneState(p.k.state) };
  addDevice(hot.state, 'hot0', 'pci', null);
  iommu_probe_device(hot, 'hot0', setup.group);
  const bind = iommu_device_use_default_domain(hot, 'hot0');
  p.t.note(p.k, `while bound: a device hot-added to ${setup.group} binds a DMA-API driver → iommu_device_use_default_domain(hot0) (trial, state unchanged)${bind.note ? ` — ${bind.note}` : ''}`,
    valueText(bind.value), setup.group);
  setPhase(p, prev);
}

/**
 * series v2–v4 iommu_attach_device_shared(): meant for several devices of a driver on one domain (drm/tegra's use;
 * our reading of the postings, see model.ts). While bound, a domain the driver allocated itself that is shared by
 * exactly one attacher, and no other shared attach anywhere, is the plain iommu_attach_device() case, which keeps the
 * single-device-group check the _shared variant skips: a 'shared-attach-single-device' violation on the attach step.
 */
function sharedSingleAttach(p: Path): void {
  const shared = [...p.k.state.groups.values()].filter((g) => g.sharedAttach);
  if (shared.length !== 1 || shared[0].sharedAttach?.count !== 1) return;
  const domain = p.k.state.domains.get(shared[0].sharedAttach.domain);
  if (!domain || domain.origin !== 'driver' || domain.placeholder || domain.freed) return;
  const attach = [...p.t.events].reverse().find((e) => e.api === 'iommu_attach_device_shared' && !e.warned);
  if (!attach) return;
  p.t.violate('shared-attach-single-device',
    `${domainName(p.k.state, shared[0], domain.id)} is shared by one attacher only (${shared[0].id}): the _shared variant skips the single-device-group check of iommu_attach_device()`,
    attach.index, 'iommu_attach_device_shared', undefined, shared[0].id);
}

/** A vfio_pci_core_* helper wired into the driver struct hands the device to user space even without a visible call. */
function staticHandoff(input: DriverSimInput): string | undefined {
  const field = input.driver.fields.find((f) => VFIO_PCI_CORE_FIELD.test(f.value.trim()));
  return field ? `.${field.name} = ${field.value.trim()}` : undefined;
}

/**
 * The whole file is visible and does nothing but log and keep driver data (no DMA, no MMIO, no IOMMU API): a count its bind takes serves no kernel
 * DMA of this driver (a partial view may hide the DMA, so it is never idle).
 */
function doesNoDeviceWork(input: DriverSimInput): boolean {
  const f = input.facts;
  if (!f.complete || f.dmaApi.length > 0 || f.mmio.length > 0) return false;
  // Every call is to the file's own functions or logging / driver-data bookkeeping: a call outside the file (a
  // library, the IOMMU API) may do DMA the replay cannot see, so the driver is not known to be idle.
  // Without its probe in view, what the driver does when bound is unseen.
  if (!f.functions.some((x) => x.name === input.driver.callbacks.probe && x.program.length > 0)) return false;
  const local = new Set(f.functions.map((fn) => fn.name));
  const names = new Set<string>();
  for (const cb of Object.values(input.driver.callbacks)) {
    const fn = f.functions.find((x) => x.name === cb && x.program.length > 0);
    if (fn) for (const n of functionsWithBodyReached(f, fn)) names.add(n);
  }
  const code = f.functions.filter((fn) => names.has(fn.name));
  return code.every((fn) => fn.complete && fn.calls.every((c) => local.has(c.callee) || PARKING_CALL.test(c.callee)));
}

function driverFlag(input: DriverSimInput): boolean {
  return setsManagedDma(input.driver, input.target);
}

/** Fork and return steps only explain a path: paths that differ in nothing else are one scenario (as before they existed). */
function isExplanation(t: { step: string; result: string }): boolean {
  return t.result === 'taken' || t.result === 'not taken' || /^return\b/.test(t.step);
}

function scenarioKey(s: ScenarioResult): string {
  const shown = s.trace.filter((t) => !isExplanation(t));
  return JSON.stringify([s.outcome, s.errno, shown.map((t) => [t.step, t.result, t.after]), s.violations.map((v) => [v.kind, s.trace[v.stepIndex]?.step])]);
}

/** Lookups that change nothing: a run of them says less than one line naming them. */
const LOOKUP_STEP = /^(iommu_group_get|iommu_group_put|iommu_get_domain_for_dev|iommu_group_dma_owner_claimed|iommu_group_dma_owner_unclaimed)\(/;

function isQuietLookup(t: TraceStep): boolean {
  return LOOKUP_STEP.test(t.step) && !t.warn && t.before === t.after && !/^-E|WARN/.test(t.result);
}

/** Collapses runs of two or more quiet lookups into one step (the first call's place); violation indexes follow. */
function compact(s: ScenarioResult): ScenarioResult {
  const steps: TraceStep[] = [];
  const map: number[] = [];
  const pinned = new Set(s.violations.map((v) => v.stepIndex));
  for (let i = 0; i < s.trace.length; i++) {
    let j = i;
    while (j + 1 < s.trace.length && isQuietLookup(s.trace[j + 1]) && isQuietLookup(s.trace[i]) && !pinned.has(j + 1) && !pinned.has(i)
      && s.trace[j + 1].phase === s.trace[i].phase) j++;
    map[i] = steps.length;
    if (j === i) {
      steps.push(s.trace[i]);
      continue;
    }
    const run = s.trace.slice(i, j + 1);
    for (let k = i + 1; k <= j; k++) map[k] = steps.length;
    steps.push({ ...s.trace[i], step: `${run.map((t) => t.step.split(' — ')[0]).join(', ')} — lookups, no effect on the group`, result: run.map((t) => t.result).join(', ') });
    i = j;
  }
  if (steps.length === s.trace.length) return s;
  return { ...s, trace: steps, violations: s.violations.map((v) => ({ ...v, stepIndex: map[v.stepIndex] ?? v.stepIndex })) };
}

/** Dedupes identical scenarios, collapses quiet lookups and numbers equal names. */
export function finishScenarios(all: ScenarioResult[]): ScenarioResult[] {
  const list = all.map(compact);
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

export function makeKernel(target: DriverSimInput['target'], iommuApi?: boolean): Kernel {
  return { state: emptyState(), profile: getProfile(target), iommuApi: iommuApi !== false };
}

function violationsOf(p: Path): Violation[] {
  return p.t.violations;
}

/** Default-domain kinds to replay: DMA always; IDENTITY and none too when the driver decides on its current domain. */
export function defaultDomainKinds(input: Pick<DriverSimInput, 'defaultDomain' | 'topology' | 'facts' | 'target'>): DefaultDomainKind[] {
  if (input.defaultDomain) return [input.defaultDomain];
  if (input.topology === 'user-owned' || input.topology === 'no-iommu') return ['dma'];
  const looks = input.facts.functions.some((f) => f.calls.some((c) => c.callee === 'iommu_get_domain_for_dev'));
  if (!looks) return ['dma'];
  // 6.15+ (b46064a18810): a group without a default domain defers the bind; the retry finds one.
  return getProfile(input.target).probeDefer ? ['dma', 'identity'] : ['dma', 'identity', 'none'];
}

export function simulateDriver(input: DriverSimInput): ScenarioResult[] {
  const kinds = defaultDomainKinds(input);
  if (kinds.length === 1) return simulateDriverWith(input, kinds[0]);
  const label: Record<DefaultDomainKind, string> = { dma: '', identity: ' (IDENTITY default domain)', none: ' (no default domain)' };
  return finishScenarios(kinds.flatMap((kind) => simulateDriverWith(input, kind).map((s) => (kind === 'dma' ? s : {
    ...s, name: s.name.replace(/^([\w-]+):/, `$1${label[kind]}:`),
  }))));
}

function simulateDriverWith(input: DriverSimInput, defaultKind: DefaultDomainKind): ScenarioResult[] {
  const k = makeKernel(input.target, input.iommuApi);
  const bus: BusKind = input.driver.bus;
  const setup = buildTopology(k, input.topology, bus, defaultKind);
  const cbs = input.driver.callbacks;
  // After probe only remove (and, with test_remove, probe again) runs driver code; devres actions are on the path.
  const later = [cbs.remove, cbs.remove_new, ...(input.testRemove ? [cbs.probe] : [])].filter((n): n is string => !!n);
  const ctx = makeRunContext(input.facts, setup.device, later, { access: driverAccessPolicy(input.driver, input.facts) });
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
    endChecks(p0, setup, start, 'after the failed bind');
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
      out.push(...p2Scenario([p], `${topo}: probe fails${pr.retLine ? ` at line ${pr.retLine}` : ''}${pr.lastGoto ? ` (goto ${pr.lastGoto})` : ''}`, topo, 'probe-failed', errno, pr));
      continue;
    }
    // A probe that succeeded after its attach failed: remove's detach of that domain is the kernel's WARN.
    swallowedAcquireFailures(p);
    // A flag the view does not show (a partial initializer) may be set: no violation is claimed then.
    const flagSeen = input.driver.managedDma.state !== 'unknown';
    sharedSingleAttach(p);
    whileBoundCheck(p, topo, setup, { name: input.driver.name, flag: flag || !flagSeen, handoff: staticHandoff(input), idle: doesNoDeviceWork(input) });
    if (topo === 'co-owned') coOwnerClaims(p, setup);
    let bound: Path[] = [p];
    if (input.testRemove) {
      const t = testRemovePaths(p, ctx, input, bus, setup, start);
      bound = t.bound;
      out.push(...t.failed);
    }
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
          coOwnerReleases(q, setup);
          setPhase(q, 'unbind');
          const end = endFindings(q, setup, start);
          userChecks(q, topo, setup, end);
          setPhase(q, 'unbind');
          emitVerdicts(q, end, 'after unbind');
          ends.push(q);
        }
      }
      out.push(...p2Scenario(ends, `${topo}: bind → probe → remove → unbind${input.testRemove ? ' (with test_remove re-probe)' : ''}`, topo, 'ok'));
    }
  }
  return withBudget(finishScenarios(out), ctx);
}

/** Every scenario of a run that hit a budget says so. */
export function withBudget(list: ScenarioResult[], ctx: RunContext): ScenarioResult[] {
  const hit = ctx.budget.hit;
  return hit ? list.map((s) => ({ ...s, budget: hit })) : list;
}

function p2Scenario(paths: Path[], name: string, topology: TopologyKind, outcome: ScenarioResult['outcome'], errno?: string, exit?: ExitOf): ScenarioResult[] {
  const ex = exitOf(exit);
  return paths.map((p) => ({ name, topology, outcome, ...(errno ? { errno } : {}), trace: p.t.steps, violations: violationsOf(p), ...(ex ? { exit: ex } : {}) }));
}

type ExitOf = { retLine?: number; lastGoto?: string } | undefined;

/** The entry point's end as scenario data (ScenarioResult.exit). */
function exitOf(r: ExitOf): ScenarioResult['exit'] | undefined {
  if (!r || (r.retLine === undefined && r.lastGoto === undefined)) return undefined;
  return { ...(r.retLine !== undefined ? { returnLine: r.retLine } : {}), ...(r.lastGoto ? { lastGoto: r.lastGoto } : {}) };
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
  endChecks(p, setup, start, 'after the failed probe');
}

/**
 * CONFIG_DEBUG_TEST_DRIVER_REMOVE: remove, (6.6+) dma_cleanup, devres, then dma_configure and probe again
 * (drivers/base/dd.c really_probe, `goto re_probe`). The re-probe can fail like the first one: a failed dma_configure
 * leaves the device unbound with no cleanup (pinctrl_bind_failed), a failed probe runs dma_cleanup then devres
 * (probe_failed); both end there and are checked like any failed bind/probe.
 */
function testRemovePaths(p: Path, ctx: RunContext, input: DriverSimInput, bus: BusKind, setup: TopologySetup, start: GroupSnapshot | undefined):
  { bound: Path[]; failed: ScenarioResult[] } {
  setPhase(p, 'test-remove');
  const out: Path[] = [];
  const failed: ScenarioResult[] = [];
  const topo = input.topology;
  for (const r of runCallback(p, ctx, input.driver.callbacks.remove ?? input.driver.callbacks.remove_new, 'remove')) {
    if (r.path.k.profile.testRemoveCleanup) busDmaCleanup(r.path.k, r.path.t, setup.device, bus);
    else r.path.t.note(r.path.k, 'test_remove: no dma_cleanup on this path before 6.6 (0d5df49d0989)', 'void', setup.group);
    for (const q of runDevres(r.path, ctx)) {
      setPhase(q, 'test-remove');
      const cfg = busDmaConfigure(q.k, q.t, setup.device, bus);
      if (cfg.ret !== 0) {
        const d = q.k.state.devices.get(setup.device);
        if (d) d.driver = null;
        endChecks(q, setup, start, 'after the test_remove re-probe failed in dma_configure');
        failed.push(...p2Scenario([q], `${topo}: test_remove re-probe: dma_configure fails (${errnoText(cfg.ret)})`, topo, 'bind-failed', errnoText(cfg.ret)));
        continue;
      }
      for (const again of runCallback(q, ctx, input.driver.callbacks.probe, 'probe')) {
        if (!again.failed) {
          out.push(again.path);
          continue;
        }
        const errno = again.ret?.kind === 'known' ? valueText(again.ret.value) : 'error';
        finishFailure(again.path, ctx, bus, setup, start);
        failed.push(...p2Scenario([again.path], `${topo}: test_remove re-probe fails${again.retLine ? ` at line ${again.retLine}` : ''}`, topo, 'probe-failed', errno, again));
      }
    }
  }
  return { bound: out, failed };
}

// ───────────── functions alone ─────────────

/**
 * A dma_configure that got -EPROBE_DEFER from iommu_device_use_default_domain() (a group without a default domain yet,
 * 6.12 iommu.c:3121) must return it: really_probe() retries a deferred probe, any other errno fails it for good and 0
 * binds the driver without the DMA-API count. The verdict points at the `return` that lost it.
 */
function probeDeferLost(p: Path, ctx: RunContext, fnName: string, r: RunResult): void {
  if (!p.useErrors.includes('-EPROBE_DEFER')) return;
  const ret = r.ret?.kind === 'known' ? valueText(r.ret.value) : r.failed ? undefined : '0';
  if (ret === undefined || ret === '-EPROBE_DEFER') return;
  const where = r.retLine !== undefined ? at(ctx, { line: r.retLine, column: r.retColumn ?? 1 }) : undefined;
  const message = `${fnName}() returns ${ret} although iommu_device_use_default_domain() returned -EPROBE_DEFER: ${ret === '0' ? 'the bind goes on without the DMA-API count' : 'the probe is not retried'}`;
  const i = p.t.note(p.k, `✗ ${message}`, 'probe-defer-lost', deviceGroup(p, ctx), where);
  p.t.violate('probe-defer-lost', message, i, 'iommu_device_use_default_domain', ret);
}

/** What a call gives back, and how the caller would have taken it (the same arguments, a caller's cookie). */
const TAKEN_BY: Record<string, { api: string; args: (a: string[]) => string[] }> = {
  iommu_device_release_dma_owner: { api: 'iommu_device_claim_dma_owner', args: (a) => [a[0] ?? 'dev', 'caller'] },
  iommu_group_release_dma_owner: { api: 'iommu_group_claim_dma_owner', args: (a) => [a[0] ?? 'group', 'caller'] },
  iommu_detach_device_pasid: { api: 'iommu_attach_device_pasid', args: (a) => [a[0] ?? 'domain', a[1] ?? 'dev', a[2] ?? 'pasid'] },
};

const TAKING = new Set(['iommu_device_claim_dma_owner', 'iommu_group_claim_dma_owner', 'iommu_attach_device_pasid', 'iommu_sva_bind_device',
  'iommu_attach_device', 'iommu_attach_group']);

/**
 * FunctionSimInput.startHeld: what `fn` gives back is taken first, through the model, with `fn`'s own argument texts
 * (so the replay resolves them to the same domain and PASID): ownership claims before PASID attaches, the order the
 * kernel accepts (a claim with PASIDs attached is refused).
 */
function presumeHeld(p: Path, ctx: RunContext, fn: FunctionSimInput['fn']): void {
  // Only a function that gives back without taking (an unbind/release half): one that takes too starts fresh.
  if (fn.calls.some((c) => TAKING.has(c.callee))) return;
  const gives = fn.calls.filter((c) => TAKEN_BY[c.callee] && simulatedOn(p.k, c.callee))
    .sort((a, b) => Number(a.callee.includes('pasid')) - Number(b.callee.includes('pasid')));
  if (!gives.length) return;
  setPhase(p, 'setup');
  p.frames.push(makeFrame({ fn, vars: new Map(fn.params.filter((x) => x.name).map((x) => [x.name, unknown(/\*/.test(x.type) ? 'ptr' : 'int', x.name)])) }));
  for (const c of gives) {
    const taken = TAKEN_BY[c.callee];
    const args = taken.args(c.args.map((a) => a.text));
    p.t.api(p.k, taken.api, `presumed held by the caller of ${fn.name}(): ${taken.api}(${args.join(', ')})`, undefined, () => {
      const r = HANDLERS[taken.api](p, ctx, args, false);
      return { ...r.out, group: r.group };
    });
  }
  p.frames.pop();
}
export function simulateFunction(input: FunctionSimInput): ScenarioResult[] {
  const k = makeKernel(input.target, input.iommuApi);
  const role = input.role ?? { kind: 'generic' as const };
  const bus: BusKind = 'other';
  const setup = buildTopology(k, input.topology, bus, input.defaultDomain ?? 'dma');
  const cleanupOf = input.facts.busTypes.find((b) => b.dmaConfigure === input.fn.name)?.dmaCleanup;
  // Only a bus's dma_cleanup runs file code after the function replayed alone (devres actions are on the path).
  const later = role.kind === 'dma_configure' && cleanupOf ? [cleanupOf] : [];
  const ctx = makeRunContext(input.facts, setup.device, later, { fakeGroup: input.fakeGroup ? true : undefined });
  const topo = input.topology;
  const dev = k.state.devices.get(setup.device);
  const p0 = newPath(k);
  const fn = input.fn;
  if (input.startHeld && role.kind === 'generic') presumeHeld(p0, ctx, fn);
  if (input.fakeGroup) {
    p0.t.note(k, `${setup.group ?? 'the group'} is a VFIO no-IOMMU (fake) group: a real iommu_group, but ${setup.device} has no IOMMU behind it (dev->iommu is NULL)`, 'setup', setup.group);
  }
  const start = snapshot(k, setup.group);
  const args = fn.params.map((param) => unknown(/\*/.test(param.type) ? 'ptr' : 'int', param.name));

  if (role.kind === 'generic') {
    // The caller acts for a driver that manages DMA itself (an ioctl/open handler of a VFIO-like driver).
    if (dev) dev.driver = { name: 'caller', managedDma: true };
    setPhase(p0, 'generic');
    const out: ScenarioResult[] = [];
    // What a teardown through code outside the file may release: the same for every failing exit of fn.
    let elsewhere: Set<string> | undefined;
    for (const r of runFunction(p0, ctx, fn, args)) {
      const errno = r.ret?.kind === 'known' ? valueText(r.ret.value) : r.failed ? 'error' : '0';
      // A failing call must leave the group as it found it; a succeeding one may legitimately hold ownership.
      if (r.failed) {
        // An exit that tears an object down through code outside the file (put_device() → the type's .release)
        // may release there: a kind one of the file's callbacks releases is not claimed (on that exit only).
        const end = endFindings(r.path, setup, start);
        if (r.path.teardowns?.length) {
          const released = (elsewhere ??= destructorCallbackReleases(input.facts, [fn.name], true));
          end.found = end.found.filter((x) => !(RELEASES_OF[x.kind] ?? []).some((api) => released.has(api)));
        }
        emitVerdicts(r.path, end, `after ${fn.name}() failed`);
      } else sharedSingleAttach(r.path);
      out.push({
        name: `${topo}: ${fn.name}() ${r.failed ? 'fails' : 'returns'}${r.retLine ? ` at line ${r.retLine}` : ''}${r.lastGoto ? ` (goto ${r.lastGoto})` : ''}`,
        topology: topo, outcome: r.failed ? 'probe-failed' : 'ok', ...(r.failed ? { errno } : {}), trace: r.path.t.steps, violations: violationsOf(r.path),
        ...(exitOf(r) ? { exit: exitOf(r) } : {}),
      });
    }
    return withBudget(finishScenarios(out), ctx);
  }

  if (dev) dev.driver = { name: 'bound-driver', managedDma: role.driverManagedDma };
  const cleanupName = input.facts.busTypes.find((b) => b.dmaConfigure === fn.name)?.dmaCleanup;
  const out: ScenarioResult[] = [];
  if (role.kind === 'dma_configure') {
    setPhase(p0, 'dma_configure');
    for (const r of runFunction(p0, ctx, fn, [known({ kind: 'ptr', ptr: { kind: 'valid', ref: { kind: 'device', id: setup.device } } })])) {
      const p = r.path;
      probeDeferLost(p, ctx, fn.name, r);
      if (r.failed) {
        endChecks(p, setup, start, `after ${fn.name}() failed (really_probe calls no dma_cleanup)`);
        out.push({ name: `${topo}: ${fn.name}() fails${r.retLine ? ` at line ${r.retLine}` : ''}`, topology: topo, outcome: 'bind-failed',
          errno: r.ret?.kind === 'known' ? valueText(r.ret.value) : 'error', trace: p.t.steps, violations: violationsOf(p), ...(exitOf(r) ? { exit: exitOf(r) } : {}) });
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
    return withBudget(finishScenarios(out), ctx);
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
  return withBudget(finishScenarios(out), ctx);
}
