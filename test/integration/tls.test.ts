/**
 * TLS for DICOM (the Secure Transport Connection Profile, against DCMTK built with OpenSSL) and for HTTP, and
 * the checks of the certificate and key files at start. The certificates come from the openssl command line.
 */
import { mkdtempSync, readFileSync, readdirSync, writeFileSync } from "node:fs";
import { type IncomingHttpHeaders } from "node:http";
import { request as httpsRequest } from "node:https";
import { connect as netConnect } from "node:net";
import { join } from "node:path";
import { type ConnectionOptions, type SecureVersion, type TLSSocket, connect as tlsConnect } from "node:tls";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { validateConfig } from "../../electron/pacs/config/load.js";
import { configNames, loadTlsCredentials } from "../../electron/pacs/tls/credentials.js";
import { archived, fileDataset } from "../support/archive.js";
import { type TestPki, makeTestPki } from "../support/certificates.js";
import { dcmdump } from "../support/dcmdump.js";
import { cachedCtSeries } from "../support/fixture-cache.js";
import { CLI_BUNDLE, REPO_ROOT, SERVE_BUNDLE, type TestNode, startTestNode } from "../support/hilum.js";
import {
  type DicomTarget,
  type StorescpPeer,
  echoscu,
  movescu,
  startStorescp,
  storescu,
} from "../support/peers.js";
import { freePort } from "../support/ports.js";
import { type RunResult, run } from "../support/process.js";
import { SCU_SERIES } from "./scu-support.js";

const SECRET = "s".repeat(32);

let pki: TestPki;
let scratch: string;

beforeAll(async () => {
  scratch = mkdtempSync(join(inject("scratchRoot"), "tls-"));
  pki = await makeTestPki(mkdtempSync(join(scratch, "pki-")));
});

/** DCMTK's TLS flags: our key and certificate (or anonymous), trusting the test CA. */
function dcmtkTls(identity: { key: string; cert: string } | "anonymous", ca = pki.ca): string[] {
  return identity === "anonymous"
    ? ["+tla", "+cf", ca]
    : ["+tls", identity.key, identity.cert, "-pem", "+cf", ca];
}

function hilum(...args: string[]): Promise<RunResult> {
  return run(process.execPath, [CLI_BUNDLE, ...args], { cwd: REPO_ROOT, timeoutMs: 60_000 });
}

const address = (target: DicomTarget) => `${target.aeTitle}@${target.host}:${target.port}`;

/** SOP Instance UID → dataset bytes of each file storescp received. */
async function receivedDatasets(storescp: StorescpPeer): Promise<Map<string, Buffer>> {
  const files = storescp.files();
  const dumps = await dcmdump(files);
  return new Map(dumps.map((dump, i) => [dump.SOPInstanceUID ?? "", fileDataset(files[i]!)]));
}

interface HttpsAnswer {
  status: number;
  headers: IncomingHttpHeaders;
  body: string;
  protocol: string | null;
}

function https(
  url: string,
  options: {
    method?: string;
    headers?: Record<string, string>;
    body?: string;
    ca?: string | null;
    maxVersion?: SecureVersion;
  } = {},
): Promise<HttpsAnswer> {
  return new Promise((resolve, reject) => {
    const req = httpsRequest(
      url,
      {
        method: options.method ?? "GET",
        headers: options.headers,
        ...(options.ca === null ? {} : { ca: readFileSync(options.ca ?? pki.ca, "utf8") }),
        ...(options.maxVersion ? { maxVersion: options.maxVersion } : {}),
        agent: false,
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on("data", (chunk: Buffer) => chunks.push(chunk));
        res.on("end", () =>
          resolve({
            status: res.statusCode ?? 0,
            headers: res.headers,
            body: Buffer.concat(chunks).toString("utf8"),
            protocol: (res.socket as TLSSocket).getProtocol?.() ?? null,
          }),
        );
      },
    );
    req.on("error", reject);
    req.end(options.body);
  });
}

// ---------------------------------------------------------------------------------------------------------

describe("DICOM TLS: Hilum as the SCP, DCMTK as the SCU", () => {
  let hilumNode: TestNode;
  let tlsTarget: DicomTarget;
  let tlsStorescp: StorescpPeer;

  beforeAll(async () => {
    // DCMTK storescp over TLS, requiring a client certificate (its default): a C-MOVE destination for Hilum.
    tlsStorescp = await startStorescp({
      aeTitle: "TLSSTORE",
      extraArgs: dcmtkTls(pki.server),
    });
    hilumNode = await startTestNode({
      dicom: {
        tls: { certFile: pki.server.cert, keyFile: pki.server.key, caFile: pki.ca, port: 0 },
      },
      peers: [{ aeTitle: "TLSSTORE", host: "127.0.0.1", port: tlsStorescp.port, tls: true }],
    });
    const tls = hilumNode.node.dicom.tls;
    if (!tls) throw new Error("no TLS listener");
    tlsTarget = { host: "127.0.0.1", port: tls.port, aeTitle: "HILUM" };
  });
  afterAll(async () => {
    await hilumNode?.close();
    await tlsStorescp?.stop();
  });

  it("listens with TLS beside the plain port, and echoscu gets Success on both", async () => {
    expect(tlsTarget.port).not.toBe(hilumNode.target.port);
    const secure = await echoscu(tlsTarget, { extraArgs: [...dcmtkTls(pki.client), "-d"] });
    expect(secure.code, secure.stderr).toBe(0);
    // DCMTK's own account of the connection: TLS 1.2 or later, our certificate.
    expect(secure.stdout + secure.stderr).toMatch(/Protocol\s*: TLSv1\.[23]/);
    expect(secure.stdout + secure.stderr).toMatch(/Subject\s*: \/CN=localhost/);
    const plain = await echoscu(hilumNode.target);
    expect(plain.code, plain.stderr).toBe(0);
  });

  it("stores what storescu sends over TLS, intact", async () => {
    const series = await cachedCtSeries(SCU_SERIES);
    const started = performance.now();
    const result = await storescu(tlsTarget, series.files, { extraArgs: dcmtkTls(pki.client) });
    const seconds = (performance.now() - started) / 1000;
    expect(result.code, result.stderr).toBe(0);
    expect(hilumNode.node.index.counts().instances).toBe(series.files.length);
    for (const [i, uid] of series.sopInstanceUids.entries()) {
      const stored = await archived(hilumNode.node, uid);
      expect(stored.dataset.equals(fileDataset(series.files[i]!)), uid).toBe(true);
    }
    console.log(`storescu over TLS: ${series.files.length} instances in ${seconds.toFixed(2)} s`);
  });

  it("refuses a peer with no certificate or one from another CA; nothing is stored and it keeps serving", async () => {
    const audit = hilumNode.node.index.audit;
    // The file below is stored already (previous test): a second store would show as a "duplicate" audit row.
    const otherAuditRows = () => audit.count() - audit.count({ action: "tls-refused" });
    const before = { instances: hilumNode.node.index.counts().instances, audit: otherAuditRows() };
    const series = await cachedCtSeries(SCU_SERIES);
    const file = series.files[0]!;
    const auditBefore = audit.count({ action: "tls-refused" });

    const anonymous = await storescu(tlsTarget, file, { extraArgs: dcmtkTls("anonymous") });
    expect(anonymous.code).not.toBe(0);
    expect(anonymous.stderr).toMatch(/Association Request Failed|Peer aborted/);

    const stranger = await storescu(tlsTarget, file, { extraArgs: dcmtkTls(pki.stranger) });
    expect(stranger.code).not.toBe(0);
    expect(stranger.stderr).toMatch(/Association Request Failed|Peer aborted/);

    expect({ instances: hilumNode.node.index.counts().instances, audit: otherAuditRows() }).toEqual(before);
    const refusals = audit
      .query({ action: "tls-refused" })
      .slice(0, audit.count({ action: "tls-refused" }) - auditBefore);
    expect(refusals.map((r) => r.detail)).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ code: "NO_CLIENT_CERTIFICATE", remoteAddress: "127.0.0.1" }),
        expect.objectContaining({
          why: expect.stringContaining("not trusted"),
          peerCertificate: { subject: "CN=STRANGER", issuer: "CN=Somebody Else's CA" },
        }),
      ]),
    );

    const after = await echoscu(tlsTarget, { extraArgs: dcmtkTls(pki.client) });
    expect(after.code, after.stderr).toBe(0);
  });

  it("closes a plain-TCP association attempt on the TLS port without answering in DICOM", async () => {
    const plain = await echoscu(tlsTarget, { timeoutMs: 20_000 });
    expect(plain.code).not.toBe(0);

    // A raw A-ASSOCIATE-RQ header: whatever comes back is no A-ASSOCIATE-AC/RJ, and the socket closes.
    const reply = await new Promise<Buffer>((resolve, reject) => {
      const socket = netConnect({ host: tlsTarget.host, port: tlsTarget.port });
      const chunks: Buffer[] = [];
      const timer = setTimeout(() => reject(new Error("the TLS port kept a plain connection open")), 10_000);
      socket.on("connect", () => socket.write(Buffer.from([0x01, 0x00, 0x00, 0x00, 0x00, 0x44, 0x00, 0x01])));
      socket.on("data", (chunk: Buffer) => chunks.push(chunk));
      socket.on("error", () => undefined);
      socket.on("close", () => {
        clearTimeout(timer);
        resolve(Buffer.concat(chunks));
      });
    });
    expect([0x02, 0x03]).not.toContain(reply[0]);
    expect(hilumNode.node.index.audit.query({ action: "tls-refused", limit: 1 })[0]?.detail).toMatchObject({
      code: "ERR_SSL_WRONG_VERSION_NUMBER",
    });

    const after = await echoscu(tlsTarget, { extraArgs: dcmtkTls(pki.client) });
    expect(after.code, after.stderr).toBe(0);
  });

  it("speaks TLS 1.2 with BCP 195 suites only: no CBC, nothing older", async () => {
    const handshake = (options: ConnectionOptions) =>
      new Promise<{ protocol: string | null; cipher: string }>((resolve, reject) => {
        const socket = tlsConnect({
          host: tlsTarget.host,
          port: tlsTarget.port,
          ca: readFileSync(pki.ca),
          cert: readFileSync(pki.client.cert),
          key: readFileSync(pki.client.key),
          ...options,
        });
        socket.once("secureConnect", () => {
          resolve({ protocol: socket.getProtocol(), cipher: socket.getCipher().standardName });
          socket.destroy();
        });
        socket.once("error", reject);
      });
    expect(await handshake({ maxVersion: "TLSv1.2" })).toEqual({
      protocol: "TLSv1.2",
      cipher: expect.stringMatching(/^TLS_ECDHE_ECDSA_WITH_(AES_\d+_GCM_SHA\d+|CHACHA20_POLY1305_SHA256)$/),
    });
    await expect(
      handshake({ maxVersion: "TLSv1.2", ciphers: "ECDHE-ECDSA-AES128-SHA256:ECDHE-ECDSA-AES256-SHA" }),
    ).rejects.toThrow(/handshake failure/);
    await expect(
      handshake({ minVersion: "TLSv1", maxVersion: "TLSv1.1", ciphers: "DEFAULT@SECLEVEL=0" }),
    ).rejects.toThrow(/protocol version|unsupported protocol|no protocols available/i);
  });

  it("C-MOVEs to a peer marked tls: true over TLS", async () => {
    // Runs after the storescu test above, whose series it moves.
    const series = await cachedCtSeries(SCU_SERIES);
    const result = await movescu(hilumNode.target, {
      level: "SERIES",
      keys: { StudyInstanceUID: series.studyInstanceUid, SeriesInstanceUID: series.seriesInstanceUid },
      destination: "TLSSTORE",
    });
    expect(result.code, result.stderr).toBe(0);
    const received = await receivedDatasets(tlsStorescp);
    expect([...received.keys()].sort()).toEqual([...series.sopInstanceUids].sort());
    for (const [i, uid] of series.sopInstanceUids.entries()) {
      expect(received.get(uid)?.equals(fileDataset(series.files[i]!)), uid).toBe(true);
    }
  });
});

describe("DICOM TLS: Hilum's SCU (the CLI) against DCMTK storescp +tls", () => {
  let storescp: StorescpPeer;

  beforeAll(async () => {
    storescp = await startStorescp({ extraArgs: dcmtkTls(pki.server) });
  });
  afterAll(async () => {
    await storescp?.stop();
  });

  const clientFlags = () => ["--tls-ca", pki.ca, "--tls-cert", pki.client.cert, "--tls-key", pki.client.key];

  it("echo gets Success over TLS", async () => {
    const result = await hilum("echo", address(storescp), ...clientFlags());
    expect(result.code, result.stderr).toBe(0);
    expect(result.stdout).toMatch(`C-ECHO ${address(storescp)} (TLS): Success in `);
  });

  it("send delivers every file, byte for byte", async () => {
    const series = await cachedCtSeries(SCU_SERIES);
    const files = series.files.slice(0, 10);
    const result = await hilum("send", ...files, "--to", address(storescp), ...clientFlags());
    expect(result.code, result.stderr).toBe(0);
    expect(result.stdout).toMatch(/^Sent 10 of 10 files to STORESCP in /m);
    const received = await receivedDatasets(storescp);
    for (const [i, file] of files.entries()) {
      const uid = series.sopInstanceUids[i]!;
      expect(received.get(uid)?.equals(fileDataset(file)), uid).toBe(true);
    }
  });

  it("says why when it does not trust the peer, or the peer does not trust it", async () => {
    const untrusted = await hilum("echo", address(storescp), "--tls-ca", pki.otherCa);
    expect(untrusted.code).toBe(1);
    expect(untrusted.stderr).toContain(
      `TLS handshake with STORESCP at 127.0.0.1:${storescp.port} failed: self-signed certificate in certificate chain (we do not trust the peer's certificate: give the CA that signed it)`,
    );

    // TLS 1.3: the server judges our certificate after our side of the handshake; its alert is the answer.
    const noCertificate = await hilum("echo", address(storescp), "--tls-ca", pki.ca);
    expect(noCertificate.code).toBe(1);
    expect(noCertificate.stderr).toMatch(
      /TLS connection to STORESCP at .* refused by the peer: .*certificate required \(the peer wants our certificate\)/,
    );

    const stranger = await hilum(
      "echo",
      address(storescp),
      "--tls-ca",
      pki.ca,
      "--tls-cert",
      pki.stranger.cert,
      "--tls-key",
      pki.stranger.key,
    );
    expect(stranger.code).toBe(1);
    expect(stranger.stderr).toMatch(
      /refused by the peer: .*unknown ca \(the peer does not trust our certificate\)/,
    );

    const plain = await hilum("echo", address(storescp));
    expect(plain.code).toBe(1);
  });

  it("names the flag when the key does not match the certificate", async () => {
    const result = await hilum(
      "echo",
      address(storescp),
      "--tls-cert",
      pki.client.cert,
      "--tls-key",
      pki.unrelatedKey,
    );
    expect(result.code).toBe(2);
    expect(result.stderr).toContain(
      `--tls-key: the private key in ${pki.unrelatedKey} does not match the certificate in ${pki.client.cert}`,
    );
  });
});

describe("DICOM TLS only", () => {
  it("serves TLS on one port, without client certificates when so configured, and no plain TCP", async () => {
    const only = await startTestNode({
      dicom: {
        tls: {
          certFile: pki.server.cert,
          keyFile: pki.server.key,
          port: 0,
          only: true,
          requireClientCertificate: false,
        },
      },
    });
    try {
      const { port, tls } = only.node.dicom;
      expect(tls?.port).toBe(port);
      const anonymous = await echoscu(only.target, { extraArgs: dcmtkTls("anonymous") });
      expect(anonymous.code, anonymous.stderr).toBe(0);
      const plain = await echoscu(only.target, { timeoutMs: 20_000 });
      expect(plain.code).not.toBe(0);
    } finally {
      await only.close();
    }
  });
});

// ---------------------------------------------------------------------------------------------------------

describe("HTTPS", () => {
  let node: TestNode;

  beforeAll(async () => {
    node = await startTestNode({
      http: {
        launchSecret: SECRET,
        tls: { certFile: pki.server.cert, keyFile: pki.server.key, minVersion: "TLSv1.3" },
      },
    });
  });
  afterAll(async () => {
    await node?.close();
  });

  it("answers /healthz over https to a client that trusts the CA, and only to such a client", async () => {
    expect(node.node.http.url).toMatch(/^https:\/\/127\.0\.0\.1:\d+$/);
    const answer = await https(`${node.node.http.url}/healthz`);
    expect(answer.status).toBe(200);
    expect(JSON.parse(answer.body)).toEqual({ status: "ok" });
    expect(answer.protocol).toBe("TLSv1.3");

    await expect(https(`${node.node.http.url}/healthz`, { ca: null })).rejects.toMatchObject({
      code: "UNABLE_TO_VERIFY_LEAF_SIGNATURE",
    });
    await expect(https(`${node.node.http.url}/healthz`, { ca: pki.otherCa })).rejects.toMatchObject({
      code: "UNABLE_TO_VERIFY_LEAF_SIGNATURE",
    });
    // Plain HTTP to the HTTPS port gets no HTTP answer.
    await expect(fetch(node.node.http.url.replace("https:", "http:") + "/healthz")).rejects.toThrow();
    // The server keeps serving.
    expect((await https(`${node.node.http.url}/healthz`)).status).toBe(200);
  });

  it("refuses a protocol older than http.tls.minVersion", async () => {
    await expect(https(`${node.node.http.url}/healthz`, { maxVersion: "TLSv1.2" })).rejects.toThrow(
      /protocol version|unsupported protocol/i,
    );
  });

  it("sets the session cookie Secure", async () => {
    const answer = await https(`${node.node.http.url}/api/setup`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ username: "admin", password: "correct horse battery" }),
    });
    expect(answer.status, answer.body).toBe(201);
    const cookie = String(answer.headers["set-cookie"] ?? "");
    expect(cookie).toMatch(/^hilum_session=/);
    expect(cookie).toMatch(/; Secure/);
    expect(cookie).toMatch(/; HttpOnly/);
  });
});

// ---------------------------------------------------------------------------------------------------------

describe("TLS configuration errors", () => {
  function dataDir(): string {
    return mkdtempSync(join(scratch, "bad-config-"));
  }

  async function startFails(overrides: Parameters<typeof startTestNode>[0]): Promise<string> {
    const dir = dataDir();
    const error = await startTestNode({ ...overrides, dataDir: dir }).then(
      async (started) => {
        await started.close();
        return new Error("the node started");
      },
      (err: unknown) => err as Error,
    );
    expect(error.name).toBe("ConfigError");
    // Stopped before opening anything: no index, no archive folders.
    expect(readdirSync(dir)).toEqual([]);
    return error.message;
  }

  it("names the key when it does not match the certificate", async () => {
    expect(
      await startFails({
        dicom: { tls: { certFile: pki.server.cert, keyFile: pki.unrelatedKey, caFile: pki.ca } },
      }),
    ).toBe(
      `dicom.tls.keyFile: the private key in ${pki.unrelatedKey} does not match the certificate in ${pki.server.cert} (dicom.tls.certFile)`,
    );
    expect(
      await startFails({ http: { tls: { certFile: pki.client.cert, keyFile: pki.server.key } } }),
    ).toMatch(/^http\.tls\.keyFile: the private key in .* does not match the certificate/);
  });

  it("says which file cannot be read, or holds the wrong thing", async () => {
    const missing = join(scratch, "no-such.pem");
    expect(
      await startFails({ dicom: { tls: { certFile: missing, keyFile: pki.server.key, caFile: pki.ca } } }),
    ).toBe(`dicom.tls.certFile: cannot read ${missing} (no such file)`);
    expect(
      await startFails({
        dicom: { tls: { certFile: pki.server.key, keyFile: pki.server.cert, caFile: pki.ca } },
      }),
    ).toMatch(
      /^dicom\.tls\.certFile: .* holds a private key, not a certificate \(are the certificate and key files swapped\?\)/,
    );
    const notPem = join(scratch, "not-a-ca.pem");
    writeFileSync(notPem, "hello\n");
    expect(
      await startFails({
        dicom: { tls: { certFile: pki.server.cert, keyFile: pki.server.key, caFile: notPem } },
      }),
    ).toBe(`dicom.tls.caFile: ${notPem} is not an X.509 certificate (PEM or DER)`);
  });

  it("needs a CA for mutual TLS, its own port, and dicom.tls for a TLS peer", async () => {
    expect(() =>
      validateConfig({ dicom: { tls: { certFile: pki.server.cert, keyFile: pki.server.key } } }, "test"),
    ).toThrow(/dicom\.tls\.caFile: required when requireClientCertificate is true/);
    expect(
      await startFails({
        dicom: {
          port: 11112,
          tls: { certFile: pki.server.cert, keyFile: pki.server.key, caFile: pki.ca, port: 11112 },
        },
      }),
    ).toMatch(/^dicom\.tls\.port: 11112 is dicom\.port too/);
    expect(
      await startFails({ peers: [{ aeTitle: "ARCHIVE", host: "127.0.0.1", port: 2762, tls: true }] }),
    ).toMatch(/^peers\.0\.tls: peer ARCHIVE wants TLS, but dicom\.tls .* is not configured/);
  });

  it("takes DER files too, and refuses a passphrase-protected key with the reason", async () => {
    const openssl = async (...args: string[]) => {
      const result = await run("openssl", args, { cwd: pki.dir });
      expect(result.code, result.stderr).toBe(0);
    };
    await openssl("x509", "-in", pki.server.cert, "-outform", "DER", "-out", "server.der");
    await openssl("pkey", "-in", pki.server.key, "-outform", "DER", "-out", "server-key.der");
    await openssl(
      "pkey",
      "-in",
      pki.server.key,
      "-aes256",
      "-passout",
      "pass:secret",
      "-out",
      "encrypted.key",
    );
    const names = configNames("dicom.tls");
    const der = loadTlsCredentials(
      { certFile: join(pki.dir, "server.der"), keyFile: join(pki.dir, "server-key.der"), caFile: pki.ca },
      names,
    );
    expect(der.certificate?.subject).toBe("CN=localhost");
    expect(der.cert).toMatch(/^-----BEGIN CERTIFICATE-----/);
    expect(() =>
      loadTlsCredentials({ certFile: pki.server.cert, keyFile: join(pki.dir, "encrypted.key") }, names),
    ).toThrow(/^dicom\.tls\.keyFile: .*encrypted\.key is encrypted with a passphrase/);
  });

  it("npm run serve prints the error and exits", async () => {
    const config = join(scratch, "bad-tls.json");
    writeFileSync(
      config,
      JSON.stringify({
        dicom: { tls: { certFile: pki.server.cert, keyFile: pki.unrelatedKey, caFile: pki.ca } },
      }),
    );
    const result = await run(
      process.execPath,
      [
        SERVE_BUNDLE,
        "--config",
        config,
        "--data",
        dataDir(),
        "--dicom-port",
        String(await freePort()),
        "--http-port",
        String(await freePort()),
      ],
      { cwd: REPO_ROOT, timeoutMs: 30_000 },
    );
    expect(result.code).toBe(1);
    expect(result.stderr).toContain("dicom.tls.keyFile: the private key in");
    expect(result.stderr).toContain("does not match the certificate");
  });
});
