/**
 * Patches from the workspace's git repository: staged changes or a commit range. git runs without a shell,
 * with user input after `--end-of-options`, and with the repository settings that can run programs switched off
 * (external diff, textconv, fsmonitor, hooks), so a cloned repository cannot make the review execute anything.
 * No 'vscode' import.
 */
import { execFile } from 'child_process';

const MAX_OUTPUT_BYTES = 256 * 1024 * 1024;

/** Options placed before the subcommand: neutralise configuration that names programs to run. */
const SAFE_CONFIG = ['-c', 'core.fsmonitor=false', '-c', 'core.hooksPath=/dev/null', '-c', 'diff.external=', '-c', 'core.pager=cat'];
const SAFE_DIFF_OPTIONS = ['--no-color', '--no-ext-diff', '--no-textconv'];

export function stagedDiffArgs(): string[] {
  return [...SAFE_CONFIG, 'diff', '--cached', ...SAFE_DIFF_OPTIONS];
}

/** A revision range as typed by the user ("HEAD~3..HEAD", "v6.2..topic"); undefined when it cannot be one. */
export function validateRange(range: string): string | undefined {
  const r = range.trim();
  if (!r || r.startsWith('-') || /[\s\0]/.test(r)) return undefined;
  return r;
}

export function formatPatchArgs(range: string): string[] {
  return [...SAFE_CONFIG, 'format-patch', '--stdout', ...SAFE_DIFF_OPTIONS, '--end-of-options', range];
}

export function runGit(cwd: string, args: string[]): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile('git', args, { cwd, maxBuffer: MAX_OUTPUT_BYTES, windowsHide: true, encoding: 'utf8', env: { ...process.env, GIT_TERMINAL_PROMPT: '0', GIT_OPTIONAL_LOCKS: '0' } }, (err, stdout, stderr) => {
      if (err) reject(new Error(`git ${args[SAFE_CONFIG.length] ?? ''} failed: ${(stderr || err.message).trim().split('\n')[0]}`));
      else resolve(stdout);
    });
  });
}

/** The repository root containing `dir`, or undefined. */
export async function repositoryRoot(dir: string): Promise<string | undefined> {
  try {
    return (await runGit(dir, [...SAFE_CONFIG, 'rev-parse', '--show-toplevel'])).trim() || undefined;
  } catch {
    return undefined;
  }
}
