/**
 * End-to-end: spawns the bundled CLI (`node dist/cli.js`, built by `npm run build`) the way users and scripts do.
 * Goldens live in test/fixtures/e2e/golden/; `UPDATE_GOLDEN=1` rewrites them (volatile fields normalised first).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { loadSarifValidator } from './sarif-schema';

const ROOT = path.join(__dirname, '../../..');
const CLI = path.join(ROOT, 'dist/cli.js');
const FIX = path.join(ROOT, 'test/fixtures/e2e');
const GOLDEN = path.join(FIX, 'golden');
const EXAMPLES = 'examples';
const PATCH_CLEAN = 'examples/0001-vfio-acme-add-a-VFIO-PCI-variant-driver-for-ACME-wid.patch';
const PATCH_FLAGLESS = 'examples/0002-vfio-zeta-add-a-VFIO-PCI-variant-driver-for-Zeta-off.patch';

interface Run {
  status: number | null;
  stdout: string;
  stderr: string;
}

function cli(args: string[], opts: { input?: string | Buffer; cwd?: string } = {}): Run {
  const r = spawnSync(process.execPath, [CLI, ...args], {
    cwd: opts.cwd ?? ROOT,
    input: opts.input ?? '',
    encoding: 'utf8',
    env: { ...process.env, CI: 'true' },
    maxBuffer: 64 * 1024 * 1024,
  });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

/** The rule catalogue as the CLI itself reports it (the e2e tests only talk to the bundle). */
function listedRules(): { code: string; name: string; defaultSeverity: string; docsUrl: string }[] {
  return JSON.parse(cli(['--list-rules', '--format', 'json']).stdout);
}

function stderrLines(r: Run): string[] {
  return r.stderr.split('\n').filter((l) => l !== '');
}

function assertOneReadableStderrLine(r: Run): string {
  const lines = stderrLines(r);
  assert.equal(lines.length, 1, `expected one stderr line, got:\n${r.stderr}`);
  assert.match(lines[0], /^iommu-review: /);
  assert.doesNotMatch(r.stderr, /\n\s+at .*\(|Error:.*\n\s+at /, 'no stack trace');
  return lines[0];
}

function json(r: Run): {
  findings: { rule: string; code: string; severity: string; message: string; location: { path: string; line: number; column: number }; source?: { file: string; line: number; patch?: string }; trace: unknown[] }[];
  problems: { path: string; message: string }[];
  findingDetails: { fixedBy?: string; partial?: string }[];
  stats: { reviewed: number; skipped: number; failed: number };
} {
  return JSON.parse(r.stdout);
}

function tmpDir(prefix: string): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), `iommu-review-${prefix}-`));
}

/** Replaces what changes from build to build (timings, the version) so goldens stay stable. */
function normalise(value: unknown): unknown {
  return JSON.parse(JSON.stringify(value), (key, v) => {
    if (key === 'ms') return 0;
    if ((key === 'version' || key === 'semanticVersion') && typeof v === 'string' && v !== '2.1.0') return '0.0.0-test';
    return v;
  });
}

function checkGolden(name: string, actual: unknown): void {
  const file = path.join(GOLDEN, name);
  const text = `${JSON.stringify(normalise(actual), null, 2)}\n`;
  if (process.env.UPDATE_GOLDEN === '1' || !fs.existsSync(file)) {
    fs.mkdirSync(GOLDEN, { recursive: true });
    fs.writeFileSync(file, text);
    if (process.env.UPDATE_GOLDEN !== '1') assert.fail(`golden ${name} was missing and has been written: review it and run again`);
    return;
  }
  assert.deepEqual(JSON.parse(text), JSON.parse(fs.readFileSync(file, 'utf8')), `output differs from golden ${name} (UPDATE_GOLDEN=1 rewrites it)`);
}

test('the bundle exists (run `npm run build` first)', () => {
  assert.ok(fs.existsSync(CLI), `${CLI} is missing`);
});

// ───────────────────────────── the example series ─────────────────────────────

test('examples/: a readable checkpatch-style review, exit 1 for the error findings', () => {
  const r = cli([EXAMPLES]);
  assert.equal(r.status, 1, r.stderr);
  // checkpatch's pair: `#<line of the patch>: FILE: <kernel path>:<line in the C file>:`
  assert.match(r.stdout, /^ERROR:OWN001 missing-driver-managed-dma: .*zeta_vfio_pci_driver.*\n#\d+: FILE: drivers\/vfio\/pci\/zeta\/main\.c:\d+:$/m);
  assert.match(r.stdout, /^ERROR:OWN005 unbalanced-dma-owner-claim: .*acme_npu.*\n#67: FILE: drivers\/accel\/acme\/npu\.c:28:$/m);
  // As checkpatch does, the patch line itself is quoted under the FILE line.
  assert.match(r.stdout, /: FILE: drivers\/vfio\/pci\/zeta\/main\.c:\d+:\n\+static struct pci_driver zeta_vfio_pci_driver = \{\n/);
  assert.match(r.stdout, /^\+\tret = iommu_device_claim_dma_owner\(dev, npu\);$/m);
  // A patch file names itself (the #line is in it); --git names the commit (see the --git test).
  assert.match(r.stdout, /^ {4}in examples\/0002-vfio-zeta-[^ ]*\.patch \(\[PATCH 2\/3\]/m);
  // The short trace: steps with a location (C file and line) and state changes in plain words.
  assert.match(r.stdout, /^ {4}trace \(\d+ of \d+ steps, --verbose for all\):$/m);
  assert.match(r.stdout, /^ {6}1\. bind +pci_dma_configure → iommu_device_use_default_domain\(dev0\) = 0: owner_cnt 0 → 1$/m);
  assert.match(r.stdout, /iommu_device_claim_dma_owner\(dev, npu\) = 0: owner_cnt 0 → 1, owned by npu, domain default → blocking {2}\(npu\.c:28\)$/m);
  assert.doesNotMatch(r.stdout, /grp0\{cnt=/, 'no raw state strings in the short trace');
  assert.doesNotMatch(r.stdout, new RegExp(`FILE: ${PATCH_CLEAN}`), 'the clean patch has no finding');
  assert.match(r.stdout, /^total: [1-9]\d* errors, \d+ warnings, \d+ info, 3 inputs reviewed \(1 skipped, 0 failed\)$/m);
  // Each fix is said once.
  assert.match(r.stdout, /^ {4}fix: add `\.driver_managed_dma = true,` to the initializer of zeta_vfio_pci_driver\n\n/m);
  const long = r.stdout.split('\n').filter((l) => l.length > 200);
  assert.ok(long.length <= 2, `only messages may run long:\n${long.join('\n')}`);
});

test('--verbose prints every trace step; --no-trace none', () => {
  const v = cli(['--verbose', EXAMPLES]);
  assert.match(v.stdout, /^ {4}trace:$/m);
  assert.match(v.stdout, /grp0\{cnt=0 owner=- dom=default pasids=0\} → grp0\{cnt=1/);
  assert.doesNotMatch(cli(['--no-trace', EXAMPLES]).stdout, /trace/);
});

test('--terse: one `path:line: LEVEL: CODE rule: message` line per finding, at the C file and line', () => {
  const r = cli(['--terse', EXAMPLES]);
  assert.equal(r.status, 1, r.stderr);
  const lines = r.stdout.trimEnd().split('\n');
  assert.match(lines[0], /^drivers\/vfio\/pci\/zeta\/main\.c:\d+: ERROR: OWN001 missing-driver-managed-dma: \S/);
  assert.equal(lines[1].startsWith('drivers/accel/acme/npu.c:28: ERROR: OWN005 unbalanced-dma-owner-claim: '), true, lines[1]);
  assert.match(lines[2], /^total: /);
  assert.equal(lines.length, 3);
});

test('--emacs: each block starts with path:line:, the C file of the finding', () => {
  const r = cli(['--emacs', EXAMPLES]);
  assert.match(r.stdout, /^drivers\/accel\/acme\/npu\.c:28: ERROR:OWN005 unbalanced-dma-owner-claim: /m);
  assert.match(r.stdout, /^#67: FILE: drivers\/accel\/acme\/npu\.c:28:$/m);
});

test('--quiet prints nothing for a clean run; colour only on request or on a terminal', () => {
  const quiet = cli(['--quiet', path.join(EXAMPLES, path.basename(PATCH_CLEAN))]);
  assert.equal(quiet.status, 0, quiet.stderr);
  assert.equal(quiet.stdout, '');
  assert.match(cli(['-q', EXAMPLES]).stdout, /^total: /m, 'findings still end with the total line');
  assert.doesNotMatch(cli([EXAMPLES]).stdout, /\x1b\[/, 'a pipe gets no colour');
  assert.match(cli(['--color=always', EXAMPLES]).stdout, /\x1b\[1m\x1b\[31mERROR:OWN001\x1b\[0m/);
  assert.doesNotMatch(cli(['--color=never', EXAMPLES]).stdout, /\x1b\[/);
  assert.equal(cli(['--color=sometimes', EXAMPLES]).status, 2);
});

test('examples/: golden JSON', () => {
  const r = cli(['--format', 'json', EXAMPLES]);
  assert.equal(r.status, 1, r.stderr);
  const report = json(r);
  for (const f of report.findings) {
    assert.deepEqual(Object.keys(f).filter((k) => !['source'].includes(k)).sort(), ['code', 'location', 'message', 'rule', 'severity', 'trace']);
    assert.deepEqual(Object.keys(f.location).sort(), ['column', 'line', 'path']);
  }
  const codes = report.findings.filter((f) => f.severity === 'error').map((f) => `${f.code}@${path.basename(f.location.path).slice(0, 4)}`);
  assert.ok(codes.includes('OWN001@0002'), codes.join(' '));
  assert.ok(codes.includes('OWN005@0003'), codes.join(' '));
  assert.equal(codes.filter((c) => c.endsWith('@0001')).length, 0, 'patch 1 is clean');
  checkGolden('examples.json', report);
});

test('examples/: golden SARIF, valid against the SARIF 2.1.0 schema', () => {
  const r = cli(['--format', 'sarif', EXAMPLES]);
  assert.equal(r.status, 1, r.stderr);
  const log = JSON.parse(r.stdout);
  const validate = loadSarifValidator();
  assert.equal(validate(log), true, JSON.stringify(validate.errors, null, 2));
  const run = log.runs[0];
  assert.equal(run.tool.driver.rules.length, listedRules().length);
  assert.ok(run.results.some((x: { ruleId: string; level: string }) => x.ruleId === 'OWN001' && x.level === 'error'));
  assert.equal(run.invocations[0].executionSuccessful, true);
  checkGolden('examples.sarif.json', log);
});

test('SARIF with an unusable input is still valid and marks the run unsuccessful', () => {
  const r = cli(['--format', 'sarif', PATCH_FLAGLESS, 'missing-file.patch']);
  assert.equal(r.status, 2);
  const log = JSON.parse(r.stdout);
  const validate = loadSarifValidator();
  assert.equal(validate(log), true, JSON.stringify(validate.errors, null, 2));
  const invocation = log.runs[0].invocations[0];
  assert.equal(invocation.executionSuccessful, false);
  assert.equal(invocation.toolExecutionNotifications[0].locations[0].physicalLocation.artifactLocation.uri, 'missing-file.patch');
  assert.ok(log.runs[0].results.some((x: { ruleId: string }) => x.ruleId === 'OWN001'));
});

test('SARIF for a C file carries a fix that, applied, clears the finding', () => {
  const tmp = tmpDir('sarif-fix');
  try {
    const base = fs.readFileSync(path.join(FIX, 'tree-base.c'), 'utf8');
    const file = path.join(tmp, 'omega.c');
    fs.writeFileSync(file, base.replace('\treturn 0;\n}', '\tret = vfio_pci_core_register_device(&od->core);\n\tif (ret)\n\t\treturn ret;\n\treturn 0;\n}'));
    const log = JSON.parse(cli(['--format', 'sarif', file]).stdout);
    const validate = loadSarifValidator();
    assert.equal(validate(log), true, JSON.stringify(validate.errors, null, 2));
    const result = log.runs[0].results.find((x: { ruleId: string }) => x.ruleId === 'OWN001');
    assert.ok(result);
    const change = result.fixes[0].artifactChanges[0];
    assert.equal(change.artifactLocation.uri, `file://${file}`);
    const { deletedRegion, insertedContent } = change.replacements[0];
    const lines = fs.readFileSync(file, 'utf8').split('\n');
    const at = lines.slice(0, deletedRegion.startLine - 1).join('\n').length + (deletedRegion.startLine > 1 ? 1 : 0) + deletedRegion.startColumn - 1;
    const end = lines.slice(0, deletedRegion.endLine - 1).join('\n').length + (deletedRegion.endLine > 1 ? 1 : 0) + deletedRegion.endColumn - 1;
    const text = lines.join('\n');
    fs.writeFileSync(file, text.slice(0, at) + insertedContent.text + text.slice(end));
    const after = cli(['--format', 'json', file]);
    assert.equal(json(after).findings.filter((f) => f.code === 'OWN001').length, 0, after.stdout);
  } finally {
    fs.rmSync(tmp, { recursive: true, force: true });
  }
});

test('a clean patch: no findings, exit 0', () => {
  const r = cli([PATCH_CLEAN]);
  assert.equal(r.status, 0, r.stdout + r.stderr);
  assert.equal(r.stdout, 'context: 1 full file, 0 tree, 0 hunks only\ntotal: 0 errors, 0 warnings, 0 info, 1 inputs reviewed (0 skipped, 0 failed)\n');
});

test('standard input: `-` reviews the piped patch under the path <stdin>', () => {
  const r = cli(['--format', 'json', '-'], { input: fs.readFileSync(path.join(ROOT, PATCH_FLAGLESS)) });
  assert.equal(r.status, 1, r.stderr);
  const f = json(r).findings.find((x) => x.code === 'OWN001');
  assert.ok(f);
  assert.equal(f.location.path, '<stdin>');
  assert.equal(f.source?.file, 'drivers/vfio/pci/zeta/main.c');
});

test('a quoted review mail: the finding points into the mail', () => {
  const mail = path.join('test/fixtures/e2e/quoted-review.eml');
  const r = cli(['--format', 'json', mail]);
  assert.equal(r.status, 1, r.stdout + r.stderr);
  const f = json(r).findings.find((x) => x.code === 'OWN001');
  assert.ok(f, r.stdout);
  assert.equal(f.location.path, mail);
  const mailLines = fs.readFileSync(path.join(ROOT, mail), 'utf8').split('\n');
  assert.match(mailLines[f.location.line - 1], /^> \+/, 'the location is a quoted added line');
});

test('a CRLF patch gives the same findings as its LF original', () => {
  const tmp = tmpDir('crlf');
  try {
    const lf = fs.readFileSync(path.join(ROOT, PATCH_FLAGLESS), 'utf8');
    const crlfPath = path.join(tmp, 'zeta-crlf.patch');
    fs.writeFileSync(crlfPath, lf.replace(/\n/g, '\r\n'));
    const a = json(cli(['--format', 'json', PATCH_FLAGLESS])).findings;
    const b = json(cli(['--format', 'json', crlfPath])).findings;
    assert.ok(a.length > 0);
    assert.deepEqual(
      b.map((f) => [f.code, f.severity, f.location.line, f.location.column, f.source?.line, f.message]),
      a.map((f) => [f.code, f.severity, f.location.line, f.location.column, f.source?.line, f.message]),
    );
  } finally {
    fs.rmSync(tmp, { recursive: true, force: true });
  }
});

test('an mbox series where patch 2 fixes patch 1: the finding on patch 1 names the fix', () => {
  const mbox = 'test/fixtures/e2e/series-fix.mbox';
  const r = cli(['--format', 'json', mbox]);
  const report = json(r);
  const i = report.findings.findIndex((f) => f.code === 'OWN001');
  assert.ok(i >= 0, r.stdout);
  assert.equal(report.findings[i].source?.patch?.startsWith('[PATCH 1/2]'), true);
  assert.match(report.findingDetails[i].fixedBy ?? '', /\[PATCH 2\/2\] vfio\/omega: set driver_managed_dma/);
  const text = cli([mbox]);
  assert.match(text.stdout, /^ {4}fixed later in the series by: \[PATCH 2\/2\] vfio\/omega: set driver_managed_dma$/m);
});

// ───────────────────────────── options ─────────────────────────────

test('--rule turns a rule off or changes its severity (by code or name)', () => {
  const off = cli(['--format', 'json', '--rule', 'OWN001=off', PATCH_FLAGLESS]);
  assert.equal(json(off).findings.filter((f) => f.code === 'OWN001').length, 0);
  assert.notEqual(off.status, 2);
  const warn = cli(['--format', 'json', '--rule', 'missing-driver-managed-dma=warning', PATCH_FLAGLESS]);
  const own001 = json(warn).findings.filter((f) => f.code === 'OWN001');
  assert.ok(own001.length > 0);
  assert.ok(own001.every((f) => f.severity === 'warning'));
  assert.equal(warn.status, json(warn).findings.some((f) => f.severity === 'error') ? 1 : 0);
});

test('--list-rules lists every rule; --explain prints a rule page by code or name', () => {
  const list = cli(['--list-rules']);
  assert.equal(list.status, 0);
  const rules = listedRules();
  assert.ok(rules.some((r) => r.code === 'OWN001' && r.name === 'missing-driver-managed-dma'));
  assert.equal(new Set(rules.map((r) => r.code)).size, rules.length);
  for (const rule of rules) assert.match(list.stdout, new RegExp(`^${rule.code} +${rule.name} +${rule.defaultSeverity} `, 'm'));
  assert.equal(list.stdout.trim().split('\n').length, rules.length + 1, 'a header and one line per rule');
  const byCode = cli(['--explain', 'OWN001']);
  assert.equal(byCode.status, 0);
  assert.match(byCode.stdout, /missing-driver-managed-dma/);
  assert.ok(byCode.stdout.length > 200, 'a page, not a line');
  assert.equal(cli(['--explain', 'missing-driver-managed-dma']).stdout, byCode.stdout);
  assertOneReadableStderrLine(cli(['--explain', 'OWN999']));
});

test('--target picks the kernel profile; an unknown one is refused', () => {
  assert.notEqual(cli(['--target', '6.15', PATCH_CLEAN]).status, 2);
  const bad = cli(['--target', '4.19', PATCH_CLEAN]);
  assert.equal(bad.status, 2);
  assert.match(assertOneReadableStderrLine(bad), /unknown target '4\.19'/);
});

test('--version and --help', () => {
  const pkg = JSON.parse(fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8'));
  assert.equal(cli(['--version']).stdout, `iommu-review ${pkg.version}\n`);
  const help = cli(['--help']);
  assert.equal(help.status, 0);
  assert.match(help.stdout, /^Usage: iommu-review/);
});

test('--dump-facts writes the extracted facts as JSON', () => {
  const tmp = tmpDir('facts');
  try {
    const out = path.join(tmp, 'facts.json');
    const r = cli(['--dump-facts', out, PATCH_FLAGLESS]);
    assert.equal(r.status, 1);
    const facts = JSON.parse(fs.readFileSync(out, 'utf8'));
    assert.equal(facts[0].path, PATCH_FLAGLESS);
    const files = facts[0].patches[0].files;
    const main = files.find((f: { path: string }) => f.path === 'drivers/vfio/pci/zeta/main.c');
    assert.ok(main, JSON.stringify(files.map((f: { path: string }) => f.path)));
    assert.ok(main.post.drivers.some((d: { name: string }) => d.name === 'zeta_vfio_pci_driver'));
  } finally {
    fs.rmSync(tmp, { recursive: true, force: true });
  }
});

// ───────────────────────────── --tree ─────────────────────────────

/** A tree holding the pre-image of tree-inside.patch, and the same file outside the tree (tree-escape.patch climbs to it). */
function treeFixture(): string {
  const tmp = tmpDir('tree');
  const base = fs.readFileSync(path.join(FIX, 'tree-base.c'));
  fs.mkdirSync(path.join(tmp, 'tree/drivers/misc/omega'), { recursive: true });
  fs.writeFileSync(path.join(tmp, 'tree/drivers/misc/omega/omega.c'), base);
  fs.mkdirSync(path.join(tmp, 'outside/omega'), { recursive: true });
  fs.writeFileSync(path.join(tmp, 'outside/omega/omega.c'), base);
  return tmp;
}

test('--tree: the whole post-image is read, so a flag missing outside the hunk is an error', () => {
  const tmp = treeFixture();
  try {
    const patch = path.join(FIX, 'tree-inside.patch');
    const without = json(cli(['--format', 'json', patch])).findings.filter((f) => f.code === 'OWN001');
    assert.ok(without.every((f) => f.severity !== 'error'), 'without the tree the struct is unseen: not an error');
    const r = cli(['--format', 'json', '--tree', path.join(tmp, 'tree'), patch]);
    assert.equal(r.status, 1, r.stdout + r.stderr);
    assert.ok(json(r).findings.some((f) => f.code === 'OWN001' && f.severity === 'error'), r.stdout);
  } finally {
    fs.rmSync(tmp, { recursive: true, force: true });
  }
});

test('--tree: a patch whose paths climb out of the tree (../) reads nothing outside it', () => {
  const tmp = treeFixture();
  try {
    const r = cli(['--format', 'json', '--tree', path.join(tmp, 'tree'), path.join(FIX, 'tree-escape.patch')]);
    assert.notEqual(r.status, 2, r.stderr);
    const report = json(r);
    // The same C file as the inside case, but outside the tree: it must not be read, so no error can be proven.
    assert.ok(report.findings.every((f) => f.severity !== 'error'), r.stdout);
    assert.match(r.stderr, /refused to read '\.\.\/outside\/omega\/omega\.c': the path leaves the --tree directory/);
    assert.doesNotMatch(r.stdout + r.stderr, /root:x:0:0/);
  } finally {
    fs.rmSync(tmp, { recursive: true, force: true });
  }
});

test('--tree with a missing directory is unusable', () => {
  const r = cli(['--tree', '/nonexistent/tree/dir', PATCH_CLEAN]);
  assert.equal(r.status, 2);
  assert.match(assertOneReadableStderrLine(r), /--tree/);
});

// ───────────────────────────── --git ─────────────────────────────

test('--git reviews `git format-patch --stdout RANGE` of a repository', () => {
  const repo = tmpDir('git');
  try {
    const git = (args: string[], input?: Buffer) => execFileSync('git', args, { cwd: repo, stdio: 'pipe', input });
    git(['init', '-q']);
    git(['config', 'user.name', 'Test Author']);
    git(['config', 'user.email', 'test@example.org']);
    git(['config', 'commit.gpgsign', 'false']);
    fs.writeFileSync(path.join(repo, 'README'), 'base\n');
    git(['add', '.']);
    git(['commit', '-q', '-m', 'base']);
    fs.mkdirSync(path.join(repo, 'drivers/misc/omega'), { recursive: true });
    fs.writeFileSync(path.join(repo, 'drivers/misc/omega/omega.c'), fs.readFileSync(path.join(FIX, 'tree-base.c')));
    git(['add', '.']);
    git(['commit', '-q', '-m', 'omega: add a plain PCI driver']);
    git(['am', '-q'], fs.readFileSync(path.join(FIX, 'tree-inside.patch')));
    const r = cli(['--format', 'json', '--git', 'HEAD~2..HEAD'], { cwd: repo });
    assert.equal(r.status, 1, r.stderr);
    const f = json(r).findings.find((x) => x.code === 'OWN001');
    assert.ok(f, r.stdout);
    assert.equal(f.location.path, '<git HEAD~2..HEAD>');
    assert.match(f.source?.patch ?? '', /^\[PATCH 2\/2\] omega: hand the engine to user space through VFIO/);
    // Text: the location is the C file and line, and the block names the commit it came from.
    const sha = execFileSync('git', ['rev-parse', 'HEAD'], { cwd: repo, encoding: 'utf8' }).trim();
    const text = cli(['--git', 'HEAD~2..HEAD'], { cwd: repo }).stdout;
    assert.match(text, /^#\d+: FILE: drivers\/misc\/omega\/omega\.c:\d+:$/m);
    assert.match(text, new RegExp(`^ {4}in commit ${sha.slice(0, 12)} \\(\\[PATCH 2/2\\] omega: hand the engine`, 'm'));
    assert.match(cli(['--terse', '--git', 'HEAD~2..HEAD'], { cwd: repo }).stdout, /^drivers\/misc\/omega\/omega\.c:\d+: ERROR: OWN001 /m);
    const bad = cli(['--git', 'no-such-branch..HEAD'], { cwd: repo });
    assert.equal(bad.status, 2);
    assert.match(assertOneReadableStderrLine(bad), /git format-patch failed/);
    // A range that looks like an option is passed after --end-of-options, never obeyed.
    const sneaky = cli(['--git', '--output=pwned.txt'], { cwd: repo });
    assert.equal(sneaky.status, 2);
    assert.equal(fs.existsSync(path.join(repo, 'pwned.txt')), false);
  } finally {
    fs.rmSync(repo, { recursive: true, force: true });
  }
});

// ───────────────────────────── unusable input ─────────────────────────────

test('unusable arguments and input: exit 2 with exactly one readable stderr line', () => {
  const tmp = tmpDir('bad');
  try {
    const binary = path.join(tmp, 'garbage.patch');
    fs.writeFileSync(binary, Buffer.from([0, 1, 2, 3, 0xff, 0xfe, 0, 0, 7, 8, 9]));
    const text = path.join(tmp, 'prose.patch');
    fs.writeFileSync(text, 'This is not a patch.\nJust some words.\n');
    for (const args of [['--no-such-option'], ['missing-file.patch'], [binary], [text], [], ['--format', 'yaml', PATCH_CLEAN], ['--jobs', 'many', PATCH_CLEAN]]) {
      const r = cli(args);
      assert.equal(r.status, 2, `${args.join(' ')}: ${r.stdout}${r.stderr}`);
      assertOneReadableStderrLine(r);
    }
    // A missing file among good ones: the good ones are still reviewed, and the status says the input was unusable.
    const mixed = cli(['--format', 'json', PATCH_FLAGLESS, 'missing-file.patch']);
    assert.equal(mixed.status, 2);
    assert.ok(json(mixed).findings.some((f) => f.code === 'OWN001'));
    assert.deepEqual(json(mixed).problems.map((p) => p.path), ['missing-file.patch']);
  } finally {
    fs.rmSync(tmp, { recursive: true, force: true });
  }
});

// ───────────────────────────── b4 ─────────────────────────────

test('--b4-check: terse lines for a patch with problems, nothing for a clean one, exit 0', () => {
  const bad = cli(['--b4-check'], { input: fs.readFileSync(path.join(ROOT, PATCH_FLAGLESS)) });
  assert.equal(bad.status, 0, bad.stderr);
  const lines = bad.stdout.split('\n').filter(Boolean);
  assert.ok(lines.length > 0);
  for (const l of lines) assert.match(l, /^-:\d+: (ERROR|WARNING|INFO): OWN\d{3} [a-z0-9-]+: \S/);
  assert.ok(lines.some((l) => /^-:\d+: ERROR: OWN001 missing-driver-managed-dma: /.test(l)));
  const clean = cli(['--b4-check'], { input: fs.readFileSync(path.join(ROOT, PATCH_CLEAN)) });
  assert.equal(clean.status, 0);
  assert.equal(clean.stdout, '');
  assert.equal(clean.stderr, '');
});

test('--b4-review: a JSON array of {tool, status, summary, url, details}', () => {
  const bad = cli(['--b4-review'], { input: fs.readFileSync(path.join(ROOT, PATCH_FLAGLESS)) });
  assert.equal(bad.status, 0, bad.stderr);
  const [entry] = JSON.parse(bad.stdout);
  assert.equal(entry.tool, 'iommu-review');
  assert.equal(entry.status, 'fail');
  // Rule pages ship with the tool; the project has no web address, so no link is made up.
  assert.equal(entry.url, '');
  assert.match(entry.details, /More: iommu-review --explain OWN001/);
  assert.match(entry.details, /OWN001/);
  const clean = JSON.parse(cli(['--b4-review'], { input: fs.readFileSync(path.join(ROOT, PATCH_CLEAN)) }).stdout);
  assert.equal(clean[0].status, 'pass');
});

// ───────────────────────────── worker threads ─────────────────────────────

test('a directory of many C files is spread over workers with the same findings as one thread', () => {
  const tmp = tmpDir('workers');
  try {
    // The post-image of tree-inside.patch: a VFIO-registering PCI driver without the flag (OWN001 in every file).
    const base = fs.readFileSync(path.join(FIX, 'tree-base.c'), 'utf8');
    const vfio = base.replace('\treturn 0;\n}', '\tret = vfio_pci_core_register_device(&od->core);\n\tif (ret)\n\t\treturn ret;\n\treturn 0;\n}');
    assert.notEqual(vfio, base);
    for (let i = 0; i < 18; i++) {
      const dir = path.join(tmp, `drivers/misc/d${String(i).padStart(2, '0')}`);
      fs.mkdirSync(dir, { recursive: true });
      fs.writeFileSync(path.join(dir, 'main.c'), vfio.replace(/omega/g, `d${i}x`));
    }
    const one = cli(['--format', 'json', '--jobs', '1', tmp]);
    const two = cli(['--format', 'json', '--jobs', '2', tmp]);
    assert.equal(one.status, 1, one.stderr);
    assert.equal(two.status, 1, two.stderr);
    assert.equal(two.stderr, '', 'no progress bar when stderr is not a terminal');
    assert.equal(json(one).findings.filter((f) => f.code === 'OWN001').length, 18);
    assert.deepEqual(json(two).findings, json(one).findings);
    assert.equal(json(two).stats.reviewed, 18);
    assert.equal(JSON.parse(one.stdout).workers, 0, '--jobs 1 stays in one thread');
    assert.equal(JSON.parse(two.stdout).workers, 2, '--jobs 2 uses two workers');
    // Without --jobs, a scan this small is not worth starting workers for.
    assert.equal(JSON.parse(cli(['--format', 'json', tmp]).stdout).workers, 0);
  } finally {
    fs.rmSync(tmp, { recursive: true, force: true });
  }
});
