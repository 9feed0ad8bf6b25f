// `npm start`: the Electron desktop shell is not part of this build yet; the same core runs headless.
console.error(
  "The Hilum desktop app (Electron) is not in this build yet.\n" +
    "Run the core PACS node instead:  npm run serve   (DICOM on port 11112, HTTP on 8042; --help for options)",
);
process.exit(1);
