/**
 * Byte and transfer-encoding decoding for the input layer: UTF-8 with a latin1 fallback, MIME charsets,
 * quoted-printable, base64 and RFC 2047 encoded words. Never throws.
 */

const REPLACEMENT = '\uFFFD';

/** Decodes bytes as UTF-8 (lossy, never throws); falls back to latin1 when most non-ASCII bytes are invalid UTF-8. */
export function decodeBytes(content: Uint8Array | string): { text: string; problems: string[] } {
  const problems: string[] = [];
  if (typeof content === 'string') {
    return { text: content.charCodeAt(0) === 0xfeff ? content.slice(1) : content, problems };
  }
  let bytes = content;
  if (bytes.length >= 3 && bytes[0] === 0xef && bytes[1] === 0xbb && bytes[2] === 0xbf) bytes = bytes.subarray(3);
  const text = new TextDecoder('utf-8', { fatal: false }).decode(bytes);
  const replaced = countChar(text, REPLACEMENT);
  if (replaced === 0) return { text, problems };
  let nonAscii = 0;
  for (let i = 0; i < bytes.length; i++) if (bytes[i] >= 0x80) nonAscii++;
  // A latin1 file gives about one invalid sequence per non-ASCII byte; UTF-8 with a few bad bytes gives far fewer.
  if (replaced * 2 >= nonAscii) {
    problems.push(`not valid UTF-8 (${replaced} invalid sequences): decoded as latin1`);
    return { text: latin1(bytes), problems };
  }
  problems.push(`${replaced} invalid UTF-8 sequences replaced with U+FFFD`);
  return { text, problems };
}

function countChar(text: string, ch: string): number {
  let n = 0;
  for (let i = text.indexOf(ch); i >= 0; i = text.indexOf(ch, i + 1)) n++;
  return n;
}

/** ISO-8859-1: every byte is the code point of the same value (TextDecoder's 'latin1' is windows-1252). */
export function latin1(bytes: Uint8Array): string {
  const parts: string[] = [];
  const chunk = 0x8000;
  for (let i = 0; i < bytes.length; i += chunk) {
    parts.push(String.fromCharCode.apply(null, Array.from(bytes.subarray(i, i + chunk))));
  }
  return parts.join('');
}

/** Decodes bytes in a MIME charset; unknown labels fall back to UTF-8. */
export function decodeCharset(bytes: Uint8Array, charset: string | undefined): string {
  const label = (charset ?? 'utf-8').trim().toLowerCase();
  if (label === 'iso-8859-1' || label === 'latin1' || label === 'us-ascii' || label === 'ascii') {
    // us-ascii mails often carry stray 8-bit bytes: latin1 keeps one character per byte.
    return latin1(bytes);
  }
  try {
    return new TextDecoder(label, { fatal: false }).decode(bytes);
  } catch {
    return new TextDecoder('utf-8', { fatal: false }).decode(bytes);
  }
}

/** Text (one character per byte, as produced by reading a 7/8-bit mail) back to bytes. */
export function binaryStringToBytes(text: string): Uint8Array {
  const out = new Uint8Array(text.length);
  for (let i = 0; i < text.length; i++) out[i] = text.charCodeAt(i) & 0xff;
  return out;
}

/** UTF-8 bytes of a string (the mail text is already decoded; re-encode to run a transfer decoding on it). */
export function utf8Bytes(text: string): Uint8Array {
  return new TextEncoder().encode(text);
}

function hexValue(code: number): number {
  if (code >= 48 && code <= 57) return code - 48;
  if (code >= 65 && code <= 70) return code - 55;
  if (code >= 97 && code <= 102) return code - 87;
  return -1;
}

/**
 * Decodes quoted-printable lines. Returns the decoded lines (as bytes) and, for each, the index of the encoded
 * line it starts on, so a decoded line maps back to the mail exactly (soft breaks join encoded lines).
 */
export function decodeQuotedPrintableLines(lines: readonly string[]): { bytes: Uint8Array[]; startIndex: number[] } {
  const out: Uint8Array[] = [];
  const startIndex: number[] = [];
  let current: number[] = [];
  let currentStart = -1;
  for (let li = 0; li < lines.length; li++) {
    const line = lines[li];
    if (currentStart < 0) currentStart = li;
    let end = line.length;
    while (end > 0 && (line[end - 1] === ' ' || line[end - 1] === '\t')) end--; // transport may pad lines
    let soft = false;
    if (end > 0 && line[end - 1] === '=') {
      soft = true;
      end--;
    }
    for (let i = 0; i < end; i++) {
      const c = line.charCodeAt(i);
      if (c === 61 /* = */ && i + 2 < end) {
        const hi = hexValue(line.charCodeAt(i + 1));
        const lo = hexValue(line.charCodeAt(i + 2));
        if (hi >= 0 && lo >= 0) {
          current.push(hi * 16 + lo);
          i += 2;
          continue;
        }
      }
      pushCodePointUtf8(current, line.codePointAt(i) ?? c);
      if (c >= 0xd800 && c <= 0xdbff) i++;
    }
    if (!soft) {
      out.push(Uint8Array.from(current));
      startIndex.push(currentStart);
      current = [];
      currentStart = -1;
    }
  }
  if (currentStart >= 0) {
    out.push(Uint8Array.from(current));
    startIndex.push(currentStart);
  }
  return { bytes: out, startIndex };
}

function pushCodePointUtf8(out: number[], cp: number): void {
  if (cp < 0x80) out.push(cp);
  else if (cp < 0x800) out.push(0xc0 | (cp >> 6), 0x80 | (cp & 63));
  else if (cp < 0x10000) out.push(0xe0 | (cp >> 12), 0x80 | ((cp >> 6) & 63), 0x80 | (cp & 63));
  else out.push(0xf0 | (cp >> 18), 0x80 | ((cp >> 12) & 63), 0x80 | ((cp >> 6) & 63), 0x80 | (cp & 63));
}

const BASE64_ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';
const BASE64_VALUES: Int16Array = (() => {
  const table = new Int16Array(128).fill(-1);
  for (let i = 0; i < BASE64_ALPHABET.length; i++) table[BASE64_ALPHABET.charCodeAt(i)] = i;
  return table;
})();

/** Lenient base64: skips characters outside the alphabet, stops at padding. */
export function decodeBase64(text: string): Uint8Array {
  const out = new Uint8Array(Math.floor((text.length * 3) / 4) + 3);
  let n = 0;
  let acc = 0;
  let bits = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 61 /* = */) break;
    const v = c < 128 ? BASE64_VALUES[c] : -1;
    if (v < 0) continue;
    acc = (acc << 6) | v;
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out[n++] = (acc >> bits) & 0xff;
    }
    acc &= 0xffff;
  }
  return out.subarray(0, n);
}

/** Decodes RFC 2047 encoded words (`=?utf-8?q?...?=`, `=?UTF-8?B?...?=`); whitespace between adjacent words is dropped. */
export function decodeEncodedWords(value: string): string {
  if (!value.includes('=?')) return value;
  const re = /=\?([^?\s]+)\?([qQbB])\?([^?\s]*)\?=/g;
  let result = '';
  let last = 0;
  let previousWasWord = false;
  for (let m = re.exec(value); m; m = re.exec(value)) {
    const between = value.slice(last, m.index);
    if (!(previousWasWord && /^\s*$/.test(between))) result += between;
    const charset = m[1].split('*')[0];
    const bytes = m[2].toLowerCase() === 'b' ? decodeBase64(m[3]) : decodeQWord(m[3]);
    result += decodeCharset(bytes, charset);
    last = m.index + m[0].length;
    previousWasWord = true;
  }
  return result + value.slice(last);
}

function decodeQWord(word: string): Uint8Array {
  const out: number[] = [];
  for (let i = 0; i < word.length; i++) {
    const c = word.charCodeAt(i);
    if (c === 95 /* _ */) out.push(32);
    else if (c === 61 /* = */ && i + 2 < word.length && hexValue(word.charCodeAt(i + 1)) >= 0 && hexValue(word.charCodeAt(i + 2)) >= 0) {
      out.push(hexValue(word.charCodeAt(i + 1)) * 16 + hexValue(word.charCodeAt(i + 2)));
      i += 2;
    } else pushCodePointUtf8(out, c);
  }
  return Uint8Array.from(out);
}
