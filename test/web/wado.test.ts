/**
 * WADO-RS retrieve and metadata, and WADO-URI, against a node filled by DCMTK storescu: what comes back
 * is compared byte for byte with the archived objects, pixel for pixel with the sent files when it was
 * transcoded (and decoded by DCMTK where Hilum encoded), and value for value with dcmdump for metadata.
 * Orthanc's DICOMweb plugin queries Hilum and pulls a study from it.
 */
import { request as httpRequest } from "node:http";
import { join } from "node:path";
import { inflateRawSync } from "node:zlib";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parseDataset } from "../../electron/pacs/dicom/dataset.js";
import { readPart10Header } from "../../electron/pacs/dicom/part10.js";
import * as tags from "../../shared/dicom/tags.js";
import { TransferSyntax } from "../fixtures/compressed.js";
import type { CtSeries } from "../fixtures/ct-series.js";
import { PYDICOM_TEST_FILES, archived, datasetOf } from "../support/archive.js";
import { cachedCompressedSeries, cachedCtSeries } from "../support/fixture-cache.js";
import { type TestNode, scratchDir, startTestNode } from "../support/hilum.js";
import { startOrthanc, storescu } from "../support/peers.js";
import { run } from "../support/process.js";
import {
  type DicomJson,
  type DicomWebClient,
  SECRET,
  compareElement,
  dicomWebClient,
  dumpElements,
  expectProblem,
  first,
  get,
  key,
  readMultipart,
} from "./dicomweb-support.js";

const EXPLICIT_LE = TransferSyntax.ExplicitVRLittleEndian;
const JPEG_LS = TransferSyntax.JpegLsLossless;
const DEFLATED = TransferSyntax.DeflatedExplicitVRLittleEndian;
const MPEG2 = "1.2.840.10008.1.2.4.100";
const DICOM_ANY = 'multipart/related; type="application/dicom"; transfer-syntax=*';
const CT = { rows: 64, columns: 64, patientName: "Phantom^Wado", patientId: "WADO-CT-1" };
/** Real-world files: implicit VR with many sequences, explicit with private tags, big endian, ideographic names. */
const PYDICOM_FILES = [
  join(PYDICOM_TEST_FILES, "rtplan.dcm"),
  join(PYDICOM_TEST_FILES, "CT_small.dcm"),
  join(PYDICOM_TEST_FILES, "MR_small_bigendian.dcm"),
  "/usr/lib/python3/dist-packages/pydicom/data/charset_files/chrX1.dcm",
];

/** RLE with 32 bits allocated: the codecs cannot decode it. */
const RLE_32BIT = join(PYDICOM_TEST_FILES, "SC_rgb_rle_32bit.dcm");
const RLE = TransferSyntax.RleLossless;

let hilum: TestNode;
let base: string;
let client: DicomWebClient;
let ct: CtSeries;
/** Stored as JPEG-LS lossless; `jlsSource` is the uncompressed original of each. */
let jls: CtSeries;
let jlsFiles: string[];
/** Stored deflated. */
let deflated: CtSeries;
let deflatedFiles: string[];

beforeAll(async () => {
  hilum = await startTestNode({ http: { launchSecret: SECRET } });
  base = `${hilum.node.http.url}/dicom-web`;
  client = dicomWebClient(base);
  ct = await cachedCtSeries({ ...CT, slices: 8, seed: "wado-ct" });
  const compressed = await cachedCompressedSeries({
    series: { ...CT, slices: 2, seed: "wado-jls", patientId: "WADO-JLS-1" },
    syntaxes: [JPEG_LS],
  });
  jls = compressed.series;
  jlsFiles = compressed.copies[JPEG_LS] ?? [];
  const deflatedCopies = await cachedCompressedSeries({
    series: { ...CT, slices: 1, seed: "wado-deflated", patientId: "WADO-DFL-1" },
    syntaxes: [DEFLATED],
  });
  deflated = deflatedCopies.series;
  deflatedFiles = deflatedCopies.copies[DEFLATED] ?? [];
  for (const files of [ct.files, jlsFiles, deflatedFiles, PYDICOM_FILES, [RLE_32BIT]]) {
    const sent = await storescu(hilum.target, files, { proposeTs: "as-stored" });
    expect(sent.code, sent.stderr).toBe(0);
  }
});

afterAll(() => hilum?.close());

function instanceUrl(series: CtSeries, index: number): string {
  return `${base}/studies/${series.studyInstanceUid}/series/${series.seriesInstanceUid}/instances/${series.sopInstanceUids[index]}`;
}

function pixelsOf(part10: Buffer): Buffer {
  const header = readPart10Header(part10);
  const dataset = parseDataset(part10.subarray(header.datasetOffset), {
    transferSyntaxUid: header.transferSyntaxUid,
  });
  const pixels = dataset.bytes(tags.PixelData);
  if (!pixels) throw new Error("no native pixel data");
  return pixels;
}

async function multipart(url: string, accept?: string) {
  const response = await get(url, accept === undefined ? {} : { accept });
  const body = Buffer.from(await response.arrayBuffer());
  expect(response.status, body.toString("latin1", 0, 300)).toBe(200);
  const contentType = response.headers.get("content-type") ?? "";
  expect(contentType).toMatch(/^multipart\/related; type="application\/dicom"; boundary=/);
  return { response, parts: readMultipart(contentType, body) };
}

describe("WADO-RS retrieve", () => {
  it("dicomweb-client retrieves a study, a series and an instance: each the archived object, byte for byte", async () => {
    // dicomweb-client 0.11.3 throws on any `mediaTypes` for these calls (its _getCommonMediaType compares
    // "application/" with "application/dicom"), so it asks with its default Accept, which names no
    // transfer syntax: Explicit VR Little Endian, the syntax these are stored in. `*` is tested with fetch.
    const study = await client.retrieveStudy({ studyInstanceUID: ct.studyInstanceUid });
    expect(study).toHaveLength(ct.sopInstanceUids.length);
    for (const [i, uid] of ct.sopInstanceUids.entries()) {
      const object = await archived(hilum.node, uid);
      expect(Buffer.from(study[i] as ArrayBuffer).equals(object.bytes), uid).toBe(true);
    }
    const series = await client.retrieveSeries({
      studyInstanceUID: ct.studyInstanceUid,
      seriesInstanceUID: ct.seriesInstanceUid,
    });
    expect(series.map((b, i) => Buffer.from(b).equals(Buffer.from(study[i] as ArrayBuffer)))).toEqual(
      series.map(() => true),
    );
    const instance = await client.retrieveInstance({
      studyInstanceUID: ct.studyInstanceUid,
      seriesInstanceUID: ct.seriesInstanceUid,
      sopInstanceUID: ct.sopInstanceUids[3] as string,
    });
    const object = await archived(hilum.node, ct.sopInstanceUids[3] as string);
    expect(Buffer.from(instance).equals(object.bytes)).toBe(true);
    const { parts } = await multipart(`${base}/studies/${ct.studyInstanceUid}`, DICOM_ANY);
    expect(parts.map((p) => p.body.equals(Buffer.from(study[parts.indexOf(p)] as ArrayBuffer)))).toEqual(
      parts.map(() => true),
    );
  });

  it("labels each part with its transfer syntax and location; no Accept means as stored", async () => {
    const { parts } = await multipart(`${base}/studies/${jls.studyInstanceUid}`);
    expect(parts).toHaveLength(2);
    for (const [i, part] of parts.entries()) {
      expect(part.headers["content-type"]).toBe(`application/dicom; transfer-syntax=${JPEG_LS}`);
      expect(part.headers["content-location"]).toBe(instanceUrl(jls, i));
      const object = await archived(hilum.node, jls.sopInstanceUids[i] as string);
      expect(part.body.equals(object.bytes)).toBe(true);
    }
  });

  it("transcodes JPEG-LS to Explicit VR Little Endian when asked (and by default): the original pixels", async () => {
    for (const accept of [
      `multipart/related; type="application/dicom"; transfer-syntax=${EXPLICIT_LE}`,
      'multipart/related; type="application/dicom"',
    ]) {
      const { parts } = await multipart(
        `${base}/studies/${jls.studyInstanceUid}/series/${jls.seriesInstanceUid}`,
        accept,
      );
      expect(parts).toHaveLength(2);
      for (const [i, part] of parts.entries()) {
        expect(part.headers["content-type"]).toBe(`application/dicom; transfer-syntax=${EXPLICIT_LE}`);
        expect(readPart10Header(part.body).transferSyntaxUid).toBe(EXPLICIT_LE);
        expect(readPart10Header(part.body).mediaStorageSopInstanceUid).toBe(jls.sopInstanceUids[i]);
        const original = jls.files[i] as string;
        expect(pixelsOf(part.body).equals(pixelsOf(Buffer.from(await readFile(original))))).toBe(true);
      }
    }
  });

  it("encodes JPEG-LS lossless from an uncompressed instance; DCMTK decodes it to the same pixels", async () => {
    const { parts } = await multipart(
      instanceUrl(ct, 2),
      `multipart/related; type="application/dicom"; transfer-syntax=${JPEG_LS}`,
    );
    const [part] = parts;
    expect(part?.headers["content-type"]).toBe(`application/dicom; transfer-syntax=${JPEG_LS}`);
    const dir = scratchDir("wado-jls");
    const encoded = join(dir, "encoded.dcm");
    const decoded = join(dir, "decoded.dcm");
    await writeFile(encoded, part?.body ?? Buffer.alloc(0));
    const result = await run("dcmdjpls", [encoded, decoded]);
    expect(result.code, result.stderr).toBe(0);
    expect(pixelsOf(await readFile(decoded)).equals(pixelsOf(await readFile(ct.files[2] as string)))).toBe(
      true,
    );
  });

  it("inflates a deflated instance for Explicit VR Little Endian, and deflates one on request", async () => {
    const uid = deflated.sopInstanceUids[0] as string;
    const stored = await archived(hilum.node, uid);
    expect(stored.transferSyntaxUid).toBe(DEFLATED);
    const { parts } = await multipart(
      instanceUrl(deflated, 0),
      `multipart/related; type="application/dicom"; transfer-syntax=${EXPLICIT_LE}`,
    );
    const body = parts[0]?.body ?? Buffer.alloc(0);
    expect(readPart10Header(body).transferSyntaxUid).toBe(EXPLICIT_LE);
    expect(datasetOf(body).equals(inflateRawSync(stored.dataset))).toBe(true);
    expect(pixelsOf(body).equals(pixelsOf(await readFile(deflated.files[0] as string)))).toBe(true);
    const back = await multipart(
      instanceUrl(ct, 0),
      `multipart/related; type="application/dicom"; transfer-syntax=${DEFLATED}`,
    );
    const deflatedBody = back.parts[0]?.body ?? Buffer.alloc(0);
    expect(readPart10Header(deflatedBody).transferSyntaxUid).toBe(DEFLATED);
    const original = await archived(hilum.node, ct.sopInstanceUids[0] as string);
    expect(inflateRawSync(datasetOf(deflatedBody)).equals(original.dataset)).toBe(true);
  });

  it("re-frames implicit VR as explicit VR without touching a value (dcmdump of both agree)", async () => {
    const file = PYDICOM_FILES[0] as string; // rtplan.dcm, implicit VR little endian
    const original = await dumpElements(file);
    const uid = original.find((e) => e.path.join("/") === "00080018")?.value ?? "";
    const row = hilum.node.index.findInstance(uid);
    expect((await archived(hilum.node, uid)).transferSyntaxUid).toBe(TransferSyntax.ImplicitVRLittleEndian);
    const url = `${base}/studies/${row?.studyInstanceUid}/series/${row?.seriesInstanceUid}/instances/${uid}`;
    const { parts } = await multipart(url, 'multipart/related; type="application/dicom"');
    expect(parts[0]?.headers["content-type"]).toBe(`application/dicom; transfer-syntax=${EXPLICIT_LE}`);
    const converted = join(scratchDir("wado-implicit"), "explicit.dcm");
    await writeFile(converted, parts[0]?.body ?? Buffer.alloc(0));
    const text = (elements: Awaited<ReturnType<typeof dumpElements>>) =>
      elements
        .filter((e) => !e.path.at(-1)?.endsWith("0000"))
        .map((e) => `${e.path.join("/")} ${e.vr} ${e.value}`);
    expect(text(await dumpElements(converted))).toEqual(text(original));
  });

  it("sends an object as stored when the default conversion fails, and 406 when that syntax was named", async () => {
    const uid = (await dumpElements(RLE_32BIT)).find((e) => e.path.join("/") === "00080018")?.value ?? "";
    const row = hilum.node.index.findInstance(uid);
    const url = `${base}/studies/${row?.studyInstanceUid}/series/${row?.seriesInstanceUid}/instances/${uid}`;
    const { parts } = await multipart(url, 'multipart/related; type="application/dicom"');
    expect(parts[0]?.headers["content-type"]).toBe(`application/dicom; transfer-syntax=${RLE}`);
    expect(parts[0]?.body.equals((await archived(hilum.node, uid)).bytes)).toBe(true);
    await expectProblem(
      await get(url, {
        accept: `multipart/related; type="application/dicom"; transfer-syntax=${EXPLICIT_LE}`,
      }),
      406,
      /32/,
    );
    expect((await get(url)).status).toBe(200);
  });

  it("takes the client's preferences in q order, and answers application/dicom alone for one instance", async () => {
    const accept = `multipart/related; type="application/dicom"; transfer-syntax=${MPEG2}; q=0.9, ${DICOM_ANY}; q=0.5`;
    const { parts } = await multipart(instanceUrl(jls, 0), accept);
    expect(parts[0]?.headers["content-type"]).toBe(`application/dicom; transfer-syntax=${JPEG_LS}`);
    const single = await get(instanceUrl(ct, 1), { accept: "application/dicom" });
    const object = await archived(hilum.node, ct.sopInstanceUids[1] as string);
    expect(single.status).toBe(200);
    expect(single.headers.get("content-type")).toBe(`application/dicom; transfer-syntax=${EXPLICIT_LE}`);
    expect(Buffer.from(await single.arrayBuffer()).equals(object.bytes)).toBe(true);
    expect(single.headers.get("etag")).toBe(`"${object.sha256}"`);
  });

  it("406 when the representation cannot be produced, 404 for unknown UIDs, 400 for invalid ones, 401 without credentials", async () => {
    await expectProblem(
      await get(instanceUrl(ct, 0), {
        accept: `multipart/related; type="application/dicom"; transfer-syntax=${MPEG2}`,
      }),
      406,
      new RegExp(MPEG2.replaceAll(".", "\\.")),
    );
    await expectProblem(
      await get(instanceUrl(ct, 0), { accept: 'multipart/related; type="application/dicom+xml"' }),
      406,
    );
    await expectProblem(
      await get(`${base}/studies/${ct.studyInstanceUid}`, { accept: "application/dicom" }),
      406,
      /multipart\/related/,
    );
    await expectProblem(await get(`${base}/studies/1.2.3.4.5.6`), 404, /no study 1\.2\.3\.4\.5\.6/);
    await expectProblem(await get(`${base}/studies/${ct.studyInstanceUid}/series/1.2.3`), 404, /no series/);
    // An instance that exists, under a series it is not in.
    await expectProblem(
      await get(
        `${base}/studies/${ct.studyInstanceUid}/series/${jls.seriesInstanceUid}/instances/${ct.sopInstanceUids[0]}`,
      ),
      404,
      /no instance/,
    );
    await expectProblem(await get(`${base}/studies/1.2.x`), 400, /not a valid UID/);
    await expectProblem(await get(`${base}/studies/..%2F..%2Fetc%2Fpasswd`), 400, /not a valid UID/);
    await expectProblem(
      await get(`${base}/studies/${ct.studyInstanceUid}/series/%2e%2e%2Fx`),
      400,
      /not a valid UID/,
    );
    await expectProblem(await fetch(instanceUrl(ct, 0)), 401);
    expect((await get(instanceUrl(ct, 0))).status).toBe(200);
  });

  it("caches: a strong ETag per representation, private max-age, 304 for If-None-Match", async () => {
    const url = `${base}/studies/${ct.studyInstanceUid}/series/${ct.seriesInstanceUid}`;
    const a = await get(url);
    const etag = a.headers.get("etag") ?? "";
    expect(etag).toMatch(/^"[0-9a-f]{64}"$/);
    expect(a.headers.get("cache-control")).toBe("private, max-age=60");
    expect(a.headers.get("vary")).toBe("Accept");
    const b = await get(url);
    expect(b.headers.get("etag")).toBe(etag);
    // The same ETag means the same bytes (the boundary derives from it).
    expect(Buffer.from(await a.arrayBuffer()).equals(Buffer.from(await b.arrayBuffer()))).toBe(true);
    const cached = await get(url, { "if-none-match": `W/"nope", ${etag}` });
    expect(cached.status).toBe(304);
    expect(cached.headers.get("etag")).toBe(etag);
    expect(await cached.text()).toBe("");
    const other = await get(url, {
      accept: `multipart/related; type="application/dicom"; transfer-syntax=${JPEG_LS}`,
    });
    expect(other.headers.get("etag")).not.toBe(etag);
    expect((await get(url, { "if-none-match": '"something-else"' })).status).toBe(200);
    await other.arrayBuffer();
  });

  it("audits each retrieve with the user and what was sent", async () => {
    await (await get(`${base}/studies/${jls.studyInstanceUid}`)).arrayBuffer();
    const [row] = hilum.node.index.audit.query({ action: "retrieve-wado", limit: 1 });
    expect(row?.actor).toBe("desktop");
    expect(row?.studyUid).toBe(jls.studyInstanceUid);
    expect(row?.detail).toMatchObject({ level: "study", instances: 2, syntaxes: [JPEG_LS] });
  });
});

describe("WADO-RS metadata", () => {
  it("matches dcmdump of the sent files, element for element (CT series via dicomweb-client)", async () => {
    const metadata = await client.retrieveSeriesMetadata({
      studyInstanceUID: ct.studyInstanceUid,
      seriesInstanceUID: ct.seriesInstanceUid,
    });
    expect(metadata.map((m) => first(m, "SOPInstanceUID"))).toEqual(ct.sopInstanceUids);
    for (const [i, file] of ct.files.entries()) await expectSameAsDcmdump(metadata[i] as DicomJson, file);
    const pixels = (metadata[0] as DicomJson)[key("PixelData")];
    expect(pixels).toEqual({ vr: "OW", BulkDataURI: `${instanceUrl(ct, 0)}/bulkdata/7FE00010` });
  });

  it("matches dcmdump for real-world files: sequences, private tags, big endian, ideographic names", async () => {
    for (const file of PYDICOM_FILES) {
      const dumped = await dumpElements(file);
      const uid = dumped.find((e) => e.path.length === 1 && e.path[0] === "00080018")?.value ?? "";
      const row = hilum.node.index.findInstance(uid);
      expect(row, file).toBeDefined();
      const response = await get(
        `${base}/studies/${row?.studyInstanceUid}/series/${row?.seriesInstanceUid}/instances/${uid}/metadata`,
      );
      expect(response.status).toBe(200);
      const [json, ...rest] = (await response.json()) as DicomJson[];
      expect(rest).toHaveLength(0);
      await expectSameAsDcmdump(json as DicomJson, file);
    }
  });

  it("gives bulk data URIs for large binary values and pixel data, inline binary for small ones", async () => {
    const uid = "1.3.6.1.4.1.5962.1.1.1.1.1.20040119072730.12322"; // CT_small.dcm
    const row = hilum.node.index.findInstance(uid);
    const [json] = (await (
      await get(
        `${base}/studies/${row?.studyInstanceUid}/series/${row?.seriesInstanceUid}/instances/${uid}/metadata`,
      )
    ).json()) as DicomJson[];
    const instanceBase = `${base}/studies/${row?.studyInstanceUid}/series/${row?.seriesInstanceUid}/instances/${uid}`;
    expect(json?.["7FE00010"]).toEqual({ vr: "OW", BulkDataURI: `${instanceBase}/bulkdata/7FE00010` });
    const inline = Object.values(json ?? {}).filter((a) => a.InlineBinary !== undefined);
    expect(inline.length).toBeGreaterThan(0);
    for (const attribute of inline)
      expect(Buffer.from(attribute.InlineBinary ?? "", "base64").length).toBeLessThanOrEqual(1024);
    // rtplan.dcm: sequences nest, and each item is a DICOM JSON object.
    const planUid = (await dumpElements(PYDICOM_FILES[0] as string)).find(
      (e) => e.path[0] === "00080018",
    )?.value;
    const plan = hilum.node.index.findInstance(planUid ?? "");
    const [rt] = (await (
      await get(`${base}/studies/${plan?.studyInstanceUid}/series/${plan?.seriesInstanceUid}/metadata`)
    ).json()) as DicomJson[];
    const beams = rt?.["300A00B0"]?.Value as DicomJson[];
    expect(beams.length).toBeGreaterThan(0);
    expect((beams[0] as DicomJson)["300A00C2"]?.vr).toBe("LO");
  });

  it("streams the JSON of a study, with ETag, 304 and 406", async () => {
    const url = `${base}/studies/${ct.studyInstanceUid}/metadata`;
    const response = await get(url);
    expect(response.headers.get("content-type")).toMatch(/^application\/dicom\+json/);
    expect(((await response.json()) as unknown[]).length).toBe(ct.files.length);
    const etag = response.headers.get("etag") ?? "";
    expect((await get(url, { "if-none-match": etag })).status).toBe(304);
    await expectProblem(await get(url, { accept: "application/dicom+xml" }), 406);
    await expectProblem(await get(`${base}/studies/1.2.3.4/metadata`), 404);
    await expectProblem(await get(`${base}/studies/abc/metadata`), 400);
    const [audit] = hilum.node.index.audit.query({ action: "metadata", limit: 1 });
    expect(audit?.detail).toMatchObject({ level: "study", instances: ct.files.length });
  });
});

describe("WADO-URI", () => {
  /** dicomweb-client builds the URL (with transferSyntax=* unless told); `null` leaves the parameter out. */
  function wadoUrl(series: CtSeries, index: number, transferSyntax?: string | null): string {
    const wado = dicomWebClient(`${hilum.node.http.url}/wado`);
    const url = wado.buildInstanceWadoURIUrl({
      studyInstanceUID: series.studyInstanceUid,
      seriesInstanceUID: series.seriesInstanceUid,
      sopInstanceUID: series.sopInstanceUids[index] as string,
      ...(transferSyntax ? { transferSyntax } : {}),
    });
    return transferSyntax === null ? url.replace(/&transferSyntax=[^&]*/, "") : url;
  }

  it("answers application/dicom: as stored, or converted to Explicit VR Little Endian when no transferSyntax is named", async () => {
    expect(wadoUrl(ct, 4)).toContain("contentType=application/dicom");
    const response = await get(wadoUrl(ct, 4));
    expect(response.status).toBe(200);
    expect(response.headers.get("content-type")).toBe("application/dicom");
    const object = await archived(hilum.node, ct.sopInstanceUids[4] as string);
    expect(response.headers.get("etag")).toBe(`"${object.sha256}"`);
    expect(Buffer.from(await response.arrayBuffer()).equals(object.bytes)).toBe(true);
    const stored = (await archived(hilum.node, jls.sopInstanceUids[1] as string)).bytes;
    const asStored = Buffer.from(await (await get(wadoUrl(jls, 1))).arrayBuffer());
    expect(asStored.equals(stored)).toBe(true);
    const converted = Buffer.from(await (await get(wadoUrl(jls, 1, null))).arrayBuffer());
    expect(readPart10Header(converted).transferSyntaxUid).toBe(EXPLICIT_LE);
    expect(pixelsOf(converted).equals(pixelsOf(await readFile(jls.files[1] as string)))).toBe(true);
    const asked = Buffer.from(await (await get(wadoUrl(jls, 1, EXPLICIT_LE))).arrayBuffer());
    expect(asked.equals(converted)).toBe(true);
    const encoded = Buffer.from(await (await get(wadoUrl(ct, 4, JPEG_LS))).arrayBuffer());
    expect(readPart10Header(encoded).transferSyntaxUid).toBe(JPEG_LS);
  });

  it("400 for a missing or invalid parameter, 404 for an unknown object, 406 for what it cannot produce", async () => {
    const wado = `${hilum.node.http.url}/wado`;
    const ids = `studyUID=${ct.studyInstanceUid}&seriesUID=${ct.seriesInstanceUid}&objectUID=${ct.sopInstanceUids[0]}`;
    await expectProblem(await get(`${wado}?${ids}&contentType=application/dicom`), 400, /requestType/);
    await expectProblem(
      await get(`${wado}?requestType=WADO&studyUID=${ct.studyInstanceUid}`),
      400,
      /seriesUID/,
    );
    await expectProblem(await get(`${wado}?requestType=XYZ&${ids}`), 400, /requestType/);
    await expectProblem(
      await get(`${wado}?requestType=WADO&${ids.replace(/objectUID=[^&]+/, "objectUID=../x")}`),
      400,
      /objectUID/,
    );
    await expectProblem(
      await get(`${wado}?requestType=WADO&${ids}&transferSyntax=abc`),
      400,
      /transferSyntax/,
    );
    await expectProblem(
      await get(
        `${wado}?requestType=WADO&${ids.replace(/seriesUID=[^&]+/, `seriesUID=${jls.seriesInstanceUid}`)}&contentType=application/dicom`,
      ),
      404,
    );
    await expectProblem(
      await get(`${wado}?requestType=WADO&${ids}&contentType=image/gif`),
      406,
      /image\/gif/,
    );
    await expectProblem(await get(`${wado}?requestType=WADO&${ids}&anonymize=yes`), 400, /anonymize/);
    await expectProblem(await get(`${wado}?requestType=WADO&${ids}&windowCenter=40`), 400, /windowWidth/);
    await expectProblem(await get(`${wado}?requestType=WADO&${ids}&frameNumber=2`), 404, /frame 2/);
    await expectProblem(await get(`${wado}?requestType=WADO&${ids}&region=0.5,0,0.2,1`), 400, /region/);
    await expectProblem(
      await get(`${wado}?requestType=WADO&${ids}&contentType=application/dicom&transferSyntax=${MPEG2}`),
      406,
    );
    await expectProblem(await fetch(`${wado}?requestType=WADO&${ids}&contentType=application/dicom`), 401);
  });
});

describe("WADO-URI rendered images", () => {
  /** Width and height from a PNG's IHDR. */
  function pngSize(png: Buffer): [number, number] {
    expect(png.subarray(0, 8).equals(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]))).toBe(
      true,
    );
    return [png.readUInt32BE(16), png.readUInt32BE(20)];
  }

  it("renders a frame as JPEG by default and PNG on request, honouring rows/columns, region and window", async () => {
    const wado = `${hilum.node.http.url}/wado?requestType=WADO&studyUID=${ct.studyInstanceUid}&seriesUID=${ct.seriesInstanceUid}&objectUID=${ct.sopInstanceUids[4]}`;
    const jpeg = await get(wado);
    expect(jpeg.status).toBe(200);
    expect(jpeg.headers.get("content-type")).toBe("image/jpeg");
    const jpegBytes = Buffer.from(await jpeg.arrayBuffer());
    expect(jpegBytes.subarray(0, 3).equals(Buffer.from([0xff, 0xd8, 0xff]))).toBe(true);
    const png = async (extra: string) => {
      const response = await get(`${wado}&contentType=image/png${extra}`);
      expect(response.status, extra).toBe(200);
      expect(response.headers.get("content-type")).toBe("image/png");
      return Buffer.from(await response.arrayBuffer());
    };
    expect(pngSize(await png(""))).toEqual([CT.columns, CT.rows]);
    expect(pngSize(await png("&rows=32&columns=32"))).toEqual([32, 32]);
    expect(pngSize(await png("&columns=16"))).toEqual([16, 16]);
    expect(pngSize(await png("&region=0,0,0.5,0.25"))).toEqual([32, 16]);
    const soft = await png("&windowCenter=40&windowWidth=400");
    const lung = await png("&windowCenter=-600&windowWidth=1500");
    expect(soft.equals(lung)).toBe(false);
    expect((await png("&windowCenter=40&windowWidth=400")).equals(soft)).toBe(true);
    const [audit] = hilum.node.index.audit.query({ action: "retrieve-rendered", limit: 1 });
    expect(audit?.detail).toMatchObject({ service: "wado-uri", mediaType: "image/png", frame: 1 });
  });
});

describe("Orthanc's DICOMweb plugin as a client of Hilum", () => {
  it("queries Hilum (servers/hilum/qido) and pulls a study (servers/hilum/retrieve): the same instances", async () => {
    const orthanc = await startOrthanc({
      dicomWeb: true,
      config: {
        DicomWeb: {
          Enable: true,
          Root: "/dicom-web/",
          Servers: { hilum: { Url: `${base}/`, HttpHeaders: { Authorization: `Bearer ${SECRET}` } } },
        },
      },
    });
    try {
      const found = await orthanc.json<Array<Record<string, { Value?: unknown }>>>(
        "/dicom-web/servers/hilum/qido",
        {
          method: "POST",
          body: JSON.stringify({ Uri: "/studies", Arguments: { PatientID: CT.patientId } }),
        },
      );
      // Orthanc answers in its own simplified form: { "0020000D": { "Name": …, "Value": "1.2…" } }.
      expect(found.map((s) => String(s["0020000D"]?.Value))).toEqual([ct.studyInstanceUid]);
      const retrieved = await orthanc.json<{ ReceivedInstancesCount: string }>(
        "/dicom-web/servers/hilum/retrieve",
        {
          method: "POST",
          body: JSON.stringify({ Resources: [{ Study: ct.studyInstanceUid }] }),
        },
      );
      expect(Number(retrieved.ReceivedInstancesCount)).toBe(ct.files.length);
      const instances =
        await orthanc.json<Array<{ ID: string; MainDicomTags: { SOPInstanceUID: string } }>>(
          "/instances?expand",
        );
      expect(instances.map((i) => i.MainDicomTags.SOPInstanceUID).sort()).toEqual(
        [...ct.sopInstanceUids].sort(),
      );
      for (const instance of instances) {
        const file = Buffer.from(await (await orthanc.rest(`/instances/${instance.ID}/file`)).arrayBuffer());
        const object = await archived(hilum.node, instance.MainDicomTags.SOPInstanceUID);
        expect(datasetOf(file).equals(object.dataset)).toBe(true);
      }
    } finally {
      await orthanc.stop();
    }
  });
});

describe("WADO-RS metadata of a 500-instance series (printed, not asserted)", () => {
  it("time to first byte and to the last", async () => {
    const big = await cachedCtSeries({
      slices: 500,
      rows: 128,
      columns: 128,
      patientName: "Bench^Metadata",
      patientId: "META500",
      seed: "wado-metadata-500",
    });
    const sent = await storescu(hilum.target, big.files);
    expect(sent.code, sent.stderr).toBe(0);
    const url = `${base}/studies/${big.studyInstanceUid}/series/${big.seriesInstanceUid}/metadata`;
    const figures: string[] = [];
    // Cold: every header parsed from disk; then again, from the JSON kept per archived object.
    for (const label of ["cold", "cached"]) {
      const { ttfbMs, totalMs, bytes } = await timeRequest(url);
      figures.push(
        `${label}: first byte ${ttfbMs.toFixed(1)} ms, all ${totalMs.toFixed(1)} ms, ${(bytes / 1e6).toFixed(2)} MB`,
      );
    }
    console.log(`[metadata 500-instance series] ${figures.join("; ")}`);
    const series = url.replace(/\/metadata$/, "");
    const retrieve = await timeRequest(series, DICOM_ANY);
    const mbps = retrieve.bytes / 1e6 / (retrieve.totalMs / 1000);
    console.log(
      `[retrieve 500-instance series as stored] ${(retrieve.bytes / 1e6).toFixed(1)} MB in ` +
        `${retrieve.totalMs.toFixed(0)} ms (${mbps.toFixed(0)} MB/s, first byte ${retrieve.ttfbMs.toFixed(1)} ms)`,
    );
    const all = (await (await get(url)).json()) as DicomJson[];
    expect(all).toHaveLength(500);
  });
});

async function timeRequest(
  url: string,
  accept?: string,
): Promise<{ ttfbMs: number; totalMs: number; bytes: number }> {
  return new Promise((resolve, reject) => {
    const start = performance.now();
    let ttfbMs = 0;
    let bytes = 0;
    const headers = { authorization: `Bearer ${SECRET}`, ...(accept ? { accept } : {}) };
    const request = httpRequest(url, { headers }, (response) => {
      response.on("data", (chunk: Buffer) => {
        if (bytes === 0) ttfbMs = performance.now() - start;
        bytes += chunk.length;
      });
      response.on("end", () => resolve({ ttfbMs, totalMs: performance.now() - start, bytes }));
      response.on("error", reject);
    });
    request.on("error", reject);
    request.end();
  });
}

/**
 * Every element dcmdump shows (group lengths and trailing padding aside, which DICOM JSON leaves out)
 * is in the JSON with the same VR and value, and the JSON has nothing else. SpecificCharacterSet is left
 * out of the comparison: dcmdump +U8 rewrites it to ISO_IR 192 once it has converted the text.
 */
async function expectSameAsDcmdump(json: DicomJson, file: string): Promise<void> {
  const dumped = (await dumpElements(file)).filter((e) => e.path.join("/") !== "00080005");
  const { "00080005": _charset, ...rest } = json;
  json = rest;
  const problems = dumped
    .filter((e) => !e.path.at(-1)?.endsWith("0000") && e.path.at(-1) !== "FFFCFFFC")
    .map((e) => compareElement(json, e))
    .filter((p) => p !== undefined);
  expect(problems, file).toEqual([]);
  const topLevel = dumped.filter(
    (e) => e.path.length === 1 && !e.path[0]?.endsWith("0000") && e.path[0] !== "FFFCFFFC",
  );
  expect(Object.keys(json).sort(), file).toEqual(topLevel.map((e) => e.path[0]).sort());
}

async function readFile(path: string): Promise<Buffer> {
  const { readFile: read } = await import("node:fs/promises");
  return read(path);
}

async function writeFile(path: string, bytes: Buffer): Promise<void> {
  const { writeFile: write } = await import("node:fs/promises");
  await write(path, bytes);
}
