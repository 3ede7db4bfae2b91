#!/usr/bin/env node
// First step of `npm test`: the Debian packages of scripts/install-system-deps.sh (chromium, ripgrep, libkrb5-dev for
// the real-VS-Code layer; b4's Python packages for the b4 end-to-end test). As root with apt-get they are installed; when
// that is not possible the one command to run is printed and the tests go on: the real-VS-Code layer then fails with
// that same line (it is never skipped silently) and the b4 test is skipped with one line.
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import * as path from 'node:path';

const script = path.join(path.dirname(fileURLToPath(import.meta.url)), 'install-system-deps.sh');
if (process.platform === 'linux' && !process.env.IOMMU_REVIEW_NO_APT) {
  const r = spawnSync('bash', [script], { stdio: 'inherit' });
  if (r.status !== 0 && r.status !== 3) console.log(`system packages: ${script} failed (exit ${r.status}); the layers that need them will say what is missing`);
}
