/**
 * The settings screen's form, from the running configuration (`GET /api/config`) and back to the smallest
 * JSON Merge Patch for `PUT /api/config`: only what the user changed is sent, so the server validates and
 * applies exactly that (and keeps the rest of the file, comments included).
 */
import type { UpdateChannel } from "../../../../shared/desktop/updates.js";

export interface PeerForm {
  aeTitle: string;
  host: string;
  port: number;
  description: string;
  tls: boolean;
}

export interface TlsForm {
  enabled: boolean;
  certFile: string;
  keyFile: string;
  caFile: string;
  requireClientCertificate: boolean;
  /** dicom.tls only: the TLS listener's port. */
  port: number;
}

export interface SettingsForm {
  aeTitle: string;
  dataDir: string;
  dicomPort: number;
  httpPort: number;
  allowUnknownCallers: boolean;
  peers: PeerForm[];
  dicomTls: TlsForm;
  httpTls: TlsForm;
  updates: { enabled: boolean; channel: UpdateChannel; url: string };
}

type Json = Record<string, unknown>;

const object = (value: unknown): Json => (value && typeof value === "object" ? (value as Json) : {});
const text = (value: unknown, fallback = ""): string => (typeof value === "string" ? value : fallback);
const num = (value: unknown, fallback: number): number => (typeof value === "number" ? value : fallback);
const bool = (value: unknown, fallback: boolean): boolean => (typeof value === "boolean" ? value : fallback);

function tlsForm(value: unknown, defaultPort: number, requireByDefault: boolean): TlsForm {
  const tls = object(value);
  return {
    enabled: value !== undefined && value !== null,
    certFile: text(tls.certFile),
    keyFile: text(tls.keyFile),
    caFile: text(tls.caFile),
    requireClientCertificate: bool(tls.requireClientCertificate, requireByDefault),
    port: num(tls.port, defaultPort),
  };
}

export function formFromConfig(config: Json): SettingsForm {
  const dicom = object(config.dicom);
  const http = object(config.http);
  const updates = object(config.updates);
  const peers = Array.isArray(config.peers) ? config.peers.map(object) : [];
  return {
    aeTitle: text(config.aeTitle, "HILUM"),
    dataDir: text(config.dataDir),
    dicomPort: num(dicom.port, 11112),
    httpPort: num(http.port, 8042),
    allowUnknownCallers: bool(dicom.allowUnknownCallers, true),
    peers: peers.map((peer) => ({
      aeTitle: text(peer.aeTitle),
      host: text(peer.host),
      port: num(peer.port, 104),
      description: text(peer.description),
      tls: bool(peer.tls, false),
    })),
    dicomTls: tlsForm(dicom.tls, 2762, true),
    httpTls: tlsForm(http.tls, 0, false),
    updates: {
      enabled: bool(updates.enabled, true),
      channel: updates.channel === "beta" ? "beta" : "stable",
      url: text(updates.url),
    },
  };
}

function tlsValue(form: TlsForm, withPort: boolean): Json | null {
  if (!form.enabled) return null;
  return {
    certFile: form.certFile.trim(),
    keyFile: form.keyFile.trim(),
    ...(form.caFile.trim() ? { caFile: form.caFile.trim() } : {}),
    requireClientCertificate: form.requireClientCertificate,
    ...(withPort ? { port: form.port } : {}),
  };
}

function peersValue(peers: readonly PeerForm[]): Json[] {
  return peers.map((peer) => ({
    aeTitle: peer.aeTitle.trim(),
    host: peer.host.trim(),
    port: peer.port,
    ...(peer.description.trim() ? { description: peer.description.trim() } : {}),
    ...(peer.tls ? { tls: true } : {}),
  }));
}

const same = (a: unknown, b: unknown) => JSON.stringify(a) === JSON.stringify(b);

/** The merge patch that turns `before` into `after`; empty when nothing changed. */
export function patchFromForm(before: SettingsForm, after: SettingsForm): Json {
  const patch: Json = {};
  const section = (name: string, entries: Array<[string, unknown, unknown]>) => {
    const changed = entries.filter(([, a, b]) => !same(a, b)).map(([key, , value]) => [key, value]);
    if (changed.length > 0) patch[name] = Object.fromEntries(changed);
  };
  if (after.aeTitle.trim() !== before.aeTitle) patch.aeTitle = after.aeTitle.trim();
  if (after.dataDir.trim() !== before.dataDir) patch.dataDir = after.dataDir.trim();
  section("dicom", [
    ["port", before.dicomPort, after.dicomPort],
    ["allowUnknownCallers", before.allowUnknownCallers, after.allowUnknownCallers],
    ["tls", tlsValue(before.dicomTls, true), tlsValue(after.dicomTls, true)],
  ]);
  section("http", [
    ["port", before.httpPort, after.httpPort],
    ["tls", tlsValue(before.httpTls, false), tlsValue(after.httpTls, false)],
  ]);
  if (!same(peersValue(before.peers), peersValue(after.peers))) patch.peers = peersValue(after.peers);
  section("updates", [
    ["enabled", before.updates.enabled, after.updates.enabled],
    ["channel", before.updates.channel, after.updates.channel],
    ["url", before.updates.url.trim() || null, after.updates.url.trim() || null],
  ]);
  return patch;
}
