/**
 * End-to-end: a directory of `git format-patch -o` files (cover letter + 3 patches) is reviewed as one series —
 * the leak patch 1 adds is reported on patch 1's file with fixedBy naming patch 2. Spawns `node dist/cli.js`
 * (built by `npm run build`).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

const ROOT = path.join(__dirname, '../../..');
const CLI = path.join(ROOT, 'dist/cli.js');
const SERIES_DIR = 'test/fixtures/analyze/series-files/series';

interface JsonReport {
  findings: { code: string; location: { path: string; line: number }; trace: { location?: { path: string } }[]; source?: { patch?: string } }[];
  findingDetails: { fixedBy?: string }[];
  problems: { path: string; message: string }[];
  stats: { inputs: number; reviewed: number; skipped: number; failed: number };
}

function review(args: string[], cwd = ROOT): { status: number | null; report: JsonReport; stderr: string } {
  const r = spawnSync(process.execPath, [CLI, '--format', 'json', ...args], { cwd, encoding: 'utf8', env: { ...process.env, CI: 'true' } });
  return { status: r.status, report: JSON.parse(r.stdout) as JsonReport, stderr: r.stderr };
}

test('a directory of format-patch files is one series: finding on patch 1, fixedBy patch 2', () => {
  const { status, report, stderr } = review([SERIES_DIR]);
  assert.equal(stderr, '');
  assert.deepEqual(report.problems, []);
  assert.deepEqual(report.stats, { ...report.stats, inputs: 4, reviewed: 3, skipped: 1, failed: 0 });
  const own005 = report.findings.map((f, i) => ({ f, details: report.findingDetails[i] })).filter((x) => x.f.code === 'OWN005');
  assert.equal(own005.length, 1, JSON.stringify(report.findings));
  const { f, details } = own005[0];
  const patch1 = `${SERIES_DIR}/0001-misc-tether-new-driver.patch`;
  assert.equal(f.location.path, patch1);
  const line = fs.readFileSync(path.join(ROOT, patch1), 'utf8').split('\n')[f.location.line - 1];
  assert.match(line, /^\+.*iommu_device_claim_dma_owner/);
  for (const step of f.trace) if (step.location) assert.equal(step.location.path, patch1);
  assert.equal(details.fixedBy, '[PATCH v2 2/3] misc: tether: release DMA ownership when the IRQ is missing');
  // As for a series in one mbox: the error stays an error (exit 1), the fix is named beside it.
  assert.equal(status, 1);
});

test('the same files named one by one in shuffled order, and patch 1 alone for contrast', () => {
  const files = fs.readdirSync(path.join(ROOT, SERIES_DIR)).map((f) => `${SERIES_DIR}/${f}`);
  const shuffled = [files[3], files[1], files[0], files[2]];
  const { report } = review(shuffled);
  const i = report.findings.findIndex((f) => f.code === 'OWN005');
  assert.ok(i >= 0);
  assert.equal(report.findingDetails[i].fixedBy, '[PATCH v2 2/3] misc: tether: release DMA ownership when the IRQ is missing');
  // Reviewed alone (copied so the directory does not matter), patch 1's leak is an error with no fix in sight.
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'iommu-review-series-'));
  try {
    fs.copyFileSync(path.join(ROOT, files[1]), path.join(tmp, 'p1.patch'));
    const alone = review(['p1.patch'], tmp);
    const j = alone.report.findings.findIndex((f) => f.code === 'OWN005');
    assert.ok(j >= 0);
    assert.equal(alone.report.findingDetails[j].fixedBy, undefined);
    assert.equal(alone.status, 1);
  } finally {
    fs.rmSync(tmp, { recursive: true, force: true });
  }
});
