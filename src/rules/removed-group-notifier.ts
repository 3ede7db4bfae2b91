/**
 * OWN018 removed-group-notifier: the IOMMU group notifier API (iommu_group_(un)register_notifier, the
 * IOMMU_GROUP_NOTIFY_* events) and vfio_group_viable() were removed by the 5.19 ownership series.
 */
import type { ImageSpan } from '../core/types';
import { createRule } from './types';
import { REMOVED_NOTIFIER_NAMES } from '../core/sim/vocabulary';
import { apiExists, apiReplacement } from './api-on-target';
import { keyOf } from './reports';


const HOW_TO_REPLACE: Record<string, string> = {
  iommu_group_register_notifier:
    'drop the group notifier: set driver_managed_dma and claim DMA ownership (conflicting binds then fail with -EBUSY), or use bus_register_notifier() for bind events',
  iommu_group_unregister_notifier: 'drop it together with the registration (or bus_unregister_notifier())',
  vfio_group_viable: 'drop the check: DMA ownership (iommu_group_claim_dma_owner / iommu_device_claim_dma_owner) now guarantees viability',
};

interface Use {
  name: string;
  span: ImageSpan;
  inFunction?: string;
}

export const removedGroupNotifier = createRule({
  meta: {
    code: 'OWN018',
    name: 'removed-group-notifier',
    category: 'api',
    defaultSeverity: 'error',
    tier: 2,
    kind: 'syntactic',
    description: 'Uses the IOMMU group notifier API or vfio_group_viable(), removed in 5.19.',
    messages: {
      removed: '{{fn}}uses {{name}}, which was removed in 5.19 with the IOMMU group notifier: this does not build on {{target}}.',
    },
  },
  check(ctx) {
    const missing = REMOVED_NOTIFIER_NAMES.filter((n) => apiExists(n, ctx.target) === false);
    if (missing.length === 0) return;
    const wanted = new Set(missing);
    const uses: Use[] = [];
    const seen = new Set<string>();
    const add = (u: Use) => {
      const k = `${u.span.line}:${u.span.column}:${u.name}`;
      if (seen.has(k) || !ctx.isAdded(u.span)) return;
      seen.add(k);
      uses.push(u);
    };
    for (const id of ctx.facts.identifiers) {
      // A declaration of one of these names (e.g. a compat shim defining it) is not a use of the removed API.
      if (wanted.has(id.name) && id.role !== 'field-declaration') add({ name: id.name, span: id.span, inFunction: id.inFunction });
    }
    for (const fn of ctx.facts.functions) {
      for (const c of fn.calls) if (wanted.has(c.callee)) add({ name: c.callee, span: c.calleeSpan, inFunction: c.inFunction });
    }
    uses.sort((a, b) => a.span.line - b.span.line || a.span.column - b.span.column);
    const perScope = new Map<string, number>();
    for (const u of uses) {
      const scope = `${u.inFunction ?? ''}:${u.name}`;
      const n = (perScope.get(scope) ?? 0) + 1;
      perScope.set(scope, n);
      const replacement = HOW_TO_REPLACE[u.name] ?? apiReplacement(u.name, ctx.target) ?? 'bus notifiers / driver_managed_dma';
      ctx.report({
        messageId: 'removed',
        data: { fn: u.inFunction ? `${u.inFunction}() ` : '', name: u.name, target: ctx.target },
        span: u.span,
        key: keyOf('OWN018', u.inFunction, u.name, n > 1 ? n : undefined),
        fixes: [{ title: `Replace ${u.name}`, edits: [], suggestion: replacement }],
      });
    }
  },
});
