/**
 * Flattens a function body into the instruction program the replay interprets (see Instr in ../types):
 * calls in evaluation order, branches and jumps for if/else, goto, loops (body once, skippable) and switch,
 * and the few assignments that later conditions and returns read.
 */
import type { Node } from 'web-tree-sitter';
import type { CallFact, Cond, ImageSpan, Instr, Subject, ValueExpr } from '../types';
import { compact, endLine, LineInfo, spanOf, startLine } from './lines';
import {
  argumentNodes, binaryParts, calleeName, calleeNameNode, constantOf, declaredName, ERRNO, ERROR_POINTER_MACROS, firstNamedNonComment,
  hasCall, isExpressionType, isLoopMacro, isLvalue, isStatementType, lastIdentifier, LEAF_TYPES, matchingParenthesis,
  namedChildren, NOT_CALLS, parseInteger, splitArguments, stripCondition, TRANSPARENT_MACROS, textOf, typeOf, withoutNodes,
} from './syntax';

type ResultUse = CallFact['resultUse'];

const COMPARISONS = new Set(['<', '<=', '==', '!=', '>', '>=']);
const FLIPPED: Record<string, '<' | '<=' | '==' | '!=' | '>' | '>='> = {
  '<': '>', '<=': '>=', '==': '==', '!=': '!=', '>': '<', '>=': '<=',
};

const NO_PARTS = { operator: undefined, left: null, right: null };

interface BreakFrame {
  breaks: number[];
  continues: number[] | null; // null for a switch (continue goes to the enclosing loop)
}

export interface ProgramResult {
  calls: CallFact[];
  program: Instr[];
  labels: Record<string, number>;
  devmActions: { fn: string; call: CallFact }[];
}

export class ProgramBuilder {
  readonly program: Instr[] = [];
  readonly calls: CallFact[] = [];
  readonly labels: Record<string, number> = {};
  readonly devmActions: { fn: string; call: CallFact }[] = [];
  private readonly gotos: { pc: number; label: string; span: ImageSpan }[] = [];
  private readonly frames: BreakFrame[] = [];
  private errorDepth = 0;
  /** Last image line covered by emitted statements (for gap detection between visible ranges). */
  private lastLine: number;

  constructor(
    private readonly lines: LineInfo,
    private readonly functionName: string | undefined,
    firstLine: number,
    inErrorRegion = false,
  ) {
    this.lastLine = firstLine;
    if (inErrorRegion) this.errorDepth = 1;
  }

  // ───────────── statements ─────────────

  /** Emits a gap when unseen lines lie between the last statement and `line`. */
  gapUntil(line: number): void {
    if (this.lines.everyLineVisible) return;
    const unseen = this.lines.unseenWithin(this.lastLine + 1, line - 1);
    if (unseen) this.pushGap(unseen.from, unseen.to);
    if (line - 1 > this.lastLine) this.lastLine = line - 1;
  }

  pushGap(from: number, to: number): void {
    const last = this.program[this.program.length - 1];
    if (last && last.op === 'gap') {
      last.span = { ...last.span, endLine: Math.max(last.span.endLine, to) };
      return;
    }
    this.program.push({ op: 'gap', span: { line: from, column: 1, endLine: to, endColumn: 1 } });
  }

  /** Statements in order, with gaps for unseen lines between them. */
  statementList(nodes: Node[]): void {
    for (let i = 0; i < nodes.length; i++) {
      const node = nodes[i];
      const type = typeOf(node);
      if (type === 'comment') continue;
      this.gapUntil(startLine(node));
      // `list_for_each_entry(pos, head, member) { ... }` parses as a call missing its ';' followed by a block.
      if (type === 'expression_statement' && i + 1 < nodes.length && isLoopMacro(node)) {
        this.loopMacro(node, nodes[i + 1]);
        i++;
        this.touch(nodes[i]);
        continue;
      }
      this.statement(node);
      this.touch(node);
    }
  }

  /**
   * Calls read from the text of one line the parser cannot make sense of (the tail of a call whose start is not
   * visible): `name(...)` with both parentheses on the line, innermost first, as evaluated.
   */
  textualCalls(text: string, line: number): void {
    const found: { call: CallFact; close: number }[] = [];
    for (const match of text.matchAll(/\b([A-Za-z_]\w*)\s*\(/g)) {
      const name = match[1];
      if (NOT_CALLS.has(name)) continue;
      const open = match.index + match[0].length - 1;
      const close = matchingParenthesis(text, open);
      if (close < 0) continue;
      const call: CallFact = {
        callee: name,
        args: splitArguments(text, open, close, line),
        span: { line, column: match.index + 1, endLine: line, endColumn: close + 2 },
        calleeSpan: { line, column: match.index + 1, endLine: line, endColumn: match.index + name.length + 1 },
        resultUse: 'other',
        added: this.lines.isAdded(line),
        inErrorRegion: true,
      };
      if (this.functionName !== undefined) call.inFunction = this.functionName;
      found.push({ call, close });
    }
    found.sort((a, b) => a.close - b.close);
    for (const { call } of found) {
      this.calls.push(call);
      this.program.push({ op: 'call', call });
    }
    if (line > this.lastLine) this.lastLine = line;
  }

  /** Pieces of an ERROR node, in order: their calls are marked inErrorRegion. */
  errorPieces(nodes: Node[]): void {
    this.errorDepth++;
    this.statementList(nodes);
    this.errorDepth--;
  }

  private touch(node: Node): void {
    if (this.lines.everyLineVisible) return; // only gap detection reads lastLine
    const last = endLine(node);
    if (last > this.lastLine) this.lastLine = last;
  }

  statement(node: Node): void {
    switch (typeOf(node)) {
      case 'compound_statement':
        this.statementList(namedChildren(node));
        return;
      case 'expression_statement': {
        const parts = namedChildren(node).filter((child) => typeOf(child) !== 'comment');
        if (parts[0]) this.effect(parts[0]);
        for (const rest of parts.slice(1)) this.scanCalls(rest); // ERROR pieces after the expression
        return;
      }
      case 'declaration':
        this.declaration(node);
        return;
      case 'if_statement':
        this.ifStatement(node);
        return;
      case 'return_statement': {
        const expression = firstNamedNonComment(node);
        const value = expression ? this.value(expression, 'returned') : null;
        this.program.push({ op: 'return', value, span: spanOf(node) });
        return;
      }
      case 'goto_statement': {
        const label = node.childForFieldName('label');
        const span = spanOf(node);
        this.gotos.push({ pc: this.program.length, label: label ? textOf(label) : '', span });
        this.program.push({ op: 'jump', target: -1, span });
        return;
      }
      case 'labeled_statement': {
        const label = node.childForFieldName('label');
        if (label) {
          this.labels[textOf(label)] = this.program.length;
          this.program.push({ op: 'label', name: textOf(label), span: spanOf(label) });
        }
        this.statementList(namedChildren(node).filter((child) => typeOf(child) !== 'statement_identifier'));
        return;
      }
      case 'for_statement':
        this.forStatement(node);
        return;
      case 'while_statement': {
        const condition = node.childForFieldName('condition');
        if (condition) this.value(condition, 'tested');
        this.loopBody(node.childForFieldName('body'), condition ? textOf(condition) : 'while', spanOf(node));
        return;
      }
      case 'do_statement': {
        const frame = this.pushFrame(true);
        const body = node.childForFieldName('body');
        if (body) this.statement(body);
        const condition = node.childForFieldName('condition');
        if (condition) this.value(condition, 'tested');
        this.popFrame(frame);
        return;
      }
      case 'switch_statement':
        this.switchStatement(node);
        return;
      case 'case_statement':
        // Only reached outside a visible switch (hunk starting inside one): run the case's statements.
        this.statementList(withoutNodes(namedChildren(node), node.childForFieldName('value')));
        return;
      case 'break_statement':
      case 'continue_statement':
        this.breakOrContinue(node);
        return;
      case 'preproc_if':
      case 'preproc_ifdef':
      case 'preproc_elif':
      case 'preproc_elifdef':
        this.preprocessorConditional(node);
        return;
      case 'preproc_else':
        this.statementList(namedChildren(node));
        return;
      case 'attributed_statement':
        this.statementList(namedChildren(node).filter((child) => typeOf(child) !== 'attribute_declaration'));
        return;
      case 'ERROR':
        this.errorRegion(node);
        return;
      case 'comment':
      case 'type_definition':
      case 'preproc_def':
      case 'preproc_function_def':
      case 'preproc_call':
      case 'preproc_include':
        return;
      default:
        this.scanCalls(node);
    }
  }

  private declaration(node: Node): void {
    for (const child of namedChildren(node)) {
      if (typeOf(child) !== 'init_declarator') continue;
      const target = declaredName(child.childForFieldName('declarator'));
      const value = child.childForFieldName('value');
      if (!value) continue;
      if (typeOf(value) === 'initializer_list') {
        this.scanCalls(value);
        continue;
      }
      this.assign(target, value, spanOf(child));
    }
  }

  /** `target = valueNode`: a call gets assignTo, a simple value becomes an assign instruction. */
  private assign(target: string | undefined, valueNode: Node, span: ImageSpan): void {
    const value = this.value(valueNode, 'assigned', target);
    if (!target) return;
    if (value.kind === 'call') {
      const instr = this.program[value.pc];
      if (instr && instr.op === 'call') {
        instr.assignTo = target;
        instr.call.assignedTo = target;
        instr.call.resultUse = 'assigned';
      }
      return;
    }
    this.program.push({ op: 'assign', target, value, span });
  }

  private ifStatement(node: Node): void {
    const condition = node.childForFieldName('condition');
    const falseJumps = condition ? this.jumpsWhenFalse(condition) : [];
    const consequence = node.childForFieldName('consequence');
    if (consequence) {
      this.gapUntil(startLine(consequence));
      this.statement(consequence);
      this.touch(consequence);
    }
    const alternative = node.childForFieldName('alternative');
    if (!alternative) {
      this.patch(falseJumps, this.program.length);
      return;
    }
    const skipElse = this.program.length;
    this.program.push({ op: 'jump', target: -1, span: spanOf(alternative) });
    this.patch(falseJumps, this.program.length);
    const elseBody = typeOf(alternative) === 'else_clause' ? namedChildren(alternative) : [alternative];
    this.statementList(elseBody);
    this.patch([skipElse], this.program.length);
  }

  private forStatement(node: Node): void {
    const initializer = node.childForFieldName('initializer');
    if (initializer) {
      if (typeOf(initializer) === 'declaration') this.declaration(initializer);
      else this.effect(initializer);
    }
    const condition = node.childForFieldName('condition');
    if (condition) this.value(condition, 'tested');
    const body = node.childForFieldName('body');
    this.loopBody(body, condition ? textOf(condition) : 'for', spanOf(node), node.childForFieldName('update'));
  }

  /** A loop runs its body once or not at all: a branch on an unknown condition may skip it (no back edges). */
  private loopBody(body: Node | null, conditionText: string, span: ImageSpan, update?: Node | null): void {
    const skip = this.program.length;
    this.program.push({ op: 'branch', cond: { kind: 'unknown', text: `loop ${compact(conditionText)}` }, target: -1, span });
    const frame = this.pushFrame(true);
    if (body) {
      this.statement(body);
      this.touch(body);
    }
    this.patch(frame.continues ?? [], this.program.length);
    if (update) this.effect(update);
    this.frames.pop();
    const end = this.program.length;
    this.patch(frame.breaks, end);
    this.patch([skip], end);
  }

  private loopMacro(header: Node, body: Node): void {
    const call = header.namedChild(0);
    const args = call?.childForFieldName('arguments');
    if (args) this.scanCalls(args);
    this.touch(header);
    this.loopBody(body, call ? textOf(call) : 'for_each', spanOf(header));
  }

  private switchStatement(node: Node): void {
    const condition = node.childForFieldName('condition');
    if (condition) this.value(condition, 'tested');
    const body = node.childForFieldName('body');
    const cases = body ? namedChildren(body).filter((child) => typeOf(child) === 'case_statement') : [];
    const dispatch: { pc: number; caseNode: Node }[] = [];
    let defaultCase: Node | undefined;
    for (const caseNode of cases) {
      const value = caseNode.childForFieldName('value');
      if (!value) {
        defaultCase = caseNode;
        continue;
      }
      dispatch.push({ pc: this.program.length, caseNode });
      this.program.push({ op: 'branch', cond: { kind: 'unknown', text: `case ${compact(textOf(value))}` }, target: -1, span: spanOf(caseNode) });
    }
    const toDefault = this.program.length;
    this.program.push({ op: 'jump', target: -1, span: spanOf(node) });
    const frame = this.pushFrame(false);
    for (const caseNode of cases) {
      const entry = dispatch.find((d) => d.caseNode === caseNode);
      if (entry) this.patch([entry.pc], this.program.length);
      if (caseNode === defaultCase) this.patch([toDefault], this.program.length);
      this.gapUntil(startLine(caseNode));
      this.statement(caseNode);
      this.touch(caseNode);
    }
    this.frames.pop();
    const end = this.program.length;
    if (!defaultCase) this.patch([toDefault], end);
    this.patch(frame.breaks, end);
  }

  private breakOrContinue(node: Node): void {
    const isBreak = typeOf(node) === 'break_statement';
    for (let i = this.frames.length - 1; i >= 0; i--) {
      const frame = this.frames[i];
      const list = isBreak ? frame.breaks : frame.continues;
      if (!list) continue;
      list.push(this.program.length);
      this.program.push({ op: 'jump', target: -1, span: spanOf(node) });
      return;
    }
    // The enclosing loop or switch is not visible: where control goes is unknown.
    const span = spanOf(node);
    this.pushGap(span.line, span.endLine);
  }

  private preprocessorConditional(node: Node): void {
    const condition = node.childForFieldName('condition') ?? node.childForFieldName('name');
    const alternative = node.childForFieldName('alternative');
    const body = withoutNodes(namedChildren(node), condition, alternative);
    const skip = this.program.length;
    const text = `${typeOf(node) === 'preproc_ifdef' ? node.child(0)?.text ?? '#ifdef' : '#if'} ${condition ? compact(textOf(condition)) : ''}`;
    this.program.push({ op: 'branch', cond: { kind: 'unknown', text }, target: -1, span: spanOf(node) });
    this.statementList(body);
    if (!alternative) {
      this.patch([skip], this.program.length);
      return;
    }
    const skipElse = this.program.length;
    this.program.push({ op: 'jump', target: -1, span: spanOf(alternative) });
    this.patch([skip], this.program.length);
    this.statement(alternative);
    this.patch([skipElse], this.program.length);
  }

  /** Calls inside a parse error: still reported (marked inErrorRegion), with whatever structure survived. */
  private errorRegion(node: Node): void {
    this.errorDepth++;
    const children = namedChildren(node);
    for (let i = 0; i < children.length; i++) {
      const child = children[i];
      if (isStatementType(typeOf(child))) {
        this.gapUntil(startLine(child));
        this.statement(child);
        this.touch(child);
      } else if (isExpressionType(typeOf(child))) {
        this.effect(child);
      } else {
        this.scanCalls(child);
      }
    }
    this.errorDepth--;
  }

  private pushFrame(isLoop: boolean): BreakFrame {
    const frame: BreakFrame = { breaks: [], continues: isLoop ? [] : null };
    this.frames.push(frame);
    return frame;
  }

  private popFrame(frame: BreakFrame): void {
    this.frames.pop();
    const end = this.program.length;
    this.patch(frame.breaks, end);
    this.patch(frame.continues ?? [], end);
  }

  private patch(pcs: number[], target: number): void {
    for (const pc of pcs) {
      const instr = this.program[pc];
      if (instr && (instr.op === 'jump' || instr.op === 'branch')) instr.target = target;
    }
  }

  // ───────────── conditions ─────────────

  /** Emits the condition's calls and branches that jump when it is false; returns those jumps to patch. */
  jumpsWhenFalse(node: Node): number[] {
    return this.jumpsWhen(node, false);
  }

  private jumpsWhenTrue(node: Node): number[] {
    return this.jumpsWhen(node, true);
  }

  /**
   * Short-circuit compilation of a condition: branches that jump when it evaluates to `sense`. `&&`/`||` whose right side
   * calls something are split so that call is only emitted on the path C evaluates it.
   */
  private jumpsWhen(node: Node, sense: boolean): number[] {
    const inner = stripCondition(node);
    if (typeOf(inner) === 'binary_expression') {
      const { operator, left, right } = binaryParts(inner);
      if (left && right && (operator === '&&' || operator === '||') && hasCall(right)) {
        // `a || b` is true when either is; `a && b` is false when either is: both sides jump to the same place.
        if (operator === (sense ? '||' : '&&')) return [...this.jumpsWhen(left, sense), ...this.jumpsWhen(right, sense)];
        // Otherwise the left side decides only in the other sense: it skips the right side, which alone jumps.
        const skipRight = this.jumpsWhen(left, !sense);
        const jumps = this.jumpsWhen(right, sense);
        this.patch(skipRight, this.program.length);
        return jumps;
      }
    }
    const cond = this.condition(inner);
    const pc = this.program.length;
    this.program.push({ op: 'branch', cond: sense ? cond : negate(cond), target: -1, span: spanOf(node) });
    return [pc];
  }

  /** A Cond for `node`, emitting the calls it makes first. */
  condition(raw: Node): Cond {
    const node = stripCondition(raw);
    switch (typeOf(node)) {
      case 'unary_expression': {
        const operator = node.childForFieldName('operator')?.type;
        const argument = node.childForFieldName('argument');
        if (operator === '!' && argument) return negate(this.condition(argument));
        break;
      }
      case 'binary_expression': {
        const parts = binaryParts(node);
        const operator = parts.operator ?? '';
        const { left, right } = parts;
        if (!left || !right) break;
        if (operator === '&&' || operator === '||') {
          const leftCond = this.condition(left);
          const rightCond = this.condition(right);
          return { kind: operator === '&&' ? 'and' : 'or', left: leftCond, right: rightCond };
        }
        if (COMPARISONS.has(operator)) return this.comparison(node, operator, left, right);
        break;
      }
      case 'call_expression': {
        const callee = calleeName(node);
        const argument = argumentNodes(node)[0];
        if ((callee === 'IS_ERR' || callee === 'IS_ERR_OR_NULL') && argument) {
          const subject = this.subject(argument);
          if (subject) return { kind: callee === 'IS_ERR' ? 'isErr' : 'isErrOrNull', subject };
          break;
        }
        if (callee === 'WARN' && argument) return this.condition(argument);
        const value = this.value(node, 'tested');
        if (value.kind === 'call') return { kind: 'truthy', subject: { kind: 'call', pc: value.pc } };
        return valueAsCondition(value, textOf(node));
      }
      case 'number_literal':
      case 'true':
      case 'false': {
        const value = this.value(node, 'tested');
        if (value.kind === 'int') return { kind: 'const', value: value.value !== 0 };
        break;
      }
      default: {
        const subject = this.subject(node);
        if (subject) return { kind: 'truthy', subject };
      }
    }
    this.scanCalls(node, 'tested');
    return { kind: 'unknown', text: compact(textOf(node)) };
  }

  private comparison(node: Node, operator: string, left: Node, right: Node): Cond {
    const op = operator as '<' | '<=' | '==' | '!=' | '>' | '>=';
    const leftConstant = constantOf(left);
    const rightConstant = constantOf(right);
    if (rightConstant !== undefined) {
      const subject = this.subject(left);
      if (subject) return { kind: 'cmp', subject, op, rhs: rightConstant };
    } else if (leftConstant !== undefined) {
      const subject = this.subject(right);
      if (subject) return { kind: 'cmp', subject, op: FLIPPED[op], rhs: leftConstant };
    } else {
      const subject = this.subject(left);
      const other = stripCondition(right);
      if (subject && isLvalue(other)) return { kind: 'cmp', subject, op, rhs: compact(textOf(other)) };
      if (subject) this.scanCalls(right, 'tested');
      if (subject) return { kind: 'unknown', text: compact(textOf(node)) };
    }
    this.scanCalls(node, 'tested');
    return { kind: 'unknown', text: compact(textOf(node)) };
  }

  /** What a condition looks at: a call (emitted now), an assignment's target, or an lvalue. */
  private subject(raw: Node): Subject | null {
    const node = stripCondition(raw);
    if (typeOf(node) === 'call_expression') {
      const callee = calleeName(node);
      if (TRANSPARENT_MACROS.has(callee) || ERROR_POINTER_MACROS.has(callee)) return null;
      const value = this.value(node, 'tested');
      return value.kind === 'call' ? { kind: 'call', pc: value.pc } : value.kind === 'var' ? value : null;
    }
    if (typeOf(node) === 'assignment_expression') {
      const target = node.childForFieldName('left');
      this.effect(node);
      return target ? { kind: 'var', name: compact(textOf(target)) } : null;
    }
    if (isLvalue(node)) {
      this.scanCalls(node);
      return { kind: 'var', name: compact(textOf(node)) };
    }
    return null;
  }

  // ───────────── expressions ─────────────

  /** An expression evaluated for its effects only (expression statement). */
  effect(node: Node): void {
    if (typeOf(node) === 'assignment_expression') {
      const left = node.childForFieldName('left');
      const right = node.childForFieldName('right');
      const operator = node.childForFieldName('operator')?.type;
      if (left) this.scanCalls(left);
      if (!right) return;
      const target = left ? compact(textOf(left)) : undefined;
      if (operator === '=') {
        this.assign(target, right, spanOf(node));
      } else {
        this.value(right, 'other');
        if (target) this.program.push({ op: 'assign', target, value: { kind: 'unknown', text: compact(textOf(node)) }, span: spanOf(node) });
      }
      return;
    }
    if (typeOf(node) === 'comma_expression') {
      for (const child of namedChildren(node)) this.effect(child);
      return;
    }
    this.value(node, 'ignored');
  }

  /** The value of `node` as a ValueExpr; calls inside are emitted in evaluation order. */
  value(node: Node, use: ResultUse, assignTo?: string): ValueExpr {
    switch (typeOf(node)) {
      case 'parenthesized_expression': {
        const inner = firstNamedNonComment(node);
        return inner ? this.value(inner, use, assignTo) : unknownOf(node);
      }
      case 'call_expression':
        return this.callValue(node, use);
      case 'cast_expression': {
        const inner = node.childForFieldName('value');
        if (!inner) return unknownOf(node);
        const type = node.childForFieldName('type');
        const toVoid = type !== null && compact(textOf(type)) === 'void';
        return this.value(inner, toVoid && use === 'ignored' ? 'void-cast' : use, assignTo);
      }
      case 'number_literal': {
        const parsed = parseInteger(textOf(node));
        return parsed === undefined ? unknownOf(node) : { kind: 'int', value: parsed };
      }
      case 'true':
        return { kind: 'int', value: 1 };
      case 'false':
        return { kind: 'int', value: 0 };
      case 'null':
        return { kind: 'null' };
      case 'identifier': {
        const name = textOf(node);
        if (name === 'NULL') return { kind: 'null' };
        if (ERRNO[name] !== undefined) return { kind: 'int', value: ERRNO[name] };
        return { kind: 'var', name };
      }
      case 'unary_expression': {
        const operator = node.childForFieldName('operator')?.type;
        const argument = node.childForFieldName('argument');
        if (operator === '-' && argument) {
          const inner = typeOf(argument) === 'parenthesized_expression' ? firstNamedNonComment(argument) ?? argument : argument;
          if (typeOf(inner) === 'identifier' && /^E[A-Z0-9_]+$/.test(textOf(inner))) {
            const number = ERRNO[textOf(inner)];
            return number !== undefined ? { kind: 'int', value: -number } : { kind: 'errno', name: textOf(inner) };
          }
          if (typeOf(inner) === 'number_literal') {
            const parsed = parseInteger(textOf(inner));
            if (parsed !== undefined) return { kind: 'int', value: -parsed };
          }
        }
        if (argument) this.value(argument, 'other');
        return unknownOf(node);
      }
      case 'field_expression':
      case 'subscript_expression':
      case 'pointer_expression':
        this.scanCalls(node);
        return { kind: 'var', name: compact(textOf(node)) };
      case 'assignment_expression': {
        this.effect(node);
        const left = node.childForFieldName('left');
        return left ? { kind: 'var', name: compact(textOf(left)) } : unknownOf(node);
      }
      case 'conditional_expression': {
        const condition = node.childForFieldName('condition');
        const falseJumps = condition ? this.jumpsWhenFalse(condition) : [];
        const consequence = node.childForFieldName('consequence');
        if (consequence) this.value(consequence, 'other');
        const skip = this.program.length;
        this.program.push({ op: 'jump', target: -1 });
        this.patch(falseJumps, this.program.length);
        const alternative = node.childForFieldName('alternative');
        if (alternative) this.value(alternative, 'other');
        this.patch([skip], this.program.length);
        return unknownOf(node);
      }
      case 'binary_expression': {
        // Without a parenthesis no operand calls anything (hasCall): the operator need not be read.
        const text = textOf(node);
        const { operator, left, right } = text.includes('(') || text.includes(')') ? binaryParts(node) : NO_PARTS;
        if (left && right && (operator === '&&' || operator === '||') && hasCall(right)) {
          const shortCircuit = operator === '&&' ? this.jumpsWhenFalse(left) : this.jumpsWhenTrue(left);
          this.value(right, 'other');
          this.patch(shortCircuit, this.program.length);
          return unknownOf(node);
        }
        this.scanCalls(node, use === 'tested' ? 'tested' : 'other'); // operands left to right, ERROR pieces included
        return unknownOf(node);
      }
      case 'comma_expression': {
        const parts = namedChildren(node);
        for (let i = 0; i < parts.length - 1; i++) this.effect(parts[i]);
        const last = parts[parts.length - 1];
        return last ? this.value(last, use, assignTo) : unknownOf(node);
      }
      case 'sizeof_expression':
      case 'alignof_expression':
      case 'offsetof_expression':
      case 'string_literal':
      case 'concatenated_string':
      case 'char_literal':
        return unknownOf(node); // not evaluated at run time, or constant
      default:
        this.scanCalls(node, use === 'tested' ? 'tested' : 'other');
        return unknownOf(node);
    }
  }

  private callValue(node: Node, use: ResultUse): ValueExpr {
    const functionNode = node.childForFieldName('function');
    const callee = functionNode ? compact(textOf(functionNode)) : '';
    const args = argumentNodes(node);
    if (TRANSPARENT_MACROS.has(callee) && args.length === 1) {
      // WARN_ON(foo()) checks foo's result; likely()/unlikely() pass the use through.
      return this.value(args[0], callee.startsWith('WARN') ? 'tested' : use);
    }
    if (ERROR_POINTER_MACROS.has(callee)) {
      if (args.length !== 1) {
        for (const arg of args) this.value(arg, 'argument');
        return unknownOf(node);
      }
      if (callee === 'PTR_ERR') {
        const subject = this.subject(args[0]);
        return subject ? { kind: 'ptrErr', subject } : unknownOf(node);
      }
      if (callee === 'ERR_PTR') return { kind: 'errPtr', value: this.value(args[0], 'argument') };
      if (callee === 'ERR_CAST') return this.value(args[0], use);
      this.value(args[0], 'argument');
      return unknownOf(node);
    }
    const argValues = args.map((arg) => this.value(arg, 'argument'));
    const call: CallFact = {
      callee,
      args: args.map((arg) => ({ text: textOf(arg).trim(), span: spanOf(arg) })),
      span: spanOf(node),
      calleeSpan: spanOf(calleeNameNode(functionNode) ?? node),
      resultUse: use,
      added: this.lines.isAdded(startLine(node)),
      inErrorRegion: this.errorDepth > 0 || (this.lines.treeHasError && node.hasError),
    };
    if (this.functionName !== undefined) call.inFunction = this.functionName;
    const pc = this.program.length;
    this.calls.push(call);
    this.program.push({ op: 'call', call });
    if ((callee === 'devm_add_action' || callee === 'devm_add_action_or_reset') && args[1]) {
      const fn = lastIdentifier(args[1]);
      if (fn) this.devmActions.push({ fn, call });
    }
    // dev_err_probe() logs and returns its error argument: the function returns that value.
    if (callee === 'dev_err_probe' && argValues[1]) return argValues[1];
    return { kind: 'call', pc };
  }

  /** Emits every call in `node` (itself included), in source order, arguments before their call. */
  scanCalls(node: Node, use: ResultUse = 'other'): void {
    if (typeOf(node) === 'call_expression') {
      this.value(node, use);
      return;
    }
    if (typeOf(node) === 'ERROR') {
      this.errorDepth++;
      this.scanChildren(node, use);
      this.errorDepth--;
      return;
    }
    this.scanChildren(node, use);
  }

  private scanChildren(node: Node, use: ResultUse): void {
    if (!this.mayEmit(node)) return;
    for (const child of node.namedChildren) {
      if (!child) continue;
      const type = typeOf(child);
      if (LEAF_TYPES.has(type) || type === 'sizeof_expression' || type === 'comment') continue;
      if (type === 'call_expression' || type === 'ERROR') this.scanCalls(child, use);
      else if (type === 'compound_statement' || (this.errorDepth > 0 && isStatementType(type))) this.statement(child);
      else this.scanChildren(child, use);
    }
  }

  /**
   * False when scanning `node` cannot emit anything: outside an error region only a call, an ERROR or a compound
   * statement below it emits, and a subtree without errors (so without parser-inserted missing tokens) that holds
   * neither '(' nor '{' has none. One text read instead of a wasm round trip per descendant (most operands are
   * `priv->dev`, `i + 1`: half the builder's node reads went into them).
   */
  private mayEmit(node: Node): boolean {
    if (this.errorDepth > 0) return true;
    const text = textOf(node);
    if (text.includes('(') || text.includes('{')) return true;
    return this.lines.treeHasError && node.hasError;
  }

  // ───────────── finish ─────────────

  /** Resolves gotos; a label that is not visible becomes unseen code followed by an unknown return. */
  finish(): ProgramResult {
    for (const pending of this.gotos) {
      if (this.labels[pending.label] === undefined) {
        this.labels[pending.label] = this.program.length;
        this.program.push({ op: 'label', name: pending.label, span: pending.span });
        this.program.push({ op: 'gap', span: pending.span });
        this.program.push({ op: 'return', value: { kind: 'unknown', text: `code after ${pending.label}: not visible` }, span: pending.span });
      }
      const instr = this.program[pending.pc];
      if (instr.op === 'jump') instr.target = this.labels[pending.label];
    }
    // Any jump still unpatched (should not happen) falls through to the end rather than pointing nowhere.
    for (const instr of this.program) {
      if ((instr.op === 'jump' || instr.op === 'branch') && instr.target < 0) instr.target = this.program.length;
    }
    return { calls: this.calls, program: this.program, labels: this.labels, devmActions: this.devmActions };
  }
}

// ───────────── condition and value helpers ─────────────

function negate(cond: Cond): Cond {
  if (cond.kind === 'not') return cond.cond;
  if (cond.kind === 'const') return { kind: 'const', value: !cond.value };
  return { kind: 'not', cond };
}

function valueAsCondition(value: ValueExpr, text: string): Cond {
  switch (value.kind) {
    case 'var':
      return { kind: 'truthy', subject: value };
    case 'call':
      return { kind: 'truthy', subject: { kind: 'call', pc: value.pc } };
    case 'int':
      return { kind: 'const', value: value.value !== 0 };
    case 'null':
      return { kind: 'const', value: false };
    default:
      return { kind: 'unknown', text: compact(text) };
  }
}

function unknownOf(node: Node): ValueExpr {
  return { kind: 'unknown', text: compact(textOf(node)) };
}
