import { storeItems } from "../scu/store.js";
import { type RetrieveDeps, serveRetrieve } from "./retrieve.js";
import type { ServiceHandler } from "./service.js";

/** C-GET SCP: sends the matching instances back over the same association, as C-STORE sub-operations. */
export function getService(deps: RetrieveDeps): ServiceHandler {
  return {
    handle: (request) =>
      serveRetrieve(request, deps, "GET", async (items, onResult, cancelled) => {
        await storeItems(request.association, items, { onResult, cancelled, reversedRole: true });
      }),
  };
}
