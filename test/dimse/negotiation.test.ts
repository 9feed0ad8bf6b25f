import { describe, expect, it } from "vitest";
import { scpCapabilities } from "../../electron/pacs/dimse/capabilities.js";
import { negotiate } from "../../electron/pacs/dimse/negotiation.js";
import { APPLICATION_CONTEXT, type AssociateRq, PduType } from "../../electron/pacs/dimse/pdu.js";

const CT = "1.2.840.10008.5.1.4.1.1.2";
const STUDY_FIND = "1.2.840.10008.5.1.4.1.2.2.1";
const IMPLICIT = "1.2.840.10008.1.2";
const EXPLICIT = "1.2.840.10008.1.2.1";
const JPEG_LS = "1.2.840.10008.1.2.4.80";

const caps = scpCapabilities({
  aeTitle: "HILUM",
  checkCalledAeTitle: true,
  allowUnknownCallers: true,
  knownAeTitles: () => [],
  extraStorageSopClasses: ["1.3.12.2.1107.5.9.1"],
  maxPduLength: 262144,
});

function request(overrides: Partial<AssociateRq> = {}): AssociateRq {
  return {
    type: PduType.AssociateRq,
    protocolVersion: 1,
    calledAeTitle: "HILUM",
    callingAeTitle: "MODALITY",
    applicationContext: APPLICATION_CONTEXT,
    contexts: [{ id: 1, abstractSyntax: CT, transferSyntaxes: [JPEG_LS, EXPLICIT] }],
    user: { maxPduLength: 16384, roles: [], other: [] },
    ...overrides,
  };
}

describe("association negotiation (acceptor)", () => {
  it("rejects a foreign application context: permanent, service user, reason 2", () => {
    const result = negotiate(request({ applicationContext: "1.2.3" }), caps);
    expect(result).toMatchObject({ kind: "reject", rj: { result: 1, source: 1, reason: 2 } });
  });

  it("rejects a protocol version without bit 0: permanent, ACSE, reason 2", () => {
    expect(negotiate(request({ protocolVersion: 2 }), caps)).toMatchObject({
      kind: "reject",
      rj: { result: 1, source: 2, reason: 2 },
    });
  });

  it("rejects when no proposed context is supported: permanent, service user, no reason", () => {
    const result = negotiate(
      request({ contexts: [{ id: 1, abstractSyntax: "1.2.3.4.5", transferSyntaxes: [IMPLICIT] }] }),
      caps,
    );
    expect(result).toMatchObject({ kind: "reject", rj: { result: 1, source: 1, reason: 1 } });
  });

  it("keeps the sender's first transfer syntax for storage, prefers explicit LE for queries", () => {
    const result = negotiate(
      request({
        contexts: [
          { id: 1, abstractSyntax: CT, transferSyntaxes: [JPEG_LS, EXPLICIT] },
          { id: 3, abstractSyntax: STUDY_FIND, transferSyntaxes: [IMPLICIT, EXPLICIT] },
          { id: 5, abstractSyntax: "1.2.3.4.5", transferSyntaxes: [IMPLICIT] },
          { id: 7, abstractSyntax: "1.3.12.2.1107.5.9.1", transferSyntaxes: [IMPLICIT] },
        ],
      }),
      caps,
    );
    if (result.kind !== "accept") throw new Error(result.why);
    expect(result.ac.contexts).toEqual([
      { id: 1, result: 0, transferSyntax: JPEG_LS },
      { id: 3, result: 0, transferSyntax: EXPLICIT },
      { id: 5, result: 3, transferSyntax: "" },
      { id: 7, result: 0, transferSyntax: IMPLICIT },
    ]);
  });

  it("accepts the SCP role for storage classes (C-GET) and echoes the role selection", () => {
    const result = negotiate(
      request({ user: { maxPduLength: 0, roles: [{ sopClassUid: CT, scu: false, scp: true }], other: [] } }),
      caps,
    );
    if (result.kind !== "accept") throw new Error(result.why);
    expect(result.ac.user.roles).toEqual([{ sopClassUid: CT, scu: false, scp: true }]);
    expect(result.contexts.get(1)).toMatchObject({ scpRole: true, scuRole: false });
  });
});

describe("store proposals", () => {
  it("splits instances over associations so each proposes at most 128 contexts", async () => {
    const { groupsForAssociations, proposeForStore } = await import("../../electron/pacs/dimse/scu/store.js");
    const items = Array.from({ length: 300 }, (_, i) => ({
      sopClassUid: `1.2.3.${i % 90}`,
      transferSyntaxUid: i % 2 === 0 ? IMPLICIT : JPEG_LS,
    }));
    const groups = groupsForAssociations(items);
    expect(groups.flat()).toEqual(items);
    for (const group of groups) expect(proposeForStore(group).length).toBeLessThanOrEqual(128);
    expect(groups.length).toBeGreaterThan(1);
  });
});
