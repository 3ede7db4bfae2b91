/** The core stays editor-free: only src/extension may import 'vscode'. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';

const REPO_ROOT = path.resolve(__dirname, '../../..');

function sourceFiles(dir: string): string[] {
  const out: string[] = [];
  for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) out.push(...sourceFiles(full));
    else if (/\.(ts|tsx|js|mjs|cjs)$/.test(entry.name)) out.push(full);
  }
  return out;
}

const IMPORTS_VSCODE = /(?:from\s+|import\s*\(\s*|require\s*\(\s*|import\s+)['"]vscode['"]/;

test('no file outside src/extension imports vscode', () => {
  const offenders = sourceFiles(path.join(REPO_ROOT, 'src'))
    .filter((f) => !path.relative(REPO_ROOT, f).split(path.sep).join('/').startsWith('src/extension/'))
    .filter((f) => IMPORTS_VSCODE.test(fs.readFileSync(f, 'utf8')))
    .map((f) => path.relative(REPO_ROOT, f));
  assert.deepEqual(offenders, []);
});

test('the check itself recognises the import forms it forbids', () => {
  for (const s of ["import * as vscode from 'vscode';", 'import { window } from "vscode";', "const v = require('vscode');", "await import('vscode')", "import 'vscode';"]) {
    assert.ok(IMPORTS_VSCODE.test(s), s);
  }
  assert.ok(!IMPORTS_VSCODE.test("import { x } from './vscode-utils';"));
});

test('the core does no file-system or network I/O', () => {
  // node-wasm.ts is the one allowed reader (it loads the wasm bytes for node hosts).
  const core = ['src/core', 'src/rules', 'src/format'].flatMap((d) => (fs.existsSync(path.join(REPO_ROOT, d)) ? sourceFiles(path.join(REPO_ROOT, d)) : []));
  const offenders = core
    .filter((f) => !f.endsWith(path.join('c', 'node-wasm.ts')))
    .filter((f) => /from\s+['"](node:)?(fs|net|http|https|child_process)['"]|require\(['"](node:)?(fs|net|http|https|child_process)['"]\)/.test(fs.readFileSync(f, 'utf8')))
    .map((f) => path.relative(REPO_ROOT, f));
  assert.deepEqual(offenders, []);
});
