/**
 * `--format json`: one object. `findings` and `problems` carry exactly the fields of the stable contract
 * (spec/rules.md "Command-line contract"); everything else sits in extra top-level keys so scripts that
 * read the contract never see a field they did not expect inside a finding.
 */
import type { AnalysisResult, Finding, Fix, InputProblem } from '../core/types';
import { DEFAULT_META, type ReportMeta } from './common';

export interface JsonFinding {
  rule: string;
  code: string;
  severity: Finding['severity'];
  message: string;
  location: { path: string; line: number; column: number };
  source?: { file: string; line: number; patch?: string };
  trace: { step: string; result: string; location?: { path: string; line: number } }[];
}

export interface JsonProblem {
  path: string;
  message: string;
}

/** Per finding (same index as `findings`): what the contract has no field for. */
export interface JsonFindingDetails {
  fixes: Fix[];
  partial?: string;
  fixedBy?: string;
  /** What the finding was judged on: `full file (blob 9653d39)`, `tree`, `hunks only`. */
  context?: string;
}

export interface JsonReport {
  findings: JsonFinding[];
  problems: JsonProblem[];
  tool: { name: string; version: string };
  target: string;
  stats: AnalysisResult['stats'];
  findingDetails: JsonFindingDetails[];
}

export function toJsonFinding(f: Finding): JsonFinding {
  const out: JsonFinding = {
    rule: f.rule,
    code: f.code,
    severity: f.severity,
    message: f.message,
    location: { path: f.location.path, line: f.location.line, column: f.location.column },
    trace: f.trace.map((t) => {
      const step: JsonFinding['trace'][number] = { step: t.step, result: t.result };
      if (t.location) step.location = { path: t.location.path, line: t.location.line };
      return step;
    }),
  };
  if (f.source) {
    out.source = { file: f.source.file, line: f.source.line };
    if (f.source.patch !== undefined) out.source.patch = f.source.patch;
  }
  return out;
}

export function toJsonProblem(p: InputProblem): JsonProblem {
  // The contract's problem has no line field: keep the line in the message so it is not lost.
  return { path: p.path, message: p.line !== undefined ? `line ${p.line}: ${p.message}` : p.message };
}

export function toJsonReport(result: Pick<AnalysisResult, 'findings' | 'problems' | 'stats'>, meta: ReportMeta = DEFAULT_META): JsonReport {
  return {
    findings: result.findings.map(toJsonFinding),
    problems: result.problems.map(toJsonProblem),
    tool: { name: meta.toolName, version: meta.version },
    target: meta.target,
    stats: result.stats,
    findingDetails: result.findings.map(detailsOf),
  };
}

/** Where a streamed report goes: called with consecutive pieces of the output text. */
export type Write = (text: string) => void;

/** DEL and C1 controls, line separators and bidi overrides: valid in JSON strings, but escaped so no terminal acts on them. */
const RAW_IN_JSON = /[\u007f-\u009f\u2028\u2029\u202a-\u202e\u2066-\u2069]/g;

/** JSON.stringify(value, null, 2) as it reads nested `level` spaces deep, with terminal-active characters escaped. */
export function indentedJson(value: unknown, level: number): string {
  const text = JSON.stringify(value, null, 2).replace(RAW_IN_JSON, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
  return level === 0 ? text : text.split('\n').join(`\n${' '.repeat(level)}`);
}

/**
 * A JSON array written element by element at `level`: what JSON.stringify(array, null, 2) prints there, without the
 * array ever existing in memory.
 */
export class JsonArrayWriter {
  private count = 0;
  constructor(private readonly write: Write, private readonly level: number) {
    write('[');
  }
  push(value: unknown): void {
    this.write(`${this.count++ === 0 ? '' : ','}\n${' '.repeat(this.level + 2)}${indentedJson(value, this.level + 2)}`);
  }
  /** An element already serialised by indentedJson at this array's element level. */
  pushSerialized(text: string): void {
    this.write(`${this.count++ === 0 ? '' : ','}\n${' '.repeat(this.level + 2)}${text}`);
  }
  end(): void {
    this.write(this.count === 0 ? ']' : `\n${' '.repeat(this.level)}]`);
  }
}

/**
 * Keeps the serialised per-finding details until the report's end (they follow `stats` in the report). The default
 * keeps them in memory; a host spools them to a file so a million findings do not stay in memory.
 */
export interface DetailStore {
  add(serialized: string): void;
  /** Each stored text, in order; then the store may be discarded. */
  drain(each: (serialized: string) => void): void;
}

export function memoryDetailStore(): DetailStore {
  const texts: string[] = [];
  return {
    add: (t) => texts.push(t),
    drain: (each) => {
      for (const t of texts) each(t);
      texts.length = 0;
    },
  };
}

function detailsOf(f: Finding): JsonFindingDetails {
  const d: JsonFindingDetails = { fixes: f.fixes };
  if (f.partial !== undefined) d.partial = f.partial;
  if (f.fixedBy !== undefined) d.fixedBy = f.fixedBy;
  if (f.context !== undefined) d.context = f.context;
  return d;
}

/**
 * `--format json` written as the findings arrive: byte for byte what formatJson prints for the same findings,
 * problems and stats, while only one finding is held at a time.
 */
export class JsonReportStream {
  private readonly findings: JsonArrayWriter;
  constructor(
    private readonly write: Write,
    private readonly meta: ReportMeta = DEFAULT_META,
    private readonly details: DetailStore = memoryDetailStore(),
  ) {
    write('{\n  "findings": ');
    this.findings = new JsonArrayWriter(write, 2);
  }
  finding(f: Finding): void {
    this.findings.push(toJsonFinding(f));
    this.details.add(indentedJson(detailsOf(f), 4));
  }
  /** `extra`: host-specific top-level keys (e.g. the CLI's worker count); never replaces a key of the report. */
  end(result: Pick<AnalysisResult, 'problems' | 'stats'>, extra: Record<string, unknown> = {}): void {
    this.findings.end();
    const key = (name: string, value: unknown): void => this.write(`,\n  ${JSON.stringify(name)}: ${indentedJson(value, 2)}`);
    this.write(',\n  "problems": ');
    const problems = new JsonArrayWriter(this.write, 2);
    for (const p of result.problems) problems.push(toJsonProblem(p));
    problems.end();
    key('tool', { name: this.meta.toolName, version: this.meta.version });
    key('target', this.meta.target);
    key('stats', result.stats);
    this.write(',\n  "findingDetails": ');
    const details = new JsonArrayWriter(this.write, 2);
    this.details.drain((t) => details.pushSerialized(t));
    details.end();
    const reserved = new Set(['findings', 'problems', 'tool', 'target', 'stats', 'findingDetails']);
    for (const [k, v] of Object.entries(extra)) if (!reserved.has(k) && v !== undefined) key(k, v);
    this.write('\n}\n');
  }
}

/** `extra`: host-specific top-level keys (e.g. the CLI's worker count); never replaces a key of the report. */
export function formatJson(
  result: Pick<AnalysisResult, 'findings' | 'problems' | 'stats'>,
  meta: ReportMeta = DEFAULT_META,
  extra: Record<string, unknown> = {},
): string {
  const parts: string[] = [];
  const stream = new JsonReportStream((t) => parts.push(t), meta);
  for (const f of result.findings) stream.finding(f);
  stream.end(result, extra);
  return parts.join('');
}
