import { lookupTag } from "../../shared/dicom/dictionary.js";
import { parsePeer } from "../pacs/config/flags.js";
import type { DataSet } from "../pacs/dicom/dataset.js";
import { openAssociation } from "../pacs/dimse/scu/client.js";
import { VERIFICATION_SOP_CLASS, echo } from "../pacs/dimse/scu/echo.js";
import { type KeyValues, type Level, find, move, proposeQuery } from "../pacs/dimse/scu/query.js";
import { sendToPeer } from "../pacs/dimse/scu/store.js";
import { statusName } from "../pacs/dimse/status.js";
import { collectFiles } from "../pacs/files/collect.js";
import { type DicomFileInfo, fileStoreItem, identifyFile } from "../pacs/files/dicom-file.js";
import type { QueryModel } from "../pacs/dimse/query-models.js";
import type { ClientTls } from "../pacs/tls/contexts.js";
import { ProgressBar } from "./progress.js";

export interface Refused {
  path: string;
  reason: string;
}

export function summariseRefusals(refused: Refused[]): void {
  if (refused.length === 0) return;
  const byReason = new Map<string, string[]>();
  for (const r of refused) byReason.set(r.reason, [...(byReason.get(r.reason) ?? []), r.path]);
  console.log(`Refused ${refused.length}:`);
  for (const [reason, paths] of byReason) {
    console.log(`  ${paths.length} × ${reason}`);
    for (const path of paths) console.log(`      ${path}`);
  }
}

export async function echoCommand(target: string, callingAeTitle: string, tls?: ClientTls): Promise<number> {
  const peer = parsePeer(target);
  const started = performance.now();
  const association = await openAssociation(
    peer,
    [
      {
        abstractSyntax: VERIFICATION_SOP_CLASS,
        transferSyntaxes: ["1.2.840.10008.1.2.1", "1.2.840.10008.1.2"],
      },
    ],
    { callingAeTitle, tls },
  );
  const status = await echo(association);
  await association.release();
  console.log(
    `C-ECHO ${peer.aeTitle}@${peer.host}:${peer.port}${tls ? " (TLS)" : ""}: ${statusName(status)} in ${(performance.now() - started).toFixed(1)} ms`,
  );
  return status === 0 ? 0 : 1;
}

export async function sendCommand(
  paths: string[],
  target: string,
  callingAeTitle: string,
  tls?: ClientTls,
): Promise<number> {
  const peer = parsePeer(target);
  const files = await collectFiles(paths);
  const refused: Refused[] = [];
  const infos: DicomFileInfo[] = [];
  for (const path of files) {
    try {
      infos.push(await identifyFile(path));
    } catch (err) {
      refused.push({ path, reason: `not sendable: ${(err as Error).message}` });
    }
  }
  const bar = new ProgressBar(`Sending to ${peer.aeTitle}`, infos.length);
  let done = 0;
  const outcomes = await sendToPeer(peer, infos.map(fileStoreItem), {
    callingAeTitle,
    tls,
    onResult: () => bar.update(++done),
  });
  const seconds = bar.finish();
  const byUid = new Map(infos.map((i) => [i.sopInstanceUid, i.path]));
  for (const o of outcomes.filter((o) => o.category === "failure")) {
    refused.push({
      path: byUid.get(o.sopInstanceUid) ?? o.sopInstanceUid,
      reason: `${statusName(o.status)}${o.error ? `: ${o.error}` : ""}`,
    });
  }
  const sent = outcomes.filter((o) => o.category !== "failure").length;
  console.log(
    `Sent ${sent} of ${files.length} files to ${peer.aeTitle} in ${seconds.toFixed(1)} s (${(sent / Math.max(seconds, 0.001)).toFixed(0)} images/s)`,
  );
  summariseRefusals(refused);
  return refused.length === 0 ? 0 : 1;
}

function formatMatch(dataset: DataSet): Record<string, string> {
  const row: Record<string, string> = {};
  for (const element of dataset.elements()) {
    const keyword = lookupTag(element.tag)?.keyword ?? element.tag.toString(16);
    if (keyword === "SpecificCharacterSet") continue;
    row[keyword] = dataset.string(element.tag) ?? "";
  }
  return row;
}

export async function findCommand(
  target: string,
  callingAeTitle: string,
  model: QueryModel,
  level: Level,
  keys: KeyValues,
  json: boolean,
  tls?: ClientTls,
): Promise<number> {
  const peer = parsePeer(target);
  const association = await openAssociation(peer, [proposeQuery(model, "FIND")], { callingAeTitle, tls });
  const result = await find(association, model, level, keys);
  await association.release();
  const rows = result.matches.map(formatMatch);
  if (json) console.log(JSON.stringify(rows, null, 2));
  else
    for (const row of rows)
      console.log(
        Object.entries(row)
          .map(([k, v]) => `${k}=${v}`)
          .join("  "),
      );
  console.error(
    `${rows.length} match(es); final status ${statusName(result.status)}${result.errorComment ? `: ${result.errorComment}` : ""}`,
  );
  return result.status === 0 ? 0 : 1;
}

export async function moveCommand(
  target: string,
  callingAeTitle: string,
  model: QueryModel,
  level: Level,
  keys: KeyValues,
  destination: string,
  tls?: ClientTls,
): Promise<number> {
  const peer = parsePeer(target);
  const association = await openAssociation(peer, [proposeQuery(model, "MOVE")], { callingAeTitle, tls });
  const result = await move(association, model, level, keys, destination, (p) =>
    process.stderr.write(
      `moving: ${p.completed ?? 0} done, ${p.failed ?? 0} failed, ${p.remaining ?? "?"} remaining\n`,
    ),
  );
  await association.release();
  console.log(
    `C-MOVE to ${destination}: ${statusName(result.status)} — ${result.completed ?? 0} completed, ${result.failed ?? 0} failed, ${result.warning ?? 0} warnings`,
  );
  if (result.failedSopInstanceUids.length > 0)
    console.log(`Failed: ${result.failedSopInstanceUids.join(", ")}`);
  return result.status === 0 ? 0 : 1;
}
