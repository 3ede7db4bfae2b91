/**
 * OWN010: the "use/unuse" pair must balance. Bus code: dma_configure takes a DMA-API count with
 * iommu_device_use_default_domain() and dma_cleanup must drop it, gated by the same driver_managed_dma test, and a
 * failed use must fail the probe. On series-v5 the driver-visible iommu_device_use_dma_api()/unuse must balance too.
 */
import type { BusTypeFact, CallFact, FunctionFact, KernelTarget, ScenarioResult, Violation, ViolationKind } from '../core/types';
import { createRule, type RuleContext } from './types';
import { managedDmaFlag, USE_DMA_API, UNUSE_DMA_API, USE_DEFAULT_DOMAIN, UNUSE_DEFAULT_DOMAIN } from '../core/sim/vocabulary';
import { scenarioLabel, driverScenarios, hookScenarios, traceOf } from './scenario-selection';
import { callbackFunctions, callsIn, reaches } from '../core/c/call-graph';
import { isDriverCode } from './analysed-file';
import { keyOf } from './reports';
import { functionPieces } from '../core/c/function-pieces';
import { unseenBody, unseenRemove } from './unseen-code';

interface UsePair {
  use: string;
  unuse: string;
}

function pairFor(target: KernelTarget): UsePair {
  return target === 'series-v5'
    ? { use: USE_DMA_API, unuse: UNUSE_DMA_API }
    : { use: USE_DEFAULT_DOMAIN, unuse: UNUSE_DEFAULT_DOMAIN };
}

/** The violation of `kinds` on `api` a hook's replay shows, with its scenario. */
function hookViolation(scenarios: readonly ScenarioResult[], kinds: readonly ViolationKind[], api?: string): { scenario: ScenarioResult; violation: Violation } | undefined {
  for (const scenario of scenarios) {
    const violation = scenario.violations.find((v) => kinds.includes(v.kind) && (api === undefined || v.api === api));
    if (violation) return { scenario, violation };
  }
  return undefined;
}

/** The cleanup hook paired with a configure hook: from the bus_type, else by name. */
function cleanupFor(ctx: RuleContext, configure: FunctionFact, bus: BusTypeFact | undefined): { name?: string; fn?: FunctionFact } {
  const named = bus ? bus.dmaCleanup ?? bus.dmaUnconfigure : undefined;
  if (named) return { name: named, fn: ctx.functionByName(named) };
  // The whole bus_type is seen and wires no cleanup: a function merely named like one is never called.
  if (bus?.complete) return {};
  for (const suffix of ['cleanup', 'unconfigure']) {
    const name = configure.name.replace(/configure$/, suffix);
    const fn = ctx.functionByName(name);
    if (fn) return { name, fn };
  }
  return {};
}

function checkBusHooks(ctx: RuleContext): void {
  const pair = pairFor(ctx.target);
  const configures = new Map<string, BusTypeFact | undefined>();
  for (const b of ctx.facts.busTypes) if (b.dmaConfigure) configures.set(b.dmaConfigure, b);
  for (const f of ctx.facts.functions) if (/_dma_configure$/.test(f.name) && !configures.has(f.name)) configures.set(f.name, undefined);

  const judgedCleanups = new Set<string>();
  for (const [name, bus] of configures) {
    const named = ctx.functionByName(name);
    if (!named) continue;
    // A hook spanning two hunks: the piece that takes the count is the one replayed.
    const configure = functionPieces(ctx.facts, ctx.patch, named).find((f) => reaches(ctx.facts, f, [pair.use]).length > 0) ?? named;
    const use = reaches(ctx.facts, configure, [pair.use])[0];
    const cleanup = cleanupFor(ctx, named, bus);
    if (cleanup.fn) judgedCleanups.add(cleanup.fn.name);
    if (!use) {
      if (cleanup.fn) checkCleanupWithoutUse(ctx, pair, cleanup.fn, named);
      continue; // otherwise a configure hook that takes no count is bus-without-ownership-hooks' business
    }

    // The replay of configure for a DMA-API driver, with nothing dropping the count after it, shows the count it leaves.
    const leak = !cleanup.fn || reaches(ctx.facts, cleanup.fn, [pair.unuse]).length === 0
      ? hookViolation(hookScenarios(ctx, configure, 'dma_configure', false), ['leaked-owner-cnt'])
      : undefined;
    if (!cleanup.fn) {
      // A cleanup named by the bus_type but defined elsewhere: nothing to judge.
      if (!cleanup.name && leak) {
        const known = (bus !== undefined && bus.complete) || ctx.complete;
        ctx.report({
          messageId: 'noCleanup',
          data: { configure: name, use: pair.use, unuse: pair.unuse },
          // The fix goes into the bus_type: the finding too, when it is seen.
          span: bus ? bus.nameSpan : use.calleeSpan,
          scenario: leak.scenario,
          trace: traceOf(leak.scenario, leak.violation),
          unseen: known ? undefined : `the dma_cleanup hook paired with ${name}()`,
          key: keyOf('OWN010', name, 'no-cleanup'),
        });
      }
    } else if (leak) {
      ctx.report({
        messageId: 'cleanupNoUnuse',
        data: { configure: name, cleanup: cleanup.fn.name, use: pair.use, unuse: pair.unuse },
        // The missing unuse belongs in the cleanup hook: point there.
        span: cleanup.fn.nameSpan,
        scenario: leak.scenario,
        trace: traceOf(leak.scenario, leak.violation),
        unseen: unseenBody(ctx, cleanup.fn),
        key: keyOf('OWN010', name, 'cleanup-no-unuse'),
      });
    } else if (reaches(ctx.facts, cleanup.fn, [pair.unuse]).length > 0) {
      checkGating(ctx, pair, configure, cleanup.fn, use);
    }
    checkSwallowed(ctx, pair, configure, use, named.name);
  }
  // A cleanup hook changed on its own (its configure is not in the patch).
  for (const f of ctx.facts.functions) {
    if (!/_dma_cleanup$/.test(f.name) || judgedCleanups.has(f.name)) continue;
    if (ctx.functionByName(f.name.replace(/cleanup$/, 'configure'))) continue;
    checkCleanupWithoutUse(ctx, pair, f, undefined);
  }
}

/**
 * A cleanup whose unuse also runs for a driver with driver_managed_dma set, while its configure (when seen) takes no
 * count for such a driver: binding vfio-style drivers then drops a count never taken (WARN at 0, or another
 * device's count in a shared group). Only judged when the patch adds that unuse.
 */
function checkCleanupWithoutUse(ctx: RuleContext, pair: UsePair, cleanup: FunctionFact, configure: FunctionFact | undefined): void {
  const unuse = reaches(ctx.facts, cleanup, [pair.unuse])[0];
  if (!unuse || !ctx.isAdded(unuse.calleeSpan)) return;
  // Only on a bus whose drivers can opt out: the patch (either image) shows the flag.
  const flag = managedDmaFlag(ctx.target).field;
  if (![ctx.facts, ctx.pre].some((f) => f?.identifiers.some((i) => i.name === flag))) return;
  const scenario = hookScenarios(ctx, cleanup, 'dma_cleanup', true).find((s) =>
    s.violations.some((v) => v.kind === 'warn' || v.kind === 'leaked-owner-cnt'));
  if (!scenario) return;
  const configureName = configure?.name ?? cleanup.name.replace(/cleanup$/, 'configure');
  ctx.report({
    messageId: 'gatingMismatch',
    data: { hook: cleanup.name, api: pair.unuse, other: configureName },
    span: unuse.calleeSpan,
    scenario,
    unseen: configure ? unseenBody(ctx, configure) : `${configureName}() is not in the patch (assumed to skip ${pair.use}() for driver_managed_dma drivers, as every bus does)`,
    key: keyOf('OWN010', cleanup.name, 'gating'),
  });
}

/**
 * use and unuse must be skipped by the same driver_managed_dma test: both hooks replayed for a driver with the flag
 * set. A configure that still takes the count leaves it ('leaked-owner-cnt'); a cleanup that still drops one drops a
 * count never taken (a WARN of unuse at owner_cnt 0).
 */
function checkGating(ctx: RuleContext, pair: UsePair, configure: FunctionFact, cleanup: FunctionFact, use: CallFact): void {
  const usesWithFlag = hookViolation(hookScenarios(ctx, configure, 'dma_configure', true), ['leaked-owner-cnt']);
  const unusesWithFlag = hookViolation(hookScenarios(ctx, cleanup, 'dma_cleanup', true), ['warn', 'double-release'], pair.unuse);
  if (usesWithFlag && !unusesWithFlag) {
    ctx.report({
      messageId: 'gatingMismatch',
      data: { hook: configure.name, api: pair.use, other: cleanup.name },
      span: use.calleeSpan,
      scenario: usesWithFlag.scenario,
      trace: traceOf(usesWithFlag.scenario, usesWithFlag.violation),
      key: keyOf('OWN010', configure.name, 'gating'),
    });
  } else if (unusesWithFlag && !usesWithFlag) {
    const line = unusesWithFlag.violation.at?.line;
    const unuse = reaches(ctx.facts, cleanup, [pair.unuse]).find((c) => c.calleeSpan.line === line || c.span.line === line);
    ctx.report({
      messageId: 'gatingMismatch',
      data: { hook: cleanup.name, api: pair.unuse, other: configure.name },
      span: unuse?.calleeSpan ?? cleanup.nameSpan,
      scenario: unusesWithFlag.scenario,
      trace: traceOf(unusesWithFlag.scenario, unusesWithFlag.violation),
      key: keyOf('OWN010', cleanup.name, 'gating'),
    });
  }
}

/**
 * A failed use must fail dma_configure (and so the probe): configure replayed in a group user space already owns;
 * the replay records a swallowed refusal as an 'error-return' of the use with the kernel's errno.
 */
function checkSwallowed(ctx: RuleContext, pair: UsePair, configure: FunctionFact, use: CallFact, hookName: string): void {
  const swallowed = hookViolation(
    hookScenarios(ctx, configure, 'dma_configure', false, 'user-owned').filter((s) => s.outcome === 'ok'), ['error-return'], pair.use);
  if (!swallowed) return;
  ctx.report({
    messageId: 'swallowed',
    data: { configure: hookName, use: pair.use, errno: swallowed.violation.errno ?? '' },
    span: use.calleeSpan,
    scenario: swallowed.scenario,
    trace: traceOf(swallowed.scenario, swallowed.violation),
    unseen: configure.name === hookName ? unseenBody(ctx, configure) : `only part of ${hookName}() is in the patch`,
    key: keyOf('OWN010', hookName, 'swallowed'),
  });
}

/** series-v5: a driver that takes the count itself must drop it on remove and on every probe-failure exit. */
function checkSeriesDrivers(ctx: RuleContext): void {
  const pair = pairFor(ctx.target);
  for (const driver of ctx.facts.drivers) {
    const cbs = callbackFunctions(ctx.facts, driver);
    const uses = callsIn(cbs.functions, [pair.use]);
    if (uses.length === 0) continue;
    const scenarios = driverScenarios(ctx, driver, ['singleton']);
    for (const s of scenarios) {
      const v = s.violations.find((x) => x.kind === 'leaked-owner-cnt' || (x.kind === 'warn' && x.api === pair.unuse));
      if (!v) continue;
      const inProbe = s.outcome === 'probe-failed';
      ctx.report({
        messageId: inProbe ? 'driverLeakOnError' : 'driverLeak',
        data: { driver: driver.name, use: pair.use, unuse: pair.unuse, scenario: scenarioLabel(ctx, s) },
        span: uses[0].calleeSpan,
        scenario: s,
        trace: traceOf(s, v),
        unseen: inProbe ? unseenBody(ctx, cbs.byField.probe, driver.callbacks.probe) : unseenRemove(ctx, driver),
        key: keyOf('OWN010', driver.name, inProbe ? 'probe-failure' : 'unbind'),
      });
      break;
    }
  }
}

export const unbalancedDefaultDomainUse = createRule({
  meta: {
    code: 'OWN010',
    name: 'unbalanced-default-domain-use',
    category: 'default-domain',
    defaultSeverity: 'error',
    tier: 1,
    description: 'dma_configure/dma_cleanup (and series-v5 drivers) must balance use/unuse of the default domain on every path, gated alike.',
    messages: {
      noCleanup:
        '{{configure}}() takes a DMA-API count with {{use}}() but the bus has no dma_cleanup hook calling {{unuse}}(): every unbind leaks a count and the group can never be claimed (-EPERM)',
      cleanupNoUnuse:
        '{{configure}}() takes a DMA-API count with {{use}}() but {{cleanup}}() never calls {{unuse}}(): every unbind leaks a count and the group can never be claimed (-EPERM)',
      gatingMismatch:
        '{{hook}}() calls {{api}}() even for a driver with driver_managed_dma set, while {{other}}() skips its counterpart: the count goes out of balance',
      swallowed:
        '{{configure}}() ignores a failing {{use}}() ({{errno}}) and returns 0: the driver binds into a group it does not own the DMA of, and dma_cleanup later drops a count that was never taken',
      driverLeak: '{{driver}} takes a DMA-API count with {{use}}() but does not drop it with {{unuse}}() on unbind ({{scenario}})',
      driverLeakOnError: '{{driver}} takes a DMA-API count with {{use}}() but an error exit of probe does not drop it ({{scenario}})',
    },
  },
  check(ctx) {
    if (ctx.isCoreOrBusCode) checkBusHooks(ctx);
    else if (ctx.target === 'series-v5' && isDriverCode(ctx)) checkSeriesDrivers(ctx);
  },
});
