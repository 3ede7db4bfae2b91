// Pure parts of `npm run eval` (no I/O): C masking, enclosing-definition lookup, line-independent finding keys,
// and the generated mutations. Kept apart from scripts/eval.mjs so test/unit can exercise them on synthetic C.

/** The balancing calls a mutation deletes: each undoes a claim, use, attach or bind. */
export const BALANCING_CALLS = [
  'iommu_group_release_dma_owner',
  'iommu_device_release_dma_owner',
  'iommu_device_unuse_default_domain',
  'iommu_detach_device',
  'iommu_detach_group',
  'iommu_detach_device_pasid',
  'iommu_sva_unbind_device',
];

/** The ownership API itself: a balancing call inside one of these bodies is the implementation, not a user. */
export const OWNERSHIP_API = new Set([
  ...BALANCING_CALLS,
  'iommu_group_claim_dma_owner',
  'iommu_device_claim_dma_owner',
  'iommu_device_use_default_domain',
  'iommu_attach_device',
  'iommu_attach_group',
  'iommu_attach_device_pasid',
  'iommu_sva_bind_device',
]);

/** Token scan that picks the files worth mutating (any balancing call, a flag set, a bus cleanup hook). */
export const MUTATION_CANDIDATE_RE = new RegExp(
  `\\b(${BALANCING_CALLS.join('|')})\\b|\\.dma_cleanup\\s*=|\\.driver_managed_dma\\s*=\\s*true`,
);

const KEYWORDS = new Set(['if', 'for', 'while', 'switch', 'return', 'sizeof', 'do', 'else', 'case', 'goto', 'typeof', '__typeof__', 'defined']);

/**
 * The text with comments, string and character literals replaced by spaces (newlines kept), so offsets and lines
 * are the original's and no search is fooled by a call named in a comment.
 */
export function maskC(text) {
  const out = text.split('');
  let i = 0;
  const n = text.length;
  const blank = (from, to) => {
    for (let k = from; k < to; k++) if (out[k] !== '\n') out[k] = ' ';
  };
  while (i < n) {
    const c = text[i];
    if (c === '/' && text[i + 1] === '*') {
      const end = text.indexOf('*/', i + 2);
      const stop = end < 0 ? n : end + 2;
      blank(i, stop);
      i = stop;
    } else if (c === '/' && text[i + 1] === '/') {
      let end = text.indexOf('\n', i);
      if (end < 0) end = n;
      blank(i, end);
      i = end;
    } else if (c === '"' || c === "'") {
      let k = i + 1;
      while (k < n && text[k] !== c && text[k] !== '\n') k += text[k] === '\\' ? 2 : 1;
      blank(i + 1, Math.min(k, n));
      i = k + 1;
    } else i++;
  }
  return out.join('');
}

/** Offsets of each line start (index 0 = line 1). */
export function lineStarts(text) {
  const starts = [0];
  for (let i = 0; i < text.length; i++) if (text[i] === '\n') starts.push(i + 1);
  return starts;
}

/** 1-based line of an offset. */
export function lineOf(starts, offset) {
  let lo = 0;
  let hi = starts.length - 1;
  while (lo < hi) {
    const mid = (lo + hi + 1) >> 1;
    if (starts[mid] <= offset) lo = mid;
    else hi = mid - 1;
  }
  return lo + 1;
}

function identBefore(masked, end) {
  let k = end;
  while (k > 0 && /\s/.test(masked[k - 1])) k--;
  const stop = k;
  while (k > 0 && /\w/.test(masked[k - 1])) k--;
  return { name: masked.slice(k, stop), start: k };
}

function matchBack(masked, close, openCh, closeCh) {
  let depth = 0;
  for (let k = close; k >= 0; k--) {
    if (masked[k] === closeCh) depth++;
    else if (masked[k] === openCh && --depth === 0) return k;
  }
  return -1;
}

function matchForward(masked, open, openCh, closeCh) {
  let depth = 0;
  for (let k = open; k < masked.length; k++) {
    if (masked[k] === openCh) depth++;
    else if (masked[k] === closeCh && --depth === 0) return k;
  }
  return -1;
}

/**
 * Top-level brace blocks: function bodies (kind 'function'), initializers (`x = {`, kind 'initializer') and type
 * bodies (kind 'type'), each with its name and the span from the line that names it to its closing brace.
 */
export function topLevelDefinitions(text, masked = maskC(text)) {
  const starts = lineStarts(text);
  const defs = [];
  let depth = 0;
  let open = -1;
  for (let i = 0; i < masked.length; i++) {
    const c = masked[i];
    if (c === '#' && depth === 0 && /^\s*$/.test(masked.slice(masked.lastIndexOf('\n', i - 1) + 1, i))) {
      // A directive line (and its continuations) at top level: macro bodies are not definitions.
      let k = i;
      while (k < masked.length && masked[k] !== '\n') {
        if (masked[k] === '\\' && masked[k + 1] === '\n') k++;
        k++;
      }
      i = k;
      continue;
    }
    if (c === '{') {
      if (depth === 0) open = i;
      depth++;
    } else if (c === '}') {
      depth = Math.max(0, depth - 1);
      if (depth === 0 && open >= 0) {
        const head = definitionHead(masked, open);
        if (head) defs.push({ ...head, startLine: lineOf(starts, head.nameAt), endLine: lineOf(starts, i), open, close: i });
        open = -1;
      }
    }
  }
  return defs;
}

function definitionHead(masked, open) {
  let k = open;
  while (k > 0 && /\s/.test(masked[k - 1])) k--;
  const prev = masked[k - 1];
  if (prev === ')') {
    // name(params) [attributes(...)] {  — skip trailing attribute macros such as __must_hold(x)
    let close = k - 1;
    for (let guard = 0; guard < 4; guard++) {
      const paren = matchBack(masked, close, '(', ')');
      if (paren < 0) return undefined;
      const id = identBefore(masked, paren);
      if (!id.name) return undefined;
      if (id.name.startsWith('__') && !OWNERSHIP_API.has(id.name)) {
        let j = id.start;
        while (j > 0 && /\s/.test(masked[j - 1])) j--;
        if (masked[j - 1] === ')') {
          close = j - 1;
          continue;
        }
      }
      if (KEYWORDS.has(id.name)) return undefined;
      return { kind: 'function', name: id.name, nameAt: id.start };
    }
    return undefined;
  }
  if (prev === '=') {
    let j = k - 1;
    while (j > 0 && /\s/.test(masked[j - 1])) j--;
    while (masked[j - 1] === ']') {
      const b = matchBack(masked, j - 1, '[', ']');
      if (b < 0) break;
      j = b;
      while (j > 0 && /\s/.test(masked[j - 1])) j--;
    }
    const id = identBefore(masked, j);
    return id.name ? { kind: 'initializer', name: id.name, nameAt: id.start } : undefined;
  }
  const id = identBefore(masked, k);
  return id.name ? { kind: 'type', name: id.name, nameAt: id.start } : undefined;
}

/** The definition whose span holds the 1-based line, if any. */
export function enclosingDefinition(defs, line) {
  return defs.find((d) => d.startLine <= line && line <= d.endLine);
}

/**
 * What a finding is about on its line, without the line number: the first ownership call (iommu_*), else the first
 * call, else the designated field (`.driver_managed_dma`), else the line's tokens.
 */
export function lineAnchor(maskedLine) {
  const line = maskedLine ?? '';
  const iommu = /\b(iommu_\w+)\s*\(/.exec(line);
  if (iommu) return iommu[1];
  for (const m of line.matchAll(/\b([A-Za-z_]\w*)\s*\(/g)) if (!KEYWORDS.has(m[1])) return m[1];
  const field = /\.(\w+)\s*=/.exec(line);
  if (field) return `.${field[1]}`;
  const tokens = line.replace(/\s+/g, ' ').trim();
  return tokens === '' ? '-' : tokens;
}

/** Per file text: masked text, line starts and definitions, computed once. */
export function indexSource(text) {
  const masked = maskC(text);
  return { text, masked, starts: lineStarts(text), defs: topLevelDefinitions(text, masked) };
}

function maskedLineAt(index, line) {
  const from = index.starts[line - 1];
  if (from === undefined) return '';
  const to = line < index.starts.length ? index.starts[line] - 1 : index.masked.length;
  return index.masked.slice(from, to);
}

/**
 * Line-independent key of a finding: rule code + tree path + enclosing definition + anchor on its line. Survives
 * lines moving and messages being reworded; changes only when the code it points at changes.
 */
export function findingKey(code, treePath, line, index) {
  const def = enclosingDefinition(index.defs, line);
  // On the line that names the definition (a struct initializer's or a function's head) the definition is the anchor.
  const anchor = def && def.startLine === line ? '<head>' : lineAnchor(maskedLineAt(index, line));
  return `${code}|${treePath}|${def ? def.name : '-'}|${anchor}`;
}

// ───────────────────────────── mutations ─────────────────────────────

function lineSpan(text, from, to) {
  const a = text.lastIndexOf('\n', from - 1) + 1;
  let b = text.indexOf('\n', to);
  if (b < 0) b = text.length;
  return { a, b };
}

/**
 * Removes [from, to] (inclusive): whole lines when nothing else is on them (a patch then shows a deleted line, as a
 * real deletion would), else just the text. `keepEmpty` replaces it by ';' instead (an unbraced if/else body, or
 * a label at the end of a block, must keep a statement).
 */
function removeRange(text, masked, from, to, keepEmpty) {
  const { a, b } = lineSpan(text, from, to);
  const before = masked.slice(a, from);
  const after = masked.slice(to + 1, b);
  const continued = /\\\s*$/m.test(text.slice(a, b));
  if (keepEmpty) return text.slice(0, from) + ';' + text.slice(to + 1);
  if (!continued && before.trim() === '' && after.trim() === '') {
    return text.slice(0, a) + text.slice(Math.min(b + 1, text.length));
  }
  if (continued) return text.slice(0, from) + text.slice(from, to + 1).replace(/[^\n\\]/g, ' ') + text.slice(to + 1);
  return text.slice(0, from) + text.slice(to + 1);
}

function prevSignificant(masked, at) {
  let k = at;
  while (k > 0 && /\s/.test(masked[k - 1])) k--;
  return k - 1;
}

function nextSignificant(masked, at) {
  let k = at;
  while (k < masked.length && /\s/.test(masked[k])) k++;
  return k;
}

/**
 * Where the statement holding a call at `at` starts, and whether removing it must leave an empty statement.
 * undefined when the call is not a statement of its own (an argument, an initializer, a condition).
 */
function statementStart(masked, at) {
  let start = at;
  for (let guard = 0; guard < 3; guard++) {
    const p = prevSignificant(masked, start);
    if (p < 0) return undefined;
    const c = masked[p];
    if (c === ';' || c === '{' || c === '}') return { start, keepEmpty: false };
    if (c === ':') {
      if (masked[p - 1] === ':') return undefined;
      return { start, keepEmpty: 'label' };
    }
    if (c === ')') {
      const open = matchBack(masked, p, '(', ')');
      if (open < 0) return undefined;
      const inner = masked.slice(open + 1, p).trim();
      const id = identBefore(masked, open);
      if (id.name === 'if') return { start, keepEmpty: true, ifStart: id.start };
      if (id.name === 'while' || id.name === 'for') return { start, keepEmpty: true };
      if (/^void$/.test(inner)) {
        start = open; // (void)call(...);
        continue;
      }
      return undefined;
    }
    if (/\w/.test(c)) {
      const id = identBefore(masked, p + 1);
      if (id.name === 'else' || id.name === 'do') return { start, keepEmpty: true };
      if (id.name === 'return') return { start: id.start, keepEmpty: false, isReturn: true };
    }
    return undefined;
  }
  return undefined;
}

/** The `if` at ifStart is a statement of its own whose removal leaves valid C (not a label's last statement). */
function ifIsStatement(masked, ifStart, semi) {
  const outer = statementStart(masked, ifStart);
  if (!outer) return false;
  if (outer.keepEmpty === false) return true;
  return outer.keepEmpty === 'label' && masked[nextSignificant(masked, semi + 1)] !== '}';
}

/**
 * Every generated mutant of one file: each balancing call statement deleted, each `.driver_managed_dma = true`
 * and each `.dma_cleanup = ...` initializer removed, one at a time. Calls inside the ownership API's own
 * implementation are reported in `skipped`, not mutated.
 * @returns {{ mutants: {kind: string, line: number, function: string, text: string, site: string}[], skipped: {kind: string, line: number, why: string}[] }}
 */
export function generateMutants(text) {
  const masked = maskC(text);
  const starts = lineStarts(text);
  const defs = topLevelDefinitions(text, masked);
  const mutants = [];
  const skipped = [];
  const callRe = new RegExp(`\\b(${BALANCING_CALLS.join('|')})\\s*\\(`, 'g');
  const inDirective = (off) => {
    // a #define body: the logical line starts with '#'
    let a = masked.lastIndexOf('\n', off - 1) + 1;
    while (a >= 2 && masked[a - 2] === '\\') a = masked.lastIndexOf('\n', a - 3) + 1;
    return /^\s*#/.test(masked.slice(a, off));
  };
  for (const m of masked.matchAll(callRe)) {
    const name = m[1];
    const at = m.index;
    const line = lineOf(starts, at);
    const def = enclosingDefinition(defs, line);
    if (!def || def.kind !== 'function') {
      if (!inDirective(at)) continue; // a prototype or a declaration, not a call
      skipped.push({ kind: name, line, why: 'inside a macro definition' });
      continue;
    }
    if (def.nameAt === at) continue; // the definition's own head, not a call
    if (OWNERSHIP_API.has(def.name)) {
      skipped.push({ kind: name, line, why: `inside ${def.name}(), the ownership API's own implementation` });
      continue;
    }
    const open = masked.indexOf('(', at + name.length);
    const close = matchForward(masked, open, '(', ')');
    const semi = close < 0 ? -1 : nextSignificant(masked, close + 1);
    if (close < 0 || masked[semi] !== ';') {
      skipped.push({ kind: name, line, why: 'the call is part of a larger expression' });
      continue;
    }
    const st = statementStart(masked, at);
    if (!st) {
      skipped.push({ kind: name, line, why: 'the call is not a statement of its own' });
      continue;
    }
    let mutated;
    if (st.isReturn) {
      mutated = text.slice(0, st.start) + 'return;' + text.slice(semi + 1);
    } else if (st.ifStart !== undefined && masked.slice(nextSignificant(masked, semi + 1)).match(/^\w+/)?.[0] !== 'else' && ifIsStatement(masked, st.ifStart, semi)) {
      // `if (cond) call;` with no else: the whole if goes, as a person deleting the call would write it
      mutated = removeRange(text, masked, st.ifStart, semi, false);
    } else {
      let keepEmpty = st.keepEmpty === true;
      if (st.keepEmpty === 'label') keepEmpty = masked[nextSignificant(masked, semi + 1)] === '}';
      mutated = removeRange(text, masked, st.start, semi, keepEmpty);
    }
    mutants.push({ kind: name, line, function: def.name, text: mutated, site: `${name}() in ${def.name}()` });
  }
  const fieldRe = /\.(driver_managed_dma)\s*=\s*true\b\s*,?|\.(dma_cleanup)\s*=\s*[A-Za-z_]\w*\s*,?/g;
  for (const m of masked.matchAll(fieldRe)) {
    const kind = m[1] ?? m[2];
    const at = m.index;
    const line = lineOf(starts, at);
    const def = enclosingDefinition(defs, line);
    const owner = def ? def.name : '-';
    mutants.push({
      kind,
      line,
      function: owner,
      text: removeRange(text, masked, at, at + m[0].length - 1, false),
      site: `.${kind} in ${owner}`,
    });
  }
  mutants.sort((x, y) => x.line - y.line);
  return { mutants, skipped };
}
