/**
 * OWN024 default-domain-probe-defer: from 6.15 (stable: 6.14.y, 6.12.y, 6.6.y) iommu_device_use_default_domain() can return -EPROBE_DEFER (the group
 * has no default domain yet). Callers that treat only -EBUSY as failure swallow it; callers that rewrite every
 * failure to -EBUSY turn a retryable probe into a permanent one.
 */
import type { CallFact, Cond, FunctionFact, ImageSpan, TraceStep, ValueExpr } from '../core/types';
import { lookupApi } from '../core/sim';
import { createRule, type RuleContext } from './types';
import { callsTo, keyOf } from './util';
import { feasiblePaths, functionLabel, functionOf, scenarioAtCall, stepFor } from './tier2b-util';

const USE = 'iommu_device_use_default_domain';
const EBUSY = 16;

function isEbusy(rhs: number | string): boolean {
  return rhs === -EBUSY || (typeof rhs === 'string' && rhs.replace(/[\s()]/g, '') === '-EBUSY');
}

function returnsEbusy(value: ValueExpr | null): boolean {
  if (!value) return false;
  return (value.kind === 'int' && value.value === -EBUSY) || (value.kind === 'errno' && /^-?\(?EBUSY\)?$/.test(value.name.replace(/\s+/g, '').replace(/^-/, '')));
}

/**
 * What a branch decision says about the call's result being -EBUSY: 'is', 'isNot', or undefined (nothing).
 * `holds` is whether `cond` is true on this path.
 */
function ebusyClaim(cond: Cond, holds: boolean, resultVar: string | undefined, pc: number): 'is' | 'isNot' | undefined {
  if (cond.kind === 'not') return ebusyClaim(cond.cond, !holds, resultVar, pc);
  if (cond.kind !== 'cmp' || !isEbusy(cond.rhs)) return undefined;
  const about = cond.subject.kind === 'call' ? cond.subject.pc === pc : cond.subject.name === resultVar;
  if (!about) return undefined;
  if (cond.op === '==') return holds ? 'is' : 'isNot';
  if (cond.op === '!=') return holds ? 'isNot' : 'is';
  return undefined;
}

function returnsResult(value: ValueExpr | null, resultVar: string | undefined, pc: number): boolean {
  if (!value) return false;
  if (value.kind === 'var') return value.name === resultVar;
  if (value.kind === 'call') return value.pc === pc;
  return value.kind === 'unknown' && resultVar !== undefined && mentionsWord(value.text, resultVar);
}

const isWordChar = (c: string | undefined): boolean => c !== undefined && /\w/.test(c);

/**
 * `text` names `word` as a whole word (what /\bword\b/ means for an identifier). A scan, not a RegExp built from
 * the word: the result variable is whatever lvalue the code assigns (`*ret`, `p->err`), not always an identifier.
 */
export function mentionsWord(text: string, word: string): boolean {
  if (word === '') return false;
  for (let at = text.indexOf(word); at >= 0; at = text.indexOf(word, at + 1)) {
    const startOk = !isWordChar(word[0]) || !isWordChar(text[at - 1]);
    const endOk = !isWordChar(word[word.length - 1]) || !isWordChar(text[at + word.length]);
    if (startOk && endOk) return true;
  }
  return false;
}

export const defaultDomainProbeDefer = createRule({
  meta: {
    code: 'OWN024',
    name: 'default-domain-probe-defer',
    category: 'default-domain',
    defaultSeverity: 'info',
    tier: 3,
    description: 'Callers of iommu_device_use_default_domain() that handle only -EBUSY, losing -EPROBE_DEFER (6.15+, and the 6.14.y/6.12.y/6.6.y stable backports).',
    messages: {
      ebusyOnly:
        '{{fn}}() treats only -EBUSY from {{api}}() as a failure: from 6.15 (and stable 6.14.y, 6.12.y, 6.6.y) it can also return -EPROBE_DEFER, which this path turns into success.',
      rewrite:
        '{{fn}}() returns -EBUSY for every failure of {{api}}(): from 6.15 (and stable 6.14.y, 6.12.y, 6.6.y) that includes -EPROBE_DEFER, so a probe that should be retried fails for good.',
    },
  },
  check(ctx) {
    const info = lookupApi(USE, ctx.target);
    if (!info?.exists || !info.returns.some((r) => r.startsWith('-EPROBE_DEFER'))) return;
    const uses = callsTo(ctx.facts, USE);
    const done = new Set<string>();
    for (const use of uses) {
      const fn = functionOf(ctx, use);
      if (!fn) continue;
      const label = functionLabel(ctx, fn, use);
      const pc = fn.program.findIndex((i) => i.op === 'call' && i.call.calleeSpan.line === use.calleeSpan.line && i.call.callee === USE);
      if (pc < 0) continue;
      const resultVar = use.assignedTo;
      for (const path of feasiblePaths(fn)) {
        const at = path.events.findIndex((e) => e.kind === 'call' && e.pc === pc);
        if (at < 0) continue;
        const callEvent = path.events[at];
        if (callEvent.kind !== 'call' || callEvent.outcome !== 'fail') continue;
        let notEbusy: { span: ImageSpan } | undefined;
        let isEbusyPath = false;
        for (const e of path.events.slice(at + 1)) {
          if (e.kind === 'call' && e.call.callee === USE) break;
          if (e.kind === 'gap') break; // unseen code may handle the error
          if (e.kind === 'branch') {
            const claim = ebusyClaim(e.cond, e.taken, resultVar, pc);
            if (claim === 'is') isEbusyPath = true;
            if (claim === 'isNot') notEbusy ??= { span: e.span };
            continue;
          }
          if (e.kind !== 'return') continue;
          if (notEbusy && !returnsResult(e.value, resultVar, pc) && isSuccessReturn(e.value)) {
            reportLostDefer(ctx, use, 'ebusyOnly', notEbusy.span, fn, label, done, [
              stepFor(ctx, use, 'bind', '-EPROBE_DEFER', 'group has no default domain yet (6.15+ and stable backports)'),
              { step: `${label}(): result compared with -EBUSY only`, result: 'not -EBUSY: falls through', at: { file: ctx.facts.path, line: notEbusy.span.line, column: notEbusy.span.column }, phase: 'bind' },
              { step: `${label}(): returns`, result: describe(e.value), at: { file: ctx.facts.path, line: e.span.line, column: e.span.column }, phase: 'bind' },
            ]);
          } else if (!isEbusyPath && returnsEbusy(e.value)) {
            reportLostDefer(ctx, use, 'rewrite', e.span, fn, label, done, [
              stepFor(ctx, use, 'bind', '-EPROBE_DEFER', 'group has no default domain yet (6.15+ and stable backports)'),
              { step: `${label}(): returns -EBUSY instead`, result: '-EBUSY (probe not retried)', at: { file: ctx.facts.path, line: e.span.line, column: e.span.column }, phase: 'bind' },
            ]);
          }
          break;
        }
      }
    }
  },
});

/** `return 0;` (or another non-negative constant): the caller sees success. */
function isSuccessReturn(value: ValueExpr | null): boolean {
  return value !== null && value.kind === 'int' && value.value >= 0;
}

function describe(value: ValueExpr | null): string {
  if (!value) return 'void';
  switch (value.kind) {
    case 'int':
      return String(value.value);
    case 'errno':
      return value.name;
    case 'var':
      return value.name;
    default:
      return 'a value that is not the error';
  }
}

function reportLostDefer(
  ctx: RuleContext,
  use: CallFact,
  messageId: 'ebusyOnly' | 'rewrite',
  span: ImageSpan,
  fn: FunctionFact,
  fnName: string,
  done: Set<string>,
  trace: TraceStep[],
): void {
  const key = keyOf('OWN024', fnName, messageId);
  if (done.has(key)) return;
  done.add(key);
  const scenario = scenarioAtCall(ctx, fn, use.calleeSpan, USE);
  ctx.report({
    messageId,
    data: { fn: fnName, api: USE },
    span,
    key,
    ...(scenario && scenario.trace.some((t) => t.result.includes('EPROBE_DEFER')) ? { scenario } : { trace }),
    fixes: [
      {
        title: 'Propagate the error unchanged',
        edits: [],
        suggestion: `if (ret) { arch_teardown_dma_ops(dev); return ret; } — let -EPROBE_DEFER reach the driver core`,
      },
    ],
  });
}
