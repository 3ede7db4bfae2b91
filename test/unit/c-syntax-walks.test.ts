/**
 * The cheap tree questions of src/core/c/syntax.ts (error count, calls below a node) against independent answers:
 * web-tree-sitter's own full-tree searches on the same trees, and hand-written expectations.
 */
import { before, test } from 'node:test';
import assert from 'node:assert/strict';
import { Language, Parser } from 'web-tree-sitter';
import type { Node } from 'web-tree-sitter';
import { extractFacts, initC } from '../../src/core/c';
import { loadWasmForNode } from '../../src/core/c/node-wasm';
import { MAX_SYNTAX_DEPTH } from '../../src/core/c/extract';
import { countErrorNodes, hasCall } from '../../src/core/c/syntax';

let parser: Parser;

before(async () => {
  const wasm = loadWasmForNode();
  await initC(wasm);
  parser = new Parser();
  parser.setLanguage(await Language.load(wasm.language));
});

const SNIPPET = [
  'static int widget_probe(struct pci_dev *pdev, const struct pci_device_id *id)',
  '{',
  '\tstruct widget *w = devm_kzalloc(&pdev->dev, sizeof(*w), GFP_KERNEL);',
  '\tint ret;',
  '',
  '\tif (!w || (pdev->class >> 8) != 0x0c03)',
  '\t\treturn -ENOMEM;',
  '\tret = iommu_device_claim_dma_owner(&pdev->dev, w);',
  '\tif (ret && !IS_ERR(w->dom) && dev_is_pci(&pdev->dev))',
  '\t\tgoto out;',
  '\tswitch (id->driver_data) {',
  '\tcase 1: w->ops = &widget_ops; break;',
  '\tdefault: return -EINVAL;',
  '\t}',
  'out:',
  '\treturn ret;',
  '}',
].join('\n');

/** Deterministic pseudo-random numbers (the same mutations every run). */
function random(seed: number): () => number {
  let state = seed;
  return () => {
    state = (state * 1103515245 + 12345) & 0x7fffffff;
    return state / 0x7fffffff;
  };
}

test('countErrorNodes equals a search of every node, on clean, hand-broken and 400 randomly broken texts', () => {
  const texts = [
    SNIPPET,
    SNIPPET.replace('{\n', ''), // body without its brace
    SNIPPET.replace(/;/g, ''), // no statement ends
    `@@ ${SNIPPET} \u0060\u0060 $$`, // characters the lexer cannot place
    '\tret = foo(a, b;\n}\nstatic int bar(void)\n{\n\treturn baz(;\n',
    '}}}} ((( int x = ;',
  ];
  const next = random(7);
  const pieces = ['{', '}', '(', ')', ';', '@', '`', '"', '/*', '#if 0\n', '\n', ',', '=', 'static '];
  for (let i = 0; i < 400; i++) {
    let text = SNIPPET;
    for (let k = 1 + Math.floor(next() * 4); k > 0; k--) {
      const at = Math.floor(next() * text.length);
      text = next() < 0.5
        ? text.slice(0, at) + pieces[Math.floor(next() * pieces.length)] + text.slice(at)
        : text.slice(0, at) + text.slice(at + 1 + Math.floor(next() * 6));
    }
    texts.push(text);
  }
  let broken = 0;
  for (const text of texts) {
    const tree = parser.parse(text);
    assert.ok(tree);
    try {
      const expected = tree.rootNode.descendantsOfType('ERROR').length;
      if (expected > 0) broken++;
      assert.equal(countErrorNodes(tree.rootNode), expected, JSON.stringify(text));
    } finally {
      tree.delete();
    }
  }
  assert.ok(broken > 150, `the mutations break the parse often enough to mean something (${broken})`);
});

/** The right operand of the first `&&` or `||` in `condition` (`if (condition) ;` parsed as a statement). */
function withOperand<T>(condition: string, read: (right: Node) => T): T {
  const tree = parser.parse(`void f(void)\n{\n\tif (${condition})\n\t\t;\n}\n`);
  assert.ok(tree);
  try {
    const binary = tree.rootNode.descendantsOfType('binary_expression').find((b) => /^(&&|\|\|)$/.test(b?.childForFieldName('operator')?.type ?? ''));
    const right = binary?.childForFieldName('right');
    assert.ok(right, condition);
    return read(right);
  } finally {
    tree.delete();
  }
}

test('hasCall: a real call anywhere below the operand, not a condition macro, not a parenthesis alone', () => {
  const cases: [string, boolean][] = [
    ['a && b', false],
    ['a && (b || c)', false],
    ['a && foo(b)', true],
    ['a || !foo(b)', true],
    ['a && IS_ERR(p)', false],
    ['a && unlikely(x > 2)', false],
    ['a && unlikely(foo(x))', true], // the macro's argument is a call
    ['a && (*ops->check)(dev)', true], // through a function pointer: no name before the parenthesis
    ['a && x[(int)y]', false], // a cast is a parenthesis without a call
    ['a && sizeof(struct widget) > n', false],
    ['a && PTR_ERR_OR_ZERO(p) == 0', false],
    ['a && WARN_ON(!dev_is_pci(dev))', true],
  ];
  for (const [condition, expected] of cases) assert.equal(withOperand(condition, hasCall), expected, condition);
});

test('the depth limit looks at depth, not size: a long flat body is replayed, a deep one is not', () => {
  const flat = [
    ...Array.from({ length: 400 }, (_, i) => `\tw->r[${i}] = readl(w->base + ${i}) != 0;`),
    // One statement of more than MAX_SYNTAX_DEPTH nodes, three levels deep.
    `\twidget_fill(w${Array.from({ length: MAX_SYNTAX_DEPTH }, (_, i) => `, ${i}`).join('')});`,
  ].join('\n');
  const depth = MAX_SYNTAX_DEPTH; // nested ifs: each level is several syntax levels, so this is past the limit
  const deep = `${'\tif (a)\n'.repeat(depth)}\t\tiommu_detach_device(dom, dev);`;
  const view = (body: string) => ({
    path: 'drivers/misc/widget.c', image: 'file' as const, complete: true, changedLines: [], visibleLines: [],
    text: `static int widget_probe(struct device *dev, struct widget *w, struct iommu_domain *dom, int a)\n{\n${body}\n\treturn 0;\n}\n`,
  });
  const flatFacts = extractFacts(view(flat));
  assert.equal(flatFacts.parse.tooDeep, undefined);
  assert.equal(flatFacts.functions[0].calls.length, 401);
  const deepFacts = extractFacts(view(deep));
  assert.deepEqual(deepFacts.parse.tooDeep?.map((d) => d.name), ['widget_probe']);
  assert.equal(deepFacts.functions[0].calls.length, 0);
});
