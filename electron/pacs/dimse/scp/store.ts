import type { ObjectStore } from "../../archive/object-store.js";
import { IMPLEMENTATION_CLASS_UID, IMPLEMENTATION_VERSION_NAME } from "../../core/implementation.js";
import { encodeFileMeta } from "../../dicom/part10.js";
import type { IngestPipeline } from "../../ingest/pipeline.js";
import { InstanceReceiver, type ReceiverOptions } from "../../ingest/receiver.js";
import { IngestRefusal } from "../../ingest/refusal.js";
import type { DataSink } from "../association.js";
import type { Command } from "../command.js";
import type { PresentationContext } from "../context.js";
import { Status, statusName } from "../status.js";
import type { ServiceHandler } from "./service.js";

/** Swallows the dataset of a request that is refused on its command alone. */
class DiscardSink implements DataSink {
  write(): void {}
  end(): void {}
  abort(): void {}
}

/** The file meta header Hilum writes in front of every stored dataset: deterministic, so identical datasets give identical files. */
export function fileMetaFor(sopClassUid: string, sopInstanceUid: string, transferSyntaxUid: string): Buffer {
  return encodeFileMeta({
    sopClassUid,
    sopInstanceUid,
    transferSyntaxUid,
    implementationClassUid: IMPLEMENTATION_CLASS_UID,
    implementationVersionName: IMPLEMENTATION_VERSION_NAME,
  });
}

function commandProblem(context: PresentationContext, command: Command): string | undefined {
  if (!command.affectedSopInstanceUid) return "C-STORE-RQ has no Affected SOP Instance UID";
  if (command.affectedSopClassUid !== context.abstractSyntax) {
    return `Affected SOP Class UID ${command.affectedSopClassUid ?? "(none)"} is not the context's ${context.abstractSyntax}`;
  }
  return undefined;
}

/** C-STORE SCP: streams each instance into a receiver, then acknowledges only what the ingest pipeline made durable. */
export function storeService(
  ingest: IngestPipeline,
  store: ObjectStore,
  receiver: ReceiverOptions,
): ServiceHandler {
  return {
    sinkFor(_association, context, command) {
      if (commandProblem(context, command)) return new DiscardSink();
      const meta = fileMetaFor(
        command.affectedSopClassUid!,
        command.affectedSopInstanceUid!,
        context.transferSyntax,
      );
      return new InstanceReceiver(context.transferSyntax, meta, store.createStaging(), receiver);
    },

    async handle(request) {
      const { command, context, sink } = request.message;
      const uid = command.affectedSopInstanceUid;
      const problem = commandProblem(context, command);
      if (problem || !(sink instanceof InstanceReceiver)) {
        await request.respond({
          status: Status.SopClassNotSupported,
          affectedSopInstanceUid: uid,
          errorComment: problem,
        });
        return;
      }
      const info = request.association.info!;
      try {
        const result = await ingest.ingest({
          object: sink.received(),
          source: {
            kind: "dimse",
            actor: info.callingAeTitle,
            callingAeTitle: info.callingAeTitle,
            calledAeTitle: info.calledAeTitle,
          },
          expected: { sopClassUid: command.affectedSopClassUid!, sopInstanceUid: uid! },
        });
        request.log.debug({ uid, outcome: result.outcome }, "stored");
        await request.respond({ status: Status.Success, affectedSopInstanceUid: uid });
      } catch (err) {
        if (!(err instanceof IngestRefusal)) throw err;
        request.log.warn({ uid, status: statusName(err.status), why: err.message }, "C-STORE refused");
        await request.respond({ status: err.status, affectedSopInstanceUid: uid, errorComment: err.message });
      }
    },
  };
}
