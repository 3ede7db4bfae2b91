/**
 * The review memo's keys (review-memo.ts): a long patch (its signature past V8's 16,383-character hashing limit) is
 * keyed by the ids of its pieces. Equal content gives equal keys; a one-character difference of the same length, in
 * any piece (the first, a middle one, the short last one), gives another key.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseInput } from '../../src/core/input';
import { reviewKey } from '../../src/review/review-memo';
import type { Patch } from '../../src/core/types';

/** A new-file patch of `count` added lines; `mark` replaces the character at `at` of line `line` (same length). */
function longPatch(count: number, edit?: { line: number; char: string }): Patch {
  const body: string[] = [];
  for (let i = 0; i < count; i++) body.push(`+\twidget_write(priv, WIDGET_REG_${String(i).padStart(4, '0')}, 0x${(i * 7919 % 65536).toString(16).padStart(4, '0')});`);
  if (edit) body[edit.line] = body[edit.line].slice(0, -3) + edit.char + body[edit.line].slice(-2);
  const text = [
    'diff --git a/drivers/misc/widget.c b/drivers/misc/widget.c',
    'new file mode 100644',
    'index 0000000..1234567',
    '--- /dev/null',
    '+++ b/drivers/misc/widget.c',
    `@@ -0,0 +1,${count} @@`,
    ...body,
    '',
  ].join('\n');
  const parsed = parseInput('widget.patch', text);
  assert.equal(parsed.patches.length, 1);
  return parsed.patches[0];
}

test('a long patch: the same content gives the same key, any same-length one-character change another', () => {
  const count = 1500; // about 80 K characters of signature: ten pieces
  const original = reviewKey('scope', longPatch(count), 0, undefined);
  assert.equal(reviewKey('scope', longPatch(count), 0, undefined), original, 'an equal patch parsed again');
  const seen = new Set([original]);
  for (const line of [0, 700, count - 1]) {
    const changed = reviewKey('scope', longPatch(count, { line, char: 'Z' }), 0, undefined);
    assert.notEqual(changed, original, `a change on added line ${line}`);
    assert.ok(!seen.has(changed), `line ${line}: a key of its own`);
    seen.add(changed);
    assert.equal(reviewKey('scope', longPatch(count, { line, char: 'Z' }), 0, undefined), changed, 'stable for equal content');
  }
});

test('a short patch keeps its plain signature: a change gives another key', () => {
  const a = reviewKey('scope', longPatch(20), 0, undefined);
  assert.equal(reviewKey('scope', longPatch(20), 0, undefined), a);
  assert.notEqual(reviewKey('scope', longPatch(20, { line: 19, char: 'Z' }), 0, undefined), a);
});
