/**
 * MD5 over the UTF-8 bytes of a string, written for the evaluation hot path.
 *
 * `node:crypto` costs a few microseconds per call (an OpenSSL context per hash); bucketing hashes a
 * short `salt:subject` string per evaluation, so this implementation encodes into one reusable
 * buffer and runs the rounds on local integers, allocating nothing per call. It is verified
 * against `node:crypto` in md5.test.ts, including non-ASCII input and multi-block messages.
 */

// One buffer seen as bytes (to encode into) and as 32-bit words (to hash from). Words are read in
// the platform's byte order, which MD5 needs to be little-endian; big-endian machines swap them.
let buffer = new Uint8Array(256);
let words = new Int32Array(buffer.buffer);
const LITTLE_ENDIAN = new Uint8Array(new Uint32Array([1]).buffer)[0] === 1;
const state = new Int32Array(4);

function ensureCapacity(bytes: number): void {
  if (bytes > buffer.length) {
    let size = buffer.length;
    while (size < bytes) size *= 2;
    const next = new Uint8Array(size);
    next.set(buffer);
    buffer = next;
    words = new Int32Array(buffer.buffer);
  }
}

/**
 * Writes `text` as UTF-8 into the shared buffer at `offset` and returns the offset after it.
 * Lone surrogates become U+FFFD, as `Buffer.from(text, "utf8")` and `TextEncoder` do.
 */
function writeUtf8(text: string, offset: number): number {
  // Worst case is 3 bytes per UTF-16 unit, plus room for MD5 padding (at most 72 bytes).
  ensureCapacity(offset + text.length * 3 + 72);
  const out = buffer;
  let p = offset;
  const n = text.length;
  for (let i = 0; i < n; i++) {
    let c = text.charCodeAt(i);
    if (c < 0x80) {
      out[p++] = c;
    } else if (c < 0x800) {
      out[p++] = 0xc0 | (c >> 6);
      out[p++] = 0x80 | (c & 0x3f);
    } else if (c >= 0xd800 && c < 0xe000) {
      const next = i + 1 < n ? text.charCodeAt(i + 1) : 0;
      if (c < 0xdc00 && next >= 0xdc00 && next < 0xe000) {
        c = 0x10000 + ((c - 0xd800) << 10) + (next - 0xdc00);
        i++;
        out[p++] = 0xf0 | (c >> 18);
        out[p++] = 0x80 | ((c >> 12) & 0x3f);
        out[p++] = 0x80 | ((c >> 6) & 0x3f);
        out[p++] = 0x80 | (c & 0x3f);
      } else {
        out[p++] = 0xef;
        out[p++] = 0xbf;
        out[p++] = 0xbd;
      }
    } else {
      out[p++] = 0xe0 | (c >> 12);
      out[p++] = 0x80 | ((c >> 6) & 0x3f);
      out[p++] = 0x80 | (c & 0x3f);
    }
  }
  return p;
}

/** Encodes a string as UTF-8 bytes (used to pre-encode a flag's salt prefix once). */
export function utf8Bytes(text: string): Uint8Array {
  const end = writeUtf8(text, 0);
  return buffer.slice(0, end);
}

function swapWords(count: number): void {
  for (let i = 0; i < count; i++) {
    const w = words[i]!;
    words[i] = ((w & 0xff) << 24) | ((w & 0xff00) << 8) | ((w >>> 8) & 0xff00) | (w >>> 24);
  }
}

/** Pads the `length` bytes in the shared buffer and runs MD5 over them into `state`. */
function digest(length: number): void {
  const blocks = ((length + 8) >>> 6) + 1;
  const end = blocks * 64;
  const b = buffer;
  b[length] = 0x80;
  // Zero the padding: bytes up to a word boundary, then whole words (cheaper than fill() here).
  let z = length + 1;
  while ((z & 3) !== 0) b[z++] = 0;
  const w = words;
  for (let k = z >>> 2, last = (end - 8) >>> 2; k < last; k++) w[k] = 0;
  const bits = length * 8;
  b[end - 8] = bits & 0xff;
  b[end - 7] = (bits >>> 8) & 0xff;
  b[end - 6] = (bits >>> 16) & 0xff;
  b[end - 5] = (bits >>> 24) & 0xff;
  // Lengths over 512 MiB would need the high word; subjects are far shorter.
  const high = Math.floor(bits / 0x100000000);
  b[end - 4] = high & 0xff;
  b[end - 3] = (high >>> 8) & 0xff;
  b[end - 2] = (high >>> 16) & 0xff;
  b[end - 1] = (high >>> 24) & 0xff;

  if (!LITTLE_ENDIAN) swapWords(end >>> 2);

  let a0 = 0x67452301;
  let b0 = 0xefcdab89 | 0;
  let c0 = 0x98badcfe | 0;
  let d0 = 0x10325476;
  for (let k = 0, blocksEnd = end >>> 2; k < blocksEnd; k += 16) {
    const x0 = w[k]!;
    const x1 = w[k + 1]!;
    const x2 = w[k + 2]!;
    const x3 = w[k + 3]!;
    const x4 = w[k + 4]!;
    const x5 = w[k + 5]!;
    const x6 = w[k + 6]!;
    const x7 = w[k + 7]!;
    const x8 = w[k + 8]!;
    const x9 = w[k + 9]!;
    const x10 = w[k + 10]!;
    const x11 = w[k + 11]!;
    const x12 = w[k + 12]!;
    const x13 = w[k + 13]!;
    const x14 = w[k + 14]!;
    const x15 = w[k + 15]!;
    let a = a0;
    let bb = b0;
    let c = c0;
    let d = d0;

    // The 64 steps are written out: helper functions would not be inlined into a function
    // this large, and each call would box its 32-bit result.
    a = (a + ((bb & c) | (~bb & d)) + x0 + -680876936) | 0;
    a = (((a << 7) | (a >>> 25)) + bb) | 0;
    d = (d + ((a & bb) | (~a & c)) + x1 + -389564586) | 0;
    d = (((d << 12) | (d >>> 20)) + a) | 0;
    c = (c + ((d & a) | (~d & bb)) + x2 + 606105819) | 0;
    c = (((c << 17) | (c >>> 15)) + d) | 0;
    bb = (bb + ((c & d) | (~c & a)) + x3 + -1044525330) | 0;
    bb = (((bb << 22) | (bb >>> 10)) + c) | 0;
    a = (a + ((bb & c) | (~bb & d)) + x4 + -176418897) | 0;
    a = (((a << 7) | (a >>> 25)) + bb) | 0;
    d = (d + ((a & bb) | (~a & c)) + x5 + 1200080426) | 0;
    d = (((d << 12) | (d >>> 20)) + a) | 0;
    c = (c + ((d & a) | (~d & bb)) + x6 + -1473231341) | 0;
    c = (((c << 17) | (c >>> 15)) + d) | 0;
    bb = (bb + ((c & d) | (~c & a)) + x7 + -45705983) | 0;
    bb = (((bb << 22) | (bb >>> 10)) + c) | 0;
    a = (a + ((bb & c) | (~bb & d)) + x8 + 1770035416) | 0;
    a = (((a << 7) | (a >>> 25)) + bb) | 0;
    d = (d + ((a & bb) | (~a & c)) + x9 + -1958414417) | 0;
    d = (((d << 12) | (d >>> 20)) + a) | 0;
    c = (c + ((d & a) | (~d & bb)) + x10 + -42063) | 0;
    c = (((c << 17) | (c >>> 15)) + d) | 0;
    bb = (bb + ((c & d) | (~c & a)) + x11 + -1990404162) | 0;
    bb = (((bb << 22) | (bb >>> 10)) + c) | 0;
    a = (a + ((bb & c) | (~bb & d)) + x12 + 1804603682) | 0;
    a = (((a << 7) | (a >>> 25)) + bb) | 0;
    d = (d + ((a & bb) | (~a & c)) + x13 + -40341101) | 0;
    d = (((d << 12) | (d >>> 20)) + a) | 0;
    c = (c + ((d & a) | (~d & bb)) + x14 + -1502002290) | 0;
    c = (((c << 17) | (c >>> 15)) + d) | 0;
    bb = (bb + ((c & d) | (~c & a)) + x15 + 1236535329) | 0;
    bb = (((bb << 22) | (bb >>> 10)) + c) | 0;

    a = (a + ((bb & d) | (c & ~d)) + x1 + -165796510) | 0;
    a = (((a << 5) | (a >>> 27)) + bb) | 0;
    d = (d + ((a & c) | (bb & ~c)) + x6 + -1069501632) | 0;
    d = (((d << 9) | (d >>> 23)) + a) | 0;
    c = (c + ((d & bb) | (a & ~bb)) + x11 + 643717713) | 0;
    c = (((c << 14) | (c >>> 18)) + d) | 0;
    bb = (bb + ((c & a) | (d & ~a)) + x0 + -373897302) | 0;
    bb = (((bb << 20) | (bb >>> 12)) + c) | 0;
    a = (a + ((bb & d) | (c & ~d)) + x5 + -701558691) | 0;
    a = (((a << 5) | (a >>> 27)) + bb) | 0;
    d = (d + ((a & c) | (bb & ~c)) + x10 + 38016083) | 0;
    d = (((d << 9) | (d >>> 23)) + a) | 0;
    c = (c + ((d & bb) | (a & ~bb)) + x15 + -660478335) | 0;
    c = (((c << 14) | (c >>> 18)) + d) | 0;
    bb = (bb + ((c & a) | (d & ~a)) + x4 + -405537848) | 0;
    bb = (((bb << 20) | (bb >>> 12)) + c) | 0;
    a = (a + ((bb & d) | (c & ~d)) + x9 + 568446438) | 0;
    a = (((a << 5) | (a >>> 27)) + bb) | 0;
    d = (d + ((a & c) | (bb & ~c)) + x14 + -1019803690) | 0;
    d = (((d << 9) | (d >>> 23)) + a) | 0;
    c = (c + ((d & bb) | (a & ~bb)) + x3 + -187363961) | 0;
    c = (((c << 14) | (c >>> 18)) + d) | 0;
    bb = (bb + ((c & a) | (d & ~a)) + x8 + 1163531501) | 0;
    bb = (((bb << 20) | (bb >>> 12)) + c) | 0;
    a = (a + ((bb & d) | (c & ~d)) + x13 + -1444681467) | 0;
    a = (((a << 5) | (a >>> 27)) + bb) | 0;
    d = (d + ((a & c) | (bb & ~c)) + x2 + -51403784) | 0;
    d = (((d << 9) | (d >>> 23)) + a) | 0;
    c = (c + ((d & bb) | (a & ~bb)) + x7 + 1735328473) | 0;
    c = (((c << 14) | (c >>> 18)) + d) | 0;
    bb = (bb + ((c & a) | (d & ~a)) + x12 + -1926607734) | 0;
    bb = (((bb << 20) | (bb >>> 12)) + c) | 0;

    a = (a + (bb ^ c ^ d) + x5 + -378558) | 0;
    a = (((a << 4) | (a >>> 28)) + bb) | 0;
    d = (d + (a ^ bb ^ c) + x8 + -2022574463) | 0;
    d = (((d << 11) | (d >>> 21)) + a) | 0;
    c = (c + (d ^ a ^ bb) + x11 + 1839030562) | 0;
    c = (((c << 16) | (c >>> 16)) + d) | 0;
    bb = (bb + (c ^ d ^ a) + x14 + -35309556) | 0;
    bb = (((bb << 23) | (bb >>> 9)) + c) | 0;
    a = (a + (bb ^ c ^ d) + x1 + -1530992060) | 0;
    a = (((a << 4) | (a >>> 28)) + bb) | 0;
    d = (d + (a ^ bb ^ c) + x4 + 1272893353) | 0;
    d = (((d << 11) | (d >>> 21)) + a) | 0;
    c = (c + (d ^ a ^ bb) + x7 + -155497632) | 0;
    c = (((c << 16) | (c >>> 16)) + d) | 0;
    bb = (bb + (c ^ d ^ a) + x10 + -1094730640) | 0;
    bb = (((bb << 23) | (bb >>> 9)) + c) | 0;
    a = (a + (bb ^ c ^ d) + x13 + 681279174) | 0;
    a = (((a << 4) | (a >>> 28)) + bb) | 0;
    d = (d + (a ^ bb ^ c) + x0 + -358537222) | 0;
    d = (((d << 11) | (d >>> 21)) + a) | 0;
    c = (c + (d ^ a ^ bb) + x3 + -722521979) | 0;
    c = (((c << 16) | (c >>> 16)) + d) | 0;
    bb = (bb + (c ^ d ^ a) + x6 + 76029189) | 0;
    bb = (((bb << 23) | (bb >>> 9)) + c) | 0;
    a = (a + (bb ^ c ^ d) + x9 + -640364487) | 0;
    a = (((a << 4) | (a >>> 28)) + bb) | 0;
    d = (d + (a ^ bb ^ c) + x12 + -421815835) | 0;
    d = (((d << 11) | (d >>> 21)) + a) | 0;
    c = (c + (d ^ a ^ bb) + x15 + 530742520) | 0;
    c = (((c << 16) | (c >>> 16)) + d) | 0;
    bb = (bb + (c ^ d ^ a) + x2 + -995338651) | 0;
    bb = (((bb << 23) | (bb >>> 9)) + c) | 0;

    a = (a + (c ^ (bb | ~d)) + x0 + -198630844) | 0;
    a = (((a << 6) | (a >>> 26)) + bb) | 0;
    d = (d + (bb ^ (a | ~c)) + x7 + 1126891415) | 0;
    d = (((d << 10) | (d >>> 22)) + a) | 0;
    c = (c + (a ^ (d | ~bb)) + x14 + -1416354905) | 0;
    c = (((c << 15) | (c >>> 17)) + d) | 0;
    bb = (bb + (d ^ (c | ~a)) + x5 + -57434055) | 0;
    bb = (((bb << 21) | (bb >>> 11)) + c) | 0;
    a = (a + (c ^ (bb | ~d)) + x12 + 1700485571) | 0;
    a = (((a << 6) | (a >>> 26)) + bb) | 0;
    d = (d + (bb ^ (a | ~c)) + x3 + -1894986606) | 0;
    d = (((d << 10) | (d >>> 22)) + a) | 0;
    c = (c + (a ^ (d | ~bb)) + x10 + -1051523) | 0;
    c = (((c << 15) | (c >>> 17)) + d) | 0;
    bb = (bb + (d ^ (c | ~a)) + x1 + -2054922799) | 0;
    bb = (((bb << 21) | (bb >>> 11)) + c) | 0;
    a = (a + (c ^ (bb | ~d)) + x8 + 1873313359) | 0;
    a = (((a << 6) | (a >>> 26)) + bb) | 0;
    d = (d + (bb ^ (a | ~c)) + x15 + -30611744) | 0;
    d = (((d << 10) | (d >>> 22)) + a) | 0;
    c = (c + (a ^ (d | ~bb)) + x6 + -1560198380) | 0;
    c = (((c << 15) | (c >>> 17)) + d) | 0;
    bb = (bb + (d ^ (c | ~a)) + x13 + 1309151649) | 0;
    bb = (((bb << 21) | (bb >>> 11)) + c) | 0;
    a = (a + (c ^ (bb | ~d)) + x4 + -145523070) | 0;
    a = (((a << 6) | (a >>> 26)) + bb) | 0;
    d = (d + (bb ^ (a | ~c)) + x11 + -1120210379) | 0;
    d = (((d << 10) | (d >>> 22)) + a) | 0;
    c = (c + (a ^ (d | ~bb)) + x2 + 718787259) | 0;
    c = (((c << 15) | (c >>> 17)) + d) | 0;
    bb = (bb + (d ^ (c | ~a)) + x9 + -343485551) | 0;
    bb = (((bb << 21) | (bb >>> 11)) + c) | 0;

    a0 = (a0 + a) | 0;
    b0 = (b0 + bb) | 0;
    c0 = (c0 + c) | 0;
    d0 = (d0 + d) | 0;
  }
  state[0] = a0;
  state[1] = b0;
  state[2] = c0;
  state[3] = d0;
}

function bigEndian(w: number): number {
  return (((w & 0xff) << 24) | ((w & 0xff00) << 8) | ((w >>> 8) & 0xff00) | (w >>> 24)) >>> 0;
}

/**
 * The first four bytes of `md5(prefix ++ utf8(text))` read as a big-endian unsigned 32-bit integer.
 * `prefix` is raw bytes (a pre-encoded `salt:`), so the salt is never concatenated per call.
 */
export function md5Uint32(prefix: Uint8Array, text: string): number {
  const n = prefix.length;
  ensureCapacity(n + 72);
  // A loop beats TypedArray#set for the few bytes of a salt.
  const b = buffer;
  for (let i = 0; i < n; i++) b[i] = prefix[i]!;
  const length = writeUtf8(text, n);
  digest(length);
  return bigEndian(state[0]!);
}

/** The full MD5 digest of the UTF-8 bytes of `text`, as 32 lowercase hex digits. */
export function md5Hex(text: string): string {
  digest(writeUtf8(text, 0));
  let hex = "";
  for (let i = 0; i < 4; i++) hex += bigEndian(state[i]!).toString(16).padStart(8, "0");
  return hex;
}
