/**
 * Changes top-level attributes of a stored Part 10 object in place of their old bytes, leaving every other
 * byte (file meta, other elements, pixel data) as it was: the way a demographic correction rewrites an
 * object without re-encoding it. New values are encoded in the object's own transfer syntax and Specific
 * Character Set; a group length element of a changed group (retired, rare) is dropped rather than left wrong.
 */
import { datasetEncoding } from "../../../shared/dicom/transfer-syntax.js";
import { hasLongLength } from "../../../shared/dicom/vr.js";
import { vrForTag } from "../../../shared/dicom/dictionary.js";
import { type DataSet, type Element, parseDataset } from "../dicom/dataset.js";
import { readPart10Header } from "../dicom/part10.js";
import { encodeDataset } from "../dicom/writer.js";

const PIXEL_DATA = 0x7fe00010;

export class RewriteError extends Error {
  override name = "RewriteError";
}

interface Splice {
  start: number;
  end: number;
  bytes: Buffer;
}

/** Where an element's header starts, from where its value starts. */
function elementStart(ds: DataSet, el: Element, explicitVr: boolean): number {
  if (el.tag === PIXEL_DATA && ds.pixelDataOffset !== undefined) return ds.pixelDataOffset;
  return el.offset - (explicitVr && hasLongLength(el.vr) ? 12 : 8);
}

/** The offset where an absent element would go: before the first element with a greater tag. */
function insertionPoint(ds: DataSet, tag: number, explicitVr: boolean, datasetLength: number): number {
  for (const el of ds.elements()) if (el.tag > tag) return elementStart(ds, el, explicitVr);
  return datasetLength;
}

/** Returns the object's bytes with each tag set to its value ("" writes an empty element). */
export function rewriteAttributes(part10: Buffer, changes: ReadonlyMap<number, string>): Buffer {
  const header = readPart10Header(part10);
  const syntax = header.transferSyntaxUid;
  const enc = datasetEncoding(syntax);
  if (enc.deflated) throw new RewriteError("a deflated object cannot be corrected in place");
  const data = part10.subarray(header.datasetOffset);
  const ds = parseDataset(data, {
    transferSyntaxUid: syntax,
    stopAtPixelData: true,
    skipValuesLongerThan: 4096,
  });
  const charset = ds.charsets.length > 0 ? ds.charsets.join("\\") : "ISO_IR 6";
  const splices: Splice[] = [];
  const groups = new Set<number>();
  for (const [tag, value] of changes) {
    if (tag >>> 16 === 0x0002 || tag >= PIXEL_DATA)
      throw new RewriteError(`attribute ${tag.toString(16)} cannot be rewritten`);
    let bytes: Buffer;
    try {
      bytes = encodeDataset([{ tag, vr: vrForTag(tag), value: value === "" ? null : value }], {
        transferSyntaxUid: syntax,
        charset,
      });
    } catch (err) {
      throw new RewriteError(`${(err as Error).message} (the object's character set is ${charset})`);
    }
    const existing = ds.get(tag);
    const start = existing
      ? elementStart(ds, existing, enc.explicitVr)
      : insertionPoint(ds, tag, enc.explicitVr, data.length);
    splices.push({ start, end: existing ? existing.offset + existing.length : start, bytes });
    groups.add(tag >>> 16);
  }
  for (const group of groups) {
    const length = ds.get((group << 16) >>> 0);
    if (length)
      splices.push({
        start: elementStart(ds, length, enc.explicitVr),
        end: length.offset + length.length,
        bytes: Buffer.alloc(0),
      });
  }
  splices.sort((a, b) => a.start - b.start);
  const parts: Buffer[] = [part10.subarray(0, header.datasetOffset)];
  let at = 0;
  for (const splice of splices) {
    parts.push(data.subarray(at, splice.start), splice.bytes);
    at = splice.end;
  }
  parts.push(data.subarray(at));
  return Buffer.concat(parts);
}
