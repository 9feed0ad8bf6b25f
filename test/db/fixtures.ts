import { mkdtempSync } from "node:fs";
import { join } from "node:path";
import { inject } from "vitest";
import { openIndex, type Index } from "../../electron/pacs/db/database.js";
import type { InstanceRecord } from "../../electron/pacs/db/records.js";

/** A fresh folder under the run's scratch root. */
export function scratchDir(prefix: string): string {
  return mkdtempSync(join(inject("scratchRoot"), `${prefix}-`));
}

export function freshIndex(prefix = "db"): Index {
  return openIndex(join(scratchDir(prefix), "index.sqlite"));
}

export const CT_IMAGE = "1.2.840.10008.5.1.4.1.1.2";
export const MR_IMAGE = "1.2.840.10008.5.1.4.1.1.4";
export const EXPLICIT_LE = "1.2.840.10008.1.2.1";

export interface RecordOptions {
  patientId?: string;
  issuer?: string;
  patientName?: string | null;
  birthDate?: string | null;
  sex?: string | null;
  otherPatientIds?: string | null;
  study: string;
  studyDate?: string | null;
  studyTime?: string | null;
  accession?: string | null;
  referring?: string | null;
  description?: string | null;
  series: string;
  modality?: string | null;
  seriesNumber?: number | null;
  bodyPart?: string | null;
  sop: string;
  sopClass?: string;
  instanceNumber?: number | null;
  acquisitionDateTime?: string | null;
  storageKey?: string;
  size?: number;
}

/** An InstanceRecord with plausible defaults; only the UIDs are required. */
export function record(o: RecordOptions): InstanceRecord {
  return {
    patient: {
      patientId: o.patientId ?? "PID1",
      issuerOfPatientId: o.issuer ?? "",
      patientName: o.patientName === undefined ? "Doe^John" : o.patientName,
      patientBirthDate: o.birthDate === undefined ? "19700101" : o.birthDate,
      patientBirthTime: null,
      patientSex: o.sex === undefined ? "M" : o.sex,
      otherPatientIds: o.otherPatientIds ?? null,
    },
    study: {
      studyInstanceUid: o.study,
      studyDate: o.studyDate === undefined ? "20240101" : o.studyDate,
      studyTime: o.studyTime === undefined ? "120000" : o.studyTime,
      accessionNumber: o.accession === undefined ? null : o.accession,
      referringPhysicianName: o.referring ?? null,
      studyDescription: o.description ?? null,
      studyId: null,
    },
    series: {
      seriesInstanceUid: o.series,
      modality: o.modality === undefined ? "CT" : o.modality,
      seriesNumber: o.seriesNumber === undefined ? 1 : o.seriesNumber,
      seriesDescription: null,
      bodyPartExamined: o.bodyPart ?? null,
      seriesDate: null,
      seriesTime: null,
      performedProcedureStepStartDate: null,
      performedProcedureStepStartTime: null,
      stationName: null,
      institutionName: null,
      protocolName: null,
    },
    instance: {
      sopInstanceUid: o.sop,
      sopClassUid: o.sopClass ?? CT_IMAGE,
      instanceNumber: o.instanceNumber === undefined ? 1 : o.instanceNumber,
      transferSyntaxUid: EXPLICIT_LE,
      numberOfFrames: null,
      rows: 512,
      columns: 512,
      contentDate: null,
      contentTime: null,
      acquisitionDateTime: o.acquisitionDateTime ?? null,
      size: o.size ?? 1000,
      sha256: `sha-${o.storageKey ?? o.sop}`,
      storageKey: o.storageKey ?? `key-${o.sop}`,
      callingAeTitle: "MODALITY",
      receivedAt: "2024-01-01T12:00:00.000Z",
      specificCharacterSet: "ISO_IR 192",
    },
  };
}
