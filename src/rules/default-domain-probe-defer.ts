/**
 * OWN024 default-domain-probe-defer: from 6.15 (stable: 6.14.y, 6.12.y, 6.6.y) iommu_device_use_default_domain() can
 * return -EPROBE_DEFER (the group has no default domain yet). A caller that turns it into success, or rewrites it to
 * another errno, loses the retry. A query of the replay: each caller is replayed as a dma_configure hook in a group
 * without a default domain, and the replay says what it returned (sim/replay.ts probeDeferLost).
 */
import { createRule } from './types';
import { USE_DEFAULT_DOMAIN } from '../core/sim/vocabulary';
import { replayViolations } from './replay-violations';
import { keyOf } from './reports';


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
        '{{fn}}() returns 0 here after {{api}}() failed with -EPROBE_DEFER (from 6.15, and stable 6.14.y, 6.12.y, 6.6.y): the bind goes on as if the group had been joined; only -EBUSY is treated as a failure.',
      rewrite:
        '{{fn}}() returns {{errno}} here for -EPROBE_DEFER from {{api}}() (6.15+, and stable 6.14.y, 6.12.y, 6.6.y): a probe that should be retried fails for good.',
    },
  },
  check(ctx) {
    const found = replayViolations(ctx, {
      kinds: ['probe-defer-lost'],
      topologies: ['singleton'],
      aloneCallers: [USE_DEFAULT_DOMAIN],
      alone: { role: { kind: 'dma_configure', driverManagedDma: false }, defaultDomain: 'none' },
    });
    for (const { scenario, violation } of found) {
      if (!violation.at) continue;
      const fn = ctx.facts.functions.find((f) => f.span.line <= violation.at!.line && violation.at!.line <= f.span.endLine);
      const label = fn?.name ?? '';
      const messageId = violation.errno === '0' ? 'ebusyOnly' : 'rewrite';
      const { line, column } = violation.at;
      ctx.report({
        messageId,
        data: { fn: label, api: USE_DEFAULT_DOMAIN, errno: violation.errno ?? '?' },
        span: { line, column, endLine: line, endColumn: column + 'return'.length },
        key: keyOf('OWN024', label, messageId),
        scenario,
        ...(violation.unseen ? { unseen: violation.unseen } : {}),
        fixes: [
          {
            title: 'Propagate the error unchanged',
            edits: [],
            suggestion: 'if (ret) { arch_teardown_dma_ops(dev); return ret; } — let -EPROBE_DEFER reach the driver core',
          },
        ],
      });
    }
  },
});

// A text helper other rules import from here (null-dma-owner-cookie, hostile-regex test); kept until they move it.
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
