/** Syntax helpers over web-tree-sitter nodes and kernel C conventions, shared by the program builder and the extractor. */
import { Query } from 'web-tree-sitter';
import type { Language, Node } from 'web-tree-sitter';
import type { ImageSpan } from '../types';
import { compact } from './lines';

import { ERRNO } from '../errno';

export { ERRNO };

/** Macros that only pass a value through: they are not calls the replay should see. */
export const TRANSPARENT_MACROS = new Set(['likely', 'unlikely', 'WARN_ON', 'WARN_ON_ONCE']);
/** Pointer-error helpers, modelled as values and conditions rather than calls. */
export const ERROR_POINTER_MACROS = new Set(['IS_ERR', 'IS_ERR_OR_NULL', 'PTR_ERR', 'ERR_PTR', 'ERR_CAST', 'PTR_ERR_OR_ZERO']);

/** Keywords and operators that look like `name(` but are not calls. */
export const NOT_CALLS = new Set(['if', 'for', 'while', 'switch', 'return', 'sizeof', 'typeof', '__typeof__', 'defined', 'alignof', '_Alignof']);

/** Index of the ')' closing the '(' at `open` on the same line, or -1. */
export function matchingParenthesis(text: string, open: number): number {
  let depth = 0;
  for (let i = open; i < text.length; i++) {
    if (text[i] === '(') depth++;
    else if (text[i] === ')' && --depth === 0) return i;
  }
  return -1;
}

/** Top-level comma-separated arguments between `open` and `close`, with their spans on `line`. */
export function splitArguments(text: string, open: number, close: number, line: number): { text: string; span: ImageSpan }[] {
  const args: { text: string; span: ImageSpan }[] = [];
  let depth = 0;
  let start = open + 1;
  const push = (end: number): void => {
    const raw = text.slice(start, end);
    const trimmed = raw.trim();
    if (!trimmed) return;
    const column = start + raw.indexOf(trimmed) + 1;
    args.push({ text: trimmed, span: { line, column, endLine: line, endColumn: column + trimmed.length } });
  };
  for (let i = open + 1; i < close; i++) {
    const ch = text[i];
    if (ch === '(' || ch === '[' || ch === '{') depth++;
    else if (ch === ')' || ch === ']' || ch === '}') depth--;
    else if (ch === ',' && depth === 0) {
      push(i);
      start = i + 1;
    }
  }
  push(close);
  return args;
}

/** Node types with no children worth visiting. */
export const LEAF_TYPES = new Set([
  'identifier', 'field_identifier', 'type_identifier', 'statement_identifier', 'number_literal', 'string_literal',
  'char_literal', 'true', 'false', 'null', 'primitive_type', 'string_content', 'escape_sequence', 'system_lib_string',
]);

export const STATEMENT_TYPES = new Set([
  'compound_statement', 'expression_statement', 'if_statement', 'switch_statement', 'case_statement', 'while_statement',
  'do_statement', 'for_statement', 'return_statement', 'break_statement', 'continue_statement', 'goto_statement',
  'labeled_statement', 'declaration', 'attributed_statement', 'preproc_if', 'preproc_ifdef', 'preproc_else',
  'preproc_elif', 'preproc_elifdef', 'ERROR',
]);

export function isStatementType(type: string): boolean {
  return STATEMENT_TYPES.has(type);
}


type BinaryParts = { operator: string | undefined; left: Node | null; right: Node | null };

/**
 * What the builders read of one Node object, kept on it: each read of a node's type, or of its end index (for its
 * text), is a round trip into WebAssembly, and the builders ask the same node several times (statementList then
 * statement, scanChildren then scanCalls then value). Node objects are fresh per access from the parent, but a parent
 * keeps its children array. One property of one shape, so web-tree-sitter's own property reads stay monomorphic.
 */
interface NodeMemo {
  type: string | undefined;
  text: string | undefined;
  parts: BinaryParts | undefined;
}

function memoOf(node: Node): NodeMemo {
  const held = node as Node & { iommuReviewMemo?: NodeMemo };
  return (held.iommuReviewMemo ??= { type: undefined, text: undefined, parts: undefined });
}

/** A node's type, read from wasm once per Node object. */
export function typeOf(node: Node): string {
  const memo = memoOf(node);
  return (memo.type ??= node.type);
}

/** A node's text, read once per Node object. */
export function textOf(node: Node): string {
  const memo = memoOf(node);
  return (memo.text ??= node.text);
}

/** A binary expression's operator and operands, read once per Node object (jumpsWhen, then condition, compile the
 * same node). */
export function binaryParts(node: Node): BinaryParts {
  const memo = memoOf(node);
  return (memo.parts ??= {
    operator: node.childForFieldName('operator')?.type,
    left: node.childForFieldName('left'),
    right: node.childForFieldName('right'),
  });
}

/** Named children in one wasm round trip (namedChild(i) in a loop costs one per child). */
export function namedChildren(node: Node): Node[] {
  const children = node.namedChildren;
  for (const child of children) if (child === null) return children.filter((c): c is Node => c !== null);
  return children as Node[];
}

export function firstNamedNonComment(node: Node): Node | null {
  for (const child of node.namedChildren) if (child && typeOf(child) !== 'comment') return child;
  return null;
}

/** `nodes` minus the given ones (Node objects are fresh per access: compare ids, not references). */
export function withoutNodes(nodes: Node[], ...excluded: (Node | null)[]): Node[] {
  const ids = new Set(excluded.filter((node): node is Node => node !== null).map((node) => node.id));
  return ids.size === 0 ? nodes : nodes.filter((node) => !ids.has(node.id));
}

export function calleeName(call: Node): string {
  const fn = call.childForFieldName('function');
  return fn ? compact(textOf(fn)) : '';
}

/** The identifier a diagnostic should point at: the name, or the field of `ops->name`. */
export function calleeNameNode(fn: Node | null): Node | null {
  if (!fn) return null;
  if (typeOf(fn) === 'field_expression') return fn.childForFieldName('field') ?? fn;
  if (typeOf(fn) === 'parenthesized_expression') return calleeNameNode(firstNamedNonComment(fn));
  return fn;
}

export function argumentNodes(call: Node): Node[] {
  const list = call.childForFieldName('arguments');
  return list ? namedChildren(list).filter((child) => typeOf(child) !== 'comment') : [];
}

export function stripCondition(node: Node): Node {
  let current = node;
  for (;;) {
    if (typeOf(current) === 'parenthesized_expression') {
      const inner = firstNamedNonComment(current);
      if (!inner) return current;
      current = inner;
      continue;
    }
    if (typeOf(current) === 'call_expression') {
      const args = argumentNodes(current);
      if (TRANSPARENT_MACROS.has(calleeName(current)) && args.length === 1) {
        current = args[0];
        continue;
      }
    }
    return current;
  }
}

export function isLvalue(node: Node): boolean {
  return typeOf(node) === 'identifier' || typeOf(node) === 'field_expression' || typeOf(node) === 'subscript_expression'
    || (typeOf(node) === 'pointer_expression' && node.childForFieldName('operator')?.type === '*');
}

/** True when evaluating `node` calls a real function (not a condition macro such as IS_ERR or unlikely). */
export function hasCall(node: Node): boolean {
  // A call has an argument list, and an argument list a parenthesis of the text (the parser inserts at most one
  // missing token where it recovers): without one, skip the subtree search.
  const text = textOf(node);
  if (!text.includes('(') && !text.includes(')')) return false;
  return callsBelow(node).some((call) => {
    const callee = calleeName(call);
    return !TRANSPARENT_MACROS.has(callee) && !ERROR_POINTER_MACROS.has(callee);
  });
}

const callQueries = new WeakMap<Language, Query>();

/**
 * The call expressions of `node`'s subtree, itself included. A compiled query finds them in one wasm call;
 * descendantsOfType costs a scan of all the language's node types in JS on every call (three times as long).
 */
function callsBelow(node: Node): Node[] {
  const language = node.tree.language;
  let query = callQueries.get(language);
  if (!query) {
    query = new Query(language, '(call_expression) @call');
    callQueries.set(language, query);
  }
  return query.captures(node).map((capture) => capture.node);
}

/**
 * How many ERROR nodes the tree below `root` holds (root included). Only subtrees that hold an error are entered
 * (hasError is true for every ancestor of an ERROR node but the lexer's ERROR leaves, which have no error cost of
 * their own: every child of an entered node is looked at), so a tree with a few broken spots costs a few spines,
 * not a walk of every node.
 */
export function countErrorNodes(root: Node): number {
  let count = typeOf(root) === 'ERROR' ? 1 : 0;
  const stack: Node[] = [root];
  for (let node = stack.pop(); node; node = stack.pop()) {
    for (const child of node.children) {
      if (!child) continue;
      if (typeOf(child) === 'ERROR') count++;
      if (child.hasError) stack.push(child);
    }
  }
  return count;
}

export function isLoopMacro(statement: Node): boolean {
  if (!/for_each|^for_/.test(textOf(statement))) return false;
  const call = statement.namedChild(0);
  if (!call || typeOf(call) !== 'call_expression') return false;
  const last = statement.child(statement.childCount - 1);
  const missingSemicolon = !last || typeOf(last) !== ';' || last.isMissing;
  return missingSemicolon && /for_each|^for_/.test(calleeName(call));
}

export const EXPRESSION_TYPES = new Set([
  'call_expression', 'assignment_expression', 'binary_expression', 'unary_expression', 'update_expression',
  'cast_expression', 'pointer_expression', 'field_expression', 'subscript_expression', 'conditional_expression',
  'parenthesized_expression', 'comma_expression',
]);

export function isExpressionType(type: string): boolean {
  return EXPRESSION_TYPES.has(type);
}

/** Name declared by a declarator (`*foo`, `foo[4]`, `foo`), if any. */
export function declaredName(declarator: Node | null): string | undefined {
  let current = declarator;
  while (current) {
    if (typeOf(current) === 'identifier' || typeOf(current) === 'field_identifier') return textOf(current);
    current = current.childForFieldName('declarator') ?? (typeOf(current) === 'parenthesized_declarator' ? current.namedChild(0) : null);
  }
  return undefined;
}

export function lastIdentifier(node: Node): string | undefined {
  if (typeOf(node) === 'identifier') return textOf(node);
  const ids = node.descendantsOfType('identifier');
  const last = ids[ids.length - 1];
  return last ? textOf(last) : undefined;
}

export function constantOf(node: Node): number | string | undefined {
  const inner = stripCondition(node);
  if (typeOf(inner) === 'number_literal') return parseInteger(textOf(inner));
  if (typeOf(inner) === 'null' || (typeOf(inner) === 'identifier' && textOf(inner) === 'NULL')) return 0;
  if (typeOf(inner) === 'true') return 1;
  if (typeOf(inner) === 'false') return 0;
  if (typeOf(inner) === 'unary_expression' && inner.childForFieldName('operator')?.type === '-') {
    const argument = inner.childForFieldName('argument');
    if (argument?.type === 'identifier' && ERRNO[textOf(argument)] !== undefined) return -ERRNO[textOf(argument)];
    if (argument?.type === 'identifier' && /^E[A-Z0-9_]+$/.test(textOf(argument))) return `-${textOf(argument)}`;
    if (argument?.type === 'number_literal') {
      const parsed = parseInteger(textOf(argument));
      return parsed === undefined ? undefined : -parsed;
    }
  }
  return undefined;
}

export function parseInteger(text: string): number | undefined {
  const cleaned = text.replace(/[uUlL]+$/, '');
  if (/^0[xX][0-9a-fA-F]+$/.test(cleaned)) return parseInt(cleaned.slice(2), 16);
  if (/^0[0-7]+$/.test(cleaned)) return parseInt(cleaned, 8);
  if (/^[0-9]+$/.test(cleaned)) return parseInt(cleaned, 10);
  return undefined;
}
