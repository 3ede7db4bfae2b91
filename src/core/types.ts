/**
 * The contracts between the layers of the pure core:
 *   input (text → Series of Patches)  →  c (C text → CFacts)  →  sim (model + replay)  →  rules (Findings).
 * Everything here is plain, serialisable data (it crosses worker_threads boundaries).
 * Positions are 1-based everywhere (lines and columns), as in checkpatch, eslint and the JSON contract.
 */

// ───────────────────────────── common ─────────────────────────────

export type Severity = 'error' | 'warning' | 'info';
export type SeverityOverride = Severity | 'off';

/** A range in some text. 1-based, end inclusive of the last character's column + 1 (exclusive end column). */
export interface Span {
  line: number;
  column: number;
  endLine: number;
  endColumn: number;
}

/** A location a user can open: path is the input as given (patch file, mail, or C file). */
export interface UserLocation {
  path: string;
  line: number;
  column: number;
  endLine?: number;
  endColumn?: number;
}

/** Input that could not be reviewed (fully or in part). Never thrown: always returned as data. */
export interface InputProblem {
  path: string;
  message: string;
  line?: number;
  /** 'skipped' = intentionally not reviewed (binary, combined diff, non-text MIME part); 'failed' = unusable. */
  kind: 'skipped' | 'failed';
}

// ───────────────────────────── input layer ─────────────────────────────

export type InputKind =
  | 'unified-diff' // git diff / diff -u
  | 'format-patch' // one mail with a diff
  | 'mbox' // several messages
  | 'quoted-reply' // a review mail whose diff is quoted with "> "
  | 'cover-letter' // a mail with no diff
  | 'c-source' // a bare C (or header) file
  | 'unknown';

export interface HunkLine {
  kind: 'add' | 'del' | 'context';
  /** The line's text without the leading +/-/space marker and without line terminator. */
  text: string;
  /** Line in the input file (the patch, the mail, the mbox) — 1-based. */
  inputLine: number;
  /** Column in the input file where `text` starts (1-based; > 2 for quoted lines, "> +"). */
  inputColumn: number;
  /** Line in the pre-image (del and context lines). */
  oldLine?: number;
  /** Line in the post-image (add and context lines). */
  newLine?: number;
}

export interface Hunk {
  oldStart: number;
  oldLines: number;
  newStart: number;
  newLines: number;
  /** The text after the second @@ (often the enclosing function name). */
  heading: string;
  /** Input line of the @@ header. */
  inputLine: number;
  lines: HunkLine[];
  /** True when the hunk ended before its header's line counts were satisfied. */
  truncated: boolean;
}

export type FileStatus = 'modified' | 'added' | 'deleted' | 'renamed' | 'copied' | 'mode-only' | 'binary' | 'combined';

export interface FileDiff {
  /** Path in the pre-image (without a/ prefix), null for a new file. */
  oldPath: string | null;
  /** Path in the post-image (without b/ prefix), null for a deleted file. */
  newPath: string | null;
  status: FileStatus;
  hunks: Hunk[];
  /** Input line of the `diff --git` (or ---) header. */
  inputLine: number;
  /** git's `index <pre>..<post>` blob ids (abbreviated), when the diff has that line. */
  blobs?: { pre: string; post: string };
}

/** One message / patch of a series (a plain diff is a series of one patch with no headers). */
export interface Patch {
  /** 0-based position in the series after ordering by [PATCH n/m]. */
  index: number;
  /** Subject as in the mail (e.g. "[PATCH v5 07/14] vfio: ..."), or '' for a plain diff. */
  subject: string;
  /** Parsed from the subject's [PATCH ...] tag. */
  version?: number;
  number?: number;
  total?: number;
  from?: string;
  date?: string;
  messageId?: string;
  /** Commit message body (decoded), for rules that read the changelog. */
  body: string;
  /** First input line of this message. */
  inputLine: number;
  files: FileDiff[];
  /** A cover letter (n = 0, or no diff). */
  isCover: boolean;
  /** True when the diff was recovered from "> " quotes: a review reply (in a thread mbox it repeats its patch). */
  quoted?: boolean;
}

export interface ParsedInput {
  /** The path as given by the user (or '<stdin>'). */
  path: string;
  kind: InputKind;
  /** Decoded text (lossless for UTF-8; invalid bytes become U+FFFD, one per byte so offsets hold). */
  text: string;
  patches: Patch[];
  problems: InputProblem[];
}

// ───────────────────────────── C facts ─────────────────────────────

/** present / absent / unknown: what a patch shows about a fact. */
export type Tri = 'present' | 'absent' | 'unknown';

/**
 * A position in the analysed C image (post-image, or pre-image for removed code).
 * For a hunk-only view the C text is built so that line N of it is image line N (unseen lines are blank),
 * so a Span in the C text is directly an image position.
 */
export type ImageSpan = Span;

export interface FieldInit {
  /** Designator path without dots: 'probe', 'driver_managed_dma', 'driver.name'. */
  name: string;
  /** Initialiser text, trimmed ('true', 'foo_probe', '&foo_ops'). */
  value: string;
  span: ImageSpan;
}

export type BusKind = 'pci' | 'platform' | 'amba' | 'fsl_mc' | 'cdx' | 'host1x' | 'vfio' | 'other';

export interface DriverStructFact {
  /** Variable name (`foo_pci_driver`). */
  name: string;
  /** Struct type without `struct ` (`pci_driver`). */
  structType: string;
  bus: BusKind;
  /** Span of the variable name (where diagnostics about the struct go). */
  nameSpan: ImageSpan;
  /** Span of the whole declaration. */
  span: ImageSpan;
  /** Position just before the closing brace of the outer initializer (for the "add the flag" fix); null if not seen. */
  insertBefore: { line: number; column: number; indent: string } | null;
  /** Every designated initialiser seen (nested `.driver = { ... }` flattened to 'driver.xxx'). */
  fields: FieldInit[];
  /** True if the whole initializer is visible (so an absent field is really absent). */
  complete: boolean;
  /** Which ownership flag spelling is set, and to what. */
  managedDma: {
    state: Tri;
    /** 'driver_managed_dma' | 'suppress_auto_claim_dma_owner' | 'no_kernel_api_dma' when present. */
    spelling?: string;
    value?: string;
    span?: ImageSpan;
    /** True when the flag sits in the nested `.driver = {}` (struct device_driver), the v1/v4 placement. */
    inDeviceDriver?: boolean;
  };
  /** Callback names wired up: probe, remove, shutdown, ... (field → function name). */
  callbacks: Record<string, string>;
  /** What `.id_table` matches when its array is in the text: PCI class macros, and whether other entries match by id. */
  idTable?: { classes: string[]; byOtherIds: boolean };
  /** Registration macro/call that registers this struct (module_pci_driver(x), platform_driver_register(&x)). */
  registeredBy?: { macro: string; span: ImageSpan };
  /** Lines of this struct that the patch added (image lines). */
  addedLines: number[];
}

/**
 * Any other struct initialised at file scope whose fields name functions (file_operations, *_ops, device_type):
 * the lifecycle replay pairs an entry point with its partner through them (open/release, attach/detach).
 */
export interface OpsStructFact {
  name: string;
  structType: string;
  nameSpan: ImageSpan;
  complete: boolean;
  /** Field → function name, in initializer order. */
  callbacks: Record<string, string>;
}

export interface BusTypeFact {
  name: string;
  nameSpan: ImageSpan;
  complete: boolean;
  fields: FieldInit[];
  dmaConfigure?: string;
  dmaCleanup?: string;
  /** v2/v3 spelling. */
  dmaUnconfigure?: string;
  /** Struct types of the drivers the visible code registers on this bus (`pci_driver`); empty when none is shown. */
  driverTypes?: string[];
}

/** How a C expression is used as a value: resolved by the replay against the scenario. */
export interface ArgFact {
  text: string;
  span: ImageSpan;
}

export interface CallFact {
  callee: string;
  args: ArgFact[];
  span: ImageSpan;
  /** Span of the callee identifier only (diagnostics point here). */
  calleeSpan: ImageSpan;
  /** Enclosing function, if any. */
  inFunction?: string;
  /** 'ignored' = expression statement (or cast to void); 'assigned' = stored; 'tested' = used in a condition; 'returned'; 'argument'. */
  resultUse: 'ignored' | 'void-cast' | 'assigned' | 'tested' | 'returned' | 'argument' | 'other';
  assignedTo?: string;
  /** True if the line is added by the patch (always true for a whole C file). */
  added: boolean;
  /** True if inside an ERROR node of the parse (facts still reported, with less confidence). */
  inErrorRegion: boolean;
}

/** Conditions as the replay understands them. Anything else is 'unknown' (the replay forks). */
export type Cond =
  | { kind: 'truthy'; subject: Subject }
  | { kind: 'isErr'; subject: Subject }
  | { kind: 'isErrOrNull'; subject: Subject }
  | { kind: 'cmp'; subject: Subject; op: '<' | '<=' | '==' | '!=' | '>' | '>='; rhs: number | string }
  | { kind: 'not'; cond: Cond }
  | { kind: 'and'; left: Cond; right: Cond }
  | { kind: 'or'; left: Cond; right: Cond }
  | { kind: 'const'; value: boolean }
  | { kind: 'unknown'; text: string };

/** What a condition or return looks at: a variable / lvalue text, or the result of the call at instruction `pc`. */
export type Subject = { kind: 'var'; name: string } | { kind: 'call'; pc: number };

export type ValueExpr =
  | { kind: 'int'; value: number } // 0, -ENOMEM (resolved to -12), 1
  | { kind: 'errno'; name: string } // -EPROBE_DEFER etc. when not resolvable to a number
  | { kind: 'null' }
  | { kind: 'var'; name: string }
  | { kind: 'call'; pc: number } // value of the call at pc (e.g. `return foo(...)`)
  | { kind: 'ptrErr'; subject: Subject } // PTR_ERR(x)
  | { kind: 'errPtr'; value: ValueExpr } // ERR_PTR(x)
  | { kind: 'unknown'; text: string };

/**
 * A function body flattened to a small instruction list (if/else, goto, loops, switch → branches and jumps),
 * which the replay interprets. Only calls are kept as statements; other statements are dropped except
 * assignments of simple values to variables that later conditions or returns read.
 */
export type Instr =
  | { op: 'call'; call: CallFact; assignTo?: string }
  | { op: 'assign'; target: string; value: ValueExpr; span: ImageSpan }
  /** Jump to `target` when cond is true, else fall through. */
  | { op: 'branch'; cond: Cond; target: number; span: ImageSpan }
  | { op: 'jump'; target: number; span?: ImageSpan }
  | { op: 'return'; value: ValueExpr | null; span: ImageSpan }
  /** A label (goto target); a no-op kept for traces and error-path detection. */
  | { op: 'label'; name: string; span: ImageSpan }
  /** Code that could not be seen (between hunks) or not parsed: the replay treats it as unknown effects. */
  | { op: 'gap'; span: ImageSpan };

export interface FunctionFact {
  name: string;
  nameSpan: ImageSpan;
  span: ImageSpan;
  isStatic: boolean;
  /** Parameter names in order, and their declared types as text. */
  params: { name: string; type: string }[];
  returnType: string;
  /** True when the whole body is visible. */
  complete: boolean;
  /** Every call in source order (including calls inside conditions and ERROR regions). */
  calls: CallFact[];
  /** The body as instructions (see Instr). Calls appear in program[] in source evaluation order. */
  program: Instr[];
  /** `devm_add_action(_or_reset)(dev, fn, data)` registrations in this body: fn name and the call. */
  devmActions: { fn: string; call: CallFact }[];
  /** Labels that are goto targets, with their instruction index. */
  labels: Record<string, number>;
  /** Lines of the function that the patch added. */
  addedLines: number[];
  /** File-scope ops structs this body hands out by address (`fdev->type = &foo_type`, `init(&foo_funcs)`). */
  structRefs?: string[];
}

export interface DmaApiUse {
  /** dma_map_single, dma_alloc_coherent, dmam_alloc_coherent, pci_set_master, dma_pool_create, ... */
  callee: string;
  span: ImageSpan;
  inFunction?: string;
}

export interface MmioUse {
  /** ioremap, devm_ioremap_resource, devm_platform_ioremap_resource, pci_iomap, pcim_iomap_regions, pci_reset_function, ... */
  callee: string;
  span: ImageSpan;
  inFunction?: string;
}

/** An identifier of interest seen anywhere (stale names, removed notifier constants, struct field names). */
export interface IdentifierFact {
  name: string;
  span: ImageSpan;
  /** 'call' | 'field-designator' | 'field-access' | 'identifier' | 'field-declaration' | 'enum-constant' */
  role: 'call' | 'field-designator' | 'field-access' | 'identifier' | 'field-declaration' | 'enum-constant' | 'macro';
  added: boolean;
  inFunction?: string;
  /** For role 'field-declaration': the struct being declared (`iommu_domain`). */
  inStruct?: string;
}

export interface CFacts {
  /** Path in the tree (post-image path of the patch, or the C file's path). */
  path: string;
  /** Which image these facts describe. */
  image: 'post' | 'pre' | 'file';
  /** True when the whole file was seen (bare C file, or the patch applied to a --tree / workspace copy). */
  complete: boolean;
  drivers: DriverStructFact[];
  busTypes: BusTypeFact[];
  /** Other function-pointer initializers at file scope (absent in facts built before they existed). */
  opsStructs?: OpsStructFact[];
  /**
   * Every value a designated field is given in the file's struct initializers at file scope, by the field's last
   * name (`.dma_mask = DMA_BIT_MASK(34)` → dma_mask: ['DMA_BIT_MASK(34)']); absent in facts built before it existed.
   */
  staticFields?: Record<string, string[]>;
  functions: FunctionFact[];
  dmaApi: DmaApiUse[];
  mmio: MmioUse[];
  identifiers: IdentifierFact[];
  /** Registration macros seen (module_pci_driver etc.), whether or not the struct was seen. */
  registrations: { macro: string; arg: string; span: ImageSpan }[];
  /** Image lines the patch added (empty for a whole file where everything is "added"). */
  addedLines: number[];
  /** Image lines visible at all (context + added); for a whole file, every line. */
  visibleLines: { from: number; to: number }[];
  /** Parse quality: ERROR nodes count, whether the parse timed out. */
  parse: {
    errorNodes: number;
    timedOut: boolean;
    bytes: number;
    /** Functions nested deeper than the syntax depth limit: not replayed (their calls are unknown to callers). */
    tooDeep?: { name: string; line: number; limit: number }[];
    /** Functions with more IOMMU/VFIO API calls than the per-function budget: not replayed either. */
    tooManyCalls?: { name: string; line: number; calls: number; limit: number }[];
    /** More code than one view may have to be parsed: nothing of the view was reviewed. */
    tooLarge?: { codeBytes: number; limit: number };
  };
}

// ───────────────────────────── simulation ─────────────────────────────

/** Kernel profiles. `latest` is the default (newest mainline behaviour in the spec). */
export type KernelTarget =
  | '5.19'
  | '6.2'
  | '6.14'
  | '6.15'
  | 'latest'
  | 'series-v1'
  | 'series-v2'
  | 'series-v3'
  | 'series-v4'
  | 'series-v5';

export const KERNEL_TARGETS: readonly KernelTarget[] = [
  '5.19', '6.2', '6.14', '6.15', 'latest', 'series-v1', 'series-v2', 'series-v3', 'series-v4', 'series-v5',
];

/** Scenario topologies (issue 3 §4). */
export type TopologyKind = 'singleton' | 'shared-dma-api' | 'user-owned' | 'no-iommu'
  | 'co-owned'; // dev0 and dev1 in one group; once dev0 is claimed per device, its owner claims dev1 too (co-owner.ts)

/** One step of a simulated trace: serialisable, and what the JSON contract prints. */
export interface TraceStep {
  /** Human text: "bind: pci_dma_configure → iommu_device_use_default_domain(dev0)". */
  step: string;
  /** 'ok' / '0' / '-EPERM' / 'WARN: ...' / 'void' */
  result: string;
  /** Where the call is in the C image (opaque to the core; the analyze layer maps it to the user's file). */
  at?: { file: string; line: number; column: number };
  /** Compact state strings before and after ("grp0: cnt=1 owner=- dom=default"). */
  before?: string;
  after?: string;
  warn?: string;
  /** Phase of the lifecycle: bind, probe, remove, unbind, probe-failure-cleanup, devres, user, hotplug. */
  phase?: string;
}

export type ViolationKind =
  | 'warn' // a WARN_ON fired in the kernel
  | 'error-return' // an API returned an error the driver did not expect (e.g. bind -EBUSY/-EPERM)
  | 'leaked-owner-cnt' // owner_cnt not back to its pre-bind value after unbind
  | 'left-owned' // group still has an owner after the driver is gone
  | 'left-private-domain' // group left on a private / freed domain
  | 'use-after-free' // domain used/attached after free
  | 'pasid-leak' // pasid_array not empty after unbind
  | 'claim-failed' // a user-space / VFIO claim failed because of this driver
  | 'double-release'
  | 'bad-detach'
  | 'null-owner' // a DMA-ownership claim with a NULL owner cookie (6.2+: WARN and -EINVAL; 5.19: a claim never released)
  | 'dma-api-off-default-domain' // DMA-API use while the device's group is not on its default domain (nor on one the driver attached)
  | 'device-access-while-user-owned' // MMIO mapping or reset of a device whose group another owner (user space) holds
  | 'unchecked-failure' // a failing claim/attach whose result the path never tests before it is dropped or overwritten
  | 'shared-attach-single-device' // series v2–v4: a driver-allocated domain attached with the _shared variant to one device only
  | 'detach-wrong-domain' // iommu_detach_device() names another domain than the private one attached: WARN, no-op
  | 'detach-not-attached' // iommu_detach_device() of a domain whose attach failed on this path: WARN, no-op
  | 'attach-while-attached' // an attach refused with -EBUSY: a private domain is already attached to the group
  | 'pasid-detach-mismatch' // iommu_detach_device_pasid() names another domain than the PASID holds: entry erased anyway
  | 'pasid-detach-not-attached' // iommu_detach_device_pasid() of a PASID whose attach failed on this path
  | 'claim-with-pasid-attached' // a DMA-ownership claim refused with -EBUSY: PASIDs are attached to the group
  | 'release-with-pasid-attached' // a DMA-ownership release while PASIDs are attached: WARN, ownership kept
  | 'invalid-pasid' // iommu_attach_device_pasid() with a PASID value the core refuses (or that is the RID's own)
  | 'probe-defer-lost' // -EPROBE_DEFER from iommu_device_use_default_domain() returned as success or as another errno
  | 'dma-api-on-private-domain' // DMA-API mappings of a device whose group is (or is switched) on a private domain
  | 'attach-group-unowned' // iommu_attach_group() of an unowned group holding another driver's DMA-API device
  | 'idle-driver-blocks-claim' // while bound, a driver whose file does no DMA and no MMIO holds a DMA-API count: user claims of its group are refused
  | 'ownership-on-fake-group' // a DMA-ownership claim/release on a VFIO no-IOMMU (fake) group: 6.12 oopses in dev_iommu_ops (NULL dev->iommu)
  | 'dropped-co-owner-claims'; // iommu_group_release_dma_owner() with owner_cnt > 1: zeroes it, dropping the other device claims of the same owner

export interface Violation {
  kind: ViolationKind;
  message: string;
  /** Index into the trace of the step that shows it. */
  stepIndex: number;
  /** The API involved, if any. */
  api?: string;
  /** The errno, if any ("-EPERM"). */
  errno?: string;
  /** The WARN the kernel printed, when the violation is one. */
  warn?: string;
  /** The group the step acted on ('grp0'), when it names one. */
  group?: string;
  /** Where the step's call is in the C image (copied from the step). */
  at?: { file: string; line: number; column: number };
  /** Compact group state before and after the step (copied from the step). */
  before?: string;
  after?: string;
  /** The lifecycle phase the step ran in (bind, probe, probe-failure-cleanup, remove, unbind, …). */
  phase?: string;
  /** For 'unchecked-failure': how the result was lost (the variable, and the line that overwrote it). */
  unchecked?: { how: 'ignored' | 'void-cast' | 'overwritten' | 'never-tested'; variable?: string; line?: number; unseen?: string };
  /** For a refused user-space claim: what hands the device to user space ('vfio_register_group_dev() at main.c:40'). */
  handoff?: string;
  /** Code the replay could not see ran between the step that set the state up and this one: what it was. */
  unseen?: string;
}

export interface ScenarioResult {
  /** e.g. "singleton: bind → probe → remove → unbind", "shared-dma-api: probe fails at line 57". */
  name: string;
  topology: TopologyKind;
  /** 'bind-failed' when dma_configure refused; 'probe-failed' when probe returned an error. */
  outcome: 'ok' | 'bind-failed' | 'probe-failed';
  /** errno text when the outcome is not ok. */
  errno?: string;
  trace: TraceStep[];
  violations: Violation[];
  /** For a lifecycle replay (lifecycle.ts): the acquiring entry point and the partners replayed after it. */
  lifecycle?: { acquire: string; release: string[]; pairing: string };
  /**
   * Set when the replay hit a budget (forks per run, steps per path) in this run: what was cut and where
   * ("the path budget (512 forks per scenario run) in foo_probe()"). Paths past that point were not all explored.
   */
  budget?: string;
  /**
   * How the replayed entry point ended, as data (rules read it instead of parsing `name`): the line of the `return`
   * that ended it and the last `goto` label taken on the way, when the replay saw them.
   */
  exit?: { returnLine?: number; lastGoto?: string };
}

// ───────────────────────────── findings / analyze ─────────────────────────────

export interface Fix {
  title: string;
  /** Edits in the user's file (for a C file) or suggested hunk lines (for a patch): line/column 1-based. */
  edits: { path: string; span: Span; newText: string }[];
  /** Free text for fixes that cannot be expressed as an edit (in a patch: "add this line to the hunk"). */
  suggestion?: string;
}

export interface Finding {
  rule: string;
  code: string;
  severity: Severity;
  message: string;
  /** Where the user reads it: the patch/mail line, or the C file line. */
  location: UserLocation;
  /** Present when the finding lies in a patched C file: the post-image (or pre-image) path and line. */
  source?: { file: string; line: number; patch?: string; patchIndex?: number };
  trace: FindingStep[];
  fixes: Fix[];
  /** Set when the severity was lowered to info because a needed fact was not visible. */
  partial?: string;
  /** For series: the subject of a later patch that fixes this problem. */
  fixedBy?: string;
  /** What the finding was judged on: `full file (blob 9653d39)`, `tree`, or `hunks only` (patches only). */
  context?: string;
}

/** One step of a finding's trace. `phase`, `before` and `after` are for readers (formats, editor views), not the JSON contract. */
export interface FindingStep {
  step: string;
  result: string;
  location?: { path: string; line: number };
  /** bind, probe, remove, unbind, probe-failure-cleanup, devres, user, hotplug. */
  phase?: string;
  /** Compact group state before and after the step (`grp0{cnt=1 owner=- dom=default pasids=0}`), when it changed. */
  before?: string;
  after?: string;
}

export interface AnalyzeInput {
  /** Path as given (used in locations), '<stdin>' for standard input. */
  path: string;
  /** Raw bytes (preferred: decoding is the core's job) or already-decoded text. */
  content: Uint8Array | string;
}

export interface AnalyzeOptions {
  target?: KernelTarget;
  /** Rule severity overrides by rule name or code. */
  rules?: Record<string, SeverityOverride>;
  /** Reads a file of the tree the patch applies to (path relative to the tree root); undefined if absent. */
  readFile?: (path: string) => string | undefined;
  /**
   * Reads a git object of the reviewer's repository: a blob id (possibly abbreviated, as on a diff's `index` line) or
   * `<commit>:<path>`; undefined when the repository does not have it. Lets a patch be reviewed on whole files.
   */
  readBlob?: (spec: string) => string | undefined;
  /** Optional: limits that keep the tool responsive. */
  limits?: { maxBytes?: number; parseTimeoutMs?: number; maxHunksPerFile?: number };
  /** Treat a C file as a bus/core file (otherwise inferred from its path). */
  includeTraces?: boolean;
  /** false: no driver verdicts in `inputs[].drivers` (a host that prints none: the CLI's streamed large inputs). */
  verdicts?: boolean;
  /**
   * false for a C image that certainly gives no rule anything to report (the CLI's byte prefilter, for huge inputs):
   * a file diff whose images are whole (new file, or base known) and both say false is counted as reviewed, not parsed.
   */
  screen?: (imageText: string) => boolean;
}

export interface AnalysisResult {
  findings: Finding[];
  problems: InputProblem[];
  /** Per input: kind, patch count, and the extracted facts (for --dump-facts, code lenses). */
  inputs: {
    path: string;
    kind: InputKind;
    patches: { index: number; subject: string; files: string[] }[];
    /** Driver structs with their scenario verdicts (code lenses use this). */
    drivers: DriverVerdict[];
  }[];
  stats: {
    inputs: number; reviewed: number; skipped: number; failed: number; findings: number; ms: number;
    /** Patched C files by the context they were reviewed with (whole file from git, tree copy, hunks only). */
    context?: { fullFile: number; tree: number; hunksOnly: number };
  };
}

export interface DriverVerdict {
  driver: string;
  structType: string;
  file: string;
  /** Where the struct's name is in the user's file. */
  location: UserLocation;
  mode: 'kernel-dma-api' | 'driver-managed' | 'unknown';
  scenarios: {
    topology: TopologyKind;
    ok: boolean;
    summary: string;
    trace: Finding['trace'];
    /** When not ok: what went wrong (a ViolationKind, or the outcome 'bind-failed' / 'probe-failed') and in which phase. */
    problem?: { kind: string; phase: string };
  }[];
}

// ───────────────────────────── views handed from input to c ─────────────────────────────

/**
 * C text to extract facts from. For a hunk-only view the text is line-aligned with the image:
 * line N of `text` is image line N, and lines no hunk shows are empty (so spans are image positions).
 */
export interface CView {
  /** Path in the tree (a/ b/ prefixes removed). */
  path: string;
  image: 'post' | 'pre' | 'file';
  text: string;
  complete: boolean;
  /** Image lines added (post) or removed (pre) by the patch; for a whole file, empty. */
  changedLines: number[];
  /** Visible ranges of image lines (inclusive). */
  visibleLines: { from: number; to: number }[];
  /** image line → input (patch/mail) line and column offset of the text start; absent for a whole file. */
  inputLines?: Record<number, { line: number; column: number }>;
}
