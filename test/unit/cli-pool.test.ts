/** The worker pool replaces a worker after a huge input (its parser heap never shrinks) and loses no result. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as path from 'node:path';
import { analyzeInWorkers, RECYCLE_AFTER_BYTES, startWorkerPool } from '../../src/cli/pool';

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

test('a pool fed while the scan still reads: inputs added after the first results are reviewed before close, in the order added', { timeout: 30_000 }, async () => {
  const script = path.join(__dirname, '../../src/cli/worker.js');
  const file = (name: string) => ({ path: `drivers/x/${name}.c`, content: Buffer.from(`int ${name};\n`) });
  const done: string[] = [];
  const waiters: { count: number; resolve: () => void }[] = [];
  const reached = (count: number) => new Promise<void>((resolve) => waiters.push({ count, resolve }));
  const pool = startWorkerPool({ options: { target: 'latest' } }, 2, script, (i) => {
    done.push(i.path);
    for (const w of waiters) if (done.length >= w.count) w.resolve();
  });
  pool.add(file('a'));
  await reached(1);
  // Both workers are idle now; later inputs must wake them (not wait for close()).
  await new Promise((resolve) => setTimeout(resolve, 50));
  pool.add(file('b'));
  pool.add(file('c'));
  await reached(3);
  const outcome = await pool.close();
  assert.equal(outcome.workers, 2);
  assert.deepEqual([...done].sort(), ['drivers/x/a.c', 'drivers/x/b.c', 'drivers/x/c.c']);
  assert.deepEqual(outcome.results.map((r) => r.inputs[0]?.path), ['drivers/x/a.c', 'drivers/x/b.c', 'drivers/x/c.c']);
});

test('a stopped pool rejects on close and keeps no worker running', { timeout: 30_000 }, async () => {
  const script = path.join(__dirname, '../../src/cli/worker.js');
  const pool = startWorkerPool({ options: { target: 'latest' } }, 1, script, () => undefined);
  pool.add({ path: 'drivers/x/a.c', content: Buffer.from('int a;\n') });
  pool.stop();
  await assert.rejects(pool.close(), /stopped/);
});
