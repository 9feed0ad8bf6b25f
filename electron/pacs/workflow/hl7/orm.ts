/**
 * HL7 v2 ORM^O01 orders into the worklist (docs/workflow.md has the field mapping). ORC-1 NW schedules,
 * XO changes, CA/DC cancels. Every message gets an ACK: AA when applied, AE when the order cannot be
 * applied (a missing or invalid field, an unknown or duplicate order), AR when the message is not one Hilum
 * takes (not HL7, not ORM^O01, no control ID); the error is in MSA-3 and in an ERR segment.
 */
import { Hl7Message, Hl7Segment } from "@medplum/core";
import { type ScheduledProcedureBody, scheduledProcedureBody } from "../../../../shared/api/workflow.js";
import type { AuditLog } from "../../db/audit.js";
import { WorklistConflict, type WorklistStore } from "../worklist.js";

class Nak extends Error {
  constructor(
    readonly code: "AE" | "AR",
    message: string,
  ) {
    super(message);
  }
}

type Control = "NW" | "XO" | "CA";
const CONTROLS: Record<string, Control> = { NW: "NW", XO: "XO", CA: "CA", DC: "CA", OC: "CA" };

function field(message: Hl7Message, segment: string, index: number, component = 1): string {
  return message.getSegment(segment)?.getComponent(index, component).trim() ?? "";
}

function segment(message: Hl7Message, name: string): void {
  if (!message.getSegment(name)) throw new Nak("AE", `${name} segment missing`);
}

/** XPN/XCN family^given^middle^suffix^prefix (starting at `first`) → DICOM family^given^middle^prefix^suffix. */
function personName(message: Hl7Message, name: string, index: number, first = 1): string | undefined {
  const part = (n: number) => field(message, name, index, first + n);
  const dicom = [part(0), part(1), part(2), part(4), part(3)].join("^").replace(/\^+$/, "");
  return dicom === "" ? undefined : dicom;
}

/** The start of the order: OBR-27.4 (quantity/timing), else ORC-7.4, else OBR-36, else OBR-7. */
function scheduledAt(message: Hl7Message): { scheduledDate: string; scheduledTime: string } {
  const text =
    field(message, "OBR", 27, 4) ||
    field(message, "ORC", 7, 4) ||
    field(message, "OBR", 36) ||
    field(message, "OBR", 7);
  const match = /^(\d{8})(\d{4}(\d{2})?)?/.exec(text);
  if (!match)
    throw new Nak("AE", `no valid scheduled date/time (OBR-27.4, ORC-7.4, OBR-36 or OBR-7): "${text}"`);
  return { scheduledDate: match[1]!, scheduledTime: (match[2] ?? "0000").padEnd(6, "0") };
}

function order(message: Hl7Message): ScheduledProcedureBody {
  for (const name of ["PID", "ORC", "OBR"]) segment(message, name);
  const sex = field(message, "PID", 8).toUpperCase();
  const candidate = {
    patientId: field(message, "PID", 3),
    issuerOfPatientId: field(message, "PID", 3, 4),
    patientName: personName(message, "PID", 5) ?? "",
    patientBirthDate: field(message, "PID", 7).slice(0, 8) || undefined,
    patientSex: ["M", "F", "O"].includes(sex) ? sex : undefined,
    accessionNumber: field(message, "OBR", 18) || field(message, "ORC", 3) || field(message, "ORC", 2),
    requestedProcedureId: field(message, "OBR", 19),
    scheduledProcedureStepId: field(message, "OBR", 20),
    requestedProcedureDescription: field(message, "OBR", 4, 2),
    procedureCode: field(message, "OBR", 4, 1),
    modality: field(message, "OBR", 24).toUpperCase(),
    scheduledStationAeTitle: field(message, "OBR", 21) || undefined,
    ...scheduledAt(message),
    referringPhysician: personName(message, "PV1", 8, 2),
    studyInstanceUid: field(message, "ZDS", 1) || undefined,
  };
  const parsed = scheduledProcedureBody.safeParse(candidate);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    throw new Nak("AE", `${issue.path.join(".")}: ${issue.message}`);
  }
  return parsed.data;
}

function apply(control: Control, body: ScheduledProcedureBody, worklist: WorklistStore): number[] {
  const existing = worklist.byAccession(body.accessionNumber);
  if (control === "NW") {
    try {
      return [worklist.create(body, "hl7").id];
    } catch (err) {
      if (err instanceof WorklistConflict) throw new Nak("AE", err.message);
      throw err;
    }
  }
  if (existing.length === 0) throw new Nak("AE", `no order with accession ${body.accessionNumber}`);
  for (const item of existing) {
    if (control === "CA") worklist.setStatus(item.id, "cancelled");
    else worklist.replace(item.id, body);
  }
  return existing.map((item) => item.id);
}

function nak(message: Hl7Message | undefined, code: "AE" | "AR", error: string): string {
  const text = error.replace(/[|^~\\&\r\n]/g, " ").slice(0, 200);
  const ack = (message ?? Hl7Message.parse("MSH|^~\\&|||HILUM|HILUM||||||2.5")).buildAck({
    ackCode: code,
    errSegment: new Hl7Segment([
      "ERR",
      "",
      "",
      `${code === "AR" ? "200^Unsupported message type" : "207^Application internal error"}^HL70357`,
      "E",
      "",
      "",
      "",
      text,
    ]),
  });
  ack.getSegment("MSA")?.setField(3, text);
  return ack.toString();
}

/** Applies one HL7 message and returns the ACK to send. */
export function handleHl7(text: string, worklist: WorklistStore, audit: AuditLog, peer: string): string {
  let message: Hl7Message | undefined;
  const log = (outcome: "success" | "failure", detail: object) =>
    audit.append({
      actorType: "system",
      actor: `hl7:${message ? field(message, "MSH", 3) || peer : peer}`,
      action: "hl7-order",
      outcome,
      detail: { peer, controlId: message ? field(message, "MSH", 10) : undefined, ...detail },
    });
  try {
    if (!text.startsWith("MSH")) throw new Nak("AR", "not an HL7 v2 message (no MSH segment first)");
    message = Hl7Message.parse(text.replace(/\r?\n/g, "\r"));
    const type = `${field(message, "MSH", 9, 1)}^${field(message, "MSH", 9, 2)}`;
    if (type !== "ORM^O01") throw new Nak("AR", `message type ${type} is not supported (ORM^O01 only)`);
    if (!field(message, "MSH", 10)) throw new Nak("AR", "MSH-10 (message control ID) is empty");
    const control = CONTROLS[field(message, "ORC", 1).toUpperCase()];
    if (!control)
      throw new Nak("AE", `ORC-1 order control "${field(message, "ORC", 1)}" is not NW, XO, CA, DC or OC`);
    const body = order(message);
    const ids = apply(control, body, worklist);
    log("success", { control, accessionNumber: body.accessionNumber, worklistIds: ids });
    return message.buildAck({ ackCode: "AA" }).toString();
  } catch (err) {
    if (!(err instanceof Nak)) throw err;
    log("failure", { ackCode: err.code, why: err.message });
    return nak(message, err.code, err.message);
  }
}
