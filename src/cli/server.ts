/**
 * `iommu-review --server`: a long-lived review process for b4 hooks and editors. The thin client (client.ts)
 * sends its command line, working directory, environment and standard input over a Unix socket in a directory
 * only the user can enter; the server runs the same run() as a command would, one request at a time (it changes
 * into the client's directory for each), and answers with the exit status and both outputs. Its parser, rules
 * and JIT are warm, so a small patch costs the client's node start-up and a few milliseconds. It exits after
 * IDLE_MS without a request, on SIGINT/SIGTERM, or when its socket is taken over.
 */
import * as fs from 'node:fs';
import type * as netModule from 'node:net';
import * as path from 'node:path';
import { buildId, privateDirectory, type ServerReply, type ServerRequest } from './server-socket';
import { createNodeAnalyzer } from './analyzer';
import type { CliIo } from './main';

const IDLE_MS = 15 * 60 * 1000;
/** A request bigger than this is refused (the client then reviews locally). */
const MAX_REQUEST_BYTES = 512 * 1024 * 1024;

type RunCli = (argv: readonly string[], io: CliIo) => Promise<number>;

export async function serve(socket: string, run: RunCli, log: { write(text: string): unknown }): Promise<number> {
  const dir = path.dirname(socket);
  fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
  if (!privateDirectory(dir)) {
    log.write(`iommu-review: ${dir}: not a private directory (it must be yours with mode 0700): not serving\n`);
    return 2;
  }
  const build = buildId(__dirname);
  // Parser and wasm ready before the first request.
  await createNodeAnalyzer();
  try {
    if (fs.lstatSync(socket).isSocket()) fs.unlinkSync(socket);
  } catch {
    // no stale socket
  }

  let queue: Promise<void> = Promise.resolve();
  let served = 0;
  let idle: NodeJS.Timeout | undefined;
  let stop: (code: number) => void = () => undefined;
  const stopped = new Promise<number>((resolve) => (stop = resolve));

  const answer = async (request: ServerRequest): Promise<ServerReply> => {
    if (request.build !== build || !Array.isArray(request.argv) || request.argv.includes('--server')) return {};
    let stdout = '';
    let stderr = '';
    const io: CliIo = {
      stdout: { write: (t: string) => (stdout += t) },
      stderr: { write: (t: string) => (stderr += t), isTTY: false },
      readStdin: async () => Buffer.from(request.stdin ?? '', 'base64'),
      cwd: request.cwd,
      env: request.env,
    };
    const home = process.cwd();
    try {
      process.chdir(request.cwd);
      const code = await run(request.argv, io);
      served++;
      return { code, stdout, stderr };
    } catch {
      return {};
    } finally {
      process.chdir(home);
    }
  };

  // Required here, not at start-up: every command bundles this module, only a server needs node:net.
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const net = require('node:net') as typeof netModule;
  // Half-open: the client ends its side after the request and still reads the answer.
  const server = net.createServer({ allowHalfOpen: true }, (conn) => {
    const chunks: Buffer[] = [];
    let size = 0;
    conn.on('error', () => conn.destroy());
    conn.on('data', (c: Buffer) => {
      size += c.length;
      if (size > MAX_REQUEST_BYTES) conn.destroy();
      else chunks.push(c);
    });
    conn.on('end', () => {
      queue = queue.then(async () => {
        if (idle) idle.refresh();
        let reply: ServerReply = {};
        try {
          reply = await answer(JSON.parse(Buffer.concat(chunks).toString('utf8')) as ServerRequest);
        } catch {
          reply = {};
        }
        await new Promise<void>((resolve) => conn.end(JSON.stringify(reply), () => resolve()));
      });
    });
  });
  const close = (code: number) => {
    log.write(`iommu-review: server stopped after ${served} review${served === 1 ? '' : 's'}\n`);
    clearTimeout(idle);
    server.close();
    try {
      fs.unlinkSync(socket);
    } catch {
      // already gone
    }
    stop(code);
  };
  server.on('error', (e) => {
    log.write(`iommu-review: ${socket}: ${(e as Error).message}\n`);
    close(2);
  });
  await new Promise<void>((resolve) => server.listen(socket, resolve));
  fs.chmodSync(socket, 0o600);
  idle = setTimeout(() => close(0), IDLE_MS);
  process.once('SIGINT', () => close(0));
  process.once('SIGTERM', () => close(0));
  log.write(`iommu-review: serving on ${socket} (exits after ${IDLE_MS / 60000} idle minutes)\n`);
  return stopped;
}
