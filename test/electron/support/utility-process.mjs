// Runs electron/main/core/entry.ts as Electron's utilityProcess would, in a plain Node child process:
// `process.parentPort` is made from the fork IPC channel (message events carry `data`, as in Electron).
process.parentPort = {
  on: (event, listener) => process.on(event, (data) => listener({ data })),
  postMessage: (message) => process.send(message),
};
await import("../../../electron/main/core/entry.ts");
