import { createHash } from "node:crypto";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { md5Hex, md5Uint32, utf8Bytes } from "./md5.js";

const reference = (text: string) => createHash("md5").update(text, "utf8").digest("hex");

describe("md5", () => {
  it("matches the RFC 1321 test suite", () => {
    expect(md5Hex("")).toBe("d41d8cd98f00b204e9800998ecf8427e");
    expect(md5Hex("a")).toBe("0cc175b9c0f1b6a831c399e269772661");
    expect(md5Hex("abc")).toBe("900150983cd24fb0d6963f7d28e17f72");
    expect(md5Hex("message digest")).toBe("f96b697d7cb7938d525a2f31aaf161d0");
    expect(md5Hex("abcdefghijklmnopqrstuvwxyz")).toBe("c3fcd3d76192e4007dfb496cca67e13b");
    expect(md5Hex("12345678901234567890123456789012345678901234567890123456789012345678901234567890")).toBe(
      "57edf4a22be3c955ac49da2e2107b67a",
    );
  });

  it("handles every length around the one-block boundary (55, 56, 63, 64, 65 bytes …)", () => {
    for (let n = 0; n <= 200; n++) {
      const text = "x".repeat(n);
      expect(md5Hex(text), `length ${n}`).toBe(reference(text));
    }
  });

  it("encodes UTF-8 like node: 2-, 3- and 4-byte characters and lone surrogates", () => {
    for (const text of ["é", "漢字", "😀", "a😀b", "\ud800", "x\udc00y", "\ud83d", "€".repeat(30), "😀".repeat(40)]) {
      expect(md5Hex(text), JSON.stringify(text)).toBe(reference(text));
    }
  });

  it("agrees with node:crypto on 100 000 random strings, ASCII, Unicode and multi-block", () => {
    const arb = fc.oneof(
      fc.string({ maxLength: 30 }),
      fc.string({ unit: "binary", maxLength: 30 }),
      fc.string({ unit: "grapheme", maxLength: 20 }),
      fc.string({ minLength: 56, maxLength: 400 }),
      fc.string({ unit: "binary", minLength: 40, maxLength: 300 }),
    );
    const samples = fc.sample(arb, { numRuns: 100_000, seed: 20261122 });
    let mismatches = 0;
    for (const text of samples) if (md5Hex(text) !== reference(text)) mismatches++;
    expect(mismatches).toBe(0);
    expect(samples.some((s) => Buffer.byteLength(s) > 64)).toBe(true);
    expect(samples.some((s) => [...s].some((ch) => ch.charCodeAt(0) > 0x7f))).toBe(true);
  });

  it("hashes a raw prefix followed by a string as the concatenation", () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 100 }), fc.string({ unit: "binary", maxLength: 100 }), (salt, subject) => {
        const digest = createHash("md5").update(`${salt}${subject}`, "utf8").digest();
        expect(md5Uint32(utf8Bytes(salt), subject)).toBe(digest.readUInt32BE(0));
      }),
      { numRuns: 5_000 },
    );
  });
});
