/**
 * Which device a `struct device *` expression names, read statically from a file's programs (the replay resolves the
 * same thing dynamically, api-calls.ts resolveDevice). A driver names its own device (`dev`, `&pdev->dev`, `priv->dev`)
 * or a device it created (platform_device_register_full & co., stored and passed on: `priv->fw.dev = &child->dev`).
 * A created device is another device with its own IOMMU group: attaching a domain to it says nothing about the DMA
 * the driver does through its own device, and vice versa.
 */
import type { CFacts, FunctionFact } from '../types';
import { normText } from './env';
import { DEVICE_CREATORS } from './api-calls';

/** Calls whose (address-of) argument becomes a device the driver registers itself (embedded child devices). */
const EMBEDDED_DEVICE_INIT = new Set(['device_initialize', 'device_register', 'auxiliary_device_init', 'platform_device_add']);

const WRAPPERS = /^(?:to_platform_device|to_pci_dev|to_amba_device|to_auxiliary_dev|to_fsl_mc_device|to_cdx_device|get_device)\((.+)\)$/;

/** Calls that return some other, already existing device (a lookup), never the bound one. */
const DEVICE_LOOKUPS = new Set(['of_find_device_by_node', 'bus_find_device', 'bus_find_device_by_name', 'bus_find_device_by_of_node',
  'class_find_device', 'device_find_child', 'pci_get_device', 'pci_get_slot', 'pci_get_domain_bus_and_slot', 'platform_find_device_by_driver']);

export interface CreatedDevices {
  /** Member paths (after the base pointer) holding a created device anywhere in the file: `fw.dev`. */
  members: Set<string>;
  /** Per function: locals holding a created device. */
  locals: Map<string, Set<string>>;
}

/** `ar_snoc->fw.dev` → `fw.dev`; a plain name → undefined. */
function memberPath(text: string): string | undefined {
  const m = /^[A-Za-z_]\w*(?:\[[^\]]*\])?(?:->|\.)(.+)$/.exec(text);
  return m ? m[1].replace(/->/g, '.') : undefined;
}

function bare(text: string): string {
  let t = normText(text).replace(/^&/, '');
  for (let m = WRAPPERS.exec(t); m; m = WRAPPERS.exec(t)) t = normText(m[1]).replace(/^&/, '');
  return t;
}

/** The created-device key an expression names in `fn`, or undefined when it names the driver's own device (or is unknown). */
export function createdDeviceKey(created: CreatedDevices, fn: FunctionFact | undefined, text: string | undefined): string | undefined {
  if (text === undefined) return undefined;
  const t = bare(text);
  const locals = fn ? created.locals.get(fn.name) : undefined;
  const candidates = [t];
  const dev = /^(.+?)(?:->|\.)dev$/.exec(t);
  if (dev) candidates.push(bare(dev[1]));
  for (const c of candidates) {
    if (/^[A-Za-z_]\w*$/.test(c)) {
      if (locals?.has(c)) return `${fn?.name}:${c}`;
      continue;
    }
    const m = memberPath(c);
    if (m && created.members.has(m)) return `member:${m}`;
  }
  return undefined;
}

/**
 * Every device the file's code creates (or looks up: another existing device) and where it is kept (two passes: values flow through assignments). */
export function createdDevices(facts: CFacts): CreatedDevices {
  const created: CreatedDevices = { members: new Set(), locals: new Map() };
  const mark = (fn: FunctionFact, target: string) => {
    const t = bare(target);
    if (/^[A-Za-z_]\w*$/.test(t)) {
      let set = created.locals.get(fn.name);
      if (!set) created.locals.set(fn.name, (set = new Set()));
      set.add(t);
      return;
    }
    const m = memberPath(t);
    if (m) created.members.add(m);
  };
  for (let pass = 0; pass < 2; pass++) {
    for (const fn of facts.functions) {
      for (const instr of fn.program) {
        if (instr.op === 'call') {
          const target = instr.assignTo ?? (instr.call.resultUse === 'assigned' ? instr.call.assignedTo : undefined);
          if ((DEVICE_CREATORS.has(instr.call.callee) || DEVICE_LOOKUPS.has(instr.call.callee)) && target) mark(fn, target);
          if (EMBEDDED_DEVICE_INIT.has(instr.call.callee) && instr.call.args[0] && /^&/.test(normText(instr.call.args[0].text))) {
            mark(fn, instr.call.args[0].text);
          }
        } else if (instr.op === 'assign' && instr.value.kind === 'var' && createdDeviceKey(created, fn, instr.value.name)) {
          mark(fn, instr.target);
        }
      }
    }
  }
  return created;
}
