/**
 * Files from a drop (files and folders, folders walked recursively) or a file picker. Hidden files inside
 * dropped folders (`.DS_Store`, …) are skipped; files named one by one are always taken.
 */

/** What a dropped item is in Chromium, Firefox and Safari (the File and Directory Entries API). */
interface Entry {
  isFile: boolean;
  isDirectory: boolean;
  name: string;
}
interface FileEntry extends Entry {
  file(success: (file: File) => void, failure?: (error: unknown) => void): void;
}
interface DirectoryEntry extends Entry {
  createReader(): {
    readEntries(success: (entries: Entry[]) => void, failure?: (error: unknown) => void): void;
  };
}

function fileOf(entry: FileEntry): Promise<File> {
  return new Promise((resolve, reject) => entry.file(resolve, reject));
}

async function childrenOf(entry: DirectoryEntry): Promise<Entry[]> {
  const reader = entry.createReader();
  const all: Entry[] = [];
  // readEntries answers in chunks (100 at a time in Chromium) until it answers with none.
  for (;;) {
    const chunk = await new Promise<Entry[]>((resolve, reject) => reader.readEntries(resolve, reject));
    if (chunk.length === 0) return all;
    all.push(...chunk);
  }
}

async function walk(entry: Entry, top: boolean, out: File[]): Promise<void> {
  if (!top && entry.name.startsWith(".")) return;
  if (entry.isFile) out.push(await fileOf(entry as FileEntry));
  else if (entry.isDirectory) {
    for (const child of await childrenOf(entry as DirectoryEntry)) await walk(child, false, out);
  }
}

/**
 * The files of a drop. Call it from the drop handler itself: the items are readable only during the event
 * (their entries are taken before the first await).
 */
export function filesFromDrop(transfer: DataTransfer): Promise<File[]> {
  const entries: Entry[] = [];
  for (const item of Array.from(transfer.items)) {
    if (item.kind !== "file") continue;
    const entry = (item as DataTransferItem & { webkitGetAsEntry?: () => Entry | null }).webkitGetAsEntry?.();
    if (entry) entries.push(entry);
  }
  const plain = Array.from(transfer.files);
  if (entries.length === 0) return Promise.resolve(plain);
  return (async () => {
    const out: File[] = [];
    for (const entry of entries) await walk(entry, true, out);
    return out;
  })();
}

/** The files a file input holds (with `webkitdirectory`, every file below the chosen folder). */
export function filesFromInput(input: HTMLInputElement, skipHidden: boolean): File[] {
  const files = Array.from(input.files ?? []);
  if (!skipHidden) return files;
  return files.filter(
    (file) => !(file.webkitRelativePath || file.name).split("/").some((p) => p.startsWith(".")),
  );
}

/** A drag that carries files (not text or a link from the page). */
export function carriesFiles(transfer: DataTransfer | null): boolean {
  return transfer !== null && Array.from(transfer.types).includes("Files");
}
