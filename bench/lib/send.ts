/** Section 2: Hilum's SCU (CLI `send`) and DCMTK storescu each send the same files to a fresh storescp. */
import { CLI_BUNDLE, REPO_ROOT } from "../../test/support/hilum.js";
import type { DicomTarget } from "../../test/support/peers.js";
import { expectSuccess, timedRun, type TimedRun } from "./command.js";
import type { Load } from "./files.js";
import { storescuArgs, withReceiver } from "./receivers.js";
import { settle } from "./settle.js";
import { MB } from "./stats.js";

export const SENDERS = ["storescu", "Hilum SCU"] as const;
export type SenderName = (typeof SENDERS)[number];

export interface SendSample {
  sender: SenderName;
  instances: number;
  /** Sender process, spawn to exit (start-up included). */
  seconds: number;
  imagesPerSecond: number;
  /** What Hilum's CLI prints itself ("… (X images/s)"): its sending phase only; null for storescu. */
  reportedImagesPerSecond: number | null;
  /** The sender's VmHWM. */
  peakRssMb: number;
  /** Files storescp holds afterwards (distinct SOP Instance UIDs: a file sent twice is one file). */
  received: number;
}

function sendCommand(sender: SenderName, target: DicomTarget, folder: string): [string, string[]] {
  if (sender === "storescu") return ["storescu", storescuArgs(target, folder)];
  const to = `${target.aeTitle}@${target.host}:${target.port}`;
  return [process.execPath, [CLI_BUNDLE, "send", folder, "--to", to]];
}

/** "Sent 500 of 500 files to STORESCP in 1.2 s (410 images/s)" → 410. */
function reportedRate(run: TimedRun): number | null {
  const match = /Sent (\d+) of (\d+) files .*\((\d+(?:\.\d+)?) images\/s\)/.exec(run.stdout);
  return match?.[3] === undefined ? null : Number(match[3]);
}

/** One repeat: a fresh storescp, one sender process sends every file of `load`, storescp is removed. */
export async function measureSend(sender: SenderName, load: Load): Promise<SendSample> {
  await settle();
  return withReceiver("storescp", async (storescp) => {
    const [cmd, args] = sendCommand(sender, storescp.target, load.folder);
    const run = await timedRun(cmd, args, { cwd: REPO_ROOT, measureRss: true });
    expectSuccess(run, `${sender} → storescp`);
    const seconds = run.wallMs / 1000;
    return {
      sender,
      instances: load.files,
      seconds,
      imagesPerSecond: load.files / seconds,
      reportedImagesPerSecond: sender === "Hilum SCU" ? reportedRate(run) : null,
      peakRssMb: run.peakRssBytes / MB,
      received: await storescp.instanceCount(),
    };
  });
}

export interface StartupSample {
  seconds: number;
  peakRssMb: number;
}

/**
 * The floor under every `send` figure: Hilum's CLI doing a C-ECHO to storescp (Node, the CLI bundle's
 * modules, one association), spawn to exit, and its peak RSS.
 */
export async function measureCliStartup(): Promise<StartupSample> {
  await settle();
  return withReceiver("storescp", async ({ target }) => {
    const to = `${target.aeTitle}@${target.host}:${target.port}`;
    const run = await timedRun(process.execPath, [CLI_BUNDLE, "echo", to], {
      cwd: REPO_ROOT,
      measureRss: true,
    });
    expectSuccess(run, "hilum echo → storescp");
    return { seconds: run.wallMs / 1000, peakRssMb: run.peakRssBytes / MB };
  });
}
