import { describe, expect, it } from "vitest";
import {
  APPLICATION_CONTEXT,
  type AssociateAc,
  type AssociateRq,
  AbortReason,
  PduError,
  PduType,
  decodePdu,
  encodePdu,
  pdataHeader,
} from "../../electron/pacs/dimse/pdu.js";
import { PduReader } from "../../electron/pacs/dimse/pdu-reader.js";
import { CommandField, decodeCommand, encodeCommand } from "../../electron/pacs/dimse/command.js";

const rq: AssociateRq = {
  type: PduType.AssociateRq,
  protocolVersion: 1,
  calledAeTitle: "HILUM",
  callingAeTitle: "MODALITY1",
  applicationContext: APPLICATION_CONTEXT,
  contexts: [
    {
      id: 1,
      abstractSyntax: "1.2.840.10008.5.1.4.1.1.2",
      transferSyntaxes: ["1.2.840.10008.1.2.4.80", "1.2.840.10008.1.2"],
    },
    { id: 3, abstractSyntax: "1.2.840.10008.1.1", transferSyntaxes: ["1.2.840.10008.1.2"] },
  ],
  user: {
    maxPduLength: 16384,
    implementationClassUid: "1.2.3.4",
    implementationVersionName: "TEST_1",
    roles: [{ sopClassUid: "1.2.840.10008.5.1.4.1.1.2", scu: false, scp: true }],
    other: [],
  },
};

function body(pdu: Buffer): Buffer {
  return pdu.subarray(6);
}

describe("PDU codec", () => {
  it("round-trips an A-ASSOCIATE-RQ with role selection", () => {
    expect(decodePdu(PduType.AssociateRq, body(encodePdu(rq)))).toEqual(rq);
  });

  it("round-trips an A-ASSOCIATE-AC", () => {
    const ac: AssociateAc = {
      type: PduType.AssociateAc,
      protocolVersion: 1,
      calledAeTitle: "HILUM",
      callingAeTitle: "MODALITY1",
      applicationContext: APPLICATION_CONTEXT,
      contexts: [
        { id: 1, result: 0, transferSyntax: "1.2.840.10008.1.2.4.80" },
        { id: 3, result: 3, transferSyntax: "" },
      ],
      user: { maxPduLength: 262144, roles: [], other: [] },
    };
    expect(decodePdu(PduType.AssociateAc, body(encodePdu(ac)))).toEqual(ac);
  });

  it("refuses an item whose length runs past the PDU", () => {
    const bytes = Buffer.from(body(encodePdu(rq)));
    bytes.writeUInt16BE(0xffff, 68 + 2);
    expect(() => decodePdu(PduType.AssociateRq, bytes)).toThrow(PduError);
  });

  it("refuses an even presentation context ID and a non-printable AE title", () => {
    expect(() =>
      decodePdu(PduType.AssociateRq, body(encodePdu({ ...rq, contexts: [{ ...rq.contexts[0]!, id: 2 }] }))),
    ).toThrow(/even/);
    const bytes = Buffer.from(body(encodePdu(rq)));
    bytes[21] = 0x07;
    expect(() => decodePdu(PduType.AssociateRq, bytes)).toThrow(/non-printable/);
  });

  it("decodes P-DATA-TF PDVs and their control bits", () => {
    const head = pdataHeader(5, true, true, 3);
    const pdu = decodePdu(PduType.PData, Buffer.concat([head, Buffer.from([1, 2, 3])]).subarray(6));
    expect(pdu).toEqual({
      type: PduType.PData,
      pdvs: [{ contextId: 5, command: true, last: true, data: Buffer.from([1, 2, 3]) }],
    });
  });

  it("names an unknown PDU type as unrecognised", () => {
    try {
      decodePdu(0x09, Buffer.alloc(4));
      expect.unreachable();
    } catch (err) {
      expect((err as PduError).reason).toBe(AbortReason.UnrecognizedPdu);
    }
  });
});

describe("PDU reader", () => {
  it("reassembles PDUs split at every byte boundary", () => {
    const stream = Buffer.concat([encodePdu(rq), encodePdu({ type: PduType.ReleaseRq })]);
    for (let cut = 1; cut < stream.length; cut += 7) {
      const reader = new PduReader(() => 1 << 20);
      const frames = [...reader.push(stream.subarray(0, cut)), ...reader.push(stream.subarray(cut))];
      expect(frames.map((f) => f.type)).toEqual([PduType.AssociateRq, PduType.ReleaseRq]);
    }
  });

  it("refuses a PDU over the limit from its header alone", () => {
    const reader = new PduReader(() => 1000);
    expect(() => reader.push(Buffer.from([4, 0, 0, 0, 0x10, 0]))).toThrow(/above the limit of 1000/);
  });
});

describe("DIMSE command sets", () => {
  it("round-trips a C-MOVE-RQ with its move destination", () => {
    const command = {
      commandField: CommandField.CMoveRq,
      commandDataSetType: 0,
      messageId: 7,
      affectedSopClassUid: "1.2.840.10008.5.1.4.1.2.2.2",
      priority: 0,
      moveDestination: "STORESCP",
    };
    expect(decodeCommand(encodeCommand(command))).toEqual(command);
  });

  it("refuses a command set without Command Field", () => {
    expect(() => decodeCommand(Buffer.alloc(0))).toThrow(/no Command Field/);
  });
});
