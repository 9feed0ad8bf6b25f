/**
 * WADO-RS frames, bulk data, rendered and thumbnail against a node filled with DCMTK storescu (and, for
 * HTJ2K, which DCMTK 3.6.7 cannot send, through the import path). What comes back is checked against the
 * sent files: pixel bytes of the uncompressed originals, DCMTK and GDCM decoding what Hilum encoded, pydicom
 * reading multi-frame files, and the phantom's known HU for rendered images.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import jpeg from "jpeg-js";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { initializeFrameCodecs, decodeFrame } from "../../electron/pacs/codecs/frames.js";
import { parseDataset } from "../../electron/pacs/dicom/dataset.js";
import { encodeFileMeta, readPart10Header } from "../../electron/pacs/dicom/part10.js";
import { receivedFromFile } from "../../electron/pacs/files/dicom-file.js";
import { TransferSyntax } from "../fixtures/compressed.js";
import type { CtSeries } from "../fixtures/ct-series.js";
import { decodePng, pydicomFrame } from "../imaging/truth.js";
import { PYDICOM_TEST_FILES } from "../support/archive.js";
import { cachedCompressedSeries } from "../support/fixture-cache.js";
import { type TestNode, startTestNode } from "../support/hilum.js";
import { storescu } from "../support/peers.js";
import { run } from "../support/process.js";
import { type DicomJson, SECRET, expectProblem, get, readMultipart } from "./dicomweb-support.js";

const PIXEL_DATA = 0x7fe00010;
const OCTET = 'multipart/related; type="application/octet-stream"';
const CT = {
  rows: 128,
  columns: 128,
  patientName: "Phantom^Frames",
  patientId: "FRAMES-CT",
  slices: 2,
  seed: "frames",
};
const LOSSLESS = [
  TransferSyntax.JpegLsLossless,
  TransferSyntax.Jpeg2000Lossless,
  TransferSyntax.HtJpeg2000Lossless,
  TransferSyntax.RleLossless,
  TransferSyntax.JpegLosslessSV1,
  TransferSyntax.DeflatedExplicitVRLittleEndian,
  TransferSyntax.ExplicitVRBigEndian,
  TransferSyntax.ImplicitVRLittleEndian,
] as const;

let hilum: TestNode;
let base: string;
let ct: CtSeries;
let copies: Partial<Record<string, string[]>>;
let scratch: string;

/** The Pixel Data value of a Part 10 file, as stored in it. */
function pixelBytes(file: string | Buffer): Buffer {
  const bytes = typeof file === "string" ? readFileSync(file) : file;
  const header = readPart10Header(bytes);
  const dataset = parseDataset(bytes.subarray(header.datasetOffset), {
    transferSyntaxUid: header.transferSyntaxUid,
  });
  const value = dataset.get(PIXEL_DATA)?.value;
  if (!value) throw new Error("no native Pixel Data");
  return value;
}

/** 16-bit samples of `bitsStored` bits as the integers they mean (high bits ignored, sign extended). */
function samples(bytes: Buffer, bitsStored = 12): number[] {
  const shift = 32 - bitsStored;
  return Array.from({ length: bytes.length / 2 }, (_, i) => (bytes.readUInt16LE(i * 2) << shift) >> shift);
}

/** A Part 10 file: the original's header (explicit VR little endian) with one encapsulated frame in `syntax`. */
function rewrap(original: string, codestream: Buffer, syntax: string): Buffer {
  const bytes = readFileSync(original);
  const header = readPart10Header(bytes);
  const dataset = bytes.subarray(header.datasetOffset);
  const parsed = parseDataset(dataset, {
    transferSyntaxUid: header.transferSyntaxUid,
    stopAtPixelData: true,
  });
  const item = (value: Buffer) => {
    const head = Buffer.alloc(8);
    head.writeUInt16LE(0xfffe, 0);
    head.writeUInt16LE(0xe000, 2);
    head.writeUInt32LE(value.length, 4);
    return Buffer.concat([head, value]);
  };
  const pixelHead = Buffer.from([0xe0, 0x7f, 0x10, 0x00, 0x4f, 0x42, 0, 0, 0xff, 0xff, 0xff, 0xff]);
  const delimiter = Buffer.from([0xfe, 0xff, 0xdd, 0xe0, 0, 0, 0, 0]);
  const meta = encodeFileMeta({
    sopClassUid: header.mediaStorageSopClassUid!,
    sopInstanceUid: header.mediaStorageSopInstanceUid!,
    transferSyntaxUid: syntax,
    implementationClassUid: "1.2.3.4",
  });
  return Buffer.concat([
    meta,
    dataset.subarray(0, parsed.pixelDataOffset),
    pixelHead,
    item(Buffer.alloc(0)),
    item(codestream),
    delimiter,
  ]);
}

/** Decompresses a file with a DCMTK or GDCM tool and returns its native Pixel Data. */
async function decompressWith(tool: string, args: string[], file: Buffer): Promise<Buffer> {
  const input = join(scratch, `in-${Math.random().toString(36).slice(2)}.dcm`);
  const output = `${input}.out.dcm`;
  writeFileSync(input, file);
  const result = await run(tool, [...args, input, output]);
  expect(result.code, `${tool}: ${result.stderr}${result.stdout}`).toBe(0);
  return pixelBytes(output);
}

/** Study, series and SOP Instance UIDs of a file, as pydicom reads them. */
async function uidsOf(path: string): Promise<[string, string, string]> {
  const result = await run("/usr/bin/python3", [
    "-c",
    "import sys, pydicom; ds = pydicom.dcmread(sys.argv[1]); print(ds.StudyInstanceUID, ds.SeriesInstanceUID, ds.SOPInstanceUID)",
    path,
  ]);
  const [study = "", series = "", instance = ""] = result.stdout.trim().split(" ");
  return [study, series, instance];
}

async function importFile(path: string): Promise<void> {
  const object = await receivedFromFile(path, hilum.node.store);
  await hilum.node.ingest.ingest({ object, source: { kind: "import", actor: path, callingAeTitle: "" } });
}

async function store(files: string[], syntax?: string): Promise<void> {
  if (syntax === TransferSyntax.HtJpeg2000Lossless) {
    for (const file of files) await importFile(file);
    return;
  }
  const sent = await storescu(hilum.target, files, { proposeTs: "as-stored" });
  expect(sent.code, sent.stderr).toBe(0);
}

function instanceUrl(series: CtSeries, index: number): string {
  return `${base}/studies/${series.studyInstanceUid}/series/${series.seriesInstanceUid}/instances/${series.sopInstanceUids[index]}`;
}

async function multipart(response: Response) {
  const body = Buffer.from(await response.arrayBuffer());
  expect(response.status, body.toString("latin1").slice(0, 300)).toBe(200);
  return readMultipart(response.headers.get("content-type") ?? "", body);
}

beforeAll(async () => {
  scratch = mkdtempSync(join(tmpdir(), "hilum-frames-test-"));
  hilum = await startTestNode({ http: { launchSecret: SECRET } });
  base = `${hilum.node.http.url}/dicom-web`;
  const compressed = await cachedCompressedSeries({ series: CT, syntaxes: [...LOSSLESS] });
  ct = compressed.series;
  copies = compressed.copies;
  await store(ct.files);
  await initializeFrameCodecs();
});

afterAll(async () => {
  await hilum?.close();
  rmSync(scratch, { recursive: true, force: true });
});

describe("frames as stored and uncompressed", () => {
  it("gives the pixels of the uncompressed original, byte for byte, with caching headers", async () => {
    const response = await get(`${instanceUrl(ct, 0)}/frames/1`, { accept: OCTET });
    const parts = await multipart(response);
    expect(parts).toHaveLength(1);
    expect(parts[0]!.headers["content-type"]).toBe(
      "application/octet-stream; transfer-syntax=1.2.840.10008.1.2.1",
    );
    expect(parts[0]!.body.equals(pixelBytes(ct.files[0]!))).toBe(true);
    // URLs are UID-based and an instance can be replaced: short-lived, revalidated by the content ETag.
    expect(response.headers.get("cache-control")).toBe("private, max-age=60");
    const etag = response.headers.get("etag")!;
    expect(etag).toMatch(/^"[0-9a-f]+"$/);
    const again = await get(`${instanceUrl(ct, 0)}/frames/1`, { accept: OCTET, "if-none-match": etag });
    expect(again.status).toBe(304);
    expect((await again.arrayBuffer()).byteLength).toBe(0);
    // Another representation is another ETag.
    const jls = await get(`${instanceUrl(ct, 0)}/frames/1`, {
      accept: 'multipart/related; type="image/jls"',
    });
    expect(jls.status).toBe(200);
    expect(jls.headers.get("etag")).not.toBe(etag);
  });

  it("is the default without an Accept header, and several frames come in the order asked", async () => {
    const response = await fetch(`${instanceUrl(ct, 1)}/frames/1`, {
      headers: { authorization: `Bearer ${SECRET}` },
    });
    const parts = await multipart(response);
    expect(parts[0]!.body.equals(pixelBytes(ct.files[1]!))).toBe(true);
    expect(response.headers.get("content-type")).toMatch(
      /^multipart\/related; type="application\/octet-stream"/,
    );
  });

  it.each(LOSSLESS)("decodes frames stored in %s to the original pixels exactly", async (syntax) => {
    const files = copies[syntax]!;
    await store(files, syntax);
    await hilum.node.ingest.idle();
    for (const [index, uid] of ct.sopInstanceUids.entries()) {
      const row = hilum.node.index.instancesForRetrieve({ level: "IMAGE", sopInstanceUids: [uid] })[0]!;
      expect(row.transferSyntaxUid).toBe(syntax);
      const parts = await multipart(await get(`${instanceUrl(ct, index)}/frames/1`, { accept: OCTET }));
      expect(parts[0]!.headers["content-type"]).toBe(
        "application/octet-stream; transfer-syntax=1.2.840.10008.1.2.1",
      );
      expect(parts[0]!.body.equals(pixelBytes(ct.files[index]!)), `slice ${index + 1} from ${syntax}`).toBe(
        true,
      );
    }
    // As stored: a compressed frame is the archived codestream itself.
    const stored = await get(`${instanceUrl(ct, 0)}/frames/1`, { accept: `${OCTET}; transfer-syntax=*` });
    const [part] = await multipart(stored);
    const compressed =
      !syntax.startsWith("1.2.840.10008.1.2.1") &&
      syntax !== "1.2.840.10008.1.2" &&
      syntax !== "1.2.840.10008.1.2.2";
    expect(part!.headers["content-type"]).toMatch(
      new RegExp(`transfer-syntax=${(compressed ? syntax : "1.2.840.10008.1.2.1").replaceAll(".", "\\.")}$`),
    );
    if (compressed) {
      const file = readFileSync(files[0]!);
      expect(file.includes(part!.body.subarray(0, 64))).toBe(true);
    }
    await store([ct.files[0]!, ct.files[1]!]); // back to uncompressed for the rest
  });
});

describe("frames transcoded from an uncompressed instance", () => {
  const cases = [
    { type: "image/jls", syntax: TransferSyntax.JpegLsLossless, decode: ["dcmdjpls", []] },
    { type: "image/jpeg", syntax: TransferSyntax.JpegLosslessSV1, decode: ["dcmdjpeg", []] },
    { type: "image/dicom-rle", syntax: TransferSyntax.RleLossless, decode: ["dcmdrle", []] },
    { type: "image/jp2", syntax: TransferSyntax.Jpeg2000Lossless, decode: ["gdcmconv", ["--raw"]] },
  ] as const;

  it.each(cases)(
    "$type is lossless ($syntax) and decodes with $decode.0 to the original pixels",
    async (c) => {
      const parts = await multipart(
        await get(`${instanceUrl(ct, 0)}/frames/1`, { accept: `multipart/related; type="${c.type}"` }),
      );
      expect(parts[0]!.headers["content-type"]).toBe(`${c.type}; transfer-syntax=${c.syntax}`);
      const original = pixelBytes(ct.files[0]!);
      expect(parts[0]!.body.length).toBeLessThan(original.length);
      const decoded = await decompressWith(
        c.decode[0],
        [...c.decode[1]],
        rewrap(ct.files[0]!, parts[0]!.body, c.syntax),
      );
      expect(samples(decoded)).toEqual(samples(original));
    },
  );

  it("image/jphc is HTJ2K lossless and decodes (OpenJPH in dcmjs-codecs) to the original pixels", async () => {
    const parts = await multipart(
      await get(`${instanceUrl(ct, 0)}/frames/1`, { accept: 'multipart/related; type="image/jphc"' }),
    );
    expect(parts[0]!.headers["content-type"]).toBe(
      `image/jphc; transfer-syntax=${TransferSyntax.HtJpeg2000Lossless}`,
    );
    const geometry = {
      rows: 128,
      columns: 128,
      samplesPerPixel: 1,
      bitsAllocated: 16,
      bitsStored: 12,
      pixelRepresentation: 1,
      planarConfiguration: 0,
      photometricInterpretation: "MONOCHROME2",
    };
    const decoded = decodeFrame(parts[0]!.body, TransferSyntax.HtJpeg2000Lossless, geometry);
    expect(samples(decoded.pixels)).toEqual(samples(pixelBytes(ct.files[0]!)));
  });

  it("a single frame comes as one body with a single-part Accept, and honours Range", async () => {
    const url = `${instanceUrl(ct, 0)}/frames/1`;
    const original = pixelBytes(ct.files[0]!);
    const whole = await get(url, { accept: "application/octet-stream" });
    expect(whole.status).toBe(200);
    expect(whole.headers.get("content-type")).toBe(
      "application/octet-stream; transfer-syntax=1.2.840.10008.1.2.1",
    );
    expect(whole.headers.get("accept-ranges")).toBe("bytes");
    expect(Buffer.from(await whole.arrayBuffer()).equals(original)).toBe(true);
    const part = await get(url, { accept: "application/octet-stream", range: "bytes=100-199" });
    expect(part.status).toBe(206);
    expect(part.headers.get("content-range")).toBe(`bytes 100-199/${original.length}`);
    expect(Buffer.from(await part.arrayBuffer()).equals(original.subarray(100, 200))).toBe(true);
    const suffix = await get(url, { accept: "application/octet-stream", range: "bytes=-10" });
    expect(suffix.status).toBe(206);
    expect(Buffer.from(await suffix.arrayBuffer()).equals(original.subarray(original.length - 10))).toBe(
      true,
    );
    const beyond = await get(url, { accept: "application/octet-stream", range: `bytes=${original.length}-` });
    await expectProblem(beyond, 416, /outside/);
    expect(beyond.headers.get("content-range")).toBe(`bytes */${original.length}`);
    expect(beyond.headers.get("etag")).toBeNull();
  });

  it("answers 406 when the representation cannot be made, and never goes lossy unasked", async () => {
    const url = `${instanceUrl(ct, 0)}/frames/1`;
    // 12-bit signed CT cannot be baseline JPEG; a syntax the media type cannot carry; a type that is no frame.
    await expectProblem(
      await get(url, {
        accept: `multipart/related; type="image/jpeg"; transfer-syntax=${TransferSyntax.JpegBaseline}`,
      }),
      406,
      /cannot be encoded/,
    );
    await expectProblem(
      await get(url, {
        accept: `multipart/related; type="image/jp2"; transfer-syntax=${TransferSyntax.JpegLsLossless}`,
      }),
      406,
      /cannot carry/,
    );
    await expectProblem(await get(url, { accept: "text/html" }), 406);
    // image/jls without a syntax is lossless JPEG-LS, not near-lossless.
    const [part] = await multipart(await get(url, { accept: 'multipart/related; type="image/jls"' }));
    expect(part!.headers["content-type"]).toBe(`image/jls; transfer-syntax=${TransferSyntax.JpegLsLossless}`);
    // Near-lossless when named.
    const [lossy] = await multipart(
      await get(url, {
        accept: `multipart/related; type="image/jls"; transfer-syntax=${TransferSyntax.JpegLsNearLossless}`,
      }),
    );
    expect(lossy!.headers["content-type"]).toBe(
      `image/jls; transfer-syntax=${TransferSyntax.JpegLsNearLossless}`,
    );
    // The first acceptable range wins.
    const [fallback] = await multipart(
      await get(url, {
        accept: `multipart/related; type="image/jp2"; transfer-syntax=${TransferSyntax.JpegLsLossless}, ${OCTET}; q=0.5`,
      }),
    );
    expect(fallback!.headers["content-type"]).toMatch(/^application\/octet-stream/);
  });

  it("answers 404 for a frame the instance lacks, 400 for a malformed list, 401 without credentials", async () => {
    await expectProblem(
      await get(`${instanceUrl(ct, 0)}/frames/2`, { accept: OCTET }),
      404,
      /frame 2 does not exist/,
    );
    await expectProblem(await get(`${instanceUrl(ct, 0)}/frames/0`, { accept: OCTET }), 400);
    await expectProblem(await get(`${instanceUrl(ct, 0)}/frames/1,x`, { accept: OCTET }), 400);
    await expectProblem(await get(`${instanceUrl(ct, 0)}/frames/-1`, { accept: OCTET }), 400);
    const wrongSeries = `${base}/studies/${ct.studyInstanceUid}/series/1.2.3/instances/${ct.sopInstanceUids[0]}/frames/1`;
    await expectProblem(await get(wrongSeries, { accept: OCTET }), 404);
    await expectProblem(await fetch(`${instanceUrl(ct, 0)}/frames/1`), 401);
    const audited = hilum.node.index.audit.query({
      action: "retrieve-frames",
      studyUid: ct.studyInstanceUid,
    });
    expect(audited.length).toBeGreaterThan(0);
    expect(audited[0]!.actor).not.toBe("anonymous");
  });
});

describe("multi-frame objects", () => {
  // The RLE copies share their SOP Instance UIDs with other files: each is stored (replacing) in its own test.
  const files = ["rtdose.dcm", "rtdose_rle.dcm", "SC_rgb_rle_2frame.dcm", "SC_rgb_rle_16bit_2frame.dcm"];

  it.each(files)("%s: frames 1 and 2 differ and equal pydicom's reading", async (name) => {
    const path = join(PYDICOM_TEST_FILES, name);
    await importFile(path);
    const [study, series, instance] = await uidsOf(path);
    const url = `${base}/studies/${study}/series/${series}/instances/${instance}/frames/2,1`;
    const parts = await multipart(await get(url, { accept: OCTET }));
    expect(parts).toHaveLength(2);
    const [second, first] = parts.map((part) => part.body);
    expect(first!.equals(second!)).toBe(false);
    expect(first!.equals(await pydicomFrame(path, 1))).toBe(true);
    expect(second!.equals(await pydicomFrame(path, 2))).toBe(true);
    expect(parts[0]!.headers["content-location"]).toMatch(/\/frames\/2$/);
  });
});

describe("bulk data", () => {
  async function metadataOf(url: string): Promise<DicomJson> {
    const response = await get(`${url}/metadata`, { accept: "application/dicom+json" });
    expect(response.status).toBe(200);
    return ((await response.json()) as DicomJson[])[0]!;
  }

  it("serves Pixel Data at the metadata's BulkDataURI, whole or by range", async () => {
    const uri = (await metadataOf(instanceUrl(ct, 0)))["7FE00010"]!.BulkDataURI!;
    expect(uri).toMatch(/\/bulkdata\/7FE00010$/);
    const original = pixelBytes(ct.files[0]!);
    const [part] = await multipart(await get(uri));
    expect(part!.body.equals(original)).toBe(true);
    const ranged = await get(uri, { accept: "application/octet-stream", range: "bytes=1000-" });
    expect(ranged.status).toBe(206);
    expect(ranged.headers.get("content-range")).toBe(`bytes 1000-${original.length - 1}/${original.length}`);
    expect(Buffer.from(await ranged.arrayBuffer()).equals(original.subarray(1000))).toBe(true);
    await expectProblem(
      await get(uri, { accept: "application/octet-stream", range: "bytes=99999999-" }),
      416,
    );
  });

  it("decodes compressed Pixel Data for octet-stream (a range decodes only its frames), or sends it as stored", async () => {
    await store([copies[TransferSyntax.JpegLsLossless]![0]!]);
    try {
      const uri = `${instanceUrl(ct, 0)}/bulkdata/7FE00010`;
      const original = pixelBytes(ct.files[0]!);
      const [part] = await multipart(await get(uri));
      expect(part!.headers["content-type"]).toBe(
        "application/octet-stream; transfer-syntax=1.2.840.10008.1.2.1",
      );
      expect(part!.body.equals(original)).toBe(true);
      const ranged = await get(uri, { accept: "application/octet-stream", range: "bytes=32000-32767" });
      expect(ranged.status).toBe(206);
      expect(Buffer.from(await ranged.arrayBuffer()).equals(original.subarray(32000))).toBe(true);
      const [stored] = await multipart(await get(uri, { accept: `${OCTET}; transfer-syntax=*` }));
      expect(stored!.headers["content-type"]).toBe(
        `image/jls; transfer-syntax=${TransferSyntax.JpegLsLossless}`,
      );
      expect(stored!.body.length).toBeLessThan(original.length);
    } finally {
      await store([ct.files[0]!]);
    }
  });

  it("serves a value inside a sequence (WaveformData) and big endian Pixel Data swapped", async () => {
    const ecg = join(PYDICOM_TEST_FILES, "waveform_ecg.dcm");
    const mr = join(PYDICOM_TEST_FILES, "MR_small_bigendian.dcm");
    await store([ecg, mr]);
    const truth = await run("/usr/bin/python3", [
      "-c",
      "import sys, pydicom; ds = pydicom.dcmread(sys.argv[1]); print(ds.StudyInstanceUID, ds.SeriesInstanceUID, ds.SOPInstanceUID); sys.stdout.write(ds.WaveformSequence[0].WaveformData[:4096].hex())",
      ecg,
    ]);
    const [uids = "", hex = ""] = truth.stdout.split("\n");
    const [study, series, instance] = uids.split(" ");
    const json = await metadataOf(`${base}/studies/${study}/series/${series}/instances/${instance}`);
    const waveform = (json["54000100"]!.Value![0] as DicomJson)["54001010"]!;
    expect(waveform.BulkDataURI).toMatch(/\/bulkdata\/54000100\/0\/54001010$/);
    const single = await get(waveform.BulkDataURI!, {
      accept: "application/octet-stream",
      range: "bytes=0-4095",
    });
    expect(single.status).toBe(206);
    expect(Buffer.from(await single.arrayBuffer()).toString("hex")).toBe(hex);
    const missing = waveform.BulkDataURI!.replace("/0/54001010", "/7/54001010");
    await expectProblem(await get(missing), 404);
    await expectProblem(await get(waveform.BulkDataURI!.replace(/bulkdata\/.*$/, "bulkdata/xyz")), 400);

    const mrTruth = await pydicomFrame(mr, 1);
    const [s, se, i] = await uidsOf(mr);
    const [pixels] = await multipart(
      await get(`${base}/studies/${s}/series/${se}/instances/${i}/bulkdata/7FE00010`),
    );
    expect(pixels!.body.equals(mrTruth)).toBe(true);
  });
});

describe("rendered and thumbnail", () => {
  /** The pixel (row, column) of a point of the phantom in patient mm, as the generator lays out the slice. */
  function pixelAt(x: number, y: number): [number, number] {
    const spacing = 400 / 128;
    const origin = (-(128 - 1) * spacing) / 2;
    return [Math.round((y - origin) / spacing), Math.round((x - origin) / spacing)];
  }
  const R = 200;

  it("renders a CT slice with window 40,400: padding and air black, bone white, soft tissue mid-gray", async () => {
    const response = await get(`${instanceUrl(ct, 0)}/rendered?window=40,400`, { accept: "image/png" });
    expect(response.status).toBe(200);
    expect(response.headers.get("content-type")).toBe("image/png");
    const png = decodePng(Buffer.from(await response.arrayBuffer()));
    expect([png.width, png.height, png.channels]).toEqual([128, 128, 1]);
    const at = (x: number, y: number) => {
      const [row, col] = pixelAt(x, y);
      return png.data[row * 128 + col]!;
    };
    expect(png.data[0]).toBe(0); // outside the scan circle: padding
    expect(at(0, -185)).toBe(0); // air
    expect(at(-0.38 * R, -0.05 * R)).toBe(0); // lung, -850 HU
    expect(at(0, 0.42 * R)).toBe(255); // spine, 700 HU
    expect(Math.abs(at(0.75 * R, 0.05 * R) - 128)).toBeLessThanOrEqual(10); // soft tissue, 40 ± 12 HU
    expect(Math.abs(at(0.12 * R, 0.25 * R) - 230)).toBeLessThanOrEqual(10); // aorta, 200 HU
    // The stored window is 40/400 too: the same image without the parameter.
    const stored = await get(`${instanceUrl(ct, 0)}/rendered`, { accept: "image/png" });
    expect(decodePng(Buffer.from(await stored.arrayBuffer())).data.equals(png.data)).toBe(true);
    // A narrow bone window turns soft tissue black.
    const bone = await get(`${instanceUrl(ct, 0)}/rendered?window=1000,200,linear-exact`, {
      accept: "image/png",
    });
    expect(decodePng(Buffer.from(await bone.arrayBuffer())).data[pixelAt(0.75 * R, 0.05 * R)[0] * 128]).toBe(
      0,
    );
  });

  it("honours viewport (aspect kept) and answers JPEG by default, with quality", async () => {
    const small = await get(`${instanceUrl(ct, 0)}/rendered?viewport=64,32`, { accept: "image/png" });
    const png = decodePng(Buffer.from(await small.arrayBuffer()));
    expect([png.width, png.height]).toEqual([32, 32]);
    const region = await get(`${instanceUrl(ct, 0)}/rendered?viewport=100,100,0,0,64,32`, {
      accept: "image/png",
    });
    const cut = decodePng(Buffer.from(await region.arrayBuffer()));
    expect([cut.width, cut.height]).toEqual([100, 50]);
    const response = await fetch(`${instanceUrl(ct, 0)}/rendered?quality=95`, {
      headers: { authorization: `Bearer ${SECRET}` },
    });
    expect(response.headers.get("content-type")).toBe("image/jpeg");
    const good = Buffer.from(await response.arrayBuffer());
    const image = jpeg.decode(good, { useTArray: true });
    expect([image.width, image.height]).toEqual([128, 128]);
    const [row, col] = pixelAt(0, 0.42 * R);
    expect(image.data[(row * 128 + col) * 4]).toBeGreaterThan(235);
    const poor = Buffer.from(
      await (await get(`${instanceUrl(ct, 0)}/rendered?quality=10`, { accept: "image/jpeg" })).arrayBuffer(),
    );
    expect(poor.length).toBeLessThan(good.length);
    await expectProblem(await get(`${instanceUrl(ct, 0)}/rendered?window=40`), 400, /window/);
    await expectProblem(await get(`${instanceUrl(ct, 0)}/rendered?viewport=0,10`), 400, /viewport/);
    await expectProblem(await get(`${instanceUrl(ct, 0)}/rendered?quality=101`), 400, /quality/);
    await expectProblem(await get(`${instanceUrl(ct, 0)}/rendered`, { accept: "image/gif" }), 406);
  });

  it("renders frames, series and studies, and makes small thumbnails at every level", async () => {
    const frames = await get(`${instanceUrl(ct, 0)}/frames/1/rendered`, { accept: "image/png" });
    expect(decodePng(Buffer.from(await frames.arrayBuffer())).width).toBe(128);
    const series = await multipart(
      await get(`${base}/studies/${ct.studyInstanceUid}/series/${ct.seriesInstanceUid}/rendered`),
    );
    expect(series).toHaveLength(2);
    expect(series.every((part) => part.headers["content-type"] === "image/jpeg")).toBe(true);
    for (const url of [
      `${base}/studies/${ct.studyInstanceUid}/thumbnail`,
      `${base}/studies/${ct.studyInstanceUid}/series/${ct.seriesInstanceUid}/thumbnail`,
      `${instanceUrl(ct, 1)}/thumbnail`,
      `${instanceUrl(ct, 1)}/frames/1/thumbnail`,
    ]) {
      const response = await get(url, { accept: "image/png" });
      expect(response.status, url).toBe(200);
      const thumb = decodePng(Buffer.from(await response.arrayBuffer()));
      expect(Math.max(thumb.width, thumb.height)).toBeLessThanOrEqual(128);
      expect(response.headers.get("cache-control")).toBe("private, max-age=60");
    }
    const thumb = decodePng(
      Buffer.from(
        await (
          await get(`${instanceUrl(ct, 1)}/thumbnail?viewport=40,40`, { accept: "image/png" })
        ).arrayBuffer(),
      ),
    );
    expect(thumb.width).toBe(40);
    const audited = hilum.node.index.audit.query({
      action: "retrieve-thumbnail",
      studyUid: ct.studyInstanceUid,
    });
    expect(audited.length).toBeGreaterThanOrEqual(4);
  });

  it("renders multi-frame colour: one image per frame, and 406 for an object without pixels", async () => {
    const path = join(PYDICOM_TEST_FILES, "SC_rgb_rle_2frame.dcm");
    await importFile(path);
    const [study, series, instance] = await uidsOf(path);
    const url = `${base}/studies/${study}/series/${series}/instances/${instance}`;
    const parts = await multipart(
      await get(`${url}/frames/1,2/rendered`, { accept: 'multipart/related; type="image/png"' }),
    );
    expect(parts).toHaveLength(2);
    const [one, two] = parts.map((part) => decodePng(part.body));
    expect(one!.channels).toBe(3);
    // RGB rendering keeps the 8-bit samples: pixel for pixel the decoded frame.
    expect(one!.data.equals(await pydicomFrame(path, 1))).toBe(true);
    expect(two!.data.equals(await pydicomFrame(path, 2))).toBe(true);
    const single = await get(`${url}/rendered`, { accept: "image/png" });
    expect(decodePng(Buffer.from(await single.arrayBuffer())).data.equals(one!.data)).toBe(true);
    const sr = join(PYDICOM_TEST_FILES, "reportsi.dcm");
    await store([sr]);
    const [s, se, i] = await uidsOf(sr);
    await expectProblem(
      await get(`${base}/studies/${s}/series/${se}/instances/${i}/rendered`),
      406,
      /Pixel Data/,
    );
    await expectProblem(
      await get(`${base}/studies/${s}/series/${se}/instances/${i}/frames/1`, { accept: OCTET }),
      404,
    );
  });
});
