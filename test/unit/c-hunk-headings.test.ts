/** Reading git's hunk headings (src/core/c/hunk-headings.ts), the one place that names fragments from them. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { headingFunctionName, headingNameAt, hunkAtLine, paramsFromHeading } from '../../src/core/c/hunk-headings';
import type { FileDiff, Hunk } from '../../src/core/types';

test('headingFunctionName: a function header names its function; declarations, structs and macros do not', () => {
  assert.equal(headingFunctionName('static int foo_probe(struct pci_dev *pdev, const struct pci_device_id *id)'), 'foo_probe');
  assert.equal(headingFunctionName('static void __exit foo_exit(void)'), 'foo_exit');
  assert.equal(headingFunctionName('static int foo_probe(struct pci_dev *pdev,'), 'foo_probe');
  assert.equal(headingFunctionName('module_pci_driver(foo_driver);'), undefined);
  assert.equal(headingFunctionName('static struct pci_driver foo_driver = {'), undefined);
  assert.equal(headingFunctionName(''), undefined);
  assert.equal(headingFunctionName(undefined), undefined);
});

test('paramsFromHeading: parameters, void, and a cut-off heading', () => {
  assert.deepEqual(paramsFromHeading('static int foo(struct bar *b, int n)'), [{ name: 'b', type: 'struct bar *' }, { name: 'n', type: 'int' }]);
  assert.deepEqual(paramsFromHeading('static int foo(void)'), []);
  assert.deepEqual(paramsFromHeading('static int foo(struct bar *b, const'), [{ name: 'b', type: 'struct bar *' }]);
  assert.equal(paramsFromHeading('struct foo_priv {'), undefined);
});

test('hunkAtLine / headingNameAt pick the hunk by the image the line belongs to', () => {
  const hunk = (oldStart: number, newStart: number, count: number, heading: string): Hunk =>
    ({ oldStart, oldLines: count, newStart, newLines: count, heading, inputLine: 1, lines: [], truncated: false });
  const file = { hunks: [hunk(10, 10, 5, 'static int a(void)'), hunk(40, 50, 5, 'static int b(void)')] } as unknown as FileDiff;
  assert.equal(headingNameAt(file, 52, 'post'), 'b');
  assert.equal(headingNameAt(file, 42, 'pre'), 'b');
  assert.equal(headingNameAt(file, 42, 'post'), undefined);
  assert.equal(hunkAtLine(file, 12, 'post')?.heading, 'static int a(void)');
});
