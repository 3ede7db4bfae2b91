/**
 * The rule registry is the catalogue (docs/rules/README.md in this repository; the project spec rules.md when it sits beside
 * the clone): same names, codes, default severities and tiers, each with a doc page in the mandated shape, every message
 * used, and the docs link derived from the name.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { RULES } from '../../src/rules';
import { DOCS_BASE } from '../../src/rules/types';

const REPO_ROOT = path.resolve(__dirname, '../../..');
const SPEC = path.join(REPO_ROOT, '../shared/spec/rules.md');
const COPY = path.join(REPO_ROOT, 'test/fixtures/catalogue.json');

interface Entry { code: string; name: string; severity: string; tier: number }

function parseSpecTable(text: string): Entry[] {
  const out: Entry[] = [];
  for (const m of text.matchAll(/^\| (OWN\d{3}) \| `([a-z0-9-]+)` \| (\w+) \| (\d) \|$/gm)) {
    out.push({ code: m[1], name: m[2], severity: m[3], tier: Number(m[4]) });
  }
  return out;
}

const copy: Entry[] = JSON.parse(fs.readFileSync(COPY, 'utf8'));
const catalogue: Entry[] = fs.existsSync(SPEC) ? parseSpecTable(fs.readFileSync(SPEC, 'utf8')) : copy;

test('the kept copy of the catalogue equals the spec table (when the spec is present)', (t) => {
  if (!fs.existsSync(SPEC)) {
    t.skip('spec/rules.md not beside the clone; using the kept copy');
    return;
  }
  assert.deepEqual(copy, catalogue);
});

test('one count everywhere: rules in the registry = doc pages in docs/rules = rows of the catalogue table', () => {
  const pages = fs.readdirSync(path.join(REPO_ROOT, 'docs/rules')).filter((f) => f.endsWith('.md') && f !== 'README.md');
  assert.ok(catalogue.length > 0, 'the catalogue table was parsed');
  assert.equal(RULES.length, catalogue.length, 'registry vs catalogue table');
  assert.equal(pages.length, catalogue.length, `doc pages vs catalogue table: ${pages.join(', ')}`);
  assert.deepEqual(pages.map((p) => p.replace(/\.md$/, '')).sort(), catalogue.map((e) => e.name).sort(), 'one page per catalogued rule, no other');
});

test('codes are unique and run OWN001, OWN002, … without a gap, in table order (a code is never reused, so a retired one keeps its row)', () => {
  const codes = catalogue.map((e) => e.code);
  assert.equal(new Set(codes).size, codes.length, 'codes are unique');
  assert.deepEqual(codes, codes.map((_, i) => `OWN${String(i + 1).padStart(3, '0')}`));
});

test('the registry holds exactly the catalogue: names, codes, default severities, tiers', () => {
  const registry = RULES.map((r) => ({ code: r.meta.code, name: r.meta.name, severity: r.meta.defaultSeverity, tier: r.meta.tier }));
  const byCode = (a: Entry, b: Entry) => a.code.localeCompare(b.code);
  assert.deepEqual([...registry].sort(byCode), [...catalogue].sort(byCode));
  assert.equal(new Set(RULES.map((r) => r.meta.code)).size, RULES.length, 'codes are unique');
  assert.equal(new Set(RULES.map((r) => r.meta.name)).size, RULES.length, 'names are unique');
});

test('docsUrl is derived from the name', () => {
  for (const r of RULES) assert.equal(r.meta.docsUrl, `${DOCS_BASE}${r.meta.name}.md`, r.meta.name);
});

test('every rule has a doc page with the mandated headings, in order', () => {
  for (const r of RULES) {
    const page = path.join(REPO_ROOT, 'docs/rules', `${r.meta.name}.md`);
    assert.ok(fs.existsSync(page), `missing docs/rules/${r.meta.name}.md`);
    const headings = fs
      .readFileSync(page, 'utf8')
      .split(/\r?\n/)
      .filter((l) => /^#{1,2} /.test(l))
      .map((l) => l.trim());
    assert.deepEqual(
      headings,
      [`# ${r.meta.name} (${r.meta.code})`, '## What it checks', '## Why it matters', '## Example', '## Fix', '## References'],
      `${r.meta.name}.md headings`,
    );
  }
});

test('the docs index lists every rule', () => {
  const index = fs.readFileSync(path.join(REPO_ROOT, 'docs/rules/README.md'), 'utf8');
  for (const r of RULES) {
    assert.ok(index.includes(r.meta.code) && index.includes(`(${r.meta.name}.md)`), `README lists ${r.meta.code} ${r.meta.name}`);
  }
});

test('every messageId a rule declares is used by its source', () => {
  const rulesDir = path.join(REPO_ROOT, 'src/rules');
  const all = fs.readdirSync(rulesDir).filter((f) => f.endsWith('.ts')).map((f) => fs.readFileSync(path.join(rulesDir, f), 'utf8'));
  for (const r of RULES) {
    const own = path.join(rulesDir, `${r.meta.name}.ts`);
    const sources = fs.existsSync(own) ? [fs.readFileSync(own, 'utf8')] : all;
    for (const id of Object.keys(r.meta.messages)) {
      const used = sources.some((s) => s.includes(`'${id}'`) || s.includes(`"${id}"`));
      assert.ok(used, `${r.meta.name}: messageId ${id} is never reported`);
    }
    assert.ok(Object.keys(r.meta.messages).length > 0, `${r.meta.name} has messages`);
    assert.ok(r.meta.description.length > 10, `${r.meta.name} has a description`);
  }
});
