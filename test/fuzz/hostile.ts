import fc from 'fast-check';
import { mutationArbitrary, type FuzzCase } from './arbitraries';

/**
 * Generators for the hostile and huge inputs of issue 15: each takes a size so the unit tests can feed a small
 * instance and the long runner (`npm run fuzz -- --hostile`, test/fuzz/hostile-run.ts) the full-size one. Everything
 * here is written for this project (synthetic C, synthetic mails); nothing is copied from the kernel.
 */

export interface HostileCase {
  name: string;
  /** File name the input is saved under (its extension decides how a directory scan treats it). */
  file: string;
  /** What the issue measured on main for the full size. */
  issue: string;
  make(scale: number): string | Buffer;
  /** Default full size (the issue's figure). */
  full: number;
  /** A size small enough for a unit test (< 2 s). */
  small: number;
}

const ESC = '\u001b';
const BEL = '\u0007';

function mailHead(subject: string, extra: string[] = []): string[] {
  return [
    'From 0123456789abcdef0123456789abcdef01234567 Mon Sep 17 00:00:00 2001',
    'From: Hostile Sender <hostile@example.org>',
    'Date: Tue, 1 Dec 2026 10:00:00 +0000',
    `Subject: ${subject}`,
    ...extra,
  ];
}

/** A small driver that keeps its DMA ownership claim on a failing probe: the rules report it. */
export function leakyDriver(prefix: string): string {
  return [
    '#include <linux/pci.h>',
    '#include <linux/iommu.h>',
    '',
    `static int ${prefix}_setup(struct pci_dev *pdev)`,
    '{',
    '\treturn pci_enable_device(pdev);',
    '}',
    '',
    `static int ${prefix}_probe(struct pci_dev *pdev, const struct pci_device_id *id)`,
    '{',
    '\tint ret;',
    '',
    '\tret = iommu_device_claim_dma_owner(&pdev->dev, pdev);',
    '\tif (ret)',
    '\t\treturn ret;',
    `\tret = ${prefix}_setup(pdev);`,
    '\tif (ret)',
    '\t\treturn ret;',
    '\treturn 0;',
    '}',
    '',
    `static void ${prefix}_remove(struct pci_dev *pdev)`,
    '{',
    '\tiommu_device_release_dma_owner(&pdev->dev);',
    '}',
    '',
    `static struct pci_driver ${prefix}_driver = {`,
    `\t.name = "${prefix}",`,
    `\t.probe = ${prefix}_probe,`,
    `\t.remove = ${prefix}_remove,`,
    '\t.driver_managed_dma = true,',
    '};',
    `module_pci_driver(${prefix}_driver);`,
    '',
  ].join('\n');
}

export function newFileDiff(path: string, text: string): string {
  const lines = text.endsWith('\n') ? text.slice(0, -1).split('\n') : text.split('\n');
  return [`diff --git a/${path} b/${path}`, 'new file mode 100644', '--- /dev/null', `+++ b/${path}`, `@@ -0,0 +1,${lines.length} @@`, ...lines.map((l) => `+${l}`)].join('\n');
}

export function patchMail(subject: string, diff: string, extraHeaders: string[] = []): string {
  return [...mailHead(subject, extraHeaders), '', 'A change.', '', 'Signed-off-by: Hostile Sender <hostile@example.org>', '---', diff, '-- ', '2.39.5', '', ''].join('\n');
}

/** A probe body in a driver that registers it (so the replay runs it), wrapped in a new-file patch. */
function functionPatch(path: string, body: string[]): string {
  const c = [
    '#include <linux/platform_device.h>',
    '#include <linux/iommu.h>',
    '',
    'static int hostile_probe(struct platform_device *pdev)',
    '{',
    '\tstruct device *dev = &pdev->dev;',
    ...body,
    '}',
    '',
    'static struct platform_driver hostile_driver = {',
    '\t.probe = hostile_probe,',
    '\t.driver = { .name = "hostile" },',
    '\t.driver_managed_dma = true,',
    '};',
    'module_platform_driver(hostile_driver);',
    '',
  ].join('\n');
  return `${newFileDiff(path, c)}\n`;
}

/** A C file whose one function holds `body` and touches the ownership API (so it is parsed and replayed). */
function deepFile(body: string): string {
  return `#include <linux/iommu.h>\n\nint deep(struct device *dev, int x)\n{\n${body}\treturn iommu_device_use_default_domain(dev);\n}\n`;
}

export const HOSTILE_CASES: HostileCase[] = [
  {
    name: 'far-apart hunks (problems > 126k)',
    file: 'far-hunks.patch',
    issue: 'stack overflow, exit 2, no output (130k hunks, 4.7 MB)',
    full: 130_000,
    small: 2_000,
    make: (n) => {
      const out = ['--- a/drivers/x/far.c', '+++ b/drivers/x/far.c'];
      for (let i = 0; i < n; i++) out.push(`@@ -${2_000_001 + i * 3},1 +${2_000_001 + i * 3},1 @@`, '-a', '+b');
      return `${out.join('\n')}\n`;
    },
  },
  {
    name: 'findings-dense mbox (SARIF)',
    file: 'dense.mbox',
    issue: 'SARIF: Invalid string length at 30 MB; 3.3 GB at 20 MB',
    full: 30,
    small: 0.05,
    make: (mb) => {
      const parts: string[] = [];
      let size = 0;
      for (let i = 0; size < mb * 1024 * 1024; i++) {
        const mail = patchMail(`[PATCH] hostile: driver ${i}`, newFileDiff(`drivers/hostile/d${i}.c`, leakyDriver(`hd${i}`)));
        parts.push(mail);
        size += mail.length;
      }
      return parts.join('');
    },
  },
  {
    name: 'findings-dense mbox of one patch repeated (SARIF)',
    file: 'dense-repeated.mbox',
    issue: 'the cheapest hostile archive: one leaking driver mailed again and again',
    full: 30,
    small: 0.05,
    make: (mb) => {
      const mail = patchMail('[PATCH] hostile: the same driver again', newFileDiff('drivers/hostile/same.c', leakyDriver('same')));
      return mail.repeat(Math.max(1, Math.ceil((mb * 1024 * 1024) / mail.length)));
    },
  },
  {
    name: 'lvalue with * into a rule regex',
    file: 'star-lvalue.c',
    issue: 'rule crash: Invalid regular expression /\\b*ret\\b/',
    full: 1,
    small: 1,
    make: () =>
      [
        '#include <linux/iommu.h>',
        '#include <linux/platform_device.h>',
        '',
        'static int star_get(struct device *dev, int *ret)',
        '{',
        '\t*ret = iommu_device_use_default_domain(dev);',
        '\tif (*ret == -EBUSY)',
        '\t\treturn -EBUSY;',
        '\treturn check(*ret) ? 0 : 0;',
        '}',
        '',
        'static int star_probe(struct platform_device *pdev)',
        '{',
        '\tint r;',
        '\treturn star_get(&pdev->dev, &r);',
        '}',
        '',
        'static struct platform_driver star_driver = {',
        '\t.probe = star_probe,',
        '\t.driver = { .name = "star" },',
        '\t.driver_managed_dma = true,',
        '};',
        'module_platform_driver(star_driver);',
        '',
      ].join('\n'),
  },
  {
    name: 'subject of 1 MB of [',
    file: 'brackets.patch',
    issue: 'ReDoS: 100 KB 3.8 s, 1 MB never finishes',
    full: 1024 * 1024,
    small: 1024 * 1024,
    make: (n) => patchMail(`[PATCH] ${'['.repeat(n)}`, newFileDiff('drivers/x/b.c', 'int x;\n')),
  },
  {
    name: 'initializer heading + line of escaped quotes',
    file: 'quotes.patch',
    issue: 'ReDoS in views.ts: 200 KB 9.8 s',
    full: 200 * 1024,
    small: 1024 * 1024,
    make: (n) =>
      [
        '--- a/drivers/x/q.c',
        '+++ b/drivers/x/q.c',
        '@@ -10,2 +10,3 @@ static struct pci_driver q_driver = {',
        ' \t.name = "q",',
        `+\t.id = "${'\\"'.repeat(Math.floor(n / 2))}`,
        ' \t.probe = q_probe,',
        '',
      ].join('\n'),
  },
  {
    name: 'hunks at line 1,999,990 in 100 files',
    file: 'deep-lines.patch',
    issue: '47 s, 1.7 GB (1,000 files: 457 s, 4.25 GB)',
    full: 100,
    small: 3,
    make: (files) => {
      const out: string[] = [];
      for (let f = 0; f < files; f++) {
        out.push(`diff --git a/drivers/x/f${f}.c b/drivers/x/f${f}.c`, `--- a/drivers/x/f${f}.c`, `+++ b/drivers/x/f${f}.c`);
        out.push('@@ -1999990,3 +1999990,4 @@ static int f_probe(struct device *dev)', ' {', '+\tint ret;', ' \treturn 0;', ' }');
      }
      return `${out.join('\n')}\n`;
    },
  },
  {
    name: '10,000-case fall-through switch',
    file: 'switch.patch',
    issue: '118 s, 3 GB',
    full: 10_000,
    small: 300,
    make: (n) => {
      const body = ['\tint ret = 0;', '', '\tswitch (dev->id) {'];
      for (let i = 0; i < n; i++) body.push(`\tcase ${i}:`, i % 2 ? '\t\tret = iommu_device_claim_dma_owner(dev, dev);' : '\t\tiommu_device_release_dma_owner(dev);');
      body.push('\t}', '\treturn ret;');
      return functionPatch('drivers/x/switch.c', body);
    },
  },
  {
    name: '50,000 claims with gotos',
    file: 'claims.patch',
    issue: '> 120 s as a patch',
    full: 50_000,
    small: 300,
    make: (n) => {
      const body = ['\tint ret;', ''];
      for (let i = 0; i < n; i++) body.push('\tret = iommu_device_claim_dma_owner(dev, dev);', `\tif (ret)`, `\t\tgoto err${i % 4};`);
      body.push('\treturn 0;', 'err0:', '\tiommu_device_release_dma_owner(dev);', 'err1:', 'err2:', 'err3:', '\treturn ret;');
      return functionPatch('drivers/x/claims.c', body);
    },
  },
  {
    name: '50,000 attach calls',
    file: 'attach.patch',
    issue: '74–114 s',
    full: 50_000,
    small: 300,
    make: (n) => {
      const body = ['\tstruct iommu_domain *d = iommu_paging_domain_alloc(dev);', '\tint ret = 0;', ''];
      for (let i = 0; i < n; i++) body.push('\tret |= iommu_attach_device(d, dev);');
      body.push('\treturn ret;');
      return functionPatch('drivers/x/attach.c', body);
    },
  },
  {
    name: 'header-less diff adding 93k small files',
    file: 'many-files.diff',
    issue: '> 300 s',
    full: 93_000,
    small: 500,
    make: (n) => {
      const out: string[] = [];
      for (let i = 0; i < n; i++) out.push('--- /dev/null', `+++ b/drivers/x/m${i}.c`, '@@ -0,0 +1,2 @@', `+int m${i};`, '+static int g(void) { return 0; }');
      return `${out.join('\n')}\n`;
    },
  },
  {
    name: 'junk line before the first From_ (chunking)',
    file: 'junk-first.mbox',
    issue: 'one junk line turns chunking off',
    full: 40,
    small: 0.05,
    make: (mb) => {
      const parts: string[] = ['this is junk before the first separator\n', '\n'];
      let size = 0;
      for (let i = 0; size < mb * 1024 * 1024; i++) {
        const mail = patchMail(`[PATCH] hostile: plain ${i}`, newFileDiff(`drivers/hostile/p${i}.c`, `int p${i};\n`));
        parts.push(mail);
        size += mail.length;
      }
      return parts.join('');
    },
  },
  {
    name: 'text/x-patch inside multipart/alternative',
    file: 'alternative.eml',
    issue: 'silently skipped, b4 review says pass',
    full: 1,
    small: 1,
    make: () => {
      const diff = newFileDiff('drivers/hostile/alt.c', leakyDriver('alt'));
      return [
        ...mailHead('[PATCH] hostile: patch in an alternative part', ['MIME-Version: 1.0', 'Content-Type: multipart/alternative; boundary="ALT"']),
        '',
        '--ALT',
        'Content-Type: text/plain; charset=utf-8',
        '',
        'See the patch in the other part.',
        '--ALT',
        'Content-Type: text/x-patch; name="alt.patch"',
        '',
        diff,
        '--ALT--',
        '',
      ].join('\n');
    },
  },
  {
    name: 'diff in a MIME epilogue',
    file: 'epilogue.eml',
    issue: 'silently dropped',
    full: 1,
    small: 1,
    make: () =>
      [
        ...mailHead('[PATCH] hostile: patch after the closing boundary', ['MIME-Version: 1.0', 'Content-Type: multipart/mixed; boundary="MIX"']),
        '',
        '--MIX',
        'Content-Type: text/plain',
        '',
        'The patch follows the parts.',
        '--MIX--',
        newFileDiff('drivers/hostile/epi.c', leakyDriver('epi')),
        '',
      ].join('\n'),
  },
  {
    name: 'multipart boundary never present',
    file: 'no-boundary.eml',
    issue: 'silently dropped',
    full: 1,
    small: 1,
    make: () =>
      [
        ...mailHead('[PATCH] hostile: boundary never used', ['MIME-Version: 1.0', 'Content-Type: multipart/mixed; boundary="NEVER"']),
        '',
        'Signed-off-by: Hostile Sender <hostile@example.org>',
        '---',
        newFileDiff('drivers/hostile/nob.c', leakyDriver('nob')),
        '',
      ].join('\n'),
  },
  {
    name: 'invalid base64 part',
    file: 'bad-base64.eml',
    issue: 'silently dropped',
    full: 1,
    small: 1,
    make: () =>
      [
        ...mailHead('[PATCH] hostile: undecodable attachment', ['MIME-Version: 1.0', 'Content-Type: multipart/mixed; boundary="B"']),
        '',
        '--B',
        'Content-Type: text/plain',
        '',
        'Patch attached.',
        '--B',
        'Content-Type: text/x-patch; name="x.patch"',
        'Content-Transfer-Encoding: base64',
        '',
        '!!!! this is not base64 at all ????',
        '@@@@ %%%% ^^^^',
        '--B--',
        '',
      ].join('\n'),
  },
  {
    name: 'malformed hunk header @@ --5,-17 +-5,-18 @@',
    file: 'bad-hunk.patch',
    issue: 'ignored, no problem',
    full: 1,
    small: 1,
    make: () => ['--- a/drivers/x/h.c', '+++ b/drivers/x/h.c', '@@ --5,-17 +-5,-18 @@', ' int a;', '+int b;', ''].join('\n'),
  },
  {
    name: 'control characters in a file name',
    file: 'inject.patch',
    issue: 'retitles the terminal, clears the screen, forges stderr lines',
    full: 1,
    small: 1,
    make: () => {
      const name = `drivers/x/${ESC}]0;owned${BEL}${ESC}[2Jevil\niommu-review: forged.c: line.c`;
      const quoted = `"${name.replace(/\\/g, '\\\\').replace(/\n/g, '\\n').replace(/\u001b/g, '\\033').replace(/\u0007/g, '\\a')}"`;
      return [`diff --git ${quoted.replace('"drivers', '"a/drivers')} ${quoted.replace('"drivers', '"b/drivers')}`, 'new file mode 100644', '--- /dev/null', `+++ ${quoted.replace('"drivers', '"b/drivers')}`, '@@ -0,0 +1,3 @@', '+int a;', `+/* ${ESC}]0;code${BEL} */`, '+int b;', ''].join('\n');
    },
  },
  {
    name: 'nested if 1,250 deep',
    file: 'nested-if.c',
    issue: 'result differs with --jobs',
    full: 1_250,
    small: 1_250,
    make: (n) => deepFile(`${'if (x) {\n'.repeat(n)}x++;\n${'}\n'.repeat(n)}`),
  },
  {
    name: 'else-if chain 1,900 long',
    file: 'else-if.c',
    issue: 'result differs with --jobs',
    full: 1_900,
    small: 1_900,
    make: (n) => {
      const out = ['\tif (x == 0)', '\t\treturn 0;'];
      for (let i = 1; i < n; i++) out.push(`\telse if (x == ${i})`, `\t\treturn ${i};`);
      return deepFile(`${out.join('\n')}\n`);
    },
  },
  {
    name: '&& chain 4,100 long',
    file: 'and-chain.c',
    issue: 'result differs with --jobs',
    full: 4_100,
    small: 4_100,
    make: (n) => deepFile(`\tif (${Array.from({ length: n }, (_, i) => `x > ${i}`).join(' && ')})\n\t\treturn 0;\n`),
  },
];

export function hostileCase(file: string): HostileCase {
  const c = HOSTILE_CASES.find((x) => x.file === file);
  if (!c) throw new Error(`no hostile case ${file}`);
  return c;
}

/** Scale for a fuzz case: big enough to keep the shape, small enough for thousands of cases a minute. */
function fuzzScale(c: HostileCase, fraction: number): number {
  if (c.full <= 1) return 1;
  if (c.full < 1000) return Math.max(0.001, c.full * fraction * 0.001); // megabyte-sized cases: a few KB
  return Math.max(1, Math.round(Math.min(c.small, 64 * 1024) * fraction));
}

/**
 * `npm run fuzz` kind 'hostile': one of the issue 15 shapes at a random scale, then one of the fuzz mutations on
 * top, so the fuzz explores around each shape (a FIFO-free, file-free subset: the shapes analyze() itself sees).
 */
export function hostileCaseArbitrary(): fc.Arbitrary<FuzzCase> {
  return fc
    .record({
      index: fc.integer({ min: 0, max: HOSTILE_CASES.length - 1 }),
      fraction: fc.double({ min: 0, max: 1, noNaN: true }),
      mutate: fc.option(fc.tuple(mutationArbitrary(), fc.double({ min: 0, max: 1, maxExcluded: true, noNaN: true }))),
      asString: fc.boolean(),
    })
    .map(({ index, fraction, mutate, asString }) => {
      const c = HOSTILE_CASES[index];
      const scale = fuzzScale(c, fraction);
      const made = c.make(scale);
      let bytes: Uint8Array = typeof made === 'string' ? new TextEncoder().encode(made) : made;
      if (mutate) bytes = mutate[0].apply(bytes, mutate[1]);
      return {
        label: `hostile ${c.file} ×${scale.toFixed(3)}${mutate ? ` ← ${mutate[0].name}@${mutate[1].toFixed(3)}` : ''}`,
        bytes,
        path: c.file,
        asString,
      };
    });
}
