/**
 * Command-line arguments → options. Pure (no I/O) so every refusal is unit-testable; main.ts turns an
 * ArgsError into the contract's single stderr line and exit status 2.
 */
import { KERNEL_TARGETS, type KernelTarget, type SeverityOverride } from '../core/types';

export type OutputFormat = 'text' | 'json' | 'sarif';

export interface CliOptions {
  /** Files, directories, or '-' for standard input, in the order given. */
  inputs: string[];
  format: OutputFormat;
  target: KernelTarget;
  tree?: string;
  /** `--no-tree`: no automatic context (kernel tree of the working directory, blobs of its repository). */
  noTree: boolean;
  /** `--repo DIR`: the git repository whose blobs are the patches' pre-images (default: the working directory's). */
  repo?: string;
  /** Overrides keyed by rule name (codes are resolved to names here). */
  rules: Record<string, SeverityOverride>;
  listRules: boolean;
  explain?: string;
  /** Revision ranges for `git format-patch --stdout`. */
  gitRanges: string[];
  dumpFacts?: string;
  jobs?: number;
  /** --time-budget: seconds a chunked (> 16 MB) input's review may take; 0 = no limit; default by size (chunked.ts). */
  timeBudget?: number;
  traces: boolean;
  /** Text: the whole simulated trace (default: the short one). */
  verbose: boolean;
  /** Text layout: checkpatch's default block, --terse (one line), --emacs (block with a file:line: prefix). */
  layout: 'full' | 'terse' | 'emacs';
  /** Text: print nothing at all for a clean run (no `total:` line). */
  quiet: boolean;
  /** ANSI colours: on a terminal (auto, unless NO_COLOR is set), always, never. */
  color: 'auto' | 'always' | 'never';
  /** Directory scans skip C files that name nothing the rules look at (see prefilter.ts); --no-prefilter parses all. */
  prefilter: boolean;
  b4Check: boolean;
  b4Review: boolean;
  /** Serve reviews to the thin client over a private Unix socket (server.ts). */
  server: boolean;
  help: boolean;
  version: boolean;
}

export class ArgsError extends Error {}

const FORMATS: readonly OutputFormat[] = ['text', 'json', 'sarif'];
const LEVELS: readonly SeverityOverride[] = ['off', 'info', 'warning', 'error'];

/** Options that take a value, with their short aliases. */
const VALUE_OPTIONS = new Set(['--format', '--target', '--tree', '--repo', '--rule', '--explain', '--git', '--dump-facts', '--jobs', '--time-budget']);
const SHORT: Record<string, string> = {
  '-h': '--help',
  '-V': '--version',
  '-f': '--format',
  '-j': '--jobs',
  '-t': '--target',
  '-q': '--quiet',
  '-v': '--verbose',
};
const COLORS = ['auto', 'always', 'never'] as const;

export const USAGE = `Usage: iommu-review [options] [FILE|DIR|- ...]

Reviews Linux kernel patches (format-patch files, mbox series, mails with quoted diffs, plain diffs)
and C sources against the IOMMU DMA-ownership rules. Directories are searched for *.patch, *.diff,
*.mbox, *.mbx, *.eml, *.c and *.h; '-' reads standard input.

Options:
  -f, --format text|json|sarif   output format (default: text, checkpatch style)
  -t, --target VERSION           kernel to review against: ${KERNEL_TARGETS.join(' ')} (default: latest)
      --tree DIR                 the kernel tree the patches apply to (whole files instead of hunks);
                                 by default the git top level or working directory when it is a
                                 kernel tree (holds MAINTAINERS and drivers/iommu/)
      --repo DIR                 git repository whose blobs (the diff's 'index' line, 'base-commit:')
                                 give each file's pre-image (default: the working directory's)
      --no-tree                  review the hunks only: no automatic tree, no git blobs
      --rule NAME=LEVEL          set a rule (name or code) to off|info|warning|error; repeatable
      --list-rules               list the rules and exit
      --explain NAME|CODE        print a rule's documentation and exit
      --git RANGE                review \`git format-patch --stdout RANGE\` of the current repository
      --dump-facts FILE          write the extracted C facts as JSON to FILE ('-' for standard output)
  -j, --jobs N                   worker threads for directories of C files (default: min(2, CPUs),
                                 used for large scans only; a small scan stays in one thread)
      --time-budget SECONDS      an input over 16 MB (an mbox archive) is reviewed until this
                                 many seconds have passed; the parts left are listed as not
                                 reviewed (default: 0.25 s per MB, at least 5 s; 0: no limit)
      --terse                    text format: one line per finding (path:line: ERROR: OWN001 ...)
      --emacs                    text format: each finding starts with path:line: (editors' error formats)
  -q, --quiet                    text format: print nothing for a clean run
  -v, --verbose                  text format: the whole simulated trace (default: the short one)
      --no-trace                 text format: leave out the simulated traces
      --color[=WHEN]             colour the text format: auto (a terminal, unless NO_COLOR is set),
                                 always (the default WHEN), never; --no-color is never
      --no-prefilter             directory scans: parse every C file, also those naming nothing the rules use
      --b4-check                 b4 am-perpatch-check-cmd protocol: one patch on stdin, terse lines out
      --b4-review                b4 review-*-check-cmd protocol: one message on stdin, JSON array out
      --server                   keep a warm review process for b4 hooks and editors: later iommu-review
                                 commands of this user hand their work to it (socket: $IOMMU_REVIEW_SOCKET,
                                 else $XDG_RUNTIME_DIR/iommu-review/server.sock); exits after 15 idle minutes
  -V, --version                  print the version and exit
  -h, --help                     print this help and exit

Exit status: 0 no error-severity finding, 1 at least one, 2 unusable arguments or input.
`;

/**
 * @param resolveRule maps a rule name or code to the rule's name, or undefined when there is no such rule.
 */
export function parseArgs(argv: readonly string[], resolveRule: (nameOrCode: string) => string | undefined): CliOptions {
  const options: CliOptions = {
    inputs: [],
    format: 'text',
    target: 'latest',
    rules: {},
    listRules: false,
    gitRanges: [],
    noTree: false,
    traces: true,
    verbose: false,
    layout: 'full',
    quiet: false,
    color: 'auto',
    prefilter: true,
    b4Check: false,
    b4Review: false,
    server: false,
    help: false,
    version: false,
  };
  let onlyPositionals = false;
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (onlyPositionals || arg === '-' || !arg.startsWith('-')) {
      options.inputs.push(arg);
      continue;
    }
    if (arg === '--') {
      onlyPositionals = true;
      continue;
    }
    let name = arg;
    let value: string | undefined;
    const eq = arg.indexOf('=');
    if (arg.startsWith('--') && eq > 0) {
      name = arg.slice(0, eq);
      value = arg.slice(eq + 1);
    }
    name = SHORT[name] ?? name;
    if (VALUE_OPTIONS.has(name)) {
      if (value === undefined) {
        if (i + 1 >= argv.length) throw new ArgsError(`option ${name} needs a value`);
        value = argv[++i];
      }
      applyValue(options, name, value, resolveRule);
      continue;
    }
    if (name === '--color') {
      const when = value ?? 'always';
      if (!(COLORS as readonly string[]).includes(when)) throw new ArgsError(`--color expects ${COLORS.join(', ')}, got '${when}'`);
      options.color = when as CliOptions['color'];
      continue;
    }
    if (value !== undefined) throw new ArgsError(`option ${name} takes no value`);
    switch (name) {
      case '--help': options.help = true; break;
      case '--version': options.version = true; break;
      case '--list-rules': options.listRules = true; break;
      case '--no-trace': options.traces = false; break;
      case '--verbose': options.verbose = true; break;
      case '--quiet': options.quiet = true; break;
      case '--terse': options.layout = 'terse'; break;
      case '--emacs': options.layout = 'emacs'; break;
      case '--no-color': options.color = 'never'; break;
      case '--no-prefilter': options.prefilter = false; break;
      case '--no-tree': options.noTree = true; break;
      case '--b4-check': options.b4Check = true; break;
      case '--b4-review': options.b4Review = true; break;
      case '--server': options.server = true; break;
      default: throw new ArgsError(`unknown option ${arg} (see --help)`);
    }
  }
  if (options.b4Check && options.b4Review) throw new ArgsError('--b4-check and --b4-review cannot be combined');
  if ((options.b4Check || options.b4Review) && (options.inputs.length > 0 || options.gitRanges.length > 0)) {
    throw new ArgsError(`${options.b4Check ? '--b4-check' : '--b4-review'} reads one message on standard input and takes no FILE or --git`);
  }
  if (options.inputs.filter((p) => p === '-').length > 1) throw new ArgsError("standard input ('-') can be given only once");
  return options;
}

function applyValue(options: CliOptions, name: string, value: string, resolveRule: (n: string) => string | undefined): void {
  switch (name) {
    case '--format':
      if (!(FORMATS as readonly string[]).includes(value)) throw new ArgsError(`unknown format '${value}' (expected ${FORMATS.join(', ')})`);
      options.format = value as OutputFormat;
      return;
    case '--target':
      if (!(KERNEL_TARGETS as readonly string[]).includes(value)) {
        throw new ArgsError(`unknown target '${value}' (expected one of ${KERNEL_TARGETS.join(', ')})`);
      }
      options.target = value as KernelTarget;
      return;
    case '--repo':
      if (value === '') throw new ArgsError('--repo needs a directory');
      options.repo = value;
      break;
    case '--tree':
      if (value === '') throw new ArgsError('--tree needs a directory');
      options.tree = value;
      return;
    case '--rule': {
      const eq = value.lastIndexOf('=');
      if (eq <= 0) throw new ArgsError(`--rule expects NAME=LEVEL, got '${value}'`);
      const key = value.slice(0, eq).trim();
      const level = value.slice(eq + 1).trim().toLowerCase();
      const ruleName = resolveRule(key);
      if (ruleName === undefined) throw new ArgsError(`unknown rule '${key}' (see --list-rules)`);
      if (!(LEVELS as readonly string[]).includes(level)) throw new ArgsError(`unknown level '${level}' for --rule ${key} (expected ${LEVELS.join(', ')})`);
      options.rules[ruleName] = level as SeverityOverride;
      return;
    }
    case '--explain':
      options.explain = value;
      return;
    case '--git':
      if (value === '') throw new ArgsError('--git needs a revision range');
      options.gitRanges.push(value);
      return;
    case '--dump-facts':
      if (value === '') throw new ArgsError('--dump-facts needs a file name');
      options.dumpFacts = value;
      return;
    case '--time-budget': {
      if (!/^\d+(\.\d+)?$/.test(value) || Number(value) > 86400) throw new ArgsError(`--time-budget expects seconds from 0 to 86400, got '${value}'`);
      options.timeBudget = Number(value);
      return;
    }
    case '--jobs': {
      if (!/^\d+$/.test(value) || Number(value) < 1 || Number(value) > 256) throw new ArgsError(`--jobs expects a whole number from 1 to 256, got '${value}'`);
      options.jobs = Number(value);
      return;
    }
  }
}
