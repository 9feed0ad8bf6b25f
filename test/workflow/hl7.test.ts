/**
 * HL7 v2 orders over MLLP, sent by @medplum/hl7's client (an independent MLLP implementation): an ORM^O01
 * creates a worklist entry that DCMTK findscu -W then sees, a cancel removes it from the worklist, and
 * malformed or unsupported messages are answered with a NAK (AR or AE) carrying the error.
 */
import { Hl7Message } from "@medplum/core";
import { Hl7Client } from "@medplum/hl7";
import { connect } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type TestNode, startTestNode } from "../support/hilum.js";
import { findscu } from "../support/peers.js";
import { freePort } from "../support/ports.js";

let hilum: TestNode;
let client: Hl7Client;

/** PID-3 id^^^issuer, PID-5 name, PV1-8 referring doctor, OBR-4 code^text, OBR-18 accession, OBR-21 station AE, OBR-24 modality, OBR-27.4 start. */
function orm(
  control: string,
  id: string,
  fields: { pid3?: string; modality?: string; start?: string } = {},
): string {
  const obr = Array(28).fill("");
  obr[0] = "OBR";
  obr[1] = "1";
  obr[4] = "CTCHEST^CT chest without contrast";
  obr[18] = "ACC-HL7-1";
  obr[19] = "RP-1";
  obr[20] = "SPS-1";
  obr[21] = "CT_ROOM1";
  obr[24] = fields.modality ?? "CT";
  obr[27] = `^^^${fields.start ?? "202403151015"}`;
  return [
    `MSH|^~\\&|RIS|CLINIC|HILUM|HILUM|20240315080000||ORM^O01|${id}|P|2.3`,
    `PID|1||${fields.pid3 ?? "HL7-1^^^HOSP"}||Doe^Jane^Q||19800101|F`,
    "PV1|1|O||||||1234^Welby^Marcus",
    `ORC|${control}|PLACER-1`,
    obr.join("|"),
  ].join("\r");
}

async function send(text: string): Promise<Hl7Message> {
  return client.sendAndWait(Hl7Message.parse(text), { timeoutMs: 10_000 });
}

function msa(ack: Hl7Message): { code: string; control: string; text: string } {
  const segment = ack.getSegment("MSA")!;
  return {
    code: segment.getField(1).toString(),
    control: segment.getField(2).toString(),
    text: segment.getField(3).toString(),
  };
}

const worklistKeys = {
  PatientName: "",
  PatientID: "",
  IssuerOfPatientID: "",
  AccessionNumber: "ACC-HL7-1",
  RequestedProcedureID: "",
  RequestedProcedureDescription: "",
  ReferringPhysicianName: "",
  StudyInstanceUID: "",
  "ScheduledProcedureStepSequence[0].ScheduledStationAETitle": "",
  "ScheduledProcedureStepSequence[0].Modality": "",
  "ScheduledProcedureStepSequence[0].ScheduledProcedureStepStartDate": "",
  "ScheduledProcedureStepSequence[0].ScheduledProcedureStepStartTime": "",
  "ScheduledProcedureStepSequence[0].ScheduledProcedureStepID": "",
};

beforeAll(async () => {
  const port = await freePort();
  hilum = await startTestNode({ workflow: { hl7: { enabled: true, port, bind: "127.0.0.1" } } });
  expect(hilum.node.workflow.hl7).toEqual({ host: "127.0.0.1", port });
  client = new Hl7Client({ host: "127.0.0.1", port });
});

afterAll(async () => {
  await client?.close();
  await hilum?.close();
});

describe("HL7 ORM^O01 over MLLP", () => {
  it("schedules an order (AA) that findscu -W then sees", async () => {
    const ack = await send(orm("NW", "MSG-1"));
    expect(msa(ack)).toMatchObject({ code: "AA", control: "MSG-1" });
    const result = await findscu(hilum.target, { model: "worklist", keys: worklistKeys });
    expect(result.code, result.stderr).toBe(0);
    expect(result.responses).toHaveLength(1);
    expect(result.responses[0]).toMatchObject({
      PatientName: "Doe^Jane^Q",
      PatientID: "HL7-1",
      IssuerOfPatientID: "HOSP",
      AccessionNumber: "ACC-HL7-1",
      RequestedProcedureID: "RP-1",
      RequestedProcedureDescription: "CT chest without contrast",
      ReferringPhysicianName: "Welby^Marcus",
      "ScheduledProcedureStepSequence[0].ScheduledStationAETitle": "CT_ROOM1",
      "ScheduledProcedureStepSequence[0].Modality": "CT",
      "ScheduledProcedureStepSequence[0].ScheduledProcedureStepStartDate": "20240315",
      "ScheduledProcedureStepSequence[0].ScheduledProcedureStepStartTime": "101500",
      "ScheduledProcedureStepSequence[0].ScheduledProcedureStepID": "SPS-1",
    });
    expect(result.responses[0]?.StudyInstanceUID).toMatch(/^2\.25\.\d+$/);
  });

  it("answers the same order again with AE: it is already scheduled", async () => {
    const ack = await send(orm("NW", "MSG-2"));
    expect(msa(ack)).toMatchObject({ code: "AE", control: "MSG-2" });
    expect(msa(ack).text).toMatch(/already scheduled/);
    expect(ack.getSegment("ERR")).toBeDefined();
  });

  it("answers an order with a missing patient ID or an invalid start with AE naming the field", async () => {
    const noId = await send(orm("NW", "MSG-3", { pid3: "" }));
    expect(msa(noId)).toMatchObject({ code: "AE", control: "MSG-3" });
    expect(msa(noId).text).toMatch(/patientId/);
    const badStart = await send(orm("NW", "MSG-4", { start: "tomorrow" }));
    expect(msa(badStart).code).toBe("AE");
    expect(msa(badStart).text).toMatch(/scheduled date/);
  });

  it("answers a message type it does not take with AR", async () => {
    const ack = await send(orm("NW", "MSG-5").replace("ORM^O01", "ADT^A08"));
    expect(msa(ack)).toMatchObject({ code: "AR", control: "MSG-5" });
    expect(msa(ack).text).toMatch(/ADT A08 is not supported/);
  });

  it("answers bytes that are not HL7 with AR, over a raw MLLP connection", async () => {
    const { port } = hilum.node.workflow.hl7!;
    const reply = await new Promise<string>((resolve, reject) => {
      const socket = connect({ host: "127.0.0.1", port }, () => {
        socket.write(
          Buffer.concat([Buffer.from([0x0b]), Buffer.from("hello, not hl7"), Buffer.from([0x1c, 0x0d])]),
        );
      });
      let text = "";
      socket.on("data", (chunk) => {
        text += chunk.toString("utf8");
        if (text.endsWith("\x1c\r")) {
          socket.end();
          resolve(text);
        }
      });
      socket.on("error", reject);
    });
    expect(reply).toMatch(/\rMSA\|AR\|\|not an HL7 v2 message/);
  });

  it("cancels the order (ORC-1 CA): modalities no longer see it", async () => {
    const ack = await send(orm("CA", "MSG-6"));
    expect(msa(ack).code).toBe("AA");
    const result = await findscu(hilum.target, { model: "worklist", keys: worklistKeys });
    expect(result.responses).toEqual([]);
    const rows = hilum.node.index.audit.query({ action: "hl7-order" });
    expect(rows.filter((row) => row.outcome === "success")).toHaveLength(2);
    expect(rows.filter((row) => row.outcome === "failure")).toHaveLength(5);
  });
});
