/**
 * `npm run build` (electron-vite build): the desktop app's three bundles under out/ —
 *   out/main/     the main process (index.js), the core's utility-process entry (core.js) and its transcoding
 *                 thread (transcode-worker.js), ES modules
 *                 for Electron's Node; npm dependencies stay external and are loaded from node_modules
 *                 (better-sqlite3 is native; electron-builder ships node_modules and unpacks *.node);
 *   out/preload/  index.cjs: one CommonJS file with everything inlined, because a sandboxed preload can
 *                 require nothing but "electron";
 *   out/renderer/ the Svelte app, built by renderer/vite.config.ts's settings: the same folder
 *                 `npm run serve` serves, since in the desktop app too the core serves the renderer.
 * out/node/ (scripts/build-node.mjs, the headless server and CLI) is left alone.
 */
import { resolve } from "node:path";
import { type UserConfig, defineConfig } from "electron-vite";
import { loadConfigFromFile } from "vite";

const root = import.meta.dirname;

export default defineConfig(async ({ command, mode }): Promise<UserConfig> => {
  // Loaded by Vite itself, so that the renderer config's own paths (import.meta.dirname) stay its own.
  const loaded = await loadConfigFromFile({ command, mode }, resolve(root, "renderer/vite.config.ts"));
  if (!loaded) throw new Error("renderer/vite.config.ts not found");
  const renderer = loaded.config;
  return {
    main: {
      build: {
        sourcemap: true,
        rollupOptions: {
          input: {
            index: resolve(root, "electron/main/index.ts"),
            core: resolve(root, "electron/main/core/entry.ts"),
            "transcode-worker": resolve(root, "electron/pacs/codecs/transcode-worker.ts"),
          },
        },
      },
    },
    preload: {
      build: {
        externalizeDeps: false,
        rollupOptions: {
          input: { index: resolve(root, "electron/preload/index.ts") },
          output: { format: "cjs", entryFileNames: "[name].cjs" },
        },
      },
    },
    renderer: {
      ...renderer,
      // Minified like `npm run build:renderer` (electron-vite would not), so both builds serve the same app.
      build: { ...renderer.build, minify: "esbuild", outDir: resolve(root, "out/renderer") },
    },
  };
});
