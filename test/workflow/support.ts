/** Small instances for the workflow tests: one 4×4 secondary capture (or CT) per file, named by its SOP Instance UID. */
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { encodePart10 } from "../fixtures/part10.js";
import { newUid } from "../../electron/pacs/workflow/worklist.js";

export const CT_IMAGE_STORAGE = "1.2.840.10008.5.1.4.1.1.2";

export interface InstanceSpec {
  patientName: string;
  patientId: string;
  patientBirthDate?: string;
  patientSex?: string;
  accessionNumber?: string;
  studyInstanceUid: string;
  seriesInstanceUid: string;
  sopInstanceUid?: string;
  modality?: string;
  studyDate?: string;
  seriesNumber?: number;
  seriesDescription?: string;
}

export function writeInstance(dir: string, spec: InstanceSpec): { file: string; sopInstanceUid: string } {
  const sopInstanceUid = spec.sopInstanceUid ?? newUid();
  const bytes = encodePart10({
    SOPClassUID: CT_IMAGE_STORAGE,
    SOPInstanceUID: sopInstanceUid,
    StudyInstanceUID: spec.studyInstanceUid,
    SeriesInstanceUID: spec.seriesInstanceUid,
    PatientName: spec.patientName,
    PatientID: spec.patientId,
    PatientBirthDate: spec.patientBirthDate ?? "",
    PatientSex: spec.patientSex ?? "",
    AccessionNumber: spec.accessionNumber ?? "",
    StudyDate: spec.studyDate ?? "20240315",
    StudyTime: "093000",
    Modality: spec.modality ?? "CT",
    SeriesNumber: String(spec.seriesNumber ?? 1),
    SeriesDescription: spec.seriesDescription ?? "",
    InstanceNumber: "1",
    ImageType: ["ORIGINAL", "PRIMARY", "AXIAL"],
    Rows: 4,
    Columns: 4,
    BitsAllocated: 16,
    BitsStored: 12,
    HighBit: 11,
    PixelRepresentation: 0,
    SamplesPerPixel: 1,
    PhotometricInterpretation: "MONOCHROME2",
    RescaleIntercept: "-1024",
    RescaleSlope: "1",
    PixelData: new Uint16Array(16).fill(1000).buffer,
    _vrMap: { PixelData: "OW" },
  });
  const file = join(dir, `${sopInstanceUid}.dcm`);
  writeFileSync(file, bytes);
  return { file, sopInstanceUid };
}

/** Polls `check` every 100 ms until it returns a value, for at most `timeoutMs`. */
export async function eventually<T>(
  check: () => Promise<T | undefined> | T | undefined,
  timeoutMs = 20_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`condition not met within ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}
