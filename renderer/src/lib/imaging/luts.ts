/** Lookup tables (palette, modality LUT, VOI LUT) resolved to their entries, fetching bulk data when needed. */
import type { BinaryValue } from "./dicom-json";
import type { LutSource, PixelDescriptor } from "./descriptor";

/** A LUT ready for the display: entries as unsigned integers of `bits` bits. */
export interface Lut {
  firstMapped: number;
  bits: number;
  data: Uint16Array;
}

export interface ResolvedLuts {
  palette?: { red: Lut; green: Lut; blue: Lut };
  modality?: Lut;
  voi: Lut[];
}

type Fetcher = (uri: string) => Promise<Uint8Array>;

function words(bytes: Uint8Array, entries: number, bits: number): Uint16Array {
  const out = new Uint16Array(entries);
  if (bytes.length >= entries * 2) {
    const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    for (let i = 0; i < entries; i++) out[i] = view.getUint16(i * 2, true);
  } else if (bits === 8 && bytes.length >= entries) {
    // 8-bit entries packed one per byte (seen in the wild); PS3.3 says one per 16-bit word.
    for (let i = 0; i < entries; i++) out[i] = bytes[i]!;
  } else {
    throw new Error(`a lookup table holds ${bytes.length} bytes for ${entries} entries`);
  }
  if (bits === 8) for (let i = 0; i < entries; i++) out[i] = out[i]! & 0xff;
  return out;
}

async function resolve(source: LutSource, fetcher: Fetcher): Promise<Lut> {
  const data: BinaryValue | number[] = source.data;
  let table: Uint16Array;
  if (Array.isArray(data)) {
    table = new Uint16Array(source.entries);
    for (let i = 0; i < source.entries; i++) table[i] = (data[i] ?? data[data.length - 1] ?? 0) & 0xffff;
  } else if ("bytes" in data) {
    table = words(data.bytes, source.entries, source.bits);
  } else {
    table = words(await fetcher(data.uri), source.entries, source.bits);
  }
  return { firstMapped: source.firstMapped, bits: source.bits, data: table };
}

export async function resolveLuts(pixels: PixelDescriptor, fetcher: Fetcher): Promise<ResolvedLuts> {
  const out: ResolvedLuts = { voi: await Promise.all(pixels.voiLuts.map((lut) => resolve(lut, fetcher))) };
  if (pixels.modalityLut) out.modality = await resolve(pixels.modalityLut, fetcher);
  if (pixels.palette) {
    const [red, green, blue] = await Promise.all([
      resolve(pixels.palette.red, fetcher),
      resolve(pixels.palette.green, fetcher),
      resolve(pixels.palette.blue, fetcher),
    ]);
    out.palette = { red: red!, green: green!, blue: blue! };
  }
  return out;
}

/** The value a LUT gives for an input (inputs below the first entry take the first, above the last the last). */
export function lookup(lut: Lut, input: number): number {
  const i = Math.min(Math.max(Math.round(input) - lut.firstMapped, 0), lut.data.length - 1);
  return lut.data[i]!;
}
