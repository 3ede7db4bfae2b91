/**
 * Lifecycle replay across entry points: what one function of a file acquires (ownership, a DMA-API count, a private
 * domain, a PASID, an SVA bond) and leaves held on success must be released by its partner — the other half of its
 * ops table (open/release, attach/detach, dma_configure/dma_cleanup), the function named as its counterpart
 * (foo_attach/foo_detach, foo_init/foo_deinit, ...), the `.release` of a struct it hands out, or a devm action it
 * registers. Each acquiring entry point A is replayed, and each of its successful paths is continued with its
 * partners on the same kernel state; the end state is checked as after unbind.
 *
 * Choices:
 * - An acquiring entry point is a function of the file (not a driver's or bus's callback: simulateDriver replays
 *   those) whose successful paths leave the group changed. A function other functions of the file call is only
 *   paired when it has a partner of its own (otherwise its caller is the entry point).
 * - A leak is claimed only when every non-failing path of the partners leaves it (a partner that may take another
 *   branch is given the benefit of the doubt).
 * - No partner in the file: `partners` is empty; `releasedElsewhere` says whether any other function of the file
 *   releases what A acquires (then the pairing is merely not recognised, and nothing is claimed).
 */
import type { CFacts, FunctionFact, KernelTarget, OpsStructFact, ScenarioResult, TopologyKind, ViolationKind } from '../types';
import { type GroupSnapshot, defaultDomainKinds, emitVerdicts, endFindings, finishScenarios, makeKernel, setPhase, snapshot, withBudget } from './replay';
import { buildTopology, type DefaultDomainKind, type TopologySetup } from './topology';
import { clonePath, makeRunContext, unknown, type Path } from './env';
import { at, newPath, runDevres, runFunction } from './interpreter';
import { deviceGroup, swallowedAcquireFailures } from './api-calls';
import { RELEASES_OF, destructorCallbackReleases, fnNamed, reachableCallees } from './teardown';
import { functionsWithBodyReached } from '../c/call-graph';
import { ATTACH_CALLS, CLAIM_CALLS, PASID_ATTACH_CALLS, SET_OWNER_CALLS, USE_CALLS_ANY_ERA } from './vocabulary';
import { CODE_VIOLATIONS } from './trace';
import { coOwnerClaims, coOwnerReleases } from './co-owner';

export type PairingKind = 'ops' | 'name' | 'registered';

export interface LifecyclePartner {
  fn: string;
  how: PairingKind;
  /** `.open/.release of idxd_cdev_fops`, `attach/detach`, `.release of idxd_cdev_file_type`. */
  via: string;
}

export interface LifecycleResult {
  acquire: FunctionFact;
  partners: LifecyclePartner[];
  /** False for a static function: a partner elsewhere is possible only for an exported (non-static) one. */
  exported: boolean;
  /** Another function of the file (not A or what A calls) releases what A acquires. */
  releasedElsewhere: boolean;
  /**
   * When every such other release is a devm action: its name. It runs at unbind after dma_cleanup
   * (drivers/base/dd.c __device_release_driver @ v6.12: dma_cleanup, then device_unbind_cleanup → devres_release_all),
   * so what it gives back is still held when the bus drops the DMA-API count.
   */
  releasedOnlyByDevm?: string;
  /** What A's successful paths leave held (end-check kinds). */
  held: ViolationKind[];
  /** One scenario per successful path of A: A then its partners (or A alone when it has none). */
  scenarios: ScenarioResult[];
}

export interface LifecycleSimInput {
  target: KernelTarget;
  facts: CFacts;
  topology: TopologyKind;
  iommuApi?: boolean;
}

/** Calls that acquire something a partner must give back, and what gives each kind back. */
const ACQUIRE_APIS = new Set([...CLAIM_CALLS, ...SET_OWNER_CALLS, ...USE_CALLS_ANY_ERA, ...ATTACH_CALLS, ...PASID_ATTACH_CALLS]);

/** Acquire word → the words of its release, for names and ops-table fields alike. */
const PAIR_WORDS: Record<string, readonly string[]> = {
  attach: ['detach'],
  init: ['deinit', 'exit', 'fini', 'cleanup', 'uninit'],
  open: ['release', 'close'],
  bind: ['unbind'],
  get: ['put'],
  create: ['destroy'],
  alloc: ['free'],
  setup: ['teardown', 'cleanup'],
  enable: ['disable'],
  start: ['stop'],
  register: ['unregister'],
  configure: ['cleanup', 'unconfigure'],
  claim: ['release'],
  acquire: ['release'],
};
/** Fields of a struct handed out by address that run when its object goes away. */
const RELEASE_FIELDS = /^(release|remove|detach|destroy|dtor|free|put|close|exit|cleanup|unbind|disable|stop|deinit|fini|teardown|unregister)$/;

/** Name tokens with the pair word at `i` replaced by a marker; plurals and to/from folded (attach_dev_to_pd ~ detach_dev_from_pd). */
function shape(tokens: string[], i: number): string {
  return tokens.map((t, j) => (j === i ? '\u0000' : t === 'from' ? 'to' : t.replace(/(?<=[a-z]{3})s$/, ''))).join('_');
}

function nameTokens(name: string): string[] {
  return name.toLowerCase().split('_').filter(Boolean);
}

/** The same shape with its words in any order (vfio_container_attach_group ~ vfio_group_detach_container). */
function unordered(shapeText: string): string {
  return shapeText.split('_').sort().join('_');
}

/** Functions of the file whose names pair with `a`'s as release to acquire; the words in the same order first. */
function namePartners(a: FunctionFact, byShape: Map<string, FunctionFact[]>): LifecyclePartner[] {
  const tokens = nameTokens(a.name);
  const find = (key: (i: number) => string): LifecyclePartner[] => {
    const out: LifecyclePartner[] = [];
    tokens.forEach((t, i) => {
      for (const r of PAIR_WORDS[t] ?? []) {
        for (const fn of byShape.get(`${key(i)}\u0001${r}`) ?? []) if (fn !== a) out.push({ fn: fn.name, how: 'name', via: `${t}/${r}` });
      }
    });
    return out;
  };
  const exact = find((i) => shape(tokens, i));
  return exact.length ? exact : find((i) => `~${unordered(shape(tokens, i))}`);
}

/** Shape index of every function for each of its release words. */
function releaseShapes(fns: readonly FunctionFact[]): Map<string, FunctionFact[]> {
  const out = new Map<string, FunctionFact[]>();
  const releaseWords = new Set(Object.values(PAIR_WORDS).flat());
  for (const fn of fns) {
    const tokens = nameTokens(fn.name);
    tokens.forEach((t, i) => {
      if (!releaseWords.has(t)) return;
      for (const key of [`${shape(tokens, i)}\u0001${t}`, `~${unordered(shape(tokens, i))}\u0001${t}`]) out.set(key, [...(out.get(key) ?? []), fn]);
    });
  }
  return out;
}

/** The partner fields of the ops tables that name `a` (open → release, attach_group → detach_group). */
function opsPartners(a: FunctionFact, tables: readonly OpsStructFact[]): LifecyclePartner[] {
  const out: LifecyclePartner[] = [];
  for (const table of tables) {
    for (const [field, fn] of Object.entries(table.callbacks)) {
      if (fn !== a.name) continue;
      const tokens = nameTokens(field);
      tokens.forEach((t, i) => {
        for (const r of PAIR_WORDS[t] ?? []) {
          const want = shape(tokens, i);
          for (const [other, partner] of Object.entries(table.callbacks)) {
            const ot = nameTokens(other);
            const j = ot.indexOf(r);
            if (j >= 0 && shape(ot, j) === want && partner !== a.name) {
              out.push({ fn: partner, how: 'ops', via: `.${field}/.${other} of ${table.name}` });
            }
          }
        }
      });
    }
  }
  return out;
}

/** Release callbacks of the ops structs `a` hands out by address (`fdev->type = &foo_type` → foo_type.release). */
function registeredPartners(a: FunctionFact, tables: readonly OpsStructFact[]): LifecyclePartner[] {
  const out: LifecyclePartner[] = [];
  for (const name of a.structRefs ?? []) {
    const table = tables.find((t) => t.name === name);
    if (!table) continue;
    for (const [field, fn] of Object.entries(table.callbacks)) {
      if (RELEASE_FIELDS.test(field) && fn !== a.name) out.push({ fn, how: 'registered', via: `.${field} of ${table.name}` });
    }
  }
  return out;
}

function calleesOf(facts: CFacts, names: Set<string>): Set<string> {
  const out = new Set<string>();
  for (const f of facts.functions) if (names.has(f.name)) for (const c of f.calls) out.add(c.callee);
  return out;
}

/** Callback functions the driver replay and the bus-hook replay already cover. */
function callbackNames(facts: CFacts): Set<string> {
  const out = new Set<string>();
  for (const d of facts.drivers) for (const v of Object.values(d.callbacks)) out.add(v);
  for (const b of facts.busTypes) for (const f of b.fields) out.add(f.value.replace(/^&/, ''));
  return out;
}

function argsOf(fn: FunctionFact) {
  return fn.params.map((param) => unknown(/\*/.test(param.type) ? 'ptr' : 'int', param.name));
}

/** What a path holds now, compared with the start (end-check kinds), without touching the path. */
function heldOn(p: Path, setup: TopologySetup, start: GroupSnapshot | undefined): ViolationKind[] {
  return endFindings(clonePath(p), setup, start).found.map((f) => f.kind);
}

export function simulateLifecycle(input: LifecycleSimInput): LifecycleResult[] {
  const facts = input.facts;
  const fns = facts.functions.filter((f) => f.name && f.program.length > 0);
  const tables = facts.opsStructs ?? [];
  const callbacks = callbackNames(facts);
  const called = new Set<string>();
  for (const f of facts.functions) {
    for (const c of f.calls) called.add(c.callee);
    for (const a of f.devmActions) called.add(a.fn);
  }
  const devmActions = new Set(facts.functions.flatMap((f) => f.devmActions.map((d) => d.fn)));
  const byShape = releaseShapes(facts.functions.filter((f) => f.name));
  const out: LifecycleResult[] = [];
  for (const a of fns) {
    if (callbacks.has(a.name)) continue;
    const mine = functionsWithBodyReached(facts, a);
    if (![...calleesOf(facts, mine)].some((c) => ACQUIRE_APIS.has(c))) continue;
    const partners = dedupe([...opsPartners(a, tables), ...namePartners(a, byShape), ...registeredPartners(a, tables)])
      .filter((p) => !mine.has(p.fn));
    // A helper with no partner of its own is judged through its caller.
    if (partners.length === 0 && called.has(a.name)) continue;
    const result = replayKinds(input, a, partners);
    if (!result.held.length) continue;
    // Releases in A itself or in the helpers through which A acquires are A's unwinds; any other is a release path.
    const releases = new Set(result.held.flatMap((k) => RELEASES_OF[k] ?? []));
    const acquiring = (f: FunctionFact) => f === a || (mine.has(f.name) && f.calls.some((c) => ACQUIRE_APIS.has(c.callee)));
    const releasers = fns.filter((f) => !acquiring(f) && f.calls.some((c) => releases.has(c.callee)));
    result.releasedElsewhere = releasers.length > 0;
    if (releasers.length > 0 && releasers.every((f) => devmActions.has(f.name))) result.releasedOnlyByDevm = releasers[0].name;
    out.push(result);
  }
  return out;
}

function dedupe(list: LifecyclePartner[]): LifecyclePartner[] {
  const seen = new Set<string>();
  return list.filter((p) => !seen.has(p.fn) && !!seen.add(p.fn));
}

/**
 * devm actions registered on the way run only when the driver unbinds, after the bus's dma_cleanup
 * (drivers/base/dd.c __device_release_driver @ v6.12: dma_cleanup, then device_unbind_cleanup → devres_release_all).
 * A PASID still attached before them is still attached when iommu_device_unuse_default_domain() checks pasid_array
 * (drivers/iommu/iommu.c @ v6.12: WARN_ON(... !xa_empty(&group->pasid_array)), count not dropped).
 */
function pasidsLeftForUnbind(q: Path, setup: TopologySetup, start: GroupSnapshot | undefined): void {
  const now = snapshot(q.k, setup.group);
  if (!now || now.pasids.size <= (start?.pasids.size ?? 0)) return;
  q.t.verdict(q.k, setup.group, 'pasid-leak', 'at unbind',
    `${setup.group} still has ${now.pasids.size} PASID attachment(s) when dma_cleanup runs; the devm action that would detach it runs after dma_cleanup`);
}

/**
 * A's replay on each default-domain kind it can tell apart (as the driver replay: DMA always; IDENTITY and none too
 * when the file looks at the current domain, which is how code attaches only on an IDENTITY or absent default domain).
 */
function replayKinds(input: LifecycleSimInput, a: FunctionFact, partners: LifecyclePartner[]): LifecycleResult {
  const kinds = defaultDomainKinds({ target: input.target, topology: input.topology, facts: input.facts });
  const label: Record<DefaultDomainKind, string> = { dma: '', identity: ' (IDENTITY default domain)', none: ' (no default domain)' };
  const runs = kinds.map((kind) => ({ kind, r: replayPair(input, a, partners, kind) }));
  const first = runs[0].r;
  if (runs.length === 1) return first;
  return {
    ...first,
    held: [...new Set(runs.flatMap((x) => x.r.held))],
    scenarios: finishScenarios(runs.flatMap((x) => x.r.scenarios.map((sc) => (x.kind === 'dma' ? sc : { ...sc, name: sc.name.replace(/^([\w-]+):/, `$1${label[x.kind]}:`) })))),
  };
}

function replayPair(input: LifecycleSimInput, a: FunctionFact, partners: LifecyclePartner[], defaultKind: DefaultDomainKind = 'dma'): LifecycleResult {
  const k = makeKernel(input.target, input.iommuApi);
  const setup = buildTopology(k, input.topology, 'other', defaultKind);
  const ctx = makeRunContext(input.facts, setup.device, partners.map((x) => x.fn));
  const start = snapshot(k, setup.group);
  const dev = k.state.devices.get(setup.device);
  // As for a function replayed alone: the caller acts for a driver that manages DMA itself.
  if (dev) dev.driver = { name: 'caller', managedDma: true };
  const p0 = newPath(k);
  setPhase(p0, 'acquire');
  const held = new Set<ViolationKind>();
  const scenarios: ScenarioResult[] = [];
  const names = partners.map((p) => p.fn);
  const pairing = partners.length ? [...new Set(partners.map((p) => p.how))].join('+') : 'none';
  const lifecycle = { acquire: a.name, release: names, pairing };
  const partnerReleases = new Set<string>();
  for (const partner of partners) {
    const fn = fnNamed(input.facts, partner.fn);
    if (fn) for (const c of reachableCallees(input.facts, fn)) partnerReleases.add(c);
  }
  // What a teardown through code outside the file may run: counted on the partner paths that made one (not A's own
  // error unwind: what A reaches releases nothing its success left held).
  const destructorReleases = destructorCallbackReleases(input.facts, partners.map((p) => p.fn), false, functionsWithBodyReached(input.facts, a));
  for (const r of runFunction(p0, ctx, a, argsOf(a))) {
    if (r.failed) continue;
    const kinds = heldOn(r.path, setup, start);
    // A returned success after an attach or claim of its own failed: its partner's detach or release is then the
    // kernel's WARN.
    const swallowed = swallowedAcquireFailures(r.path);
    // A path that already went wrong in A (a WARN, a refused call, a freed domain left attached) is A's own
    // finding, or a domain the model could not tell apart: not a pairing question.
    if ((!kinds.length && !swallowed) || kinds.includes('use-after-free') || r.path.t.violations.some((v) => !CODE_VIOLATIONS.has(v.kind))) continue;
    for (const x of kinds) held.add(x);
    // Only the partners' teardowns count for them (A's own are A's business).
    r.path.teardowns = undefined;
    if (input.topology === 'co-owned') coOwnerClaims(r.path, setup);
    let ends: Path[] = [r.path];
    for (const partner of partners) {
      const fn = fnNamed(input.facts, partner.fn);
      const next: Path[] = [];
      for (const q of ends) {
        setPhase(q, 'release');
        q.t.note(q.k, `then ${partner.fn}() — its partner (${partner.via})`, 'call', deviceGroup(q, ctx), fn ? at(ctx, fn.nameSpan) : undefined);
        if (!fn || fn.program.length === 0) {
          next.push(q);
          continue;
        }
        const runs = runFunction(q, ctx, fn, argsOf(fn));
        const ok = runs.filter((x) => !x.failed);
        next.push(...(ok.length ? ok : runs).map((x) => x.path));
      }
      ends = next;
    }
    const finals: Path[] = [];
    for (const q of ends) {
      setPhase(q, 'devres');
      if (q.devres.length > 0) pasidsLeftForUnbind(q, setup, start);
      for (const f of runDevres(q, ctx)) {
        coOwnerReleases(f, setup);
        finals.push(f);
      }
    }
    const when = partners.length ? `after ${a.name}() then ${names.map((n) => `${n}()`).join(', ')}` : `after ${a.name}() returns (no partner in this file)`;
    // A partner that calls a release of the kind left behind on some path the replay did not take (list walks,
    // lookups it cannot follow) may well release it: no leak is claimed for that kind.
    const judged = finals.map((q) => {
      const end = endFindings(q, setup, start);
      const mayRelease = (api: string) => partnerReleases.has(api) || (!!q.teardowns?.length && destructorReleases.has(api));
      return { q, end: { ...end, found: end.found.filter((f) => !(RELEASES_OF[f.kind] ?? []).some(mayRelease)) } };
    });
    // A leak only when every partner path leaves it: show the cleanest end otherwise.
    const clean = judged.find((j) => j.end.found.length === 0);
    const pick = clean ?? judged[0];
    if (!pick) continue;
    setPhase(pick.q, 'release');
    emitVerdicts(pick.q, pick.end, when);
    scenarios.push({
      ...(r.retLine ? { exit: { returnLine: r.retLine } } : {}),
      name: `${input.topology}: ${a.name}() ${r.retLine ? `returns at line ${r.retLine}` : 'returns'}${partners.length ? `, then ${names.map((n) => `${n}()`).join(', ')}` : ''}`,
      topology: input.topology,
      outcome: 'ok',
      trace: pick.q.t.steps,
      violations: pick.q.t.violations,
      lifecycle,
    });
  }
  return {
    acquire: a,
    partners,
    exported: !a.isStatic,
    releasedElsewhere: false,
    held: [...held],
    scenarios: withBudget(finishScenarios(scenarios), ctx),
  };
}
