#!/usr/bin/env node
// Writes a large mbox (default 100 MB) of synthetic patch mails for the memory-bound check of issue 7 §2:
//   node scripts/gen-big-mbox.mjs [OUT] [--mb N]      (OUT defaults to $TMPDIR/iommu-review-big.mbox)
//   /usr/bin/time -v node dist/cli.js --format json OUT > /dev/null     → "Maximum resident set size" < 1 GB
// The file is generated, never committed. Mails mix new drivers (some leaking DMA ownership) and modifications,
// plus replies with quoted diffs and a base64 attachment now and then, as a real thread archive does.
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { driverSource, modifyDiff, newFileDiff, patchMail } from '../bench/generate.mjs';

const args = process.argv.slice(2);
const mbIndex = args.indexOf('--mb');
const targetMb = mbIndex >= 0 ? Number(args[mbIndex + 1]) : 100;
const out = args.find((a, i) => !a.startsWith('--') && (mbIndex < 0 || i !== mbIndex + 1)) ?? path.join(os.tmpdir(), 'iommu-review-big.mbox');
const target = targetMb * 1024 * 1024;

const fd = fs.openSync(out, 'w');
let written = 0;
let mails = 0;
const write = (text) => {
  const bytes = Buffer.from(text, 'utf8');
  fs.writeSync(fd, bytes);
  written += bytes.length;
  mails++;
};
for (let i = 0; written < target; i++) {
  const kind = i % 10;
  if (kind < 4) {
    const d = driverSource(20_000 + i, { lines: 150 + (i % 7) * 60, ownership: i % 3 === 0, leak: i % 9 === 0, bus: i % 2 ? 'pci' : 'platform' });
    write(patchMail({ index: 1 + (i % 14), total: 14, subject: `drivers: synthetic driver ${i}`, diffs: [newFileDiff(d.path.replace(/\.c$/, `-${i}.c`), d.text)] }));
  } else if (kind < 8) {
    const base = driverSource(40_000 + i, { lines: 400, ownership: i % 4 === 0 });
    write(patchMail({ index: 1 + (i % 14), total: 14, subject: `drivers: synthetic change ${i}`, diffs: [modifyDiff(60_000 + i, base.path, base.text, { blocks: 4, blockLines: 16 })] }));
  } else if (kind === 8) {
    const d = driverSource(80_000 + i, { lines: 120, ownership: true, leak: true });
    const quoted = newFileDiff(d.path, d.text).split('\n').map((l) => `> ${l}`).join('\n');
    write([`From reviewer${i}@example.org Mon Sep 17 00:00:00 2001`, 'From: Reviewer <reviewer@example.org>', `Subject: Re: [PATCH ${1 + (i % 14)}/14] drivers: synthetic driver ${i}`, '',
      'On a day, Bench Author wrote:', quoted, '', 'The error path leaks the ownership claim.', ''].join('\n'));
  } else {
    const blob = Buffer.alloc(3000, i % 251).toString('base64').replace(/.{76}/g, '$&\n');
    write([`From author${i}@example.org Mon Sep 17 00:00:00 2001`, 'From: Bench Author <bench@example.org>', `Subject: firmware dump ${i}`, 'MIME-Version: 1.0',
      'Content-Type: multipart/mixed; boundary="b"', '', '--b', 'Content-Type: text/plain', '', 'Dump attached.', '--b', 'Content-Type: application/octet-stream',
      'Content-Transfer-Encoding: base64', '', blob, '--b--', ''].join('\n'));
  }
}
fs.closeSync(fd);
console.log(`wrote ${out}: ${(written / 1024 / 1024).toFixed(1)} MB, ${mails} mails`);
