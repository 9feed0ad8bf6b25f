import { ConfigError } from "../pacs/config/errors.js";
import { type ClientTls, loadClientTls } from "../pacs/tls/contexts.js";

export const TLS_USAGE = `TLS (echo, send, find, move): --tls, or any of
  --tls-ca FILE                             CA certificates (PEM) the peer's certificate must chain to (default: public roots)
  --tls-cert FILE --tls-key FILE            our certificate and its unencrypted key, for peers that require one`;

export interface TlsFlags {
  tls?: boolean;
  "tls-ca"?: string;
  "tls-cert"?: string;
  "tls-key"?: string;
}

/** The SCU's TLS from the command line, checked like the configuration (errors name the flag); undefined: plain TCP. */
export function clientTlsFromFlags(flags: TlsFlags): ClientTls | undefined {
  const files = { caFile: flags["tls-ca"], certFile: flags["tls-cert"], keyFile: flags["tls-key"] };
  const wanted = flags.tls === true || Object.values(files).some((file) => file !== undefined);
  if (!wanted) return undefined;
  if ((files.certFile === undefined) !== (files.keyFile === undefined)) {
    throw new ConfigError(`--tls-cert and --tls-key go together: give both or neither`);
  }
  return loadClientTls(files, { caFile: "--tls-ca", certFile: "--tls-cert", keyFile: "--tls-key" }).tls;
}
