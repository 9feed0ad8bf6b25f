import { randomBytes } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { encodePdu, PduType, APPLICATION_CONTEXT } from "../../electron/pacs/dimse/pdu.js";
import { type TestNode, startTestNode } from "../support/hilum.js";
import { echoscu } from "../support/peers.js";
import { openRaw, pduHeader } from "./raw-socket.js";

/** Deterministic pseudo-random bytes, so a failure reproduces. */
function seeded(seed: number, length: number): Buffer {
  const out = Buffer.alloc(length);
  let x = seed;
  for (let i = 0; i < length; i++) {
    x = (x * 1103515245 + 12345) & 0x7fffffff;
    out[i] = x >> 16;
  }
  return out;
}

function associateRq(calledAeTitle: string): Buffer {
  return encodePdu({
    type: PduType.AssociateRq,
    protocolVersion: 1,
    calledAeTitle,
    callingAeTitle: "RAWTEST",
    applicationContext: APPLICATION_CONTEXT,
    contexts: [{ id: 1, abstractSyntax: "1.2.840.10008.1.1", transferSyntaxes: ["1.2.840.10008.1.2"] }],
    user: { maxPduLength: 16384, roles: [], other: [] },
  });
}

describe("hostile peers (each mishandled by dcmjs-dimse 0.3.3; DCMTK and Orthanc refuse them at once)", () => {
  let hilum: TestNode;

  beforeAll(async () => {
    hilum = await startTestNode({ dicom: { artimTimeoutSeconds: 1, idleTimeoutSeconds: 1.5 } });
  });
  afterAll(() => hilum.close());

  it("answers an A-ASSOCIATE-RQ with a random body by A-ABORT and closes", async () => {
    for (let seed = 1; seed <= 20; seed++) {
      const body = seeded(seed, 200);
      const raw = await openRaw(hilum.target.port);
      raw.send(Buffer.concat([pduHeader(PduType.AssociateRq, body.length), body]));
      const ms = await raw.closed;
      const reply = raw.received();
      expect(ms).toBeLessThan(1_500);
      expect([PduType.Abort, PduType.AssociateRj]).toContain(reply[0]);
    }
  });

  it("answers P-DATA before any association with A-ABORT (unexpected PDU)", async () => {
    const raw = await openRaw(hilum.target.port);
    const pdv = Buffer.from([0, 0, 0, 6, 1, 3, 0, 0, 0, 0]);
    raw.send(Buffer.concat([pduHeader(PduType.PData, pdv.length), pdv]));
    await raw.closed;
    const reply = raw.received();
    expect(reply[0]).toBe(PduType.Abort);
    expect(reply[8]).toBe(2); // source: service provider
    expect(reply[9]).toBe(2); // reason: unexpected PDU
  });

  it("aborts a PDU claiming ~4 GB from its header alone, while other associations keep working", async () => {
    const raw = await openRaw(hilum.target.port);
    raw.send(associateRq("HILUM"));
    await new Promise((r) => setTimeout(r, 100));
    raw.send(pduHeader(PduType.PData, 0xfffffff0));
    const junk = randomBytes(1 << 20);
    const flood = setInterval(() => raw.send(junk), 5);
    const echo = echoscu(hilum.target);
    const ms = await raw.closed;
    clearInterval(flood);
    expect(ms).toBeLessThan(2_000);
    expect(raw.received().subarray(-10)[0]).toBe(PduType.Abort);
    expect((await echo).code).toBe(0);
  });

  it("closes a connection that never sends an A-ASSOCIATE-RQ after the ARTIM timeout", async () => {
    const raw = await openRaw(hilum.target.port);
    const ms = await raw.closed;
    expect(ms).toBeGreaterThanOrEqual(900);
    expect(ms).toBeLessThan(3_000);
  });

  it("aborts an established association that stays idle past the idle timeout", async () => {
    const raw = await openRaw(hilum.target.port);
    raw.send(associateRq("HILUM"));
    const ms = await raw.closed;
    const reply = raw.received();
    expect(reply[0]).toBe(PduType.AssociateAc);
    expect(reply.subarray(-10)[0]).toBe(PduType.Abort);
    expect(ms).toBeGreaterThanOrEqual(1_400);
    expect(ms).toBeLessThan(4_000);
  });

  it("survives random-byte and truncated-PDU connections and keeps serving", async () => {
    const tasks: Promise<number>[] = [];
    for (let seed = 100; seed < 130; seed++) {
      const raw = await openRaw(hilum.target.port);
      if (seed % 2 === 0) {
        raw.send(seeded(seed, 300 + seed));
      } else {
        const rq = associateRq("HILUM");
        raw.send(rq.subarray(0, rq.length - 7));
        raw.socket.end();
      }
      tasks.push(raw.closed);
    }
    await Promise.all(tasks);
    expect((await echoscu(hilum.target)).code).toBe(0);
  });
});
