import type { PeerConfig } from "../../config/schema.js";
import type { Logger } from "../../core/logger.js";
import { IdentifierError } from "../identifier.js";
import { QueryError } from "../../db/query.js";
import { Status } from "../status.js";
import { openAssociation } from "../scu/client.js";
import { proposeForStore, storeItems } from "../scu/store.js";
import { type RetrieveDeps, finishRetrieve, resolveRetrieve, runRetrieve } from "./retrieve.js";
import type { ServiceHandler } from "./service.js";

export interface MoveDeps extends RetrieveDeps {
  aeTitle: string;
  peers: () => PeerConfig[];
  log: Logger;
}

/** C-MOVE SCP: sends the matching instances to a known peer over a new association of ours. */
export function moveService(deps: MoveDeps): ServiceHandler {
  return {
    async handle(request) {
      const { command } = request.message;
      const caller = request.association.info!.callingAeTitle;
      const destination = deps.peers().find((p) => p.aeTitle === command.moveDestination);
      if (!destination) {
        const why = `move destination ${command.moveDestination ?? "(none)"} is not a known peer`;
        deps.index.audit.append({
          actorType: "ae",
          actor: caller,
          action: "retrieve-move",
          outcome: "failure",
          detail: { why },
        });
        await request.respond({
          status: Status.MoveDestinationUnknown,
          errorComment: why,
          completedSuboperations: 0,
          failedSuboperations: 0,
          warningSuboperations: 0,
        });
        return;
      }
      let instances;
      try {
        instances = resolveRetrieve(request, deps.index, "MOVE").instances;
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
          let association;
          try {
            association = await openAssociation(destination, proposeForStore(items), {
              callingAeTitle: deps.aeTitle,
              log: deps.log,
            });
          } catch (err) {
            request.log.warn(
              { destination: destination.aeTitle, err: (err as Error).message },
              "cannot reach move destination",
            );
            for (const item of items)
              onResult({
                sopInstanceUid: item.sopInstanceUid,
                status: 0xa702,
                category: "failure",
                error: (err as Error).message,
              });
            return;
          }
          try {
            await storeItems(association, items, {
              onResult,
              cancelled,
              moveOriginator: { aeTitle: caller, messageId: command.messageId ?? 0 },
            });
            await association.release();
          } catch (err) {
            association.abort();
            throw err;
          }
        },
        deps,
      );
      deps.index.audit.append({
        actorType: "ae",
        actor: caller,
        action: "retrieve-move",
        outcome: result.failed > 0 ? "failure" : "success",
        studyUid: instances[0]?.studyInstanceUid,
        detail: {
          destination: destination.aeTitle,
          completed: result.completed,
          failed: result.failed,
          warning: result.warning,
        },
      });
      await finishRetrieve(request, result, request.message.context.transferSyntax);
    },
  };
}
