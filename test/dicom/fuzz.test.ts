import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, inject, it } from "vitest";
import * as tags from "../../shared/dicom/tags.js";
import { TransferSyntaxUid } from "../../shared/dicom/transfer-syntax.js";
import {
  type DataSet,
  DicomParseError,
  type ParseOptions,
  parseDataset,
  parseDatasetFile,
} from "../../electron/pacs/dicom/dataset.js";
import { readPart10Header } from "../../electron/pacs/dicom/part10.js";
import { encodeDataset } from "../../electron/pacs/dicom/writer.js";
import { CHARSET_FILES, prng, TEST_FILES } from "./helpers.js";

const INPUTS = 2000;
const SYNTAXES = [
  TransferSyntaxUid.ImplicitVRLittleEndian,
  TransferSyntaxUid.ExplicitVRLittleEndian,
  TransferSyntaxUid.ExplicitVRBigEndian,
  TransferSyntaxUid.DeflatedExplicitVRLittleEndian,
  TransferSyntaxUid.JPEG2000,
];

interface Seed {
  file: Buffer;
  dataset: Buffer;
  transferSyntaxUid: string;
}

function seedsFromFiles(): Seed[] {
  const files = [
    join(TEST_FILES, "CT_small.dcm"),
    join(TEST_FILES, "UN_sequence.dcm"),
    join(TEST_FILES, "JPEG2000.dcm"),
    join(TEST_FILES, "SC_rgb_rle_2frame.dcm"),
    join(TEST_FILES, "MR_small_bigendian.dcm"),
    join(TEST_FILES, "rtplan.dcm"),
    join(TEST_FILES, "reportsi.dcm"),
    join(TEST_FILES, "nested_priv_SQ.dcm"),
    join(TEST_FILES, "image_dfl.dcm"),
    join(TEST_FILES, "rtstruct.dcm"),
    join(TEST_FILES, "dicomdirtests/DICOMDIR"),
    join(CHARSET_FILES, "chrH32.dcm"),
    join(CHARSET_FILES, "chrSQEncoding.dcm"),
  ];
  return files.map((path) => {
    const file = readFileSync(path);
    const header = readPart10Header(file);
    // Keep seeds small so that 2000 mutants parse in a few seconds.
    return {
      file,
      dataset: file.subarray(header.datasetOffset, header.datasetOffset + 16_384),
      transferSyntaxUid: header.transferSyntaxUid,
    };
  });
}

function seedsFromWriter(): Seed[] {
  const elements = [
    { tag: tags.SpecificCharacterSet, value: "ISO_IR 100" },
    { tag: tags.PatientName, value: "Jérôme^Buc" },
    { tag: tags.Rows, value: 4 },
    { tag: tags.PixelSpacing, value: [0.5, 0.5] },
    {
      tag: tags.ReferencedStudySequence,
      value: [
        [{ tag: tags.ReferencedSOPInstanceUID, value: "1.2.3" }],
        [
          {
            tag: tags.ReferencedImageSequence,
            value: [[{ tag: tags.ReferencedFrameNumber, value: [1, 2] }]],
          },
        ],
      ],
    },
    { tag: tags.PixelData, vr: "OW", value: [1, 2, 3, 4] },
  ];
  return SYNTAXES.slice(0, 4).map((transferSyntaxUid) => {
    const dataset = encodeDataset(elements, { transferSyntaxUid });
    return { file: dataset, dataset, transferSyntaxUid };
  });
}

const INTERESTING = [
  0xffffffff, 0, 0xfffee000, 0xfffee00d, 0xfffee0dd, 0xe000fffe, 0xe0ddfffe, 0x7fffffff, 0x00010000, 8,
];
const VRS = ["SQ", "UN", "OB", "OW", "UT", "PN", "XX", "\0\0"];

function mutate(seed: Buffer, other: Buffer, random: () => number): Buffer {
  const pick = (n: number) => Math.floor(random() * n);
  const bytes = Buffer.from(seed);
  switch (pick(7)) {
    case 0: {
      for (let i = pick(8) + 1; i > 0 && bytes.length > 0; i--) bytes[pick(bytes.length)] = pick(256);
      return bytes;
    }
    case 1: {
      if (bytes.length < 4) return bytes;
      bytes.writeUInt32LE(INTERESTING[pick(INTERESTING.length)] ?? 0, pick(bytes.length - 3));
      return bytes;
    }
    case 2: {
      if (bytes.length < 2) return bytes;
      bytes.write(VRS[pick(VRS.length)] ?? "SQ", pick(bytes.length - 1), "latin1");
      return bytes;
    }
    case 3:
      return bytes.subarray(0, pick(bytes.length + 1));
    case 4: {
      const at = pick(bytes.length + 1);
      const slice = bytes.subarray(pick(bytes.length + 1)).subarray(0, pick(64));
      return Buffer.concat([bytes.subarray(0, at), slice, bytes.subarray(at)]);
    }
    case 5:
      return Buffer.concat([
        bytes.subarray(0, pick(bytes.length + 1)),
        other.subarray(pick(other.length + 1)),
      ]);
    default:
      return Buffer.from(Array.from({ length: pick(512) }, () => pick(256)));
  }
}

/** Read every value the way consumers do; none of this may throw on any parsed input. */
function touch(ds: DataSet, depth = 0): void {
  void ds.charsets;
  for (const el of ds.elements()) {
    ds.string(el.tag);
    ds.strings(el.tag);
    ds.numbers(el.tag);
    ds.bytes(el.tag);
    if (depth < 16) for (const item of ds.items(el.tag)) touch(item, depth + 1);
  }
}

function expectOnlyParseErrors(run: () => void): "parsed" | "refused" {
  try {
    run();
    return "parsed";
  } catch (error) {
    if (!(error instanceof DicomParseError)) throw error;
    expect(error.message).toMatch(/offset \d+|not a DICOM file|inflate/);
    return "refused";
  }
}

describe("fuzzing the parser", () => {
  it(`lets only DicomParseError escape from ${INPUTS} seeded random and mutated inputs`, () => {
    const random = prng(0x5eed);
    const seeds = [...seedsFromFiles(), ...seedsFromWriter()];
    const dir = mkdtempSync(join(inject("scratchRoot"), "fuzz-"));
    const outcomes = { parsed: 0, refused: 0 };
    for (let i = 0; i < INPUTS; i++) {
      const seed = seeds[Math.floor(random() * seeds.length)] as Seed;
      const other = seeds[Math.floor(random() * seeds.length)] as Seed;
      const wholeFile = random() < 0.2;
      const input = mutate(wholeFile ? seed.file : seed.dataset, other.dataset, random);
      const options: ParseOptions = {
        transferSyntaxUid:
          random() < 0.8
            ? seed.transferSyntaxUid
            : (SYNTAXES[Math.floor(random() * SYNTAXES.length)] as string),
        stopAtPixelData: random() < 0.3,
        skipValuesLongerThan: random() < 0.3 ? Math.floor(random() * 64) : undefined,
        readFragments: random() < 0.5,
      };
      const outcome = expectOnlyParseErrors(() => {
        if (wholeFile) {
          const header = readPart10Header(input);
          touch(
            parseDataset(input.subarray(header.datasetOffset), {
              ...options,
              transferSyntaxUid: header.transferSyntaxUid,
            }),
          );
        } else {
          touch(parseDataset(input, options));
        }
      });
      outcomes[outcome]++;
      if (i % 50 === 0) {
        const path = join(dir, `${i}.bin`);
        writeFileSync(path, input);
        expectOnlyParseErrors(() => touch(parseDatasetFile(path, 0, options)));
      }
    }
    // Both outcomes must be well represented, or the mutations are too weak or too strong.
    expect(outcomes.parsed).toBeGreaterThan(INPUTS / 10);
    expect(outcomes.refused).toBeGreaterThan(INPUTS / 10);
  });

  it("refuses sequences nested deeper than it will follow instead of overflowing the stack", () => {
    const open = Buffer.from([
      0x08, 0x00, 0x15, 0x11, 0x53, 0x51, 0, 0, 0xff, 0xff, 0xff, 0xff, 0xfe, 0xff, 0x00, 0xe0, 0xff, 0xff,
      0xff, 0xff,
    ]);
    const input = Buffer.concat(Array.from({ length: 10_000 }, () => open));
    expect(() =>
      parseDataset(input, { transferSyntaxUid: TransferSyntaxUid.ExplicitVRLittleEndian }),
    ).toThrow(/nested more than/);
  });

  it("refuses a deflated data set that does not inflate", () => {
    const input = Buffer.from("definitely not deflate data");
    expect(() =>
      parseDataset(input, { transferSyntaxUid: TransferSyntaxUid.DeflatedExplicitVRLittleEndian }),
    ).toThrow(DicomParseError);
  });

  it("names tag and offset for the malformed inputs the brief lists", () => {
    const explicit = { transferSyntaxUid: TransferSyntaxUid.ExplicitVRLittleEndian };
    // (0010,0010) PN claiming 4294 bytes with 4 present
    const long = Buffer.from([0x10, 0x00, 0x10, 0x00, 0x50, 0x4e, 0xc6, 0x10, 0x41, 0x42, 0x43, 0x44]);
    expect(() => parseDataset(long, explicit)).toThrow(
      "element (0010,0010) at offset 0 claims 4294 bytes but only 4 remain",
    );
    // garbage VR after a valid first element
    const badVr = Buffer.concat([
      long.subarray(0, 6),
      Buffer.from([0x02, 0x00, 0x41, 0x42]),
      Buffer.from([0x10, 0x00, 0x20, 0x00, 0x3f, 0x3f, 0, 0]),
    ]);
    badVr.writeUInt16LE(2, 6);
    expect(() => parseDataset(badVr, explicit)).toThrow(
      'element (0010,0020) at offset 10 has invalid VR "??"',
    );
    // a sequence whose content is not an item
    const noItem = Buffer.from([
      0x08, 0x00, 0x15, 0x11, 0x53, 0x51, 0, 0, 8, 0, 0, 0, 0x10, 0x00, 0x10, 0x00, 0x50, 0x4e, 0, 0,
    ]);
    expect(() => parseDataset(noItem, explicit)).toThrow(
      "expected an item (FFFE,E000) in sequence (0008,1115) at offset 12, found (0010,0010)",
    );
    // truncated header
    expect(() => parseDataset(long.subarray(0, 5), explicit)).toThrow(
      "element header at offset 0 needs 8 bytes but only 5 remain",
    );
  });
});
