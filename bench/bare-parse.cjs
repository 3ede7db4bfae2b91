// The parse limit: what any tool must at least do with the same bytes.
//  - C files: tree-sitter parse of each whole file.
//  - patches: parse-diff of the text, then a tree-sitter parse of every file's post- and pre-image hunk text.
// Run as a process (`node bare-parse.cjs FILE...`, the cold limit of W1/W3), as a worker thread (W4 with 2 threads),
// or required (warm limits).
const fs = require('node:fs');
const path = require('node:path');
const { Worker, isMainThread, parentPort, workerData } = require('node:worker_threads');

const root = path.resolve(__dirname, '..');
const { Parser, Language } = require(path.join(root, 'node_modules/web-tree-sitter/tree-sitter.cjs'));
const parseDiff = require(path.join(root, 'node_modules/parse-diff'));

async function createParser() {
  await Parser.init({ wasmBinary: fs.readFileSync(path.join(root, 'node_modules/web-tree-sitter/tree-sitter.wasm')) });
  const language = await Language.load(fs.readFileSync(path.join(root, 'node_modules/tree-sitter-c/tree-sitter-c.wasm')));
  const parser = new Parser();
  parser.setLanguage(language);
  return parser;
}

function parseC(parser, text) {
  const tree = parser.parse(text);
  const nodes = tree.rootNode.childCount;
  tree.delete();
  return nodes;
}

/** The hunk images of every C file of a patch, as parse-diff sees them. */
function hunkImages(patchText) {
  const images = [];
  for (const file of parseDiff(patchText)) {
    if (!/\.[ch]$/.test(file.to ?? file.from ?? '')) continue;
    const post = [];
    const pre = [];
    for (const chunk of file.chunks) {
      for (const change of chunk.changes) {
        const body = change.content.slice(1);
        if (change.type !== 'del') post.push(body);
        if (change.type !== 'add') pre.push(body);
      }
    }
    images.push(post.join('\n'));
    if (pre.length > 0) images.push(pre.join('\n'));
  }
  return images;
}

function parsePatch(parser, text) {
  let n = 0;
  for (const image of hunkImages(text)) n += parseC(parser, image);
  return n;
}

function parseFile(parser, file) {
  const text = fs.readFileSync(file, 'utf8');
  return /\.[ch]$/.test(file) ? parseC(parser, text) : parsePatch(parser, text);
}

/** Parses `files` with `threads` worker threads; resolves when all are parsed. */
function parseInThreads(files, threads) {
  const share = Array.from({ length: threads }, () => []);
  files.forEach((f, i) => share[i % threads].push(f));
  return Promise.all(
    share.map(
      (list) =>
        new Promise((resolve, reject) => {
          const worker = new Worker(__filename, { workerData: { files: list } });
          worker.on('message', resolve);
          worker.on('error', reject);
        }),
    ),
  );
}

module.exports = { createParser, parseC, parsePatch, parseFile, hunkImages, parseDiff, parseInThreads };

if (!isMainThread && workerData?.files) {
  createParser().then((parser) => {
    for (const f of workerData.files) parseFile(parser, f);
    parentPort.postMessage('done');
  });
} else if (require.main === module) {
  createParser().then((parser) => {
    for (const f of process.argv.slice(2)) parseFile(parser, f);
  });
}
