/**
 * Mail handling: mbox splitting (git, b4 and generic From_ lines; mboxrd unescaping), RFC 5322 headers with
 * unfolding and encoded words, and MIME bodies (multipart, quoted-printable, base64) decoded to SourceLines.
 * Every step is one linear pass over the lines; no regex is run over more than one line.
 */
import { decodeBase64, decodeCharset, decodeEncodedWords, decodeQuotedPrintableLines } from './decode';
import { appendLines, emptySourceLines, pushLine, type SourceLines } from './lines';
import { findDiffStart } from './diff';

const WEEKDAY_DATE = /^From \S+ +(?:Mon|Tue|Wed|Thu|Fri|Sat|Sun) +(?:Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec) +\d{1,2} +\d{1,2}:\d\d/;
const HEADER_LINE = /^[A-Za-z0-9][A-Za-z0-9_-]*:/;

export function isHeaderLine(line: string | undefined): boolean {
  return line !== undefined && HEADER_LINE.test(line);
}

/**
 * An mbox "From_" separator: `From <40-hex> Mon Sep 17 00:00:00 2001` (git), `From git@z Thu Jan  1 00:00:00 1970` (b4),
 * or any `From sender date` line. A bare `From ` line only counts when a header follows and a blank line precedes,
 * so a commit message sentence starting with "From " does not split a message.
 */
export function isMboxSeparator(lines: readonly string[], index: number): boolean {
  const line = lines[index];
  if (!line.startsWith('From ')) return false;
  if (!isHeaderLine(lines[index + 1])) return false;
  if (WEEKDAY_DATE.test(line)) return true;
  return index === 0 || lines[index - 1] === '';
}

/** Message ranges [start, end) of an mbox (each starts at its From_ line). */
export function splitMbox(lines: readonly string[]): { start: number; end: number }[] {
  const starts: number[] = [];
  for (let i = 0; i < lines.length; i++) {
    // Cheap first-character test keeps this linear over huge inputs.
    if (lines[i].charCodeAt(0) === 70 /* F */ && isMboxSeparator(lines, i)) starts.push(i);
  }
  return starts.map((start, k) => ({ start, end: k + 1 < starts.length ? starts[k + 1] : lines.length }));
}

export interface Headers {
  /** Lower-cased name → unfolded, decoded value of the first occurrence. */
  values: Map<string, string>;
  /** Index of the first body line (after the blank line), or `end` when there is no body. */
  bodyStart: number;
}

/** Reads headers from lines[start] until the first blank line. Continuation lines (leading space/tab) are unfolded. */
export function readHeaders(lines: readonly string[], start: number, end: number): Headers {
  const values = new Map<string, string>();
  let name = '';
  let value = '';
  const flush = (): void => {
    if (name && !values.has(name)) values.set(name, decodeEncodedWords(value.trim()));
    name = '';
    value = '';
  };
  let i = start;
  for (; i < end; i++) {
    const line = lines[i];
    if (line === '') {
      i++;
      break;
    }
    if ((line[0] === ' ' || line[0] === '\t') && name) {
      value += ' ' + line.trim();
      continue;
    }
    const colon = line.indexOf(':');
    if (colon <= 0 || !HEADER_LINE.test(line)) {
      // Not a header: the body starts here (some tools omit the blank line).
      break;
    }
    flush();
    name = line.slice(0, colon).toLowerCase();
    value = line.slice(colon + 1);
  }
  flush();
  return { values, bodyStart: Math.min(i, end) };
}

/** True when the lines from `start` form a mail header block with a From: or Subject: field. */
export function looksLikeMailHeaders(lines: readonly string[], start: number): boolean {
  if (!isHeaderLine(lines[start])) return false;
  for (let i = start; i < lines.length && i < start + 400; i++) {
    const line = lines[i];
    if (line === '') return false;
    if (/^(?:from|subject):/i.test(line)) return true;
    if (!isHeaderLine(line) && line[0] !== ' ' && line[0] !== '\t') return false;
  }
  return false;
}

interface ContentType {
  type: string;
  params: Map<string, string>;
}

export function parseContentType(value: string | undefined): ContentType {
  const params = new Map<string, string>();
  if (!value) return { type: 'text/plain', params };
  const parts = splitParams(value);
  const type = (parts.shift() ?? 'text/plain').trim().toLowerCase() || 'text/plain';
  for (const part of parts) {
    const eq = part.indexOf('=');
    if (eq <= 0) continue;
    let v = part.slice(eq + 1).trim();
    if (v.startsWith('"') && v.endsWith('"') && v.length >= 2) v = v.slice(1, -1).replace(/\\(.)/g, '$1');
    params.set(part.slice(0, eq).trim().toLowerCase(), v);
  }
  return { type, params };
}

/** Splits `a; b="x;y"; c` on semicolons outside quotes. */
function splitParams(value: string): string[] {
  const out: string[] = [];
  let current = '';
  let quoted = false;
  for (let i = 0; i < value.length; i++) {
    const c = value[i];
    if (c === '"' && value[i - 1] !== '\\') quoted = !quoted;
    if (c === ';' && !quoted) {
      out.push(current);
      current = '';
    } else current += c;
  }
  out.push(current);
  return out;
}

export interface BodyProblem {
  message: string;
  line: number;
  kind: 'skipped' | 'failed';
}

export interface BodyOptions {
  /** mboxrd: lines matching /^>+From / lose one '>'. */
  unescapeFrom: boolean;
}

const PATCH_ATTACHMENT = /\.(?:patch|diff|c|h|txt|mbox|eml)$/i;

function isTextPart(type: string, params: Map<string, string>, disposition: ContentType): boolean {
  if (type === 'text/html') return false;
  if (type.startsWith('text/')) return true;
  if (type === 'application/x-patch' || type === 'application/x-diff' || type === 'application/mbox') return true;
  const name = disposition.params.get('filename') ?? params.get('name') ?? '';
  return type === 'application/octet-stream' && PATCH_ATTACHMENT.test(name);
}

/**
 * Decodes the body of a message or MIME part (lines[start..end)) with its headers into SourceLines.
 * Line mapping: plain parts map one to one; quoted-printable lines map to the encoded line they start on;
 * base64 parts cannot be mapped line by line, so every decoded line maps to the part's first body line.
 */
export function decodeBody(
  lines: readonly string[],
  headers: Map<string, string>,
  start: number,
  end: number,
  options: BodyOptions,
  label: string,
  out: SourceLines,
  problems: BodyProblem[],
  depth = 0,
): void {
  const contentType = parseContentType(headers.get('content-type'));
  const disposition = parseContentType(headers.get('content-disposition'));
  const encoding = (headers.get('content-transfer-encoding') ?? '7bit').trim().toLowerCase();
  if (depth > 20) {
    // Deeper nesting than any mailer produces: read it as text rather than recurse further.
    problems.push({ message: `MIME part ${label || 1}: nested more than 20 levels; read as plain text`, line: start + 1, kind: 'skipped' });
    copyPlain(lines, start, end, options, out);
    return;
  }

  if (contentType.type.startsWith('multipart/')) {
    const boundary = contentType.params.get('boundary');
    if (!boundary) {
      problems.push({ message: `MIME ${label}: multipart without a usable boundary; read as plain text`, line: start + 1, kind: 'skipped' });
      copyPlain(lines, start, end, options, out);
      return;
    }
    const { parts, preamble, epilogue } = splitMultipart(lines, start, end, boundary);
    if (parts.length === 0) {
      problems.push({ message: `MIME ${label || 'body'}: the boundary "${boundary.slice(0, 70)}" never occurs; read as plain text`, line: start + 1, kind: 'skipped' });
      copyPlain(lines, start, end, options, out);
      return;
    }
    // Text outside the parts is for non-MIME readers, but a diff pasted there is still a diff: review it.
    const outside = (range: { start: number; end: number } | undefined): void => {
      if (!range || range.end <= range.start) return;
      const text = emptySourceLines();
      copyPlain(lines, range.start, range.end, options, text);
      if (findDiffStart(text.texts) >= 0) appendLines(out, text);
    };
    const labelOf = (k: number): string => (label ? `${label}.${k + 1}` : `${k + 1}`);
    outside(preamble);
    if (contentType.type === 'multipart/alternative') {
      // Alternatives carry the same content: read one, the plain-text one unless only another carries the diff.
      const decoded = parts.map((part, k) => {
        const partHeaders = readHeaders(lines, part.start, part.end);
        const type = parseContentType(partHeaders.values.get('content-type')).type;
        const text = emptySourceLines();
        const partProblems: BodyProblem[] = [];
        decodeBody(lines, partHeaders.values, partHeaders.bodyStart, part.end, options, labelOf(k), text, partProblems, depth + 1);
        return { type, text, partProblems, hasDiff: findDiffStart(text.texts) >= 0 };
      });
      const chosen =
        decoded.find((d) => d.type === 'text/plain' && d.hasDiff) ??
        decoded.find((d) => d.hasDiff) ??
        decoded.find((d) => d.type === 'text/plain') ??
        decoded[0];
      appendLines(out, chosen.text);
      for (const p of chosen.partProblems) problems.push(p);
    } else {
      parts.forEach((part, k) => {
        const partHeaders = readHeaders(lines, part.start, part.end);
        decodeBody(lines, partHeaders.values, partHeaders.bodyStart, part.end, options, labelOf(k), out, problems, depth + 1);
      });
    }
    outside(epilogue);
    return;
  }

  if (contentType.type === 'message/rfc822') {
    const inner = readHeaders(lines, start, end);
    decodeBody(lines, inner.values, inner.bodyStart, end, options, label, out, problems, depth + 1);
    return;
  }

  // A signature authenticates the other parts; it carries nothing to review and is not worth a problem.
  if (/^application\/(?:pgp|pkcs7|x-pkcs7)-signature$/.test(contentType.type)) return;
  if (!isTextPart(contentType.type, contentType.params, disposition)) {
    const name = disposition.params.get('filename') ?? contentType.params.get('name');
    // A top-level non-text body still gets a label a user can find.
    problems.push({
      message: `skipped MIME part ${label || '1'} (${contentType.type}${name ? `, ${name}` : ''}): not text`,
      line: start + 1,
      kind: 'skipped',
    });
    return;
  }

  const charset = contentType.params.get('charset');
  if (encoding === 'base64') {
    const joined = lines.slice(start, end).join('');
    const invalid = invalidBase64Characters(joined);
    if (invalid > 0) {
      // A few stray characters (a mangled line) still decode; mostly-garbage text would decode to garbage.
      const usable = invalid * 100 <= joined.length;
      problems.push({
        message: `MIME part ${label || '1'}: ${invalid} characters outside the base64 alphabet${usable ? ' skipped while decoding' : ': not decoded, not reviewed'}`,
        line: start + 1,
        kind: 'skipped',
      });
      if (!usable) return;
    }
    const text = decodeCharset(decodeBase64(joined), charset);
    const decoded = text.split('\n');
    if (decoded.length > 1 && decoded[decoded.length - 1] === '') decoded.pop();
    for (const line of decoded) pushLine(out, stripCr(line), start + 1, 1);
    return;
  }
  if (encoding === 'quoted-printable') {
    const { bytes, startIndex } = decodeQuotedPrintableLines(lines.slice(start, end));
    for (let i = 0; i < bytes.length; i++) {
      // A decoded "=0A" can put several lines inside one encoded line: they all map to it.
      const pieces = decodeCharset(bytes[i], charset).split('\n');
      for (const piece of pieces) pushLine(out, stripCr(piece), start + startIndex[i] + 1, 1);
    }
    return;
  }
  copyPlain(lines, start, end, options, out);
}

function stripCr(line: string): string {
  return line.endsWith('\r') ? line.slice(0, -1) : line;
}

function copyPlain(lines: readonly string[], start: number, end: number, options: BodyOptions, out: SourceLines): void {
  for (let i = start; i < end; i++) {
    const line = lines[i];
    if (options.unescapeFrom && line.charCodeAt(0) === 62 /* > */ && /^>+From /.test(line)) pushLine(out, line.slice(1), i + 1, 2);
    else pushLine(out, line, i + 1, 1);
  }
}

/** Characters of a base64 body that are neither in the alphabet, padding, nor white space. */
function invalidBase64Characters(text: string): number {
  let n = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    const ok =
      (c >= 65 && c <= 90) || (c >= 97 && c <= 122) || (c >= 48 && c <= 57) || c === 43 || c === 47 || c === 61 || c === 32 || c === 9 || c === 13 || c === 10;
    if (!ok) n++;
  }
  return n;
}

/**
 * Part ranges [start, end) between `--boundary` lines, and the preamble before the first and the epilogue after
 * the closing boundary (each undefined when empty or absent).
 */
function splitMultipart(
  lines: readonly string[],
  start: number,
  end: number,
  boundary: string,
): { parts: { start: number; end: number }[]; preamble?: { start: number; end: number }; epilogue?: { start: number; end: number } } {
  const open = '--' + boundary;
  const close = open + '--';
  const parts: { start: number; end: number }[] = [];
  let partStart = -1;
  let first = -1;
  let closed = -1;
  for (let i = start; i < end; i++) {
    const line = lines[i];
    if (!line.startsWith(open)) continue;
    const trimmed = line.trimEnd();
    if (trimmed === close) {
      if (partStart >= 0) parts.push({ start: partStart, end: i });
      if (first < 0) first = i;
      partStart = -1;
      closed = i;
      break;
    }
    if (trimmed === open) {
      if (first < 0) first = i;
      if (partStart >= 0) parts.push({ start: partStart, end: i });
      partStart = i + 1;
    }
  }
  if (partStart >= 0) parts.push({ start: partStart, end });
  return {
    parts,
    preamble: first > start ? { start, end: first } : undefined,
    epilogue: closed >= 0 && closed + 1 < end ? { start: closed + 1, end } : undefined,
  };
}
