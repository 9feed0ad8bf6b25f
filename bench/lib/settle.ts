import { setTimeout as sleep } from "node:timers/promises";
import { timedRun } from "./command.js";

/**
 * Before each measured run: write back what earlier runs left dirty (storescp does not fsync, so its
 * files would otherwise be flushed during the next receiver's turn) and let the machine go quiet.
 */
export async function settle(pauseMs = 500): Promise<void> {
  await timedRun("sync", []);
  await sleep(pauseMs);
}
