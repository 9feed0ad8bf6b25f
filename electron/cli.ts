/**
 * `npm run hilum -- <command>`: the node's command line — DICOM SCU operations against any peer,
 * and import into the local archive.
 */
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { echoCommand, findCommand, moveCommand, sendCommand } from "./cli/commands.js";
import { TLS_USAGE, clientTlsFromFlags } from "./cli/tls.js";
import { ConfigError } from "./pacs/config/errors.js";
import type { QueryModel } from "./pacs/dimse/query-models.js";
import type { KeyValues, Level } from "./pacs/dimse/scu/query.js";
import { useTranscodeWorker } from "./pacs/codecs/transcode-pool.js";

// The bundle puts the transcoding thread's script beside this entry point.
useTranscodeWorker(join(dirname(fileURLToPath(import.meta.url)), "transcode-worker.mjs"));

const USAGE = `Usage: npm run hilum -- <command> [options]
  echo AE@HOST:PORT                         C-ECHO a peer
  send <file|dir|DICOMDIR>... --to AE@HOST:PORT   C-STORE files (transcodes when the peer needs it)
  import <dir|DICOMDIR|file>...             store files into the local archive (--data DIR or --config FILE)
  find AE@HOST:PORT --level L -k KEY=VALUE… C-FIND (--model study|patient, --json); empty VALUE = return key
  move AE@HOST:PORT --dest AE --level L -k KEY=VALUE…   C-MOVE to a destination the peer knows
  launch-url --study UID [--patient ID] [--accession A] [--ttl 300] --base http://host:8042
                                            print a signed EMR launch URL (secret: --config FILE or
                                            HILUM_LAUNCH_SECRET)
  user add NAME --role ROLE                 create an account; password from stdin (also user list,
                                            user passwd NAME, user remove NAME; --data DIR or --config FILE)
Common: --aet AE (our calling AE title, default HILUM)
${TLS_USAGE}`;

const OPTIONS = {
  to: { type: "string" },
  aet: { type: "string", default: "HILUM" },
  data: { type: "string" },
  config: { type: "string" },
  level: { type: "string", default: "STUDY" },
  model: { type: "string", default: "study" },
  key: { type: "string", short: "k", multiple: true },
  dest: { type: "string" },
  json: { type: "boolean" },
  role: { type: "string" },
  tls: { type: "boolean" },
  "tls-ca": { type: "string" },
  "tls-cert": { type: "string" },
  "tls-key": { type: "string" },
  study: { type: "string" },
  patient: { type: "string" },
  accession: { type: "string" },
  ttl: { type: "string" },
  base: { type: "string" },
  help: { type: "boolean", short: "h" },
} as const;

function keys(pairs: string[] | undefined): KeyValues {
  const out: KeyValues = {};
  for (const pair of pairs ?? []) {
    const eq = pair.indexOf("=");
    if (eq < 0) out[pair] = "";
    else out[pair.slice(0, eq)] = pair.slice(eq + 1);
  }
  return out;
}

function level(text: string): Level {
  const upper = text.toUpperCase();
  if (upper !== "PATIENT" && upper !== "STUDY" && upper !== "SERIES" && upper !== "IMAGE") {
    throw new ConfigError(`--level ${text}: expected PATIENT, STUDY, SERIES or IMAGE`);
  }
  return upper;
}

function model(text: string): QueryModel {
  if (text === "study") return "STUDY_ROOT";
  if (text === "patient") return "PATIENT_ROOT";
  throw new ConfigError(`--model ${text}: expected study or patient`);
}

function need<T>(value: T | undefined, what: string): T {
  if (value === undefined) throw new ConfigError(`missing ${what}\n\n${USAGE}`);
  return value;
}

function parse(argv: string[]) {
  try {
    return parseArgs({ args: argv, options: OPTIONS, allowPositionals: true, strict: true });
  } catch (err) {
    throw new ConfigError(`${(err as Error).message}\n\n${USAGE}`);
  }
}

async function main(argv: string[]): Promise<number> {
  const { values, positionals } = parse(argv);
  const [command, ...rest] = positionals;
  if (values.help || !command) {
    console.log(USAGE);
    return command ? 0 : 2;
  }
  const aet = values.aet;
  const tls = ["echo", "send", "find", "move"].includes(command) ? clientTlsFromFlags(values) : undefined;
  switch (command) {
    case "echo":
      return echoCommand(need(rest[0], "AE@HOST:PORT"), aet, tls);
    case "send":
      if (rest.length === 0) throw new ConfigError(`send: name files or folders\n\n${USAGE}`);
      return sendCommand(rest, need(values.to, "--to AE@HOST:PORT"), aet, tls);
    case "import": {
      if (rest.length === 0) throw new ConfigError(`import: name a folder, DICOMDIR or files\n\n${USAGE}`);
      // Loaded only here: the archive, the index and the configuration schema are not needed to send or query.
      const [{ mergeConfig, readConfigFile, validateConfig }, { importCommand }] = await Promise.all([
        import("./pacs/config/load.js"),
        import("./cli/import.js"),
      ]);
      const fromFile = values.config ? readConfigFile(values.config) : {};
      const config = validateConfig(
        mergeConfig(fromFile, values.data ? { dataDir: values.data } : {}),
        values.config ?? "defaults",
      );
      return importCommand(rest, config);
    }
    case "find":
      return findCommand(
        need(rest[0], "AE@HOST:PORT"),
        aet,
        model(values.model),
        level(values.level),
        keys(values.key),
        values.json === true,
        tls,
      );
    case "move":
      return moveCommand(
        need(rest[0], "AE@HOST:PORT"),
        aet,
        model(values.model),
        level(values.level),
        keys(values.key),
        need(values.dest, "--dest AE"),
        tls,
      );
    case "user": {
      const { userCommand } = await import("./cli/user.js");
      return userCommand(rest, values);
    }
    case "launch-url": {
      const { launchUrlCommand } = await import("./cli/launch-url.js");
      return launchUrlCommand(values);
    }
    default:
      throw new ConfigError(`unknown command ${command}\n\n${USAGE}`);
  }
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (err: unknown) => {
    console.error(err instanceof Error ? err.message : String(err));
    process.exit(err instanceof ConfigError ? 2 : 1);
  },
);
