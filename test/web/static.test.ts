/**
 * Serving the renderer: the security headers on `/` (CSP, COOP/COEP/CORP, nosniff, no referrer), the
 * built-in page when no renderer is built (and its script driving first-run setup against the real API),
 * a renderer build served from its folder, and path traversal attempts — encoded, double-encoded,
 * backslashed, NUL — that must never read a file outside the root.
 */
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { runInNewContext } from "node:vm";
import Fastify, { type FastifyInstance } from "fastify";
import pino from "pino";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { WebContext } from "../../electron/pacs/web/context.js";
import { installProblemHandlers } from "../../electron/pacs/web/problem.js";
import { registerStatic } from "../../electron/pacs/web/static.js";
import { REPO_ROOT, scratchDir, startTestNode, type TestNode } from "../support/hilum.js";
import { call, rawGet } from "./api-support.js";

const EXPECTED_HEADERS = {
  "content-security-policy":
    "default-src 'self'; script-src 'self' 'wasm-unsafe-eval'; style-src 'self'; img-src 'self' blob: data:; " +
    "connect-src 'self'; worker-src 'self' blob:; frame-ancestors 'none'; base-uri 'none'; form-action 'self'",
  "cross-origin-opener-policy": "same-origin",
  "cross-origin-embedder-policy": "require-corp",
  "cross-origin-resource-policy": "same-origin",
  "x-content-type-options": "nosniff",
  "referrer-policy": "no-referrer",
};

const BUILTIN_DIR = join(REPO_ROOT, "electron/pacs/web/static");

function expectSecurityHeaders(headers: Headers | Record<string, unknown>, what: string): void {
  for (const [name, value] of Object.entries(EXPECTED_HEADERS)) {
    const actual = headers instanceof Headers ? headers.get(name) : headers[name];
    expect(actual, `${what}: ${name}`).toBe(value);
  }
}

/** A bare app with the static module alone, on a renderer folder of our own. */
async function staticApp(rendererDir: string): Promise<{ app: FastifyInstance; url: string }> {
  const app = Fastify();
  installProblemHandlers(app);
  registerStatic(app, { log: pino({ level: "silent" }) } as unknown as WebContext, {
    rendererDir,
    builtinDir: BUILTIN_DIR,
  });
  const url = await app.listen({ port: 0, host: "127.0.0.1" });
  return { app, url };
}

let hilum: TestNode;
let base: string;

beforeAll(async () => {
  hilum = await startTestNode({ http: { launchSecret: "s".repeat(32) } });
  base = hilum.node.http.url;
});

afterAll(async () => {
  await hilum?.close();
});

describe("GET / on a node", () => {
  it("answers HTML with the strict CSP and the cross-origin isolation headers", async () => {
    const answer = await call(base, "/");
    expect(answer.status).toBe(200);
    expect(answer.headers.get("content-type")).toMatch(/^text\/html/);
    expect(answer.headers.get("cache-control")).toBe("no-cache");
    expectSecurityHeaders(answer.headers, "/");
    const head = await fetch(new URL("/", base), { method: "HEAD" });
    expectSecurityHeaders(head.headers, "HEAD /");
  });

  it("answers unknown paths with a problem+json 404, and leaves the API's answers alone", async () => {
    const missing = await call(base, "/no/such/file.js");
    expect(missing.status).toBe(404);
    expect(missing.headers.get("content-type")).toMatch(/^application\/problem\+json/);
    const status = await call(base, "/api/status");
    expect(status.status).toBe(200);
    expect(status.headers.get("content-type")).toMatch(/^application\/json/);
  });

  it("never serves a file outside its root, however the path is written", async () => {
    const attempts = [
      "/../../../../../../etc/passwd",
      "/..%2f..%2f..%2f..%2f..%2fetc%2fpasswd",
      "/%2e%2e/%2e%2e/%2e%2e/%2e%2e/etc/passwd",
      "/%2e%2e%2f%2e%2e%2f%2e%2e%2f%2e%2e%2fetc%2fpasswd",
      "/..%5c..%5c..%5c..%5cetc%5cpasswd",
      "/%252e%252e%252f%252e%252e%252fetc%252fpasswd",
      "/hilum.js/../../../../../../etc/passwd",
      "//etc/passwd",
      "/..%2f..%2f..%2fpackage.json",
      "/../../../package.json",
      "/%2e%2e/%2e%2e/%2e%2e/package.json",
      "/../launch.ts",
      "/..%2fstatic.ts",
      "/index.html%00.js",
      "/%00../../etc/passwd",
    ];
    for (const path of attempts) {
      const answer = await rawGet(base, path);
      expect([400, 403, 404], `${path} → ${answer.status}`).toContain(answer.status);
      expect(String(answer.headers["content-type"]), path).toMatch(/^application\/problem\+json/);
      expect(answer.text, path).not.toMatch(/root:x?:0:0|"name": "hilum"|registerStatic/);
    }
    expect((await call(base, "/healthz")).status).toBe(200); // still serving
  });
});

describe("the built-in page (no renderer built)", () => {
  let builtin: { app: FastifyInstance; url: string };

  beforeAll(async () => {
    builtin = await staticApp(join(scratchDir("no-renderer"), "out-renderer"));
  });
  afterAll(async () => {
    await builtin?.app.close();
  });

  it("says Hilum is running, lists the entry points, and keeps to the CSP (no inline script or style)", async () => {
    const page = await call(builtin.url, "/");
    expect(page.status).toBe(200);
    expectSecurityHeaders(page.headers, "built-in /");
    expect(page.text).toContain("Hilum is running");
    for (const entry of ["/api/openapi.json", "/api/status", "/dicom-web", "/wado", "/launch", "/healthz"]) {
      expect(page.text).toContain(entry);
    }
    expect(page.text).toMatch(/<form id="setup-form">/);
    const scripts = [...page.text.matchAll(/<script\b([^>]*)>([\s\S]*?)<\/script>/g)];
    expect(scripts.length).toBeGreaterThan(0);
    for (const [, attributes, body] of scripts) {
      expect(attributes).toMatch(/src="\/[^"]+"/);
      expect(body!.trim()).toBe("");
    }
    expect(page.text).not.toMatch(/<style|\sstyle=|\son[a-z]+=/i);
    for (const [path, type] of [
      ["/hilum.js", /^application\/javascript/],
      ["/hilum.css", /^text\/css/],
    ] as const) {
      const asset = await call(builtin.url, path);
      expect(asset.status, path).toBe(200);
      expect(asset.headers.get("content-type"), path).toMatch(type);
      expectSecurityHeaders(asset.headers, path);
    }
  });

  it("its script offers first-run setup while no account exists, and creates the admin through /api/setup", async () => {
    const node = await startTestNode({});
    try {
      const url = node.node.http.url;
      expect((await call(url, "/api/setup")).json.setupRequired).toBe(true);
      const elements = new Map<string, FakeElement>();
      const element = (id: string) => {
        if (!elements.has(id)) elements.set(id, new FakeElement());
        return elements.get(id)!;
      };
      element("setup").hidden = true;
      const form = element("setup-form");
      form.values = {
        username: "first.admin",
        password: "a fine long password",
        repeat: "a fine long password",
      };
      runInNewContext(readFileSync(join(BUILTIN_DIR, "hilum.js"), "utf8"), {
        document: { getElementById: element },
        fetch: (path: string, init?: RequestInit) => fetch(new URL(path, url), init),
        FormData: class {
          constructor(private readonly of: FakeElement) {}
          get(name: string) {
            return this.of.values[name];
          }
        },
        console,
      });
      await until(() => element("setup").hidden === false);
      expect(element("setup-rules").textContent).toMatch(/at least \d+ characters/);
      expect(element("status").textContent).toMatch(/^Hilum \d+\.\d+\.\d+ — AE title HILUM/);
      await form.listeners.get("submit")!({ preventDefault() {} });
      await until(() => form.hidden);
      expect(element("setup").paragraph.textContent).toBe(
        "Administrator first.admin created; you are signed in.",
      );
      expect((await call(url, "/api/setup")).json.setupRequired).toBe(false);
      const login = await call(url, "/api/login", {
        body: { username: "first.admin", password: "a fine long password" },
      });
      expect(login.json.user).toEqual({ name: "first.admin", role: "admin" });
    } finally {
      await node.close();
    }
  });
});

class FakeElement {
  hidden = false;
  textContent = "";
  values: Record<string, string> = {};
  listeners = new Map<string, (event: { preventDefault(): void }) => Promise<void>>();
  readonly paragraph = { textContent: "" };
  addEventListener(type: string, listener: (event: { preventDefault(): void }) => Promise<void>) {
    this.listeners.set(type, listener);
  }
  querySelector() {
    return this.paragraph;
  }
}

async function until(condition: () => boolean, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error("timed out waiting for the page script");
    await sleep(10);
  }
}

describe("a renderer build in out/renderer", () => {
  let served: { app: FastifyInstance; url: string };

  beforeAll(async () => {
    const dir = scratchDir("renderer");
    writeFileSync(join(dir, "TOP-SECRET.txt"), "TOP SECRET: outside the root");
    const root = join(dir, "renderer");
    mkdirSync(join(root, "assets"), { recursive: true });
    writeFileSync(
      join(root, "index.html"),
      '<!doctype html><script type="module" src="/assets/app-1a2b.js"></script>',
    );
    writeFileSync(join(root, "assets", "app-1a2b.js"), "export const app = 1;\n");
    writeFileSync(join(root, "assets", "codec.wasm"), Buffer.from([0, 0x61, 0x73, 0x6d, 1, 0, 0, 0]));
    writeFileSync(join(root, ".env"), "SECRET=1");
    served = await staticApp(root);
  });
  afterAll(async () => {
    await served?.app.close();
  });

  it("serves its index and assets with the security headers", async () => {
    const index = await call(served.url, "/");
    expect(index.status).toBe(200);
    expect(index.text).toContain("/assets/app-1a2b.js");
    expect(index.text).not.toContain("Hilum is running");
    expectSecurityHeaders(index.headers, "renderer /");
    const script = await call(served.url, "/assets/app-1a2b.js");
    expect(script.headers.get("content-type")).toMatch(/^application\/javascript/);
    expectSecurityHeaders(script.headers, "asset");
    const wasm = await fetch(new URL("/assets/codec.wasm", served.url));
    expect(wasm.headers.get("content-type")).toBe("application/wasm");
  });

  it("refuses dotfiles and every way out of the root", async () => {
    for (const path of [
      "/.env",
      "/%2eenv",
      "/../TOP-SECRET.txt",
      "/..%2fTOP-SECRET.txt",
      "/%2e%2e/TOP-SECRET.txt",
      "/%2e%2e%2fTOP-SECRET.txt",
      "/assets/../../TOP-SECRET.txt",
      "/assets/%2e%2e/%2e%2e/TOP-SECRET.txt",
      "/assets/..%2f..%2fTOP-SECRET.txt",
      "/..%5cTOP-SECRET.txt",
      "/%252e%252e%252fTOP-SECRET.txt",
      "/assets%2f..%2f..%2fTOP-SECRET.txt",
      "/%c0%ae%c0%ae/TOP-SECRET.txt",
    ]) {
      const answer = await rawGet(served.url, path);
      expect([400, 403, 404], `${path} → ${answer.status}`).toContain(answer.status);
      expect(answer.text, path).not.toMatch(/TOP SECRET|SECRET=1/);
    }
    expect((await call(served.url, "/")).status).toBe(200);
  });
});
