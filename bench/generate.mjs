// Deterministic generators of synthetic, realistic kernel driver C and the patches/mboxes the bench reviews.
// Everything here is written for this project (no kernel text): the shapes follow common driver patterns
// (PCI/platform probe/remove with goto unwinding, register helpers, ops tables, IRQ handlers, DMA ownership).

/** Small seeded PRNG (mulberry32) so every run generates the same bytes. */
export function rng(seed) {
  let a = seed >>> 0;
  const next = () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  return {
    next,
    int: (lo, hi) => lo + Math.floor(next() * (hi - lo + 1)),
    pick: (items) => items[Math.floor(next() * items.length)],
    chance: (p) => next() < p,
  };
}

const NOUNS = ['widget', 'npu', 'gadget', 'sensor', 'bridge', 'codec', 'crypto', 'dmac', 'qspi', 'vpu', 'isp', 'mailbox', 'hwmon', 'rng', 'pmu'];
const VENDORS = ['acme', 'zeta', 'orion', 'vega', 'lyra', 'nova', 'kite', 'wren', 'ember', 'quill', 'tidal', 'flint'];
const REGS = ['CTRL', 'STATUS', 'IRQ_MASK', 'IRQ_STATUS', 'DMA_ADDR_LO', 'DMA_ADDR_HI', 'CFG', 'VERSION', 'RESET', 'FIFO', 'TIMER', 'CLK_DIV'];

/** One helper function of the usual register-poking kind (10–25 lines). */
function helperFunction(r, prefix, index) {
  const reg = r.pick(REGS);
  const kind = r.int(0, 3);
  const name = `${prefix}_${['update', 'read', 'setup', 'poll', 'config'][index % 5]}_${reg.toLowerCase()}${index}`;
  switch (kind) {
    case 0:
      return [
        `static u32 ${name}(struct ${prefix}_priv *priv, u32 mask, u32 val)`,
        '{',
        '\tu32 tmp;',
        '',
        '\tspin_lock(&priv->lock);',
        `\ttmp = readl(priv->base + ${prefix.toUpperCase()}_${reg});`,
        '\ttmp &= ~mask;',
        '\ttmp |= val & mask;',
        `\twritel(tmp, priv->base + ${prefix.toUpperCase()}_${reg});`,
        '\tspin_unlock(&priv->lock);',
        '',
        '\treturn tmp;',
        '}',
      ];
    case 1:
      return [
        `static int ${name}(struct ${prefix}_priv *priv)`,
        '{',
        '\tu32 status;',
        '\tint ret;',
        '',
        `\tret = readl_poll_timeout(priv->base + ${prefix.toUpperCase()}_${reg}, status,`,
        `\t\t\t\t !(status & BIT(${r.int(0, 31)})), ${r.int(1, 50)}, ${r.int(100, 5000)});`,
        '\tif (ret) {',
        `\t\tdev_err(priv->dev, "timeout waiting for ${reg.toLowerCase()} (%#x)\\n", status);`,
        '\t\treturn ret;',
        '\t}',
        '',
        '\treturn 0;',
        '}',
      ];
    case 2:
      return [
        `static void ${name}(struct ${prefix}_priv *priv, unsigned int chan)`,
        '{',
        '\tunsigned int i;',
        '',
        `\tfor (i = 0; i < ${r.int(2, 16)}; i++) {`,
        `\t\t/* stagger the channels so they do not all fire at once */`,
        `\t\twritel(chan + i, priv->base + ${prefix.toUpperCase()}_${reg} + i * 4);`,
        '\t\tif (priv->flags & BIT(i))',
        `\t\t\tpriv->stats.${reg.toLowerCase()}[i]++;`,
        '\t}',
        '}',
      ];
    default:
      return [
        `static ssize_t ${name}_show(struct device *dev, struct device_attribute *attr, char *buf)`,
        '{',
        `\tstruct ${prefix}_priv *priv = dev_get_drvdata(dev);`,
        '',
        `\treturn sysfs_emit(buf, "%u\\n", readl(priv->base + ${prefix.toUpperCase()}_${reg}));`,
        '}',
        `static DEVICE_ATTR_RO(${name});`,
      ];
  }
}

/**
 * A whole driver file of about `lines` lines. `ownership` adds the DMA-ownership calls (claim in probe, release in
 * remove, .driver_managed_dma); `leak` leaves the release out of the error path (a finding the rules should report).
 */
export function driverSource(seed, { lines = 400, ownership = false, leak = false, bus = 'pci' } = {}) {
  const r = rng(seed);
  const vendor = r.pick(VENDORS);
  const prefix = `${vendor}_${r.pick(NOUNS)}${seed % 97}`;
  const up = prefix.toUpperCase();
  const out = [
    '// SPDX-License-Identifier: GPL-2.0-only',
    '/*',
    ` * ${vendor} ${prefix} driver (synthetic benchmark input, generated).`,
    ' */',
    '#include <linux/module.h>',
    `#include <linux/${bus === 'pci' ? 'pci' : 'platform_device'}.h>`,
    '#include <linux/interrupt.h>',
    '#include <linux/iopoll.h>',
    ownership ? '#include <linux/iommu.h>' : '#include <linux/io.h>',
    '',
  ];
  REGS.forEach((reg, i) => out.push(`#define ${up}_${reg}\t0x${(i * 4).toString(16).padStart(3, '0')}`));
  out.push(
    '',
    `struct ${prefix}_priv {`,
    '\tstruct device *dev;',
    '\tvoid __iomem *base;',
    '\tspinlock_t lock;',
    '\tint irq;',
    '\tu32 flags;',
    '\tstruct {',
    ...REGS.map((reg) => `\t\tu64 ${reg.toLowerCase()}[16];`),
    '\t} stats;',
    '};',
    '',
  );
  let index = 0;
  const footer = 75; // probe, remove, irq, tables
  while (out.length < lines - footer) {
    out.push(...helperFunction(r, prefix, index++), '');
  }
  const devType = bus === 'pci' ? 'struct pci_dev *pdev' : 'struct platform_device *pdev';
  out.push(
    `static irqreturn_t ${prefix}_irq(int irq, void *data)`,
    '{',
    `\tstruct ${prefix}_priv *priv = data;`,
    `\tu32 status = readl(priv->base + ${up}_IRQ_STATUS);`,
    '',
    '\tif (!status)',
    '\t\treturn IRQ_NONE;',
    `\twritel(status, priv->base + ${up}_IRQ_STATUS);`,
    '\treturn IRQ_HANDLED;',
    '}',
    '',
    `static int ${prefix}_probe(${devType}${bus === 'pci' ? ', const struct pci_device_id *id' : ''})`,
    '{',
    `\tstruct ${prefix}_priv *priv;`,
    '\tint ret;',
    '',
    '\tpriv = devm_kzalloc(&pdev->dev, sizeof(*priv), GFP_KERNEL);',
    '\tif (!priv)',
    '\t\treturn -ENOMEM;',
    '\tpriv->dev = &pdev->dev;',
    '\tspin_lock_init(&priv->lock);',
  );
  if (bus === 'pci') {
    out.push('\tret = pcim_enable_device(pdev);', '\tif (ret)', '\t\treturn ret;', '\tpriv->base = pcim_iomap(pdev, 0, 0);', '\tpriv->irq = pdev->irq;');
  } else {
    out.push('\tpriv->base = devm_platform_ioremap_resource(pdev, 0);', '\tpriv->irq = platform_get_irq(pdev, 0);');
  }
  out.push('\tif (IS_ERR_OR_NULL(priv->base))', '\t\treturn -ENOMEM;', '');
  if (ownership) {
    out.push('\tret = iommu_device_claim_dma_owner(&pdev->dev, priv);', '\tif (ret)', '\t\treturn ret;', '');
  }
  out.push(
    `\tret = request_irq(priv->irq, ${prefix}_irq, IRQF_SHARED, "${prefix}", priv);`,
    '\tif (ret)',
    '\t\tgoto err_release;',
    '',
    `\tret = ${prefix}_update_${REGS[0].toLowerCase()}0 ? 0 : -ENODEV;`,
    '\tif (ret)',
    '\t\tgoto err_free_irq;',
    '',
    `\t${bus === 'pci' ? 'pci_set_drvdata' : 'platform_set_drvdata'}(pdev, priv);`,
    '\treturn 0;',
    '',
    'err_free_irq:',
    '\tfree_irq(priv->irq, priv);',
    'err_release:',
  );
  if (ownership && !leak) out.push('\tiommu_device_release_dma_owner(&pdev->dev);');
  out.push(
    '\treturn ret;',
    '}',
    '',
    `static void ${prefix}_remove(${devType})`,
    '{',
    `\tstruct ${prefix}_priv *priv = ${bus === 'pci' ? 'pci_get_drvdata' : 'platform_get_drvdata'}(pdev);`,
    '',
    '\tfree_irq(priv->irq, priv);',
  );
  if (ownership) out.push('\tiommu_device_release_dma_owner(&pdev->dev);');
  out.push('}', '');
  if (bus === 'pci') {
    out.push(
      `static const struct pci_device_id ${prefix}_ids[] = {`,
      `\t{ PCI_DEVICE(0x${r.int(0x1000, 0x1fff).toString(16)}, 0x${r.int(0x1000, 0xffff).toString(16)}) },`,
      '\t{ }',
      '};',
      `MODULE_DEVICE_TABLE(pci, ${prefix}_ids);`,
      '',
      `static struct pci_driver ${prefix}_driver = {`,
      `\t.name\t\t= "${prefix}",`,
      `\t.id_table\t= ${prefix}_ids,`,
      `\t.probe\t\t= ${prefix}_probe,`,
      `\t.remove\t\t= ${prefix}_remove,`,
    );
    if (ownership) out.push('\t.driver_managed_dma = true,');
    out.push('};', `module_pci_driver(${prefix}_driver);`);
  } else {
    out.push(
      `static const struct of_device_id ${prefix}_of_match[] = {`,
      `\t{ .compatible = "${vendor},${prefix}" },`,
      '\t{ }',
      '};',
      `MODULE_DEVICE_TABLE(of, ${prefix}_of_match);`,
      '',
      `static struct platform_driver ${prefix}_driver = {`,
      `\t.probe\t= ${prefix}_probe,`,
      `\t.remove\t= ${prefix}_remove,`,
    );
    // The flag is a member of the bus driver struct (struct platform_driver), not of the embedded device_driver.
    if (ownership) out.push('\t.driver_managed_dma = true,');
    out.push('\t.driver\t= {', `\t\t.name = "${prefix}",`, `\t\t.of_match_table = ${prefix}_of_match,`, '\t},', '};', `module_platform_driver(${prefix}_driver);`);
  }
  out.push('', 'MODULE_LICENSE("GPL");', `MODULE_DESCRIPTION("${prefix} synthetic driver");`, '');
  return { path: `drivers/${r.pick(['misc', 'soc', 'accel', 'dma', 'crypto', 'vfio/pci'])}/${vendor}/${prefix}.c`, text: out.join('\n') };
}

function hunkHeader(oldStart, oldLen, newStart, newLen, heading) {
  return `@@ -${oldStart},${oldLen} +${newStart},${newLen} @@${heading ? ` ${heading}` : ''}`;
}

/** git-style unified diff that creates `path` with `text`. */
export function newFileDiff(path, text) {
  const lines = text.endsWith('\n') ? text.slice(0, -1).split('\n') : text.split('\n');
  return [
    `diff --git a/${path} b/${path}`,
    'new file mode 100644',
    'index 0000000..1234567',
    '--- /dev/null',
    `+++ b/${path}`,
    hunkHeader(0, 0, 1, lines.length, ''),
    ...lines.map((l) => `+${l}`),
  ].join('\n');
}

/**
 * A diff that modifies `base` (a driver file): inserts `blocks` blocks of added lines (with 3 lines of context),
 * each after a line that closes a function, and replaces a statement here and there. Returns the diff text.
 */
export function modifyDiff(seed, path, base, { blocks = 3, blockLines = 20 } = {}) {
  const r = rng(seed);
  const lines = base.endsWith('\n') ? base.slice(0, -1).split('\n') : base.split('\n');
  const closers = [];
  for (let i = 10; i < lines.length - 5; i++) if (lines[i] === '}') closers.push(i);
  const chosen = [...new Set(Array.from({ length: blocks }, () => r.pick(closers)))].sort((a, b) => a - b);
  const out = [`diff --git a/${path} b/${path}`, 'index 89abcde..fedcba9 100644', `--- a/${path}`, `+++ b/${path}`];
  let shift = 0;
  let lastEnd = -1;
  for (const at of chosen) {
    const from = Math.max(0, at - 2);
    const to = Math.min(lines.length - 1, at + 3);
    if (from <= lastEnd) continue; // keep hunks apart
    lastEnd = to;
    const added = [''];
    const fn = `extra_${seed}_${at}`;
    added.push(`static int ${fn}(struct device *dev, u32 *state)`, '{', '\tint ret = 0;', '');
    while (added.length < blockLines - 2) {
      added.push(`\tif (*state & BIT(${r.int(0, 31)}))`, `\t\tret |= ${r.int(1, 255)};`);
    }
    added.push('\treturn ret;', '}');
    const before = lines.slice(from, at + 1);
    const after = lines.slice(at + 1, to + 1);
    out.push(hunkHeader(from + 1, before.length + after.length, from + 1 + shift, before.length + added.length + after.length, ''));
    out.push(...before.map((l) => ` ${l}`), ...added.map((l) => `+${l}`), ...after.map((l) => ` ${l}`));
    shift += added.length;
  }
  return out.join('\n');
}

/** A git format-patch mail around one or more diffs. */
export function patchMail({ index = 1, total = 1, subject, body = 'Synthetic benchmark patch.', diffs, day = 1 }) {
  const tag = total > 1 ? `[PATCH ${index}/${total}]` : '[PATCH]';
  const hash = (0x9e3779b1 * (index + 7)).toString(16).padStart(8, '0').repeat(5).slice(0, 40);
  return [
    `From ${hash} Mon Sep 17 00:00:00 2001`,
    'From: Bench Author <bench@example.org>',
    `Date: Tue, ${day} Dec 2026 10:${String(index % 60).padStart(2, '0')}:00 +0000`,
    `Subject: ${tag} ${subject}`,
    '',
    body,
    '',
    'Signed-off-by: Bench Author <bench@example.org>',
    '---',
    ...diffs,
    '-- ',
    '2.39.5',
    '',
  ].join('\n');
}

/** W1: one small patch, about 100 changed lines (a new driver that claims DMA ownership). */
export function smallPatch() {
  const driver = driverSource(101, { lines: 100, ownership: true, bus: 'platform' });
  return patchMail({ subject: 'misc: add a synthetic ownership driver', diffs: [newFileDiff(driver.path, driver.text)] });
}

/** W2: one patch of about 2,000 lines: a new 1,100-line driver plus hunks in three existing drivers. */
export function largePatch() {
  const diffs = [];
  const added = driverSource(202, { lines: 1100, ownership: true, leak: true });
  diffs.push(newFileDiff(added.path, added.text));
  for (let i = 0; i < 3; i++) {
    const base = driverSource(300 + i, { lines: 900, ownership: i === 0 });
    diffs.push(modifyDiff(400 + i, base.path, base.text, { blocks: 12, blockLines: 22 }));
  }
  return patchMail({ subject: 'drivers: a large synthetic change', diffs });
}

/** W3: a 14-patch series (plus cover letter) in one mbox, mixing new drivers and modifications. */
export function seriesMbox(count = 14) {
  const mails = [patchMail({ index: 0, total: count, subject: 'synthetic series', body: 'Cover letter of a synthetic series.', diffs: [] })];
  for (let i = 1; i <= count; i++) {
    let diff;
    if (i % 3 === 1) {
      const d = driverSource(500 + i, { lines: 160, ownership: i % 2 === 1, leak: i === 7, bus: i % 2 ? 'pci' : 'platform' });
      diff = newFileDiff(d.path, d.text);
    } else {
      const base = driverSource(600 + i, { lines: 500, ownership: i % 4 === 0 });
      diff = modifyDiff(700 + i, base.path, base.text, { blocks: 3, blockLines: 15 });
    }
    mails.push(patchMail({ index: i, total: count, subject: `drivers: synthetic change ${i}`, diffs: [diff] }));
  }
  return mails.join('\n');
}

/** W4: file `i` of the synthetic tree (about 1 in 25 uses DMA ownership, like the real tree's rare iommu users). */
export function treeFile(i) {
  const r = rng(10_000 + i);
  return driverSource(10_000 + i, {
    lines: r.int(120, 700),
    ownership: i % 25 === 0,
    leak: i % 100 === 0,
    bus: r.chance(0.5) ? 'pci' : 'platform',
  });
}
