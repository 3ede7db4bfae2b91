/** The worker pool replaces a worker after a huge input (its parser heap never shrinks) and loses no result. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as path from 'node:path';
import { analyzeInWorkers, RECYCLE_AFTER_BYTES } from '../../src/cli/pool';

test('a worker that reviewed a huge input is replaced; every input still gets its result, in order', async () => {
  const script = path.join(__dirname, '../../src/cli/worker.js');
  const small = (name: string) => ({ path: `drivers/x/${name}.c`, content: Buffer.from('int x;\n') });
  const huge = { path: 'drivers/x/huge.h', content: Buffer.alloc(RECYCLE_AFTER_BYTES, 0x20) };
  const inputs = [huge, small('a'), small('b'), small('c')];
  const done: string[] = [];
  const outcome = await analyzeInWorkers(inputs, { options: { target: 'latest' } }, 1, script, (i) => done.push(i.path));
  assert.equal(outcome.recycled, 1);
  assert.equal(outcome.workers, 1);
  assert.deepEqual(done, inputs.map((i) => i.path));
  assert.deepEqual(outcome.results.map((r) => r.stats.reviewed), [1, 1, 1, 1]);
});

test('the biggest inputs are handed out first; results still come back in the inputs\' order', async () => {
  const script = path.join(__dirname, '../../src/cli/worker.js');
  const file = (name: string, lines: number) => ({ path: `drivers/x/${name}.c`, content: Buffer.from('int x;\n'.repeat(lines)) });
  const inputs = [file('a', 1), file('big', 50), file('b', 1), file('mid', 10)];
  const done: string[] = [];
  const outcome = await analyzeInWorkers(inputs, { options: { target: 'latest' } }, 1, script, (i) => done.push(i.path));
  assert.deepEqual(done, ['drivers/x/big.c', 'drivers/x/mid.c', 'drivers/x/a.c', 'drivers/x/b.c']);
  assert.deepEqual(outcome.results.map((r) => r.inputs[0]?.path), inputs.map((i) => i.path));
});
