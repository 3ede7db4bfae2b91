/** The rule registry: every rule, in catalogue order. */
import type { Rule } from './types';
import { TIER1_RULES } from './tier1';
import { TIER23_RULES } from './tier23';

export const RULES: readonly Rule[] = [...TIER1_RULES, ...TIER23_RULES].sort((a, b) => a.meta.code.localeCompare(b.meta.code));

export function findRule(nameOrCode: string): Rule | undefined {
  const key = nameOrCode.trim();
  return RULES.find((r) => r.meta.name === key || r.meta.code.toLowerCase() === key.toLowerCase());
}
