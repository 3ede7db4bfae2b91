/**
 * Text the editor shows, built from analysis data (no 'vscode' import: unit-tested in node):
 * code lens titles, the status bar summary, the trace document and the hover.
 */
import type { AnalysisResult, DriverVerdict, Finding, TopologyKind } from '../core/types';
import type { ApiInfo } from '../core/sim/index';
import { parseGroupStates, stateChangeWords, stepCallText } from '../format/text';
import { displayResult } from '../format/common';

const TOPOLOGY_LABELS: Record<TopologyKind, string> = {
  singleton: 'singleton',
  'shared-dma-api': 'shared with DMA-API device',
  'user-owned': 'user-owned group',
  'no-iommu': 'no IOMMU',
  'co-owned': 'group co-owned per device',
};

export function modeLensTitle(mode: DriverVerdict['mode']): string {
  switch (mode) {
    case 'kernel-dma-api':
      return 'bind: kernel DMA-API user (owner_cnt +1)';
    case 'driver-managed':
      return 'bind: driver-managed DMA (no DMA-API count)';
    case 'unknown':
      return 'bind: ownership flag not in view';
  }
}

/** What went wrong, in a reviewer's words (never the errno a failure fork injected). */
const PROBLEM_WORDS: Record<string, string> = {
  warn: 'kernel WARN',
  'error-return': 'a call is refused',
  'leaked-owner-cnt': 'owner_cnt not restored',
  'left-owned': 'group left owned',
  'left-private-domain': 'group left on a private domain',
  'use-after-free': 'freed domain used',
  'pasid-leak': 'PASID left attached',
  'claim-failed': 'claim refused',
  'double-release': 'released twice',
  'bad-detach': 'detach of the wrong domain',
  'bind-failed': 'bind refused',
  'probe-failed': 'probe fails',
};

const PHASE_WORDS: Record<string, string> = {
  bind: 'bind',
  probe: 'probe',
  remove: 'remove',
  unbind: 'unbind',
  'probe-failure-cleanup': 'if probe fails',
  devres: 'devres cleanup',
  user: 'VFIO/iommufd claim',
  hotplug: 'hot-plug',
};

const TOPOLOGY_SHORT: Record<TopologyKind, string> = {
  singleton: '',
  'shared-dma-api': 'shared group',
  'user-owned': 'user-owned group',
  'no-iommu': 'no IOMMU',
  'co-owned': 'group co-owned per device',
};

type Scenario = DriverVerdict['scenarios'][number];

/** "iommu_device_claim_dma_owner() refused" when the failing step is a call, else the kind's words. */
function problemWords(s: Scenario): string {
  const p = s.problem;
  if (!p) return 'problem';
  if (p.kind === 'error-return') {
    const step = s.trace.find((t) => t.phase === p.phase && /^-E/.test(t.result.trim()) && /^\w+\(/.test(t.step));
    const callee = step ? /^(\w+)\(/.exec(step.step)?.[1] : undefined;
    if (callee) return `${callee}() refused`;
  }
  return PROBLEM_WORDS[p.kind] ?? p.kind.replace(/-/g, ' ');
}

function where(s: Scenario): string {
  return TOPOLOGY_SHORT[s.topology] ? ` (${TOPOLOGY_SHORT[s.topology]})` : '';
}

/** A bind refused in a group user space owns is the kernel protecting the owner: expected for a DMA-API driver. */
function expected(verdict: Pick<DriverVerdict, 'mode'>, s: Scenario): boolean {
  return s.topology === 'user-owned' && s.problem?.kind === 'bind-failed' && verdict.mode !== 'driver-managed';
}

export interface LensText {
  title: string;
  tooltip: string;
}

/**
 * The lenses above a driver struct, each short enough for a split editor: what happens at bind, when VFIO/iommufd
 * claims the group (drivers that hand the device to user space), and at unbind or a failed probe.
 */
export function driverLenses(verdict: Pick<DriverVerdict, 'mode' | 'scenarios' | 'driver'>): LensText[] {
  const bad = verdict.scenarios.filter((s) => !s.ok && !expected(verdict, s));
  const early = bad.find((s) => s.problem && (s.problem.phase === 'bind' || s.problem.phase === 'probe'));
  const user = bad.find((s) => s.problem?.phase === 'user');
  const late = bad.find((s) => s !== early && s !== user && s.problem && !['bind', 'probe', 'user'].includes(s.problem.phase));

  const lenses: LensText[] = [];
  const bind = modeLensTitle(verdict.mode);
  lenses.push({ title: bind, tooltip: scenarioTooltip(verdict) });
  if (early) lenses.push({ title: `${early.problem?.phase}: ✗ ${problemWords(early)}${where(early)}`, tooltip: scenarioTooltip(verdict) });
  const claims = verdict.scenarios.some((s) => s.trace.some((t) => t.phase === 'user' && /user space tries/.test(t.step)));
  if (claims || user) {
    lenses.push({
      title: user ? `VFIO/iommufd claim: ✗ ${problemWords(user)} while bound` : 'VFIO/iommufd claim: ✓ allowed while bound',
      tooltip: scenarioTooltip(verdict),
    });
  }
  lenses.push({
    title: late
      ? `${PHASE_WORDS[late.problem?.phase ?? ''] ?? late.problem?.phase}: ✗ ${problemWords(late)}${where(late)}`
      : 'unbind: ✓ group as found',
    tooltip: scenarioTooltip(verdict),
  });
  return lenses;
}

/** The details behind the short titles (shown on hover; a click opens the traces). */
function scenarioTooltip(verdict: Pick<DriverVerdict, 'mode' | 'scenarios' | 'driver'>): string {
  const lines = [`Simulated bind → probe → remove → unbind of ${verdict.driver}:`];
  for (const s of verdict.scenarios) {
    const label = TOPOLOGY_LABELS[s.topology] ?? s.topology;
    if (s.ok) lines.push(`• ${label}: no problem`);
    else if (expected(verdict, s)) lines.push(`• ${label}: bind refused, as the kernel intends (user space owns the group)`);
    else lines.push(`• ${label}: ${problemWords(s)} (${PHASE_WORDS[s.problem?.phase ?? ''] ?? s.problem?.phase ?? '?'})`);
  }
  lines.push('Click for the step-by-step traces.');
  return lines.join('\n');
}

/** All lens titles on one line (tests, logs). */
export function verdictLensTitle(verdict: Pick<DriverVerdict, 'mode' | 'scenarios' | 'driver'>): string {
  return driverLenses(verdict).map((l) => l.title).join(' · ');
}

export interface SeverityCounts {
  error: number;
  warning: number;
  info: number;
}

export function countSeverities(findings: readonly Finding[]): SeverityCounts {
  const counts: SeverityCounts = { error: 0, warning: 0, info: 0 };
  for (const f of findings) counts[f.severity]++;
  return counts;
}

function plural(n: number, word: string): string {
  return `${n} ${word}${n === 1 ? '' : 's'}`;
}

/** "2 errors · 1 warning", or "no findings". */
export function summaryText(counts: SeverityCounts, problems = 0): string {
  const parts: string[] = [];
  if (counts.error) parts.push(plural(counts.error, 'error'));
  if (counts.warning) parts.push(plural(counts.warning, 'warning'));
  if (counts.info) parts.push(`${counts.info} info`);
  if (problems) parts.push(`${plural(problems, 'input problem')}`);
  return parts.length ? parts.join(' · ') : 'no findings';
}

export function resultSummary(result: Pick<AnalysisResult, 'findings' | 'problems'>): string {
  return summaryText(countSeverities(result.findings), result.problems.length);
}

export type TraceRow = Finding['trace'][number];

export function hoverMarkdown(info: ApiInfo, target: string): string {
  const lines = ['```c', info.signature, '```', '', info.summary];
  if (!info.exists) lines.push('', `**Not available on \`${target}\`**${info.replacement ? ` — use \`${info.replacement}\`` : ''}.`);
  if (info.returns.length) lines.push('', `Returns on \`${target}\`:`, '', ...info.returns.map((r) => `- \`${r.split(':')[0]}\`${r.includes(':') ? ':' + r.slice(r.indexOf(':') + 1) : ''}`));
  if (info.history) lines.push('', `_${info.history}_`);
  return lines.join('\n');
}

// ───────────────────────────── the trace, for people ─────────────────────────────

export interface TraceViewRow {
  /** 0-based index into the trace. */
  index: number;
  phase: string;
  step: string;
  result: string;
  /** What the step changed, in plain words ("owner_cnt 0 → 1, owned by vfio"). */
  change: string;
  /** The group's state after the step (carried over from earlier steps when the step did not change it). */
  owner: string;
  ownerCnt: string;
  domain: string;
  pasids: string;
  /** Where the step is, for a click; absent for steps the simulation runs outside the driver's code. */
  location?: { path: string; line: number };
  violation: boolean;
}

/** The rows of the trace view: phase, step, state per step; the group followed is the first one the trace names. */
export function traceViewRows(steps: readonly TraceRow[]): TraceViewRow[] {
  let group: string | undefined;
  let state = { owner: '', cnt: '', dom: '', pasids: '' };
  return steps.map((s, index) => {
    const before = parseGroupStates(s.before);
    const after = parseGroupStates(s.after);
    group ??= after[0]?.group ?? before[0]?.group;
    if (index === 0 || state.cnt === '') {
      const b = before.find((g) => g.group === group);
      if (b) state = { owner: b.owner, cnt: b.cnt, dom: b.dom, pasids: b.pasids };
    }
    const a = after.find((g) => g.group === group);
    if (a) state = { owner: a.owner, cnt: a.cnt, dom: a.dom, pasids: a.pasids };
    const violation = /^✗/.test(s.step) || (index === steps.length - 1 && /^(-E|WARN)/.test(s.result.trim()));
    return {
      index,
      phase: s.phase ?? '',
      step: stepCallText(s),
      result: s.result === 'call' || s.result === 'state' ? '' : s.result,
      change: stateChangeWords(s),
      owner: state.owner === '-' ? 'none' : state.owner,
      ownerCnt: state.cnt,
      domain: state.dom,
      pasids: state.pasids,
      location: s.location,
      violation,
    };
  });
}

function esc(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}

export interface TracePage {
  title: string;
  subtitle: string;
  message?: string;
  sections: { heading: string; rows: TraceViewRow[] }[];
}

/** The lifecycle picture: one column per step, rows owner / owner_cnt / domain / PASIDs, phases as bands. */
function lifecycleStrip(rows: readonly TraceViewRow[], section: number): string {
  if (!rows.some((r) => r.ownerCnt !== '')) return '';
  const maxCnt = Math.max(1, ...rows.map((r) => Number(r.ownerCnt) || 0));
  const bands: { phase: string; span: number }[] = [];
  for (const r of rows) {
    const last = bands[bands.length - 1];
    if (last && last.phase === r.phase) last.span++;
    else bands.push({ phase: r.phase, span: 1 });
  }
  const cell = (r: TraceViewRow, inner: string, cls: string) =>
    `<td class="${cls}${r.violation ? ' bad' : ''}" title="step ${r.index + 1}: ${esc(r.step)}" data-section="${section}" data-step="${r.index}">${inner}</td>`;
  const owner = rows.map((r) => cell(r, esc(r.owner), r.owner && r.owner !== 'none' ? 'owned' : 'free')).join('');
  const cnt = rows
    .map((r) => cell(r, `<div class="bar" style="height:${Math.round(((Number(r.ownerCnt) || 0) / maxCnt) * 100)}%"></div><span>${esc(r.ownerCnt)}</span>`, 'cnt'))
    .join('');
  const dom = rows.map((r) => cell(r, esc(r.domain), `dom dom-${r.domain.replace(/\(.*$/, '').replace(/[^a-z]/g, '') || 'unknown'}`)).join('');
  const pasid = rows.map((r) => cell(r, esc(r.pasids), r.pasids && r.pasids !== '0' ? 'pasid' : 'free')).join('');
  return [
    '<table class="strip" aria-label="group state over the lifecycle">',
    `<tr><th></th>${bands.map((b) => `<th colspan="${b.span}" class="band">${esc(b.phase)}</th>`).join('')}</tr>`,
    `<tr><th>step</th>${rows.map((r) => `<td class="num">${r.index + 1}</td>`).join('')}</tr>`,
    `<tr><th>owner</th>${owner}</tr>`,
    `<tr><th>owner_cnt</th>${cnt}</tr>`,
    `<tr><th>domain</th>${dom}</tr>`,
    `<tr><th>PASIDs</th>${pasid}</tr>`,
    '</table>',
  ].join('\n');
}

function stepTable(rows: readonly TraceViewRow[], section: number): string {
  const body = rows.map((r) => {
    const where = r.location ? `<a href="#" class="goto" data-section="${section}" data-step="${r.index}">line ${r.location.line}</a>` : '';
    const state = r.ownerCnt === '' ? '' : `${esc(r.owner)} · ${esc(r.ownerCnt)} · ${esc(r.domain)} · ${esc(r.pasids)}`;
    return `<tr class="${r.violation ? 'bad ' : ''}${r.location ? 'located' : ''}" data-section="${section}" data-step="${r.index}"><td class="num">${r.index + 1}</td><td class="where">${where}</td><td class="phase">${esc(r.phase)}</td><td class="stepcell">${esc(r.step)}${r.change ? `<div class="change">${esc(r.change)}</div>` : ''}</td><td class="result">${esc(r.result)}</td><td class="state">${state}</td></tr>`;
  });
  return [
    '<table class="steps"><thead><tr><th>#</th><th>where</th><th>phase</th><th>step</th><th>result</th><th class="statehead">group after: owner · owner_cnt · domain · PASIDs</th></tr></thead><tbody>',
    ...body,
    '</tbody></table>',
  ].join('\n');
}

/** The whole page (the webview adds its CSP and script). Pure, so it is unit-tested. */
export function traceHtmlBody(page: TracePage): string {
  const parts = [`<h1>${esc(page.title)}</h1>`, `<p class="sub">${esc(page.subtitle)}</p>`];
  if (page.message) parts.push(`<p class="msg">${esc(page.message)}</p>`);
  page.sections.forEach((s, i) => {
    parts.push(`<h2>${esc(s.heading)}</h2>`, lifecycleStrip(s.rows, i), stepTable(s.rows, i));
  });
  return parts.join('\n');
}

export const TRACE_CSS = `
body { font-family: var(--vscode-font-family); font-size: var(--vscode-font-size); color: var(--vscode-foreground); padding: 0 12px; }
h1 { font-size: 1.3em; margin-bottom: 0; } h2 { font-size: 1.1em; margin-top: 1.4em; }
.sub { opacity: .8; margin-top: 2px; } .msg { max-width: 70em; }
table { border-collapse: collapse; margin: 6px 0; }
.steps { width: 100%; } .steps td, .steps th { border-bottom: 1px solid var(--vscode-panel-border, #8884); padding: 3px 6px; vertical-align: top; text-align: left; }
.steps th, .steps td.where { white-space: nowrap; } .steps th.statehead { white-space: normal; min-width: 8em; } .steps td.stepcell { min-width: 16em; overflow-wrap: break-word; }
.steps tr.located { cursor: pointer; } .steps tr.located:hover { background: var(--vscode-list-hoverBackground); }
.steps tr.bad td { color: var(--vscode-errorForeground); } .change { opacity: .85; font-style: italic; }
.phase { white-space: nowrap; opacity: .85; } .num { text-align: right; opacity: .7; } .result { white-space: nowrap; font-family: var(--vscode-editor-font-family); } .strip td.free { opacity: .55; }
.state { font-size: .9em; min-width: 7em; }
.strip td, .strip th { border: 1px solid var(--vscode-panel-border, #8884); min-width: 2.2em; height: 1.7em; padding: 0 3px; text-align: center; font-size: .85em; }
.strip th { text-align: right; font-weight: normal; opacity: .8; } .strip th.band { text-align: center; font-weight: bold; opacity: 1; }
.strip td.owned { background: #3a7bd555; } .strip td.pasid { background: #b05cd655; }
.strip td.cnt { position: relative; vertical-align: bottom; } .strip td.cnt .bar { position: absolute; left: 0; right: 0; bottom: 0; background: #4caf5066; }
.strip td.cnt span { position: relative; }
.strip td.dom-blocking { background: #ff980055; } .strip td.dom-none { background: #9e9e9e55; } .strip td.dom-dom { background: #e91e6355; }
.strip td.bad { outline: 2px solid var(--vscode-errorForeground); }
`;

// ───────────────────────────── quick-fix alignment ─────────────────────────────

const TAB = 8;

function visualWidth(text: string, start = 0): number {
  let col = start;
  for (const ch of text) col = ch === '\t' ? (Math.floor(col / TAB) + 1) * TAB : col + 1;
  return col;
}

/**
 * An inserted `.field = value,` line written the way the initializer around it is (kernel style aligns the `=` of
 * designated initializers with tabs): `neighbours` are the initializer's lines near the insertion point.
 */
export function alignInitializerLine(newLine: string, neighbours: readonly string[]): string {
  const m = /^(\s*)(\.[\w.]+)\s*=\s*(.*?)(\r?\n)?$/.exec(newLine);
  if (!m) return newLine;
  const [, indent, field, value, eol = ''] = m;
  const columns = new Map<number, number>();
  let tabs = 0;
  let spaces = 0;
  for (const line of neighbours) {
    const n = /^(\s*)(\.[\w.]+)([ \t]+)=/.exec(line);
    if (!n) continue;
    const col = visualWidth(n[1] + n[2] + n[3]);
    columns.set(col, (columns.get(col) ?? 0) + 1);
    if (n[3].includes('\t')) tabs++;
    else if (n[3].length > 1) spaces++;
  }
  if (tabs === 0 && spaces === 0) return newLine; // one space before '=' (or nothing to follow): as written
  const target = [...columns.entries()].sort((a, b) => b[1] - a[1] || b[0] - a[0])[0][0];
  let col = visualWidth(indent + field);
  let gap = '';
  if (tabs >= spaces) {
    while ((Math.floor(col / TAB) + 1) * TAB <= target) {
      gap += '\t';
      col = (Math.floor(col / TAB) + 1) * TAB;
    }
  } else {
    while (col < target) {
      gap += ' ';
      col++;
    }
  }
  if (gap === '') gap = ' ';
  return `${indent}${field}${gap}= ${value}${eol}`;
}

// ───────────────────────────── related information ─────────────────────────────

/** The located steps of a trace, each as a short line ("2. probe: iommu_device_claim_dma_owner(dev, npu) → 0, owned by npu"). */
export function relatedSteps(trace: Finding['trace']): { location: { path: string; line: number }; text: string }[] {
  const out: { location: { path: string; line: number }; text: string }[] = [];
  trace.forEach((s, i) => {
    if (!s.location) return;
    const call = stepCallText(s);
    const own = s.phase && call.startsWith(`${s.phase}: `) ? call.slice(s.phase.length + 2) : call;
    const result = displayResult(s.result);
    const change = stateChangeWords(s);
    const text = `${i + 1}. ${s.phase ? `${s.phase}: ` : ''}${own}${result !== undefined ? ` → ${result}` : ''}${change ? `, ${change}` : ''}`;
    out.push({ location: s.location, text: text.length > RELATED_MAX_CHARS ? `${text.slice(0, RELATED_MAX_CHARS - 1)}…` : text });
  });
  return out;
}

const RELATED_MAX_CHARS = 90;

