/**
 * Hand-built facts for the simulation tests: a tiny program builder that resolves goto labels,
 * and minimal CFacts / DriverStructFact objects. (Not a test file: the sim-*.test.ts files import it.)
 */
import type { BusKind, CFacts, Cond, DriverStructFact, FunctionFact, Instr, Span, ValueExpr } from '../../src/core/types';

export const span = (line: number, column = 2): Span => ({ line, column, endLine: line, endColumn: column + 10 });

type Pending = Instr | { op: 'pending-branch'; cond: Cond; label: string; span: Span } | { op: 'pending-jump'; label: string; span: Span };

/** Builds a program line by line: each instruction gets the next line number, starting at `firstLine`. */
export class Prog {
  private items: Pending[] = [];
  private line: number;
  constructor(firstLine = 10) {
    this.line = firstLine;
  }
  private next(): Span {
    return span(this.line++);
  }
  /** `[assign =] callee(args...)` */
  call(callee: string, args: string[] = [], assign?: string): this {
    const s = this.next();
    this.items.push({
      op: 'call', ...(assign ? { assignTo: assign } : {}),
      call: {
        callee, args: args.map((text, i) => ({ text, span: { ...s, column: 10 + i * 6 } })), span: s, calleeSpan: s,
        resultUse: assign ? 'assigned' : 'ignored', ...(assign ? { assignedTo: assign } : {}), added: true, inErrorRegion: false,
      },
    });
    return this;
  }
  /** `if (cond) goto label;` */
  ifGoto(cond: Cond, label: string): this {
    this.items.push({ op: 'pending-branch', cond, label, span: this.next() });
    return this;
  }
  goto(label: string): this {
    this.items.push({ op: 'pending-jump', label, span: this.next() });
    return this;
  }
  label(name: string): this {
    this.items.push({ op: 'label', name, span: this.next() });
    return this;
  }
  assign(target: string, value: ValueExpr): this {
    this.items.push({ op: 'assign', target, value, span: this.next() });
    return this;
  }
  ret(value: ValueExpr | null): this {
    this.items.push({ op: 'return', value, span: this.next() });
    return this;
  }
  gap(): this {
    this.items.push({ op: 'gap', span: this.next() });
    return this;
  }
  /** The line the next instruction will get. */
  get nextLine(): number {
    return this.line;
  }
  build(): { program: Instr[]; labels: Record<string, number> } {
    const labels: Record<string, number> = {};
    this.items.forEach((it, i) => {
      if (it.op === 'label') labels[it.name] = i;
    });
    const program = this.items.map((it): Instr => {
      if (it.op === 'pending-branch') return { op: 'branch', cond: it.cond, target: labels[it.label], span: it.span };
      if (it.op === 'pending-jump') return { op: 'jump', target: labels[it.label], span: it.span };
      return it;
    });
    return { program, labels };
  }
}

export const v = (name: string) => ({ kind: 'var' as const, name });
export const truthy = (name: string): Cond => ({ kind: 'truthy', subject: v(name) });
export const not = (cond: Cond): Cond => ({ kind: 'not', cond });
export const isErr = (name: string): Cond => ({ kind: 'isErr', subject: v(name) });
export const int = (value: number): ValueExpr => ({ kind: 'int', value });
export const varOf = (name: string): ValueExpr => ({ kind: 'var', name });

export function fn(name: string, prog: Prog, params: { name: string; type: string }[] = [{ name: 'pdev', type: 'struct pci_dev *' }]): FunctionFact {
  const { program, labels } = prog.build();
  return {
    name, nameSpan: span(1), span: span(1), isStatic: true, params, returnType: 'int', complete: true,
    calls: program.flatMap((i) => (i.op === 'call' ? [i.call] : [])), program,
    devmActions: program.flatMap((i) => (i.op === 'call' && i.call.callee.startsWith('devm_add_action') ? [{ fn: i.call.args[1]?.text ?? '', call: i.call }] : [])),
    labels, addedLines: [],
  };
}

export function facts(functions: FunctionFact[], extra: Partial<CFacts> = {}): CFacts {
  return {
    path: 'drivers/test/fake.c', image: 'file', complete: true, drivers: [], busTypes: [], functions, dmaApi: [], mmio: [], identifiers: [],
    registrations: [], addedLines: [], visibleLines: [{ from: 1, to: 999 }], parse: { errorNodes: 0, timedOut: false, bytes: 0 }, ...extra,
  };
}

export function driver(opts: {
  name?: string; bus?: BusKind; probe?: string; remove?: string; flag?: string; spelling?: string; inDeviceDriver?: boolean;
}): DriverStructFact {
  const flagPresent = opts.flag !== undefined;
  return {
    name: opts.name ?? 'fake_driver', structType: `${opts.bus ?? 'pci'}_driver`, bus: opts.bus ?? 'pci', nameSpan: span(90), span: span(90),
    insertBefore: null, fields: [], complete: true,
    managedDma: flagPresent
      ? { state: 'present', spelling: opts.spelling ?? 'driver_managed_dma', value: opts.flag, span: span(95), inDeviceDriver: opts.inDeviceDriver ?? false }
      : { state: 'absent' },
    callbacks: { ...(opts.probe ? { probe: opts.probe } : {}), ...(opts.remove ? { remove: opts.remove } : {}) },
    addedLines: [],
  };
}
