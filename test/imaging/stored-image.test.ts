/**
 * Locating frames in stored objects: encapsulated Pixel Data with a Basic Offset Table, an Extended Offset
 * Table, one fragment per frame, or several fragments per frame found by their codestream start markers;
 * native Pixel Data sliced frame by frame (bit-packed frames that do not start on a byte, big endian).
 */
import { beforeAll, describe, expect, it } from "vitest";
import { encodeFrame, initializeFrameCodecs, type FrameGeometry } from "../../electron/pacs/codecs/frames.js";
import { MemoryReader } from "../../electron/pacs/imaging/byte-reader.js";
import { ImagingError } from "../../electron/pacs/imaging/errors.js";
import { frameInSyntax, whyNotProducible } from "../../electron/pacs/imaging/frame-syntax.js";
import { loadStoredImage, nativeFrame, storedFrameBytes } from "../../electron/pacs/imaging/stored-image.js";
import { encapsulatedObject, type Encapsulation, nativeObject } from "./synthetic.js";

const JPEG_LS = "1.2.840.10008.1.2.4.80";
const J2K = "1.2.840.10008.1.2.4.90";
const SPEC = { rows: 16, columns: 16, frames: 3, bitsAllocated: 16, bitsStored: 16 };
const GEOMETRY: FrameGeometry = {
  rows: 16,
  columns: 16,
  samplesPerPixel: 1,
  bitsAllocated: 16,
  bitsStored: 16,
  pixelRepresentation: 0,
  planarConfiguration: 0,
  photometricInterpretation: "MONOCHROME2",
};

/** Frame f: a ramp whose slope and offset depend on f, so frames differ everywhere. */
function frame(f: number): Buffer {
  const out = Buffer.alloc(16 * 16 * 2);
  for (let i = 0; i < 256; i++) out.writeUInt16LE((i * (f + 3) + f * 1000) & 0xffff, i * 2);
  return out;
}

/** A codestream cut into `count` fragments of even length. */
function split(codestream: Buffer, count: number): Buffer[] {
  const size = Math.ceil(codestream.length / count / 2) * 2;
  const out: Buffer[] = [];
  for (let at = 0; at < codestream.length; at += size) out.push(codestream.subarray(at, at + size));
  return out;
}

async function load(bytes: Buffer) {
  const reader = new MemoryReader(bytes);
  return { reader, image: await loadStoredImage(reader) };
}

let codestreams: Buffer[];

beforeAll(async () => {
  await initializeFrameCodecs();
  codestreams = [0, 1, 2].map((f) => encodeFrame(frame(f), JPEG_LS, GEOMETRY));
});

describe("encapsulated frames", () => {
  const layouts: Array<[string, () => Encapsulation]> = [
    [
      "a Basic Offset Table, three fragments a frame",
      () => ({ frames: codestreams.map((c) => split(c, 3)), offsetTable: true }),
    ],
    [
      "no offset table, frames found by their SOI markers",
      () => ({ frames: codestreams.map((c) => split(c, 2)) }),
    ],
    ["an Extended Offset Table", () => ({ frames: codestreams.map((c) => [c]), extendedOffsetTable: true })],
    ["one fragment a frame, no table", () => ({ frames: codestreams.map((c) => [c]) })],
  ];

  it.each(layouts)("are located with %s", async (_name, layout) => {
    const { reader, image } = await load(encapsulatedObject(SPEC, JPEG_LS, layout()));
    expect(image.frames).toHaveLength(3);
    for (const f of [2, 0, 1]) {
      expect((await storedFrameBytes(reader, image, f)).equals(codestreams[f]!)).toBe(true);
      expect((await nativeFrame(reader, image, f)).pixels.equals(frame(f))).toBe(true);
    }
  });

  it("refuses an offset table pointing between fragments, and frames that do not exist", async () => {
    const bytes = encapsulatedObject(SPEC, JPEG_LS, {
      frames: codestreams.map((c) => [c]),
      offsetTable: true,
    });
    // Corrupt the second offset of the Basic Offset Table (it follows the first item header).
    const table = bytes.indexOf(Buffer.from([0xfe, 0xff, 0x00, 0xe0, 12, 0, 0, 0])) + 8;
    bytes.writeUInt32LE(6, table + 4);
    await expect(load(bytes)).rejects.toThrow(/Basic Offset Table points at offset 6/);
    const good = await load(encapsulatedObject(SPEC, JPEG_LS, { frames: codestreams.map((c) => [c]) }));
    await expect(nativeFrame(good.reader, good.image, 3)).rejects.toMatchObject({ kind: "not-found" });
  });

  it("transcodes frame by frame; lossy targets only when asked for", async () => {
    const { reader, image } = await load(
      encapsulatedObject(SPEC, JPEG_LS, { frames: codestreams.map((c) => [c]) }),
    );
    expect(whyNotProducible(image, J2K, false)).toBeUndefined();
    expect(whyNotProducible(image, "1.2.840.10008.1.2.4.91", false)).toMatch(/lossy/);
    expect(whyNotProducible(image, "1.2.840.10008.1.2.4.91", true)).toBeUndefined();
    // 16-bit samples are not baseline JPEG even when asked for.
    expect(whyNotProducible(image, "1.2.840.10008.1.2.4.50", true)).toMatch(/cannot be encoded/);
    const j2k = await frameInSyntax(reader, image, 1, J2K);
    const back = await load(
      encapsulatedObject(SPEC, J2K, { frames: [[codestreams[0]!], [j2k], [codestreams[2]!]] }),
    );
    // Frame 1 of `back` is J2K, 0 and 2 JPEG-LS data in a J2K object: only frame 1 is decoded here.
    expect((await nativeFrame(back.reader, back.image, 1)).pixels.equals(frame(1))).toBe(true);
  });
});

describe("native frames", () => {
  it("slices 1-bit frames that do not start on a byte boundary", async () => {
    // 5×5 = 25 bits a frame: frame 2 starts at bit 50, i.e. bit 2 of byte 6.
    const bits = [0, 1, 2].map((f) => Array.from({ length: 25 }, (_, i) => ((i + f) % 3 === 0 ? 1 : 0)));
    const packed = Buffer.alloc(10);
    bits.flat().forEach((bit, i) => {
      if (bit) packed[i >>> 3]! |= 1 << (i & 7);
    });
    const spec = { rows: 5, columns: 5, frames: 3, bitsAllocated: 1 };
    const { reader, image } = await load(nativeObject(spec, packed, "1.2.840.10008.1.2.1", "OB"));
    for (const f of [0, 1, 2]) {
      const out = await storedFrameBytes(reader, image, f);
      expect(out).toHaveLength(4);
      const read = Array.from({ length: 25 }, (_, i) => (out[i >>> 3]! >>> (i & 7)) & 1);
      expect(read).toEqual(bits[f]);
    }
  });

  it("returns big endian frames little endian, by sample size (16 bits) or OW word (8 bits)", async () => {
    const le = Buffer.concat([frame(0), frame(1)]);
    const be = Buffer.from(le).swap16();
    const spec16 = { rows: 16, columns: 16, frames: 2, bitsAllocated: 16 };
    const big = await load(nativeObject(spec16, be, "1.2.840.10008.1.2.2"));
    expect((await nativeFrame(big.reader, big.image, 1)).pixels.equals(frame(1))).toBe(true);
    const bytes8 = Buffer.from(Array.from({ length: 32 }, (_, i) => i));
    const spec8 = { rows: 4, columns: 4, frames: 2, bitsAllocated: 8 };
    const ow = await load(nativeObject(spec8, Buffer.from(bytes8).swap16(), "1.2.840.10008.1.2.2", "OW"));
    expect((await nativeFrame(ow.reader, ow.image, 1)).pixels.equals(bytes8.subarray(16))).toBe(true);
    const ob = await load(nativeObject(spec8, bytes8, "1.2.840.10008.1.2.2", "OB"));
    expect((await nativeFrame(ob.reader, ob.image, 1)).pixels.equals(bytes8.subarray(16))).toBe(true);
  });

  it("says when there is no image, or too few bytes for a frame", async () => {
    const short = nativeObject({ rows: 16, columns: 16, frames: 2, bitsAllocated: 16 }, frame(0));
    const { reader, image } = await load(short);
    expect((await nativeFrame(reader, image, 0)).pixels.equals(frame(0))).toBe(true);
    await expect(nativeFrame(reader, image, 1)).rejects.toMatchObject({ kind: "corrupt" });
    const noRows = nativeObject({ rows: 0, columns: 16, bitsAllocated: 16 }, Buffer.alloc(0));
    await expect(load(noRows)).rejects.toBeInstanceOf(ImagingError);
  });
});
