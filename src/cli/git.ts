/** `--git RANGE`: the patches of a revision range, exactly as `git format-patch --stdout` mails them. */
import { execFile } from 'node:child_process';

export type GitResult = { ok: true; text: Buffer } | { ok: false; message: string };

/**
 * Runs git without a shell; `--end-of-options` stops a range such as `--output=x` being read as an option.
 */
export function gitFormatPatch(range: string, cwd: string): Promise<GitResult> {
  return new Promise((resolve) => {
    execFile(
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
