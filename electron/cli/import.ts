import type { HilumConfig } from "../pacs/config/schema.js";
import { silentLogger } from "../pacs/core/logger.js";
import { statusName } from "../pacs/dimse/status.js";
import { collectFiles } from "../pacs/files/collect.js";
import { receivedFromFile } from "../pacs/files/dicom-file.js";
import { IngestRefusal } from "../pacs/ingest/refusal.js";
import { openLocalArchive } from "../pacs/local-archive.js";
import { type Refused, summariseRefusals } from "./commands.js";
import { ProgressBar } from "./progress.js";

export async function importCommand(paths: string[], config: HilumConfig): Promise<number> {
  const { index, store, ingest } = await openLocalArchive(config, silentLogger);
  const files = await collectFiles(paths);
  const bar = new ProgressBar("Importing", files.length);
  const refused: Refused[] = [];
  const counts = { stored: 0, replaced: 0, duplicate: 0 };
  let done = 0;
  for (const path of files) {
    try {
      const object = await receivedFromFile(path, store);
      const result = await ingest.ingest({
        object,
        source: { kind: "import", actor: path, callingAeTitle: "" },
      });
      counts[result.outcome]++;
    } catch (err) {
      const reason =
        err instanceof IngestRefusal
          ? `${statusName(err.status)}: ${err.message}`
          : `not DICOM or unreadable: ${(err as Error).message}`;
      refused.push({ path, reason });
    }
    bar.update(++done);
  }
  const seconds = bar.finish();
  await ingest.idle();
  await store.close();
  index.close();
  console.log(
    `Imported ${counts.stored} new, ${counts.replaced} replaced, ${counts.duplicate} already present, ${refused.length} refused — ${files.length} files in ${seconds.toFixed(1)} s into ${config.dataDir}`,
  );
  summariseRefusals(refused);
  return refused.length === 0 ? 0 : 1;
}
