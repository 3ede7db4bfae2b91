/**
 * The long runner for issue 15: writes every hostile case at full size into a temporary directory (never the repo),
 * runs the built CLI on it under /usr/bin/time -v with a timeout, and prints one table row per case: exit status,
 * seconds, peak RSS, whether stdout was complete, and whether any control character reached the terminal.
 *   node out/test/fuzz/hostile-run.js [--dist DIR] [--timeout S] [--only SUBSTRING] [--skip A,B] [--big-mbox-mb N]
 *   (npm run hostile -- ARGS builds first)
 * Exit status 1 when a case breaks the issue's bar (exit ∉ {0,1,2}, > 10 s (60 s for the 200 MB mbox), ≥ 1 GB,
 * incomplete output, a control character from the input on stdout/stderr).
 */
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { HOSTILE_CASES } from './hostile';

function option(name: string, fallback: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 && i + 1 < process.argv.length ? process.argv[i + 1] : fallback;
}

const REPO = path.resolve(__dirname, '../../..');
const DIST = path.resolve(option('dist', path.join(REPO, 'dist')));
const TIMEOUT = Number(option('timeout', '20'));
const ONLY = option('only', '');
const SKIP = option('skip', '');
const BIG_MB = Number(option('big-mbox-mb', '200'));

interface Row {
  name: string;
  exit: string;
  seconds: number;
  /** User + system CPU seconds: on a shared machine the fairer figure (wall time follows the load). */
  cpu: number;
  rssMb: number;
  complete: boolean;
  clean: boolean;
  note: string;
}

/** Runs a shell command under /usr/bin/time -v; stdout goes to a file so huge outputs do not sit in this process. */
function measure(cwd: string, command: string, check: (out: string, err: string) => { complete: boolean; note: string }, limit = TIMEOUT): Omit<Row, 'name'> {
  const outFile = path.join(cwd, 'stdout.txt');
  const timeFile = path.join(cwd, 'time.txt');
  const started = Date.now();
  const r = spawnSync('bash', ['-c', `timeout -s KILL ${limit} /usr/bin/time -v -o ${timeFile} bash -c ${JSON.stringify(command)} > ${outFile} 2> ${path.join(cwd, 'stderr.txt')}; echo $?`], {
    cwd,
    encoding: 'utf8',
  });
  const seconds = (Date.now() - started) / 1000;
  const status = r.stdout.trim();
  const timeText = fs.existsSync(timeFile) ? fs.readFileSync(timeFile, 'utf8') : '';
  const rss = /Maximum resident set size \(kbytes\): (\d+)/.exec(timeText);
  const cpu = Number(/User time \(seconds\): ([\d.]+)/.exec(timeText)?.[1] ?? 0) + Number(/System time \(seconds\): ([\d.]+)/.exec(timeText)?.[1] ?? 0);
  const killed = status === '137' || seconds >= limit;
  const stdoutSize = fs.existsSync(outFile) ? fs.statSync(outFile).size : 0;
  // Only the head and tail of a huge output are read back: enough for completeness and a control-character check.
  const readEnds = (file: string): string => {
    if (!fs.existsSync(file)) return '';
    const size = fs.statSync(file).size;
    if (size <= 8 * 1024 * 1024) return fs.readFileSync(file, 'utf8');
    const fd = fs.openSync(file, 'r');
    const head = Buffer.alloc(4 * 1024 * 1024);
    const tail = Buffer.alloc(4 * 1024 * 1024);
    fs.readSync(fd, head, 0, head.length, 0);
    fs.readSync(fd, tail, 0, tail.length, size - tail.length);
    fs.closeSync(fd);
    return `${head.toString('utf8')}\n${tail.toString('utf8')}`;
  };
  const out = readEnds(outFile);
  const err = readEnds(path.join(cwd, 'stderr.txt'));
  const verdict = killed ? { complete: false, note: `killed after ${limit} s` } : check(out, err);
  // eslint-disable-next-line no-control-regex
  const clean = !/[\u0000-\u0008\u000b-\u001f\u007f\u0080-\u009f]/.test(out + err);
  return {
    exit: killed ? 'timeout' : (/Exit status: (\d+)/.exec(timeText)?.[1] ?? status),
    seconds,
    cpu,
    rssMb: rss ? Math.round(Number(rss[1]) / 1024) : 0,
    complete: verdict.complete,
    clean,
    note: `${verdict.note}${stdoutSize > 0 ? ` stdout ${(stdoutSize / 1e6).toFixed(1)} MB` : ''}`,
  };
}

const isJson = (out: string): boolean => {
  try {
    JSON.parse(out);
    return true;
  } catch {
    return false;
  }
};

function jsonCheck(out: string, err: string): { complete: boolean; note: string } {
  if (!out.trimEnd().endsWith('}')) return { complete: false, note: `no complete JSON; stderr: ${err.split('\n')[0].slice(0, 100)}` };
  const parsed = out.length < 8 * 1024 * 1024 && isJson(out) ? (JSON.parse(out) as { findings: unknown[]; problems: { message: string }[]; results?: unknown }) : undefined;
  if (!parsed) return { complete: true, note: 'large JSON (ends complete)' };
  const runs = (parsed as unknown as { runs?: { results: unknown[]; invocations: { toolExecutionNotifications: unknown[] }[] }[] }).runs;
  if (runs) return { complete: true, note: `${runs[0].results.length} results, ${runs[0].invocations[0].toolExecutionNotifications.length} notifications` };
  const first = parsed.problems[0]?.message.slice(0, 90) ?? '';
  return { complete: true, note: `${parsed.findings.length} findings, ${parsed.problems.length} problems${first ? ` (${first})` : ''}` };
}

function main(): void {
  const cli = path.join(DIST, 'cli.js');
  const rows: Row[] = [];
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'iommu-hostile-'));
  const run = (name: string, setup: (dir: string) => string, check = jsonCheck, limit = TIMEOUT): void => {
    if ((ONLY && !name.includes(ONLY)) || (SKIP && SKIP.split(',').some((s) => name.includes(s)))) return;
    const dir = fs.mkdtempSync(path.join(tmp, 'case-'));
    const command = setup(dir);
    const row = { name, ...measure(dir, command, check, limit) };
    rows.push(row);
    console.log(
      `${row.name.padEnd(52)} exit ${row.exit.padEnd(7)} ${row.seconds.toFixed(1).padStart(6)} s (cpu ${row.cpu.toFixed(1).padStart(5)} s, load ${fs.readFileSync('/proc/loadavg', 'utf8').split(' ')[0]}) ${String(row.rssMb).padStart(5)} MB  ${row.complete ? 'complete' : 'INCOMPLETE'} ${row.clean ? '' : 'CONTROL-CHARS '} ${row.note}`,
    );
    // rm copes with paths longer than PATH_MAX (the over-deep case); fs.rmSync does not.
    spawnSync('rm', ['-rf', dir]);
  };
  try {
    for (const c of HOSTILE_CASES) {
      const format = c.file.startsWith('dense') ? 'sarif' : 'json';
      run(`${c.name}`, (dir) => {
        fs.writeFileSync(path.join(dir, c.file), c.make(c.full));
        return `node ${cli} --format ${format} ${c.file}`;
      });
      if (c.file.endsWith('.c') && /nested|chain/.test(c.name)) {
        for (const jobs of [1, 2]) {
          run(`${c.name} (dir, --jobs ${jobs})`, (dir) => {
            fs.mkdirSync(path.join(dir, 'scan'));
            fs.writeFileSync(path.join(dir, 'scan', c.file), c.make(c.full));
            fs.writeFileSync(path.join(dir, 'scan', 'other.c'), 'int other(void) { return 0; }\n');
            return `node ${cli} --format json --jobs ${jobs} scan`;
          });
        }
      }
    }
    run('inject (text output)', (dir) => {
      fs.writeFileSync(path.join(dir, 'inject.patch'), HOSTILE_CASES.find((x) => x.file === 'inject.patch')!.make(1));
      return `node ${cli} inject.patch`;
    }, (out, err) => ({ complete: out.includes('total:'), note: `${err.split('\n').filter(Boolean).length} stderr lines` }));
    run('FIFO named x.patch given directly', (dir) => {
      spawnSync('mkfifo', [path.join(dir, 'x.patch')]);
      return `node ${cli} --format json x.patch`;
    });
    run('FIFO through a symlink in a scanned directory', (dir) => {
      fs.mkdirSync(path.join(dir, 'scan'));
      spawnSync('mkfifo', [path.join(dir, 'fifo')]);
      fs.symlinkSync(path.join(dir, 'fifo'), path.join(dir, 'scan', 'y.patch'));
      fs.writeFileSync(path.join(dir, 'scan', 'ok.c'), 'int ok;\n');
      return `node ${cli} --format json scan`;
    });
    run('FIFO inside a scanned directory', (dir) => {
      fs.mkdirSync(path.join(dir, 'scan'));
      spawnSync('mkfifo', [path.join(dir, 'scan', 'z.patch')]);
      fs.writeFileSync(path.join(dir, 'scan', 'ok.c'), 'int ok;\n');
      return `node ${cli} --format json scan`;
    });
    run('symlink to /etc/passwd in a scanned directory', (dir) => {
      fs.mkdirSync(path.join(dir, 'scan'));
      fs.symlinkSync('/etc/passwd', path.join(dir, 'scan', 'passwd.patch'));
      fs.writeFileSync(path.join(dir, 'scan', 'ok.c'), 'int ok;\n');
      return `node ${cli} --format json scan`;
    });
    run('over-deep subdirectory in a scan', (dir) => {
      fs.mkdirSync(path.join(dir, 'scan'));
      fs.writeFileSync(path.join(dir, 'scan', 'ok.c'), 'int ok;\n');
      // Deeper than PATH_MAX can name in one path: made one step at a time from inside.
      spawnSync('bash', ['-c', `cd scan && for i in $(seq 40); do mkdir ${'d'.repeat(120)} && cd ${'d'.repeat(120)}; done && echo 'int deep;' > deep.c`], { cwd: dir });
      return `node ${cli} --format json scan`;
    });
    run('yes | iommu-review - (stdin without end)', () => `yes | node ${cli} --format json -`);
    run('--b4-review with a directory', (dir) => {
      fs.mkdirSync(path.join(dir, 'scan'));
      return `node ${cli} --b4-review scan < /dev/null`;
    }, (out, err) => ({ complete: !out.includes('"pass"'), note: `${out.slice(0, 100).replace(/\n/g, ' ')} | ${err.split('\n')[0].slice(0, 80)}` }));
    run('--b4-review with closed stdin', () => `node ${cli} --b4-review <&-`, (out, err) => ({
      complete: !out.includes('"pass"'),
      note: `${out.slice(0, 100).replace(/\n/g, ' ')} | ${err.split('\n')[0].slice(0, 80)}`,
    }));
    run(`${BIG_MB} MB mbox (gen-big-mbox)`, (dir) => {
      spawnSync('node', [path.join(REPO, 'scripts/gen-big-mbox.mjs'), path.join(dir, 'big.mbox'), '--mb', String(BIG_MB)], { cwd: REPO });
      return `node ${cli} --format json big.mbox`;
    }, jsonCheck, Math.max(TIMEOUT, 90));
  } finally {
    spawnSync('rm', ['-rf', tmp]);
  }
  const bad = rows.filter((r) => !['0', '1', '2'].includes(r.exit) || r.rssMb >= 1024 || !r.complete || !r.clean || r.seconds > (r.name.includes('MB mbox') ? 60 : 10));
  console.log(`\n${rows.length} cases, ${bad.length} over the bar${bad.length ? `: ${bad.map((r) => r.name).join('; ')}` : ''}`);
  process.exitCode = bad.length > 0 ? 1 : 0;
}

main();
