#!/usr/bin/env node
// Runs the extension's integration suite inside a real VS Code: code-server's bundled VS Code 1.100.3 (installed from
// npm into .vscode-test/ on first run) serves the workbench on 127.0.0.1, Debian's headless chromium (driven by
// playwright-core) opens it with a payload naming extensionDevelopmentPath + extensionTestsPath, and the mocha suite
// runs in the real Node extension host. The workbench calls window.codeAutomationExit(code) when it finishes.
// Env: VERBOSE=1 (server + page console), SCREENSHOT=docs/images (retake the README pictures), TEST_TIMEOUT_MS, CHROMIUM,
//      CODE_SERVER_BIN (use another code-server), VSCODE_SERVER_MAIN (a VS Code server-main.js, for VS Code >= 1.10x).
'use strict';
const { spawn, spawnSync } = require('node:child_process');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const net = require('node:net');
const util = require('node:util');

const repo = path.resolve(__dirname, '../..');
const CODE_SERVER_VERSION = '4.100.3';
const codeServerDir = path.join(repo, '.vscode-test', `code-server-${CODE_SERVER_VERSION}`);
const chromiumPath = process.env.CHROMIUM || '/usr/bin/chromium';
const suiteEntry = path.join(repo, 'out/test/integration/suite/index.js');
const extensionBundle = path.join(repo, 'dist/extension.js');
const INSTALL_HINT = 'run: sudo apt-get install chromium ripgrep libkrb5-dev (or: sudo bash scripts/install-system-deps.sh)';

function which(cmd) {
  return (process.env.PATH || '').split(path.delimiter).some((dir) => dir && fs.existsSync(path.join(dir, cmd)));
}

/** Exits with one line naming what to install when a system package the suite needs is missing. */
function missingSystemPackages(needInstallTools) {
  const missing = [];
  if (!fs.existsSync(chromiumPath)) missing.push('chromium');
  if (needInstallTools && !which('rg')) missing.push('ripgrep');
  if (needInstallTools && !fs.existsSync('/usr/include/krb5.h') && !fs.existsSync('/usr/include/krb5/krb5.h')) missing.push('libkrb5-dev');
  return missing;
}

/**
 * Installs what is missing when it can (root and apt-get: scripts/install-system-deps.sh); otherwise exits with one
 * line naming the command to run. The layer is never skipped.
 */
function requireSystemPackages(needInstallTools) {
  let missing = missingSystemPackages(needInstallTools);
  if (missing.length && !process.env.CHROMIUM) {
    spawnSync('bash', [path.join(repo, 'scripts/install-system-deps.sh')], { stdio: 'inherit' });
    missing = missingSystemPackages(needInstallTools);
  }
  if (missing.length) {
    console.log(`integration tests need the system package(s) ${missing.join(', ')}: ${INSTALL_HINT}`);
    process.exit(1);
  }
}

function ensureCodeServer() {
  const bin = process.env.CODE_SERVER_BIN || path.join(codeServerDir, 'node_modules/.bin/code-server');
  if (process.env.CODE_SERVER_BIN || process.env.VSCODE_SERVER_MAIN) return bin;
  const installed = fs.existsSync(bin) && fs.existsSync(path.join(codeServerDir, '.installed'));
  requireSystemPackages(!installed);
  if (!installed) {
    const r = spawnSync('bash', [path.join(repo, 'scripts/install-code-server.sh'), codeServerDir], { stdio: 'inherit' });
    if (r.status !== 0) {
      console.log(`installing code-server@${CODE_SERVER_VERSION} failed (exit ${r.status}); see the output above`);
      process.exit(1);
    }
  }
  return bin;
}

/** The suite needs the bundle and the compiled tests; build them when a standalone run finds them missing. */
function ensureBuilt() {
  if (!fs.existsSync(extensionBundle)) spawnSync(process.execPath, ['scripts/build.mjs'], { cwd: repo, stdio: 'inherit' });
  if (!fs.existsSync(suiteEntry)) {
    // tsc still emits when unrelated files have type errors; the check below is what matters.
    spawnSync(process.execPath, [path.join(repo, 'node_modules/typescript/bin/tsc'), '-p', 'tsconfig.test.json'], { cwd: repo, stdio: 'ignore' });
  }
  for (const f of [extensionBundle, suiteEntry]) {
    if (!fs.existsSync(f)) {
      console.log(`missing ${path.relative(repo, f)}: run npm run build && npm run compile-tests`);
      process.exit(1);
    }
  }
}

function freePort() {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.on('error', reject);
    s.listen(0, '127.0.0.1', () => { const p = s.address().port; s.close(() => resolve(p)); });
  });
}

function copyDir(from, to) {
  fs.mkdirSync(to, { recursive: true });
  for (const e of fs.readdirSync(from, { withFileTypes: true })) {
    const a = path.join(from, e.name), b = path.join(to, e.name);
    if (e.isDirectory()) copyDir(a, b); else fs.copyFileSync(a, b);
  }
}

/**
 * Where a desktop VS Code can be downloaded (not on this project's machines), VSCODE_DESKTOP=1 runs the same suite
 * through @vscode/test-electron (`npm install --no-save @vscode/test-electron` first).
 */
async function runInDesktopVsCode() {
  let runTests;
  try { ({ runTests } = require('@vscode/test-electron')); } catch {
    console.log('VSCODE_DESKTOP=1 needs @vscode/test-electron: npm install --no-save @vscode/test-electron');
    process.exit(1);
  }
  ensureBuilt();
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'iommu-review-it-'));
  const workspace = path.join(tmp, 'workspace');
  copyDir(path.join(__dirname, 'workspace'), workspace);
  let code = 0;
  try {
    await runTests({
      extensionDevelopmentPath: repo,
      extensionTestsPath: suiteEntry,
      launchArgs: [workspace, '--disable-extensions', '--disable-workspace-trust', `--user-data-dir=${path.join(tmp, 'user')}`],
    });
  } catch (e) {
    console.log(`desktop VS Code run failed: ${e.message}`);
    code = 1;
  }
  fs.rmSync(tmp, { recursive: true, force: true });
  process.exit(code);
}

async function main() {
  if (process.env.VSCODE_DESKTOP) return runInDesktopVsCode();
  const codeServer = ensureCodeServer();
  requireSystemPackages(false);
  ensureBuilt();
  let chromium;
  try { ({ chromium } = require('playwright-core')); } catch {
    console.log('playwright-core is missing: run npm ci');
    process.exit(1);
  }

  const t0 = Date.now();
  const port = await freePort();
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'iommu-review-it-'));
  // The tests edit and save files and change settings: they work on a copy of the fixture workspace.
  const workspace = path.join(tmp, 'workspace');
  copyDir(path.join(__dirname, 'workspace'), workspace);
  const userDir = path.join(tmp, 'user');
  fs.mkdirSync(path.join(userDir, 'User'), { recursive: true });
  fs.writeFileSync(path.join(userDir, 'User', 'settings.json'), JSON.stringify({
    'workbench.startupEditor': 'none', 'telemetry.telemetryLevel': 'off', 'update.mode': 'none',
    'extensions.autoCheckUpdates': false, 'extensions.autoUpdate': false, 'workbench.tips.enabled': false,
    'security.workspace.trust.enabled': false, 'chat.disableAIFeatures': true, 'git.enabled': false,
    'workbench.enableExperiments': false, 'files.simpleDialog.enable': true,
  }));
  fs.writeFileSync(path.join(tmp, 'config.yaml'), '');
  const serverMain = process.env.VSCODE_SERVER_MAIN;
  const args = serverMain
    ? [serverMain, '--host', '127.0.0.1', '--port', String(port), '--without-connection-token', '--accept-server-license-terms',
        '--enable-smoke-test-driver', '--disable-telemetry', '--disable-workspace-trust', '--server-data-dir', path.join(tmp, 'server'),
        '--user-data-dir', userDir, '--extensions-dir', path.join(tmp, 'ext')]
    : ['--bind-addr', `127.0.0.1:${port}`, '--auth', 'none', '--disable-telemetry', '--disable-update-check',
        '--disable-workspace-trust', '--disable-getting-started-override', '--disable-proxy', '--user-data-dir', userDir,
        '--extensions-dir', path.join(tmp, 'ext'), '--config', path.join(tmp, 'config.yaml'), '--ignore-last-opened'];
  const env = { ...process.env };
  const server = serverMain
    ? spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'pipe'], env, detached: true })
    : spawn(codeServer, args, { stdio: ['ignore', 'pipe', 'pipe'], env, detached: true });
  // The server forks file watchers and the extension host: end the whole process group.
  const killServer = () => { try { process.kill(-server.pid, 'SIGTERM'); } catch { /* already gone */ } };
  process.on('exit', killServer);
  let serverOut = '';
  const onOut = (d) => { serverOut += d; if (process.env.VERBOSE) process.stderr.write('[server] ' + d); };
  server.stdout.on('data', onOut);
  server.stderr.on('data', onOut);
  await new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('VS Code server did not start:\n' + serverOut)), 60000);
    const check = () => {
      if (/HTTP server listening|Web UI available at|Extension host agent listening/.test(serverOut)) { clearTimeout(timer); resolve(); }
      else setTimeout(check, 100);
    };
    check();
    server.on('exit', (c) => { clearTimeout(timer); reject(new Error(`VS Code server exited ${c}\n${serverOut}`)); });
  });
  console.log(`VS Code server up on 127.0.0.1:${port} after ${Date.now() - t0} ms`);

  const browser = await chromium.launch({
    executablePath: chromiumPath,
    headless: true,
    args: ['--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage', '--disable-background-networking',
      '--disable-component-update', '--disable-sync', '--no-first-run', '--disable-quic'],
  });
  const page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
  let finished;
  const done = new Promise((r) => (finished = r));
  if (process.env.VERBOSE) page.on('console', (m) => console.log('[page]', m.text()));
  page.on('pageerror', (e) => { if (process.env.VERBOSE) console.log('[pageerror]', e.message); });
  let summary = '';
  await page.exposeFunction('codeAutomationLog', async (_type, logArgs) => {
    const line = util.format(...logArgs);
    const m = /TEST-SUMMARY: (\d+ passed, \d+ failed)/.exec(line);
    if (m) summary = m[1];
    // The suite asks for what only the page can do (click inside a webview, read the workbench's DOM, take a picture)
    // with a `UI-ACTION: {json}` line and waits for the answer in the file the request names.
    const ui = /UI-ACTION: (\{.*\})\s*$/.exec(line);
    if (ui) {
      await uiAction(page, JSON.parse(ui[1]));
      return;
    }
    // The workbench's gallery lookup (open-vsx.org) fails offline, harmlessly: keep it out of the report.
    if (!process.env.VERBOSE && /open-vsx\.org|vsda/.test(line)) return;
    console.log(line);
  });
  await page.exposeFunction('codeAutomationExit', async (code) => { finished(code); });

  const host = `127.0.0.1:${port}`;
  const remote = (p) => `vscode-remote://${host}${p}`;
  const payload = JSON.stringify([
    ['extensionDevelopmentPath', remote(repo)],
    ['extensionTestsPath', remote(suiteEntry)],
    ['skipWelcome', 'true'],
  ]);
  await page.goto(`http://${host}/?folder=${encodeURIComponent(workspace)}&payload=${encodeURIComponent(payload)}`);

  const timeoutMs = Number(process.env.TEST_TIMEOUT_MS || 300000);
  let timer;
  const timeout = new Promise((r) => { timer = setTimeout(() => r('timeout'), timeoutMs); });
  const code = await Promise.race([done, timeout]);
  clearTimeout(timer);
  console.log(`extension tests exit code: ${code} (total ${Date.now() - t0} ms)`);
  await browser.close().catch(() => undefined);
  killServer();
  fs.rmSync(tmp, { recursive: true, force: true });
  if (code !== 0 && !summary) summary = '0 passed, 1 failed';
  console.log(summary || '0 passed, 1 failed'); // the plain closing line CI reads
  process.exit(code === 0 ? 0 : 1);
}

/** Finds `selector` in the page or any of its frames (webviews are nested iframes). */
async function locateAnywhere(page, selector) {
  for (const frame of page.frames()) {
    const el = await frame.$(selector).catch(() => null);
    if (el) return el;
  }
  return null;
}

async function waitAnywhere(page, selector, timeoutMs) {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const el = await locateAnywhere(page, selector);
    if (el || Date.now() > end) return el;
    await page.waitForTimeout(200); // frames appear asynchronously; playwright has no cross-frame wait
  }
}

/**
 * {action: 'click', selector, out} clicks the element (in a webview too); {action: 'text', selector, out} answers the
 * inner texts of the matches in the workbench; {action: 'screenshot', name, out} writes docs/images/<name> when
 * SCREENSHOT names that folder. The answer is JSON in `out` (written whole, then renamed).
 */
async function uiAction(page, req) {
  let answer;
  try {
    if (req.action === 'click') {
      const el = await waitAnywhere(page, req.selector, 20000);
      if (!el) throw new Error(`no ${req.selector} in the page or its frames`);
      await el.click();
      answer = { ok: true };
    } else if (req.action === 'text') {
      await page.locator(req.selector).first().waitFor({ timeout: 20000 }).catch(() => undefined);
      answer = { ok: true, texts: await page.locator(req.selector).allInnerTexts() };
    } else if (req.action === 'screenshot') {
      if (!process.env.SCREENSHOT) answer = { ok: true, skipped: true };
      else {
        const dir = path.resolve(repo, process.env.SCREENSHOT);
        fs.mkdirSync(dir, { recursive: true });
        if (req.waitFor) await waitAnywhere(page, req.waitFor, 20000);
        await page.waitForTimeout(300); // let the last paint settle (fonts, lens fade-in)
        await page.screenshot({ path: path.join(dir, req.name) });
        console.log(`screenshot written to ${path.relative(repo, path.join(dir, req.name))}`);
        answer = { ok: true };
      }
    } else answer = { ok: false, error: `unknown action ${req.action}` };
  } catch (e) {
    answer = { ok: false, error: e.message };
  }
  fs.writeFileSync(req.out + '.tmp', JSON.stringify(answer));
  fs.renameSync(req.out + '.tmp', req.out);
}

main().catch((e) => { console.error(e); console.log('0 passed, 1 failed'); process.exit(1); });
