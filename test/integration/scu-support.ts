/** Hilum's own SCU driven from tests: sends, C-GET into memory, and pixel data read back for comparison. */
import { readFileSync } from "node:fs";
import { formatTag } from "../../shared/dicom/dictionary.js";
import * as tags from "../../shared/dicom/tags.js";
import { TransferSyntaxUid } from "../../shared/dicom/transfer-syntax.js";
import { parseDataset } from "../../electron/pacs/dicom/dataset.js";
import { readPart10Header } from "../../electron/pacs/dicom/part10.js";
import type { DataSink } from "../../electron/pacs/dimse/association.js";
import { type PeerAddress, openAssociation } from "../../electron/pacs/dimse/scu/client.js";
import {
  type KeyValues,
  type Level,
  type RetrieveResult,
  get,
  getHandlers,
  proposeQuery,
} from "../../electron/pacs/dimse/scu/query.js";
import { type StoreOutcome, proposeForStore, storeItems } from "../../electron/pacs/dimse/scu/store.js";
import type { Association } from "../../electron/pacs/dimse/association.js";
import { Status } from "../../electron/pacs/dimse/status.js";
import { fileStoreItem, identifyFile } from "../../electron/pacs/files/dicom-file.js";

export const SCU_AE = "HILUMSCU";

/** The CT series the SCU and CLI tests send (cached, shared). */
export const SCU_SERIES = {
  slices: 30,
  patientName: "Scu^Peers",
  patientId: "SCU30",
  seed: "scu-30",
} as const;

/** Sends files on one association, as the CLI's `send` does, and returns each instance's outcome. */
export async function sendFiles(peer: PeerAddress, files: readonly string[]): Promise<StoreOutcome[]> {
  const infos = await Promise.all(files.map(identifyFile));
  const association = await openAssociation(peer, proposeForStore(infos), { callingAeTitle: SCU_AE });
  try {
    return await storeItems(association, infos.map(fileStoreItem));
  } finally {
    await association.release();
  }
}

export interface Retrieved {
  result: RetrieveResult;
  /** SOP Instance UID → the dataset as it arrived, and the transfer syntax it arrived in. */
  instances: Map<string, { dataset: Buffer; transferSyntaxUid: string }>;
}

/** C-GET of `sopClassUid` instances into memory, offering to take them in uncompressed syntaxes. */
export async function getInstances(
  peer: PeerAddress,
  sopClassUid: string,
  level: Level,
  keys: KeyValues,
): Promise<Retrieved> {
  const instances: Retrieved["instances"] = new Map();
  const association: Association = await openAssociation(
    peer,
    [
      proposeQuery("STUDY_ROOT", "GET"),
      {
        abstractSyntax: sopClassUid,
        transferSyntaxes: [
          TransferSyntaxUid.ExplicitVRLittleEndian,
          TransferSyntaxUid.ImplicitVRLittleEndian,
        ],
        scpRole: true,
      },
    ],
    {
      callingAeTitle: SCU_AE,
      handlers: getHandlers(
        () => association,
        (command, transferSyntaxUid) =>
          memorySink(command.affectedSopInstanceUid ?? "", transferSyntaxUid, instances),
        async () => ({ status: Status.Success }),
      ),
    },
  );
  try {
    return { result: await get(association, "STUDY_ROOT", level, keys), instances };
  } finally {
    await association.release();
  }
}

function memorySink(uid: string, transferSyntaxUid: string, into: Retrieved["instances"]): DataSink {
  const chunks: Buffer[] = [];
  return {
    write: (chunk) => void chunks.push(Buffer.from(chunk)),
    end: () => void into.set(uid, { dataset: Buffer.concat(chunks), transferSyntaxUid }),
    abort: () => undefined,
  };
}

export interface InstanceContent {
  sopInstanceUid: string;
  transferSyntaxUid: string;
  /** (7FE0,0010) as stored: native, or the fragments joined. */
  pixels: Buffer;
  /** Every other top-level attribute: "(gggg,eeee)" → "VR value-bytes-in-hex". */
  attributes: Map<string, string>;
}

/** What a Part 10 file holds, split into pixel data and the rest, to compare across transfer syntaxes. */
export function readInstance(path: string): InstanceContent {
  const bytes = readFileSync(path);
  const header = readPart10Header(bytes);
  const dataset = parseDataset(bytes.subarray(header.datasetOffset), {
    transferSyntaxUid: header.transferSyntaxUid,
    readFragments: true,
  });
  const attributes = new Map<string, string>();
  for (const element of dataset.elements()) {
    if (element.tag !== tags.PixelData)
      attributes.set(formatTag(element.tag), `${element.vr} ${element.value?.toString("hex")}`);
  }
  const pixelData = dataset.get(tags.PixelData);
  return {
    sopInstanceUid: dataset.string(tags.SOPInstanceUID) ?? "",
    transferSyntaxUid: header.transferSyntaxUid,
    pixels: pixelData?.value ?? Buffer.concat(pixelData?.fragments ?? []),
    attributes,
  };
}

export function sameBytes(a: Buffer | undefined, b: Buffer | undefined): boolean {
  return a !== undefined && b !== undefined && a.equals(b);
}
