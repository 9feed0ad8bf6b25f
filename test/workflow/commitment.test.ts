/**
 * Storage commitment with real peers: DCMTK storescu stores instances in Hilum, Orthanc (its REST
 * `/modalities/{id}/storage-commitment`) asks Hilum to commit to them, and Hilum's N-EVENT-REPORT comes back
 * to Orthanc on a new association (Orthanc releases its own after the N-ACTION-RSP). Instances Hilum does not
 * hold, or whose stored bytes no longer verify against their checksum, are failures with their reason.
 */
import { readFileSync, writeFileSync } from "node:fs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type TestNode, scratchDir, startTestNode } from "../support/hilum.js";
import { type OrthancPeer, startOrthanc, storescu } from "../support/peers.js";
import { newUid } from "../../electron/pacs/workflow/worklist.js";
import { CT_IMAGE_STORAGE, eventually, writeInstance } from "./support.js";

let hilum: TestNode;
let orthanc: OrthancPeer;
const stored: string[] = [];

interface CommitmentReport {
  Status: string;
  Success: Array<{ SOPClassUID: string; SOPInstanceUID: string }>;
  Failures: Array<{
    SOPClassUID: string;
    SOPInstanceUID: string;
    FailureReason: number;
    Description: string;
  }>;
}

async function requestCommitment(instances: Array<[string, string]>): Promise<CommitmentReport> {
  const { ID } = await orthanc.json<{ ID: string }>("/modalities/hilum/storage-commitment", {
    method: "POST",
    body: JSON.stringify({ DicomInstances: instances, Timeout: 30 }),
  });
  return eventually(async () => {
    const report = await orthanc.json<CommitmentReport>(`/storage-commitment/${ID}`);
    return report.Status === "Pending" ? undefined : report;
  });
}

beforeAll(async () => {
  hilum = await startTestNode();
  orthanc = await startOrthanc({ modalities: { hilum: hilum.target } });
  hilum.node.config.peers.push({ aeTitle: orthanc.aeTitle, host: orthanc.host, port: orthanc.dicomPort });
  const dir = scratchDir("commitment");
  const study = newUid();
  const series = newUid();
  const files = [1, 2].map(() =>
    writeInstance(dir, {
      patientName: "Commit^Carl",
      patientId: "SC-1",
      studyInstanceUid: study,
      seriesInstanceUid: series,
    }),
  );
  const result = await storescu(
    hilum.target,
    files.map((f) => f.file),
  );
  expect(result.code, result.stderr).toBe(0);
  stored.push(...files.map((f) => f.sopInstanceUid));
});

afterAll(async () => {
  await orthanc?.stop();
  await hilum?.close();
});

describe("Storage Commitment SCP with Orthanc as SCU", () => {
  it("commits stored instances and reports the unknown ones as No Such Object Instance (0x0112)", async () => {
    const unknown = newUid();
    const report = await requestCommitment([
      [CT_IMAGE_STORAGE, stored[0]!],
      [CT_IMAGE_STORAGE, stored[1]!],
      [CT_IMAGE_STORAGE, unknown],
    ]);
    expect(report.Status).toBe("Failure");
    expect(report.Success.map((s) => s.SOPInstanceUID).sort()).toEqual([...stored].sort());
    expect(report.Failures).toEqual([
      expect.objectContaining({ SOPInstanceUID: unknown, FailureReason: 0x0112 }),
    ]);
    const [row] = hilum.node.workflow.commitment.list();
    expect(row).toMatchObject({
      callingAeTitle: orthanc.aeTitle,
      state: "reported",
      requested: 3,
      committed: 2,
    });
    expect(row?.failures[0]).toMatchObject({
      sopInstanceUid: unknown,
      failureReason: 0x0112,
      why: "no such object instance",
    });
  });

  it("reports all committed when every instance verifies", async () => {
    const report = await requestCommitment([[CT_IMAGE_STORAGE, stored[0]!]]);
    expect(report.Status).toBe("Success");
    expect(report.Failures).toEqual([]);
  });

  it("refuses to commit an object whose stored bytes no longer match its checksum (0x0110)", async () => {
    const key = hilum.node.index.findInstance(stored[1]!)!.storageKey;
    await hilum.node.ingest.idle();
    const path = hilum.node.store.pathOf(key);
    const bytes = readFileSync(path);
    bytes.writeUInt8(bytes.readUInt8(bytes.length - 1) ^ 0xff, bytes.length - 1);
    writeFileSync(path, bytes);
    const report = await requestCommitment([[CT_IMAGE_STORAGE, stored[1]!]]);
    expect(report.Status).toBe("Failure");
    expect(report.Failures).toEqual([
      expect.objectContaining({ SOPInstanceUID: stored[1], FailureReason: 0x0110 }),
    ]);
    expect(hilum.node.workflow.commitment.list()[0]?.failures[0]?.why).toMatch(/checksum does not verify/);
  });

  it("reports a class-instance conflict (0x0119) when the class named is not the stored one", async () => {
    const report = await requestCommitment([["1.2.840.10008.5.1.4.1.1.4", stored[0]!]]);
    expect(report.Failures).toEqual([
      expect.objectContaining({ SOPInstanceUID: stored[0], FailureReason: 0x0119 }),
    ]);
  });
});
