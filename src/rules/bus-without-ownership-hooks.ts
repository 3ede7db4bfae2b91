/**
 * OWN011: a bus whose driver struct has driver_managed_dma (so it promises VFIO exclusivity) but whose
 * dma_configure never takes the default-domain count. Without the count, DMA-API drivers never block a claim
 * and can bind into a group user space owns.
 * Syntactic: it asks about the bus's shape — a bus_type without a .dma_configure, or a hook in whose code the
 * use call appears nowhere — not about paths or state. Whether the hook takes the count on every path, swallows
 * its error or is undone in .dma_cleanup are replay questions, asked by OWN009/OWN010 of the bus-hook replay.
 */
import type { BusTypeFact, FunctionFact, ImageSpan, KernelTarget } from '../core/types';
import { FLAG_DRIVER_TYPES } from '../core/c/structs';
import { createRule, type RuleContext } from './types';
import { managedDmaFlag, DEVICE_SET_OWNER, USE_DMA_API, USE_DEFAULT_DOMAIN } from '../core/sim/vocabulary';
import { callsIn, reachableFunctions } from '../core/c/call-graph';
import { functionPieces } from '../core/c/function-pieces';
import { functionSpells, mentionsIdentifier } from '../core/c/spelled-names';
import { keyOf } from './reports';

/** Image lines of the patch for files other than the analysed one (added+context for post, removed+context for pre). */
function otherFilesLines(ctx: RuleContext): string[] {
  if (!ctx.patch) return [];
  const wantKinds = ctx.facts.image === 'pre' ? new Set(['del', 'context']) : new Set(['add', 'context']);
  const out: string[] = [];
  for (const f of ctx.patch.files) {
    const p = f.newPath ?? f.oldPath ?? '';
    if (p === ctx.facts.path) continue;
    for (const h of f.hunks) for (const l of h.lines) if (wantKinds.has(l.kind)) out.push(l.text);
  }
  return out;
}

const CODE = 'OWN011';

/** The call that takes the per-bind count on each target; undefined where the driver core did it (v1, v4). */
function useCall(target: KernelTarget): string | undefined {
  switch (target) {
    case 'series-v1':
    case 'series-v4':
      return undefined;
    case 'series-v2':
    case 'series-v3':
      return DEVICE_SET_OWNER;
    case 'series-v5':
      return USE_DMA_API;
    default:
      return USE_DEFAULT_DOMAIN;
  }
}

/** Whether the flag appears anywhere this file (or, in a patch, a sibling file of the same image) shows. */
function flagEvidence(ctx: RuleContext, flag: string): boolean {
  if (ctx.facts.identifiers.some((i) => i.name === flag && (i.role === 'field-declaration' || i.role === 'field-access'))) return true;
  if (ctx.facts.functions.some((fn) => functionSpells(fn, flag))) return true;
  return otherFilesLines(ctx).some((l) => mentionsIdentifier(l, flag) && !/^\s*(\/\/|\/?\*)/.test(l));
}

/** Structs this view declares with the flag field (`struct gizmo_driver { ... bool driver_managed_dma; }`). */
function structsDeclaringFlag(ctx: RuleContext, flag: string): Set<string> {
  return new Set(ctx.facts.identifiers.filter((i) => i.name === flag && i.role === 'field-declaration' && i.inStruct).map((i) => i.inStruct as string));
}

/**
 * Does this bus's driver struct carry the flag? A bus's drivers are the structs registered on it: when the view shows
 * them, only pci_driver, platform_driver, amba_driver, fsl_mc_driver, cdx_driver (or a struct declared here with the
 * field) carry it. When it shows none, the flag seen in the file belongs to this bus unless another bus of the file
 * registers flag-carrying drivers (pci-driver.c: the flag read is pci_bus_type's; pcie_port_bus_type's drivers are
 * struct pcie_port_service_driver, registered in portdrv.c).
 */
function busCarriesFlag(ctx: RuleContext, bus: BusTypeFact, flag: string): boolean {
  const declaring = structsDeclaringFlag(ctx, flag);
  const carries = (t: string) => FLAG_DRIVER_TYPES.has(t) || declaring.has(t);
  const types = bus.driverTypes ?? [];
  if (types.length) return types.some(carries);
  const others = ctx.facts.busTypes.filter((b) => b !== bus);
  const claimed = new Set(others.flatMap((b) => b.driverTypes ?? []));
  if ([...declaring].some((t) => !claimed.has(t))) return true;
  // The bus's own callbacks (match/probe/dma_configure) read the flag: it is this bus's.
  const own = bus.fields.map((f) => ctx.functionByName(f.value.replace(/^&/, ''))).filter((f): f is FunctionFact => !!f);
  if (own.some((f) => reachableFunctions(ctx.facts, f).some((r) => functionSpells(r, flag)))) return true;
  return !others.some((b) => (b.driverTypes ?? []).some(carries));
}

/** Functions implementing a dma_configure hook: named by a bus_type, or spelt like one when the struct is not shown. */
function configureHooks(ctx: RuleContext): { name: string; bus?: string; busSpan?: ImageSpan }[] {
  const out = new Map<string, { name: string; bus?: string; busSpan?: ImageSpan }>();
  for (const b of ctx.facts.busTypes) if (b.dmaConfigure) out.set(b.dmaConfigure, { name: b.dmaConfigure, bus: b.name, busSpan: b.nameSpan });
  for (const f of ctx.facts.functions) {
    if (/_dma_configure$/.test(f.name) && !/^(arch|of|acpi|device)_dma_configure/.test(f.name) && !out.has(f.name)) out.set(f.name, { name: f.name });
  }
  return [...out.values()];
}

export const busWithoutOwnershipHooks = createRule({
  meta: {
    code: CODE,
    name: 'bus-without-ownership-hooks',
    category: 'bus',
    defaultSeverity: 'error',
    tier: 2,
    kind: 'syntactic',
    description: 'A bus whose drivers can set driver_managed_dma must take the default-domain count in dma_configure for every other driver.',
    messages: {
      noUse:
        '{{hook}}() configures DMA for {{bus}} whose drivers can set {{flag}}, but never calls {{use}}(): DMA-API drivers take no count, so user-space DMA ownership of their groups is not exclusive.',
      noHook:
        'bus {{bus}} has drivers that can set {{flag}} but no .dma_configure: DMA-API drivers take no count, so user-space DMA ownership of their groups is not exclusive.',
    },
  },
  check(ctx) {
    const use = useCall(ctx.target);
    if (!use) return;
    if (ctx.facts.busTypes.length === 0 && !ctx.facts.functions.some((f) => /_dma_configure$/.test(f.name))) return;
    const flag = managedDmaFlag(ctx.target).field;
    if (!flagEvidence(ctx, flag)) return;
    const flagText = `.${flag}`;
    for (const bus of ctx.facts.busTypes) {
      if (bus.dmaConfigure || !bus.complete || !busCarriesFlag(ctx, bus, flag)) continue;
      ctx.report({
        messageId: 'noHook',
        data: { bus: bus.name, flag: flagText },
        span: bus.nameSpan,
        key: keyOf(CODE, bus.name),
        fixes: [{
          title: `Add .dma_configure and .dma_cleanup to ${bus.name}`,
          edits: [],
          suggestion: `.dma_configure: firmware DMA setup, then if (!drv->${flag}) ${use}(dev); .dma_cleanup: the matching unuse under the same test`,
        }],
      });
    }
    for (const hook of configureHooks(ctx)) {
      const fn: FunctionFact | undefined = ctx.functionByName(hook.name);
      const busFact = hook.bus ? ctx.facts.busTypes.find((b) => b.name === hook.bus) : undefined;
      if (busFact && !busCarriesFlag(ctx, busFact, flag)) continue;
      const bus = hook.bus ?? 'this bus';
      if (!fn) {
        if (!hook.busSpan) continue;
        ctx.report({
          messageId: 'noUse',
          data: { hook: hook.name, bus, flag: flagText, use },
          span: hook.busSpan,
          key: keyOf(CODE, hook.name),
          unseen: `the body of ${hook.name}() is not visible`,
        });
        continue;
      }
      const reached = functionPieces(ctx.facts, ctx.patch, fn).flatMap((f) => reachableFunctions(ctx.facts, f));
      if (callsIn(reached, [use]).length > 0) continue;
      // Delegating to another bus's configure (defined elsewhere) hands the count to that bus.
      const local = new Set(ctx.facts.functions.map((f) => f.name));
      if (reached.some((f) => f.calls.some((c) => /_dma_configure$/.test(c.callee) && !local.has(c.callee) && !/^(arch|of|acpi)_/.test(c.callee)))) continue;
      const partial = reached.find((f) => !f.complete);
      ctx.report({
        messageId: 'noUse',
        data: { hook: hook.name, bus, flag: flagText, use },
        span: fn.nameSpan,
        key: keyOf(CODE, hook.name),
        unseen: partial ? `only part of ${partial.name}() is visible` : undefined,
        fixes: [{
          title: `Take the default-domain count in ${hook.name}()`,
          edits: [],
          suggestion: `after firmware DMA setup: if (!drv->${flag}) { ret = ${use}(dev); if (ret) arch_teardown_dma_ops(dev); } — and undo it in .dma_cleanup`,
        }],
      });
    }
  },
});
