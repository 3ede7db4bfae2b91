/**
 * git's blob id of a text (`git hash-object`): SHA-1 of "blob <byte length>\0" + the bytes. Pure JavaScript so the
 * core stays host-free; used to tell whether a working file is exactly the pre-image a patch's `index` line names.
 */

function utf8(text: string): Uint8Array {
  return new TextEncoder().encode(text);
}

function rotl(x: number, n: number): number {
  return (x << n) | (x >>> (32 - n));
}

/** SHA-1 of bytes, lowercase hex (FIPS 180-4; enough for identification, not for security). */
export function sha1Hex(bytes: Uint8Array): string {
  const bitLen = bytes.length * 8;
  const padded = new Uint8Array(((bytes.length + 9 + 63) >> 6) << 6);
  padded.set(bytes);
  padded[bytes.length] = 0x80;
  const view = new DataView(padded.buffer);
  view.setUint32(padded.length - 8, Math.floor(bitLen / 0x100000000));
  view.setUint32(padded.length - 4, bitLen >>> 0);
  let h0 = 0x67452301, h1 = 0xefcdab89, h2 = 0x98badcfe, h3 = 0x10325476, h4 = 0xc3d2e1f0;
  const w = new Uint32Array(80);
  for (let off = 0; off < padded.length; off += 64) {
    for (let i = 0; i < 16; i++) w[i] = view.getUint32(off + i * 4);
    for (let i = 16; i < 80; i++) w[i] = rotl(w[i - 3] ^ w[i - 8] ^ w[i - 14] ^ w[i - 16], 1);
    let a = h0, b = h1, c = h2, d = h3, e = h4;
    for (let i = 0; i < 80; i++) {
      const [f, k] =
        i < 20 ? [(b & c) | (~b & d), 0x5a827999] : i < 40 ? [b ^ c ^ d, 0x6ed9eba1] : i < 60 ? [(b & c) | (b & d) | (c & d), 0x8f1bbcdc] : [b ^ c ^ d, 0xca62c1d6];
      const t = (rotl(a, 5) + f + e + k + w[i]) >>> 0;
      e = d;
      d = c;
      c = rotl(b, 30) >>> 0;
      b = a;
      a = t;
    }
    h0 = (h0 + a) >>> 0;
    h1 = (h1 + b) >>> 0;
    h2 = (h2 + c) >>> 0;
    h3 = (h3 + d) >>> 0;
    h4 = (h4 + e) >>> 0;
  }
  return [h0, h1, h2, h3, h4].map((h) => h.toString(16).padStart(8, '0')).join('');
}

/** The blob id git gives this text (UTF-8 bytes). */
export function gitBlobId(text: string): string {
  const body = utf8(text);
  const header = utf8(`blob ${body.length}\0`);
  const all = new Uint8Array(header.length + body.length);
  all.set(header);
  all.set(body, header.length);
  return sha1Hex(all);
}

/** True when `abbrev` (as on an `index` line, 7+ hex digits) names the blob of `text`. */
export function blobMatches(abbrev: string, text: string): boolean {
  return abbrev.length >= 7 && gitBlobId(text).startsWith(abbrev.toLowerCase());
}

/** An all-zero id: the side of a new (or deleted) file that has no blob. */
export function isNullBlob(id: string): boolean {
  return /^0+$/.test(id);
}
