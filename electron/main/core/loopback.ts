import { X509Certificate } from "node:crypto";
import { readFileSync } from "node:fs";

/**
 * The URL the desktop's windows reach the core at: the listening URL, with a wildcard bind address
 * (0.0.0.0, ::) replaced by the loopback address of the same family.
 */
export function loopbackUrl(listening: string): string {
  const url = new URL(listening);
  if (url.hostname === "0.0.0.0") url.hostname = "127.0.0.1";
  else if (url.hostname === "[::]") url.hostname = "[::1]";
  return url.origin;
}

/** The SHA-256 fingerprint of a PEM file's first (leaf) certificate, as Electron's Certificate.fingerprint writes it. */
export function electronFingerprint(certFile: string): string {
  const hex = new X509Certificate(readFileSync(certFile)).fingerprint256.replaceAll(":", "");
  return `sha256/${Buffer.from(hex, "hex").toString("base64")}`;
}
