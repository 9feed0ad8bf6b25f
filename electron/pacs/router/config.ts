import { z } from "zod";
import { aeTitle } from "../config/schema-parts.js";

/** Transfer syntaxes a destination can ask for, by name; a UID is taken as it is. */
export const NAMED_SYNTAXES = {
  "as-stored": undefined,
  "explicit-little-endian": "1.2.840.10008.1.2.1",
  "implicit-little-endian": "1.2.840.10008.1.2",
  "jpeg-ls-lossless": "1.2.840.10008.1.2.4.80",
  "jpeg2000-lossless": "1.2.840.10008.1.2.4.90",
  "htj2k-lossless": "1.2.840.10008.1.2.4.201",
  "rle-lossless": "1.2.840.10008.1.2.5",
} as const satisfies Record<string, string | undefined>;

const syntax = z.union([
  z.enum(Object.keys(NAMED_SYNTAXES) as [keyof typeof NAMED_SYNTAXES, ...Array<keyof typeof NAMED_SYNTAXES>]),
  z.string().regex(/^[0-9.]{1,64}$/, "a transfer syntax name or UID"),
]);

export function syntaxUid(value: string | undefined): string | undefined {
  if (value === undefined) return undefined;
  return value in NAMED_SYNTAXES ? NAMED_SYNTAXES[value as keyof typeof NAMED_SYNTAXES] : value;
}

const name = z.string().regex(/^[A-Za-z0-9_.-]{1,64}$/, "letters, digits, '.', '_' or '-'");

const dimseDestination = z.strictObject({
  name,
  type: z.literal("dimse"),
  aeTitle,
  host: z.string().min(1),
  port: z.number().int().min(1).max(65535),
  /** Our calling AE title towards this destination (default: the node's AE title). */
  callingAeTitle: aeTitle.optional(),
  transferSyntax: syntax.default("as-stored"),
  /** Associations open at once towards this destination. */
  concurrency: z.number().int().min(1).max(16).default(1),
  /** Connect with DICOM TLS, using the node's `dicom.tls` certificate. */
  tls: z.boolean().default(false),
});

const dicomwebDestination = z.strictObject({
  name,
  type: z.literal("dicomweb"),
  /** The DICOMweb root, e.g. https://archive.example.org/dicom-web */
  url: z.url(),
  auth: z
    .union([
      z.strictObject({ bearer: z.string().min(1) }),
      z.strictObject({ basic: z.strictObject({ username: z.string(), password: z.string() }) }),
    ])
    .optional(),
  headers: z.record(z.string(), z.string()).default({}),
  transferSyntax: syntax.default("as-stored"),
  concurrency: z.number().int().min(1).max(16).default(1),
  /** Instances per STOW-RS request. */
  batchSize: z.number().int().min(1).max(500).default(20),
});

const groupDestination = z.strictObject({
  name,
  type: z.literal("group"),
  /** Names of dimse/dicomweb destinations; a failed member is skipped for the next one. */
  members: z.array(name).min(1),
  strategy: z.enum(["round-robin", "least-queued"]).default("round-robin"),
});

export const destinationSchema = z.discriminatedUnion("type", [
  dimseDestination,
  dicomwebDestination,
  groupDestination,
]);

/** One condition on an attribute: exact or wildcard text, a regular expression, a range, or any of a list. */
const condition = z.union([
  z.string(),
  /** `flags`: any of i (ignore case), m, s, u — JavaScript has no inline `(?i)`. */
  z.strictObject({
    regex: z.string(),
    flags: z
      .string()
      .regex(/^[imsu]*$/, "any of i, m, s, u")
      .optional(),
  }),
  z.strictObject({ range: z.tuple([z.string().nullable(), z.string().nullable()]) }),
  z.strictObject({ anyOf: z.array(z.string()).min(1) }),
]);

const timeOfDay = z.string().regex(/^([01]\d|2[0-3]):[0-5]\d$/, "HH:MM");
const weekday = z.enum(["mon", "tue", "wed", "thu", "fri", "sat", "sun"]);

const forward = z.union([name, z.strictObject({ to: name, transferSyntax: syntax.optional() })]);

export const ruleSchema = z.strictObject({
  name,
  /** Attribute keyword → condition; all must hold. */
  match: z.record(z.string(), condition).default({}),
  callingAeTitle: condition.optional(),
  calledAeTitle: condition.optional(),
  timeWindow: z
    .strictObject({ from: timeOfDay, to: timeOfDay, days: z.array(weekday).min(1).optional() })
    .optional(),
  forward: z.array(forward).min(1),
  /** Changes to the copy sent (the archive keeps the original). */
  coerce: z
    .strictObject({
      set: z.record(z.string(), z.string()).default({}),
      remove: z.array(z.string()).default([]),
      /** Replace patient identity, dates of birth and free-text identifiers (keeps UIDs; see docs/routing.md). */
      anonymize: z.boolean().default(false),
    })
    .optional(),
  /** Hold the study's instances until no new one arrived for this long, then send them together. */
  waitForStableStudySeconds: z.number().min(0).max(86_400).default(0),
});

export const routerSchema = z
  .strictObject({
    destinations: z.array(destinationSchema).default([]),
    rules: z.array(ruleSchema).default([]),
    retry: z
      .strictObject({
        maxAttempts: z.number().int().min(1).max(1000).default(10),
        initialDelaySeconds: z.number().positive().default(5),
        maxDelaySeconds: z.number().positive().default(3600),
      })
      .prefault({}),
  })
  .superRefine((router, ctx) => {
    const names = new Set<string>();
    router.destinations.forEach((d, i) => {
      if (names.has(d.name))
        ctx.addIssue({
          code: "custom",
          path: ["destinations", i, "name"],
          message: `duplicate destination ${d.name}`,
        });
      names.add(d.name);
    });
    router.destinations.forEach((d, i) => {
      if (d.type !== "group") return;
      d.members.forEach((member, j) => {
        const target = router.destinations.find((x) => x.name === member);
        if (!target || target.type === "group") {
          ctx.addIssue({
            code: "custom",
            path: ["destinations", i, "members", j],
            message: `${member} is not a dimse or dicomweb destination`,
          });
        }
      });
    });
    router.rules.forEach((rule, i) => {
      rule.forward.forEach((f, j) => {
        const to = typeof f === "string" ? f : f.to;
        if (!names.has(to))
          ctx.addIssue({
            code: "custom",
            path: ["rules", i, "forward", j],
            message: `unknown destination ${to}`,
          });
      });
      for (const [key, value] of Object.entries(rule.match)) {
        if (typeof value === "object" && "regex" in value) {
          try {
            new RegExp(value.regex, value.flags);
          } catch (err) {
            ctx.addIssue({
              code: "custom",
              path: ["rules", i, "match", key],
              message: `invalid regex: ${(err as Error).message}`,
            });
          }
        }
      }
    });
  });

export type RouterConfig = z.infer<typeof routerSchema>;
export type Destination = z.infer<typeof destinationSchema>;
export type DimseDestination = z.infer<typeof dimseDestination>;
export type DicomwebDestination = z.infer<typeof dicomwebDestination>;
export type GroupDestination = z.infer<typeof groupDestination>;
export type Rule = z.infer<typeof ruleSchema>;
export type Condition = z.infer<typeof condition>;
