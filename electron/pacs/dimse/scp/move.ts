import type { PeerConfig } from "../../config/schema.js";
import type { Logger } from "../../core/logger.js";
import { IdentifierError } from "../identifier.js";
import { QueryError } from "../../db/query.js";
import { Status } from "../status.js";
import { sendToPeer } from "../scu/store.js";
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
          await sendToPeer(destination, items, {
            callingAeTitle: deps.aeTitle,
            log: deps.log,
            onResult,
            cancelled,
            moveOriginator: { aeTitle: caller, messageId: command.messageId ?? 0 },
          });
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
