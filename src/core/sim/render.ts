/** Renders a trace as a compact step table (text for terminals and logs, markdown for hovers and reports). */
import type { TraceStep } from '../types';

function where(s: TraceStep): string {
  return s.at ? `${s.at.file}:${s.at.line}` : '';
}

function stateChange(s: TraceStep): string {
  if (!s.before && !s.after) return '';
  return s.before === s.after ? (s.after ?? '') : `${s.before ?? ''} → ${s.after ?? ''}`;
}

/** Verdict steps (`✗ …` / `✓ …`) close a trace: they are sentences, not calls. */
function isVerdict(s: TraceStep): boolean {
  return /^[✗✓]/.test(s.step);
}

/** Narrative results ('call', 'state') are not return values: left blank. */
function resultCell(s: TraceStep): string {
  return s.result === 'call' || s.result === 'state' ? '' : s.result;
}

export function renderTrace(steps: TraceStep[], format: 'text' | 'markdown' = 'text'): string {
  if (format === 'markdown') {
    const esc = (t: string) => t.replace(/\|/g, '\\|');
    const code = (t: string) => (t ? `\`${esc(t).replace(/`/g, "'")}\`` : '');
    const rows = steps.map((s, i) => {
      const step = isVerdict(s) ? `**${esc(s.step)}**` : code(s.step);
      const result = isVerdict(s) ? `**${esc(s.result)}**` : esc(resultCell(s));
      return `| ${i + 1} | ${esc(s.phase ?? '')} | ${step} | ${result} | ${esc(stateChange(s))} | ${esc(where(s))} |`;
    });
    return ['| # | phase | step | result | state | at |', '|---|---|---|---|---|---|', ...rows].join('\n');
  }
  const cols = steps.map((s, i) => [String(i + 1), s.phase ?? '', s.step, resultCell(s), stateChange(s), where(s)]);
  const widths = [0, 1, 2, 3].map((c) => Math.min(c === 2 ? 72 : 60, Math.max(0, ...cols.map((r) => r[c].length))));
  return cols
    .map((r) => [r[0].padStart(widths[0]), r[1].padEnd(widths[1]), r[2].padEnd(widths[2]), r[3].padEnd(widths[3]), r[4], r[5]].join('  ').trimEnd())
    .join('\n');
}
