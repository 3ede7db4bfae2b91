/**
 * The rule framework: one file per rule (src/rules/<name>.ts) exporting a Rule built with createRule().
 * Rules never parse and never re-derive kernel logic: they read CFacts and ask the simulation (ctx.sim)
 * what the kernel would do, then report with a messageId and data.
 */
import type {
  CFacts,
  DriverStructFact,
  FunctionFact,
  Fix,
  ImageSpan,
  KernelTarget,
  Patch,
  ScenarioResult,
  Severity,
  TopologyKind,
  TraceStep,
} from '../core/types';
import type { FunctionSimInput, LifecycleResult } from '../core/sim';

export type RuleCategory = 'ownership' | 'default-domain' | 'bus' | 'attach' | 'api' | 'pasid';

export interface RuleMeta {
  /** 'OWN001': stable, never reused. */
  code: string;
  /** 'missing-driver-managed-dma': equals the file name and the doc page name. */
  name: string;
  category: RuleCategory;
  defaultSeverity: Severity;
  tier: 1 | 2 | 3;
  /** 'syntactic': about spelling, judged without the replay (no simulated trace). Default 'semantic': a query of the replay. */
  kind?: 'semantic' | 'syntactic';
  /** One sentence for --list-rules and the docs index. */
  description: string;
  /** messageId → template with {{placeholders}}. */
  messages: Record<string, string>;
  /** Targets on which the rule applies (default: all). */
  targets?: readonly KernelTarget[];
  /** Set by createRule() from the name. */
  docsUrl: string;
}

export interface Report {
  messageId: string;
  data?: Record<string, string | number>;
  /** Where in the analysed C image (facts coordinates). */
  span: ImageSpan;
  /** Which image the span is in: post (default) or pre (removed code). */
  image?: 'post' | 'pre';
  /** The scenario whose trace shows the failure (its trace is attached to the finding). */
  scenario?: ScenarioResult;
  /** Or a bare trace. */
  trace?: TraceStep[];
  fixes?: Fix[];
  /**
   * Set when the rule needed a fact it could not see (e.g. the .remove body is outside the hunks):
   * the engine lowers the severity to info and appends this text ("the .remove callback foo_remove() is not in the patch").
   */
  unseen?: string;
  /**
   * A stable key naming the problem independently of line numbers (e.g. 'OWN005:foo_probe:iommu_group_claim_dma_owner').
   * The engine drops a post-image finding whose key also appears in the pre-image (the problem existed before the patch)
   * and uses it to tell which later patch of a series fixes it.
   */
  key: string;
}

/** How a function replayed alone is run (sim FunctionSimInput: role, startHeld, defaultDomain). */
export type FunctionReplayOptions = Pick<FunctionSimInput, 'role' | 'startHeld' | 'defaultDomain' | 'fakeGroup'>;

/** What the simulation answers for a driver struct (memoised per analysis). */
export interface SimQueries {
  /** Replays bind → probe → remove → unbind (and every probe-failure exit) in a topology. */
  driverScenarios(driver: DriverStructFact, topology: TopologyKind): ScenarioResult[];
  /** Replays one function on its own (non-driver code: ioctl/open/release handlers, bus hooks). */
  functionScenarios(fn: FunctionFact, topology: TopologyKind, options?: FunctionReplayOptions): ScenarioResult[];
  /** Each acquiring entry point of the file replayed with its release partners (sim/lifecycle.ts). */
  lifecycle?(topology: TopologyKind): LifecycleResult[];
}

export interface RuleContext {
  target: KernelTarget;
  /** Facts of the post-image (or the whole C file). */
  facts: CFacts;
  /** Facts of the pre-image when reviewing a patch (removed code lives here). */
  pre?: CFacts;
  /** The patch being reviewed (undefined for a bare C file). */
  patch?: Patch;
  /** True for the IOMMU core (drivers/iommu/*.c, include/linux/iommu.h) and bus code implementing dma_configure/dma_cleanup. */
  isCoreOrBusCode: boolean;
  /** True when the whole post-image is known (bare C file, or --tree / workspace applied). */
  complete: boolean;
  sim: SimQueries;
  /** Helpers. */
  isAdded(span: ImageSpan): boolean;
  functionByName(name: string): FunctionFact | undefined;
  report(r: Report): void;
}

export interface Rule {
  meta: RuleMeta;
  check(ctx: RuleContext): void;
}

/**
 * Rule pages ship with the tool (docs/rules/NAME.md in the npm package and the VS Code extension): the project has no
 * public web address, so the link is the page's path in the package (`--explain NAME` prints it).
 */
export const DOCS_BASE = 'docs/rules/';

/** Builds a rule; derives the docs URL from the name (never written by hand). */
export function createRule(def: { meta: Omit<RuleMeta, 'docsUrl'>; check(ctx: RuleContext): void }): Rule {
  return { meta: { ...def.meta, docsUrl: `${DOCS_BASE}${def.meta.name}.md` }, check: def.check };
}

/** Fills {{placeholders}} of a message template. */
export function formatMessage(template: string, data: Record<string, string | number> = {}): string {
  // A function name the hunk does not show (no function header in view) must not print as "() calls ...".
  const filled = template.replace(/\{\{\s*(\w+)\s*\}\}\(\)/g, (whole, k: string) =>
    k in data && UNNAMED.has(String(data[k]).trim()) ? UNSEEN_FUNCTION : whole,
  );
  const out = filled.replace(/\{\{\s*(\w+)\s*\}\}/g, (_, k: string) => (k in data ? String(data[k]) : `{{${k}}}`));
  return out.startsWith(UNSEEN_FUNCTION) ? out.charAt(0).toUpperCase() + out.slice(1) : out;
}

const UNNAMED = new Set(['', '(unnamed)', '(unknown)']);
/** What a message says instead of an empty `name()`: the call sits in a function whose header the hunk does not show. */
export const UNSEEN_FUNCTION = 'the enclosing function (its header is not in the hunk)';
