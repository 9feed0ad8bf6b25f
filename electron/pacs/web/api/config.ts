/**
 * `GET /api/peers`, `GET /api/config` (secrets redacted) and `PUT /api/config`: a JSON Merge Patch
 * validated with the configuration schema, written to the file the node was started with, applied at once
 * where the running node reads the value live, and audited with the values before and after (redacted).
 */
import type { FastifyInstance } from "fastify";
import { z } from "zod";
import { readConfigFile } from "../../config/load.js";
import { configSchema, peerSchema, type HilumConfig } from "../../config/schema.js";
import { auditAccess } from "../audit.js";
import type { WebContext } from "../context.js";
import { type ApiDocs, apiRoute, parseInput } from "../openapi.js";
import { HttpProblem } from "../problem.js";
import {
  changedKeys,
  getPath,
  mergePatch,
  patchedFileText,
  readText,
  redact,
  setPath,
  unredact,
  writeFileAtomic,
  type Json,
} from "./config-file.js";

/**
 * Keys the running node reads on every use, so a change applies without a restart: the peers (C-MOVE
 * destinations and the caller allow-list), whether unknown callers may associate, the log level, EMR
 * launch, the session and lockout settings, and the router (its workers restart on the new rules and
 * destinations; queued jobs stay). Everything else (ports, TLS, storage, …) needs a restart.
 */
const LIVE_KEYS = ["peers", "dicom.allowUnknownCallers", "log.level", "router"];
const LIVE_PREFIXES = ["launch.", "auth.", "router."];

function isLive(key: string): boolean {
  return (
    LIVE_KEYS.includes(key) || LIVE_PREFIXES.some((prefix) => key.startsWith(prefix) || `${key}.` === prefix)
  );
}

export const peersResponse = z.object({
  allowUnknownCallers: z.boolean().describe("false: only these peers may open associations"),
  peers: z.array(peerSchema),
});

export const configResponse = z.object({
  configFile: z
    .string()
    .nullable()
    .describe("The file PUT writes to; null when the node was started without one"),
  config: z.record(z.string(), z.unknown()).describe(`The running configuration; secrets read "[redacted]"`),
});

export const configPatch = z
  .record(z.string(), z.unknown())
  .describe(
    "A JSON Merge Patch (RFC 7396) of the configuration: objects merge, null removes a key (back to its " +
      'default), arrays and values replace. "[redacted]" keeps a secret as it is, so a GET can be edited and ' +
      "sent back whole.",
  );

export const configWriteResponse = configResponse.extend({
  changed: z.array(z.string()).describe("Keys whose value changed (dotted paths)"),
  applied: z.array(z.string()).describe("Changed keys already in effect"),
  restartRequired: z.array(z.string()).describe("Changed keys that take effect at the next start"),
});

/** Puts the live keys' new values into the running configuration object every part of the node shares. */
async function applyLive(ctx: WebContext, next: HilumConfig, keys: readonly string[]): Promise<void> {
  const running = ctx.config as unknown as Record<string, unknown>;
  for (const key of keys) setPath(running, key, structuredClone(getPath(next, key)));
  if (keys.includes("log.level")) ctx.log.level = next.log.level;
  if (keys.some((key) => key === "router" || key.startsWith("router.")))
    await ctx.router?.reconfigure(ctx.config.router);
}

export function registerConfig(app: FastifyInstance, ctx: WebContext, docs: ApiDocs): void {
  apiRoute(
    app,
    docs,
    {
      method: "GET",
      url: "/api/peers",
      operationId: "listPeers",
      summary: "The known DICOM peers",
      tags: ["configuration"],
      access: { permission: "config:read" },
      responses: { 200: { description: "The peers", schema: peersResponse } },
    },
    async () => ({ allowUnknownCallers: ctx.config.dicom.allowUnknownCallers, peers: ctx.config.peers }),
  );

  apiRoute(
    app,
    docs,
    {
      method: "GET",
      url: "/api/config",
      operationId: "getConfig",
      summary: "The running configuration, secrets redacted",
      tags: ["configuration"],
      access: { permission: "config:read" },
      responses: { 200: { description: "The configuration", schema: configResponse } },
    },
    async () => ({ configFile: ctx.configFile ?? null, config: redact(ctx.config) }),
  );

  apiRoute(
    app,
    docs,
    {
      method: "PUT",
      url: "/api/config",
      operationId: "updateConfig",
      summary: "Change the configuration and write it to the configuration file",
      description:
        "The patch is validated with the configuration schema (a 400 names each bad key, as `body.dicom.port`), " +
        "written to the file the node was started with, and applied at once where possible. Audited " +
        "(action `config-write`) with the changed keys' values before and after, secrets redacted.",
      tags: ["configuration"],
      access: { permission: "config:write" },
      body: configPatch,
      responses: {
        200: {
          description: "Written; which keys apply now and which at the next start",
          schema: configWriteResponse,
        },
        409: { description: "The node was started without a configuration file, so there is none to write" },
      },
    },
    async ({ body }, request) => {
      const file = ctx.configFile;
      if (!file) {
        throw new HttpProblem(
          409,
          "Conflict",
          "no configuration file to write: the node was started without --config",
        );
      }
      let text: string;
      let fileInput: unknown;
      try {
        text = readText(file);
        fileInput = readConfigFile(file);
      } catch (err) {
        throw new HttpProblem(
          409,
          "Conflict",
          `cannot read the configuration file: ${(err as Error).message}`,
        );
      }
      const patch = unredact(body, fileInput) as Record<string, Json>;
      const patchedFile = mergePatch(fileInput, patch);
      parseInput(configSchema, patchedFile, "body");
      // The running configuration is the file plus flags and defaults: the same patch over it.
      const running = JSON.parse(JSON.stringify(ctx.config)) as unknown;
      const next = parseInput(configSchema, mergePatch(running, unredact(body, running)), "body");
      const changed = changedKeys(running, JSON.parse(JSON.stringify(next)));
      try {
        writeFileAtomic(file, patchedFileText(file, text, patch, patchedFile));
      } catch (err) {
        throw new HttpProblem(
          500,
          "Internal Server Error",
          `cannot write ${file}: ${(err as Error).message}`,
        );
      }
      const applied = changed.filter(isLive);
      const restartRequired = changed.filter((key) => !isLive(key));
      const before = redact(running);
      const after = redact(next);
      await applyLive(ctx, next, applied);
      auditAccess(ctx, request, {
        action: "config-write",
        detail: {
          file,
          changed,
          restartRequired,
          before: Object.fromEntries(changed.map((key) => [key, getPath(before, key) ?? null])),
          after: Object.fromEntries(changed.map((key) => [key, getPath(after, key) ?? null])),
        },
      });
      return { configFile: file, config: redact(ctx.config), changed, applied, restartRequired };
    },
  );
}
