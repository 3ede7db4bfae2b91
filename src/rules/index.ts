/** The rule registry: every rule, in catalogue order. */
import type { Rule } from './types';
import { TIER1_RULES } from './tier1';
import { TIER2A_RULES } from './tier2a';
import { TIER2B_RULES } from './tier2b';

export const RULES: readonly Rule[] = [...TIER1_RULES, ...TIER2A_RULES, ...TIER2B_RULES].sort((a, b) => a.meta.code.localeCompare(b.meta.code));

export function findRule(nameOrCode: string): Rule | undefined {
  const key = nameOrCode.trim();
  return RULES.find((r) => r.meta.name === key || r.meta.code.toLowerCase() === key.toLowerCase());
}
