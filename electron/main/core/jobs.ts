/**
 * The desktop's long jobs, run inside the core process (it owns the archive): importing files, folders
 * and DICOMDIRs, and sending studies to a peer. Progress is reported at most every `intervalMs` (a CD has
 * thousands of files) and always at the end.
 */
import { statusName } from "../../pacs/dimse/status.js";
import { archiveItems } from "../../pacs/dimse/scp/retrieve.js";
import { sendToPeer } from "../../pacs/dimse/scu/store.js";
import { collectFiles } from "../../pacs/files/collect.js";
import { receivedFromFile } from "../../pacs/files/dicom-file.js";
import { IngestRefusal } from "../../pacs/ingest/refusal.js";
import type { HilumNode } from "../../pacs/node.js";
import { loadNodeTls } from "../../pacs/tls/contexts.js";
import type { JobProgress } from "../../../shared/desktop/ipc.js";

type Report = (progress: JobProgress) => void;

/** True once the app is quitting: a job stops after the file in hand, which is stored (or refused) whole. */
export type Cancelled = () => boolean;

const STOPPED = "stopped because Hilum is quitting";

/** Passes progress on no more often than every intervalMs; the final report always goes. */
export function throttled(report: Report, intervalMs: number, now: () => number = Date.now): Report {
  let last = -Infinity;
  return (progress) => {
    const time = now();
    if (progress.phase === "running" && time - last < intervalMs) return;
    last = time;
    report(progress);
  };
}

export async function importJob(
  node: Pick<HilumNode, "ingest" | "store">,
  jobId: string,
  paths: string[],
  report: Report,
  cancelled: Cancelled,
): Promise<void> {
  const progress: JobProgress = {
    jobId,
    kind: "import",
    phase: "running",
    total: 0,
    done: 0,
    succeeded: 0,
    failed: 0,
  };
  const studies = new Set<string>();
  let files: string[];
  try {
    files = await collectFiles(paths);
  } catch (err) {
    report({ ...progress, phase: "failed", message: `cannot read ${(err as Error).message}` });
    return;
  }
  progress.total = files.length;
  report({ ...progress });
  for (const path of files) {
    if (cancelled()) {
      report({ ...progress, phase: "failed", message: STOPPED, studyInstanceUids: [...studies] });
      return;
    }
    try {
      const object = await receivedFromFile(path, node.store);
      const result = await node.ingest.ingest({
        object,
        source: { kind: "import", actor: path, callingAeTitle: "" },
      });
      studies.add(result.studyInstanceUid);
      progress.succeeded++;
    } catch (err) {
      progress.failed++;
      progress.message =
        err instanceof IngestRefusal
          ? `${path}: ${statusName(err.status)}: ${err.message}`
          : `${path}: not DICOM or unreadable: ${(err as Error).message}`;
    }
    progress.done++;
    report({ ...progress });
  }
  report({ ...progress, phase: "done", studyInstanceUids: [...studies] });
}

export async function sendJob(
  node: Pick<HilumNode, "config" | "index" | "store">,
  jobId: string,
  studyInstanceUids: string[],
  peerAeTitle: string,
  report: Report,
  cancelled: Cancelled,
): Promise<void> {
  const progress: JobProgress = {
    jobId,
    kind: "send",
    phase: "running",
    total: 0,
    done: 0,
    succeeded: 0,
    failed: 0,
  };
  const peer = node.config.peers.find((p) => p.aeTitle === peerAeTitle);
  if (!peer) {
    report({ ...progress, phase: "failed", message: `${peerAeTitle} is not a configured peer` });
    return;
  }
  const rows = node.index.instancesForRetrieve({ level: "STUDY", studyInstanceUids });
  progress.total = rows.length;
  report({ ...progress });
  try {
    await sendToPeer(peer, archiveItems(node.store, rows), {
      callingAeTitle: node.config.aeTitle,
      tls: peer.tls ? loadNodeTls(node.config).clientFor(peer) : undefined,
      cancelled,
      onResult: (outcome) => {
        progress.done++;
        if (outcome.category === "failure") {
          progress.failed++;
          progress.message = `${statusName(outcome.status)}${outcome.error ? `: ${outcome.error}` : ""}`;
        } else {
          progress.succeeded++;
        }
        report({ ...progress });
      },
    });
  } catch (err) {
    report({ ...progress, phase: "failed", message: (err as Error).message });
    return;
  } finally {
    for (const studyUid of studyInstanceUids) {
      node.index.audit.append({
        actorType: "user",
        actor: "desktop",
        action: "send",
        outcome: progress.failed === 0 && progress.done === progress.total ? "success" : "failure",
        studyUid,
        detail: { peer: peer.aeTitle, sent: progress.succeeded, failed: progress.failed },
      });
    }
  }
  report(
    progress.done < progress.total
      ? { ...progress, phase: "failed", message: STOPPED }
      : { ...progress, phase: "done" },
  );
}
