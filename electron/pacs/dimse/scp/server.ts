import { type Server, type Socket, createServer } from "node:net";
import type { Logger } from "../../core/logger.js";
import {
  Association,
  type AssociationHandlers,
  type AssociationLimits,
  type AssociationTimeouts,
  type InboundMessage,
} from "../association.js";
import { CommandField, commandName } from "../command.js";
import { type AcceptorCapabilities, associationInfo, negotiate } from "../negotiation.js";
import { RejectReason, RejectResult, RejectSource } from "../pdu.js";
import { Status } from "../status.js";
import { type ResponseFields, type ServiceHandler, responseCommand } from "./service.js";

export interface DicomServerOptions {
  port: number;
  host?: string;
  maxAssociations: number;
  limits: AssociationLimits;
  timeouts: AssociationTimeouts;
  capabilities: AcceptorCapabilities;
  /** Handlers by request command field. */
  services: Map<number, ServiceHandler>;
  log: Logger;
  /** Called for each association accepted or rejected, for the audit log. */
  onAssociation?: (event: AssociationEvent) => void;
}

export interface AssociationEvent {
  outcome: "accepted" | "rejected";
  callingAeTitle: string;
  calledAeTitle: string;
  remoteAddress: string;
  why?: string;
}

/**
 * The DICOM listener: owns the TCP server, the association limit and the dispatch of requests
 * to services. Each request's handler must send its final response; failures that escape a
 * handler become a Processing Failure response rather than a silent stall.
 */
export class DicomServer {
  private server?: Server;
  private readonly associations = new Set<Association>();
  private nextId = 1;

  constructor(private readonly options: DicomServerOptions) {}

  get activeAssociations(): number {
    return this.associations.size;
  }

  listen(): Promise<{ host: string; port: number }> {
    const server = createServer({ noDelay: true }, (socket) => this.onConnection(socket));
    this.server = server;
    return new Promise((resolve, reject) => {
      server.once("error", reject);
      server.listen(this.options.port, this.options.host, () => {
        server.off("error", reject);
        const address = server.address();
        if (address === null || typeof address === "string") throw new Error("DICOM listener has no address");
        resolve({ host: address.address, port: address.port });
      });
    });
  }

  /** Stops accepting; lets associations finish for up to `graceMs`, then aborts what is left. */
  async close(graceMs = 10_000): Promise<void> {
    const server = this.server;
    if (!server) return;
    const closed = new Promise<void>((resolve) => server.close(() => resolve()));
    const all = Promise.all([...this.associations].map((a) => a.closed));
    const timer = new Promise<void>((resolve) => setTimeout(resolve, graceMs).unref());
    await Promise.race([all, timer]);
    for (const association of this.associations) association.abort();
    await Promise.all([...this.associations].map((a) => a.closed));
    await closed;
  }

  private onConnection(socket: Socket): void {
    const id = this.nextId++;
    const log = this.options.log.child({ assoc: id, peer: `${socket.remoteAddress}:${socket.remotePort}` });
    const association = new Association(socket, "acceptor", this.options.limits, this.options.timeouts, log);
    this.associations.add(association);
    void association.closed.then(() => this.associations.delete(association));
    association.whenAssociateRequested((rq) => {
      const remote = { address: socket.remoteAddress ?? "", port: socket.remotePort ?? 0 };
      const event = {
        callingAeTitle: rq.callingAeTitle,
        calledAeTitle: rq.calledAeTitle,
        remoteAddress: remote.address,
      };
      if (this.associations.size > this.options.maxAssociations) {
        const why = `more than ${this.options.maxAssociations} concurrent associations`;
        log.warn({ calling: rq.callingAeTitle }, why);
        this.options.onAssociation?.({ ...event, outcome: "rejected", why });
        association.reject({
          result: RejectResult.Transient,
          source: RejectSource.ServiceProviderPresentation,
          reason: RejectReason.LocalLimitExceeded,
        });
        return;
      }
      const result = negotiate(rq, this.options.capabilities);
      if (result.kind === "reject") {
        log.warn(
          { calling: rq.callingAeTitle, called: rq.calledAeTitle, why: result.why },
          "association rejected",
        );
        this.options.onAssociation?.({ ...event, outcome: "rejected", why: result.why });
        association.reject(result.rj);
        return;
      }
      log.debug({ calling: rq.callingAeTitle, contexts: result.contexts.size }, "association accepted");
      this.options.onAssociation?.({ ...event, outcome: "accepted" });
      association.handlers = this.handlersFor(association);
      association.accept(result.ac, associationInfo(rq, result.contexts, remote));
    });
  }

  private handlersFor(association: Association): AssociationHandlers {
    const cancelled = new Set<number>();
    const running = new Set<Promise<void>>();
    return {
      sinkFor: (context, command) =>
        this.options.services.get(command.commandField)?.sinkFor?.(association, context, command),
      onRequest: (message) => {
        if (message.command.commandField === CommandField.CCancelRq) {
          if (message.command.messageIdBeingRespondedTo !== undefined)
            cancelled.add(message.command.messageIdBeingRespondedTo);
          return;
        }
        const task = this.dispatch(association, message, cancelled).finally(() => {
          running.delete(task);
          association.requestFinished();
        });
        running.add(task);
      },
      onReleaseRequested: async () => {
        await Promise.all(running);
      },
    };
  }

  private async dispatch(
    association: Association,
    message: InboundMessage,
    cancelled: Set<number>,
  ): Promise<void> {
    const { command, context } = message;
    const handler = this.options.services.get(command.commandField);
    const log = association.log.child({ op: commandName(command.commandField), msg: command.messageId });
    let finalSent = false;
    const respond = async (fields: ResponseFields, dataset?: Buffer) => {
      const rsp = responseCommand(command, command.commandField | 0x8000, fields, dataset !== undefined);
      if (fields.status !== Status.Pending && fields.status !== Status.PendingWithWarnings) finalSent = true;
      await association.send(context.id, rsp, dataset);
    };
    try {
      if (!handler) {
        await respond({ status: Status.UnrecognizedOperation, errorComment: "operation not supported" });
        return;
      }
      await handler.handle({
        association,
        message,
        log,
        cancelled: () => cancelled.has(command.messageId ?? -1),
        respond,
      });
    } catch (err) {
      log.error({ err }, "request failed");
      if (!finalSent && association.state === "established") {
        await respond({ status: Status.ProcessingFailure, errorComment: (err as Error).message }).catch(
          () => undefined,
        );
      }
    } finally {
      cancelled.delete(command.messageId ?? -1);
    }
  }
}
