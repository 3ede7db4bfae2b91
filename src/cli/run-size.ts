/**
 * Whether a command line reviews little code, decided before anything else is loaded: the CLI then keeps the
 * grammar's WebAssembly on V8's baseline compiler (main.ts), and the compile cache (compile-cache.ts) must know
 * that before it compiles the CLI, since V8 only accepts a code cache made under the same flags.
 * Kept free of heavy imports: the thin client (dist/cli.js) bundles it.
 */
import * as fs from 'node:fs';
import { parseArgs } from './args';

/** An input file at least this big is not a small run (main.ts uses workers from the same size on). */
export const SMALL_RUN_MAX_BYTES = 4 * 1024 * 1024;

/**
 * True when the run reviews little code: no directory and no big file among the inputs (unparsable arguments count as
 * small; run() reports them). Rule names are not checked here.
 */
export function smallRun(argv: readonly string[]): boolean {
  try {
    const options = parseArgs(argv, (name) => name);
    return options.inputs.every((p) => {
      if (p === '-') return true;
      const stat = fs.statSync(p, { throwIfNoEntry: false });
      return !stat || (!stat.isDirectory() && stat.size < SMALL_RUN_MAX_BYTES);
    });
  } catch {
    return true;
  }
}

/**
 * What a small run changes in V8 (see main.ts): set once, before the CLI is compiled when the client loads it.
 * Lazy validation: a grammar function is validated when first compiled, not all of both modules at start-up
 * (~1.5 ms of a cold review; the wasm files are the build's own).
 */
export const SMALL_RUN_V8_FLAGS = '--liftoff-only --wasm-lazy-validation';

/**
 * What any other run but the server changes in V8: a function is optimised after seven times the default amount of
 * interpreted work (132 KB of bytecode budget). The replay's hot functions are large and meet new object shapes
 * (functions, calls, instructions, values) file after file; optimised early, each was deoptimised and recompiled up
 * to ten times. 135 files of the 6.12 drivers/ scan in one thread: 762 optimising compilations and 3.3 s of compiler
 * time (a third of the CPU) by default, 255 and 1.1 s with this budget; a two-worker scan compiles everything twice.
 * The server keeps V8's default: it is warm after its first reviews either way.
 */
export const LARGE_RUN_V8_FLAGS = '--interrupt-budget=1000000';

/** The V8 flags a run of this command line sets before the CLI is compiled (none for the server). */
export function runV8Flags(argv: readonly string[]): { flags: string; small: boolean } | undefined {
  if (argv.includes('--server')) return undefined;
  const small = smallRun(argv);
  return { flags: small ? SMALL_RUN_V8_FLAGS : LARGE_RUN_V8_FLAGS, small };
}
