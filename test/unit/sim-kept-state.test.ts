/**
 * What makes a fork cheap must not change what the replay does: the hand-written copy of the model state, and the
 * state's token kept on a path between joins (Path.stateToken, checked by IOMMU_REVIEW_CHECK_KEYS=1).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as path from 'node:path';
import { addDevice, addGroup, cloneState, emptyState, newDomain } from '../../src/core/sim/model';

test('cloneState: the same content as a structured clone, and nothing shared with the original', () => {
  const s = emptyState();
  const g = addGroup(s, 'grp0');
  addDevice(s, 'dev0', 'pci', 'grp0');
  const d = addDevice(s, 'dev1', 'platform', 'grp0');
  d.driver = { name: 'drv', managedDma: true };
  d.dmaApi = { api: 'dma_map_single', at: 'x.c:3' };
  d.features = ['IOMMU_DEV_FEAT_SVA'];
  const dom = newDomain(s, 'paging', 'driver');
  g.domain = dom.id;
  g.pasids.set('1', dom.id);
  g.sharedAttach = { domain: dom.id, count: 1 };
  s.sva.set('sva0', { id: 'sva0', device: 'dev1', mm: 'current->mm', domain: dom.id, pasid: '1', users: 1, unbound: false });

  const c = cloneState(s);
  assert.deepEqual(c, structuredClone(s));
  const before = structuredClone(s);
  const cg = c.groups.get('grp0');
  const cd = c.devices.get('dev1');
  assert.ok(cg && cd);
  cg.devices.push('dev2');
  cg.pasids.delete('1');
  cg.ownerCnt = 3;
  if (cg.sharedAttach) cg.sharedAttach.count = 2;
  if (cd.driver) cd.driver.managedDma = false;
  if (cd.dmaApi) cd.dmaApi.api = 'dma_alloc_coherent';
  cd.features?.push('IOMMU_DEV_FEAT_IOPF');
  const cdom = c.domains.get(dom.id);
  if (cdom) cdom.freed = true;
  const h = c.sva.get('sva0');
  if (h) h.users = 0;
  c.nextId = 99;
  assert.deepEqual(s, before, 'changing the copy leaves the original as it was');
});

test('kept state tokens are never stale: every fixture reviewed with each kept token checked gives the same result', () => {
  // A stale kept token throws inside the replay (stateTokenOf); the rules then get no evidence and the results differ.
  const script = `
    const fs = require('node:fs'), path = require('node:path');
    const { getAnalyzer, FIXTURES } = require(${JSON.stringify(path.join(__dirname, '..', 'helpers'))});
    const files = [];
    const walk = (d) => { for (const e of fs.readdirSync(d, { withFileTypes: true })) {
      const f = path.join(d, e.name);
      if (e.isDirectory()) walk(f); else if (/\\.(c|patch|mbox)$/.test(e.name)) files.push(f); } };
    for (const sub of ['rules', 'corpus', 'analyze']) walk(path.join(FIXTURES, sub));
    files.sort();
    getAnalyzer().then((a) => {
      const out = files.map((f) => {
        const r = a.analyze([{ path: path.relative(FIXTURES, f), content: fs.readFileSync(f, 'utf8') }]);
        return [r.findings.map((x) => [x.code, x.location.line, x.severity, x.message, x.trace]), r.problems, r.inputs];
      });
      process.stdout.write(JSON.stringify({ files: files.length, out }));
    });`;
  const run = (check: boolean) => {
    const env = { ...process.env };
    if (check) env.IOMMU_REVIEW_CHECK_KEYS = '1';
    else delete env.IOMMU_REVIEW_CHECK_KEYS;
    const r = spawnSync(process.execPath, ['-e', script], { env, encoding: 'utf8', maxBuffer: 256 * 1024 * 1024 });
    assert.equal(r.status, 0, r.stderr);
    return JSON.parse(r.stdout) as { files: number; out: unknown[] };
  };
  const plain = run(false);
  const checked = run(true);
  assert.ok(plain.files > 150, `fixtures found: ${plain.files}`);
  assert.deepEqual(checked, plain);
});
