import { describe, expect, it } from "vitest";
import { configSchema } from "../../electron/pacs/config/schema.js";
import { formFromConfig, patchFromForm } from "../../renderer/src/lib/desktop/settings-form.js";

const running = JSON.parse(
  JSON.stringify(
    configSchema.parse({
      peers: [{ aeTitle: "ARCHIVE", host: "pacs.example.org", port: 2762, tls: true }],
      dicom: { tls: { certFile: "/tls/a.pem", keyFile: "/tls/a.key", caFile: "/tls/ca.pem" } },
      updates: { url: "https://updates.example.org/hilum" },
    }),
  ),
) as Record<string, unknown>;

describe("the settings form", () => {
  it("sends nothing when nothing changed", () => {
    const form = formFromConfig(running);
    expect(patchFromForm(form, structuredClone(form))).toEqual({});
  });

  it("sends only what changed, as a merge patch the configuration schema accepts", () => {
    const before = formFromConfig(running);
    const after = structuredClone(before);
    after.aeTitle = " READING1 ";
    after.dicomPort = 104;
    after.peers.push({ aeTitle: "CT1", host: "10.0.0.5", port: 104, description: "", tls: false });
    after.httpTls = { ...after.httpTls, enabled: true, certFile: "/tls/web.pem", keyFile: "/tls/web.key" };
    after.dicomTls.enabled = false;
    after.updates = { enabled: false, channel: "beta", url: "" };
    const patch = patchFromForm(before, after);
    expect(patch).toEqual({
      aeTitle: "READING1",
      dicom: { port: 104, tls: null },
      http: { tls: { certFile: "/tls/web.pem", keyFile: "/tls/web.key", requireClientCertificate: false } },
      peers: [
        { aeTitle: "ARCHIVE", host: "pacs.example.org", port: 2762, tls: true },
        { aeTitle: "CT1", host: "10.0.0.5", port: 104 },
      ],
      updates: { enabled: false, channel: "beta", url: null },
    });
  });
});
