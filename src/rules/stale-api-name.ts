/**
 * OWN017: a name of the ownership API from another era than the target: the postings of the series (v1–v5) used
 * names that never reached a release, and the released names did not exist in those postings (spec §2.3).
 * The table below is the spec's; the simulation's lookupApi() supplies the replacement text when it has one.
 */
import type { CallFact, IdentifierFact, ImageSpan, KernelTarget } from '../core/types';
import { createRule, type RuleContext } from './types';
import { apiReplacement } from './api-on-target';
import { fixReplace } from './fixes';
import { keyOf } from './reports';

type Era = 'v1' | 'v2' | 'v3' | 'v4' | 'v5' | 'rel' | 'rel62';

interface NameEntry {
  name: string;
  /** Only for calls with this many arguments (the 2-arg vs 1-arg release). */
  arity?: number;
  /** Where the name exists. */
  eras: readonly Era[];
  /** Where it appeared / what it became, in words. */
  history: string;
  /** What to use on a released kernel. */
  released: string;
  /** A plain rename usable as a quick fix on released kernels. */
  renameTo?: string;
}

const V1_4: readonly Era[] = ['v1', 'v2', 'v3', 'v4'];
const V2_4: readonly Era[] = ['v2', 'v3', 'v4'];
const REL: readonly Era[] = ['rel', 'rel62'];

const NAMES: readonly NameEntry[] = [
  { name: 'iommu_device_set_dma_owner', eras: V1_4, history: 'series v1–v4', released: 'drivers do not take the DMA-API count (the bus does with iommu_device_use_default_domain()); a user-space owner uses iommu_group_claim_dma_owner() (5.19) or iommu_device_claim_dma_owner() (6.2+)' },
  { name: 'iommu_device_release_dma_owner', arity: 2, eras: V1_4, history: 'series v1–v4', released: 'the bus drops the DMA-API count in dma_cleanup; a user-space owner releases with iommu_device_release_dma_owner(dev) (6.2+, one argument) or iommu_group_release_dma_owner(group)' },
  { name: 'iommu_device_release_dma_owner', arity: 1, eras: ['rel62'], history: 'added in 6.2', released: 'use iommu_group_release_dma_owner(group) before 6.2' },
  { name: 'iommu_device_claim_dma_owner', eras: ['rel62'], history: 'added in 6.2', released: 'use iommu_group_claim_dma_owner() before 6.2' },
  { name: 'iommu_group_set_dma_owner', eras: ['v2', 'v3', 'v4', 'v5'], history: 'series v2–v5', released: 'use iommu_group_claim_dma_owner(group, owner) (or iommu_device_claim_dma_owner() on 6.2+)' },
  { name: 'iommu_group_release_dma_owner', arity: 2, eras: V2_4, history: 'series v2–v4', released: 'use iommu_group_release_dma_owner(group) (one argument)' },
  { name: 'iommu_group_release_dma_owner', arity: 1, eras: ['v5', ...REL], history: 'series v5 and released kernels', released: 'use the posting\'s 2-argument form' },
  { name: 'iommu_group_dma_owner_unclaimed', eras: V2_4, history: 'series v2–v4', released: 'use !iommu_group_dma_owner_claimed(group)' },
  { name: 'iommu_group_dma_owner_claimed', eras: ['v5', ...REL], history: 'series v5 and released kernels', released: '' },
  { name: 'iommu_device_use_dma_api', eras: ['v5'], history: 'series v5', released: 'nothing in a driver: the bus calls iommu_device_use_default_domain() unless the driver sets driver_managed_dma' },
  { name: 'iommu_device_unuse_dma_api', eras: ['v5'], history: 'series v5', released: 'nothing in a driver: the bus calls iommu_device_unuse_default_domain() in dma_cleanup' },
  { name: 'iommu_device_use_default_domain', eras: REL, history: 'released kernels (5.19+)', released: '' },
  { name: 'iommu_device_unuse_default_domain', eras: REL, history: 'released kernels (5.19+)', released: '' },
  { name: 'iommu_group_claim_dma_owner', eras: REL, history: 'released kernels (5.19+)', released: '' },
  { name: 'iommu_attach_device_shared', eras: V2_4, history: 'series v2–v4 (never merged)', released: 'use iommu_attach_device() for a single-device group, or claim the group and use iommu_attach_group()' },
  { name: 'iommu_detach_device_shared', eras: V2_4, history: 'series v2–v4 (never merged)', released: 'use iommu_detach_device() or iommu_detach_group() to match the attach' },
  { name: 'DMA_OWNER_NONE', eras: ['v1', 'v2', 'v3'], history: 'series v1–v3', released: 'ownership has no type any more: claim with iommu_group_claim_dma_owner() and release with iommu_group_release_dma_owner()' },
  { name: 'DMA_OWNER_KERNEL', eras: ['v1'], history: 'series v1', released: 'the DMA-API count is the bus\'s business (driver_managed_dma opts out)' },
  { name: 'DMA_OWNER_USER', eras: ['v1'], history: 'series v1', released: 'claim with iommu_group_claim_dma_owner() / iommu_device_claim_dma_owner()' },
  { name: 'DMA_OWNER_DMA_API', eras: V2_4, history: 'series v2–v4', released: 'the DMA-API count is the bus\'s business (driver_managed_dma opts out)' },
  { name: 'DMA_OWNER_PRIVATE_DOMAIN', eras: V2_4, history: 'series v2–v4', released: 'ownership has no type any more: claim with iommu_group_claim_dma_owner()' },
  { name: 'DMA_OWNER_PRIVATE_DOMAIN_USER', eras: V2_4, history: 'series v2–v4', released: 'claim with iommu_group_claim_dma_owner() / iommu_device_claim_dma_owner()' },
  { name: 'suppress_auto_claim_dma_owner', eras: V1_4, history: 'series v1–v4', released: 'set .driver_managed_dma = true in the bus driver struct (not in struct device_driver)', renameTo: 'driver_managed_dma' },
  { name: 'no_kernel_api_dma', eras: ['v5'], history: 'series v5', released: 'set .driver_managed_dma = true in the bus driver struct', renameTo: 'driver_managed_dma' },
  { name: 'driver_managed_dma', eras: REL, history: 'released kernels (5.19+)', released: '' },
  { name: 'dma_cleanup', eras: ['v3', 'v4', 'v5', ...REL], history: 'series v3 and later', released: '' },
  { name: 'iommu_attach_device_pasid', eras: ['rel62'], history: 'added in 6.2', released: 'no PASID attach before 6.2: iommu_sva_bind_device() was the only PASID user API' },
  { name: 'iommu_detach_device_pasid', eras: ['rel62'], history: 'added in 6.2', released: 'no PASID attach before 6.2: iommu_sva_unbind_device() was the only PASID user API' },
  { name: 'dma_unconfigure', eras: ['v2'], history: 'series v2', released: 'the bus_type hook is .dma_cleanup', renameTo: 'dma_cleanup' },
];

function eraOf(target: KernelTarget): Era {
  switch (target) {
    case 'series-v1': return 'v1';
    case 'series-v2': return 'v2';
    case 'series-v3': return 'v3';
    case 'series-v4': return 'v4';
    case 'series-v5': return 'v5';
    case '5.19': return 'rel';
    default: return 'rel62';
  }
}

/** The names this rule can report on `target` (those of other eras): a file naming none of them gives it nothing to say. */
export function staleNamesOn(target: KernelTarget): string[] {
  const era = eraOf(target);
  return [...new Set(NAMES.filter((n) => !n.eras.includes(era)).map((n) => n.name))];
}

/** What a name is called in a series posting (for reviewers of that posting). */
function seriesSpelling(name: string, era: Era): string {
  const v1 = era === 'v1';
  const v5 = era === 'v5';
  const v24 = era === 'v2' || era === 'v3' || era === 'v4';
  switch (name) {
    case 'driver_managed_dma':
    case 'suppress_auto_claim_dma_owner':
    case 'no_kernel_api_dma':
      if (v5) return 'use .no_kernel_api_dma = true in the bus driver struct';
      if (v1 || era === 'v4') return 'use .driver = { .suppress_auto_claim_dma_owner = true }';
      return 'use .suppress_auto_claim_dma_owner = true in the bus driver struct';
    case 'iommu_group_claim_dma_owner':
    case 'iommu_device_claim_dma_owner':
      if (v5) return 'use iommu_group_set_dma_owner(group, owner)';
      if (v24) return 'use iommu_group_set_dma_owner(group, DMA_OWNER_PRIVATE_DOMAIN_USER, owner)';
      return 'use iommu_device_set_dma_owner(dev, DMA_OWNER_USER, owner)';
    case 'iommu_device_use_default_domain':
      return v5 ? 'use iommu_device_use_dma_api(dev)' : 'use iommu_device_set_dma_owner(dev, DMA_OWNER_DMA_API, NULL) (DMA_OWNER_KERNEL in v1)';
    case 'iommu_device_unuse_default_domain':
      return v5 ? 'use iommu_device_unuse_dma_api(dev)' : 'use iommu_device_release_dma_owner(dev, DMA_OWNER_DMA_API) (DMA_OWNER_KERNEL in v1)';
    case 'iommu_group_dma_owner_claimed':
      return 'use !iommu_group_dma_owner_unclaimed(group)';
    case 'iommu_group_release_dma_owner':
      return v1 ? 'use iommu_device_release_dma_owner(dev, DMA_OWNER_USER) (v1 has no group-level release)' : 'use iommu_group_release_dma_owner(group, type)';
    case 'dma_cleanup':
      return v1 ? 'the driver core drops the count itself in this posting (no bus hook)' : 'the bus_type hook is .dma_unconfigure in this posting';
    case 'dma_unconfigure':
      return 'the bus_type hook is .dma_cleanup in this posting';
    default:
      return 'it is not part of this posting';
  }
}

interface Occurrence {
  name: string;
  span: ImageSpan;
  arity?: number;
  scope?: string;
  role: string;
}

function occurrences(ctx: RuleContext): Occurrence[] {
  const names = new Set(NAMES.map((n) => n.name));
  const calls = new Map<string, CallFact>();
  for (const fn of ctx.facts.functions) for (const c of fn.calls) if (names.has(c.callee)) calls.set(`${c.calleeSpan.line}:${c.calleeSpan.column}`, c);
  const out = new Map<string, Occurrence>();
  for (const c of calls.values()) {
    out.set(`${c.calleeSpan.line}:${c.calleeSpan.column}`, { name: c.callee, span: c.calleeSpan, arity: c.args.length, scope: c.inFunction, role: 'call' });
  }
  for (const id of ctx.facts.identifiers as IdentifierFact[]) {
    if (!names.has(id.name) || id.role === 'field-declaration') continue;
    const k = `${id.span.line}:${id.span.column}`;
    if (out.has(k)) continue;
    out.set(k, { name: id.name, span: id.span, arity: calls.get(k)?.args.length, scope: id.inFunction ?? id.inStruct, role: id.role });
  }
  return [...out.values()].sort((a, b) => a.span.line - b.span.line || a.span.column - b.span.column);
}

function entryFor(o: Occurrence): NameEntry | undefined {
  const all = NAMES.filter((n) => n.name === o.name);
  if (all.length === 1) return all[0];
  // Arity decides between the 2-arg series form and the 1-arg released form; without it (a bare identifier) stay silent.
  return o.arity === undefined ? undefined : all.find((n) => n.arity === o.arity);
}

export const staleApiName = createRule({
  meta: {
    code: 'OWN017',
    name: 'stale-api-name',
    category: 'api',
    defaultSeverity: 'error',
    tier: 1,
    kind: 'syntactic',
    description: 'Ownership API names from another era than the target (series postings vs released kernels) do not build.',
    messages: {
      stale: '{{name}}{{form}} is from {{history}} and does not exist on {{target}}; instead: {{replacement}}',
      newer: '{{name}}{{form}} does not exist on {{target}} ({{history}}); instead: {{replacement}}',
    },
  },
  check(ctx) {
    const era = eraOf(ctx.target);
    const seriesTarget = era !== 'rel' && era !== 'rel62';
    const counts = new Map<string, number>();
    for (const o of occurrences(ctx)) {
      // Only what the change brings in (every line of a whole file counts as added); context is the pre-image's.
      if (!ctx.isAdded(o.span)) continue;
      const entry = entryFor(o);
      if (!entry || entry.eras.includes(era)) continue;
      // A released name on a released target that predates it (6.2+ API on 5.19) or a series name anywhere else.
      const isNewer = entry.eras.some((e) => e === 'rel' || e === 'rel62');
      const replacement = seriesTarget
        ? seriesSpelling(o.name, era)
        : apiReplacement(o.name, ctx.target, o.arity) ?? (entry.released || 'it is not part of this kernel');
      const base = keyOf('OWN017', o.name, o.arity, o.scope);
      const n = (counts.get(base) ?? 0) + 1;
      counts.set(base, n);
      const fixes =
        !seriesTarget && entry.renameTo && !(o.name === 'suppress_auto_claim_dma_owner' && ctx.facts.drivers.some((d) => d.managedDma.inDeviceDriver && d.managedDma.span?.line === o.span.line))
          ? [fixReplace(ctx, `Rename ${o.name} to ${entry.renameTo}`, o.span, entry.renameTo)]
          : [];
      ctx.report({
        messageId: isNewer ? 'newer' : 'stale',
        data: {
          name: o.name,
          form: entry.arity !== undefined ? ` (${entry.arity}-argument form)` : '',
          history: entry.history,
          target: ctx.target,
          replacement,
        },
        span: o.span,
        fixes,
        key: keyOf(base, n > 1 ? n : undefined),
      });
    }
  },
});
