import { Status } from "../status.js";
import type { ServiceHandler } from "./service.js";

/** C-ECHO (Verification SOP Class, PS3.4 Annex A). */
export const echoService: ServiceHandler = {
  async handle(request) {
    await request.respond({ status: Status.Success });
  },
};
