import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { cachedCtSeries } from "../support/fixture-cache.js";
import { REPO_ROOT, SERVE_BUNDLE, scratchDir, startTestNode } from "../support/hilum.js";
import { archived, fileDataset } from "../support/archive.js";
import { echoscu, startStorescp, storescu, movescu } from "../support/peers.js";
import { freePort } from "../support/ports.js";
import { type Service, spawnService, waitForPort } from "../support/process.js";

describe("20 associations storing at once", () => {
  it("stores every instance of every association, intact", async () => {
    const hilum = await startTestNode();
    try {
      const studies = await Promise.all(
        Array.from({ length: 20 }, (_, i) =>
          cachedCtSeries({
            slices: 15,
            rows: 256,
            columns: 256,
            patientName: `Many^P${i}`,
            patientId: `MANY${i}`,
            seed: `many-${i}`,
          }),
        ),
      );
      const results = await Promise.all(
        studies.map((s, i) => storescu(hilum.target, s.files, { callingAe: `MOD${i}` })),
      );
      for (const result of results) expect(result.code, result.stderr).toBe(0);
      expect(hilum.node.index.counts()).toMatchObject({ studies: 20, instances: 300 });
      for (const series of studies) {
        const object = await archived(hilum.node, series.sopInstanceUids[7]!);
        expect(object.dataset.equals(fileDataset(series.files[7]!))).toBe(true);
      }
    } finally {
      await hilum.close();
    }
  });
});

describe("a full disk", () => {
  let node: Service | undefined;
  afterAll(async () => {
    await node?.stop();
  });

  it("refuses with 'out of resources' once the archive is full, keeps what it acknowledged, and keeps serving", async () => {
    const series = await cachedCtSeries({
      slices: 40,
      patientName: "Full^Disk",
      patientId: "FULL40",
      seed: "full-40",
      bitsStored: 16,
    });
    const data = scratchDir("full");
    const backup = await startStorescp({ aeTitle: "BACKUP" });
    const dicomPort = await freePort();
    const httpPort = await freePort();
    // A 12 MiB tmpfs as the whole data folder, mounted in a private mount namespace (no root needed).
    const script = [
      "trap : TERM",
      `mount -t tmpfs -o size=12m tmpfs "${data}" || exit 97`,
      `"${process.execPath}" "${SERVE_BUNDLE}" --data "${data}" --bind 127.0.0.1 --dicom-port ${dicomPort} --http-port ${httpPort} --peer BACKUP@127.0.0.1:${backup.port}`,
      `echo "STAGING-LEFT: $(ls -A "${data}/archive/staging" | wc -l)"`,
    ].join("\n");
    node = spawnService("hilum-full-disk", "unshare", ["--map-root-user", "--mount", "sh", "-c", script], {
      cwd: REPO_ROOT,
      logFile: join(scratchDir("full-log"), "serve.out"),
    });
    await waitForPort(dicomPort, 30_000);
    const target = { host: "127.0.0.1", port: dicomPort, aeTitle: "HILUM" };

    const sent = await storescu(target, series.files, { extraArgs: ["-v", "--no-halt"] });
    const successes = (sent.stderr.match(/Received Store Response \(Success\)/g) ?? []).length;
    expect(successes).toBeGreaterThan(5);
    expect(successes).toBeLessThan(40);
    expect(sent.stderr).toMatch(/Refused: OutOfResources|A700/);

    const status = (await (await fetch(`http://127.0.0.1:${httpPort}/api/status`)).json()) as {
      archive: { instances: number };
    };
    expect(status.archive.instances).toBe(successes);
    expect((await echoscu(target)).code).toBe(0);

    try {
      const moved = await movescu(target, {
        level: "STUDY",
        keys: { StudyInstanceUID: series.studyInstanceUid },
        destination: "BACKUP",
      });
      expect(moved.code, moved.stderr).toBe(0);
      const received = backup.files();
      expect(received).toHaveLength(successes);
      const originals = new Map(series.files.map((f) => [fileDataset(f).toString("latin1"), f]));
      for (const file of received) expect(originals.has(fileDataset(file).toString("latin1"))).toBe(true);
    } finally {
      await backup.stop();
    }
    await node.stop();
    expect(node.log()).toMatch(/stopped cleanly/);
    expect(node.log()).toMatch(/STAGING-LEFT: 0/);
  });
});
