import { z } from "zod";
import { routerSchema } from "../router/config.js";
import { authSchema } from "../web/auth/config.js";
import { dicomTlsSchema, httpTlsSchema } from "../tls/config.js";
import { dicomWebSchema } from "../web/dicomweb/config.js";
import { launchSchema } from "../web/launch-config.js";
import { workflowSchema } from "../workflow/config.js";
import { aeTitle, port } from "./schema-parts.js";

export { aeTitle };

export const peerSchema = z.strictObject({
  aeTitle,
  host: z.string().min(1),
  port: port.min(1),
  description: z.string().optional(),
  /** Reach this peer over TLS, with the certificate, key and CA of dicom.tls. */
  tls: z.boolean().optional(),
});

export const configSchema = z.strictObject({
  dataDir: z.string().min(1).default("./hilum-data"),
  aeTitle: aeTitle.default("HILUM"),
  dicom: z
    .strictObject({
      port: port.default(11112),
      bind: z.string().default("0.0.0.0"),
      allowUnknownCallers: z.boolean().default(true),
      checkCalledAeTitle: z.boolean().default(true),
      maxAssociations: z.number().int().min(1).max(1000).default(32),
      maxPduLength: z.number().int().min(4096).max(16_777_216).default(262_144),
      artimTimeoutSeconds: z.number().positive().max(3600).default(30),
      idleTimeoutSeconds: z.number().positive().max(86_400).default(120),
      /** SOP classes to accept for storage beyond the standard ones (vendors' private classes). */
      extraStorageSopClasses: z.array(z.string().regex(/^[0-9.]{1,64}$/)).default([]),
      tls: dicomTlsSchema.optional(),
    })
    .prefault({}),
  http: z
    .strictObject({
      port: port.default(8042),
      bind: z.string().default("127.0.0.1"),
      /** The desktop app's per-launch secret: a bearer token that stands for the workstation's user. */
      launchSecret: z.string().min(32, "launch secret must be at least 32 characters").optional(),
      /** Largest request body (STOW-RS uploads), in MiB. */
      maxBodyMiB: z.number().positive().max(16_384).default(2048),
      tls: httpTlsSchema.optional(),
    })
    .prefault({}),
  dicomWeb: dicomWebSchema.prefault({}),
  peers: z.array(peerSchema).default([]),
  storage: z
    .strictObject({
      /** Same SOP Instance UID with different bytes: replace (audited), keep the first, or refuse. */
      duplicates: z.enum(["replace", "keep", "reject"]).default("replace"),
      /** Instances up to this size are validated from memory; larger ones are read back from disk (memory stays bounded). */
      keepInMemoryMiB: z.number().positive().max(1024).default(8),
    })
    .prefault({}),
  router: routerSchema.prefault({}),
  workflow: workflowSchema.prefault({}),
  auth: authSchema.prefault({}),
  launch: launchSchema.prefault({}),
  /** The desktop app's auto-update (docs/desktop.md); the core itself does not read it. */
  updates: z
    .strictObject({
      /** false on a locked-down site: the app never looks for updates. */
      enabled: z.boolean().default(true),
      channel: z.enum(["stable", "beta"]).default("stable"),
      /** The generic provider's base URL, where latest.yml and the installers are; none: no updates. */
      url: z.url({ protocol: /^https?$/, error: "must be an http(s) URL" }).optional(),
    })
    .prefault({}),
  log: z
    .strictObject({
      level: z.enum(["fatal", "error", "warn", "info", "debug", "trace", "silent"]).default("info"),
      file: z.boolean().default(true),
    })
    .prefault({}),
});

export type HilumConfig = z.infer<typeof configSchema>;
export type PeerConfig = z.infer<typeof peerSchema>;
export type ConfigInput = z.input<typeof configSchema>;
