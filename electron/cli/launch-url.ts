/**
 * `npm run hilum -- launch-url --study UID [--patient ID] [--accession A] [--ttl 300] --base URL`: prints an
 * EMR launch URL signed with the node's `launch.hmacSecret` (from `--config FILE`, or the environment
 * variable HILUM_LAUNCH_SECRET), for testing an EMR integration or opening a study from a script.
 */
import { ConfigError } from "../pacs/config/errors.js";
import { readConfigFile, validateConfig } from "../pacs/config/load.js";
import { signLaunchUrl } from "../pacs/web/launch.js";

export interface LaunchUrlFlags {
  study?: string;
  patient?: string;
  accession?: string;
  ttl?: string;
  base?: string;
  config?: string;
}

export function launchUrlCommand(flags: LaunchUrlFlags): number {
  if (!flags.study && !flags.patient && !flags.accession) {
    throw new ConfigError("launch-url: name a study (--study UID), a patient (--patient ID) or --accession");
  }
  if (!flags.base) throw new ConfigError("launch-url: --base URL is required (e.g. --base http://host:8042)");
  if (!/^https?:\/\/[^/]/.test(flags.base))
    throw new ConfigError(`--base ${flags.base}: expected http(s)://host[:port]`);
  const ttl = Number(flags.ttl ?? "300");
  if (!Number.isInteger(ttl) || ttl < 1) throw new ConfigError(`--ttl ${flags.ttl}: expected whole seconds`);
  const config = flags.config ? validateConfig(readConfigFile(flags.config), flags.config) : undefined;
  const secret = process.env.HILUM_LAUNCH_SECRET ?? config?.launch.hmacSecret;
  if (!secret) {
    throw new ConfigError(
      "launch-url: no secret: give --config FILE with launch.hmacSecret, or set HILUM_LAUNCH_SECRET",
    );
  }
  if (secret.length < 32) throw new ConfigError("launch-url: the secret must be at least 32 characters");
  if (config && ttl > config.launch.maxAgeSeconds) {
    throw new ConfigError(
      `--ttl ${ttl}: the node refuses links valid longer than launch.maxAgeSeconds (${config.launch.maxAgeSeconds})`,
    );
  }
  console.log(
    signLaunchUrl({
      base: flags.base,
      secret,
      target: { studyUid: flags.study, patientId: flags.patient, accession: flags.accession },
      ttlSeconds: ttl,
    }),
  );
  return 0;
}
