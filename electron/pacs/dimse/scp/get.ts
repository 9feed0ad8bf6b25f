import { QueryError } from "../../db/query.js";
import { IdentifierError } from "../identifier.js";
import { Status } from "../status.js";
import { storeItems } from "../scu/store.js";
import { type RetrieveDeps, finishRetrieve, resolveRetrieve, runRetrieve } from "./retrieve.js";
import type { ServiceHandler } from "./service.js";

/** C-GET SCP: sends the matching instances back over the same association, as C-STORE sub-operations. */
export function getService(deps: RetrieveDeps): ServiceHandler {
  return {
    async handle(request) {
      let instances;
      try {
        instances = resolveRetrieve(request, deps.index, "GET").instances;
      } catch (err) {
        if (err instanceof IdentifierError || err instanceof QueryError) {
          await request.respond({ status: err.status, errorComment: err.message });
          return;
        }
        throw err;
      }
      if (instances.length === 0) {
        await request.respond({
          status: Status.Success,
          completedSuboperations: 0,
          failedSuboperations: 0,
          warningSuboperations: 0,
        });
        return;
      }
      const result = await runRetrieve(
        request,
        instances,
        async (items, onResult, cancelled) => {
          await storeItems(request.association, items, { onResult, cancelled, reversedRole: true });
        },
        deps,
      );
      deps.index.audit.append({
        actorType: "ae",
        actor: request.association.info!.callingAeTitle,
        action: "retrieve-get",
        outcome: result.failed > 0 ? "failure" : "success",
        studyUid: instances[0]?.studyInstanceUid,
        detail: { completed: result.completed, failed: result.failed, warning: result.warning },
      });
      await finishRetrieve(request, result, request.message.context.transferSyntax);
    },
  };
}
