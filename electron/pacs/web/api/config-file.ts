/**
 * The pieces of `PUT /api/config`: JSON Merge Patch (RFC 7396) with redacted values standing for the
 * current ones, redaction of secrets, the keys a change touches, and writing the file back in its own
 * format (YAML keeps its comments) atomically.
 */
import { closeSync, fsyncSync, openSync, readFileSync, renameSync, statSync, writeFileSync } from "node:fs";
import { basename, dirname, extname, join } from "node:path";
import { isMap, parseDocument } from "yaml";
import { HttpProblem } from "../problem.js";

/** What a secret reads as; sent back in a PUT, it means "keep the current value". */
export const REDACTED = "[redacted]";

/** Secrets by key name: the launch secret, HMAC secrets, TLS key files, passwords and tokens of destinations. */
const SECRET_KEY = /secret|password|passphrase|token|privatekey|^keyFile$|^key$/i;

export type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
type JsonObject = { [key: string]: Json };

export function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/** A deep copy with every secret's value replaced by REDACTED. */
export function redact(value: unknown, key = ""): unknown {
  if (key !== "" && SECRET_KEY.test(key) && value !== undefined && value !== null && !isPlainObject(value)) {
    return REDACTED;
  }
  if (Array.isArray(value)) return value.map((item) => redact(item));
  if (isPlainObject(value)) {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, redact(v, k)]));
  }
  return value;
}

/**
 * Replaces each REDACTED in `patch` by the value at the same place in `current`; 400 when there is none
 * (a secret cannot be set to the placeholder).
 */
export function unredact(patch: unknown, current: unknown, path: string[] = []): unknown {
  if (patch === REDACTED) {
    if (current === undefined || current === null || isPlainObject(current) || Array.isArray(current)) {
      const field = ["body", ...path].join(".");
      throw new HttpProblem(
        400,
        "Bad Request",
        `${field}: "${REDACTED}" stands for the current value, and there is none`,
        {
          errors: [{ field, message: "no current value to keep" }],
        },
      );
    }
    return current;
  }
  if (Array.isArray(patch)) {
    return patch.map((item, i) =>
      unredact(item, Array.isArray(current) ? current[i] : undefined, [...path, String(i)]),
    );
  }
  if (isPlainObject(patch)) {
    const base = isPlainObject(current) ? current : {};
    return Object.fromEntries(Object.entries(patch).map(([k, v]) => [k, unredact(v, base[k], [...path, k])]));
  }
  return patch;
}

/** RFC 7396: objects merge, null removes a key, anything else (arrays too) replaces. */
export function mergePatch(target: unknown, patch: unknown): unknown {
  if (!isPlainObject(patch)) return patch;
  const out: Record<string, unknown> = isPlainObject(target) ? { ...target } : {};
  for (const [key, value] of Object.entries(patch)) {
    if (value === null) Reflect.deleteProperty(out, key);
    else out[key] = mergePatch(out[key], value);
  }
  return out;
}

/** Leaf paths ("dicom.port", "peers") whose values differ; arrays are leaves. */
export function changedKeys(before: unknown, after: unknown, prefix = ""): string[] {
  if (isPlainObject(before) || isPlainObject(after)) {
    const a = isPlainObject(before) ? before : {};
    const b = isPlainObject(after) ? after : {};
    const keys = [...new Set([...Object.keys(a), ...Object.keys(b)])].sort();
    return keys.flatMap((key) => changedKeys(a[key], b[key], prefix ? `${prefix}.${key}` : key));
  }
  return JSON.stringify(before) === JSON.stringify(after) ? [] : [prefix];
}

export function getPath(value: unknown, path: string): unknown {
  return path.split(".").reduce<unknown>((node, key) => (isPlainObject(node) ? node[key] : undefined), value);
}

/** Sets (or with undefined, removes) the value at a dotted path, creating objects on the way. */
export function setPath(target: Record<string, unknown>, path: string, value: unknown): void {
  const keys = path.split(".");
  const last = keys.pop()!;
  let node = target;
  for (const key of keys) {
    if (!isPlainObject(node[key])) node[key] = {};
    node = node[key] as Record<string, unknown>;
  }
  if (value === undefined) Reflect.deleteProperty(node, last);
  else node[last] = value;
}

function isYaml(file: string): boolean {
  return extname(file).toLowerCase() !== ".json";
}

/** Applies the patch to the YAML document node by node, so comments and key order survive. */
function patchYaml(text: string, patch: JsonObject): string {
  const doc = parseDocument(text);
  if (doc.errors.length > 0) throw new Error(doc.errors[0]!.message);
  const apply = (object: JsonObject, path: string[]) => {
    for (const [key, value] of Object.entries(object)) {
      const at = [...path, key];
      if (value === null) doc.deleteIn(at);
      else if (isPlainObject(value) && isMap(doc.getIn(at, true))) apply(value, at);
      else doc.setIn(at, mergePatch(undefined, value));
    }
  };
  apply(patch, []);
  return doc.toString();
}

/** The file's new text after the patch, in the file's own format. */
export function patchedFileText(file: string, text: string, patch: JsonObject, patched: unknown): string {
  return isYaml(file) ? patchYaml(text, patch) : `${JSON.stringify(patched, null, 2)}\n`;
}

/** Write to a temporary file beside it, fsync, rename over, fsync the folder: the file is old or new, never half. */
export function writeFileAtomic(file: string, text: string): void {
  const temp = join(dirname(file), `.${basename(file)}.${process.pid}.tmp`);
  const mode = statSync(file, { throwIfNoEntry: false })?.mode ?? 0o600;
  writeFileSync(temp, text, { mode: mode & 0o777 });
  const fd = openSync(temp, "r");
  try {
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  renameSync(temp, file);
  const dir = openSync(dirname(file), "r");
  try {
    fsyncSync(dir);
  } finally {
    closeSync(dir);
  }
}

export function readText(file: string): string {
  return readFileSync(file, "utf8");
}
