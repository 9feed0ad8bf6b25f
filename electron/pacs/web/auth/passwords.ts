/**
 * Password hashing with Node's built-in scrypt (memory-hard, no native build). A hash is stored as
 * one self-describing string, `$scrypt$ln=15,r=8,p=1$<salt>$<hash>` (PHC string format, unpadded
 * base64), so the parameters travel with it: raising the cost later leaves old hashes verifiable,
 * and `needsRehash` tells the login to upgrade them.
 */
import { randomBytes, scrypt, timingSafeEqual, type ScryptOptions } from "node:crypto";

export interface ScryptParams {
  /** log2 of the CPU/memory cost N. */
  logN: number;
  /** Block size. */
  r: number;
  /** Parallelisation. */
  p: number;
}

export const DEFAULT_SCRYPT: Readonly<ScryptParams> = { logN: 15, r: 8, p: 1 };

const SALT_BYTES = 16;
const KEY_BYTES = 32;
/** Hashes computed at once. Each holds 128·N·r bytes (32 MiB at the default) on libuv's thread pool, which
 * the archive's file I/O shares: a flood of logins must neither exhaust memory nor starve the disk. */
const MAX_CONCURRENT = 2;
/** Hashes waiting beyond that: more are refused (PasswordHasherBusy → 503) rather than queued without end. */
const MAX_WAITING = 64;
/** Hash strings longer than this are not ours (the default one is about 90 characters). */
const MAX_ENCODED_LENGTH = 512;

const PHC =
  /^\$scrypt\$ln=(\d{1,2}),r=(\d{1,2}),p=(\d{1,2})\$([A-Za-z0-9+/]{16,64})\$([A-Za-z0-9+/]{16,128})$/;

export interface ParsedHash {
  params: ScryptParams;
  salt: Buffer;
  hash: Buffer;
}

/** Too many password checks are in progress; the caller should answer 503 and ask the client to retry. */
export class PasswordHasherBusy extends Error {
  override readonly name = "PasswordHasherBusy";
}

let running = 0;
const waiting: Array<() => void> = [];

async function limited<T>(task: () => Promise<T>): Promise<T> {
  if (running >= MAX_CONCURRENT) {
    if (waiting.length >= MAX_WAITING) throw new PasswordHasherBusy("too many password checks in progress");
    await new Promise<void>((resolve) => waiting.push(resolve));
  } else {
    running++;
  }
  try {
    return await task();
  } finally {
    // Hand the slot straight to the next waiter, or free it.
    const next = waiting.shift();
    if (next) next();
    else running--;
  }
}

/** NFC, so that the same password typed on two keyboards (composed or decomposed accents) is the same. */
function passwordBytes(password: string): Buffer {
  return Buffer.from(password.normalize("NFC"), "utf8");
}

function derive(password: string, salt: Buffer, params: ScryptParams, length: number): Promise<Buffer> {
  const N = 2 ** params.logN;
  const options: ScryptOptions = {
    N,
    r: params.r,
    p: params.p,
    // Node's default ceiling (32 MiB) is just below what N=2^15, r=8 needs.
    maxmem: 256 * N * params.r * params.p + 1024 * 1024,
  };
  return limited(
    () =>
      new Promise<Buffer>((resolve, reject) =>
        scrypt(passwordBytes(password), salt, length, options, (err, key) =>
          err ? reject(err) : resolve(key),
        ),
      ),
  );
}

function b64(buffer: Buffer): string {
  return buffer.toString("base64").replace(/=+$/, "");
}

export function parseHash(encoded: string): ParsedHash | undefined {
  if (encoded.length > MAX_ENCODED_LENGTH) return undefined;
  const match = PHC.exec(encoded);
  if (!match) return undefined;
  const [, logN, r, p, salt, hash] = match;
  const params = { logN: Number(logN), r: Number(r), p: Number(p) };
  if (
    params.logN < 10 ||
    params.logN > 22 ||
    params.r < 1 ||
    params.r > 32 ||
    params.p < 1 ||
    params.p > 16
  ) {
    return undefined;
  }
  return { params, salt: Buffer.from(salt ?? "", "base64"), hash: Buffer.from(hash ?? "", "base64") };
}

/** A new hash with a fresh random salt. */
export async function hashPassword(password: string, params: ScryptParams = DEFAULT_SCRYPT): Promise<string> {
  const salt = randomBytes(SALT_BYTES);
  const hash = await derive(password, salt, params, KEY_BYTES);
  return `$scrypt$ln=${params.logN},r=${params.r},p=${params.p}$${b64(salt)}$${b64(hash)}`;
}

/** Constant-time comparison; false (never an exception) for a hash string that is not ours. */
export async function verifyPassword(password: string, encoded: string): Promise<boolean> {
  const parsed = parseHash(encoded);
  if (!parsed) return false;
  const candidate = await derive(password, parsed.salt, parsed.params, parsed.hash.length);
  return candidate.length === parsed.hash.length && timingSafeEqual(candidate, parsed.hash);
}

/** Whether a stored hash is weaker than what new hashes get (checked after a successful login). */
export function needsRehash(encoded: string, params: ScryptParams): boolean {
  const parsed = parseHash(encoded);
  if (!parsed) return true;
  return (
    parsed.params.logN < params.logN ||
    parsed.params.r < params.r ||
    parsed.params.p < params.p ||
    parsed.salt.length < SALT_BYTES ||
    parsed.hash.length < KEY_BYTES
  );
}

const dummies = new Map<string, Promise<string>>();

/**
 * A hash of a random password at these parameters: a login for an unknown user is checked against
 * it, so that it costs the same time as a wrong password for a real one and names cannot be probed.
 */
export function dummyHash(params: ScryptParams): Promise<string> {
  const key = `${params.logN},${params.r},${params.p}`;
  let hash = dummies.get(key);
  if (!hash) {
    hash = hashPassword(randomBytes(18).toString("base64"), params);
    dummies.set(key, hash);
    hash.catch(() => dummies.delete(key));
  }
  return hash;
}

export function scryptParams(cost: number): ScryptParams {
  return { ...DEFAULT_SCRYPT, logN: cost };
}
