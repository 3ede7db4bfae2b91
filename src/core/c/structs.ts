/** Driver structs (`struct pci_driver foo = { ... }`) and bus types (`struct bus_type`) with designated initialisers. */
import type { Node } from 'web-tree-sitter';
import type { BusKind, BusTypeFact, DriverStructFact, FieldInit, ImageSpan, OpsStructFact } from '../types';
import { compact, endLine, LineInfo, spanOf, startLine } from './lines';
import { namedChildren } from './syntax';

export const MANAGED_DMA_SPELLINGS: readonly string[] = ['driver_managed_dma', 'suppress_auto_claim_dma_owner', 'no_kernel_api_dma'];

/** The nested struct device_driver: `.driver = { ... }` (amba names it `.drv`). */
const DEVICE_DRIVER_PREFIX = /^(?:driver|drv)\./;

export const BUS_BY_TYPE: Readonly<Record<string, BusKind>> = {
  pci_driver: 'pci', platform_driver: 'platform', amba_driver: 'amba', fsl_mc_driver: 'fsl_mc', cdx_driver: 'cdx',
  host1x_driver: 'host1x', mdev_driver: 'vfio',
};

export function busKindOf(structType: string): BusKind {
  return BUS_BY_TYPE[structType] ?? (structType.startsWith('vfio') ? 'vfio' : 'other');
}

/** The pieces of a struct variable definition, from a clean declaration or from the children of an ERROR node. */
export interface StructDefinition {
  structType: string;
  nameNode: Node;
  whole: Node;
  /** Initializer pairs at the outer level. */
  pairs: Node[];
  /** The outer initializer_list when the parse produced one. */
  list: Node | null;
  /** True when the parse saw the whole initializer (closing brace present, no error inside). */
  parsedWhole: boolean;
  /** For a definition torn by a parse error: its own extent inside the larger ERROR node. */
  extent?: ImageSpan;
}

/** `struct X name = { ... };` as a declaration node. */
export function structDefinitionFromDeclaration(declaration: Node): StructDefinition | null {
  const type = declaration.childForFieldName('type');
  if (!type || type.type !== 'struct_specifier') return null;
  const typeName = type.childForFieldName('name');
  if (!typeName) return null;
  for (const child of namedChildren(declaration)) {
    if (child.type !== 'init_declarator') continue;
    const declarator = child.childForFieldName('declarator');
    const value = child.childForFieldName('value');
    if (!declarator || declarator.type !== 'identifier' || !value || value.type !== 'initializer_list') continue;
    const last = value.child(value.childCount - 1);
    const closed = last !== null && last.type === '}' && !last.isMissing;
    return {
      structType: typeName.text,
      nameNode: declarator,
      whole: declaration,
      pairs: namedChildren(value).filter((pair) => pair.type === 'initializer_pair'),
      list: value,
      parsedWhole: closed && !value.hasError,
    };
  }
  return null;
}

/** The start of a struct definition torn by a parse error: struct_specifier, identifier, '=', '{', pairs... */
export function structDefinitionFromError(error: Node): StructDefinition | null {
  const count = error.childCount;
  for (let i = 0; i + 3 < count; i++) {
    const type = error.child(i);
    if (!type || type.type !== 'struct_specifier') continue;
    const typeName = type.childForFieldName('name');
    const name = error.child(i + 1);
    if (!typeName || !name || name.type !== 'identifier' || error.child(i + 2)?.type !== '=' || error.child(i + 3)?.type !== '{') continue;
    const pairs: Node[] = [];
    let last: Node = error.child(i + 3) ?? name;
    for (let j = i + 4; j < count; j++) {
      const child = error.child(j);
      if (!child) continue;
      if (child.type === 'initializer_pair') pairs.push(child);
      else if (child.type !== ',' && child.type !== 'comment') break; // the torn initializer ends here
      last = child;
    }
    const before = i > 0 ? error.child(i - 1) : null;
    const first = before && before.type === 'storage_class_specifier' ? before : type;
    const extent = { ...spanOf(first), endLine: endLine(last), endColumn: last.endPosition.column + 1 };
    return { structType: typeName.text, nameNode: name, whole: error, pairs, list: null, parsedWhole: false, extent };
  }
  return null;
}

export function isDriverStruct(definition: StructDefinition): boolean {
  if (!definition.structType.endsWith('_driver') || definition.structType === 'device_driver') return false;
  if (BUS_BY_TYPE[definition.structType] || definition.structType.startsWith('vfio')) return true;
  // Other *_driver types count when they look like a bus driver: a probe callback or a nested device_driver.
  const names = definition.pairs.map((pair) => designatorPath(pair));
  return names.includes('probe') || names.includes('driver');
}

export function driverFact(definition: StructDefinition, lines: LineInfo, text: string): DriverStructFact {
  const fields = flattenFields(definition.pairs, '');
  const span = definition.extent ?? spanOf(definition.whole);
  const complete = definition.parsedWhole && lines.allVisible(span.line, span.endLine);
  const callbacks: Record<string, string> = {};
  for (const field of fields) {
    const target = callbackTarget(field.value);
    if (target) callbacks[field.name] = target;
  }
  return {
    name: definition.nameNode.text,
    structType: definition.structType,
    bus: busKindOf(definition.structType),
    nameSpan: spanOf(definition.nameNode),
    span,
    insertBefore: insertionPoint(definition, lines, text),
    fields,
    complete,
    managedDma: managedDmaOf(fields, complete),
    callbacks,
    addedLines: lines.addedWithin(span.line, span.endLine),
  };
}

/** Any other file-scope initializer with function-valued fields (ops tables); null when it names no function. */
export function opsStructFact(definition: StructDefinition, lines: LineInfo): OpsStructFact | null {
  const callbacks: Record<string, string> = {};
  for (const field of flattenFields(definition.pairs, '')) {
    const target = callbackTarget(field.value);
    if (target && /[a-z]/.test(target)) callbacks[field.name] = target;
  }
  if (Object.keys(callbacks).length === 0) return null;
  const span = definition.extent ?? spanOf(definition.whole);
  return {
    name: definition.nameNode.text,
    structType: definition.structType,
    nameSpan: spanOf(definition.nameNode),
    complete: definition.parsedWhole && lines.allVisible(span.line, span.endLine),
    callbacks,
  };
}

/** The designated fields of any struct initializer, nested ones flattened ('a.b'). */
export function initializerFields(definition: StructDefinition): FieldInit[] {
  return flattenFields(definition.pairs, '');
}

export function busTypeFact(definition: StructDefinition, lines: LineInfo): BusTypeFact {
  const fields = flattenFields(definition.pairs, '');
  const span = definition.extent ?? spanOf(definition.whole);
  const valueOf = (name: string): string | undefined => fields.find((field) => field.name === name)?.value;
  const fact: BusTypeFact = {
    name: definition.nameNode.text,
    nameSpan: spanOf(definition.nameNode),
    complete: definition.parsedWhole && lines.allVisible(span.line, span.endLine),
    fields,
  };
  const configure = valueOf('dma_configure');
  const cleanup = valueOf('dma_cleanup');
  const unconfigure = valueOf('dma_unconfigure');
  if (configure !== undefined) fact.dmaConfigure = configure;
  if (cleanup !== undefined) fact.dmaCleanup = cleanup;
  if (unconfigure !== undefined) fact.dmaUnconfigure = unconfigure;
  return fact;
}

function managedDmaOf(fields: FieldInit[], complete: boolean): DriverStructFact['managedDma'] {
  const flags = fields.filter((field) => MANAGED_DMA_SPELLINGS.includes(field.name.replace(DEVICE_DRIVER_PREFIX, '')));
  // Prefer the struct-level placement when both are present: that is the one the bus code reads today.
  const flag = flags.find((field) => !DEVICE_DRIVER_PREFIX.test(field.name)) ?? flags[0];
  if (!flag) return { state: complete ? 'absent' : 'unknown' };
  const inDeviceDriver = DEVICE_DRIVER_PREFIX.test(flag.name);
  return {
    state: 'present',
    spelling: flag.name.replace(DEVICE_DRIVER_PREFIX, ''),
    value: flag.value,
    span: flag.span,
    inDeviceDriver,
  };
}

/** Designated initialisers, nested lists flattened to `outer.inner`. */
function flattenFields(pairs: Node[], prefix: string): FieldInit[] {
  const fields: FieldInit[] = [];
  for (const pair of pairs) {
    const path = designatorPath(pair);
    if (!path) continue;
    const name = prefix + path;
    const value = pair.childForFieldName('value');
    if (value && value.type === 'initializer_list') {
      fields.push(...flattenFields(namedChildren(value).filter((child) => child.type === 'initializer_pair'), `${name}.`));
      continue;
    }
    fields.push({ name, value: value ? value.text.trim() : '', span: spanOf(pair) });
  }
  return fields;
}

/** `.a.b = v` → 'a.b'; array designators are skipped (not a field path). */
function designatorPath(pair: Node): string {
  const parts: string[] = [];
  for (const designator of pair.childrenForFieldName('designator')) {
    if (!designator || designator.type !== 'field_designator') continue;
    const field = designator.namedChild(0);
    if (field) parts.push(field.text);
  }
  return parts.join('.');
}

/** `foo_probe`, or `__exit_p(foo_remove)` / `pm_sleep_ptr(&foo_pm)`-style wrappers around one name. */
function callbackTarget(value: string): string | undefined {
  if (/^[A-Za-z_]\w*$/.test(value)) {
    return value === 'NULL' || value === 'true' || value === 'false' ? undefined : value;
  }
  const wrapped = /^\w+\(\s*&?\s*([A-Za-z_]\w*)\s*\)$/.exec(compact(value));
  return wrapped && /^(__exit_p|__devexit_p|pm_ptr|pm_sleep_ptr)$/.test(compact(value).split('(')[0]) ? wrapped[1] : undefined;
}

/** Where `.driver_managed_dma = true,` goes: on its own line before the outer closing brace. */
function insertionPoint(definition: StructDefinition, lines: LineInfo, text: string): DriverStructFact['insertBefore'] {
  const list = definition.list;
  if (!list) return null;
  const closing = list.child(list.childCount - 1);
  if (!closing || closing.type !== '}' || closing.isMissing) return null;
  const braceLine = startLine(closing);
  if (!lines.isVisible(braceLine)) return null;
  const lastPair = definition.pairs[definition.pairs.length - 1];
  if (lastPair && endLine(lastPair) >= braceLine) {
    return { line: braceLine, column: closing.startPosition.column + 1, indent: '' }; // `{ .a = b }` on one line
  }
  const indent = lastPair ? indentOfLine(text, lastPair.startIndex) : '\t';
  return { line: braceLine, column: 1, indent };
}

function indentOfLine(text: string, index: number): string {
  const lineStart = text.lastIndexOf('\n', index - 1) + 1;
  const match = /^[ \t]*/.exec(text.slice(lineStart, index));
  return match ? match[0] : '';
}


/** Driver struct types that carry the ownership flag in the merged kernel (spec §1.4 table). */
export const FLAG_DRIVER_TYPES = new Set(['pci_driver', 'platform_driver', 'amba_driver', 'fsl_mc_driver', 'cdx_driver']);

/**
 * The struct types of the drivers registered on bus `bus`, from what the text shows: a registration helper's
 * `drv->driver.bus = &bus` (the variable's declared `struct T *` type) or a driver definition whose initializer sets
 * `.driver.bus = &bus` / `.bus = &bus`. A bus's drivers are the structs registered on it, nothing else: pci-driver.c
 * defines pcie_port_bus_type next to pci_bus_type, but only portdrv.c registers (pcie_port_service_driver) on it.
 */
export function busDriverTypes(text: string, bus: string): string[] {
  const types = new Set<string>();
  const esc = bus.replace(/[^\w]/g, '');
  const assign = new RegExp(`([A-Za-z_]\\w*)\\s*(?:->|\\.)\\s*(?:driver|drv)\\s*\\.\\s*bus\\s*=\\s*&\\s*${esc}\\b`, 'g');
  for (let m = assign.exec(text); m; m = assign.exec(text)) {
    const type = declaredStructType(text.slice(0, m.index), m[1]);
    if (type) types.add(type);
  }
  const init = new RegExp(`\\.\\s*(?:(?:driver|drv)\\s*\\.\\s*)?bus\\s*=\\s*&\\s*${esc}\\b`, 'g');
  for (let m = init.exec(text); m; m = init.exec(text)) {
    const before = text.slice(Math.max(0, m.index - 4000), m.index);
    const defs = [...before.matchAll(/struct\s+(\w+)\s+[A-Za-z_]\w*\s*=\s*\{/g)];
    const last = defs[defs.length - 1];
    if (last && last[1] !== 'device_driver') types.add(last[1]);
  }
  return [...types].sort();
}

/** The `struct T` a variable was last declared with before `prefix` ends (parameter or local). */
function declaredStructType(prefix: string, name: string): string | undefined {
  const re = new RegExp(`struct\\s+(\\w+)\\s*\\*?\\s*(?:const\\s+)?\\b${name}\\b\\s*[,;=)\\[]`, 'g');
  let found: string | undefined;
  for (let m = re.exec(prefix); m; m = re.exec(prefix)) found = m[1];
  return found;
}

/**
 * What a driver's id table matches, read from the array its `.id_table` names: the class macros of
 * `PCI_DEVICE_CLASS(...)` / `.class = ...` entries, and whether any entry matches otherwise (vendor/device ids).
 * Undefined when the table is not in the text.
 */
export function idTableMatches(text: string, table: string): { classes: string[]; byOtherIds: boolean } | undefined {
  const name = table.replace(/^&/, '').replace(/[^\w]/g, '');
  if (!name) return undefined;
  const start = new RegExp(`\\b${name}\\s*\\[\\s*\\w*\\s*\\]\\s*=\\s*\\{`).exec(text);
  if (!start) return undefined;
  const body = text.slice(start.index + start[0].length);
  const end = body.search(/\}\s*;/);
  const table_ = (end >= 0 ? body.slice(0, end) : body).replace(/\/\*[\s\S]*?\*\//g, '').replace(/\/\/.*$/gm, '');
  const classes = new Set<string>();
  let byOtherIds = false;
  for (const entry of table_.split(/\}\s*,/)) {
    const e = entry.trim().replace(/^\{/, '').trim();
    if (!e || e === '{' || /^\{?\s*\}?$/.test(e) || /^0\s*,?\s*\}?$/.test(e)) continue; // the terminator
    const cls = /PCI_DEVICE_CLASS\s*\(\s*([^,]+?)\s*,/.exec(e) ?? /\.class\s*=\s*([^,}]+)/.exec(e);
    if (cls) for (const m of cls[1].matchAll(/PCI_CLASS_\w+/g)) classes.add(m[0]);
    if (!cls || /PCI_(VDEVICE|DEVICE)\s*\(|PCI_VENDOR_ID_|\.vendor\s*=/.test(e.replace(/PCI_DEVICE_CLASS/g, ''))) byOtherIds = true;
  }
  return { classes: [...classes].sort(), byOtherIds };
}
