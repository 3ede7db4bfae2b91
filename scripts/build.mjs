// Bundles the CLI and the extension with esbuild and copies the tree-sitter wasm files beside them.
// Bundling does not type-check: `npm run typecheck` does.
import { build } from 'esbuild';
import { copyFileSync, mkdirSync, existsSync } from 'node:fs';

mkdirSync('dist', { recursive: true });
// web-tree-sitter's ESM build calls createRequire(import.meta.url), which is undefined in a CJS bundle: bundle its CJS build.
const alias = { 'web-tree-sitter': './node_modules/web-tree-sitter/tree-sitter.cjs' };
const common = { bundle: true, platform: 'node', target: 'node20', format: 'cjs', sourcemap: true, logLevel: 'warning', alias };
// --v8-pool-size=1: node's pool of V8 background threads (4 by default) takes GC and compile tasks off every isolate;
// in a directory scan the two workers' collections then spread over all threads and fight the workers for the two
// cores: with one pool thread the 6.12 drivers/ scan took 15-25 % less CPU and wall time (CONTRIBUTING.md, Performance),
// and a small review is no slower. --single-threaded-gc: each isolate collects its own garbage on its own thread, so
// that one pool thread only compiles; with the large runs' later optimisation (src/cli/run-size.ts) the scan took
// about a tenth less time (8 alternated pairs, +15 MB RSS); V8 aborts when it is set after start, so it is here.
// The bench reads the options from this line (bench/run.mjs launcherNodeOptions).
const CLI_LAUNCHER = "#!/bin/sh\n':' //; exec env -u NODE_EXTRA_CA_CERTS node --v8-pool-size=1 --single-threaded-gc \"$0\" \"$@\"";
const entries = [
  // dist/cli.js is the thin client (a warm `--server` answers when one runs); dist/cli-main.js is the whole command.
  // The first two lines are read by sh as a launcher and by node as a string and a comment (both part of the directive
  // prologue, so the bundle's "use strict" still applies). The launcher drops NODE_EXTRA_CA_CERTS: node would parse
  // that certificate bundle before any script runs (30 ms of a 70 ms review here), and the CLI opens no TLS connection.
  { entryPoints: ['src/cli/client.ts'], outfile: 'dist/cli.js', banner: { js: CLI_LAUNCHER }, external: ['./cli-main.js'] },
  { entryPoints: ['src/cli/main.ts'], outfile: 'dist/cli-main.js' },
  { entryPoints: ['src/cli/worker.ts'], outfile: 'dist/worker.js' },
  { entryPoints: ['src/extension/main.ts'], outfile: 'dist/extension.js', external: ['vscode'] },
  { entryPoints: ['src/extension/analysis-worker.ts'], outfile: 'dist/analysis-worker.js' },
];
await Promise.all(entries.filter((e) => existsSync(e.entryPoints[0])).map((e) => build({ ...common, ...e })));
copyFileSync('node_modules/web-tree-sitter/tree-sitter.wasm', 'dist/tree-sitter.wasm');
copyFileSync('node_modules/tree-sitter-c/tree-sitter-c.wasm', 'dist/tree-sitter-c.wasm');
