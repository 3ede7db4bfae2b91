/** `--git RANGE`: the patches of a revision range, exactly as `git format-patch --stdout` mails them. */
import type * as childProcess from 'node:child_process';

let childProcessModule: typeof childProcess | undefined;
/** node:child_process, loaded when git first runs: most one-patch reviews never start it (main.ts reviewContext). */
function processes(): typeof childProcess {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  return (childProcessModule ??= require('node:child_process') as typeof childProcess);
}

export type GitResult = { ok: true; text: Buffer } | { ok: false; message: string };

/**
 * Runs git without a shell; `--end-of-options` stops a range such as `--output=x` being read as an option.
 */
export function gitFormatPatch(range: string, cwd: string): Promise<GitResult> {
  return new Promise((resolve) => {
    processes().execFile(
      'git',
      ['format-patch', '--stdout', '--no-color', '--end-of-options', range],
      { cwd, encoding: 'buffer', maxBuffer: 256 * 1024 * 1024, windowsHide: true },
      (error, stdout, stderr) => {
        if (error) {
          const firstLine = stderr.toString('utf8').split(/\r?\n/).find((l) => l.trim() !== '');
          const spawnFailed = (error as NodeJS.ErrnoException).code === 'ENOENT';
          resolve({ ok: false, message: spawnFailed ? 'git is not installed or not on PATH' : (firstLine ?? error.message).trim() });
          return;
        }
        if (stdout.length === 0) {
          resolve({ ok: false, message: `no commits in range '${range}'` });
          return;
        }
        resolve({ ok: true, text: stdout });
      },
    );
  });
}

/** The input path findings show for a git range. */
export function gitInputPath(range: string): string {
  return `<git ${range}>`;
}

/** Environment for read-only git plumbing: no optional locks, no pager, no prompts. */
function quietGitEnv(): NodeJS.ProcessEnv {
  return { ...process.env, GIT_OPTIONAL_LOCKS: '0', GIT_TERMINAL_PROMPT: '0', GIT_PAGER: 'cat' };
}

/** The top level of the git work tree that contains `dir`, or undefined (not a repository, or no git). */
export function gitTopLevel(dir: string): string | undefined {
  const r = processes().spawnSync('git', ['rev-parse', '--show-toplevel'], { cwd: dir, encoding: 'utf8', windowsHide: true, env: quietGitEnv(), timeout: 10_000 });
  if (r.error || r.status !== 0) return undefined;
  const top = r.stdout.trim();
  return top === '' ? undefined : top;
}

/** The git directory of `dir` (a bare repository has no top level but can still supply blobs). */
function gitDirOf(dir: string): string | undefined {
  const r = processes().spawnSync('git', ['rev-parse', '--absolute-git-dir'], { cwd: dir, encoding: 'utf8', windowsHide: true, env: quietGitEnv(), timeout: 10_000 });
  if (r.error || r.status !== 0) return undefined;
  return r.stdout.trim() || undefined;
}

export interface BlobReader {
  /** The repository directory the blobs come from. */
  repo: string;
  /** A blob id (abbreviated or full) or `<commit>:<path>`; undefined when the repository lacks it or it is no blob. */
  readBlob(spec: string): string | undefined;
}

/**
 * Reads blobs with `git cat-file --batch` (no shell; the object name goes on standard input, never on the command
 * line). Synchronous because the core's analysis is: one short git run per file of a patch, cached.
 */
export function createBlobReader(dir: string): BlobReader | undefined {
  const gitDir = gitDirOf(dir);
  if (!gitDir) return undefined;
  const cache = new Map<string, string | undefined>();
  const read = (spec: string): string | undefined => {
    if (spec === '' || /[\n\r\0]/.test(spec) || spec.length > 4096) return undefined;
    // Settings that could name a program to run are neutralised (the repository may be someone else's clone).
    const safe = ['-c', 'core.fsmonitor=false', '-c', 'core.hooksPath=/dev/null', '-c', 'diff.external=', '-c', 'core.pager=cat'];
    const r = processes().spawnSync('git', [...safe, '--git-dir', gitDir, 'cat-file', '--batch'], {
      input: `${spec}\n`,
      maxBuffer: 64 * 1024 * 1024,
      windowsHide: true,
      env: quietGitEnv(),
      timeout: 20_000,
    });
    if (r.error || r.status !== 0 || !r.stdout) return undefined;
    const out = r.stdout as Buffer;
    const nl = out.indexOf(10);
    if (nl < 0) return undefined;
    const header = /^([0-9a-f]{40,64}) (\w+) (\d+)$/.exec(out.subarray(0, nl).toString('utf8'));
    if (!header || header[2] !== 'blob') return undefined;
    const size = Number(header[3]);
    if (size > 16 * 1024 * 1024) return undefined;
    return out.subarray(nl + 1, nl + 1 + size).toString('utf8');
  };
  return {
    repo: dir,
    readBlob(spec: string): string | undefined {
      if (!cache.has(spec)) cache.set(spec, read(spec));
      return cache.get(spec);
    },
  };
}
