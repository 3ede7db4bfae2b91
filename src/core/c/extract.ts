/**
 * CView → CFacts: one parse, one pass over the top-level items (functions, struct definitions, code from a
 * function whose start is not visible), then cheap text scans resolved against the tree for identifiers of
 * interest and registration macros.
 */
import type { Node, Tree } from 'web-tree-sitter';
import type { CallFact, CFacts, CView, DmaApiUse, FunctionFact, IdentifierFact, ImageSpan, MmioUse } from '../types';
import { blankAnnotations } from './annotations';
import { endLine, LineInfo, spanOf, startLine } from './lines';
import { ProgramBuilder } from './program';
import { countErrorNodes, declaredName, isStatementType, namedChildren, withoutNodes } from './syntax';
import { parseWithTimeout } from './runtime';
import { rangesWithoutIrrelevantBodies } from './skipped-bodies';
import { RELEVANT_FUNCTION, VIEW_OF_INTEREST } from './relevance';
import { DMA_API_CALL, MMIO_CALL } from './call-names';
import {
  busDriverTypes, busTypeFact, idTableMatches, driverFact, initializerFields, isDriverStruct, opsStructFact, StructDefinition, structDefinitionFromDeclaration, structDefinitionFromError,
} from './structs';

const DEFAULT_TIMEOUT_MS = 5000;


const REGISTRATION = /\b(module_\w+_driver(?:_probe)?|builtin_\w+_driver(?:_probe)?|module_driver|\w+_register_driver|\w+_driver_register|\w*platform_driver_probe)\s*\(\s*&?\s*([A-Za-z_]\w*)/g;

const IDENTIFIER_OF_INTEREST = /\b(?:iommu_\w*|IOMMU_\w*|DMA_OWNER_\w*|vfio_\w*|VFIO_\w*|iommufd_\w*|IOMMUFD_\w*|suppress_auto_claim_dma_owner|no_kernel_api_dma|driver_managed_dma|dma_unconfigure|dma_cleanup|dma_configure|max_pasids|\w*pasid\w*)\b/g;
const PREFIXED_NAME = /^(?:iommu_|IOMMU_|DMA_OWNER_|vfio_|VFIO_|iommufd_|IOMMUFD_)|^(?:suppress_auto_claim_dma_owner|no_kernel_api_dma|driver_managed_dma|dma_unconfigure|dma_cleanup|dma_configure|max_pasids)$/;

/** Options of one extraction. */
export interface ExtractOptions {
  timeoutMs?: number;
  /**
   * Functions to build whatever they mention: in a modified file, those whose other image has a program (its
   * functions are compared with their pre-image: a patch that removes the only call of interest from one still has
   * it compared).
   */
  alsoBuild?: readonly string[];
  /** Parse the bodies of functions that cannot matter too (tests compare the facts with and without skipping them). */
  parseEveryBody?: boolean;
}

export function extractFacts(view: CView, opts?: ExtractOptions): CFacts {
  const text = blankAnnotations(view.text);
  const lines = new LineInfo(view, text);
  const facts: CFacts = {
    path: view.path,
    image: view.image,
    complete: view.complete,
    drivers: [],
    busTypes: [],
    functions: [],
    dmaApi: [],
    mmio: [],
    identifiers: [],
    registrations: [],
    addedLines: view.image === 'file' ? [] : [...view.changedLines].sort((a, b) => a - b),
    visibleLines: view.image === 'file' && view.visibleLines.length === 0
      ? [{ from: 1, to: lines.lineCount }]
      : view.visibleLines.map((range) => ({ ...range })),
    parse: { errorNodes: 0, timedOut: false, bytes: byteLength(text) },
  };
  // Nothing of interest, nothing to parse; unless the other image of a modified file has a program for a function
  // of this one (a patch that takes out the only call of interest still has the function compared).
  if (!opts?.alsoBuild?.length && !VIEW_OF_INTEREST.test(text)) return facts;
  // Parse, build and replay grow with the code: past this a view is reported, not parsed (blank lines are free, so a
  // hunk view far into a file still passes).
  const code = codeBytes(text);
  if (code > MAX_CODE_BYTES) {
    facts.parse.tooLarge = { codeBytes: code, limit: MAX_CODE_BYTES };
    return facts;
  }

  // Only the programs that can matter are built: in a view showing every line the parser skips the bodies of the
  // others (skipped-bodies.ts), unless the other image of a modified file wants some of them whatever they mention.
  const whole = view.complete && lines.everyLineVisible;
  const included = whole && !opts?.parseEveryBody && !opts?.alsoBuild?.length ? rangesWithoutIrrelevantBodies(text) : undefined;
  const tree = parseWithTimeout(text, opts?.timeoutMs ?? DEFAULT_TIMEOUT_MS, included);
  if (!tree) {
    facts.parse.timedOut = true;
    return facts;
  }
  try {
    collect(tree, text, lines, facts, opts?.alsoBuild ?? []);
  } finally {
    tree.delete();
  }
  return facts;
}

function collect(tree: Tree, text: string, lines: LineInfo, facts: CFacts, alsoBuild: readonly string[]): void {
  const root = tree.rootNode;
  lines.treeHasError = root.hasError;
  if (lines.treeHasError) facts.parse.errorNodes = countErrorNodes(root);
  const topLevel = new TopLevel(text, lines, facts, alsoBuild);
  topLevel.items(namedChildren(root));
  topLevel.buildRelevantPrograms();
  collectRegistrations(root, text, facts);
  const registrationByArg = new Map<string, CFacts['registrations'][number]>();
  for (const registration of facts.registrations) {
    if (!registrationByArg.has(registration.arg)) registrationByArg.set(registration.arg, registration);
  }
  for (const driver of facts.drivers) {
    const registration = registrationByArg.get(driver.name);
    if (registration) driver.registeredBy = { macro: registration.macro, span: registration.span };
  }
  collectCallUses(facts);
  collectIdentifiers(root, text, lines, facts);
  for (const bus of facts.busTypes) bus.driverTypes = busDriverTypes(text, bus.name);
  for (const driver of facts.drivers) {
    const table = driver.fields.find((f) => f.name === 'id_table')?.value;
    const matches = table ? idTableMatches(text, table) : undefined;
    if (matches) driver.idTable = matches;
  }
}

/** Walks top-level items; consecutive statements outside any visible function form one pseudo-function. */
class TopLevel {
  private run: Node[] = [];
  /** Functions whose program is not built yet. */
  private readonly deferred: Deferred[] = [];
  /** Run members that are pieces of an ERROR node (not whole statements). */
  private readonly errorPieces = new Set<Node>();

  constructor(
    private readonly text: string,
    private readonly lines: LineInfo,
    private readonly facts: CFacts,
    /** Functions built whatever they mention (ExtractOptions.alsoBuild). */
    private readonly alsoBuild: readonly string[],
  ) {}

  items(nodes: Node[]): void {
    for (const node of nodes) this.item(node);
    this.flush();
  }

  private item(node: Node): void {
    const indented = node.startPosition.column > 0;
    switch (node.type) {
      case 'comment':
        return;
      case 'function_definition':
        this.flush();
        this.facts.functions.push(this.functionFact(node, node, false));
        return;
      case 'declaration': {
        const definition = structDefinitionFromDeclaration(node);
        if (definition && this.structDefinition(definition)) {
          this.flush();
          return;
        }
        if (indented || this.run.length > 0 && !isFileScopeDeclaration(node)) this.run.push(node);
        else this.flush();
        return;
      }
      case 'ERROR':
        this.errorItem(node);
        return;
      case 'expression_statement':
        // Column-1 calls are file-scope macros (module_pci_driver(x);): registrations are found by the text scan.
        if (indented) this.run.push(node);
        else this.flush();
        return;
      case 'preproc_if':
      case 'preproc_ifdef':
      case 'preproc_else':
      case 'preproc_elif':
      case 'preproc_elifdef':
        if (this.run.length > 0) {
          this.run.push(node); // an #ifdef in the middle of a function body
          return;
        }
        this.flush();
        for (const child of withoutNodes(namedChildren(node), node.childForFieldName('condition'), node.childForFieldName('name'))) {
          this.item(child);
        }
        this.flush();
        return;
      case 'linkage_specification': {
        const body = node.childForFieldName('body');
        if (body) for (const child of namedChildren(body)) this.item(child);
        return;
      }
      default:
        if (isStatementType(node.type)) this.run.push(node);
        else this.flush();
    }
  }

  private errorItem(node: Node): void {
    const definition = structDefinitionFromError(node);
    if (definition) {
      this.flush();
      this.structDefinition(definition);
      return;
    }
    const children = namedChildren(node);
    const holdsFunctions = children.some((child, i) => child.type === 'function_definition' || tornFunctionAt(children, i));
    if (!holdsFunctions) {
      this.run.push(node);
    } else {
      // Split the ERROR into the functions it swallowed and the loose statements between them.
      for (let i = 0; i < children.length; i++) {
        const child = children[i];
        if (child.type === 'function_definition') {
          this.flush();
          this.facts.functions.push(this.functionFact(child, child, false));
          continue;
        }
        const torn = tornFunctionAt(children, i);
        if (torn) {
          this.flush();
          this.facts.functions.push(this.functionFact(node, torn, true));
          i = torn.end - 1;
          continue;
        }
        if (TYPE_PIECE.test(child.type)) continue; // the next function's return type: no code
        this.run.push(child);
        this.errorPieces.add(child);
      }
    }
    // A lone closing brace at column 1 ends the function whose start we did not see.
    const last = node.child(node.childCount - 1);
    if (last && last.type === '}' && last.startPosition.column === 0) this.flush();
  }

  private structDefinition(definition: StructDefinition): boolean {
    // Static tables (match data, per-SoC info) give fields their only values: the replay may ask what they can be.
    const fields = (this.facts.staticFields ??= {});
    for (const f of initializerFields(definition)) {
      const last = f.name.split('.').pop() ?? f.name;
      (fields[last] ??= []).push(f.value);
    }
    if (definition.structType === 'bus_type') {
      this.facts.busTypes.push(busTypeFact(definition, this.lines));
      return true;
    }
    if (isDriverStruct(definition)) {
      this.facts.drivers.push(driverFact(definition, this.lines, this.text));
      return true;
    }
    // Ops tables pair entry points for the lifecycle replay; the item is otherwise handled as before.
    const ops = opsStructFact(definition, this.lines);
    if (ops) (this.facts.opsStructs ??= []).push(ops);
    return false;
  }

  private flush(): void {
    if (this.run.length === 0) return;
    const nodes = this.run;
    this.run = [];
    this.facts.functions.push(this.pseudoFunction(nodes));
  }

  /** Code whose function header is not visible: calls are kept, attributed to no function. */
  private pseudoFunction(nodes: Node[]): FunctionFact {
    const first = nodes[0];
    const last = nodes[nodes.length - 1];
    const firstLine = startLine(first);
    const builder = new ProgramBuilder(this.lines, undefined, firstLine - 1);
    const unseen = this.lines.unseenWithin(1, firstLine - 1);
    builder.pushGap(unseen ? unseen.from : firstLine, unseen ? unseen.to : firstLine);
    let start = 0;
    const firstLineText = lineText(this.text, firstLine);
    if (this.lines.isVisible(firstLine) && !this.lines.isVisible(firstLine - 1) && closesMoreThanOpens(firstLineText)) {
      // The hunk starts inside a multi-line call: the parser misreads that line, so read its calls from the text.
      while (start < nodes.length && endLine(nodes[start]) === firstLine) start++;
      if (start > 0) builder.textualCalls(firstLineText, firstLine);
    }
    for (const node of nodes.slice(start)) {
      if (this.errorPieces.has(node)) builder.errorPieces([node]);
      else builder.statementList([node]);
    }
    const lastNodeEnd = last.child(last.childCount - 1);
    const closed = (last.type === 'ERROR' || this.errorPieces.has(last)) && lastNodeEnd !== null && lastNodeEnd.type === '}';
    if (!closed) builder.pushGap(endLine(last), endLine(last));
    const result = builder.finish();
    const span = { ...spanOf(first), endLine: endLine(last), endColumn: last.endPosition.column + 1 };
    return {
      name: '',
      nameSpan: { line: span.line, column: span.column, endLine: span.line, endColumn: span.column },
      span,
      isStatic: false,
      params: [],
      returnType: '',
      complete: false,
      ...result,
      addedLines: this.lines.addedWithin(span.line, span.endLine),
    };
  }

  /**
   * A function from a clean definition, or from the pieces of one inside an ERROR node. The header is read now;
   * the body's program is built later, only if the function matters (see buildRelevantPrograms).
   */
  private functionFact(whole: Node, pieces: Node | TornFunction, inErrorRegion: boolean): FunctionFact {
    const torn = 'rest' in pieces ? pieces : null;
    const definition = 'rest' in pieces ? null : pieces;
    const declarator = torn ? torn.declarator : findFunctionDeclarator(definition?.childForFieldName('declarator') ?? null);
    const body = definition ? definition.childForFieldName('body') : null;
    const nameNode = declarator?.childForFieldName('declarator') ?? null;
    const name = declaredName(nameNode) ?? '';
    const headerStart = torn ? torn.headerStart : whole.startIndex;
    const prefix = this.text.slice(headerStart, declarator ? declarator.startIndex : whole.startIndex);
    const span = torn ? torn.span : spanOf(whole);
    let closed = false;
    if (body) {
      const closing = body.child(body.childCount - 1);
      closed = closing !== null && closing.type === '}' && !closing.isMissing;
    }
    const fact: FunctionFact = {
      name,
      nameSpan: nameNode ? spanOf(nameNode) : span,
      span,
      isStatic: /\bstatic\b/.test(prefix),
      params: declarator ? parametersOf(declarator, this.text) : [],
      returnType: returnTypeOf(prefix),
      complete: closed && name !== '' && this.lines.allVisible(span.line, span.endLine),
      calls: [],
      program: [],
      devmActions: [],
      labels: {},
      addedLines: this.lines.addedWithin(span.line, span.endLine),
    };
    const build = (): void => {
      const bodyNodes = torn ? torn.rest : body ? namedChildren(body) : [];
      // Too deep to walk with the recursive builders: the same limit on every thread (a worker's stack is bigger),
      // so the function is an unknown callee and the rest of the file is still reviewed.
      // A body of few nodes holds no deep statement: one wasm call instead of one per statement.
      if ((!body || body.descendantCount > MAX_SYNTAX_DEPTH) && deeperThan(bodyNodes, MAX_SYNTAX_DEPTH)) {
        (this.facts.parse.tooDeep ??= []).push({ name: name || '(unnamed)', line: span.line, limit: MAX_SYNTAX_DEPTH });
        fact.complete = false;
        return;
      }
      const firstLine = body ? startLine(body) : declarator ? endLine(declarator) : span.line;
      // No visible name (a hunk starting inside the parameter list): the calls belong to no known function.
      const builder = new ProgramBuilder(this.lines, name || undefined, firstLine, inErrorRegion);
      builder.statementList(bodyNodes);
      if (body) builder.gapUntil(endLine(body));
      if (!closed) builder.pushGap(span.endLine, span.endLine);
      Object.assign(fact, builder.finish());
      // Replay and rules cost grows faster than the number of ownership calls in one function (paths × calls):
      // past the budget the function is not replayed, and says so, rather than taking minutes.
      let apiCalls = 0;
      for (const call of fact.calls) if (PREFIXED_NAME.test(call.callee)) apiCalls++;
      if (apiCalls > MAX_API_CALLS_PER_FUNCTION) {
        (this.facts.parse.tooManyCalls ??= []).push({ name: name || '(unnamed)', line: span.line, calls: apiCalls, limit: MAX_API_CALLS_PER_FUNCTION });
        Object.assign(fact, { program: [], calls: [], devmActions: [], labels: {}, complete: false });
      }
    };
    const lastIndex = torn ? torn.rest[torn.rest.length - 1].endIndex : whole.endIndex;
    this.deferred.push({ fact, build, text: this.text.slice(headerStart, lastIndex) });
    return fact;
  }

  /**
   * Builds the programs that can matter: functions whose text mentions DMA, IOMMU or driver tokens, driver and
   * bus callbacks, and everything those call or hand out as callbacks, transitively. A function left out keeps an
   * empty program and call list (the replay then treats a call to it as unknown): nothing in it concerns ownership.
   */
  buildRelevantPrograms(): void {
    const byName = new Map<string, Deferred[]>();
    for (const entry of this.deferred) {
      const list = byName.get(entry.fact.name);
      if (list) list.push(entry);
      else byName.set(entry.fact.name, [entry]);
    }
    const queue: Deferred[] = [];
    const want = (name: string): void => {
      for (const entry of byName.get(name) ?? []) {
        if (entry.queued) continue;
        entry.queued = true;
        queue.push(entry);
      }
    };
    // Any view, whole file or hunks: what can matter (a hunk's function that matters through a caller the hunk does
    // not show is one nothing in the view runs), and what the other image of a modified file built (alsoBuild).
    for (const entry of this.deferred) {
      if (entry.fact.name === '' || RELEVANT_FUNCTION.test(entry.text) || this.alsoBuild.includes(entry.fact.name)) {
        entry.queued = true;
        queue.push(entry);
      }
    }
    for (const driver of this.facts.drivers) for (const target of Object.values(driver.callbacks)) want(target);
    for (const bus of this.facts.busTypes) for (const field of bus.fields) want(field.value.replace(/^&/, ''));
    const closure = (from: number): void => {
      for (let i = from; i < queue.length; i++) {
        queue[i].build();
        for (const call of queue[i].fact.calls) {
          want(call.callee);
          for (const arg of call.args) if (/^&?[A-Za-z_]\w*$/.test(arg.text)) want(arg.text.replace(/^&/, ''));
        }
      }
    };
    closure(0);
    // An ops table one of whose functions matters: its other functions are that one's partners (open/release).
    const ops = this.facts.opsStructs ?? [];
    const before = queue.length;
    for (const table of ops) {
      const targets = Object.values(table.callbacks);
      if (targets.some((t) => byName.get(t)?.some((e) => e.queued))) for (const t of targets) want(t);
    }
    closure(before);
    // Callers of a function that matters matter too (an open() handler whose `*_bind_queue()` helper attaches): the
    // replay runs the helper on its caller's paths. Two rounds up the call graph, named callees only.
    // Once everything is built (always so in a hunk view) no caller is left to find: no pattern is compiled.
    let names = queue.length === this.deferred.length ? [] : queue.filter((e) => e.fact.name && RELEVANT_FUNCTION.test(e.text)).map((e) => e.fact.name);
    for (let round = 0; round < 2 && names.length > 0 && queue.length < this.deferred.length; round++) {
      const callsOne = new RegExp(`\\b(?:${names.join('|')})\\s*\\(`);
      const from = queue.length;
      for (const entry of this.deferred) {
        if (entry.queued || !entry.fact.name || !callsOne.test(entry.text)) continue;
        entry.queued = true;
        queue.push(entry);
      }
      names = queue.slice(from).map((e) => e.fact.name);
      closure(from);
    }
    // Which ops tables a built function hands out by address (`fdev->type = &foo_type`): their callbacks run later.
    if (ops.length > 0) {
      const names = new Map(ops.map((t) => [t.name, t]));
      const ref = new RegExp(`&\\s*(${ops.map((t) => t.name).join('|')})\\b`, 'g');
      for (const entry of queue) {
        const refs = [...new Set([...entry.text.matchAll(ref)].map((m) => m[1]))].filter((n) => names.has(n));
        if (refs.length) entry.fact.structRefs = refs;
      }
    }
    this.deferred.length = 0;
  }
}

/**
 * Syntax nesting a function body may have (statements, else-if chains, && chains: each level a node deeper). The
 * recursive program builder and condition compiler need stack per level; past this they are not run. Real driver
 * code stays far below it (nesting of a few dozen levels).
 */
export const MAX_SYNTAX_DEPTH = 600;

/** Non-blank characters of one C view that are parsed (the longest kernel C files that touch the IOMMU API are ~200 KB). */
export const MAX_CODE_BYTES = 2 * 1024 * 1024;

function codeBytes(text: string): number {
  let n = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c !== 32 && c !== 10 && c !== 9 && c !== 13) n++;
  }
  return n;
}

/** IOMMU/VFIO API calls one function may make and still be replayed (real drivers make a handful). */
export const MAX_API_CALLS_PER_FUNCTION = 256;

/**
 * True when a node below `nodes` lies more than `limit` levels deep (iterative: it must not itself recurse). A subtree
 * is no deeper than it has nodes, and descendantCount (the node itself included) is one wasm call: only a statement
 * of more than `limit` nodes is walked.
 */
function deeperThan(nodes: readonly Node[], limit: number): boolean {
  for (const node of nodes) {
    if (node.descendantCount <= limit) continue;
    const cursor = node.walk();
    try {
      let depth = 1;
      for (;;) {
        if (depth > limit) return true;
        if (cursor.gotoFirstChild()) {
          depth++;
          continue;
        }
        while (!cursor.gotoNextSibling()) {
          if (depth === 1 || !cursor.gotoParent()) break;
          depth--;
        }
        if (depth === 1) break;
      }
    } finally {
      cursor.delete();
    }
  }
  return false;
}

interface Deferred {
  fact: FunctionFact;
  build: () => void;
  /** The function's source text, for the relevance test. */
  text: string;
  queued?: boolean;
}


interface TornFunction {
  declarator: Node;
  /** What follows the declarator inside the ERROR node, up to the next function: the body's pieces. */
  rest: Node[];
  headerStart: number;
  span: ImageSpan;
  /** Index in the ERROR's named children just after the last piece. */
  end: number;
}

const TYPE_PIECE = /^(?:storage_class_specifier|type_qualifier|primitive_type|struct_specifier|sized_type_specifier|type_identifier)$/;

/** `static int foo(...) { ... }` that the parser could only keep as pieces inside an ERROR node, starting at `i`. */
function tornFunctionAt(children: Node[], i: number): TornFunction | null {
  const declarator = findFunctionDeclarator(children[i]);
  if (!declarator || !declarator.childForFieldName('declarator')) return null;
  let end = i + 1;
  while (end < children.length && children[end].type !== 'function_definition' && !findFunctionDeclarator(children[end])) end++;
  const rest = children.slice(i + 1, end);
  if (!rest.some((child) => child.type === 'compound_statement')) return null;
  // The next function's return type pieces are not part of this body.
  while (rest.length > 0 && TYPE_PIECE.test(rest[rest.length - 1].type)) rest.pop();
  let headerStart = children[i].startIndex;
  let first = children[i];
  for (let j = i - 1; j >= 0 && TYPE_PIECE.test(children[j].type); j--) {
    headerStart = children[j].startIndex;
    first = children[j];
  }
  const last = rest[rest.length - 1];
  const span = { ...spanOf(first), endLine: endLine(last), endColumn: last.endPosition.column + 1 };
  return { declarator, rest, headerStart, span, end };
}

function findFunctionDeclarator(node: Node | null): Node | null {
  let current = node;
  while (current) {
    if (current.type === 'function_declarator') return current;
    if (current.type !== 'pointer_declarator' && current.type !== 'parenthesized_declarator' && current.type !== 'attributed_declarator') return null;
    current = current.childForFieldName('declarator') ?? current.namedChild(0);
  }
  return null;
}

function parametersOf(declarator: Node, text: string): { name: string; type: string }[] {
  const list = declarator.childForFieldName('parameters');
  if (!list) return [];
  const params: { name: string; type: string }[] = [];
  for (const parameter of namedChildren(list)) {
    if (parameter.type !== 'parameter_declaration') continue;
    const inner = parameter.childForFieldName('declarator');
    const nameNode = inner ? identifierIn(inner) : null;
    const name = nameNode ? nameNode.text : '';
    const whole = text.slice(parameter.startIndex, parameter.endIndex);
    const type = nameNode
      ? text.slice(parameter.startIndex, nameNode.startIndex) + text.slice(nameNode.endIndex, parameter.endIndex)
      : whole;
    const normalised = type.replace(/\s+/g, ' ').trim();
    if (!name && normalised === 'void') continue;
    params.push({ name, type: normalised });
  }
  return params;
}

function identifierIn(declarator: Node): Node | null {
  let current: Node | null = declarator;
  while (current) {
    if (current.type === 'identifier') return current;
    current = current.childForFieldName('declarator') ?? (current.type === 'parenthesized_declarator' ? current.namedChild(0) : null);
  }
  return null;
}

/** Text before the function's declarator (its stars included), without storage classes: `static struct foo *` → `struct foo *`. */
function returnTypeOf(prefix: string): string {
  return prefix
    .replace(/\b(?:static|inline|extern|__always_inline|noinline)\b/g, ' ')
    .replace(/\s+/g, ' ')
    .replace(/\s*(\*+)\s*/g, ' $1')
    .trim();
}

function isFileScopeDeclaration(node: Node): boolean {
  return node.startPosition.column === 0 && /^(?:static|extern|const|struct|enum|union|typedef)\b/.test(node.text);
}

function collectRegistrations(root: Node, text: string, facts: CFacts): void {
  if (!/_driver|register/.test(text)) return;
  for (const match of text.matchAll(REGISTRATION)) {
    const macro = match[1];
    const node = root.descendantForIndex(match.index, match.index + macro.length);
    if (!node || node.type !== 'identifier') continue; // comment, string, or a declaration of the function
    const parent = node.parent;
    if (parent && (parent.type === 'function_declarator' || parent.type === 'preproc_function_def' || parent.type === 'preproc_def')) continue;
    const call = parent && parent.type === 'call_expression' ? parent : null;
    const span = spanOf(call ?? node);
    facts.registrations.push({ macro, arg: match[2], span });
  }
}

function collectCallUses(facts: CFacts): void {
  for (const fn of facts.functions) {
    for (const call of fn.calls) {
      if (DMA_API_CALL.test(call.callee)) facts.dmaApi.push(useOf(call) as DmaApiUse);
      else if (MMIO_CALL.test(call.callee)) facts.mmio.push(useOf(call) as MmioUse);
    }
  }
}

function useOf(call: CallFact): DmaApiUse | MmioUse {
  const use: DmaApiUse = { callee: call.callee, span: call.calleeSpan };
  if (call.inFunction !== undefined) use.inFunction = call.inFunction;
  return use;
}

function collectIdentifiers(root: Node, text: string, lines: LineInfo, facts: CFacts): void {
  const named = facts.functions.filter((fn) => fn.name !== '').sort((a, b) => a.span.line - b.span.line);
  const lineStart = lineStartsInOrder(text);
  for (const match of text.matchAll(IDENTIFIER_OF_INTEREST)) {
    const name = match[0];
    const node = root.descendantForIndex(match.index, match.index + name.length);
    if (!node) continue;
    const exact = node.startIndex === match.index && node.endIndex === match.index + name.length;
    if (!exact && node.type !== 'preproc_arg') continue; // inside a comment, a string, or a longer token
    const role = roleOf(node, text, match.index);
    if (!role) continue;
    if (!PREFIXED_NAME.test(name) && !role.role.startsWith('field-')) continue; // bare `pasid` variables are noise
    const line = startLine(node);
    const column = match.index - lineStart(match.index) + 1;
    const argLine = line + countNewlines(text, node.startIndex, match.index);
    const span = exact ? spanOf(node) : { line: argLine, column, endLine: argLine, endColumn: column + name.length };
    const fact: IdentifierFact = { name, span, role: role.role, added: lines.isAdded(span.line) };
    const owner = functionAt(named, line, span);
    if (owner) fact.inFunction = owner.name;
    if (role.inStruct) fact.inStruct = role.inStruct;
    facts.identifiers.push(fact);
  }
}

function roleOf(node: Node, text: string, index: number): { role: IdentifierFact['role']; inStruct?: string } | null {
  switch (node.type) {
    case 'comment':
    case 'string_content':
    case 'string_literal':
    case 'char_literal':
    case 'system_lib_string':
      return null;
    case 'preproc_arg':
      return { role: 'macro' };
    case 'field_identifier': {
      const parent = node.parent;
      if (!parent) return { role: 'field-access' };
      if (parent.type === 'field_designator') return { role: 'field-designator' };
      if (parent.type === 'field_expression') {
        // `.flag = true` torn from its initializer parses as a field access; the leading '.' on the line tells.
        const before = text.slice(lineStartOf(text, index), index);
        return { role: /^\s*\.$/.test(before) ? 'field-designator' : 'field-access' };
      }
      const structName = enclosingStructName(node);
      return structName !== undefined ? { role: 'field-declaration', inStruct: structName } : { role: 'field-declaration' };
    }
    case 'identifier': {
      const parent = node.parent;
      if (parent?.type === 'call_expression' && parent.childForFieldName('function')?.equals(node)) return { role: 'call' };
      if (parent?.type === 'enumerator') return { role: 'enum-constant' };
      if (parent?.type === 'preproc_def' || parent?.type === 'preproc_function_def') return { role: 'macro' };
      return { role: 'identifier' };
    }
    case 'type_identifier':
    case 'statement_identifier':
      return { role: 'identifier' };
    default:
      return null;
  }
}

function enclosingStructName(node: Node): string | undefined {
  let current = node.parent;
  for (let depth = 0; current && depth < 8; depth++) {
    if (current.type === 'struct_specifier' || current.type === 'union_specifier') {
      const name = current.childForFieldName('name');
      return name ? name.text : '';
    }
    current = current.parent;
  }
  return undefined;
}

/** The function whose span holds `span`; `sorted` is by start line and functions do not nest. */
function functionAt(sorted: FunctionFact[], line: number, span: ImageSpan): FunctionFact | undefined {
  let low = 0;
  let high = sorted.length - 1;
  let candidate = -1;
  while (low <= high) {
    const middle = (low + high) >> 1;
    if (sorted[middle].span.line <= line) {
      candidate = middle;
      low = middle + 1;
    } else high = middle - 1;
  }
  for (let i = candidate; i >= 0 && i >= candidate - 1; i--) {
    if (contains(sorted[i].span, span)) return sorted[i];
  }
  return undefined;
}

function contains(outer: { line: number; column: number; endLine: number; endColumn: number }, inner: { line: number; column: number }): boolean {
  if (inner.line < outer.line || inner.line > outer.endLine) return false;
  if (inner.line === outer.line && inner.column < outer.column) return false;
  if (inner.line === outer.endLine && inner.column >= outer.endColumn) return false;
  return true;
}

function lineText(text: string, line: number): string {
  let start = 0;
  for (let current = 1; current < line; current++) {
    const next = text.indexOf('\n', start);
    if (next < 0) return '';
    start = next + 1;
  }
  const end = text.indexOf('\n', start);
  return text.slice(start, end < 0 ? text.length : end);
}

/** `\t\t\t     iommu_group_id(group), flags);` — the tail of a call that started on an unseen line. */
function closesMoreThanOpens(line: string): boolean {
  const code = line.replace(/"(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*'|\/\*.*?\*\/|\/\/.*$/g, '');
  let depth = 0;
  for (const ch of code) {
    if (ch === '(') depth++;
    else if (ch === ')') depth--;
  }
  return depth < 0;
}

function lineStartOf(text: string, index: number): number {
  return text.lastIndexOf('\n', index - 1) + 1;
}

/**
 * lineStartOf for increasing indices in one linear pass: a lastIndexOf per match is quadratic on a gigantic line
 * (measured: 8,000 matches on one 280 KB line took 1.9 s, 0.7 s this way).
 */
function lineStartsInOrder(text: string): (index: number) => number {
  let scanned = 0;
  let start = 0;
  let next = text.indexOf('\n'); // the first newline at or after `start`
  return (index) => {
    if (index < scanned) return lineStartOf(text, index);
    while (next >= 0 && next < index) {
      start = next + 1;
      next = text.indexOf('\n', start);
    }
    scanned = index;
    return start;
  };
}

function countNewlines(text: string, from: number, to: number): number {
  let count = 0;
  for (let i = text.indexOf('\n', from); i >= 0 && i < to; i = text.indexOf('\n', i + 1)) count++;
  return count;
}

function byteLength(text: string): number {
  let bytes = 0;
  for (let i = 0; i < text.length; i++) {
    const code = text.charCodeAt(i);
    if (code < 0x80) bytes += 1;
    else if (code < 0x800) bytes += 2;
    else if (code >= 0xd800 && code <= 0xdbff) {
      bytes += 4;
      i++;
    } else bytes += 3;
  }
  return bytes;
}
