/**
 * Certificates and keys for TLS, read and checked once at start (or when the CLI parses its flags), so that a
 * wrong file is a clear error naming the setting — not a handshake that fails later for every peer.
 * Plain Node (no zod, no index): the CLI loads it for `--tls` without the rest of the core.
 */
import { X509Certificate, createPrivateKey, type KeyObject } from "node:crypto";
import { readFileSync, statSync } from "node:fs";
import { type SecureVersion, createSecureContext } from "node:tls";
import { ConfigError } from "../config/errors.js";

export type TlsMinVersion = "TLSv1.2" | "TLSv1.3";

/** The files as configured (`dicom.tls`, `http.tls`) or given on the command line (`--tls-cert` …). */
export interface TlsFiles {
  certFile?: string;
  keyFile?: string;
  caFile?: string;
  minVersion?: TlsMinVersion;
}

/** How each setting is called where it came from, so a message names it: "dicom.tls.keyFile", "--tls-key". */
export interface TlsSettingNames {
  certFile: string;
  keyFile: string;
  caFile: string;
}

export function configNames(prefix: string): TlsSettingNames {
  return { certFile: `${prefix}.certFile`, keyFile: `${prefix}.keyFile`, caFile: `${prefix}.caFile` };
}

export interface CertificateSummary {
  subject: string;
  issuer: string;
  subjectAltName?: string;
  validFrom: string;
  validTo: string;
  fingerprint256: string;
}

export interface TlsCredentials {
  /** Our certificate (and any intermediates after it), PEM. */
  cert?: string;
  /** Its private key, PEM (PKCS#8). */
  key?: string;
  /** Trust anchors for the peer's certificate, one PEM per certificate; absent: Node's public roots. */
  ca?: string[];
  minVersion: SecureVersion;
  certificate?: CertificateSummary;
  /** Things worth a warning in the log that do not stop the node (an expired certificate, a readable key). */
  warnings: string[];
}

/**
 * The cipher suites BCP 195 (RFC 7525) recommends, as DCMTK's default DICOM profile ("non-downgrading BCP 195")
 * offers them: for TLS 1.2 only ephemeral key exchange with AEAD ciphers, no CBC, no static RSA; TLS 1.3's own.
 */
export const BCP195_CIPHERS = [
  "TLS_AES_256_GCM_SHA384",
  "TLS_CHACHA20_POLY1305_SHA256",
  "TLS_AES_128_GCM_SHA256",
  "ECDHE-ECDSA-AES128-GCM-SHA256",
  "ECDHE-RSA-AES128-GCM-SHA256",
  "ECDHE-ECDSA-AES256-GCM-SHA384",
  "ECDHE-RSA-AES256-GCM-SHA384",
  "ECDHE-ECDSA-CHACHA20-POLY1305",
  "ECDHE-RSA-CHACHA20-POLY1305",
  "DHE-RSA-AES128-GCM-SHA256",
  "DHE-RSA-AES256-GCM-SHA384",
].join(":");

const PEM_CERTIFICATE = /-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g;

function readSetting(path: string, name: string): Buffer {
  try {
    return readFileSync(path);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    const why =
      code === "ENOENT"
        ? "no such file"
        : code === "EACCES"
          ? "permission denied"
          : code === "EISDIR"
            ? "it is a folder"
            : (err as Error).message;
    throw new ConfigError(`${name}: cannot read ${path} (${why})`);
  }
}

function parseCertificate(bytes: Buffer, path: string, name: string): X509Certificate {
  try {
    return new X509Certificate(bytes);
  } catch {
    const text = bytes.toString("latin1");
    if (/-----BEGIN [A-Z ]*PRIVATE KEY-----/.test(text) && !text.includes("BEGIN CERTIFICATE")) {
      throw new ConfigError(
        `${name}: ${path} holds a private key, not a certificate (are the certificate and key files swapped?)`,
      );
    }
    throw new ConfigError(`${name}: ${path} is not an X.509 certificate (PEM or DER)`);
  }
}

function parseKey(bytes: Buffer, path: string, name: string): KeyObject {
  const text = bytes.toString("latin1");
  if (text.includes("BEGIN ENCRYPTED PRIVATE KEY") || /Proc-Type:\s*4,ENCRYPTED/.test(text)) {
    throw new ConfigError(
      `${name}: ${path} is encrypted with a passphrase; give an unencrypted key and protect the file instead (chmod 600)`,
    );
  }
  const attempts = text.includes("-----BEGIN ")
    ? [() => createPrivateKey(text)]
    : (["pkcs8", "sec1", "pkcs1"] as const).map(
        (type) => () => createPrivateKey({ key: bytes, format: "der", type }),
      );
  for (const attempt of attempts) {
    try {
      return attempt();
    } catch {
      // Try the next encoding.
    }
  }
  if (text.includes("BEGIN CERTIFICATE")) {
    throw new ConfigError(
      `${name}: ${path} holds a certificate, not a private key (are the certificate and key files swapped?)`,
    );
  }
  throw new ConfigError(`${name}: ${path} is not a private key (PEM, or DER PKCS#8/SEC1/PKCS#1)`);
}

function parseCa(bytes: Buffer, path: string, name: string): string[] {
  const text = bytes.toString("latin1");
  const pems = text.match(PEM_CERTIFICATE) ?? [];
  if (pems.length === 0) {
    // One DER certificate is accepted too.
    return [parseCertificate(bytes, path, name).toString()];
  }
  pems.forEach((pem, i) => {
    try {
      new X509Certificate(pem);
    } catch {
      throw new ConfigError(`${name}: certificate ${i + 1} in ${path} cannot be parsed`);
    }
  });
  return pems;
}

function summary(cert: X509Certificate): CertificateSummary {
  return {
    subject: cert.subject.replaceAll("\n", ", "),
    issuer: cert.issuer.replaceAll("\n", ", "),
    subjectAltName: cert.subjectAltName,
    validFrom: new Date(cert.validFrom).toISOString(),
    validTo: new Date(cert.validTo).toISOString(),
    fingerprint256: cert.fingerprint256,
  };
}

/**
 * Reads and checks the files: each readable, the certificate a certificate, the key a key (unencrypted) that
 * belongs to the certificate, the CA file one or more certificates, and OpenSSL willing to use them all.
 * Throws a ConfigError naming the setting; things that do not stop a node come back as `warnings`.
 */
export function loadTlsCredentials(
  files: TlsFiles,
  names: TlsSettingNames,
  now = new Date(),
): TlsCredentials {
  const warnings: string[] = [];
  const minVersion = files.minVersion ?? "TLSv1.2";
  if ((files.certFile === undefined) !== (files.keyFile === undefined)) {
    const missing = files.certFile === undefined ? names.certFile : names.keyFile;
    throw new ConfigError(`${missing}: missing (a certificate and its private key go together)`);
  }
  const out: TlsCredentials = { minVersion, warnings };
  if (files.certFile !== undefined && files.keyFile !== undefined) {
    const certBytes = readSetting(files.certFile, names.certFile);
    const keyBytes = readSetting(files.keyFile, names.keyFile);
    const cert = parseCertificate(certBytes, files.certFile, names.certFile);
    const key = parseKey(keyBytes, files.keyFile, names.keyFile);
    if (key.type !== "private")
      throw new ConfigError(`${names.keyFile}: ${files.keyFile} is not a private key`);
    if (!cert.checkPrivateKey(key)) {
      throw new ConfigError(
        `${names.keyFile}: the private key in ${files.keyFile} does not match the certificate in ${files.certFile} (${names.certFile})`,
      );
    }
    // Node wants PEM; a DER file is converted (a PEM file is kept whole, with any intermediates after the leaf).
    out.cert = certBytes.toString("latin1").includes("-----BEGIN CERTIFICATE")
      ? certBytes.toString("latin1")
      : cert.toString();
    out.key = key.export({ format: "pem", type: "pkcs8" }).toString();
    out.certificate = summary(cert);
    if (now.getTime() > new Date(cert.validTo).getTime()) {
      warnings.push(
        `${names.certFile}: the certificate expired on ${out.certificate.validTo}; peers will refuse it`,
      );
    } else if (now.getTime() < new Date(cert.validFrom).getTime()) {
      warnings.push(
        `${names.certFile}: the certificate is valid only from ${out.certificate.validFrom}; peers will refuse it until then`,
      );
    }
    try {
      if ((statSync(files.keyFile).mode & 0o004) !== 0) {
        warnings.push(`${names.keyFile}: ${files.keyFile} is readable by every user; chmod 600 it`);
      }
    } catch {
      // Read a moment ago; a stat failure now is not worth stopping for.
    }
  }
  if (files.caFile !== undefined)
    out.ca = parseCa(readSetting(files.caFile, names.caFile), files.caFile, names.caFile);
  // Whatever else OpenSSL refuses (a key too weak for its security level, say) is caught here, not per connection.
  try {
    createSecureContext(secureContextOptions(out));
  } catch (err) {
    throw new ConfigError(`${names.certFile}: OpenSSL cannot use these files: ${(err as Error).message}`);
  }
  return out;
}

/** The options `tls.createSecureContext`, `tls.createServer` and `https.createServer` take for these credentials. */
export function secureContextOptions(credentials: TlsCredentials) {
  return {
    minVersion: credentials.minVersion,
    ciphers: BCP195_CIPHERS,
    ...(credentials.cert ? { cert: credentials.cert } : {}),
    ...(credentials.key ? { key: credentials.key } : {}),
    ...(credentials.ca ? { ca: credentials.ca } : {}),
  };
}
