import type { PeerConfig } from "../../config/schema.js";
import type { Logger } from "../../core/logger.js";
import type { ClientTls } from "../../tls/contexts.js";
import { Status } from "../status.js";
import { sendToPeer } from "../scu/store.js";
import { type RetrieveDeps, serveRetrieve } from "./retrieve.js";
import type { ServiceHandler } from "./service.js";

export interface MoveDeps extends RetrieveDeps {
  aeTitle: string;
  peers: () => PeerConfig[];
  log: Logger;
  /** Our TLS client settings for a destination marked `tls: true`. */
  tlsFor?: (peer: PeerConfig) => ClientTls | undefined;
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
      await serveRetrieve(
        request,
        deps,
        "MOVE",
        async (items, onResult, cancelled) => {
          await sendToPeer(destination, items, {
            callingAeTitle: deps.aeTitle,
            log: deps.log,
            tls: deps.tlsFor?.(destination),
            onResult,
            cancelled,
            moveOriginator: { aeTitle: caller, messageId: command.messageId ?? 0 },
          });
        },
        { destination: destination.aeTitle },
      );
    },
  };
}
