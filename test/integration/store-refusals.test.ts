import { readFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import * as tags from "../../shared/dicom/tags.js";
import type { Association } from "../../electron/pacs/dimse/association.js";
import { CommandField } from "../../electron/pacs/dimse/command.js";
import { openAssociation } from "../../electron/pacs/dimse/scu/client.js";
import { Status, statusName } from "../../electron/pacs/dimse/status.js";
import { encodeDataset } from "../../electron/pacs/dicom/writer.js";
import { parseDataset } from "../../electron/pacs/dicom/dataset.js";
import { readPart10Header } from "../../electron/pacs/dicom/part10.js";
import { PYDICOM_TEST_FILES } from "../support/archive.js";
import { type TestNode, startTestNode } from "../support/hilum.js";
import { storescu } from "../support/peers.js";

const CT = "1.2.840.10008.5.1.4.1.1.2";
const EXPLICIT_LE = "1.2.840.10008.1.2.1";

/** CT_small's dataset as explicit VR little endian bytes, and its UIDs. */
function ctSmall() {
  const bytes = readFileSync(join(PYDICOM_TEST_FILES, "CT_small.dcm"));
  const header = readPart10Header(bytes);
  const dataset = bytes.subarray(header.datasetOffset);
  const parsed = parseDataset(dataset, { transferSyntaxUid: header.transferSyntaxUid });
  return { dataset, uid: parsed.string(tags.SOPInstanceUID)! };
}

async function store(
  association: Association,
  affected: { sopClassUid: string; sopInstanceUid: string },
  data: Buffer,
) {
  const context = [...association.info!.contexts.values()].find((pc) => pc.abstractSyntax === CT)!;
  const rsp = await association.request(
    context.id,
    {
      commandField: CommandField.CStoreRq,
      commandDataSetType: 0,
      affectedSopClassUid: affected.sopClassUid,
      affectedSopInstanceUid: affected.sopInstanceUid,
    },
    data,
  );
  return { status: rsp.command.status ?? -1, comment: rsp.command.errorComment ?? "" };
}

describe("C-STORE refusals: a clear status, and nothing of the object kept", () => {
  let hilum: TestNode;
  let association: Association;

  beforeAll(async () => {
    hilum = await startTestNode({ storage: { duplicates: "reject" } });
    association = await openAssociation(
      hilum.target,
      [{ abstractSyntax: CT, transferSyntaxes: [EXPLICIT_LE] }],
      {
        callingAeTitle: "REFUSALS",
      },
    );
  });
  afterAll(async () => {
    await association.release();
    await hilum.close();
  });

  function nothingKept(): void {
    expect(hilum.node.index.counts().instances).toBe(0);
  }

  it("refuses a dataset that cannot be parsed (Cannot understand)", async () => {
    const garbage = Buffer.from("this is not a DICOM dataset at all, just text");
    const result = await store(association, { sopClassUid: CT, sopInstanceUid: "1.2.3.4" }, garbage);
    expect(statusName(result.status)).toBe("Error: cannot understand");
    expect(result.comment).toMatch(/cannot be parsed/);
    nothingKept();
  });

  it("refuses a truncated dataset", async () => {
    const { dataset, uid } = ctSmall();
    const result = await store(
      association,
      { sopClassUid: CT, sopInstanceUid: uid },
      dataset.subarray(0, dataset.length - 1000),
    );
    expect(result.status).toBe(Status.StoreErrorCannotUnderstand);
    nothingKept();
  });

  it("refuses a dataset without SOP Instance UID", async () => {
    const dataset = encodeDataset(
      [
        { tag: tags.SOPClassUID, value: CT },
        { tag: tags.StudyInstanceUID, value: "1.2.3" },
        { tag: tags.SeriesInstanceUID, value: "1.2.3.4" },
      ],
      { transferSyntaxUid: EXPLICIT_LE },
    );
    const result = await store(association, { sopClassUid: CT, sopInstanceUid: "1.2.3.4.5" }, dataset);
    expect(result.status).toBe(Status.StoreErrorMissingSopInstanceUid);
    expect(result.comment).toMatch(/no SOP Instance UID/);
    nothingKept();
  });

  it("refuses a dataset whose SOP Instance UID disagrees with the command", async () => {
    const { dataset } = ctSmall();
    const result = await store(
      association,
      { sopClassUid: CT, sopInstanceUid: "1.2.826.0.1.3680043.99.1" },
      dataset,
    );
    expect(result.status).toBe(Status.StoreErrorUidMismatch);
    expect(result.comment).toMatch(/differs from the command/);
    nothingKept();
  });

  it("refuses a command whose SOP class is not the presentation context's", async () => {
    const { dataset, uid } = ctSmall();
    const result = await store(
      association,
      { sopClassUid: "1.2.840.10008.5.1.4.1.1.4", sopInstanceUid: uid },
      dataset,
    );
    expect(result.status).toBe(Status.SopClassNotSupported);
    nothingKept();
  });

  it("stores a good instance, accepts the identical one again, and refuses different bytes under its UID", async () => {
    const { dataset, uid } = ctSmall();
    expect((await store(association, { sopClassUid: CT, sopInstanceUid: uid }, dataset)).status).toBe(
      Status.Success,
    );
    expect((await store(association, { sopClassUid: CT, sopInstanceUid: uid }, dataset)).status).toBe(
      Status.Success,
    );
    const changed = Buffer.from(dataset);
    changed.writeUInt8(changed.readUInt8(changed.length - 1) ^ 0xff, changed.length - 1);
    const refused = await store(association, { sopClassUid: CT, sopInstanceUid: uid }, changed);
    expect(refused.status).toBe(Status.StoreErrorDuplicateRefused);
    expect(hilum.node.index.counts().instances).toBe(1);
    const actions = hilum.node.index.audit.query({}).map((r) => r.action);
    expect(actions).toEqual(expect.arrayContaining(["store", "duplicate", "duplicate-reject"]));
  });

  it("leaves no staging file behind after the refusals", async () => {
    await hilum.node.ingest.idle();
    const { readdirSync } = await import("node:fs");
    expect(readdirSync(join(hilum.dataDir, "archive", "staging"))).toEqual([]);
  });
});

describe("duplicate policy 'replace' (the default)", () => {
  it("replaces different bytes under a stored UID, deletes the old object, and audits it", async () => {
    const hilum = await startTestNode();
    try {
      const path = join(PYDICOM_TEST_FILES, "MR_small.dcm");
      const bigEndian = join(PYDICOM_TEST_FILES, "MR_small_bigendian.dcm");
      expect((await storescu(hilum.target, [path], { proposeTs: "as-stored" })).code).toBe(0);
      const uid = parseDataset(
        readFileSync(path).subarray(readPart10Header(readFileSync(path)).datasetOffset),
        {
          transferSyntaxUid: EXPLICIT_LE,
        },
      ).string(tags.SOPInstanceUID)!;
      const before = hilum.node.index.findInstance(uid)!;
      expect((await storescu(hilum.target, [bigEndian], { proposeTs: "as-stored" })).code).toBe(0);
      await hilum.node.ingest.idle();
      const after = hilum.node.index.findInstance(uid)!;
      expect(after.storageKey).not.toBe(before.storageKey);
      expect(await hilum.node.store.stat(before.storageKey)).toBeUndefined();
      expect(hilum.node.index.counts().instances).toBe(1);
      expect(hilum.node.index.audit.query({ action: "store-replace" })).toHaveLength(1);
    } finally {
      await hilum.close();
    }
  });
});
