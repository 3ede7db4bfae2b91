import { before, test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { extractFacts, initC } from '../../src/core/c';
import { loadWasmForNode } from '../../src/core/c/node-wasm';
import type { CFacts, CView } from '../../src/core/types';

const fixtures = path.join(__dirname, '../../../test/fixtures/c');

before(async () => {
  await initC(loadWasmForNode());
});

/** The hunk-only view of lines [from, to] of `lines` (1-based, inclusive), line-aligned like the input layer builds it. */
function window(lines: string[], from: number, to: number): CView {
  const text = lines.map((line, i) => (i + 1 >= from && i + 1 <= to ? line : '')).join('\n');
  return { path: 'w.c', image: 'post', text, complete: false, changedLines: [from], visibleLines: [{ from, to }] };
}

function checkWellFormed(facts: CFacts, label: string): void {
  for (const fn of facts.functions) {
    const size = fn.program.length;
    fn.program.forEach((instr, pc) => {
      if (instr.op === 'jump' || instr.op === 'branch') {
        assert.ok(instr.target >= 0 && instr.target <= size, `${label}: ${fn.name} pc ${pc} jumps to ${instr.target}`);
      }
      if (instr.op === 'branch' || instr.op === 'return') {
        const walk = (value: unknown): void => {
          if (value && typeof value === 'object') {
            const record = value as Record<string, unknown>;
            if (record.kind === 'call') {
              const target = fn.program[record.pc as number];
              assert.ok(target && target.op === 'call', `${label}: ${fn.name} pc ${pc} refers to a call at ${String(record.pc)}`);
            }
            Object.values(record).forEach(walk);
          }
        };
        walk(instr.op === 'branch' ? instr.cond : instr.value);
      }
    });
    for (const [name, pc] of Object.entries(fn.labels)) {
      const instr = fn.program[pc];
      assert.ok(instr && instr.op === 'label' && instr.name === name, `${label}: label ${name} at ${pc}`);
    }
    const programCalls = fn.program.flatMap((instr) => (instr.op === 'call' ? [instr.call] : []));
    assert.deepEqual(programCalls, fn.calls, `${label}: ${fn.name} calls and program disagree`);
    for (const call of fn.calls) {
      const inside = call.calleeSpan.line >= call.span.line && call.calleeSpan.endLine <= call.span.endLine;
      assert.ok(inside, `${label}: callee span of ${call.callee} lies outside the call`);
    }
  }
}

for (const file of ['pci-claim-driver.c', 'platform-nested-driver.c']) {
  test(`every window of ${file} as a hunk view yields well-formed facts, calls only on visible lines`, () => {
    const lines = fs.readFileSync(path.join(fixtures, file), 'utf8').split('\n');
    let views = 0;
    for (const size of [1, 3, 7, 15]) {
      for (let from = 1; from + size - 1 <= lines.length; from++) {
        const to = from + size - 1;
        const facts = extractFacts(window(lines, from, to));
        views++;
        const label = `${file} lines ${from}-${to}`;
        checkWellFormed(facts, label);
        for (const call of facts.functions.flatMap((fn) => fn.calls)) {
          assert.ok(call.span.line >= from && call.span.line <= to, `${label}: call ${call.callee} on unseen line ${call.span.line}`);
        }
        for (const driver of facts.drivers) {
          // A window never shows a whole initializer unless it really spans it; then absence is real.
          if (driver.managedDma.state === 'absent') assert.equal(driver.complete, true, label);
        }
      }
    }
    assert.ok(views > 300);
  });
}

test('the whole files are well-formed too, and each function is found once', () => {
  for (const file of ['pci-claim-driver.c', 'platform-nested-driver.c']) {
    const text = fs.readFileSync(path.join(fixtures, file), 'utf8');
    const facts = extractFacts({ path: file, image: 'file', text, complete: true, changedLines: [], visibleLines: [] });
    checkWellFormed(facts, file);
    const names = facts.functions.map((fn) => fn.name);
    assert.equal(new Set(names).size, names.length);
    assert.ok(!names.includes(''), 'no pseudo-function in a whole, clean file');
  }
});

test('damaged C (characters deleted at random, seeded) never throws and stays well-formed', () => {
  const text = fs.readFileSync(path.join(fixtures, 'pci-claim-driver.c'), 'utf8');
  let seed = 12345;
  const random = (): number => {
    seed = (seed * 1103515245 + 12345) & 0x7fffffff;
    return seed / 0x7fffffff;
  };
  for (let round = 0; round < 150; round++) {
    let damaged = text;
    const cuts = 1 + Math.floor(random() * 6);
    for (let i = 0; i < cuts; i++) {
      const at = Math.floor(random() * damaged.length);
      if (damaged[at] === '\n') continue; // keep lines aligned, as the input layer does
      damaged = damaged.slice(0, at) + damaged.slice(at + 1);
    }
    const facts = extractFacts({ path: 'd.c', image: 'file', text: damaged, complete: true, changedLines: [], visibleLines: [] });
    checkWellFormed(facts, `round ${round}`);
  }
});
