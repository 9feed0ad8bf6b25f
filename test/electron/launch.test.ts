import { describe, expect, it } from "vitest";
import {
  LAUNCH_PARAMETERS,
  LaunchUrlError,
  argsToOpen,
  coreLaunchUrl,
  launchQuery,
} from "../../electron/main/launch-args.js";
import {
  LAUNCH_PARAMETERS as CORE_LAUNCH_PARAMETERS,
  LaunchRefused,
  signLaunchUrl,
  verifyLaunch,
} from "../../electron/pacs/web/launch.js";

const SECRET = "shared with the EMR, at least 32 characters long";
const CONFIG = { secret: SECRET, maxAgeSeconds: 300, clockSkewSeconds: 30 };
const NOW = new Date("2026-03-01T12:00:00Z");

/** What an EMR sends to the desktop: the web launch URL with its base swapped for hilum://. */
function hilumLink(target: { patientId?: string; accession?: string; studyUid?: string }): string {
  const web = signLaunchUrl({ base: "http://x", secret: SECRET, target, ttlSeconds: 120, now: NOW });
  return web.replace("http://x/launch", "hilum://launch");
}

describe("hilum:// links", () => {
  it("accept the same parameters as the web /launch", () => {
    expect(LAUNCH_PARAMETERS).toEqual([...CORE_LAUNCH_PARAMETERS]);
  });

  it("open the core's /launch with the query unchanged, which the core's own verification accepts", () => {
    const link = hilumLink({ patientId: "P 42/ä", studyUid: "1.2.840.113619.2.55.3" });
    const url = coreLaunchUrl("http://127.0.0.1:8043", link);
    expect(url.startsWith("http://127.0.0.1:8043/launch?")).toBe(true);
    const query = url.split("?")[1]!;
    expect(verifyLaunch(query, CONFIG, NOW)).toMatchObject({
      patientId: "P 42/ä",
      studyUid: "1.2.840.113619.2.55.3",
    });
    for (const variant of [
      link.replace("hilum://launch", "hilum:launch"),
      link.replace("hilum://launch", "hilum:///launch/"),
    ]) {
      expect(launchQuery(variant)).toBe(query);
    }
  });

  it("leave the token to the core: a changed or expired link is refused by the same rules as /launch", () => {
    const link = hilumLink({ accession: "A123" });
    const tampered = launchQuery(link).replace("A123", "A124");
    expect(() => verifyLaunch(tampered, CONFIG, NOW)).toThrow(LaunchRefused);
    expect(() => verifyLaunch(tampered, CONFIG, NOW)).toThrow("signature does not match");
    const later = new Date(NOW.getTime() + 3600_000);
    expect(() => verifyLaunch(launchQuery(link), CONFIG, later)).toThrow("expired");
    expect(() =>
      verifyLaunch(launchQuery(link), { ...CONFIG, secret: "another secret of at least 32 characters" }, NOW),
    ).toThrow(LaunchRefused);
  });

  it.each([
    ["another scheme", "https://launch?token=x", "not a hilum:// link"],
    ["another target", "hilum://settings?token=x", 'unknown target "settings"'],
    ["a path escape", "hilum://launch/../../etc?token=x", "unknown target"],
    [
      "an unknown parameter",
      "hilum://launch?token=x&redirect=https://evil.org",
      'parameter Hilum does not know: "redirect"',
    ],
    ["no token", "hilum://launch?studyUid=1.2.3&exp=1", "no token"],
    ["not a URL", "hilum:", "unknown target"],
  ])("are refused before anything opens: %s", (_what, link, message) => {
    expect(() => launchQuery(link)).toThrow(LaunchUrlError);
    expect(() => launchQuery(link)).toThrow(message);
  });
});

describe("command-line hand-offs", () => {
  it("finds hilum:// links and DICOM files among the arguments, skipping Chromium's switches", () => {
    expect(
      argsToOpen(
        [
          "--allow-file-access-from-files",
          "HILUM://launch?token=x",
          "study/IM0001.DCM",
          "/media/cdrom/DICOMDIR",
          "notes.txt",
          "-psn_0_1",
        ],
        "/home/rad",
      ),
    ).toEqual({
      links: ["HILUM://launch?token=x"],
      files: ["/home/rad/study/IM0001.DCM", "/media/cdrom/DICOMDIR"],
    });
    expect(argsToOpen([], "/")).toEqual({ links: [], files: [] });
  });
});
