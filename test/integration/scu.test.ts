import { mkdtempSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import * as tags from "../../shared/dicom/tags.js";
import { TransferSyntaxUid } from "../../shared/dicom/transfer-syntax.js";
import { parseDataset } from "../../electron/pacs/dicom/dataset.js";
import { readPart10Header } from "../../electron/pacs/dicom/part10.js";
import { openAssociation } from "../../electron/pacs/dimse/scu/client.js";
import { find, move, proposeQuery } from "../../electron/pacs/dimse/scu/query.js";
import { CT_IMAGE_STORAGE, type CtSeries } from "../fixtures/ct-series.js";
import { PYDICOM_TEST_FILES, archived, datasetOf, fileDataset } from "../support/archive.js";
import { cachedCompressedSeries, cachedCtSeries } from "../support/fixture-cache.js";
import { CLI_BUNDLE, REPO_ROOT, type TestNode, startTestNode } from "../support/hilum.js";
import {
  type DcmqrscpPeer,
  type DicomTarget,
  type OrthancPeer,
  findscu,
  startDcmqrscp,
  startOrthanc,
  startStorescp,
} from "../support/peers.js";
import { run } from "../support/process.js";
import { SCU_AE, SCU_SERIES, getInstances, readInstance, sameBytes, sendFiles } from "./scu-support.js";

/** The crash-safety test's series: one cached copy serves both. */
const SERIES_500 = {
  slices: 500,
  patientName: "Crash^Test",
  patientId: "CRASH500",
  seed: "crash-500",
} as const;
const MR_IMAGE_STORAGE = "1.2.840.10008.5.1.4.1.1.4";
const EXPLICIT_LE = TransferSyntaxUid.ExplicitVRLittleEndian;
const HTJ2K = TransferSyntaxUid.HTJ2KLossless;
const MPEG2 = "1.2.840.10008.1.2.4.100";

/** A real Q/R peer, configured with the Hilum node as its C-MOVE destination. */
interface QueryRetrievePeer {
  target: DicomTarget;
  /** The SOP Instance UIDs the peer holds for the series, and their datasets where the peer can hand them out. */
  stored(series: CtSeries): Promise<{ uids: string[]; datasets?: Map<string, Buffer> }>;
  stop(): Promise<void>;
}

async function orthancWith(hilum: TestNode): Promise<QueryRetrievePeer> {
  const orthanc: OrthancPeer = await startOrthanc({ modalities: { hilum: hilum.target } });
  return {
    target: orthanc,
    async stored() {
      const datasets = new Map<string, Buffer>();
      for (const id of await orthanc.json<string[]>("/instances")) {
        const file = Buffer.from(await (await orthanc.rest(`/instances/${id}/file`)).arrayBuffer());
        const header = readPart10Header(file);
        const uid = parseDataset(file.subarray(header.datasetOffset), {
          transferSyntaxUid: header.transferSyntaxUid,
          stopAtPixelData: true,
        }).string(tags.SOPInstanceUID);
        datasets.set(uid ?? id, datasetOf(file));
      }
      return { uids: [...datasets.keys()], datasets };
    },
    stop: () => orthanc.stop(),
  };
}

async function dcmqrscpWith(hilum: TestNode): Promise<QueryRetrievePeer> {
  const dcmqrscp: DcmqrscpPeer = await startDcmqrscp({ peers: [hilum.target] });
  return {
    target: dcmqrscp,
    async stored(series) {
      const found = await findscu(dcmqrscp, {
        model: "study",
        level: "IMAGE",
        keys: {
          StudyInstanceUID: series.studyInstanceUid,
          SeriesInstanceUID: series.seriesInstanceUid,
          SOPInstanceUID: "",
        },
      });
      expect(found.code, found.stderr).toBe(0);
      return { uids: found.responses.map((r) => r.SOPInstanceUID ?? "") };
    },
    stop: () => dcmqrscp.stop(),
  };
}

describe.each([
  ["Orthanc", orthancWith],
  ["dcmqrscp", dcmqrscpWith],
])("Hilum's SCU against %s", (_name, startPeer) => {
  let series: CtSeries;
  let hilum: TestNode;
  let peer: QueryRetrievePeer;
  /** SOP Instance UID → the dataset of the file sent. */
  let originals: Map<string, Buffer>;

  beforeAll(async () => {
    series = await cachedCtSeries(SCU_SERIES);
    originals = new Map(series.files.map((file) => [readInstance(file).sopInstanceUid, fileDataset(file)]));
    hilum = await startTestNode();
    peer = await startPeer(hilum);
  });
  afterAll(async () => {
    await peer?.stop();
    await hilum?.close();
  });

  it("stores a 30-slice CT series, every instance as it was on disk", async () => {
    const outcomes = await sendFiles(peer.target, series.files);
    expect(outcomes.map((o) => o.category)).toEqual(series.files.map(() => "success"));
    expect(new Set(outcomes.map((o) => o.sentAs))).toEqual(new Set([EXPLICIT_LE]));
    const { uids, datasets } = await peer.stored(series);
    expect(uids.sort()).toEqual([...series.sopInstanceUids].sort());
    for (const [uid, dataset] of datasets ?? []) {
      expect(sameBytes(dataset, originals.get(uid)), `dataset of ${uid}`).toBe(true);
    }
  });

  it("finds the study by patient ID and its series by study UID", async () => {
    const association = await openAssociation(peer.target, [proposeQuery("STUDY_ROOT", "FIND")], {
      callingAeTitle: SCU_AE,
    });
    try {
      const studies = await find(association, "STUDY_ROOT", "STUDY", {
        PatientID: SCU_SERIES.patientId,
        StudyInstanceUID: "",
      });
      expect(studies.status).toBe(0);
      expect(studies.matches.map((m) => m.string(tags.StudyInstanceUID))).toEqual([series.studyInstanceUid]);
      const seriesLevel = await find(association, "STUDY_ROOT", "SERIES", {
        StudyInstanceUID: series.studyInstanceUid,
        SeriesInstanceUID: "",
        Modality: "",
      });
      expect(seriesLevel.status).toBe(0);
      expect(
        seriesLevel.matches.map((m) => [m.string(tags.SeriesInstanceUID), m.string(tags.Modality)]),
      ).toEqual([[series.seriesInstanceUid, "CT"]]);
    } finally {
      await association.release();
    }
  });

  it("moves the study to the Hilum node, which indexes every instance byte for byte", async () => {
    const association = await openAssociation(peer.target, [proposeQuery("STUDY_ROOT", "MOVE")], {
      callingAeTitle: SCU_AE,
    });
    const result = await move(
      association,
      "STUDY_ROOT",
      "STUDY",
      { StudyInstanceUID: series.studyInstanceUid },
      hilum.target.aeTitle,
    ).finally(() => association.release());
    expect(result).toMatchObject({ status: 0, completed: series.files.length, failed: 0 });
    const indexed = hilum.node.index.instancesForRetrieve({
      level: "STUDY",
      studyInstanceUids: [series.studyInstanceUid],
    });
    expect(indexed.map((row) => row.sopInstanceUid).sort()).toEqual([...series.sopInstanceUids].sort());
    for (const uid of series.sopInstanceUids) {
      expect(sameBytes((await archived(hilum.node, uid)).dataset, originals.get(uid)), uid).toBe(true);
    }
  });

  it("gets (C-GET) the series into a sink, byte for byte", async () => {
    const { result, instances } = await getInstances(peer.target, CT_IMAGE_STORAGE, "SERIES", {
      StudyInstanceUID: series.studyInstanceUid,
      SeriesInstanceUID: series.seriesInstanceUid,
    });
    expect(result).toMatchObject({ status: 0, completed: series.files.length, failed: 0 });
    expect([...instances.keys()].sort()).toEqual([...series.sopInstanceUids].sort());
    for (const [uid, got] of instances) {
      expect(got.transferSyntaxUid).toBe(EXPLICIT_LE);
      expect(sameBytes(got.dataset, originals.get(uid)), uid).toBe(true);
    }
  });
});

/** A storescp negotiation profile (-xf) accepting each SOP class in exactly one transfer syntax. */
function storescpProfile(dir: string, accepted: Record<string, string>): string[] {
  const entries = Object.entries(accepted);
  const lines = ["[[TransferSyntaxes]]"];
  entries.forEach(([, ts], i) => lines.push(`[TS${i}]`, `TransferSyntax1 = ${ts}`));
  lines.push("[[PresentationContexts]]", "[ONLY]");
  entries.forEach(([sopClass], i) => lines.push(`PresentationContext${i + 1} = ${sopClass}\\TS${i}`));
  lines.push("[[Profiles]]", "[ONLY]", "PresentationContexts = ONLY", "");
  const file = join(dir, "only.cfg");
  writeFileSync(file, lines.join("\n"));
  return ["-xf", file, "ONLY"];
}

describe("Hilum's SCU transcodes when the peer needs it, and says so when it cannot", () => {
  let series: CtSeries;
  let htj2k: string[];
  let hilum: TestNode;

  beforeAll(async () => {
    const cached = await cachedCompressedSeries({ series: SCU_SERIES, syntaxes: [HTJ2K] });
    series = cached.series;
    htj2k = cached.copies[HTJ2K] ?? [];
    hilum = await startTestNode();
  });
  afterAll(() => hilum?.close());

  it("sends each instance in the syntax it is stored in when the peer takes that (no needless transcoding)", async () => {
    const files = ["MR_small_implicit.dcm", "rtdose.dcm", "ExplVR_BigEnd.dcm", "CT_small.dcm"].map((name) =>
      join(PYDICOM_TEST_FILES, name),
    );
    const sent = new Map(files.map((file) => [readInstance(file).sopInstanceUid, file]));
    const storescp = await startStorescp({ extraArgs: ["+B"] }); // bit-preserving: files hold what came
    try {
      const outcomes = await sendFiles(storescp, files);
      expect(outcomes.map((o) => [o.category, o.sentAs, o.error])).toEqual(
        files.map((file) => ["success", readInstance(file).transferSyntaxUid, undefined]),
      );
      for (const received of storescp.files()) {
        const uid = readInstance(received).sopInstanceUid;
        expect(sameBytes(fileDataset(received), fileDataset(sent.get(uid) ?? "")), uid).toBe(true);
      }
      expect(storescp.files()).toHaveLength(files.length);
    } finally {
      await storescp.stop();
    }
  });

  it("sends HTJ2K as HTJ2K to a peer that takes it (Hilum), stored as sent", async () => {
    expect(htj2k).toHaveLength(SCU_SERIES.slices);
    const outcomes = await sendFiles(hilum.target, htj2k);
    expect(outcomes.map((o) => [o.category, o.sentAs])).toEqual(htj2k.map(() => ["success", HTJ2K]));
    for (const file of htj2k) {
      const { sopInstanceUid } = readInstance(file);
      const object = await archived(hilum.node, sopInstanceUid);
      expect(object.transferSyntaxUid).toBe(HTJ2K);
      expect(object.dataset.equals(fileDataset(file)), sopInstanceUid).toBe(true);
    }
  });

  it("decompresses HTJ2K for a storescp that takes only uncompressed syntaxes: same pixels, same attributes", async () => {
    const storescp = await startStorescp({ negotiation: ["+x=", "-pm"] });
    try {
      const outcomes = await sendFiles(storescp, htj2k);
      expect(outcomes.map((o) => [o.category, o.sentAs])).toEqual(htj2k.map(() => ["success", EXPLICIT_LE]));
      const original = new Map(series.files.map(readInstance).map((i) => [i.sopInstanceUid, i]));
      const sent = new Map(htj2k.map(readInstance).map((i) => [i.sopInstanceUid, i]));
      const received = storescp.files().map(readInstance);
      expect(received.map((r) => r.sopInstanceUid).sort()).toEqual([...original.keys()].sort());
      for (const { sopInstanceUid, transferSyntaxUid, pixels, attributes } of received) {
        expect(transferSyntaxUid).toBe(EXPLICIT_LE);
        expect(sameBytes(pixels, original.get(sopInstanceUid)?.pixels), sopInstanceUid).toBe(true);
        expect(attributes, "every other attribute as sent").toEqual(sent.get(sopInstanceUid)?.attributes);
      }
    } finally {
      await storescp.stop();
    }
  });

  it(
    "fails each instance it cannot send in a syntax the peer accepts (MPEG2 only), naming why",
    { timeout: 30_000 },
    async () => {
      const dir = mkdtempSync(join(inject("scratchRoot"), "mpeg2-only-"));
      const storescp = await startStorescp({
        negotiation: storescpProfile(dir, { [CT_IMAGE_STORAGE]: MPEG2, [MR_IMAGE_STORAGE]: EXPLICIT_LE }),
      });
      try {
        const mr = join(PYDICOM_TEST_FILES, "MR_small.dcm");
        const outcomes = await sendFiles(storescp, [...htj2k.slice(0, 3), mr]);
        expect(outcomes.map((o) => o.category)).toEqual(["failure", "failure", "failure", "success"]);
        for (const failed of outcomes.slice(0, 3)) {
          expect(failed.sentAs).toBeUndefined();
          expect(failed.error).toMatch(`accepted no presentation context for ${CT_IMAGE_STORAGE}`);
        }
        expect(storescp.files()).toHaveLength(1);
        await expect(sendFiles(storescp, htj2k.slice(0, 3))).rejects.toThrow(
          "accepted none of the proposed presentation contexts",
        );
      } finally {
        await storescp.stop();
      }
    },
  );

  it("refuses to transcode before the codecs are initialised, with a TranscodeError", async () => {
    const script = `
      import { readFileSync } from "node:fs";
      import { transcodeDataset } from "./electron/pacs/codecs/transcode.ts";
      try {
        transcodeDataset(readFileSync(process.argv[1]), "${EXPLICIT_LE}");
        console.log("transcoded");
      } catch (err) {
        console.log(err.name + ": " + err.message);
      }`;
    const args = ["--import", "tsx", "--input-type=module", "-e", script, ...htj2k.slice(0, 1)];
    const result = await run(process.execPath, args, { cwd: REPO_ROOT });
    expect(result.stdout.trim(), result.stderr).toBe(
      "TranscodeError: codecs are not initialised; call initializeCodecs() first",
    );
  });
});

/** Prints the process's peak resident set size (kB) as it exits; loaded into the CLI with --import. */
const PEAK_RSS_PROBE = `data:text/javascript,process.on("exit", () => process.stderr.write("peak-rss-kb=" + process.resourceUsage().maxRSS + "\\n"))`;

/** The CLI's `send` in a child process; resolves with its peak RSS in kB. */
async function sendPeakRss(target: DicomTarget, files: readonly string[]): Promise<number> {
  const to = `${target.aeTitle}@${target.host}:${target.port}`;
  const args = ["--import", PEAK_RSS_PROBE, CLI_BUNDLE, "send", ...files, "--to", to];
  const result = await run(process.execPath, args, { cwd: REPO_ROOT });
  expect(result.code, result.stderr).toBe(0);
  expect(result.stdout).toContain(`Sent ${files.length} of ${files.length} files`);
  return Number(/peak-rss-kb=(\d+)/.exec(result.stderr)?.[1]);
}

describe("Hilum's SCU memory while sending", () => {
  it(
    "stays flat in the number of instances: 500 slices to storescp peak under 100 MB above 10",
    { timeout: 180_000 },
    async () => {
      const series = await cachedCtSeries(SERIES_500);
      const storescp = await startStorescp();
      try {
        const few = await sendPeakRss(storescp, series.files.slice(0, 10));
        const all = await sendPeakRss(storescp, series.files);
        expect(storescp.files()).toHaveLength(500);
        expect((all - few) / 1024, `peak RSS ${few} kB for 10, ${all} kB for 500`).toBeLessThan(100);
      } finally {
        await storescp.stop();
      }
    },
  );
});
