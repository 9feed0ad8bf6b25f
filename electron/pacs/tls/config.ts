import { z } from "zod";
import { port } from "../config/schema-parts.js";

/** The files of one TLS endpoint; read and checked at start (`tls/credentials.ts`), errors naming the key. */
function tlsEndpoint(requireClientCertificateByDefault: boolean) {
  return z.strictObject({
    /** Our certificate, PEM (intermediates may follow it in the same file) or DER. */
    certFile: z.string().min(1),
    /** Its private key, unencrypted PEM or DER; keep the file private (chmod 600). */
    keyFile: z.string().min(1),
    /** The CA certificates (PEM, one or more) that peers' certificates must chain to. */
    caFile: z.string().min(1).optional(),
    /** Oldest protocol accepted; TLS 1.2 at least (BCP 195). */
    minVersion: z.enum(["TLSv1.2", "TLSv1.3"]).default("TLSv1.2"),
    /** Mutual TLS: the peer must present a certificate signed by a CA in `caFile`, or the handshake fails. */
    requireClientCertificate: z.boolean().default(requireClientCertificateByDefault),
  });
}

function caFileWhenRequired(
  value: { caFile?: string; requireClientCertificate: boolean },
  ctx: z.RefinementCtx,
): void {
  if (value.requireClientCertificate && value.caFile === undefined) {
    ctx.addIssue({
      code: "custom",
      path: ["caFile"],
      message:
        "required when requireClientCertificate is true: the CA that signs the peers' certificates (or set requireClientCertificate: false)",
    });
  }
}

/**
 * `dicom.tls`: a TLS listener (the DICOM Secure Transport Connection Profile, PS3.15 B.1) beside the plain one,
 * or instead of it with `only`. Peers must present a certificate by default (mutual TLS, as the profile has it).
 * The same certificate, key and CA serve our own associations to peers marked `tls: true`.
 */
export const dicomTlsSchema = tlsEndpoint(true)
  .extend({
    /** The TLS port; 2762 is DICOM's registered port for DICOM over TLS. */
    port: port.default(2762),
    /** true: no plain-TCP listener on dicom.port, TLS only. */
    only: z.boolean().default(false),
  })
  .superRefine(caFileWhenRequired);

/** `http.tls`: HTTPS instead of HTTP on http.port. Client certificates are optional (browsers rarely have one). */
export const httpTlsSchema = tlsEndpoint(false).superRefine(caFileWhenRequired);
