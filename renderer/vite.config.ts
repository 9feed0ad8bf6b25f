import { svelte } from "@sveltejs/vite-plugin-svelte";
import { defineConfig } from "vite";

/** The renderer, built to out/renderer/ and served by the node at `/` (and by Electron later). */
export default defineConfig({
  root: import.meta.dirname,
  base: "./",
  plugins: [svelte()],
  build: {
    outDir: "../out/renderer",
    emptyOutDir: true,
    target: "es2022",
    // No inline scripts or styles: the CSP allows only 'self'.
    assetsInlineLimit: 0,
  },
  worker: { format: "es" },
});
