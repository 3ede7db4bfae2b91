/** The tier-1 rules (owned with analyze() and the engine). */
import type { Rule } from './types';

export const TIER1_RULES: readonly Rule[] = [];
