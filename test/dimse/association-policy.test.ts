import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { openAssociation } from "../../electron/pacs/dimse/scu/client.js";
import { VERIFICATION_SOP_CLASS } from "../../electron/pacs/dimse/scu/echo.js";
import { type TestNode, startTestNode } from "../support/hilum.js";
import { echoscu } from "../support/peers.js";

describe("association policy, as DCMTK's echoscu sees it", () => {
  let open: TestNode;
  let locked: TestNode;

  beforeAll(async () => {
    open = await startTestNode({ dicom: { maxAssociations: 2 } });
    locked = await startTestNode({
      dicom: { allowUnknownCallers: false },
      peers: [{ aeTitle: "FRIEND", host: "127.0.0.1", port: 104 }],
    });
  });
  afterAll(async () => {
    await open.close();
    await locked.close();
  });

  it("accepts C-ECHO from any caller when unknown callers are allowed", async () => {
    const result = await echoscu(open.target, { callingAe: "ANYONE", extraArgs: ["-v"] });
    expect(result.code).toBe(0);
    expect(result.stderr).toContain("Received Echo Response (Success)");
  });

  it("rejects an unknown calling AE with reason 3 when the allow-list is on, and accepts a known one", async () => {
    const stranger = await echoscu(locked.target, { callingAe: "STRANGER" });
    expect(stranger.code).not.toBe(0);
    expect(stranger.stderr).toContain("Rejected Permanent, Source: Service User");
    expect(stranger.stderr).toContain("Calling AE Title Not Recognized");
    expect((await echoscu(locked.target, { callingAe: "FRIEND" })).code).toBe(0);
  });

  it("rejects a wrong called AE title with reason 7", async () => {
    const result = await echoscu({ ...open.target, aeTitle: "NOTHILUM" });
    expect(result.code).not.toBe(0);
    expect(result.stderr).toContain("Called AE Title Not Recognized");
  });

  it("rejects an association beyond the maximum with a transient local-limit reason", async () => {
    const proposal = [{ abstractSyntax: VERIFICATION_SOP_CLASS, transferSyntaxes: ["1.2.840.10008.1.2"] }];
    const held = [
      await openAssociation(open.target, proposal, { callingAeTitle: "HOLDER1" }),
      await openAssociation(open.target, proposal, { callingAeTitle: "HOLDER2" }),
    ];
    const third = await echoscu(open.target);
    expect(third.code).not.toBe(0);
    expect(third.stderr).toContain("Rejected Transient");
    expect(third.stderr).toContain("Local Limit Exceeded");
    for (const association of held) await association.release();
    expect((await echoscu(open.target)).code).toBe(0);
  });

  it("records rejected associations in the audit log", () => {
    const rows = locked.node.index.audit.query({ action: "association-rejected" });
    expect(rows.some((r) => r.actor === "STRANGER" && r.outcome === "failure")).toBe(true);
  });
});
