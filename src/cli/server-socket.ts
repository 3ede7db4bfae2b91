/**
 * Where the review server listens, shared by the thin client (dist/cli.js) and the server (`--server`): a Unix
 * socket in a directory only the user can enter. Kept free of other imports so the client bundle stays tiny.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

/** $IOMMU_REVIEW_SOCKET, else $XDG_RUNTIME_DIR/iommu-review/server.sock, else <tmp>/iommu-review-<uid>/server.sock. */
export function socketPath(env: NodeJS.ProcessEnv): string {
  if (env.IOMMU_REVIEW_SOCKET) return path.resolve(env.IOMMU_REVIEW_SOCKET);
  const uid = typeof process.getuid === 'function' ? process.getuid() : 0;
  const base = env.XDG_RUNTIME_DIR ? path.join(env.XDG_RUNTIME_DIR, 'iommu-review') : path.join(os.tmpdir(), `iommu-review-${uid}`);
  return path.join(base, 'server.sock');
}

/**
 * True when the socket's directory is a real directory owned by this user and closed to everyone else: then
 * nobody else can have put a socket there to receive the user's code, or connect to the user's server.
 */
export function privateDirectory(dir: string): boolean {
  try {
    const st = fs.lstatSync(dir);
    const uid = typeof process.getuid === 'function' ? process.getuid() : st.uid;
    return st.isDirectory() && st.uid === uid && (st.mode & 0o077) === 0;
  } catch {
    return false;
  }
}

/** Identifies the build the client was started from: a server from another build is not used. */
export function buildId(scriptDir: string): string {
  try {
    const st = fs.statSync(path.join(scriptDir, 'cli-main.js'));
    return `${st.size}:${Math.round(st.mtimeMs)}`;
  } catch {
    return 'unknown';
  }
}

export interface ServerRequest {
  build: string;
  argv: string[];
  cwd: string;
  env: Record<string, string | undefined>;
  /** Standard input, base64, when the arguments read it ('-', --b4-check, --b4-review). */
  stdin?: string;
}

export interface ServerReply {
  /** Exit status; absent when the server is from another build (the client then runs the review itself). */
  code?: number;
  stdout?: string;
  stderr?: string;
}
