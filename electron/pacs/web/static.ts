/**
 * Serving the renderer: `GET /` and its assets from `out/renderer/` (the Svelte build), or, when that
 * build is absent, the small built-in page in `web/static/` that says Hilum is running, lists the entry
 * points and offers first-run setup. Every page goes out with a strict Content-Security-Policy and the
 * headers cross-origin isolation needs (SharedArrayBuffer and WASM threads in the viewer).
 *
 * Files are served by @fastify/static (@fastify/send underneath): paths are decoded once, normalised and
 * resolved inside the root; `..` segments and dotfiles are refused, so nothing outside the root is reachable.
 */
import { existsSync, readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import fastifyStatic from "@fastify/static";
import type { FastifyInstance, FastifyReply } from "fastify";
import type { WebContext } from "./context.js";
import { CONTENT_SECURITY_POLICY } from "../../../shared/security/content-security-policy.js";

export { CONTENT_SECURITY_POLICY };

export const SECURITY_HEADERS: Readonly<Record<string, string>> = {
  "content-security-policy": CONTENT_SECURITY_POLICY,
  "cross-origin-opener-policy": "same-origin",
  "cross-origin-embedder-policy": "require-corp",
  "cross-origin-resource-policy": "same-origin",
  "x-content-type-options": "nosniff",
  "referrer-policy": "no-referrer",
};

export function applySecurityHeaders(reply: FastifyReply): void {
  reply.headers(SECURITY_HEADERS);
}

/** The folder holding Hilum's package.json: the source tree, or the app folder the bundles run from. */
export function findAppRoot(start: string = import.meta.dirname): string {
  for (let dir = start; ; dir = dirname(dir)) {
    const manifest = join(dir, "package.json");
    if (existsSync(manifest)) {
      try {
        if ((JSON.parse(readFileSync(manifest, "utf8")) as { name?: string }).name === "hilum") return dir;
      } catch {
        // not ours; keep looking
      }
    }
    if (dirname(dir) === dir) throw new Error(`no Hilum package.json above ${start}`);
  }
}

export interface StaticOptions {
  /** The renderer build; default `<app>/out/renderer`. */
  rendererDir?: string;
  /** The built-in page; default `<app>/electron/pacs/web/static`. */
  builtinDir?: string;
}

/**
 * The folder served at `/`: the renderer build when it has an index.html, else the built-in page;
 * undefined when neither is there (an installation without either still serves the API).
 */
export function staticRoot(options: StaticOptions = {}): { root: string; builtin: boolean } | undefined {
  let app = "";
  if (!options.rendererDir || !options.builtinDir) {
    try {
      app = findAppRoot();
    } catch {
      return undefined;
    }
  }
  const renderer = options.rendererDir ?? join(app, "out", "renderer");
  if (existsSync(join(renderer, "index.html"))) return { root: renderer, builtin: false };
  const builtin = options.builtinDir ?? join(app, "electron", "pacs", "web", "static");
  return existsSync(join(builtin, "index.html")) ? { root: builtin, builtin: true } : undefined;
}

/**
 * `GET /*` for the files of the root (decided once, at start). Unknown paths fall through to the node's
 * problem+json 404; the other route modules' paths (/api, /dicom-web, …) take precedence over the wildcard.
 */
export function registerStatic(app: FastifyInstance, ctx: WebContext, options: StaticOptions = {}): void {
  const found = staticRoot(options);
  if (!found) {
    ctx.log.warn("no renderer build and no built-in page found: / is not served");
    return;
  }
  const { root, builtin } = found;
  ctx.log.debug({ root, builtin }, "serving the renderer");
  void app.register(async (scope) => {
    scope.addHook("onSend", async (_request, reply, payload) => {
      applySecurityHeaders(reply);
      return payload;
    });
    await scope.register(fastifyStatic, {
      root,
      prefix: "/",
      wildcard: true,
      index: ["index.html"],
      dotfiles: "ignore",
      decorateReply: false,
      // Revalidated on every use (ETag / Last-Modified make that a 304): index.html names the asset files of
      // the current build, and an update must never leave a browser on a stale mix.
      cacheControl: false,
      setHeaders: (res) => {
        res.setHeader("cache-control", "no-cache");
      },
    });
  });
}
