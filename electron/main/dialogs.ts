/** The native file dialogs the renderer may ask for, by purpose: it never chooses the dialog's options. */
import type { OpenDialogOptions } from "electron";
import type { ChoosePurpose } from "../../shared/desktop/ipc.js";

export function dialogOptions(purpose: ChoosePurpose): OpenDialogOptions {
  switch (purpose) {
    case "import-folder":
      return { title: "Import a folder or CD", properties: ["openDirectory", "multiSelections"] };
    case "import-files":
      return {
        title: "Import DICOM files",
        properties: ["openFile", "multiSelections"],
        filters: [
          { name: "DICOM files", extensions: ["dcm", "dicom", "ima"] },
          { name: "All files", extensions: ["*"] },
        ],
      };
    case "dicomdir":
      return {
        title: "Import a DICOMDIR",
        properties: ["openFile"],
        filters: [{ name: "DICOMDIR", extensions: ["*"] }],
      };
    case "storage-folder":
      return { title: "Storage folder for the archive", properties: ["openDirectory", "createDirectory"] };
    case "tls-file":
      return {
        title: "Certificate or key (PEM)",
        properties: ["openFile"],
        filters: [
          { name: "PEM", extensions: ["pem", "crt", "key", "cer"] },
          { name: "All files", extensions: ["*"] },
        ],
      };
  }
}
