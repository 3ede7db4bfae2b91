/** The patch-mail grammar and the ownership-API injection, tokenized with VS Code's own TextMate engine. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'fs';
import * as path from 'path';
import * as oniguruma from 'vscode-oniguruma';
import * as textmate from 'vscode-textmate';

const repo = path.join(__dirname, '../../..');
const fixtures = path.join(repo, 'test/fixtures/extension');
const INJECTION = 'iommu-review.ownership-api.injection';

/** A stand-in for VS Code's C grammar: marks identifiers so the embedding is visible. */
const FAKE_C = { scopeName: 'source.c', patterns: [{ match: '\\b[A-Za-z_]\\w*\\b', name: 'identifier.c' }] };

async function loadRegistry(): Promise<textmate.Registry> {
  const wasm = fs.readFileSync(path.join(repo, 'node_modules/vscode-oniguruma/release/onig.wasm'));
  await oniguruma.loadWASM(wasm.buffer.slice(wasm.byteOffset, wasm.byteOffset + wasm.byteLength));
  const grammars: Record<string, string> = {
    'text.patch-mail': path.join(repo, 'syntaxes/patch-mail.tmLanguage.json'),
    [INJECTION]: path.join(repo, 'syntaxes/ownership-api.injection.tmLanguage.json'),
  };
  return new textmate.Registry({
    onigLib: Promise.resolve({ createOnigScanner: (s) => new oniguruma.OnigScanner(s), createOnigString: (s) => new oniguruma.OnigString(s) }),
    loadGrammar: async (scope) => {
      if (scope === 'source.c') return textmate.parseRawGrammar(JSON.stringify(FAKE_C), 'c.json');
      const file = grammars[scope];
      return file ? textmate.parseRawGrammar(fs.readFileSync(file, 'utf8'), file) : null;
    },
    getInjections: (scope) => (scope === 'text.patch-mail' || scope === 'source.c' ? [INJECTION] : undefined),
  });
}

/** Tokenizes `text`; returns, per line, [token text, scopes joined] pairs. */
async function tokenize(text: string): Promise<[string, string][][]> {
  const registry = await loadRegistry();
  const grammar = await registry.loadGrammar('text.patch-mail');
  assert.ok(grammar);
  let state = textmate.INITIAL;
  return text.split('\n').map((line) => {
    const r = grammar.tokenizeLine(line, state);
    state = r.ruleStack;
    return r.tokens.map((t) => [line.slice(t.startIndex, t.endIndex), t.scopes.join(' ')] as [string, string]);
  });
}

function scopeOf(lines: [string, string][][], lineIndex: number, token: string): string {
  const hit = lines[lineIndex].find(([t]) => t === token);
  assert.ok(hit, `token ${JSON.stringify(token)} on line ${lineIndex + 1}: ${JSON.stringify(lines[lineIndex])}`);
  return hit[1];
}

test('patch mail: headers, trailers, diff headers, hunks with embedded C, injection on the ownership API', async () => {
  const text = fs.readFileSync(path.join(fixtures, 'series-patch.patch'), 'utf8');
  const lines = await tokenize(text);
  assert.match(scopeOf(lines, 0, text.split('\n')[0]), /meta\.separator\.mbox/);
  assert.match(scopeOf(lines, 1, 'From'), /keyword\.other\.header\.mail/);
  assert.match(scopeOf(lines, 2, '[PATCH v2 1/2] '), /entity\.name\.tag\.patch/);
  assert.match(scopeOf(lines, 2, 'vfio/pci: claim ownership in open'), /markup\.heading\.subject/);
  assert.match(scopeOf(lines, 4, 'Claim the group before user space uses the device.'), /^text\.patch-mail$/);
  assert.match(scopeOf(lines, 6, 'Signed-off-by'), /keyword\.other\.trailer/);
  assert.match(scopeOf(lines, 8, 'drivers/vfio/pci/zeta/main.c'), /string\.unquoted\.path\.diffstat/);
  assert.match(scopeOf(lines, 11, 'diff'), /meta\.diff\.header\.git/);
  assert.match(scopeOf(lines, 13, '---'), /meta\.diff\.header\.from-file/);
  assert.match(scopeOf(lines, 14, '+++'), /meta\.diff\.header\.to-file/);
  assert.match(scopeOf(lines, 15, '-10,6'), /meta\.diff\.range\.unified/);
  assert.match(lines[15].map((t) => t[1]).join(' '), /entity\.name\.function\.hunk-heading/);
  assert.match(scopeOf(lines, 16, 'ret'), /meta\.context\.diff.*meta\.embedded\.line\.c.*identifier\.c/);
  const added = scopeOf(lines, 18, 'iommu_group_claim_dma_owner');
  assert.match(added, /markup\.inserted\.diff/);
  assert.match(added, /meta\.embedded\.line\.c/);
  assert.match(added, /support\.function\.iommu-ownership/, 'the injection marks the ownership call');
  assert.match(scopeOf(lines, 18, 'group'), /identifier\.c/);
  assert.doesNotMatch(scopeOf(lines, 18, 'group'), /iommu-ownership/);
  assert.match(scopeOf(lines, 19, '-'), /markup\.deleted\.diff/);
  assert.match(scopeOf(lines, 22, '-- '), /punctuation\.separator\.signature/);
  assert.doesNotMatch(lines[22].map((t) => t[1]).join(' '), /markup\.deleted/, 'the signature ends the hunk');
});

test('review reply: quoted hunks keep diff and C scopes, prose stays plain', async () => {
  const text = fs.readFileSync(path.join(fixtures, 'review-reply.eml'), 'utf8');
  const lines = await tokenize(text);
  assert.match(scopeOf(lines, 2, 'Subject'), /keyword\.other\.header\.mail/);
  assert.match(scopeOf(lines, 6, 'diff --git a/drivers/vfio/pci/zeta/main.c b/drivers/vfio/pci/zeta/main.c'), /markup\.quote\.mail.*meta\.diff\.header/);
  assert.match(scopeOf(lines, 7, '@@ -40,6 +40,7 @@'), /meta\.diff\.range\.unified/);
  const quotedAdd = scopeOf(lines, 8, 'iommu_device_claim_dma_owner');
  assert.match(quotedAdd, /markup\.quote\.mail/);
  assert.match(quotedAdd, /markup\.inserted\.diff/);
  assert.match(quotedAdd, /support\.function\.iommu-ownership/);
  assert.match(scopeOf(lines, 9, 'return'), /markup\.quote\.mail.*meta\.embedded\.line\.c/);
  assert.equal(scopeOf(lines, 11, 'Where is the matching release?'), 'text.patch-mail');
});
