import { describe, expect, it } from "vitest";
import { INVOKE } from "../../shared/desktop/channels.js";
import { IpcContractError, invokeRequests, parseInvoke } from "../../shared/desktop/ipc.js";
import { dispatch, registerIpc, type InvokeEvent, type InvokeHandlers } from "../../electron/main/ipc.js";

const ORIGIN = "http://127.0.0.1:8043";
const event = (url = `${ORIGIN}/#/studies`): InvokeEvent => ({ sender: { id: 7 }, senderFrame: { url } });

describe("the IPC contract", () => {
  it("has a schema for every request channel", () => {
    expect(Object.keys(invokeRequests).sort()).toEqual(Object.values(INVOKE).sort());
  });

  it("accepts valid requests", () => {
    expect(parseInvoke(INVOKE.displays, [])).toBeUndefined();
    expect(parseInvoke(INVOKE.fullScreen, [{ fullScreen: true }])).toEqual({ fullScreen: true });
    expect(parseInvoke(INVOKE.choose, [{ purpose: "dicomdir" }])).toEqual({ purpose: "dicomdir" });
    expect(
      parseInvoke(INVOKE.importPaths, [{ paths: ["/media/cdrom", "C:\\Studies\\a.dcm", "\\\\srv\\share"] }]),
    ).toEqual({
      paths: ["/media/cdrom", "C:\\Studies\\a.dcm", "\\\\srv\\share"],
    });
    expect(
      parseInvoke(INVOKE.sendStudies, [{ studyInstanceUids: ["1.2.840.113619.2.55.3"], peer: "ARCHIVE" }]),
    ).toEqual({
      studyInstanceUids: ["1.2.840.113619.2.55.3"],
      peer: "ARCHIVE",
    });
    expect(
      parseInvoke(INVOKE.updateTestFeed, [{ url: "https://updates.example.org/hilum", channel: "beta" }]),
    ).toEqual({
      url: "https://updates.example.org/hilum",
      channel: "beta",
    });
  });

  it.each([
    ["an unknown channel", "fs:read", [{}], 'unknown desktop IPC channel "fs:read"'],
    ["an argument where none is taken", INVOKE.displays, [{ x: 1 }], '"displays:layout" refused: argument:'],
    ["two arguments", INVOKE.fullScreen, [{ fullScreen: true }, 1], "takes one argument, got 2"],
    ["a missing argument", INVOKE.fullScreen, [], '"window:set-full-screen" refused: argument:'],
    [
      "a wrong type",
      INVOKE.fullScreen,
      [{ fullScreen: "yes" }],
      "fullScreen: Invalid input: expected boolean",
    ],
    [
      "an extra key",
      INVOKE.fullScreen,
      [{ fullScreen: true, devTools: true }],
      'Unrecognized key: "devTools"',
    ],
    ["an unknown dialog purpose", INVOKE.choose, [{ purpose: "any-file" }], "purpose: Invalid option"],
    ["a relative path", INVOKE.importPaths, [{ paths: ["../../etc"] }], "paths.0: must be an absolute path"],
    [
      "a NUL in a path",
      INVOKE.importPaths,
      [{ paths: ["/tmp/a\0b"] }],
      "paths.0: a path cannot hold a NUL character",
    ],
    ["no path at all", INVOKE.importPaths, [{ paths: [] }], "paths: nothing to import"],
    [
      "a UID that is not one",
      INVOKE.sendStudies,
      [{ studyInstanceUids: ["1.2.abc"], peer: "A" }],
      "studyInstanceUids.0: not a DICOM UID",
    ],
    [
      "a long AE title",
      INVOKE.sendStudies,
      [{ studyInstanceUids: ["1.2"], peer: "A".repeat(17) }],
      "peer: AE title is longer than 16",
    ],
    [
      "a file: feed URL",
      INVOKE.updateTestFeed,
      [{ url: "file:///etc/passwd", channel: "stable" }],
      "url: must be an http(s) URL",
    ],
    [
      "an unknown channel name",
      INVOKE.updateTestFeed,
      [{ url: "https://x.org", channel: "nightly" }],
      "channel: Invalid option",
    ],
  ])("rejects %s with a clear error", (_what, channel, args, message) => {
    expect(() => parseInvoke(channel, args)).toThrow(IpcContractError);
    expect(() => parseInvoke(channel, args)).toThrow(message);
  });
});

describe("dispatching requests in main", () => {
  const calls: unknown[] = [];
  const handlers = Object.fromEntries(
    Object.values(INVOKE).map((channel) => [
      channel,
      (request: unknown, sender: unknown) => {
        calls.push({ channel, request, sender });
        return { ok: channel };
      },
    ]),
  ) as unknown as InvokeHandlers;
  const trusted = (url: string) => new URL(url).origin === ORIGIN;

  it("runs the handler with the validated request and the sender", async () => {
    calls.length = 0;
    await expect(
      dispatch(handlers, trusted, INVOKE.fullScreen, event(), [{ fullScreen: false }]),
    ).resolves.toEqual({
      ok: INVOKE.fullScreen,
    });
    expect(calls).toEqual([
      {
        channel: INVOKE.fullScreen,
        request: { fullScreen: false },
        sender: { id: 7, url: `${ORIGIN}/#/studies` },
      },
    ]);
  });

  it("never runs the handler for a bad message or a foreign sender", async () => {
    calls.length = 0;
    await expect(
      dispatch(handlers, trusted, INVOKE.importPaths, event(), [{ paths: ["relative"] }]),
    ).rejects.toThrow(IpcContractError);
    await expect(
      dispatch(handlers, trusted, INVOKE.launchSecret, event("https://evil.example.org/"), []),
    ).rejects.toThrow("did not come from Hilum's own page");
    await expect(
      dispatch(handlers, trusted, INVOKE.launchSecret, { sender: { id: 1 }, senderFrame: null }, []),
    ).rejects.toThrow(IpcContractError);
    expect(calls).toEqual([]);
  });

  it("registers every channel and reports refusals", async () => {
    const registered = new Map<string, (event: InvokeEvent, ...args: unknown[]) => unknown>();
    const refused: string[] = [];
    registerIpc(
      { handle: (channel, listener) => registered.set(channel, listener) },
      handlers,
      trusted,
      (err) => refused.push(err.message),
    );
    expect([...registered.keys()].sort()).toEqual(Object.values(INVOKE).sort());
    await expect(registered.get(INVOKE.choose)!(event(), { purpose: "nope" })).rejects.toThrow("purpose");
    expect(refused).toHaveLength(1);
    await expect(registered.get(INVOKE.choose)!(event(), { purpose: "import-folder" })).resolves.toEqual({
      ok: INVOKE.choose,
    });
  });
});
