/**
 * UID path segments of every DICOMweb route (`/studies/:study/series/:series/instances/:instance`).
 *
 * A segment is checked before anything reads the index or the disk: 1 to 64 characters, digits in
 * dot-separated components (PS3.5 §9.1), nothing else. So `..`, `/`, `%2F`, NUL, spaces and any other
 * attempt at steering a path is a 400 here, and the archive never sees a name from the network anyway
 * (objects are found by their SHA-256 key through the index). Leading zeros in a component are
 * tolerated: they are invalid but occur in the wild, and such objects are stored and must be reachable.
 *
 * Route modules use the parameter names `study`, `series` and `instance`, add `validateUidParams` to
 * their preHandlers after the permission check, and read the checked UIDs with `uidParams(request)`.
 */
import type { FastifyReply, FastifyRequest } from "fastify";
import { HttpProblem } from "../problem.js";

/** Digits and dots, no empty component, at most 64 characters. */
const UID = /^[0-9]+(?:\.[0-9]+)*$/;
const MAX_UID_LENGTH = 64;

export const UID_PARAMS = ["study", "series", "instance"] as const;
export type UidParam = (typeof UID_PARAMS)[number];

const PARAM_NAMES: Record<UidParam, string> = {
  study: "Study Instance UID",
  series: "Series Instance UID",
  instance: "SOP Instance UID",
};

export function isValidUid(value: string): boolean {
  return value.length > 0 && value.length <= MAX_UID_LENGTH && UID.test(value);
}

/** A short, printable rendering of untrusted input for an error message. */
export function shown(value: string): string {
  const clipped = value.length > 80 ? `${value.slice(0, 80)}…` : value;
  return JSON.stringify(clipped);
}

/** Throws a 400 problem naming `what` unless `value` is a valid UID. */
export function checkUid(value: string, what: string): string {
  if (!isValidUid(value)) {
    throw new HttpProblem(400, "Bad Request", `${what} ${shown(value)} is not a valid UID`);
  }
  return value;
}

/** preHandler: every UID parameter of the route is a valid UID, else 400. */
export async function validateUidParams(request: FastifyRequest, _reply: FastifyReply): Promise<void> {
  const params = (request.params ?? {}) as Record<string, unknown>;
  for (const name of UID_PARAMS) {
    const value = params[name];
    if (value === undefined) continue;
    checkUid(typeof value === "string" ? value : String(value), PARAM_NAMES[name]);
  }
}

export interface UidPath {
  study?: string;
  series?: string;
  instance?: string;
}

/** The route's UID parameters, each checked (again: cheap, and safe if a route forgot the preHandler). */
export function uidParams(request: FastifyRequest): UidPath {
  const params = (request.params ?? {}) as Record<string, unknown>;
  const out: UidPath = {};
  for (const name of UID_PARAMS) {
    const value = params[name];
    if (typeof value === "string") out[name] = checkUid(value, PARAM_NAMES[name]);
  }
  return out;
}

/** Characters a Host header may hold (name, IPv4, [IPv6], port); anything else is not echoed into URLs. */
const HOST = /^[A-Za-z0-9.\-:[\]]{1,255}$/;

/**
 * The absolute DICOMweb root for URLs in responses (RetrieveURL, BulkDataURI): the configured
 * `dicomWeb.publicUrl` when set (behind a reverse proxy), else the scheme and Host of the request.
 */
export function dicomWebBase(request: FastifyRequest, publicUrl: string | undefined): string {
  if (publicUrl) return publicUrl.replace(/\/+$/, "");
  const host = HOST.test(request.host) ? request.host : "localhost";
  return `${request.protocol}://${host}/dicom-web`;
}
