/**
 * Independent readers for the imaging tests: pydicom (Debian's, without numpy) for the frames of a DICOM
 * file, and a PNG decoder written here from the PNG specification (not Hilum's encoder run backwards).
 */
import { inflateSync } from "node:zlib";
import { run } from "../support/process.js";

const PYTHON = "/usr/bin/python3";

/**
 * Frame `frame` (1-based) of a file as pydicom reads it: little endian, samples interleaved. Native Pixel Data
 * is sliced from `ds.PixelData` (byte-swapped for big endian files); RLE frames go through pydicom's own
 * pure-Python RLE decoder (`_rle_decode_frame`), whose planar output is interleaved here.
 */
export async function pydicomFrame(file: string, frame: number): Promise<Buffer> {
  const script = `
import sys
import pydicom
from pydicom.encaps import generate_pixel_data_frame
from pydicom.pixel_data_handlers.rle_handler import _rle_decode_frame
ds = pydicom.dcmread(sys.argv[1])
n = int(sys.argv[2]) - 1
rows, cols, spp, bits = ds.Rows, ds.Columns, ds.SamplesPerPixel, ds.BitsAllocated
size = rows * cols * spp * bits // 8
bps = bits // 8
ts = ds.file_meta.TransferSyntaxUID
if ts.is_compressed:
    if ts != "1.2.840.10008.1.2.5":
        raise SystemExit("only RLE is decoded without numpy")
    data = list(generate_pixel_data_frame(ds.PixelData, int(getattr(ds, "NumberOfFrames", 1))))[n]
    planar = _rle_decode_frame(data, rows, cols, spp, bits)
    plane = rows * cols * bps
    out = bytearray(size)
    for p in range(rows * cols):
        for s in range(spp):
            out[(p * spp + s) * bps:(p * spp + s + 1) * bps] = planar[s * plane + p * bps:s * plane + (p + 1) * bps]
else:
    out = bytearray(ds.PixelData[n * size:(n + 1) * size])
    if not ts.is_little_endian and bps > 1:
        for i in range(0, len(out), bps):
            out[i:i + bps] = out[i:i + bps][::-1]
sys.stdout.write(bytes(out).hex())
`;
  const result = await run(PYTHON, ["-c", script, file, String(frame)]);
  if (result.code !== 0)
    throw new Error(`pydicom could not read frame ${frame} of ${file}: ${result.stderr}`);
  return Buffer.from(result.stdout.trim(), "hex");
}

export interface DecodedPng {
  width: number;
  height: number;
  /** 1 (gray) or 3 (RGB). */
  channels: number;
  data: Buffer;
}

function paeth(a: number, b: number, c: number): number {
  const p = a + b - c;
  const pa = Math.abs(p - a);
  const pb = Math.abs(p - b);
  const pc = Math.abs(p - c);
  return pa <= pb && pa <= pc ? a : pb <= pc ? b : c;
}

/** 8-bit gray or RGB, non-interlaced PNG: chunks checked (CRC by the table of the PNG spec), scanlines unfiltered. */
export function decodePng(png: Buffer): DecodedPng {
  const signature = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
  if (!png.subarray(0, 8).equals(signature)) throw new Error("not a PNG signature");
  let pos = 8;
  let width = 0;
  let height = 0;
  let channels = 0;
  const idat: Buffer[] = [];
  let ended = false;
  while (pos < png.length) {
    const length = png.readUInt32BE(pos);
    const type = png.toString("latin1", pos + 4, pos + 8);
    const data = png.subarray(pos + 8, pos + 8 + length);
    const crc = png.readUInt32BE(pos + 8 + length);
    if (crc !== crc32(png.subarray(pos + 4, pos + 8 + length))) throw new Error(`bad CRC in ${type}`);
    if (type === "IHDR") {
      width = data.readUInt32BE(0);
      height = data.readUInt32BE(4);
      if (data[8] !== 8 || data[12] !== 0) throw new Error("only 8-bit non-interlaced PNG is read here");
      channels = data[9] === 0 ? 1 : data[9] === 2 ? 3 : 0;
      if (!channels) throw new Error(`colour type ${data[9]} is not read here`);
    } else if (type === "IDAT") idat.push(data);
    else if (type === "IEND") ended = true;
    pos += 12 + length;
  }
  if (!ended) throw new Error("no IEND");
  const raw = inflateSync(Buffer.concat(idat));
  const stride = width * channels;
  if (raw.length !== (stride + 1) * height)
    throw new Error(`IDAT holds ${raw.length} bytes, expected ${(stride + 1) * height}`);
  const out = Buffer.alloc(stride * height);
  for (let y = 0; y < height; y++) {
    const filter = raw[y * (stride + 1)]!;
    for (let i = 0; i < stride; i++) {
      const x = raw[y * (stride + 1) + 1 + i]!;
      const a = i >= channels ? out[y * stride + i - channels]! : 0;
      const b = y > 0 ? out[(y - 1) * stride + i]! : 0;
      const c = i >= channels && y > 0 ? out[(y - 1) * stride + i - channels]! : 0;
      const predicted = [0, a, b, (a + b) >> 1, paeth(a, b, c)][filter];
      if (predicted === undefined) throw new Error(`unknown filter ${filter}`);
      out[y * stride + i] = (x + predicted) & 0xff;
    }
  }
  return { width, height, channels, data: out };
}

function crc32(data: Uint8Array): number {
  let c = 0xffffffff;
  for (const byte of data) {
    c ^= byte;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
  }
  return (c ^ 0xffffffff) >>> 0;
}
