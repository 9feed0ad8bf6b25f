/** multipart/related responses as DICOMweb frames come (RFC 2046 §5.1). */
import { describe, expect, it } from "vitest";
import {
  MultipartError,
  indexOfBytes,
  mediaTypeOf,
  mediaTypeParameter,
  parseMultipart,
} from "../../renderer/src/lib/imaging/multipart.js";

const enc = (text: string) => new TextEncoder().encode(text);

function join(...chunks: Array<string | Uint8Array>): Uint8Array {
  const parts = chunks.map((c) => (typeof c === "string" ? enc(c) : c));
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

const TYPE = 'multipart/related; type="application/octet-stream"; boundary=b0undary';

describe("multipart/related parser", () => {
  it("reads the boundary and the parameters of a media type", () => {
    expect(mediaTypeParameter(TYPE, "boundary")).toBe("b0undary");
    expect(mediaTypeParameter(TYPE, "type")).toBe("application/octet-stream");
    expect(mediaTypeParameter('multipart/related; boundary="a \\"q\\" b"', "boundary")).toBe('a "q" b');
    expect(
      mediaTypeParameter(
        "application/octet-stream; transfer-syntax=1.2.840.10008.1.2.4.50",
        "transfer-syntax",
      ),
    ).toBe("1.2.840.10008.1.2.4.50");
    expect(mediaTypeParameter("text/plain", "boundary")).toBeUndefined();
    expect(mediaTypeOf("Multipart/Related ; boundary=x")).toBe("multipart/related");
  });

  it("splits parts, reads their headers, and keeps binary bodies intact (CRLF and dashes inside)", () => {
    const binary = Uint8Array.from([0, 1, 2, 0x0d, 0x0a, 0x2d, 0x2d, 0xff, 0x0d, 0x0a]);
    const body = join(
      "--b0undary\r\n",
      "Content-Type: application/octet-stream; transfer-syntax=1.2.840.10008.1.2.1\r\n",
      "Content-Location: /frames/1\r\n\r\n",
      binary,
      "\r\n--b0undary\r\n",
      "Content-Type: image/jls; transfer-syntax=1.2.840.10008.1.2.4.80\r\n\r\n",
      "second",
      "\r\n--b0undary--\r\n",
    );
    const parts = parseMultipart(body, TYPE);
    expect(parts).toHaveLength(2);
    expect(parts[0]!.headers["content-type"]).toBe(
      "application/octet-stream; transfer-syntax=1.2.840.10008.1.2.1",
    );
    expect(parts[0]!.headers["content-location"]).toBe("/frames/1");
    expect([...parts[0]!.body]).toEqual([...binary]);
    expect(new TextDecoder().decode(parts[1]!.body)).toBe("second");
    // Bodies are views into the response, not copies.
    expect(parts[0]!.body.buffer).toBe(body.buffer);
  });

  it("uses Content-Length to skip the body (even when the body contains the boundary text)", () => {
    const tricky = enc("xx\r\n--b0undary\r\nyy");
    const body = join(
      "--b0undary\r\nContent-Length: ",
      String(tricky.length),
      "\r\n\r\n",
      tricky,
      "\r\n--b0undary--",
    );
    const [part] = parseMultipart(body, TYPE);
    expect(new TextDecoder().decode(part!.body)).toBe("xx\r\n--b0undary\r\nyy");
  });

  it("skips a preamble and an epilogue, and accepts a part without headers", () => {
    const body = join("preamble\r\n--b0undary\r\n\r\nno headers\r\n--b0undary--\r\nepilogue");
    const parts = parseMultipart(body, TYPE);
    expect(parts).toHaveLength(1);
    expect(parts[0]!.headers).toEqual({});
    expect(new TextDecoder().decode(parts[0]!.body)).toBe("no headers");
  });

  it("refuses a body without boundary, a type without boundary, and a truncated body", () => {
    expect(() => parseMultipart(enc("nothing here"), TYPE)).toThrow(MultipartError);
    expect(() => parseMultipart(enc("--b0undary\r\n\r\nx"), "multipart/related")).toThrow(/no boundary/);
    expect(() =>
      parseMultipart(enc("--b0undary\r\nContent-Type: a/b\r\n\r\nbody without end"), TYPE),
    ).toThrow(/close delimiter/);
  });

  it("finds byte sequences", () => {
    expect(indexOfBytes(enc("abcabd"), enc("abd"))).toBe(3);
    expect(indexOfBytes(enc("abc"), enc("abd"))).toBe(-1);
    expect(indexOfBytes(enc("aaa"), enc("a"), 2)).toBe(2);
  });
});
