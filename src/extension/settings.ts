/**
 * Settings, read from plain values (no 'vscode' import: unit-tested in node). Each maps 1:1 to a CLI flag:
 * target ↔ --target, rules ↔ --rule, treePath ↔ --tree; analyzeOn and codeLens.enabled are editor-only.
 */
import { KERNEL_TARGETS, type KernelTarget, type SeverityOverride } from '../core/types';

export type AnalyzeTrigger = 'open' | 'save' | 'change';

export interface ReviewSettings {
  target: KernelTarget;
  rules: Record<string, SeverityOverride>;
  treePath: string;
  analyzeOn: ReadonlySet<AnalyzeTrigger>;
  codeLensEnabled: boolean;
}

const TRIGGERS: readonly AnalyzeTrigger[] = ['open', 'save', 'change'];
const SEVERITIES: readonly SeverityOverride[] = ['off', 'info', 'warning', 'error'];

export function parseTarget(value: unknown): KernelTarget {
  return typeof value === 'string' && (KERNEL_TARGETS as readonly string[]).includes(value) ? (value as KernelTarget) : 'latest';
}

/** Accepts the documented array, a single string ("save"), or "never"/[] for manual reviews only. */
export function parseAnalyzeOn(value: unknown): ReadonlySet<AnalyzeTrigger> {
  const list = Array.isArray(value) ? value : typeof value === 'string' ? [value] : TRIGGERS;
  return new Set(list.filter((v): v is AnalyzeTrigger => (TRIGGERS as readonly unknown[]).includes(v)));
}

/** Keeps well-formed entries only; "warn" is accepted as the CLI's and eslint's spelling of "warning". */
export function parseRuleOverrides(value: unknown): Record<string, SeverityOverride> {
  const out: Record<string, SeverityOverride> = {};
  if (!value || typeof value !== 'object' || Array.isArray(value)) return out;
  for (const [name, raw] of Object.entries(value as Record<string, unknown>)) {
    const severity = raw === 'warn' ? 'warning' : raw;
    if (typeof severity === 'string' && (SEVERITIES as readonly string[]).includes(severity)) out[name.trim()] = severity as SeverityOverride;
  }
  return out;
}

export function parseSettings(get: (key: string) => unknown): ReviewSettings {
  const treePath = get('treePath');
  const codeLens = get('codeLens.enabled');
  return {
    target: parseTarget(get('target')),
    rules: parseRuleOverrides(get('rules')),
    treePath: typeof treePath === 'string' ? treePath.trim() : '',
    analyzeOn: parseAnalyzeOn(get('analyzeOn')),
    codeLensEnabled: codeLens !== false,
  };
}
