import { resolve } from "node:path";
import { svelte } from "@sveltejs/vite-plugin-svelte";
import { type Plugin, defineConfig } from "vite";

/**
 * dcmjs-codecs' browser build requires dcmjs for its Transcoder; the decode worker uses only NativeCodecs,
 * so dcmjs is replaced there by a stub that satisfies what the library reads when it loads.
 */
function dcmjsCodecsWithoutDcmjs(): Plugin {
  const stub = resolve(import.meta.dirname, "src/workers/dcmjs-stub.ts");
  return {
    name: "hilum:dcmjs-codecs-without-dcmjs",
    enforce: "pre",
    resolveId(source, importer) {
      if (source === "dcmjs" && importer?.includes("dcmjs-codecs")) return stub;
      return undefined;
    },
  };
}

/** The renderer, built to out/renderer/ and served by the node at `/` (and by Electron later). */
export default defineConfig({
  root: import.meta.dirname,
  base: "./",
  plugins: [svelte(), dcmjsCodecsWithoutDcmjs()],
  build: {
    outDir: "../out/renderer",
    emptyOutDir: true,
    target: "es2022",
    // No inline scripts or styles: the CSP allows only 'self'.
    assetsInlineLimit: 0,
    rollupOptions: {
      input: {
        main: resolve(import.meta.dirname, "index.html"),
        // One Viewport on a bare page: the image core's pixel tests and timings (test/e2e/pixels.test.ts).
        "viewport-harness": resolve(import.meta.dirname, "viewport-harness.html"),
      },
    },
  },
  worker: {
    format: "es",
    plugins: () => [dcmjsCodecsWithoutDcmjs()],
    rollupOptions: {
      onwarn(warning, warn) {
        // dcmjs-codecs' eval("fetch(…)")/eval("require(…)") never runs here: the worker supplies the WebAssembly bytes.
        if (warning.code === "EVAL" && warning.id?.includes("dcmjs-codecs")) return;
        warn(warning);
      },
    },
  },
});
