import type { FastifyInstance } from "fastify";
import type { WebContext } from "../context.js";
import { registerMetadata } from "./metadata.js";
import { registerQido } from "./qido.js";
import { registerRetrieve } from "./retrieve.js";
import { registerWadoUri } from "./wado-uri.js";

/** QIDO-RS, WADO-RS retrieve and metadata under /dicom-web, and WADO-URI at /wado. */
export function registerQueryRetrieve(app: FastifyInstance, ctx: WebContext): void {
  registerQido(app, ctx);
  registerRetrieve(app, ctx);
  registerMetadata(app, ctx);
  registerWadoUri(app, ctx);
}
