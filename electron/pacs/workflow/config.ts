import { z } from "zod";
import { port } from "../config/schema-parts.js";

/** The modality workflow's settings: the HL7 v2 (MLLP) listener for orders. MWL, MPPS and commitment are always served. */
export const workflowSchema = z.strictObject({
  hl7: z
    .strictObject({
      /** Listen for ORM^O01 orders over MLLP. */
      enabled: z.boolean().default(false),
      port: port.default(2575),
      bind: z.string().default("127.0.0.1"),
      /** Longest message accepted; a longer one closes the connection. */
      maxMessageKiB: z.number().int().min(1).max(65_536).default(1024),
      idleTimeoutSeconds: z.number().positive().max(86_400).default(300),
    })
    .prefault({}),
});

export type WorkflowConfig = z.infer<typeof workflowSchema>;
