/**
 * From checked credentials to what Node's servers and clients take: the DICOM TLS listener, the HTTPS server,
 * and the SCU's secure context for peers marked `tls: true` (and for the CLI's `--tls`).
 */
import { type SecureContext, type TlsOptions, createSecureContext } from "node:tls";
import type { HilumConfig, PeerConfig } from "../config/schema.js";
import { ConfigError } from "../config/errors.js";
import {
  type TlsCredentials,
  type TlsFiles,
  type TlsSettingNames,
  configNames,
  loadTlsCredentials,
  secureContextOptions,
} from "./credentials.js";

/** What the SCU needs to open a TLS association: our certificate (if any) and the CAs we trust, compiled once. */
export interface ClientTls {
  secureContext: SecureContext;
}

export interface ServerTlsSettings {
  /** Ask for and verify the peer's certificate against the CA file; refuse the handshake without one. */
  requireClientCertificate?: boolean;
  /** A connection that has not finished its handshake by then is dropped (the ARTIM timeout for DICOM). */
  handshakeTimeoutMs: number;
}

/** Options for `tls.createServer` / `https.createServer`. */
export function serverTlsOptions(credentials: TlsCredentials, settings: ServerTlsSettings): TlsOptions {
  return {
    ...secureContextOptions(credentials),
    ...(settings.requireClientCertificate !== undefined
      ? {
          requestCert: settings.requireClientCertificate,
          rejectUnauthorized: settings.requireClientCertificate,
        }
      : {}),
    handshakeTimeout: settings.handshakeTimeoutMs,
  };
}

export function clientTls(credentials: TlsCredentials): ClientTls {
  return { secureContext: createSecureContext(secureContextOptions(credentials)) };
}

/** The CLI's `--tls-ca/--tls-cert/--tls-key`: checked like the configuration, errors naming the flag. */
export function loadClientTls(
  files: TlsFiles,
  names: TlsSettingNames,
): { tls: ClientTls; credentials: TlsCredentials } {
  const credentials = loadTlsCredentials(files, names);
  return { tls: clientTls(credentials), credentials };
}

export interface NodeTls {
  dicom?: {
    credentials: TlsCredentials;
    port: number;
    /** No plain-TCP listener: TLS only. */
    only: boolean;
    /** Mutual TLS; the DICOM server checks it itself (see `dimse/scp/server.ts`). */
    requireClientCertificate: boolean;
    server: TlsOptions;
    /** For our own associations to peers marked `tls: true` (C-MOVE destinations, routing). */
    client: ClientTls;
  };
  http?: { credentials: TlsCredentials; server: TlsOptions };
  /** Problems that do not stop the node, for the log. */
  warnings: string[];
  /** The SCU's TLS for a peer: undefined for a plain peer. */
  clientFor(peer: Pick<PeerConfig, "aeTitle" | "tls">): ClientTls | undefined;
}

/**
 * Loads and checks every TLS file the configuration names, before the node opens anything, so that a bad
 * file stops the start with an error naming its key.
 */
export function loadNodeTls(config: HilumConfig): NodeTls {
  const warnings: string[] = [];
  let dicom: NodeTls["dicom"];
  let http: NodeTls["http"];
  const dicomTls = config.dicom.tls;
  if (dicomTls) {
    if (!dicomTls.only && dicomTls.port !== 0 && dicomTls.port === config.dicom.port) {
      throw new ConfigError(
        `dicom.tls.port: ${dicomTls.port} is dicom.port too; give TLS its own port (2762) or set dicom.tls.only: true`,
      );
    }
    const credentials = loadTlsCredentials(dicomTls, configNames("dicom.tls"));
    warnings.push(...credentials.warnings);
    dicom = {
      credentials,
      port: dicomTls.port,
      only: dicomTls.only,
      requireClientCertificate: dicomTls.requireClientCertificate,
      server: serverTlsOptions(credentials, {
        handshakeTimeoutMs: config.dicom.artimTimeoutSeconds * 1000,
      }),
      client: clientTls(credentials),
    };
  }
  const httpTls = config.http.tls;
  if (httpTls) {
    const credentials = loadTlsCredentials(httpTls, configNames("http.tls"));
    warnings.push(...credentials.warnings);
    http = {
      credentials,
      server: serverTlsOptions(credentials, {
        requireClientCertificate: httpTls.requireClientCertificate,
        handshakeTimeoutMs: 30_000,
      }),
    };
  }
  config.peers.forEach((peer, i) => {
    if (peer.tls && !dicom) {
      throw new ConfigError(
        `peers.${i}.tls: peer ${peer.aeTitle} wants TLS, but dicom.tls (our certificate, key and CA) is not configured`,
      );
    }
  });
  return {
    dicom,
    http,
    warnings,
    clientFor(peer) {
      if (!peer.tls) return undefined;
      if (!dicom) throw new ConfigError(`peer ${peer.aeTitle} wants TLS, but dicom.tls is not configured`);
      return dicom.client;
    },
  };
}
