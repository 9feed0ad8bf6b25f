/** Native pixels to display arrays: native types kept, Bits Stored masked, signs extended, colour to RGB. */
import { describe, expect, it } from "vitest";
import {
  type PixelLayout,
  decodeNative,
  layoutAfterCodec,
  nativeLength,
} from "../../renderer/src/lib/imaging/pixels.js";

const NATIVE = "1.2.840.10008.1.2.1";

function layout(overrides: Partial<PixelLayout>): PixelLayout {
  return {
    rows: 1,
    columns: 4,
    samplesPerPixel: 1,
    bitsAllocated: 16,
    bitsStored: 16,
    highBit: 15,
    pixelRepresentation: 0,
    planarConfiguration: 0,
    photometricInterpretation: "MONOCHROME2",
    ...overrides,
  };
}

function le16(values: number[]): Uint8Array {
  const out = new Uint8Array(values.length * 2);
  const view = new DataView(out.buffer);
  values.forEach((v, i) => view.setUint16(i * 2, v & 0xffff, true));
  return out;
}

describe("grayscale", () => {
  it("keeps 16-bit signed samples as an Int16Array, with their minimum and maximum", () => {
    const frame = decodeNative(le16([-1000, 0, 3000, -32768]), layout({ pixelRepresentation: 1 }), NATIVE);
    expect(frame.pixels).toBeInstanceOf(Int16Array);
    expect([...frame.pixels]).toEqual([-1000, 0, 3000, -32768]);
    expect([frame.min, frame.max]).toEqual([-32768, 3000]);
    expect(frame.kind).toBe("gray");
  });

  it("masks unsigned 12-bit samples (overlay bits above Bits Stored) into a Uint16Array", () => {
    const frame = decodeNative(
      le16([0xf123, 0x0fff, 0x1000, 5]),
      layout({ bitsStored: 12, highBit: 11 }),
      NATIVE,
    );
    expect(frame.pixels).toBeInstanceOf(Uint16Array);
    expect([...frame.pixels]).toEqual([0x123, 0xfff, 0, 5]);
  });

  it("sign-extends signed 12-bit samples whatever the bits above hold", () => {
    const frame = decodeNative(
      le16([0x0800, 0xf7ff, 0x0fff, 0x07ff]),
      layout({ bitsStored: 12, highBit: 11, pixelRepresentation: 1 }),
      NATIVE,
    );
    expect([...frame.pixels]).toEqual([-2048, 2047, -1, 2047]);
  });

  it("honours a High Bit that is not Bits Stored − 1 (samples stored high in the word)", () => {
    const frame = decodeNative(
      le16([0x1230, 0xfff0]),
      layout({ columns: 2, bitsStored: 12, highBit: 15 }),
      NATIVE,
    );
    expect([...frame.pixels]).toEqual([0x123, 0xfff]);
  });

  it("keeps 8-bit samples as Uint8Array / Int8Array", () => {
    const unsigned = decodeNative(
      Uint8Array.from([0, 127, 255, 3]),
      layout({ bitsAllocated: 8, bitsStored: 8, highBit: 7 }),
      NATIVE,
    );
    expect(unsigned.pixels).toBeInstanceOf(Uint8Array);
    expect([...unsigned.pixels]).toEqual([0, 127, 255, 3]);
    const signed = decodeNative(
      Uint8Array.from([0, 127, 255, 0x80]),
      layout({ bitsAllocated: 8, bitsStored: 8, highBit: 7, pixelRepresentation: 1 }),
      NATIVE,
    );
    expect(signed.pixels).toBeInstanceOf(Int8Array);
    expect([...signed.pixels]).toEqual([0, 127, -1, -128]);
  });

  it("keeps 32-bit samples (RT dose) as Uint32Array / Int32Array", () => {
    const bytes = new Uint8Array(8);
    new DataView(bytes.buffer).setUint32(0, 0xfffffffe, true);
    new DataView(bytes.buffer).setUint32(4, 1234567, true);
    const unsigned = decodeNative(
      bytes,
      layout({ columns: 2, bitsAllocated: 32, bitsStored: 32, highBit: 31 }),
      NATIVE,
    );
    expect(unsigned.pixels).toBeInstanceOf(Uint32Array);
    expect([...unsigned.pixels]).toEqual([0xfffffffe, 1234567]);
    const signed = decodeNative(
      bytes,
      layout({ columns: 2, bitsAllocated: 32, bitsStored: 32, highBit: 31, pixelRepresentation: 1 }),
      NATIVE,
    );
    expect([...signed.pixels]).toEqual([-2, 1234567]);
  });

  it("unpacks 1-bit frames (bit 0 first) to one byte per pixel", () => {
    const frame = decodeNative(
      Uint8Array.from([0b10000101, 0b00000001]),
      layout({ columns: 9, bitsAllocated: 1, bitsStored: 1, highBit: 0 }),
      NATIVE,
    );
    expect([...frame.pixels]).toEqual([1, 0, 1, 0, 0, 0, 0, 1, 1]);
    expect([frame.min, frame.max]).toEqual([0, 1]);
  });

  it("leaves the padding value out of the range", () => {
    const frame = decodeNative(
      le16([-2000, -1000, 500, -2000]),
      layout({ pixelRepresentation: 1, pixelPaddingValue: -2000 }),
      NATIVE,
    );
    expect([frame.min, frame.max]).toEqual([-1000, 500]);
  });

  it("owns an exact-size buffer (transferable without the response around it)", () => {
    const response = new Uint8Array(101);
    response.set(le16([1, 2, 3, 4]), 1); // odd offset
    const frame = decodeNative(response.subarray(1, 9), layout({}), NATIVE);
    expect([...frame.pixels]).toEqual([1, 2, 3, 4]);
    expect(frame.pixels.buffer.byteLength).toBe(8);
  });

  it("refuses a frame shorter than its layout", () => {
    expect(() => decodeNative(le16([1, 2]), layout({}), NATIVE)).toThrow(/4 bytes of pixels, 8 expected/);
  });
});

describe("colour", () => {
  it("interleaves planar RGB", () => {
    const planar = Uint8Array.from([1, 2, 10, 20, 100, 200]); // R R G G B B
    const frame = decodeNative(
      planar,
      layout({
        columns: 2,
        samplesPerPixel: 3,
        bitsAllocated: 8,
        bitsStored: 8,
        highBit: 7,
        planarConfiguration: 1,
        photometricInterpretation: "RGB",
      }),
      NATIVE,
    );
    expect(frame.kind).toBe("rgb");
    expect([...frame.pixels]).toEqual([1, 10, 100, 2, 20, 200]);
  });

  it("converts YBR_FULL to RGB (PS3.3 C.7.6.3.1.2)", () => {
    const ybr = Uint8Array.from([128, 128, 128, 76, 85, 255, 29, 255, 107]);
    const frame = decodeNative(
      ybr,
      layout({
        columns: 3,
        samplesPerPixel: 3,
        bitsAllocated: 8,
        bitsStored: 8,
        highBit: 7,
        photometricInterpretation: "YBR_FULL",
      }),
      NATIVE,
    );
    // Grey; then pure red and pure blue within a level.
    expect([...frame.pixels.slice(0, 3)]).toEqual([128, 128, 128]);
    expect([...frame.pixels.slice(3, 6)].map((v) => Math.round(v / 4))).toEqual([64, 0, 0]);
    expect([...frame.pixels.slice(6, 9)].map((v) => Math.round(v / 4))).toEqual([0, 0, 64]);
  });

  it("upsamples YBR_FULL_422 (Y1 Y2 Cb Cr per pair of pixels)", () => {
    const stored = Uint8Array.from([50, 200, 128, 128]);
    const l = layout({
      columns: 2,
      samplesPerPixel: 3,
      bitsAllocated: 8,
      bitsStored: 8,
      highBit: 7,
      photometricInterpretation: "YBR_FULL_422",
    });
    expect(nativeLength(l)).toBe(4);
    expect([...decodeNative(stored, l, NATIVE).pixels]).toEqual([50, 50, 50, 200, 200, 200]);
  });

  it("takes the top 8 stored bits of 16-bit colour", () => {
    const frame = decodeNative(
      le16([0xffff, 0x8000, 0x00ff]),
      layout({ columns: 1, samplesPerPixel: 3, photometricInterpretation: "RGB" }),
      NATIVE,
    );
    expect([...frame.pixels]).toEqual([255, 128, 0]);
  });

  it("labels what the codecs hand back: JPEG and JPEG 2000 colour as interleaved RGB, RLE keeps its planes", () => {
    const ybr = layout({
      samplesPerPixel: 3,
      photometricInterpretation: "YBR_FULL_422",
      planarConfiguration: 1,
    });
    expect(layoutAfterCodec(ybr, "Jpeg")).toMatchObject({
      photometricInterpretation: "RGB",
      planarConfiguration: 0,
    });
    expect(
      layoutAfterCodec(layout({ samplesPerPixel: 3, photometricInterpretation: "YBR_RCT" }), "Jpeg2000")
        .photometricInterpretation,
    ).toBe("RGB");
    expect(
      layoutAfterCodec(
        layout({ samplesPerPixel: 3, photometricInterpretation: "RGB", planarConfiguration: 1 }),
        "Rle",
      ).planarConfiguration,
    ).toBe(1);
    expect(
      layoutAfterCodec(layout({ samplesPerPixel: 3, photometricInterpretation: "YBR_FULL" }), "JpegLs")
        .photometricInterpretation,
    ).toBe("YBR_FULL");
  });
});
