import { type Server, type Socket, createServer } from "node:net";
import { type TLSSocket, type TlsOptions, createServer as createTlsServer } from "node:tls";
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
  /** The plain-TCP listener (unless `tls.only`). */
  port: number;
  host?: string;
  /** A TLS listener beside the plain one (DICOM's 2762), or instead of it with `only`. */
  tls?: DicomTlsListener;
  maxAssociations: number;
  limits: AssociationLimits;
  timeouts: AssociationTimeouts;
  capabilities: AcceptorCapabilities;
  /** Handlers by request command field. */
  services: Map<number, ServiceHandler>;
  log: Logger;
  /** Called for each association accepted or rejected, for the audit log. */
  onAssociation?: (event: AssociationEvent) => void;
  /** Called when a TLS handshake fails for a security reason (no or untrusted certificate, protocol), for the audit log. */
  onTlsRefused?: (event: TlsRefusal) => void;
}

export interface DicomTlsListener {
  port: number;
  /** Default: the plain listener's host. */
  host?: string;
  /** Certificate, key, CA, protocol versions, handshake timeout: see `tls/contexts.ts`. */
  options: TlsOptions;
  /** Mutual TLS: a peer without a certificate that chains to the CA is refused before any DICOM is read. */
  requireClientCertificate: boolean;
  /** No plain listener. */
  only?: boolean;
}

export interface TlsRefusal {
  remoteAddress: string;
  /** e.g. "peer did not return a certificate", "certificate not trusted (UNABLE_TO_VERIFY_LEAF_SIGNATURE)". */
  why: string;
  code?: string;
  /** The refused certificate's subject and issuer, when there was one. */
  peerCertificate?: { subject: string; issuer: string };
}

export interface ListenAddress {
  host: string;
  port: number;
}

/** Where the server listens: the plain address (or the TLS one when TLS only), and the TLS one if any. */
export interface DicomAddresses extends ListenAddress {
  tls?: ListenAddress;
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
  private readonly servers: Server[] = [];
  private readonly associations = new Set<Association>();
  private nextId = 1;

  constructor(private readonly options: DicomServerOptions) {}

  get activeAssociations(): number {
    return this.associations.size;
  }

  async listen(): Promise<DicomAddresses> {
    const { tls } = this.options;
    const plain = tls?.only
      ? undefined
      : await this.listenOn(
          createServer({ noDelay: true }, (socket) => this.onConnection(socket)),
          this.options.port,
          this.options.host,
        );
    if (!tls) return plain!;
    let secure: ListenAddress;
    try {
      secure = await this.listenOn(this.tlsServer(tls), tls.port, tls.host ?? this.options.host);
    } catch (err) {
      await this.close(0);
      throw err;
    }
    return { ...(plain ?? secure), tls: secure };
  }

  private tlsServer(tls: DicomTlsListener): Server {
    // The client certificate is checked here rather than by Node (rejectUnauthorized), which would drop the
    // connection without saying who it was; either way nothing of the peer's is read, let alone stored.
    const options = { ...tls.options, requestCert: tls.requireClientCertificate, rejectUnauthorized: false };
    const server = createTlsServer(options, (socket) => {
      if (tls.requireClientCertificate && !socket.authorized) {
        this.refuseTls(socket, clientCertificateProblem(socket));
        socket.destroy();
        return;
      }
      this.onConnection(socket);
    });
    server.on("tlsClientError", (err: NodeJS.ErrnoException, socket: TLSSocket) => {
      // A peer that connects and goes (a port probe, a handshake timeout) is not a security event; a
      // protocol failure (plain DICOM on the TLS port, no common version or cipher) is.
      if (err.code === "ECONNRESET" || /socket disconnected|timed? ?out/i.test(err.message)) {
        this.options.log.debug({ err: err.message }, "TLS connection closed before its handshake finished");
        return;
      }
      this.refuseTls(socket, { why: tlsReason(err), code: err.code });
    });
    return server;
  }

  private refuseTls(socket: TLSSocket, problem: Omit<TlsRefusal, "remoteAddress">): void {
    const remoteAddress = socket.remoteAddress ?? "";
    this.options.log.warn(
      { peer: `${remoteAddress}:${socket.remotePort}`, ...problem },
      "TLS connection refused",
    );
    this.options.onTlsRefused?.({ remoteAddress, ...problem });
  }

  private listenOn(server: Server, port: number, host: string | undefined): Promise<ListenAddress> {
    this.servers.push(server);
    return new Promise((resolve, reject) => {
      server.once("error", reject);
      server.listen(port, host, () => {
        server.off("error", reject);
        const address = server.address();
        if (address === null || typeof address === "string") throw new Error("DICOM listener has no address");
        resolve({ host: address.address, port: address.port });
      });
    });
  }

  /** Stops accepting; lets associations finish for up to `graceMs`, then aborts what is left. */
  async close(graceMs = 10_000): Promise<void> {
    const servers = this.servers.splice(0);
    if (servers.length === 0) return;
    const closed = servers.map(
      (server) =>
        new Promise<void>((resolve) => (server.listening ? server.close(() => resolve()) : resolve())),
    );
    const all = Promise.all([...this.associations].map((a) => a.closed));
    const timer = new Promise<void>((resolve) => setTimeout(resolve, graceMs).unref());
    await Promise.race([all, timer]);
    for (const association of this.associations) association.abort();
    await Promise.all([...this.associations].map((a) => a.closed));
    await Promise.all(closed);
  }

  private onConnection(socket: Socket): void {
    const id = this.nextId++;
    const log = this.options.log.child({
      assoc: id,
      peer: `${socket.remoteAddress}:${socket.remotePort}`,
      ...tlsDetails(socket),
    });
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

/** OpenSSL's words without the library prefix: "error:0A0000C7:SSL routines::peer did not return a certificate". */
function tlsReason(err: NodeJS.ErrnoException): string {
  const reason = (err as { reason?: unknown }).reason;
  if (typeof reason === "string" && reason.length > 0) return reason;
  return err.message.replace(/^.*SSL routines:[^:]*:/, "").trim();
}

/** For the log: the protocol and the certificate subject of a TLS peer. */
function tlsDetails(socket: Socket): { tls?: string; peerCertificate?: string } {
  if (!(socket as Partial<TLSSocket>).encrypted) return {};
  const tls = socket as TLSSocket;
  const cn = (tls.getPeerCertificate()?.subject as Record<string, string | string[] | undefined> | undefined)
    ?.CN;
  return {
    tls: tls.getProtocol() ?? "TLS",
    ...(cn !== undefined ? { peerCertificate: Array.isArray(cn) ? cn.join(",") : cn } : {}),
  };
}

function clientCertificateProblem(socket: TLSSocket): Omit<TlsRefusal, "remoteAddress"> {
  const cert = socket.getPeerCertificate();
  if (!cert || Object.keys(cert).length === 0) {
    return { why: "the peer presented no certificate", code: "NO_CLIENT_CERTIFICATE" };
  }
  const code = String(socket.authorizationError ?? "UNKNOWN");
  return {
    why: `the peer's certificate is not trusted (${code})`,
    code,
    peerCertificate: { subject: distinguishedName(cert.subject), issuer: distinguishedName(cert.issuer) },
  };
}

function distinguishedName(name: object | undefined): string {
  if (!name) return "";
  return Object.entries(name as Record<string, string | string[] | undefined>)
    .map(([key, value]) => `${key}=${Array.isArray(value) ? value.join("+") : (value ?? "")}`)
    .join(", ");
}
