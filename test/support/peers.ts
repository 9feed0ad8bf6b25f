/**
 * Real DICOM peers for integration tests and benchmarks: DCMTK storescp and dcmqrscp, Orthanc, and the
 * DCMTK SCU tools. Servers listen on ports picked here (or given), run with TCP_NODELAY=1, and are killed by
 * stop() or, as a safety net, when this process exits.
 */
import { randomUUID } from "node:crypto";
import { mkdirSync, mkdtempSync, readdirSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { dcmdump, type DumpedDataset } from "./dcmdump.js";
import { freePort } from "./ports.js";
import { run, spawnService, tail, waitForPort, type RunResult, type Service } from "./process.js";

export const LOCALHOST = "127.0.0.1";
export const DICOMWEB_PLUGIN = "/usr/share/orthanc/plugins/libOrthancDicomWeb.so";

export interface DicomTarget {
  host: string;
  port: number;
  aeTitle: string;
}

// ---------------------------------------------------------------------------------------------------------
// Starting servers

interface Launch {
  cmd: string;
  args: string[];
}

interface Started {
  service: Service;
  ports: number[];
}

/** Temp folders of running servers; removed by stop(), or at exit when a run dies without stopping. */
const ownedDirs = new Set<string>();
process.on("exit", () => {
  for (const dir of ownedDirs) rmSync(dir, { recursive: true, force: true });
});

function ownedTempDir(prefix: string): string {
  const dir = mkdtempSync(join(tmpdir(), `hilum-${prefix}-`));
  ownedDirs.add(dir);
  return dir;
}

/** A temp folder of our own (removed on stop) unless the caller gave one (kept). */
function workDir(given: string | undefined, prefix: string): { dir: string; owned: boolean } {
  if (given !== undefined) {
    mkdirSync(given, { recursive: true });
    return { dir: given, owned: false };
  }
  return { dir: ownedTempDir(prefix), owned: true };
}

/**
 * Spawns a server and waits until it listens on all its ports. When it dies first on a port we picked
 * (another process took it meanwhile), it is tried again on fresh ports.
 */
async function startServer(
  name: string,
  logFile: string,
  requested: ReadonlyArray<number | undefined>,
  launch: (ports: number[]) => Launch,
): Promise<Started> {
  const canRetry = requested.some((port) => port === undefined);
  for (let attempt = 1; ; attempt++) {
    const ports = await Promise.all(requested.map((port) => (port === undefined ? freePort() : port)));
    const { cmd, args } = launch(ports);
    const service = spawnService(name, cmd, args, { logFile });
    try {
      for (const port of ports) await waitForPort(port, 20_000, service);
      return { service, ports };
    } catch (error) {
      const diedEarly = !service.running;
      await service.stop();
      if (!diedEarly || !canRetry || attempt >= 3) throw error;
    }
  }
}

/** A server on a folder we own dies at once (its data goes anyway); one on a given folder stops gracefully. */
async function stopAndClean(service: Service, dir: string, owned: boolean): Promise<void> {
  await service.stop(owned ? 0 : 10_000);
  if (!owned) return;
  rmSync(dir, { recursive: true, force: true });
  ownedDirs.delete(dir);
}

function listFiles(dir: string): string[] {
  return readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((entry) => entry.isFile())
    .map((entry) => join(entry.parentPath, entry.name))
    .sort();
}

// ---------------------------------------------------------------------------------------------------------
// storescp

export interface StorescpOptions {
  /** Where received files land (kept); default a temp folder removed by stop(). */
  dir?: string;
  aeTitle?: string;
  port?: number;
  /**
   * What it accepts, instead of `+xa -pm` (every transfer syntax, every SOP class): e.g. ["+x=", "-pm"]
   * (uncompressed only), or ["-xf", file, profile] (a negotiation profile; DCMTK allows neither +xa nor -pm then).
   */
  negotiation?: readonly string[];
  extraArgs?: readonly string[];
}

export interface StorescpPeer extends DicomTarget {
  dir: string;
  service: Service;
  /** Received files (storescp names them `<modality>.<SOPInstanceUID>`), sorted. */
  files(): string[];
  stop(): Promise<void>;
}

/**
 * DCMTK storescp accepting every storage SOP class (-pm) and every transfer syntax (+xa) unless `negotiation`
 * says otherwise, one file per instance.
 */
export async function startStorescp(opts: StorescpOptions = {}): Promise<StorescpPeer> {
  const aeTitle = opts.aeTitle ?? "STORESCP";
  const work = ownedTempDir("storescp");
  const dir = opts.dir ?? join(work, "received");
  mkdirSync(dir, { recursive: true });
  const logFile = join(work, "storescp.log");
  const { service, ports } = await startServer("storescp", logFile, [opts.port], ([port]) => ({
    cmd: "storescp",
    args: [
      "-aet",
      aeTitle,
      ...(opts.negotiation ?? ["+xa", "-pm"]),
      "-dhl",
      "-od",
      dir,
      ...(opts.extraArgs ?? []),
      String(port),
    ],
  }));
  return {
    host: LOCALHOST,
    port: ports[0] ?? 0,
    aeTitle,
    dir,
    service,
    files: () => listFiles(dir),
    stop: () => stopAndClean(service, work, true),
  };
}

// ---------------------------------------------------------------------------------------------------------
// dcmqrscp

export interface DcmqrscpOptions {
  aeTitle?: string;
  port?: number;
  /** AEs dcmqrscp may C-MOVE to (its HostTable); C-MOVE to any other destination fails. */
  peers?: ReadonlyArray<DicomTarget>;
  /** Working folder (config, database); default a temp folder removed on stop(). */
  dir?: string;
  /** dcmqrscp deletes the oldest study beyond this many; its index is rewritten whole, so keep it modest. */
  maxStudies?: number;
  extraArgs?: readonly string[];
}

export interface DcmqrscpPeer extends DicomTarget {
  dir: string;
  /** The storage area of the AE: the files dcmqrscp stored. */
  storageDir: string;
  service: Service;
  stop(): Promise<void>;
}

interface DcmqrscpConfig {
  port: number;
  aeTitle: string;
  storageDir: string;
  peers: ReadonlyArray<DicomTarget>;
  maxStudies: number;
}

function dcmqrscpConfig(config: DcmqrscpConfig): string {
  const hosts = config.peers.map((peer, i) => `peer${i} = (${peer.aeTitle}, ${peer.host}, ${peer.port})`);
  return [
    `NetworkTCPPort = ${config.port}`,
    "MaxPDUSize = 131072",
    "MaxAssociations = 32",
    "HostTable BEGIN",
    ...hosts,
    "HostTable END",
    "VendorTable BEGIN",
    "VendorTable END",
    "AETable BEGIN",
    `${config.aeTitle} ${config.storageDir} RW (${config.maxStudies}, 4096mb) ANY`,
    "AETable END",
    "",
  ].join("\n");
}

/** DCMTK dcmqrscp: a Q/R archive that storescu can fill and findscu/movescu/getscu can query. */
export async function startDcmqrscp(opts: DcmqrscpOptions = {}): Promise<DcmqrscpPeer> {
  const aeTitle = opts.aeTitle ?? "DCMQRSCP";
  const { dir, owned } = workDir(opts.dir, "dcmqrscp");
  const storageDir = join(dir, "db", aeTitle);
  mkdirSync(storageDir, { recursive: true });
  const configFile = join(dir, "dcmqrscp.cfg");
  const peers = opts.peers ?? [];
  const maxStudies = opts.maxStudies ?? 1000;
  const { service, ports } = await startServer(
    "dcmqrscp",
    join(dir, "dcmqrscp.log"),
    [opts.port],
    ([port]) => {
      writeFileSync(configFile, dcmqrscpConfig({ port: port ?? 0, aeTitle, storageDir, peers, maxStudies }));
      return { cmd: "dcmqrscp", args: ["-c", configFile, "-dhl", ...(opts.extraArgs ?? [])] };
    },
  );
  return {
    host: LOCALHOST,
    port: ports[0] ?? 0,
    aeTitle,
    dir,
    storageDir,
    service,
    stop: () => stopAndClean(service, dir, owned),
  };
}

// ---------------------------------------------------------------------------------------------------------
// Orthanc

export interface OrthancOptions {
  aeTitle?: string;
  dicomPort?: number;
  httpPort?: number;
  /** Orthanc's DicomModalities: name → AE it may C-STORE/C-MOVE to and accept from. */
  modalities?: Record<string, DicomTarget>;
  /** Load the DICOMweb plugin, rooted at /dicom-web/. */
  dicomWeb?: boolean;
  /**
   * Working folder (config, storage, index), kept, and stop() then shuts Orthanc down gracefully (2–4 s);
   * default a temp folder, and stop() kills Orthanc at once and removes it.
   */
  dir?: string;
  /** Extra configuration keys, merged last. */
  config?: Record<string, unknown>;
}

export interface OrthancPeer extends DicomTarget {
  dicomPort: number;
  httpPort: number;
  baseUrl: string;
  dir: string;
  service: Service;
  /** fetch() against the REST API, e.g. rest("/instances", { method: "POST", body }). */
  rest(path: string, init?: RequestInit): Promise<Response>;
  /** GET (or `init`) a REST path and parse its JSON (undefined if empty); throws with the body on non-2xx. */
  json<T = unknown>(path: string, init?: RequestInit): Promise<T>;
  stop(): Promise<void>;
}

function orthancConfig(
  name: string,
  dir: string,
  aeTitle: string,
  ports: number[],
  opts: OrthancOptions,
): object {
  const modalities = Object.entries(opts.modalities ?? {}).map(([key, m]) => [
    key,
    [m.aeTitle, m.host, m.port],
  ]);
  return {
    Name: name,
    StorageDirectory: join(dir, "storage"),
    IndexDirectory: join(dir, "index"),
    DicomAet: aeTitle,
    DicomPort: ports[0],
    HttpPort: ports[1],
    // Orthanc 1.10.1 has no bind-address option: it listens on all interfaces, and this refuses non-local HTTP.
    RemoteAccessAllowed: false,
    AuthenticationEnabled: false,
    DicomCheckCalledAet: false,
    // Queries and retrieves from any AE, like C-ECHO and C-STORE by default; a test of refusals overrides.
    DicomAlwaysAllowFind: true,
    DicomAlwaysAllowFindWorklist: true,
    DicomAlwaysAllowGet: true,
    DicomAlwaysAllowMove: true,
    DicomModalities: Object.fromEntries(modalities),
    Plugins: opts.dicomWeb === true ? [DICOMWEB_PLUGIN] : [],
    ...(opts.dicomWeb === true ? { DicomWeb: { Enable: true, Root: "/dicom-web/" } } : {}),
    SaveJobs: false,
    StorageCompression: false,
    ...opts.config,
  };
}

async function waitForOrthancRest(baseUrl: string, name: string, service: Service): Promise<void> {
  const deadline = Date.now() + 20_000;
  while (Date.now() < deadline) {
    if (!service.running) break;
    try {
      const response = await fetch(`${baseUrl}/system`);
      const system = (await response.json()) as { Name?: string };
      if (response.ok && system.Name === name) return;
    } catch {
      // Not answering yet.
    }
    await sleep(50);
  }
  throw new Error(`Orthanc did not answer GET /system:\n${tail(service.log())}`);
}

/** Orthanc run by hand with a config in its own folder; readiness is GET /system answering with our Name. */
export async function startOrthanc(opts: OrthancOptions = {}): Promise<OrthancPeer> {
  const aeTitle = opts.aeTitle ?? "ORTHANC";
  const { dir, owned } = workDir(opts.dir, "orthanc");
  const name = `hilum-test-${randomUUID()}`;
  const configFile = join(dir, "orthanc.json");
  const requested = [opts.dicomPort, opts.httpPort];
  const { service, ports } = await startServer("Orthanc", join(dir, "orthanc.log"), requested, (ports) => {
    writeFileSync(configFile, JSON.stringify(orthancConfig(name, dir, aeTitle, ports, opts), null, 2));
    return { cmd: "Orthanc", args: [configFile] };
  });
  const [dicomPort = 0, httpPort = 0] = ports;
  const baseUrl = `http://${LOCALHOST}:${httpPort}`;
  try {
    await waitForOrthancRest(baseUrl, name, service);
  } catch (error) {
    await stopAndClean(service, dir, owned);
    throw error;
  }
  const rest = (path: string, init?: RequestInit) => fetch(`${baseUrl}${path}`, init);
  async function json<T>(path: string, init?: RequestInit): Promise<T> {
    const response = await rest(path, init);
    const body = await response.text();
    if (!response.ok) throw new Error(`Orthanc ${init?.method ?? "GET"} ${path}: ${response.status} ${body}`);
    return (body === "" ? undefined : JSON.parse(body)) as T;
  }
  return {
    host: LOCALHOST,
    port: dicomPort,
    aeTitle,
    dicomPort,
    httpPort,
    baseUrl,
    dir,
    service,
    rest,
    json,
    stop: () => stopAndClean(service, dir, owned),
  };
}

// ---------------------------------------------------------------------------------------------------------
// DCMTK SCU tools. Each resolves with the exit status and output, so tests can assert failures too.

export interface ScuOptions {
  callingAe?: string;
  extraArgs?: readonly string[];
  timeoutMs?: number;
}

export type QueryModel = "patient" | "study" | "psonly" | "worklist";
export type QueryLevel = "PATIENT" | "STUDY" | "SERIES" | "IMAGE";
/** Keyword, "gggg,eeee" or a DCMTK path ("ScheduledProcedureStepSequence[0].Modality") → value ("" = return it). */
export type QueryKeys = Record<string, string>;

const MODEL_FLAG: Record<QueryModel, string> = { patient: "-P", study: "-S", psonly: "-O", worklist: "-W" };

function association(target: DicomTarget, callingAe: string, opts: ScuOptions): string[] {
  return ["-aet", opts.callingAe ?? callingAe, "-aec", target.aeTitle, ...(opts.extraArgs ?? [])];
}

function peerAddress(target: DicomTarget): string[] {
  return [target.host, String(target.port)];
}

function keyArgs(level: QueryLevel | undefined, keys: QueryKeys): string[] {
  const args = level === undefined ? [] : ["-k", `QueryRetrieveLevel=${level}`];
  for (const [key, value] of Object.entries(keys)) args.push("-k", value === "" ? key : `${key}=${value}`);
  return args;
}

export function echoscu(target: DicomTarget, opts: ScuOptions = {}): Promise<RunResult> {
  return run("echoscu", [...association(target, "ECHOSCU", opts), ...peerAddress(target)], {
    timeoutMs: opts.timeoutMs,
  });
}

/** storescu's proposal flags (-x…): uncompressed syntaxes, plus at most one compressed syntax. */
export type ProposeTs =
  | "uncompressed"
  | "little"
  | "big"
  | "implicit"
  | "jpeg-lossless"
  | "jpeg8"
  | "jpeg12"
  | "j2k-lossless"
  | "j2k-lossy"
  | "jpls-lossless"
  | "jpls-lossy"
  | "rle"
  | "deflated";

const PROPOSE_FLAG: Record<ProposeTs, string> = {
  uncompressed: "-x=",
  little: "-xe",
  big: "-xb",
  implicit: "-xi",
  "jpeg-lossless": "-xs",
  jpeg8: "-xy",
  jpeg12: "-xx",
  "j2k-lossless": "-xv",
  "j2k-lossy": "-xw",
  "jpls-lossless": "-xt",
  "jpls-lossy": "-xu",
  rle: "-xr",
  deflated: "-xd",
};

export interface StorescuOptions extends ScuOptions {
  /**
   * Which transfer syntaxes storescu proposes. By itself storescu offers only uncompressed ones, plus the
   * one compressed syntax a -x… flag names, and fails on files in any other. "as-stored" proposes one
   * context per (SOP class, transfer syntax) found in the files, so each goes exactly as stored; DCMTK
   * 3.6.7 cannot send a syntax it does not know (HTJ2K).
   */
  proposeTs?: ProposeTs | "as-stored";
}

/** DCMTK allows 128 presentation contexts per association. */
const MAX_PRESENTATION_CONTEXTS = 128;

/** An association profile (storescu -xf) proposing each file's own SOP class and transfer syntax. */
async function asStoredProfile(files: readonly string[], configFile: string): Promise<string[]> {
  const pairs = new Map<string, { sopClass: string; ts: string }>();
  for (const dataset of await dcmdump(files, { meta: true })) {
    const sopClass = dataset.MediaStorageSOPClassUID ?? dataset.SOPClassUID;
    const ts = dataset.TransferSyntaxUID;
    if (sopClass !== undefined && ts !== undefined) pairs.set(`${sopClass} ${ts}`, { sopClass, ts });
  }
  if (pairs.size > MAX_PRESENTATION_CONTEXTS) {
    throw new Error(`storescu as-stored: ${pairs.size} SOP class/transfer syntax pairs; 128 fit`);
  }
  const syntaxes = [...new Set([...pairs.values()].map((pair) => pair.ts))];
  const lines = ["[[TransferSyntaxes]]"];
  syntaxes.forEach((ts, index) => lines.push(`[TS${index}]`, `TransferSyntax1 = ${ts}`));
  lines.push("[[PresentationContexts]]", "[ASSTORED]");
  [...pairs.values()].forEach(({ sopClass, ts }, index) => {
    lines.push(`PresentationContext${index + 1} = ${sopClass}\\TS${syntaxes.indexOf(ts)}`);
  });
  lines.push("[[Profiles]]", "[ASSTORED]", "PresentationContexts = ASSTORED", "");
  writeFileSync(configFile, lines.join("\n"));
  return ["-xf", configFile, "ASSTORED"];
}

async function storescuAsStored(
  association: string[],
  target: DicomTarget,
  inputs: string[],
  timeoutMs?: number,
) {
  const files = inputs.flatMap((input) => (statSync(input).isDirectory() ? listFiles(input) : [input]));
  const work = mkdtempSync(join(tmpdir(), "hilum-storescu-"));
  try {
    const profile = await asStoredProfile(files, join(work, "as-stored.cfg"));
    return await run("storescu", [...association, ...profile, ...peerAddress(target), ...files], {
      timeoutMs,
    });
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

/**
 * Sends files (and folders, recursively) on one association. Pass a folder rather than thousands of
 * paths: the command line has a length limit (with "as-stored", folders are expanded into paths).
 */
export async function storescu(
  target: DicomTarget,
  files: string | readonly string[],
  opts: StorescuOptions = {},
): Promise<RunResult> {
  const inputs = typeof files === "string" ? [files] : [...files];
  const calling = association(target, "STORESCU", opts);
  if (opts.proposeTs === "as-stored") return storescuAsStored(calling, target, inputs, opts.timeoutMs);
  const scan = inputs.some((input) => statSync(input).isDirectory()) ? ["+sd", "+r"] : [];
  const propose = opts.proposeTs === undefined ? [] : [PROPOSE_FLAG[opts.proposeTs]];
  const args = [...calling, ...propose, ...scan, ...peerAddress(target), ...inputs];
  return run("storescu", args, { timeoutMs: opts.timeoutMs });
}

export interface FindOptions extends ScuOptions {
  model: QueryModel;
  /** Sent as QueryRetrieveLevel; leave out for worklist queries. */
  level?: QueryLevel;
  keys: QueryKeys;
}

export interface FindResult extends RunResult {
  /** One dataset per C-FIND response, in the order received (see DumpedDataset for the keys). */
  responses: DumpedDataset[];
}

/**
 * C-FIND with findscu. Responses are extracted to files (-X) in a temp folder and read back with one
 * dcmdump call, so values come back exactly as the peer encoded them (converted to UTF-8).
 */
export async function findscu(target: DicomTarget, opts: FindOptions): Promise<FindResult> {
  const outDir = mkdtempSync(join(tmpdir(), "hilum-findscu-"));
  try {
    const args = [
      ...association(target, "FINDSCU", opts),
      MODEL_FLAG[opts.model],
      ...keyArgs(opts.level, opts.keys),
      "-X",
      "-od",
      outDir,
      ...peerAddress(target),
    ];
    const result = await run("findscu", args, { timeoutMs: opts.timeoutMs });
    const files = readdirSync(outDir)
      .filter((name) => /^rsp\d+\.dcm$/.test(name))
      .sort((a, b) => a.localeCompare(b, "en", { numeric: true }));
    return { ...result, responses: await dcmdump(files, { cwd: outDir }) };
  } finally {
    rmSync(outDir, { recursive: true, force: true });
  }
}

export interface MoveOptions extends ScuOptions {
  model?: Exclude<QueryModel, "worklist">;
  level: QueryLevel;
  keys: QueryKeys;
  /** Move destination AE title; it must be known to the peer. */
  destination: string;
  /** Let movescu itself receive (destination = its own AE): listen on `port`, store in `dir` (created). */
  receive?: { port: number; dir: string };
}

export function movescu(target: DicomTarget, opts: MoveOptions): Promise<RunResult> {
  if (opts.receive !== undefined) mkdirSync(opts.receive.dir, { recursive: true });
  const receive =
    opts.receive === undefined ? [] : ["+P", String(opts.receive.port), "-od", opts.receive.dir];
  const args = [
    ...association(target, "MOVESCU", opts),
    MODEL_FLAG[opts.model ?? "study"],
    "-aem",
    opts.destination,
    ...receive,
    ...keyArgs(opts.level, opts.keys),
    ...peerAddress(target),
  ];
  return run("movescu", args, { timeoutMs: opts.timeoutMs });
}

export interface GetOptions extends ScuOptions {
  model?: Exclude<QueryModel, "worklist">;
  level: QueryLevel;
  keys: QueryKeys;
  /** Where retrieved files are written (created if missing). */
  outDir: string;
}

export interface GetResult extends RunResult {
  /** Files in outDir after the retrieve, sorted. */
  files: string[];
}

export async function getscu(target: DicomTarget, opts: GetOptions): Promise<GetResult> {
  mkdirSync(opts.outDir, { recursive: true });
  const args = [
    ...association(target, "GETSCU", opts),
    MODEL_FLAG[opts.model ?? "study"],
    ...keyArgs(opts.level, opts.keys),
    "-od",
    opts.outDir,
    ...peerAddress(target),
  ];
  const result = await run("getscu", args, { timeoutMs: opts.timeoutMs });
  return { ...result, files: listFiles(opts.outDir) };
}
