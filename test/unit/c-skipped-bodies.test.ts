/**
 * The parse of a whole file skips the bodies of functions that cannot matter (skipped-bodies.ts): the facts must be
 * those of a parse of every body (the parse's error count aside, which counts what was parsed), and the text scanner
 * must keep every body the program builder would build and give up on text it cannot delimit.
 */
import { before, test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { initC } from '../../src/core/c';
import { extractFacts } from '../../src/core/c/extract';
import { rangesWithoutIrrelevantBodies } from '../../src/core/c/skipped-bodies';
import { loadWasmForNode } from '../../src/core/c/node-wasm';
import type { CFacts, CView } from '../../src/core/types';
import { FIXTURES } from '../helpers';

before(async () => {
  await initC(loadWasmForNode());
});

function wholeFile(file: string, text: string): CView {
  return { path: file, image: 'file', text, complete: true, changedLines: [], visibleLines: [] };
}

function comparable(facts: CFacts): unknown {
  return { ...facts, parse: { ...facts.parse, errorNodes: 0 } };
}

function cFiles(dir: string): string[] {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const p = path.join(dir, e.name);
    return e.isDirectory() ? cFiles(p) : /\.c$/.test(e.name) ? [p] : [];
  });
}

/** The names of the functions whose bodies the parse skips in `text`. */
function skippedNames(text: string): string[] {
  const ranges = rangesWithoutIrrelevantBodies(text) ?? [];
  const names: string[] = [];
  for (let i = 0; i + 1 < ranges.length; i++) {
    const header = text.slice(0, ranges[i].endIndex);
    const m = /([A-Za-z_]\w*)\s*\([^()]*\)\s*\{$/.exec(header);
    names.push(m ? m[1] : '?');
  }
  return names;
}

test('every C fixture: the same facts with and without the skipped bodies', () => {
  let files = 0;
  let skipped = 0;
  for (const file of cFiles(FIXTURES)) {
    const text = fs.readFileSync(file, 'utf8');
    const view = wholeFile(path.relative(FIXTURES, file), text);
    const ranges = rangesWithoutIrrelevantBodies(text);
    skipped += ranges ? ranges.length - 1 : 0;
    assert.deepEqual(comparable(extractFacts(view)), comparable(extractFacts(view, { parseEveryBody: true })), file);
    files++;
  }
  assert.ok(files > 100, `${files} fixtures`);
  assert.ok(skipped > 0, `${skipped} bodies skipped`);
});

/** A hunk view of `text` showing the windows (1-based line ranges), the other lines blank, as a patch's images have them. */
function hunkView(file: string, text: string, windows: readonly (readonly [number, number])[]): CView {
  const shown = (line: number) => windows.some(([from, to]) => line >= from && line <= to);
  const lines = text.split('\n').map((l, i) => (shown(i + 1) ? l : ''));
  return {
    path: file, image: 'post', text: lines.join('\n'), complete: false, changedLines: [windows[0][0] + 1],
    visibleLines: windows.map(([from, to]) => ({ from, to })),
  };
}

/** Windows of a patch's hunks: `count` of them, 20 to 40 lines each, spread over the text (deterministic in `seed`). */
function hunkWindows(lines: number, count: number, seed: number): [number, number][] {
  const out: [number, number][] = [];
  let at = 1 + (seed * 7) % 13;
  for (let i = 0; i < count && at < lines; i++) {
    const size = 20 + ((seed + i * 11) % 21);
    out.push([at, Math.min(lines, at + size)]);
    at += size + 15 + ((seed * 3 + i * 17) % 60);
  }
  return out;
}

test('hunk views of generated drivers and fixtures, cut anywhere: parsed whole, the same facts', async () => {
  // Skipping bodies in views with gaps changed the facts (the parser's recovery at the hunks' edges): never done.
  const gen = (await import(path.join(FIXTURES, '../../bench/generate.mjs'))) as {
    driverSource(seed: number, o: { lines: number; ownership?: boolean }): { path: string; text: string };
  };
  const texts = [
    ...Array.from({ length: 6 }, (_, i) => gen.driverSource(700 + i, { lines: 400, ownership: i % 2 === 0 })),
    ...cFiles(FIXTURES).slice(0, 60).map((f) => ({ path: path.relative(FIXTURES, f), text: fs.readFileSync(f, 'utf8') })),
  ];
  for (const { path: file, text } of texts) {
    const count = text.split('\n').length;
    const cuts: [number, number][][] = [[[7, count - 5]], [[Math.floor(count / 3), count]], [[1, Math.floor((2 * count) / 3)]]];
    // Many hunks: headers and ends of functions whose rest the view does not show, between whole functions.
    for (let seed = 1; seed <= 6; seed++) cuts.push(hunkWindows(count, 12, seed));
    for (const windows of cuts) {
      if (windows.length === 0 || windows[0][1] <= windows[0][0]) continue;
      const view = hunkView(file, text, windows);
      assert.deepEqual(comparable(extractFacts(view)), comparable(extractFacts(view, { parseEveryBody: true })), `${file} ${JSON.stringify(windows)}`);
    }
  }
});

test('generated drivers (the bench\'s): the same facts with and without the skipped bodies', async () => {
  // The fixtures are small and mostly of interest: the bench's synthetic drivers have many functions that are not.
  const gen = (await import(path.join(FIXTURES, '../../bench/generate.mjs'))) as {
    driverSource(seed: number, o: { lines: number; ownership?: boolean; leak?: boolean; bus?: string }): { path: string; text: string };
  };
  let skipped = 0;
  for (let seed = 1; seed <= 12; seed++) {
    const d = gen.driverSource(900 + seed, { lines: 500, ownership: seed % 3 === 0, leak: seed % 4 === 0, bus: seed % 2 ? 'pci' : 'platform' });
    const ranges = rangesWithoutIrrelevantBodies(d.text);
    skipped += ranges ? ranges.length - 1 : 0;
    const view = wholeFile(d.path, d.text);
    assert.deepEqual(comparable(extractFacts(view)), comparable(extractFacts(view, { parseEveryBody: true })), d.path);
  }
  assert.ok(skipped > 100, `${skipped} bodies skipped`);
});

const DRIVER = `#include <linux/pci.h>

static int wombat_count;

static void wombat_tick(void)
{
	wombat_count++;
}

static int wombat_grab(struct pci_dev *pdev)
{
	wombat_tick();
	return iommu_device_claim_dma_owner(&pdev->dev, pdev);
}

static int wombat_setup(struct pci_dev *pdev)
{
	return wombat_grab(pdev);
}

static int wombat_init_hw(struct pci_dev *pdev)
{
	return wombat_setup(pdev);
}

static int wombat_far(struct pci_dev *pdev)
{
	return wombat_init_hw(pdev);
}

static void wombat_unrelated(int x)
{
	if (x)
		wombat_count = 0;
}

static int wombat_probe(struct pci_dev *pdev, const struct pci_device_id *id)
{
	return 0;
}

static struct pci_driver wombat_driver = {
	.probe = wombat_probe,
};
`;

test('kept: text of interest, callbacks, callees, and callers two rounds up; skipped: the rest', () => {
  assert.deepEqual(skippedNames(DRIVER).sort(), ['wombat_far', 'wombat_unrelated']);
});

test('a skipped body is still a complete function in the facts, with no program', () => {
  const facts = extractFacts(wholeFile('wombat.c', DRIVER));
  const fn = facts.functions.find((f) => f.name === 'wombat_unrelated');
  assert.ok(fn);
  assert.equal(fn.complete, true);
  assert.deepEqual(fn.params.map((p) => p.name), ['x']);
  assert.deepEqual(fn.program, []);
  assert.equal(fn.span.endLine, fn.span.line + 4);
});

test('text the scanner cannot delimit is parsed whole', () => {
  // Braces that only balance per #if branch.
  const unbalanced = DRIVER.replace('\tif (x)\n', '#ifdef CONFIG_A\n\tif (x) {\n#else\n\tif (!x) {\n#endif\n\t\twombat_count = 0;\n\t}\n');
  assert.equal(rangesWithoutIrrelevantBodies(unbalanced), undefined);
  // A function's closing brace that is not at column 0.
  assert.equal(rangesWithoutIrrelevantBodies(DRIVER.replace('\t\twombat_count = 0;\n}', '\t\twombat_count = 0; }')), undefined);
  // An unterminated comment.
  assert.equal(rangesWithoutIrrelevantBodies(`${DRIVER}/* open`), undefined);
});

test('a body with a goto label at column 0 is still skipped; a declaration at column 0 inside one is not taken for a body', () => {
  const labelled = DRIVER.replace('\tif (x)\n\t\twombat_count = 0;\n', '\tif (x)\n\t\tgoto out;\n\twombat_count = 0;\nout:\n\treturn;\n');
  assert.deepEqual(skippedNames(labelled).sort(), ['wombat_far', 'wombat_unrelated']);
  const swallowed = DRIVER.replace('\tif (x)\n\t\twombat_count = 0;\n', '\tif (x)\n\t\twombat_count = 0;\nstatic int other;\n');
  assert.equal(rangesWithoutIrrelevantBodies(swallowed), undefined);
});

test('a body after two headers in one item (a header whose body is elsewhere) is kept', () => {
  const glued = DRIVER.replace('static void wombat_unrelated(int x)\n', 'static int wombat_other(int y)\n#if 0\n#endif\nstatic void wombat_unrelated(int x)\n');
  assert.deepEqual(skippedNames(glued), ['wombat_far']);
});
