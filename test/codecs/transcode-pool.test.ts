/**
 * Codec work on worker threads: the threads' output (data sets, and single frames both ways) is byte for
 * byte what the calling thread makes, many jobs at once each get their own answer, what the codecs refuse
 * comes back as a TranscodeError, and the calling thread keeps running while a thread encodes.
 */
import { beforeAll, describe, expect, it } from "vitest";
import { TranscodeError, initializeCodecs, transcodeDataset } from "../../electron/pacs/codecs/transcode.js";
import {
  type FrameGeometry,
  decodeFrame,
  encodeFrame,
  initializeFrameCodecs,
} from "../../electron/pacs/codecs/frames.js";
import {
  decodeFrameOffThread,
  encodeFrameOffThread,
  transcodeOffThread,
} from "../../electron/pacs/codecs/transcode-pool.js";
import { fileMetaFor } from "../../electron/pacs/dimse/scp/store.js";
import { encodePart10, uidFrom } from "../fixtures/part10.js";

const JPEG_LS_LOSSLESS = "1.2.840.10008.1.2.4.80";
const EXPLICIT_LE = "1.2.840.10008.1.2.1";

function pixelsOf(seed: number): Buffer {
  const pixels = new Uint16Array(256 * 256);
  for (let i = 0; i < pixels.length; i++) pixels[i] = (i * (seed + 7) + ((i >> 8) ^ seed) * 13) & 0x0fff;
  return Buffer.from(pixels.buffer);
}

/** A 256×256 16-bit CT slice whose pixels depend on `seed`. */
function slice(seed: number): Buffer {
  return Buffer.from(
    encodePart10({
      SOPClassUID: "1.2.840.10008.5.1.4.1.1.2",
      SOPInstanceUID: uidFrom(`transcode-pool/${seed}`),
      StudyInstanceUID: uidFrom("transcode-pool/study"),
      SeriesInstanceUID: uidFrom("transcode-pool/series"),
      Modality: "CT",
      Rows: 256,
      Columns: 256,
      BitsAllocated: 16,
      BitsStored: 12,
      HighBit: 11,
      PixelRepresentation: 0,
      SamplesPerPixel: 1,
      PhotometricInterpretation: "MONOCHROME2",
      PixelData: new Uint8Array(pixelsOf(seed)).buffer,
      _vrMap: { PixelData: "OW" },
    }),
  );
}

const GEOMETRY: FrameGeometry = {
  rows: 256,
  columns: 256,
  samplesPerPixel: 1,
  bitsAllocated: 16,
  bitsStored: 12,
  pixelRepresentation: 0,
  planarConfiguration: 0,
  photometricInterpretation: "MONOCHROME2",
};

beforeAll(async () => {
  await initializeCodecs();
  await initializeFrameCodecs();
});

describe("frames on the codec threads", () => {
  it("encodes and decodes frames as the calling thread does, losslessly", async () => {
    const pixels = pixelsOf(7);
    const encoded = await encodeFrameOffThread(pixels, JPEG_LS_LOSSLESS, GEOMETRY);
    expect(encoded.equals(encodeFrame(pixels, JPEG_LS_LOSSLESS, GEOMETRY))).toBe(true);
    const decoded = await decodeFrameOffThread(encoded, JPEG_LS_LOSSLESS, GEOMETRY);
    expect(decoded.pixels.equals(pixels)).toBe(true);
    expect(decoded).toMatchObject({ photometricInterpretation: "MONOCHROME2", planarConfiguration: 0 });
    expect(decoded.pixels.equals(decodeFrame(encoded, JPEG_LS_LOSSLESS, GEOMETRY).pixels)).toBe(true);
  });

  it("answers a damaged codestream with a TranscodeError naming the syntax", async () => {
    const garbage = Buffer.alloc(64, 0x5a);
    await expect(decodeFrameOffThread(garbage, JPEG_LS_LOSSLESS, GEOMETRY)).rejects.toThrow(TranscodeError);
    await expect(decodeFrameOffThread(garbage, JPEG_LS_LOSSLESS, GEOMETRY)).rejects.toThrow(
      /1\.2\.840\.10008\.1\.2\.4\.80/,
    );
  });
});

describe("transcodeOffThread", () => {
  it("answers each of many jobs at once with what the calling thread would make", async () => {
    const inputs = Array.from({ length: 12 }, (_, i) => slice(i));
    const answers = await Promise.all(inputs.map((part10) => transcodeOffThread(part10, JPEG_LS_LOSSLESS)));
    answers.forEach((answer, i) => {
      expect(answer.equals(transcodeDataset(inputs[i]!, JPEG_LS_LOSSLESS)), `slice ${i}`).toBe(true);
    });
    const meta = fileMetaFor("1.2.840.10008.5.1.4.1.1.2", uidFrom("transcode-pool/3"), JPEG_LS_LOSSLESS);
    const back = await transcodeOffThread(Buffer.concat([meta, answers[3]!]), EXPLICIT_LE);
    expect(back.includes(pixelsOf(3)), "the pixels survive the round trip").toBe(true);
  });

  it("leaves the caller's buffer intact", async () => {
    const part10 = slice(42);
    const before = Buffer.from(part10);
    await transcodeOffThread(part10, JPEG_LS_LOSSLESS);
    expect(part10.equals(before)).toBe(true);
  });

  it("turns a refusal into a TranscodeError with the codecs' reason", async () => {
    const thirtyTwoBit = Buffer.from(
      encodePart10({
        SOPClassUID: "1.2.840.10008.5.1.4.1.1.7",
        SOPInstanceUID: uidFrom("transcode-pool/32-bit"),
        Modality: "OT",
        Rows: 4,
        Columns: 4,
        BitsAllocated: 32,
        BitsStored: 32,
        HighBit: 31,
        PixelRepresentation: 0,
        SamplesPerPixel: 1,
        PhotometricInterpretation: "MONOCHROME2",
        PixelData: new Uint32Array(16).fill(70_000).buffer,
        _vrMap: { PixelData: "OW" },
      }),
    );
    expect(() => transcodeDataset(thirtyTwoBit, JPEG_LS_LOSSLESS)).toThrow(TranscodeError);
    const refusal = transcodeOffThread(thirtyTwoBit, JPEG_LS_LOSSLESS);
    await expect(refusal).rejects.toBeInstanceOf(TranscodeError);
    await expect(refusal).rejects.toThrow(/cannot transcode to 1\.2\.840\.10008\.1\.2\.4\.80/);
    const after = await transcodeOffThread(slice(1), JPEG_LS_LOSSLESS);
    expect(after.length).toBeGreaterThan(0);
  });

  it("encodes on another thread: the caller's event loop turns while the jobs are in flight", async () => {
    // On the calling thread the jobs would all run in microtasks after this function's synchronous part, so
    // the loop would not turn (nor a timer fire) before they settle.
    let ticks = 0;
    const timer = setInterval(() => ticks++, 1);
    await Promise.all(
      Array.from({ length: 8 }, (_, i) => transcodeOffThread(slice(100 + i), JPEG_LS_LOSSLESS)),
    );
    clearInterval(timer);
    expect(ticks).toBeGreaterThan(0);
  });
});
