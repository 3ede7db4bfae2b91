/**
 * The `iommu-review` executable (bundled to dist/cli.js, a few KB): when a review server of the same build is
 * listening (`iommu-review --server`, see server.ts), it hands the command line to it and prints its answer; the
 * server's parser and rules are already compiled and warm, so a b4 hook or an editor pays node's start-up and
 * little else. Otherwise (no server, another build, any error before an answer) it runs the whole CLI itself
 * (dist/cli-main.js), exactly as before, compiled through a V8 code cache (compile-cache.ts).
 */
import * as fs from 'node:fs';
import type * as netModule from 'node:net';
import * as path from 'node:path';
import type * as v8Module from 'node:v8';
import { requireWithCompileCache } from './compile-cache';
import { runV8Flags } from './run-size';
import { buildId, privateDirectory, socketPath, type ServerReply, type ServerRequest } from './server-socket';

const SERVER_OFF = new Set(['--server', '--help', '-h', '--version', '-V']);

function runLocally(stdin?: Buffer): void {
  const argv = process.argv.slice(2);
  // The run's V8 flags are set before the CLI is compiled: V8 only takes a code cache made under the same flags.
  const run = runV8Flags(argv);
  // node:v8 only here: a command a server answers never needs it.
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  if (run) (require('node:v8') as typeof v8Module).setFlagsFromString(run.flags);
  // One cache per flag set: a cache made under other flags would be rejected and rewritten, run after run.
  const cli = requireWithCompileCache(path.join(__dirname, 'cli-main.js'), run === undefined ? 'server' : run.small ? 'small' : 'large', argv, process.env);
  (cli as { cliMain(stdin?: Buffer): void }).cliMain(stdin);
}

function readsStdin(argv: readonly string[]): boolean {
  return argv.some((a) => a === '-' || a === '--b4-check' || a === '--b4-review');
}

function tryServer(argv: string[], fallback: (stdin?: Buffer) => void): void {
  const socket = socketPath(process.env);
  if (argv.some((a) => SERVER_OFF.has(a)) || process.env.IOMMU_REVIEW_NO_SERVER || !privateDirectory(path.dirname(socket))) {
    fallback();
    return;
  }
  let stdin: string | undefined;
  if (readsStdin(argv)) {
    try {
      stdin = fs.readFileSync(0).toString('base64');
    } catch {
      fallback();
      return;
    }
  }
  const request: ServerRequest = { build: buildId(__dirname), argv, cwd: process.cwd(), env: { ...process.env }, stdin };
  let answered = false;
  const chunks: Buffer[] = [];
  // Required only now: without a server's directory there is nothing to connect to, and node:net costs start-up.
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const net = require('node:net') as typeof netModule;
  const conn = net.createConnection(socket);
  const giveUp = () => {
    if (answered) return;
    answered = true;
    conn.destroy();
    // Standard input was already read: the local run gets it as it is.
    fallback(stdin === undefined ? undefined : Buffer.from(stdin, 'base64'));
  };
  conn.on('error', giveUp);
  conn.on('connect', () => conn.end(`${JSON.stringify(request)}\n`));
  conn.on('data', (c: Buffer) => chunks.push(c));
  conn.on('end', () => {
    let reply: ServerReply;
    try {
      reply = JSON.parse(Buffer.concat(chunks).toString('utf8')) as ServerReply;
    } catch {
      giveUp();
      return;
    }
    if (reply.code === undefined) {
      giveUp();
      return;
    }
    answered = true;
    process.stdout.write(reply.stdout ?? '', () => {
      if (reply.stderr) process.stderr.write(reply.stderr);
      process.exitCode = reply.code;
    });
  });
}

tryServer(process.argv.slice(2), runLocally);
