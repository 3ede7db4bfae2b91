/**
 * OWN014 detach-wrong-domain: iommu_detach_device() naming a domain other than the one attached (WARN, no-op), a
 * detach of a domain whose attach failed (WARN, no-op), and an attach while a private domain is attached (-EBUSY).
 * A query of the replay: the kernel model decides each (sim/model.ts iommu_detach_device, __iommu_attach_group).
 */
import { createRule } from './types';
import { ATTACH_DEVICE, ATTACH_GROUP, DETACH_DEVICE } from '../core/sim/vocabulary';
import { argOf, replayViolations } from './replay-violations';
import { isDriverCode } from './analysed-file';
import { keyOf } from './reports';

const MESSAGE_OF = {
  'detach-wrong-domain': 'wrongDomain',
  'detach-not-attached': 'notAttached',
  'attach-while-attached': 'doubleAttach',
} as const;

export const detachWrongDomain = createRule({
  meta: {
    code: 'OWN014',
    name: 'detach-wrong-domain',
    category: 'attach',
    defaultSeverity: 'error',
    tier: 2,
    description: 'Detaching a domain other than the attached one, or attaching a second domain while a private domain is attached.',
    messages: {
      wrongDomain:
        '{{fn}}() detaches {{detached}} from {{target}}, but another domain is attached there: the kernel WARNs and leaves that domain attached.',
      notAttached:
        '{{fn}}() detaches {{detached}} on a path where attaching it failed: nothing is attached, so the kernel WARNs and does nothing.',
      notAttachedSwallowed:
        '{{fn}}() detaches {{detached}}, but on this path {{acquirer}} returned success after attaching it failed (the error was not returned): nothing is attached, so the kernel WARNs and does nothing.',
      doubleAttach:
        '{{fn}}() attaches {{domain}} to {{target}} while another private domain is still attached: the kernel refuses with -EBUSY.',
    },
  },
  check(ctx) {
    if (!isDriverCode(ctx)) return;
    const found = replayViolations(ctx, {
      kinds: Object.keys(MESSAGE_OF) as (keyof typeof MESSAGE_OF)[],
      aloneCallers: [ATTACH_DEVICE, ATTACH_GROUP, DETACH_DEVICE],
      lifecycle: true,
    });
    for (const { scenario, violation, call, fn } of found) {
      if (!call) continue;
      const label = fn?.name || call.inFunction || '';
      // The failed attach happened in an earlier callback or entry point that still returned success.
      const swallowed = violation.kind === 'detach-not-attached' && (violation.phase === 'release' || violation.phase === 'remove');
      // An attach whose result is never tested is unchecked-ownership-return's finding; this is its consequence.
      if (swallowed && scenario.violations.some((x) => x.kind === 'unchecked-failure')) continue;
      const messageId = swallowed ? 'notAttachedSwallowed' : MESSAGE_OF[violation.kind as keyof typeof MESSAGE_OF];
      const acquirer = scenario.lifecycle ? `${scenario.lifecycle.acquire}()` : 'the probe';
      ctx.report({
        messageId,
        data: { fn: label, detached: argOf(call, 0), domain: argOf(call, 0), target: argOf(call, 1), acquirer },
        span: call.calleeSpan,
        key: keyOf('OWN014', label, messageId, call.callee, argOf(call, 0)),
        scenario,
        ...(violation.unseen ? { unseen: violation.unseen } : {}),
        fixes: [
          {
            title: messageId === 'notAttachedSwallowed' ? 'Return the attach error' : 'Keep the attached domain and detach exactly that one',
            edits: [],
            suggestion:
              messageId === 'doubleAttach'
                ? `detach the attached domain before attaching ${argOf(call, 0)}, or keep one domain per device`
                : messageId === 'notAttachedSwallowed'
                  ? `return the attach's error from ${acquirer} (or record that nothing is attached and skip the detach)`
                  : `store the domain you attach (e.g. in the driver's private data) and pass that pointer to ${call.callee}()`,
          },
        ],
      });
    }
  },
});
