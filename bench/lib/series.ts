import { join } from "node:path";
import { REPO_ROOT } from "../../test/support/hilum.js";

/** The benchmarks' CT: 500 slices of 512×512, 16 bits stored — one series every section uses (fixture cache). */
export const BENCH_CT_SERIES = {
  slices: 500,
  rows: 512,
  columns: 512,
  bitsStored: 16,
  patientName: "Bench^Ingest",
  patientId: "BENCH500",
  seed: "bench-ingest-500",
} as const;

/** Where each benchmark writes its JSON results, `<timestamp>-<section>.json`. */
export const RESULTS_DIR = join(REPO_ROOT, "bench/results");
