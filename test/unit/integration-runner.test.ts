/** The real-VS-Code runner's own contract: a missing system package is one line naming what to install. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'child_process';
import * as path from 'path';

const runner = path.join(__dirname, '../../../test/integration/run.js');

test('without chromium the runner prints one line with the install command and fails', () => {
  const r = spawnSync(process.execPath, [runner], {
    env: { ...process.env, CHROMIUM: '/nonexistent/chromium', CODE_SERVER_BIN: '/nonexistent/code-server', SCREENSHOT: '' },
    encoding: 'utf8',
    timeout: 60000,
  });
  assert.equal(r.status, 1);
  const lines = r.stdout.trim().split('\n');
  assert.equal(lines.length, 1, r.stdout);
  assert.match(lines[0], /chromium/);
  assert.match(lines[0], /apt-get install chromium ripgrep libkrb5-dev/);
  assert.equal(r.stderr.trim(), '');
});
