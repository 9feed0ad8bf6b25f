/**
 * Test PKI made with the openssl command line: a CA, a server/client certificate for 127.0.0.1 and localhost
 * (both purposes: Hilum uses one certificate as SCP and as SCU), a second client, and an unrelated CA with a
 * client of its own. EC P-256 keys: quick to make.
 */
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { run } from "./process.js";

export interface Identity {
  cert: string;
  key: string;
}

export interface TestPki {
  dir: string;
  ca: string;
  /** CN=localhost, SAN DNS:localhost, IP:127.0.0.1; serverAuth and clientAuth. */
  server: Identity;
  /** Signed by the same CA: a modality or workstation. */
  client: Identity;
  /** Another CA, and a client it signed: trusted by nobody here. */
  otherCa: string;
  stranger: Identity;
  /** A key that belongs to no certificate here. */
  unrelatedKey: string;
}

async function openssl(dir: string, ...args: string[]): Promise<void> {
  const result = await run("openssl", args, { cwd: dir, timeoutMs: 30_000 });
  if (result.code !== 0) throw new Error(`openssl ${args.join(" ")} failed: ${result.stderr}`);
}

async function key(dir: string, name: string): Promise<string> {
  await openssl(
    dir,
    "genpkey",
    "-algorithm",
    "EC",
    "-pkeyopt",
    "ec_paramgen_curve:P-256",
    "-out",
    `${name}.key`,
  );
  return join(dir, `${name}.key`);
}

async function selfSignedCa(dir: string, name: string, cn: string): Promise<string> {
  await key(dir, name);
  await openssl(
    dir,
    "req",
    "-x509",
    "-new",
    "-key",
    `${name}.key`,
    "-subj",
    `/CN=${cn}`,
    "-days",
    "2",
    "-addext",
    "basicConstraints=critical,CA:TRUE",
    "-addext",
    "keyUsage=critical,keyCertSign,cRLSign",
    "-out",
    `${name}.pem`,
  );
  return join(dir, `${name}.pem`);
}

async function issued(dir: string, name: string, cn: string, ca: string, serial: number): Promise<Identity> {
  await key(dir, name);
  await openssl(dir, "req", "-new", "-key", `${name}.key`, "-subj", `/CN=${cn}`, "-out", `${name}.csr`);
  writeFileSync(
    join(dir, `${name}.ext`),
    [
      "basicConstraints=CA:FALSE",
      "keyUsage=critical,digitalSignature,keyEncipherment",
      "extendedKeyUsage=serverAuth,clientAuth",
      "subjectAltName=DNS:localhost,IP:127.0.0.1",
      "",
    ].join("\n"),
  );
  await openssl(
    dir,
    "x509",
    "-req",
    "-in",
    `${name}.csr`,
    "-CA",
    `${ca}.pem`,
    "-CAkey",
    `${ca}.key`,
    "-set_serial",
    String(serial),
    "-days",
    "2",
    "-extfile",
    `${name}.ext`,
    "-out",
    `${name}.pem`,
  );
  return { cert: join(dir, `${name}.pem`), key: join(dir, `${name}.key`) };
}

export async function makeTestPki(dir: string): Promise<TestPki> {
  const [ca, otherCa] = await Promise.all([
    selfSignedCa(dir, "ca", "Hilum Test CA"),
    selfSignedCa(dir, "other-ca", "Somebody Else's CA"),
  ]);
  const [server, client, stranger, unrelatedKey] = await Promise.all([
    issued(dir, "server", "localhost", "ca", 1001),
    issued(dir, "client", "MODALITY", "ca", 1002),
    issued(dir, "stranger", "STRANGER", "other-ca", 2001),
    key(dir, "unrelated"),
  ]);
  return { dir, ca, server, client, otherCa, stranger, unrelatedKey };
}
