import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { FIXTURES, getAnalyzer } from '../helpers';

test("a hunk's heading names only the code the hunk starts in, not a header cut off at its end", async () => {
  // The hunk starts inside fsl_mc_dma_cleanup()'s neighbour and ends on the next function's cut header.
  const file = path.join(FIXTURES, 'corpus/c40-fslmc-cleanup-made-unconditional.patch');
  const analyzer = await getAnalyzer();
  const dumped = analyzer.dumpFacts({ path: file, content: fs.readFileSync(file, 'utf8') });
  const facts = dumped.patches[0].files[0].post!;
  const names = facts.functions.map((f) => f.name);
  assert.ok(names.includes('fsl_mc_dma_cleanup'), JSON.stringify(names));
  assert.ok(!names.includes('fsl_mc_dma_configure'), `the cut header after the cleanup is not the heading's function: ${JSON.stringify(names)}`);
});
