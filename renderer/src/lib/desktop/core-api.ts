/**
 * The app API calls of the settings screen and the first-run wizard: configuration and accounts over
 * HTTP, the same in the desktop app and the browser. Answers are checked with zod; failures are ApiErrors
 * whose `errors` name each bad configuration key (`body.dicom.port`).
 */
import { z } from "zod";
import { userSchema } from "../../../../shared/api/schemas.js";
import { ApiError } from "../api/index.js";
import { errorFromResponse } from "../api/http.js";
import { coreHeaders } from "./bridge.js";

const configView = z.object({
  configFile: z.string().nullable(),
  config: z.record(z.string(), z.unknown()),
});
const configWrite = configView.extend({
  changed: z.array(z.string()),
  applied: z.array(z.string()),
  restartRequired: z.array(z.string()),
});

export type ConfigView = z.output<typeof configView>;
export type ConfigWrite = z.output<typeof configWrite>;
export type User = z.output<typeof userSchema>;
export type Role = User["role"];

async function call<T>(
  method: string,
  path: string,
  schema: z.ZodType<T> | undefined,
  body?: unknown,
): Promise<T> {
  const headers: Record<string, string> = { accept: "application/json", ...(await coreHeaders()) };
  if (body !== undefined) headers["content-type"] = "application/json";
  let response: Response;
  try {
    response = await fetch(path, {
      method,
      headers,
      body: body === undefined ? undefined : JSON.stringify(body),
      credentials: "same-origin",
      cache: "no-store",
    });
  } catch (err) {
    throw new ApiError({ status: 0, title: "No answer", detail: (err as Error).message });
  }
  const text = await response.text();
  if (!response.ok) throw errorFromResponse(response.status, response.headers, text);
  if (!schema) return undefined as T;
  const parsed = schema.safeParse(JSON.parse(text));
  if (!parsed.success)
    throw new ApiError({ status: 0, title: "Unexpected answer", detail: parsed.error.message });
  return parsed.data;
}

const peersView = z.object({
  peers: z.array(
    z.object({ aeTitle: z.string(), host: z.string(), port: z.number(), description: z.string().optional() }),
  ),
});

const userPath = (name: string) => `/api/users/${encodeURIComponent(name)}`;

export const coreApi = {
  config: () => call("GET", "/api/config", configView),
  /** A JSON Merge Patch of the configuration: validated, written to the file, applied where it can be. */
  patchConfig: (patch: Record<string, unknown>) => call("PUT", "/api/config", configWrite, patch),
  peers: async () => (await call("GET", "/api/peers", peersView)).peers,
  users: () => call("GET", "/api/users", z.array(userSchema)),
  createUser: (body: { username: string; password: string; role: Role }) =>
    call("POST", "/api/users", userSchema, body),
  updateUser: (name: string, body: { role?: Role; disabled?: boolean; password?: string }) =>
    call("PATCH", userPath(name), userSchema, body),
  deleteUser: (name: string) => call("DELETE", userPath(name), undefined),
};

/** What went wrong, for a form: each bad key on a line when the server named them. */
export function explain(error: unknown): string {
  if (!(error instanceof ApiError)) return error instanceof Error ? error.message : String(error);
  if (error.errors.length > 0) {
    return error.errors
      .map((e) => `${e.field.replace(/^body\.?/, "") || "configuration"}: ${e.message}`)
      .join("\n");
  }
  return error.detail ? `${error.title}: ${error.detail}` : error.title;
}
