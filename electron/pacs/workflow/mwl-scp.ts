import { setImmediate } from "node:timers/promises";
import type Database from "better-sqlite3";
import type { WorklistItem } from "../../../shared/api/workflow.js";
import type { AuditLog } from "../db/audit.js";
import { QueryError } from "../db/errors.js";
import { type DataSet, DicomParseError, parseDataset } from "../dicom/dataset.js";
import { encodeMatch, keysOf } from "../dimse/identifier.js";
import type { ServiceHandler } from "../dimse/scp/service.js";
import { Status } from "../dimse/status.js";
import { compileWorklistFind } from "./mwl-query.js";

/** At most this many procedures per query: a modality's worklist is a day or a station, not the archive. */
const MAX_MATCHES = 1000;

/** C-FIND SCP of the Modality Worklist Information Model: one pending response per procedure, C-CANCEL honoured. */
export function worklistFindService(db: Database.Database, audit: AuditLog): ServiceHandler {
  return {
    async handle(request) {
      const { context, dataset } = request.message;
      const actor = request.association.info?.callingAeTitle ?? "";
      let identifier: DataSet;
      let items: WorklistItem[];
      let answer;
      try {
        if (!dataset)
          throw new QueryError(Status.FindIdentifierDoesNotMatchSopClass, "request has no identifier");
        identifier = parseDataset(dataset, { transferSyntaxUid: context.transferSyntax });
        const compiled = compileWorklistFind(keysOf(identifier));
        answer = compiled.answer;
        items = (db.prepare(compiled.sql).all(...compiled.params) as WorklistItem[]).slice(0, MAX_MATCHES);
      } catch (err) {
        if (!(err instanceof QueryError || err instanceof DicomParseError)) throw err;
        const status = err instanceof QueryError ? err.status : Status.FindIdentifierDoesNotMatchSopClass;
        request.log.info({ why: err.message }, "worklist C-FIND refused");
        audit.append({
          actorType: "ae",
          actor,
          action: "worklist-query",
          outcome: "failure",
          detail: { why: err.message },
        });
        await request.respond({ status, errorComment: err.message });
        return;
      }
      audit.append({
        actorType: "ae",
        actor,
        action: "worklist-query",
        outcome: "success",
        detail: { matches: items.length },
      });
      for (const item of items) {
        // Writing to a socket with room never waits: yield so that a C-CANCEL-RQ can be read meanwhile.
        await setImmediate();
        if (request.cancelled()) {
          await request.respond({ status: Status.Cancel });
          return;
        }
        await request.respond(
          { status: Status.Pending },
          encodeMatch(answer(item), context.transferSyntax, identifier.charsets),
        );
      }
      await request.respond({ status: Status.Success });
    },
  };
}
