/**
 * Worklist CSV import: a header row naming the fields of a scheduled procedure (as the app API's body:
 * patientId, patientName, accessionNumber, modality, scheduledDate, …), then one procedure per row. Quoted
 * cells (RFC 4180: commas, quotes doubled, line breaks) are read; empty cells are absent values.
 */
import { type ScheduledProcedureBody, scheduledProcedureBody } from "../../../shared/api/workflow.js";

/** A row of cells and the 1-based line of the text it starts on. */
export interface CsvLine {
  line: number;
  cells: string[];
}

/** Rows of cells; a quoted cell may hold commas, doubled quotes and line breaks. Blank rows are skipped. */
export function parseCsv(csv: string): CsvLine[] {
  const text = csv.replace(/\r\n?/g, "\n");
  const rows: CsvLine[] = [];
  let row: string[] = [];
  let cell = "";
  let quoted = false;
  let line = 1;
  let start = 1;
  const endRow = () => {
    row.push(cell);
    if (row.some((c) => c.trim() !== "")) rows.push({ line: start, cells: row });
    row = [];
    cell = "";
    start = line;
  };
  for (let i = 0; i < text.length; i++) {
    const ch = text[i]!;
    if (ch === "\n") line++;
    if (quoted) {
      if (ch === '"' && text[i + 1] === '"') {
        cell += '"';
        i++;
      } else if (ch === '"') quoted = false;
      else cell += ch;
    } else if (ch === '"' && cell === "") quoted = true;
    else if (ch === ",") {
      row.push(cell);
      cell = "";
    } else if (ch === "\n") endRow();
    else cell += ch;
  }
  if (cell !== "" || row.length > 0) endRow();
  return rows;
}

export interface CsvRow {
  /** 1-based line of the file the row starts on (the header is line 1). */
  line: number;
  body?: ScheduledProcedureBody;
  error?: string;
}

const FIELDS = new Set(Object.keys(scheduledProcedureBody.shape));

/** Validates every row; an unknown column is an error of the whole file. */
export function readWorklistCsv(text: string): CsvRow[] {
  const [header, ...rows] = parseCsv(text.replace(/^\uFEFF/, ""));
  if (!header) throw new Error("the file is empty");
  const columns = header.cells.map((name) => name.trim());
  const unknown = columns.filter((name) => !FIELDS.has(name));
  if (unknown.length > 0) throw new Error(`unknown column ${unknown.join(", ")}`);
  return rows.map(({ line, cells }) => {
    const candidate = Object.fromEntries(
      columns.flatMap((name, j) => (cells[j]?.trim() ? [[name, cells[j].trim()]] : [])),
    );
    const parsed = scheduledProcedureBody.safeParse(candidate);
    if (parsed.success) return { line, body: parsed.data };
    const issue = parsed.error.issues[0]!;
    return { line, error: `${issue.path.join(".") || "row"}: ${issue.message}` };
  });
}
