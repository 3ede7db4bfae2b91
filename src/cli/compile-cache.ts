/**
 * Loads the whole CLI (dist/cli-main.js, ~790 KB) through a V8 code cache, so a cold review does not parse and
 * compile the bundle and the functions it runs again on every start (Node 20 has no module.enableCompileCache()).
 * The cache is V8's own serialised bytecode (vm.Script cachedData), written after a first run has compiled what a
 * review needs, to a private directory outside the repository:
 * $IOMMU_REVIEW_CACHE_DIR, else $XDG_CACHE_HOME/iommu-review, else ~/.cache/iommu-review, else <tmp>/iommu-review-<uid>.
 * V8 checks its own version, flags and the source length and rejects a cache that does not fit (the CLI then
 * compiles as usual and writes a new one); the file name carries the build, so a rebuilt bundle of the same length
 * never meets an old cache. IOMMU_REVIEW_NO_COMPILE_CACHE=1 turns it off.
 * Kept free of heavy imports: the thin client (dist/cli.js) bundles it.
 */
import * as fs from 'node:fs';
import { createRequire } from 'node:module';
import * as os from 'node:os';
import * as path from 'node:path';
import * as vm from 'node:vm';
import { privateDirectory } from './server-socket';

/** Runs that compile little of the CLI: their cache would leave most of a review to compile lazily. */
const NOT_WORTH_CACHING = new Set(['--help', '-h', '--version', '-V', '--list-rules', '--explain']);

export function compileCacheDirectory(env: NodeJS.ProcessEnv): string | undefined {
  if (env.IOMMU_REVIEW_NO_COMPILE_CACHE) return undefined;
  if (env.IOMMU_REVIEW_CACHE_DIR) return path.resolve(env.IOMMU_REVIEW_CACHE_DIR);
  if (env.XDG_CACHE_HOME && path.isAbsolute(env.XDG_CACHE_HOME)) return path.join(env.XDG_CACHE_HOME, 'iommu-review');
  const home = env.HOME ?? os.homedir();
  if (home && path.isAbsolute(home)) return path.join(home, '.cache', 'iommu-review');
  const uid = typeof process.getuid === 'function' ? process.getuid() : 0;
  return path.join(os.tmpdir(), `iommu-review-${uid}`);
}

/** The directory, created private (0700) when missing; undefined unless it is a directory only this user can enter. */
function usableDirectory(dir: string): string | undefined {
  try {
    fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
  } catch {
    return undefined;
  }
  // Cached bytecode is trusted by V8: a file someone else could have written must never be loaded.
  return privateDirectory(dir) ? dir : undefined;
}

/** `cli-main-<size>-<mtime>-<node>-<arch>-<mode>.cache`: one file per build, Node and flag set. */
function cacheName(script: string, mode: string): string | undefined {
  try {
    const st = fs.statSync(script);
    return `cli-main-${st.size}-${Math.round(st.mtimeMs)}-${process.version}-${process.arch}-${mode}.cache`;
  } catch {
    return undefined;
  }
}

/**
 * Requires `script` (a CommonJS bundle) like require() would, compiled with the code cache of `mode` (the V8 flag set
 * the caller has already applied) when one is usable; returns its exports.
 */
export function requireWithCompileCache(script: string, mode: string, argv: readonly string[], env: NodeJS.ProcessEnv): unknown {
  const dir = compileCacheDirectory(env);
  const name = dir === undefined ? undefined : cacheName(script, mode);
  const usable = name === undefined || dir === undefined ? undefined : usableDirectory(dir);
  const cacheFile = usable === undefined || name === undefined ? undefined : path.join(usable, name);
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  if (cacheFile === undefined) return require(script);

  let cachedData: Buffer | undefined;
  try {
    cachedData = fs.readFileSync(cacheFile);
  } catch {
    cachedData = undefined;
  }
  const source = fs.readFileSync(script, 'utf8');
  // The same wrapper as Node's CommonJS loader (Module.wrap).
  const compiled = new vm.Script(`(function (exports, require, module, __filename, __dirname) { ${source}\n});`, {
    filename: script,
    cachedData,
    importModuleDynamically: vm.constants?.USE_MAIN_CONTEXT_DEFAULT_LOADER,
  } as vm.ScriptOptions);
  if ((cachedData === undefined || compiled.cachedDataRejected) && !argv.some((a) => NOT_WORTH_CACHING.has(a))) {
    // At exit the bytecode of every function the run compiled goes with it (not just the top level).
    process.once('exit', () => saveCache(compiled, usable as string, cacheFile));
  }
  const module = { exports: {} as unknown };
  const wrapper = compiled.runInThisContext() as (e: unknown, r: NodeJS.Require, m: unknown, f: string, d: string) => void;
  wrapper.call(module.exports, module.exports, createRequire(script), module, script, path.dirname(script));
  return module.exports;
}

function saveCache(compiled: vm.Script, dir: string, cacheFile: string): void {
  try {
    const data = compiled.createCachedData();
    const temporary = `${cacheFile}.${process.pid}`;
    fs.writeFileSync(temporary, data, { mode: 0o600 });
    fs.renameSync(temporary, cacheFile);
    // Caches of other builds (or Node versions) are dead weight; the other flag set's cache of this build stays.
    const build = path.basename(cacheFile).replace(/[^-]+\.cache$/, '');
    for (const f of fs.readdirSync(dir)) {
      if (/^cli-main-.*\.cache$/.test(f) && !f.startsWith(build)) fs.rmSync(path.join(dir, f), { force: true });
    }
  } catch {
    // A cache that cannot be written only costs the next run its compile.
  }
}
