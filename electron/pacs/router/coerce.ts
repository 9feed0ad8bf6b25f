import { createHash } from "node:crypto";
import dcmjs from "dcmjs";
import { tagForKeyword, vrForTag } from "../../../shared/dicom/dictionary.js";
import type { Rule } from "./config.js";

export type Coercion = NonNullable<Rule["coerce"]>;

/**
 * Attributes an anonymised copy loses or gets replaced: patient identity, birth data, addresses,
 * free-text identifiers and the people involved (a practical subset of PS3.15 E.1's Basic Profile,
 * with the Retain UIDs option: copies stay linkable to the originals).
 */
const REMOVE_FOR_ANONYMITY = [
  "PatientBirthTime",
  "OtherPatientIDs",
  "OtherPatientIDsSequence",
  "OtherPatientNames",
  "PatientAddress",
  "PatientTelephoneNumbers",
  "PatientMotherBirthName",
  "MilitaryRank",
  "EthnicGroup",
  "PatientComments",
  "MedicalRecordLocator",
  "ReferringPhysicianAddress",
  "ReferringPhysicianTelephoneNumbers",
  "InstitutionAddress",
  "PerformingPhysicianName",
  "NameOfPhysiciansReadingStudy",
  "OperatorsName",
  "RequestingPhysician",
  "AdmittingDiagnosesDescription",
];
const EMPTY_FOR_ANONYMITY = [
  "PatientBirthDate",
  "ReferringPhysicianName",
  "AccessionNumber",
  "StudyID",
  "InstitutionName",
];

function hexTag(keyword: string): string {
  const tag = tagForKeyword(keyword);
  if (tag === undefined) throw new Error(`unknown attribute ${keyword}`);
  return tag.toString(16).toUpperCase().padStart(8, "0");
}

function value(keyword: string, text: string): { vr: string; Value: unknown[] } {
  const vr = vrForTag(tagForKeyword(keyword)!);
  if (text === "") return { vr, Value: [] };
  return { vr, Value: vr === "PN" ? [{ Alphabetic: text }] : text.split("\\") };
}

/** A stable pseudonym: the same patient gets the same one in every copy, and it does not reveal the ID. */
function pseudonym(text: string): string {
  return `ANON-${createHash("sha256").update(text).digest("hex").slice(0, 16).toUpperCase()}`;
}

/** Applies a rule's coercions to a Part 10 file; returns the new Part 10 bytes (same transfer syntax). */
export function coerce(part10: Buffer, coercion: Coercion): Buffer {
  const copy = part10.buffer.slice(part10.byteOffset, part10.byteOffset + part10.byteLength) as ArrayBuffer;
  const file = dcmjs.data.DicomMessage.readFile(copy);
  const dict = file.dict;
  if (coercion.anonymize) {
    const id = dict[hexTag("PatientID")]?.Value?.[0];
    const pseudo = pseudonym(typeof id === "string" ? id : "");
    dict[hexTag("PatientID")] = value("PatientID", pseudo);
    dict[hexTag("PatientName")] = value("PatientName", pseudo);
    for (const keyword of REMOVE_FOR_ANONYMITY) Reflect.deleteProperty(dict, hexTag(keyword));
    for (const keyword of EMPTY_FOR_ANONYMITY)
      if (dict[hexTag(keyword)]) dict[hexTag(keyword)] = value(keyword, "");
    dict[hexTag("PatientIdentityRemoved")] = value("PatientIdentityRemoved", "YES");
    dict[hexTag("DeidentificationMethod")] = value(
      "DeidentificationMethod",
      "HILUM basic profile, retain UIDs",
    );
  }
  for (const keyword of coercion.remove) Reflect.deleteProperty(dict, hexTag(keyword));
  for (const [keyword, text] of Object.entries(coercion.set)) dict[hexTag(keyword)] = value(keyword, text);
  return Buffer.from(file.write());
}
