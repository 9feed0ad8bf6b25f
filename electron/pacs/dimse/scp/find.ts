import { setImmediate } from "node:timers/promises";
import type { Index } from "../../db/database.js";
import { QueryError } from "../../db/query.js";
import { IdentifierError, encodeMatch, parseIdentifier } from "../identifier.js";
import { queryModelOf } from "../query-models.js";
import { Status } from "../status.js";
import type { ServiceHandler } from "./service.js";

const LEVELS = new Set(["PATIENT", "STUDY", "SERIES", "IMAGE"]);

/** C-FIND SCP for Patient Root and Study Root: one pending response per match, C-CANCEL honoured. */
export function findService(index: Index): ServiceHandler {
  return {
    async handle(request) {
      const { context, dataset } = request.message;
      const audit = (outcome: "success" | "failure", detail: object) =>
        index.audit.append({
          actorType: "ae",
          actor: request.association.info?.callingAeTitle ?? "",
          action: "query",
          outcome,
          detail,
        });
      const model = queryModelOf(context.abstractSyntax);
      if (!model || model.operation !== "FIND") {
        await request.respond({
          status: Status.SopClassNotSupported,
          errorComment: "not a C-FIND information model",
        });
        return;
      }
      let matches;
      let charsets: string[];
      try {
        const identifier = parseIdentifier(dataset, context.transferSyntax);
        if (!LEVELS.has(identifier.level)) {
          throw new IdentifierError(
            Status.FindIdentifierDoesNotMatchSopClass,
            `unknown level ${identifier.level}`,
          );
        }
        charsets = identifier.charsets;
        matches = index.find({
          model: model.model,
          level: identifier.level as "PATIENT" | "STUDY" | "SERIES" | "IMAGE",
          keys: identifier.keys,
        });
      } catch (err) {
        if (err instanceof IdentifierError || err instanceof QueryError) {
          request.log.info({ why: err.message }, "C-FIND refused");
          audit("failure", { model: model.model, why: err.message });
          await request.respond({ status: err.status, errorComment: err.message });
          return;
        }
        throw err;
      }
      request.log.debug({ matches: matches.length }, "C-FIND");
      audit("success", { model: model.model, matches: matches.length });
      for (const match of matches) {
        // Writing to a socket with room never waits: yield so that a C-CANCEL-RQ can be read meanwhile.
        await setImmediate();
        if (request.cancelled()) {
          await request.respond({ status: Status.Cancel });
          return;
        }
        await request.respond(
          { status: Status.Pending },
          encodeMatch(match, context.transferSyntax, charsets),
        );
      }
      await request.respond({ status: Status.Success });
    },
  };
}
