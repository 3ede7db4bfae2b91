/**
 * DMA mask setters: when can they fail? kernel/dma/mapping.c (6.1 and 6.12): dma_set_mask(),
 * dma_set_coherent_mask() — and so dma_set_mask_and_coherent() and dma_coerce_mask_and_coherent(), which first points
 * dev->dma_mask at coherent_dma_mask — return -EIO only when dma_supported() refuses the mask (or dev->dma_mask is
 * NULL, which coerce rules out). dma_supported() accepts every mask under dma-iommu and for dma_map_ops without a
 * .dma_supported method; dma-direct (dma_direct_supported(), kernel/dma/direct.c) accepts every mask >=
 * DMA_BIT_MASK(32): "we expect every architecture to be able to satisfy them". Only ops with their own
 * .dma_supported (alpha, sparc and powerpc IOMMUs, PS3, Xen grant DMA) may refuse such a mask; the replay follows
 * dma-direct and dma-iommu, so a setter whose mask is provably at least 32 bits wide returns 0.
 *
 * "Provably": the mask text is a literal mask (DMA_BIT_MASK(n), n >= 32; all-ones), a local whose every assignment
 * in the function is such a mask (its address never taken), or a struct field that only the file's static
 * initializers set (per-SoC match data) and that no code of the file writes, each of its values such a mask.
 */
import type { CFacts, FunctionFact, Instr } from '../types';
import { lastComponent, normText } from './env';

export const DMA_MASK_SETTERS = new Set(['dma_set_mask', 'dma_set_coherent_mask', 'dma_set_mask_and_coherent', 'dma_coerce_mask_and_coherent']);

const ALL_ONES = /^(~0(ULL|UL|LL|L|U)?|~\(u64\)0|~\(dma_addr_t\)0|U64_MAX|ULLONG_MAX|-1ULL|\(u64\)-1|DMA_BIT_MASK\(64\))$/;

function assignTarget(i: Extract<Instr, { op: 'call' }>): string | undefined {
  return i.assignTo ?? (i.call.resultUse === 'assigned' ? i.call.assignedTo : undefined);
}

/** A width in bits known to be at least 32: a number, or a field only static initializers set, each such a number. */
function bitsAtLeast32(facts: CFacts, text: string, depth: number): boolean {
  const t = normText(text);
  if (/^\d+$/.test(t)) return Number(t) >= 32;
  return depth < 4 && staticOnly(facts, t, (v) => bitsAtLeast32(facts, v, depth + 1));
}

/** The field `text` names is set only by the file's static initializers, and every value satisfies `ok`. */
function staticOnly(facts: CFacts, text: string, ok: (value: string) => boolean): boolean {
  if (!/->|\./.test(text) || /[()[\]]/.test(text)) return false;
  const field = lastComponent(text);
  const values = facts.staticFields?.[field];
  if (!facts.complete || !values?.length || writtenByCode(facts, field)) return false;
  return values.every(ok);
}

const writtenCache = new WeakMap<CFacts, Set<string>>();

/** Field names some code of the file assigns, receives a call's result in, or hands out by address. */
function writtenByCode(facts: CFacts, field: string): boolean {
  let out = writtenCache.get(facts);
  if (!out) {
    out = new Set<string>();
    const add = (t: string) => {
      const n = normText(t).replace(/^[&*]+/, '');
      if (/->|\./.test(n)) out?.add(lastComponent(n).replace(/\[.*$/, ''));
    };
    for (const fn of facts.functions) {
      for (const i of fn.program) {
        if (i.op === 'assign') add(i.target);
        if (i.op === 'call') {
          const t = assignTarget(i);
          if (t) add(t);
          for (const a of i.call.args) if (/^\s*&/.test(a.text)) add(a.text);
        }
      }
    }
    writtenCache.set(facts, out);
  }
  return out.has(field);
}

/** A mask expression provably at least DMA_BIT_MASK(32) wide in `fn` (see the header). */
function maskAtLeast32(facts: CFacts, fn: FunctionFact, text: string, depth: number): boolean {
  const t = normText(text);
  if (depth > 4) return false;
  if (ALL_ONES.test(t)) return true;
  const bits = /^DMA_BIT_MASK\((.+)\)$/.exec(t);
  if (bits) return bitsAtLeast32(facts, bits[1], depth);
  if (/^0x[0-9a-f]+(ULL|UL|LL|L|U)?$/i.test(t)) return parseInt(t.replace(/[UL]+$/i, ''), 16) >= 0xffffffff;
  const ternary = /^[^?]+\?([^:?]+):([^:?]+)$/.exec(t);
  if (ternary) return maskAtLeast32(facts, fn, ternary[1], depth + 1) && maskAtLeast32(facts, fn, ternary[2], depth + 1);
  if (/^[A-Za-z_]\w*$/.test(t)) return localAtLeast32(facts, fn, t, depth);
  return staticOnly(facts, t, (v) => maskAtLeast32(facts, fn, v, depth + 1));
}

/** Every assignment of local `name` in `fn` is a wide mask, and nothing else can write it. */
function localAtLeast32(facts: CFacts, fn: FunctionFact, name: string, depth: number): boolean {
  if (fn.params.some((param) => param.name === name) || !fn.complete) return false;
  let defs = 0;
  for (const i of fn.program) {
    if (i.op === 'gap') return false;
    if (i.op === 'assign' && normText(i.target) === name) {
      defs++;
      const v = i.value;
      const ok = v.kind === 'var' ? maskAtLeast32(facts, fn, v.name, depth + 1)
        : v.kind === 'unknown' ? maskAtLeast32(facts, fn, v.text, depth + 1)
          : v.kind === 'int' ? v.value >= 0xffffffff : false;
      if (!ok) return false;
    }
    if (i.op === 'call') {
      if (i.call.args.some((a) => normText(a.text) === `&${name}`)) return false;
      if (assignTarget(i) && normText(assignTarget(i) as string) === name) {
        defs++;
        // DMA_BIT_MASK(n) is parsed as a call whose result the local receives.
        if (i.call.callee !== 'DMA_BIT_MASK' || !bitsAtLeast32(facts, i.call.args[0]?.text ?? '', depth + 1)) return false;
      }
    }
  }
  return defs > 0;
}

const resultCache = new WeakMap<FunctionFact, Map<number, boolean>>();

/** True when the setter called at `pc` of `fn` cannot fail under dma-direct or dma-iommu (its mask is wide enough). */
export function maskSetterCannotFail(facts: CFacts, fn: FunctionFact, pc: number): boolean {
  const instr = fn.program[pc];
  if (instr?.op !== 'call' || !DMA_MASK_SETTERS.has(instr.call.callee)) return false;
  let byPc = resultCache.get(fn);
  if (!byPc) resultCache.set(fn, (byPc = new Map()));
  const hit = byPc.get(pc);
  if (hit !== undefined) return hit;
  const mask = instr.call.args[1]?.text;
  const out = mask !== undefined && maskAtLeast32(facts, fn, mask, 0);
  byPc.set(pc, out);
  return out;
}
