/**
 * SARIF 2.1.0 (`--format sarif`), for code-scanning dashboards. The rule table comes from the caller
 * (the registry's RuleMeta list) so this module stays pure and testable with hand-made metadata.
 * Trace steps become both relatedLocations (clickable in most viewers) and one codeFlow (the ordered story).
 */
import type * as sarif from 'sarif';
import type { AnalysisResult, Finding, Fix, InputProblem, Severity } from '../core/types';
import type { RuleMeta } from '../rules/types';
import { DEFAULT_META, stepText, type ReportMeta } from './common';
import { JsonArrayWriter, indentedJson, type Write } from './json';

export const SARIF_SCHEMA_URI = 'https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/sarif-schema-2.1.0.json';

const LEVEL: Record<Severity, sarif.ReportingConfiguration.level> = { error: 'error', warning: 'warning', info: 'note' };

/** A path as given on the command line → a URI reference (relative paths stay relative, so viewers resolve them against the checkout). */
export function toUriReference(filePath: string): string {
  const slashed = filePath.replace(/\\/g, '/');
  const encoded = encodeURI(slashed).replace(/[?#]/g, (c) => encodeURIComponent(c));
  if (/^[A-Za-z]:\//.test(slashed)) return `file:///${encoded}`;
  return slashed.startsWith('/') ? `file://${encoded}` : encoded;
}

function physical(pathText: string, line?: number, column?: number): sarif.PhysicalLocation {
  const loc: sarif.PhysicalLocation = { artifactLocation: { uri: toUriReference(pathText) } };
  if (line !== undefined && line >= 1) {
    loc.region = { startLine: line };
    if (column !== undefined && column >= 1) loc.region.startColumn = column;
  }
  return loc;
}

function isAbsoluteUri(uri: string | undefined): uri is string {
  return uri !== undefined && /^[a-z][a-z0-9+.-]*:/i.test(uri);
}

/** The run's tool: the same in the whole-log and the streamed writer. */
function toolDescriptor(rules: readonly RuleMeta[], meta: ReportMeta): sarif.Tool {
  return {
    driver: {
      name: meta.toolName,
      version: meta.version,
      semanticVersion: meta.version,
      ...(isAbsoluteUri(meta.informationUri) ? { informationUri: meta.informationUri } : {}),
      rules: rules.map(ruleDescriptor),
    },
  };
}

function ruleDescriptor(meta: RuleMeta): sarif.ReportingDescriptor {
  return {
    id: meta.code,
    name: meta.name,
    shortDescription: { text: meta.description },
    // Rule pages ship with the tool (no public web address): the text names the page and the command that prints it.
    ...(isAbsoluteUri(meta.docsUrl) ? { helpUri: meta.docsUrl } : {}),
    help: { text: `${meta.description} Documentation: ${meta.docsUrl} in the package, or \`iommu-review --explain ${meta.code}\`.` },
    defaultConfiguration: { level: LEVEL[meta.defaultSeverity] },
    properties: { category: meta.category, tier: meta.tier, tags: ['iommu', meta.category] },
  };
}

function sarifFixes(fixes: Fix[]): sarif.Fix[] {
  const out: sarif.Fix[] = [];
  for (const fix of fixes) {
    if (fix.edits.length === 0) continue;
    const byPath = new Map<string, sarif.Replacement[]>();
    for (const edit of fix.edits) {
      const list = byPath.get(edit.path) ?? [];
      list.push({
        deletedRegion: {
          startLine: edit.span.line,
          startColumn: Math.max(1, edit.span.column),
          endLine: edit.span.endLine,
          endColumn: Math.max(1, edit.span.endColumn),
        },
        insertedContent: { text: edit.newText },
      });
      byPath.set(edit.path, list);
    }
    out.push({
      description: { text: fix.title },
      artifactChanges: [...byPath].map(([p, replacements]) => ({ artifactLocation: { uri: toUriReference(p) }, replacements })),
    });
  }
  return out;
}

function sarifResult(f: Finding, ruleIndex: Map<string, number>): sarif.Result {
  const result: sarif.Result = {
    ruleId: f.code,
    level: LEVEL[f.severity],
    message: { text: f.message },
    locations: [{ physicalLocation: physical(f.location.path, f.location.line, f.location.column) }],
    properties: { rule: f.rule },
  };
  const index = ruleIndex.get(f.code);
  if (index !== undefined) result.ruleIndex = index;
  if (f.partial !== undefined) result.properties!.partial = f.partial;
  if (f.fixedBy !== undefined) result.properties!.fixedBy = f.fixedBy;

  const related: sarif.Location[] = [];
  if (f.source) {
    related.push({
      id: related.length,
      physicalLocation: physical(f.source.file, f.source.line),
      message: { text: f.source.patch ? `in ${f.source.file} after ${f.source.patch}` : `in ${f.source.file}` },
    });
  }
  f.trace.forEach((step, i) => {
    if (!step.location) return;
    related.push({
      id: related.length,
      physicalLocation: physical(step.location.path, step.location.line),
      message: { text: `trace step ${i + 1}: ${stepText(step)}` },
    });
  });
  if (related.length > 0) result.relatedLocations = related;

  if (f.trace.length > 0) {
    result.codeFlows = [
      {
        message: { text: 'simulated kernel trace' },
        threadFlows: [
          {
            locations: f.trace.map((step) => {
              const location: sarif.Location = { message: { text: stepText(step) } };
              if (step.location) location.physicalLocation = physical(step.location.path, step.location.line);
              return { location };
            }),
          },
        ],
      },
    ];
  }
  const fixes = sarifFixes(f.fixes);
  if (fixes.length > 0) result.fixes = fixes;
  return result;
}

function notification(p: InputProblem): sarif.Notification {
  return {
    level: p.kind === 'failed' ? 'error' : 'note',
    message: { text: p.message },
    locations: [{ physicalLocation: physical(p.path, p.line) }],
  };
}

export function toSarif(
  result: Pick<AnalysisResult, 'findings' | 'problems'>,
  rules: readonly RuleMeta[],
  meta: ReportMeta = DEFAULT_META,
): sarif.Log {
  const ruleIndex = new Map(rules.map((r, i) => [r.code, i] as const));
  return {
    $schema: SARIF_SCHEMA_URI,
    version: '2.1.0',
    runs: [
      {
        tool: toolDescriptor(rules, meta),
        invocations: [
          {
            executionSuccessful: !result.problems.some((p) => p.kind === 'failed'),
            toolExecutionNotifications: result.problems.map(notification),
          },
        ],
        results: result.findings.map((f) => sarifResult(f, ruleIndex)),
        properties: { target: meta.target },
      },
    ],
  };
}

/**
 * The same log written as the findings arrive: results are serialised one at a time (a million findings cost the
 * memory of one), the invocation with the problems follows them. Key order inside the run differs from toSarif's
 * object (results before invocations); JSON readers do not see key order.
 */
export class SarifReportStream {
  private readonly results: JsonArrayWriter;
  private readonly ruleIndex: Map<string, number>;
  constructor(private readonly write: Write, rules: readonly RuleMeta[], private readonly meta: ReportMeta = DEFAULT_META) {
    this.ruleIndex = new Map(rules.map((r, i) => [r.code, i] as const));
    const tool = toolDescriptor(rules, meta);
    write(`{\n  "$schema": ${JSON.stringify(SARIF_SCHEMA_URI)},\n  "version": "2.1.0",\n  "runs": [\n    {\n      "tool": ${indentedJson(tool, 6)},\n      "results": `);
    this.results = new JsonArrayWriter(write, 6);
  }
  finding(f: Finding): void {
    this.results.push(sarifResult(f, this.ruleIndex));
  }
  end(result: Pick<AnalysisResult, 'problems'>): void {
    this.results.end();
    this.write(',\n      "invocations": [\n        {\n          "executionSuccessful": ');
    this.write(`${!result.problems.some((p) => p.kind === 'failed')},\n          "toolExecutionNotifications": `);
    const notes = new JsonArrayWriter(this.write, 10);
    for (const p of result.problems) notes.push(notification(p));
    notes.end();
    this.write(`\n        }\n      ],\n      "properties": ${indentedJson({ target: this.meta.target }, 6)}\n    }\n  ]\n}\n`);
  }
}

export function formatSarif(
  result: Pick<AnalysisResult, 'findings' | 'problems'>,
  rules: readonly RuleMeta[],
  meta: ReportMeta = DEFAULT_META,
): string {
  const parts: string[] = [];
  const stream = new SarifReportStream((t) => parts.push(t), rules, meta);
  for (const f of result.findings) stream.finding(f);
  stream.end(result);
  return parts.join('');
}
