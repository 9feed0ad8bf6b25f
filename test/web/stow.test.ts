/**
 * STOW-RS: the streaming multipart parser, parts streamed into staging like a C-STORE, the PS3.18
 * Store Instances Response, and the independent clients that push to Hilum (dicomweb-client, Orthanc).
 */
import { readFileSync, readdirSync, statSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { join } from "node:path";
import pino from "pino";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { IMPLEMENTATION_CLASS_UID } from "../../electron/pacs/core/implementation.js";
import { encodeFileMeta, readPart10Header } from "../../electron/pacs/dicom/part10.js";
import { fileMetaFor } from "../../electron/pacs/dimse/scp/store.js";
import type { WebContext } from "../../electron/pacs/web/context.js";
import {
  MultipartError,
  MultipartParser,
  type PartSink,
  parseMediaType,
} from "../../electron/pacs/web/dicomweb/multipart-parser.js";
import { StowPartReceiver, scanSopUids } from "../../electron/pacs/web/dicomweb/stow.js";
import { TransferSyntax } from "../fixtures/compressed.js";
import { encodePart10, uidFrom } from "../fixtures/part10.js";
import { PYDICOM_TEST_FILES, archived, datasetOf, fileDataset } from "../support/archive.js";
import { dcmdump } from "../support/dcmdump.js";
import { cachedCompressedSeries, cachedCtSeries } from "../support/fixture-cache.js";
import { type TestNode, scratchDir, spawnServe, startTestNode } from "../support/hilum.js";
import { startOrthanc, storescu } from "../support/peers.js";
import { AUTH, SECRET, archiveState, items, multipartBody, stow, stowFiles, value } from "./stow-support.js";

const CT = "1.2.840.10008.5.1.4.1.1.2";
const SMALL_CT = { rows: 64, columns: 64, patientName: "Stow^Small", patientId: "STOW-S" } as const;

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

// ---------------------------------------------------------------------------------------------------------
// The parser, in-process

interface Collected {
  headers: Map<string, string>;
  body: Buffer;
  ended: boolean;
}

async function parseInChunks(body: Buffer, boundary: string, size: number, maxBytes?: number) {
  const parts: Collected[] = [];
  const parser = new MultipartParser(
    boundary,
    (headers) => {
      const part: Collected = { headers: new Map(headers), body: Buffer.alloc(0), ended: false };
      parts.push(part);
      return {
        write(chunk) {
          part.body = Buffer.concat([part.body, chunk]);
          return undefined;
        },
        end() {
          part.ended = true;
        },
      } satisfies PartSink;
    },
    { maxBytes },
  );
  for (let at = 0; at < body.length; at += size) await parser.write(body.subarray(at, at + size));
  parser.end();
  return parts;
}

describe("multipart parser", () => {
  // Bodies that hold the delimiter's prefix, CRs, LFs and hyphens, to trip a naive search.
  const first = Buffer.from("\r\n--bound\r\n-- almost a boundary --boundar\r\n\r\n--");
  const second = Buffer.alloc(3000, 0x2d);
  const body = Buffer.concat([
    Buffer.from(
      "preamble, ignored\r\n--boundary \t\r\nContent-Type: application/dicom\r\nX-Long: a\r\n b\r\n\r\n",
    ),
    first,
    Buffer.from(
      "\r\n--boundary\r\ncontent-type: Application/DICOM; transfer-syntax=1.2.840.10008.1.2.1\r\n\r\n",
    ),
    second,
    Buffer.from("\r\n--boundary--\r\nepilogue, ignored --boundary\r\n"),
  ]);

  it("splits parts identically whatever the chunk sizes, from 1 byte up", async () => {
    for (const size of [1, 2, 3, 5, 7, 11, 12, 13, 64, 1000, body.length]) {
      const parts = await parseInChunks(body, "boundary", size);
      expect(parts.length, `chunks of ${size}`).toBe(2);
      expect(parts[0]!.body.equals(first), `chunks of ${size}`).toBe(true);
      expect(parts[1]!.body.equals(second), `chunks of ${size}`).toBe(true);
      expect(parts.every((p) => p.ended)).toBe(true);
      expect(parts[0]!.headers.get("x-long")).toBe("a b");
      expect(parts[1]!.headers.get("content-type")).toMatch(/^Application\/DICOM/);
    }
  });

  it("takes a body that starts with CRLF before the first delimiter (as dicomweb-client writes it)", async () => {
    const parts = await parseInChunks(Buffer.from("\r\n--b\r\nA: 1\r\n\r\nxyz\r\n--b--"), "b", 4);
    expect(parts.map((p) => p.body.toString())).toEqual(["xyz"]);
  });

  it.each([
    ["no delimiter at all", "just some bytes", /no boundary delimiter/],
    ["an empty body", "", /no boundary delimiter/],
    ["a truncated part", "--b\r\nA: 1\r\n\r\nxyz", /ends inside part 1/],
    ["no close delimiter", "--b\r\nA: 1\r\n\r\nxyz\r\n--b\r\n", /ends without the close delimiter/],
    ["a part without headers", "--b\r\n\r\nxyz\r\n--b--", /part 1 has no header fields/],
    ["a header line without a colon", "--b\r\nnot a header\r\n\r\nxyz\r\n--b--", /not "Name: value"/],
    ["bytes after a delimiter", "--bxyz\r\nA: 1\r\n\r\n\r\n--b--", /not followed by CRLF/],
    ["headers that never end", `--b\r\nA: ${"x".repeat(20_000)}`, /header block of part 1/],
  ])("refuses %s with 400", async (_what, text, message) => {
    const error = await parseInChunks(Buffer.from(text), "b", 5).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(MultipartError);
    expect((error as MultipartError).status).toBe(400);
    expect((error as MultipartError).message).toMatch(message);
  });

  it("stops at the byte limit with 413, before reading further", async () => {
    const error = await parseInChunks(body, "boundary", 100, 1000).catch((e: unknown) => e);
    expect((error as MultipartError).status).toBe(413);
  });

  it("refuses a boundary RFC 2046 does not allow", () => {
    expect(() => new MultipartParser("x".repeat(201), () => ({ write: () => undefined, end() {} }))).toThrow(
      /boundary/,
    );
    expect(() => new MultipartParser("", () => ({ write: () => undefined, end() {} }))).toThrow(/boundary/);
  });

  it("parses media types with quoted and token parameters", () => {
    const media = parseMediaType('Multipart/Related; type="application/dicom"; boundary="a \\"q\\" b";x=1')!;
    expect(media.type).toBe("multipart/related");
    expect(media.params.get("type")).toBe("application/dicom");
    expect(media.params.get("boundary")).toBe('a "q" b');
    expect(media.params.get("x")).toBe("1");
    expect(parseMediaType("nonsense")).toBeUndefined();
    expect(parseMediaType('a/b; c="unterminated')).toBeUndefined();
  });
});

// ---------------------------------------------------------------------------------------------------------
// STOW-RS over HTTP

describe("STOW-RS", () => {
  let hilum: TestNode;
  let base: string;

  beforeAll(async () => {
    hilum = await startTestNode({ http: { launchSecret: SECRET } });
    base = hilum.node.http.url;
  });
  afterAll(() => hilum.close());

  it("scans SOP UIDs from a dataset's head, and asks for more bytes when they are cut", async () => {
    const series = await cachedCtSeries({ ...SMALL_CT, slices: 1, seed: "stow-scan" });
    const dataset = fileDataset(series.files[0]!);
    const scan = scanSopUids(dataset, TransferSyntax.ExplicitVRLittleEndian);
    expect(scan).toEqual({ done: true, sopClassUid: CT, sopInstanceUid: series.sopInstanceUids[0] });
    expect(scanSopUids(dataset.subarray(0, 40), TransferSyntax.ExplicitVRLittleEndian).done).toBe(false);
  });

  it("stores a series in one request: 200, each instance referenced with its RetrieveURL, datasets byte for byte", async () => {
    const series = await cachedCtSeries({ ...SMALL_CT, slices: 12, seed: "stow-basic" });
    const before = hilum.node.index.counts().instances;
    const answer = await stow(base, multipartBody(series.files.map((f) => ({ body: readFileSync(f) }))));
    expect(answer.status, answer.text).toBe(200);
    expect(answer.contentType).toMatch(/^application\/dicom\+json/);
    expect(value(answer.body, "00081190")).toBe(`${base}/dicom-web/studies/${series.studyInstanceUid}`);
    expect(answer.body["00081198"]).toBeUndefined();
    const referenced = items(answer, "00081199");
    expect(referenced.map((i) => value(i, "00081155"))).toEqual(series.sopInstanceUids);
    for (const item of referenced) {
      expect(value(item, "00081150")).toBe(CT);
      expect(value(item, "00081190")).toBe(
        `${base}/dicom-web/studies/${series.studyInstanceUid}/series/${series.seriesInstanceUid}/instances/${value(item, "00081155") as string}`,
      );
    }
    expect(hilum.node.index.counts().instances).toBe(before + 12);
    for (const [i, file] of series.files.entries()) {
      const object = await archived(hilum.node, series.sopInstanceUids[i]!);
      expect(object.dataset.equals(fileDataset(file))).toBe(true);
      // Hilum's own file meta, as a C-STORE of the same dataset would get.
      const header = readPart10Header(object.bytes);
      expect(header.implementationClassUid).toBe(IMPLEMENTATION_CLASS_UID);
      expect(
        object.bytes
          .subarray(0, header.datasetOffset)
          .equals(fileMetaFor(CT, series.sopInstanceUids[i]!, header.transferSyntaxUid)),
      ).toBe(true);
    }
    // Audited with the user (the desktop secret's principal), as the ingest does for every stored instance.
    const audit = hilum.node.index.audit.query({ studyUid: series.studyInstanceUid, action: "store" });
    expect(audit).toHaveLength(12);
    expect(audit.every((row) => row.actor === "desktop" && row.actorType === "user")).toBe(true);
    // Nothing left in staging once the batch is published.
    expect((await archiveState(hilum.node)).staging).toEqual([]);
  });

  it("stores again what it holds already (duplicate, same bytes): 200 and no second copy", async () => {
    const series = await cachedCtSeries({ ...SMALL_CT, slices: 2, seed: "stow-dup" });
    const body = multipartBody(series.files.map((f) => ({ body: readFileSync(f) })));
    expect((await stow(base, body)).status).toBe(200);
    const counts = hilum.node.index.counts();
    const again = await stow(base, body);
    expect(again.status).toBe(200);
    expect(items(again, "00081199")).toHaveLength(2);
    expect(hilum.node.index.counts()).toEqual(counts);
  });

  it.each([
    ["keep", 200, { warning: 0xb000 }],
    ["reject", 409, { failure: 0xc003 }],
    ["replace", 200, {}],
  ] as const)(
    "with storage.duplicates: %s, a different object under a stored UID gets %i and says so",
    async (policy, status, expected) => {
      const node = await startTestNode({ http: { launchSecret: SECRET }, storage: { duplicates: policy } });
      try {
        const series = await cachedCtSeries({ ...SMALL_CT, slices: 1, seed: "stow-dup-policy" });
        const original = readFileSync(series.files[0]!);
        const changed = Buffer.from(original);
        changed[changed.length - 1] = changed[changed.length - 1]! ^ 0xff; // one pixel differs: a valid dataset, other bytes
        expect((await stow(node.node.http.url, multipartBody([{ body: original }]))).status).toBe(200);
        const answer = await stow(node.node.http.url, multipartBody([{ body: changed }]));
        expect(answer.status, answer.text).toBe(status);
        const [referenced] = items(answer, "00081199");
        const [failed] = items(answer, "00081198");
        expect(value(referenced, "00081196")).toBe("warning" in expected ? expected.warning : undefined);
        expect(value(failed, "00081197")).toBe("failure" in expected ? expected.failure : undefined);
        const object = await archived(node.node, series.sopInstanceUids[0]!);
        expect(object.dataset.equals(datasetOf(policy === "replace" ? changed : original))).toBe(true);
      } finally {
        await node.close();
      }
    },
  );

  it("stores each compressed and odd transfer syntax as received", { timeout: 300_000 }, async () => {
    const syntaxes = [
      TransferSyntax.JpegLsLossless,
      TransferSyntax.Jpeg2000Lossless,
      TransferSyntax.HtJpeg2000Lossless,
      TransferSyntax.RleLossless,
      TransferSyntax.JpegLosslessSV1,
      TransferSyntax.DeflatedExplicitVRLittleEndian,
      TransferSyntax.ExplicitVRBigEndian,
      TransferSyntax.ImplicitVRLittleEndian,
    ];
    for (const syntax of syntaxes) {
      // The copies other tests made already (one cache entry per syntax; DCMTK cannot write HTJ2K, the SCU test has it).
      const series =
        syntax === TransferSyntax.HtJpeg2000Lossless
          ? { slices: 30, patientName: "Scu^Peers", patientId: "SCU30", seed: "scu-30" }
          : { slices: 300, patientName: "Store^Series", patientId: "STORE300", seed: "store-300" };
      const { copies } = await cachedCompressedSeries({ series, syntaxes: [syntax] });
      const files = copies[syntax]!.slice(0, 3);
      const answer = await stow(base, multipartBody(files.map((f) => ({ body: readFileSync(f) }))));
      expect(answer.status, `${syntax}: ${answer.text}`).toBe(200);
      const dumped = await dcmdump(files);
      for (const [i, file] of files.entries()) {
        const object = await archived(hilum.node, dumped[i]!.SOPInstanceUID!);
        expect(object.transferSyntaxUid).toBe(syntax);
        expect(object.dataset.equals(fileDataset(file)), syntax).toBe(true);
      }
    }
  });

  it("stores instances larger than what is kept in memory, byte for byte (validated from staging)", async () => {
    const big = await startTestNode({ http: { launchSecret: SECRET }, storage: { keepInMemoryMiB: 0.25 } });
    try {
      const series = await cachedCtSeries({
        slices: 6,
        rows: 512,
        columns: 512,
        patientName: "Stow^Large",
        patientId: "STOW-L",
        seed: "stow-large",
      });
      const answer = await stow(
        big.node.http.url,
        multipartBody(series.files.map((f) => ({ body: readFileSync(f) }))),
      );
      expect(answer.status, answer.text).toBe(200);
      for (const [i, file] of series.files.entries()) {
        const object = await archived(big.node, series.sopInstanceUids[i]!);
        expect(object.dataset.equals(fileDataset(file))).toBe(true);
      }
    } finally {
      await big.close();
    }
  });

  it("streams a part whose Part 10 header arrives in many small pieces (in-process, every split)", async () => {
    const series = await cachedCtSeries({ ...SMALL_CT, slices: 1, seed: "stow-split" });
    const file = readFileSync(series.files[0]!);
    const body = multipartBody([{ body: file }]);
    const ctx: WebContext = {
      config: hilum.node.config,
      index: hilum.node.index,
      store: hilum.node.store,
      ingest: hilum.node.ingest,
      log: pino({ level: "silent" }),
      status: () => hilum.node.status(),
    };
    const expected = Buffer.concat([
      fileMetaFor(CT, series.sopInstanceUids[0]!, TransferSyntax.ExplicitVRLittleEndian),
      datasetOf(file),
    ]);
    for (const size of [1, 2, 3, 7, 13, 100, 131, 133, 4099]) {
      const receivers: StowPartReceiver[] = [];
      const parser = new MultipartParser("hilum-test-boundary-7d3f", (_headers, index) => {
        const receiver = new StowPartReceiver(index + 1, ctx, { left: 1 << 20 });
        receivers.push(receiver);
        return receiver;
      });
      for (let at = 0; at < body.length; at += size) await parser.write(body.subarray(at, at + size));
      parser.end();
      const object = receivers[0]!.object!;
      expect(receivers[0]!.failure, `chunks of ${size}`).toBeUndefined();
      await object.staging.flush();
      expect(readFileSync(object.staging.path).equals(expected), `chunks of ${size}`).toBe(true);
      expect(Buffer.concat(object.dataset).equals(datasetOf(file))).toBe(true);
      await object.staging.abort();
    }
  });

  it("stores a part whose header reaches the server in small pieces over HTTP", async () => {
    const series = await cachedCtSeries({ ...SMALL_CT, slices: 1, seed: "stow-drip" });
    const body = multipartBody([{ body: readFileSync(series.files[0]!) }]);
    // Cuts inside the delimiter, the part headers, the preamble, "DICM", the meta group and the first elements.
    const cuts = [5, 30, 60, 120, 200, 203, 250, 330, 390, 500, 700, body.length];
    const stream = new ReadableStream<Uint8Array>({
      async start(controller) {
        let from = 0;
        for (const cut of cuts) {
          controller.enqueue(body.subarray(from, cut));
          from = cut;
          await sleep(15);
        }
        controller.close();
      },
    });
    const answer = await stow(base, stream);
    expect(answer.status, answer.text).toBe(200);
    const object = await archived(hilum.node, series.sopInstanceUids[0]!);
    expect(object.dataset.equals(fileDataset(series.files[0]!))).toBe(true);
  });

  it("with /studies/{study}, refuses the parts of another study (0xA900) and stores the rest: 202", async () => {
    const mine = await cachedCtSeries({ ...SMALL_CT, slices: 2, seed: "stow-target-a" });
    const other = await cachedCtSeries({ ...SMALL_CT, slices: 1, seed: "stow-target-b" });
    const files = [mine.files[0]!, other.files[0]!, mine.files[1]!];
    const answer = await stow(base, multipartBody(files.map((f) => ({ body: readFileSync(f) }))), {
      path: `/dicom-web/studies/${mine.studyInstanceUid}`,
    });
    expect(answer.status, answer.text).toBe(202);
    expect(value(answer.body, "00081190")).toBe(`${base}/dicom-web/studies/${mine.studyInstanceUid}`);
    const failed = items(answer, "00081198");
    expect(failed).toHaveLength(1);
    expect(value(failed[0], "00081155")).toBe(other.sopInstanceUids[0]);
    expect(value(failed[0], "00081150")).toBe(CT);
    expect(value(failed[0], "00081197")).toBe(0xa900);
    expect(items(answer, "00081199").map((i) => value(i, "00081155"))).toEqual(mine.sopInstanceUids);
    expect(hilum.node.index.findInstance(other.sopInstanceUids[0]!)).toBeUndefined();
    expect((await archiveState(hilum.node)).staging).toEqual([]);
  });

  it("refuses an unsupported SOP class (0x0122) and transfer syntax (0xC122); all failed is 409 with the reasons", async () => {
    const unknownClass = encodePart10({
      SOPClassUID: "1.2.3.4.5.6",
      SOPInstanceUID: uidFrom("stow-unknown-class"),
      StudyInstanceUID: uidFrom("stow-unknown-class-study"),
      SeriesInstanceUID: uidFrom("stow-unknown-class-series"),
      PatientName: "Odd^Class",
      PatientID: "ODD1",
      Modality: "OT",
    });
    const series = await cachedCtSeries({ ...SMALL_CT, slices: 1, seed: "stow-unknown-ts" });
    const unknownSyntax = Buffer.concat([
      encodeFileMeta({
        sopClassUid: CT,
        sopInstanceUid: series.sopInstanceUids[0]!,
        transferSyntaxUid: "1.2.3.999",
        implementationClassUid: "1.2.3",
      }),
      fileDataset(series.files[0]!),
    ]);
    const counts = hilum.node.index.counts();
    const answer = await stow(base, multipartBody([{ body: unknownClass }, { body: unknownSyntax }]));
    expect(answer.status, answer.text).toBe(409);
    expect(answer.contentType).toMatch(/^application\/dicom\+json/);
    const failed = items(answer, "00081198");
    expect(failed.map((f) => value(f, "00081197"))).toEqual([0x0122, 0xc122]);
    expect(value(failed[0], "00081150")).toBe("1.2.3.4.5.6");
    expect(value(failed[1], "00081155")).toBe(series.sopInstanceUids[0]);
    expect(answer.body["00081199"]).toBeUndefined();
    expect(answer.body["00081190"]).toEqual({ vr: "UR" });
    expect(await archiveState(hilum.node)).toEqual({ counts, staging: [] });
    const audit = hilum.node.index.audit
      .query({ limit: 1000 })
      .filter((row) => row.action === "stow" && row.outcome === "failure");
    expect(
      audit.some((row) => row.sopInstanceUid === series.sopInstanceUids[0] && row.actor === "desktop"),
    ).toBe(true);
  });

  it("stores pydicom's files from the wild, or refuses each with a DICOM failure reason", async () => {
    const names = readdirSync(PYDICOM_TEST_FILES).filter((n) =>
      statSync(join(PYDICOM_TEST_FILES, n)).isFile(),
    );
    const files = names.map((n) => join(PYDICOM_TEST_FILES, n));
    const answer = await stow(base, multipartBody(files.map((f) => ({ body: readFileSync(f) }))));
    expect(answer.status, answer.text).toBe(202);
    const referenced = items(answer, "00081199");
    const failed = items(answer, "00081198");
    expect(referenced.length + failed.length).toBe(files.length);
    for (const f of failed)
      expect([0xc000, 0xc001, 0xc002, 0xc122, 0x0122, 0xa900]).toContain(value(f, "00081197"));
    // Not DICOM at all: cannot understand.
    expect(failed.filter((f) => value(f, "00081197") === 0xc000).length).toBeGreaterThanOrEqual(3);
    // Every stored instance holds the dataset of one of the files that carry its UID, byte for byte.
    const datasets = files.map((f) => {
      try {
        return fileDataset(f);
      } catch {
        return Buffer.alloc(0);
      }
    });
    for (const item of referenced) {
      const object = await archived(hilum.node, value(item, "00081155") as string);
      expect(
        datasets.some((d) => d.equals(object.dataset)),
        value(item, "00081155") as string,
      ).toBe(true);
    }
    expect(referenced.length).toBeGreaterThan(40);
  });

  it("lets a technologist store, and answers through the user's name in the audit", async () => {
    const created = await fetch(`${base}/api/users`, {
      method: "POST",
      headers: { ...AUTH, "content-type": "application/json" },
      body: JSON.stringify({ username: "tech1", password: "technologist-pw-1", role: "technologist" }),
    });
    expect(created.status, await created.text()).toBe(201);
    const login = await fetch(`${base}/api/login`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ username: "tech1", password: "technologist-pw-1" }),
    });
    const { token } = (await login.json()) as { token: string };
    const series = await cachedCtSeries({ ...SMALL_CT, slices: 1, seed: "stow-tech" });
    const answer = await stow(base, multipartBody([{ body: readFileSync(series.files[0]!) }]), {
      headers: { authorization: `Bearer ${token}` },
    });
    expect(answer.status, answer.text).toBe(200);
    const rows = hilum.node.index.audit
      .query({ limit: 1000 })
      .filter((row) => row.sopInstanceUid === series.sopInstanceUids[0] && row.action === "store");
    expect(rows.map((r) => r.actor)).toEqual(["tech1"]);
  });
});

// ---------------------------------------------------------------------------------------------------------
// Independent clients

describe("STOW-RS from independent clients", () => {
  let hilum: TestNode;

  beforeAll(async () => {
    hilum = await startTestNode({ http: { launchSecret: SECRET } });
  });
  afterAll(() => hilum.close());

  it("dicomweb-client (npm, under Node with the xhr2 XMLHttpRequest) stores a series", async () => {
    const require = createRequire(import.meta.url);
    const g = globalThis as { XMLHttpRequest?: unknown };
    const saved = g.XMLHttpRequest;
    g.XMLHttpRequest = require("xhr2");
    try {
      const { api } = require("dicomweb-client") as {
        api: {
          DICOMwebClient: new (options: { url: string; headers: Record<string, string> }) => {
            storeInstances(options: { datasets: ArrayBuffer[]; studyInstanceUID?: string }): Promise<unknown>;
          };
        };
      };
      const series = await cachedCtSeries({ ...SMALL_CT, slices: 4, seed: "stow-dicomweb-client" });
      const client = new api.DICOMwebClient({ url: `${hilum.node.http.url}/dicom-web`, headers: AUTH });
      const datasets = series.files.map((f) => {
        const bytes = readFileSync(f);
        return bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength);
      });
      await client.storeInstances({ datasets, studyInstanceUID: series.studyInstanceUid });
      for (const [i, file] of series.files.entries()) {
        const object = await archived(hilum.node, series.sopInstanceUids[i]!);
        expect(object.dataset.equals(fileDataset(file))).toBe(true);
      }
    } finally {
      g.XMLHttpRequest = saved;
    }
  });

  it("Orthanc's DICOMweb plugin pushes a study (servers/hilum/stow): same datasets, byte for byte", async () => {
    const series = await cachedCtSeries({ ...SMALL_CT, slices: 5, seed: "stow-orthanc" });
    const orthanc = await startOrthanc({
      dicomWeb: true,
      config: {
        DicomWeb: {
          Enable: true,
          Root: "/dicom-web/",
          Servers: {
            hilum: {
              Url: `${hilum.node.http.url}/dicom-web/`,
              HttpHeaders: { Authorization: `Bearer ${SECRET}` },
            },
          },
        },
      },
    });
    try {
      const sent = await storescu(orthanc, series.files, { proposeTs: "as-stored" });
      expect(sent.code, sent.stderr).toBe(0);
      const studies = await orthanc.json<string[]>("/studies");
      expect(studies).toHaveLength(1);
      await orthanc.json("/dicom-web/servers/hilum/stow", {
        method: "POST",
        body: JSON.stringify({ Resources: studies }),
      });
      const instances =
        await orthanc.json<{ ID: string; MainDicomTags: { SOPInstanceUID: string } }[]>("/instances?expand");
      expect(instances).toHaveLength(5);
      for (const instance of instances) {
        const response = await orthanc.rest(`/instances/${instance.ID}/file`);
        const inOrthanc = datasetOf(Buffer.from(await response.arrayBuffer()));
        const object = await archived(hilum.node, instance.MainDicomTags.SOPInstanceUID);
        expect(object.dataset.equals(inOrthanc)).toBe(true);
      }
      const audit = hilum.node.index.audit.query({ limit: 100 }).filter((r) => r.action === "store");
      expect(audit.length).toBeGreaterThanOrEqual(5);
    } finally {
      await orthanc.stop();
    }
  });
});

// ---------------------------------------------------------------------------------------------------------
// Figures: printed, not asserted (the benchmark engineer reads them)

function vmHwmKiB(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, "utf8");
  return Number(/VmHWM:\s+(\d+) kB/.exec(status)?.[1] ?? NaN);
}

describe("STOW-RS throughput and memory (printed)", () => {
  it("stores the 500-slice CT (262 MB) in one request; the server's peak memory does not grow by the body", async () => {
    const series = await cachedCtSeries({
      slices: 500,
      rows: 512,
      columns: 512,
      bitsStored: 16,
      patientName: "Bench^Ingest",
      patientId: "BENCH500",
      seed: "bench-ingest-500",
    });
    const dataDir = scratchDir("stow-serve");
    const configFile = join(dataDir, "hilum.json");
    writeFileSync(configFile, JSON.stringify({ http: { launchSecret: SECRET } }));
    const served = await spawnServe(["--config", configFile, "--log-level", "warn"], dataDir);
    try {
      const url = `http://127.0.0.1:${served.httpPort}`;
      // Warm up (code paths, codecs, the index) with a few slices, then read the peak.
      const warm = await stowFiles(url, series.files.slice(0, 3));
      expect(warm.status, warm.text).toBe(200);
      const before = vmHwmKiB(served.service.pid);
      const started = performance.now();
      const result = await stowFiles(url, series.files);
      const seconds = (performance.now() - started) / 1000;
      expect(result.status, result.text.slice(0, 500)).toBe(200);
      const after = vmHwmKiB(served.service.pid);
      const mb = result.bytes / 1e6;
      console.log(
        `[stow] 500-slice CT, one request: ${mb.toFixed(0)} MB in ${seconds.toFixed(2)} s = ` +
          `${(mb / seconds).toFixed(0)} MB/s, ${(500 / seconds).toFixed(0)} instances/s; ` +
          `server VmHWM ${(before / 1024).toFixed(0)} MiB before, ${(after / 1024).toFixed(0)} MiB after ` +
          `(+${((after - before) / 1024).toFixed(0)} MiB for a ${(result.bytes / 1048576).toFixed(0)} MiB body)`,
      );
      const referenced = JSON.parse(result.text) as Record<string, { Value: unknown[] }>;
      expect(referenced["00081199"]!.Value).toHaveLength(500);
      // Bounded, not proportional: far less growth than the body (a generous bound, not the figure).
      expect(after - before).toBeLessThan(result.bytes / 1024 / 2);
    } finally {
      await served.service.stop();
    }
  }, 300_000);
});
