import { parseArgs } from "node:util";
import type { ConfigInput, PeerConfig } from "./schema.js";
import { ConfigError } from "./errors.js";

/** The `npm run serve` flags; each overrides the same setting from `--config FILE`. */
export const SERVE_FLAGS = {
  config: { type: "string" },
  data: { type: "string" },
  "ae-title": { type: "string" },
  "dicom-port": { type: "string" },
  "http-port": { type: "string" },
  bind: { type: "string" },
  "http-bind": { type: "string" },
  peer: { type: "string", multiple: true },
  "allow-unknown-callers": { type: "string" },
  "log-level": { type: "string" },
  help: { type: "boolean", short: "h" },
} as const;

export const SERVE_USAGE = `Usage: npm run serve -- [options]
  --config FILE                 JSON or YAML configuration (flags below override it)
  --data DIR                    data folder (default ./hilum-data)
  --ae-title AE                 our AE title (default HILUM)
  --dicom-port N                DICOM port (default 11112)
  --bind HOST                   DICOM listen address (default 0.0.0.0, all interfaces)
  --http-port N                 HTTP port (default 8042)
  --http-bind HOST              HTTP listen address (default 127.0.0.1)
  --peer AE@HOST:PORT           a known remote node (repeatable): C-MOVE destination, SCU target
  --allow-unknown-callers B     true|false: accept associations from AEs not in --peer (default true)
  --log-level LEVEL             fatal|error|warn|info|debug|trace (default info)`;

export function parsePeer(text: string): PeerConfig {
  const match = /^([^@]+)@(.+):(\d+)$/.exec(text);
  if (!match) throw new ConfigError(`--peer ${text}: expected AE@HOST:PORT`);
  return { aeTitle: match[1]!, host: match[2]!, port: Number(match[3]) };
}

function integer(flag: string, text: string): number {
  if (!/^\d+$/.test(text)) throw new ConfigError(`--${flag} ${text}: expected a whole number`);
  return Number(text);
}

function boolean(flag: string, text: string): boolean {
  if (text === "true") return true;
  if (text === "false") return false;
  throw new ConfigError(`--${flag} ${text}: expected true or false`);
}

export interface ServeFlags {
  configFile?: string;
  help: boolean;
  overrides: ConfigInput;
}

export function parseServeFlags(argv: string[]): ServeFlags {
  let values;
  try {
    values = parseArgs({ args: argv, options: SERVE_FLAGS, strict: true, allowPositionals: false }).values;
  } catch (err) {
    throw new ConfigError((err as Error).message);
  }
  const overrides: Record<string, unknown> = {};
  const dicom: Record<string, unknown> = {};
  const http: Record<string, unknown> = {};
  if (values.data !== undefined) overrides.dataDir = values.data;
  if (values["ae-title"] !== undefined) overrides.aeTitle = values["ae-title"];
  if (values["dicom-port"] !== undefined) dicom.port = integer("dicom-port", values["dicom-port"]);
  if (values.bind !== undefined) dicom.bind = values.bind;
  if (values["allow-unknown-callers"] !== undefined) {
    dicom.allowUnknownCallers = boolean("allow-unknown-callers", values["allow-unknown-callers"]);
  }
  if (values["http-port"] !== undefined) http.port = integer("http-port", values["http-port"]);
  if (values["http-bind"] !== undefined) http.bind = values["http-bind"];
  if (values.peer !== undefined) overrides.peers = values.peer.map(parsePeer);
  if (values["log-level"] !== undefined) overrides.log = { level: values["log-level"] };
  if (Object.keys(dicom).length > 0) overrides.dicom = dicom;
  if (Object.keys(http).length > 0) overrides.http = http;
  return { configFile: values.config, help: values.help === true, overrides: overrides as ConfigInput };
}
