import js from "@eslint/js";
import prettier from "eslint-config-prettier";
import svelte from "eslint-plugin-svelte";
import globals from "globals";
import tseslint from "typescript-eslint";

export default tseslint.config(
  { ignores: ["node_modules", "hilum-data", "out", "dist", "coverage", "bench/results", "scratch"] },
  js.configs.recommended,
  ...tseslint.configs.strict,
  ...svelte.configs["flat/recommended"],
  {
    languageOptions: { globals: { ...globals.node } },
    rules: {
      // With noUncheckedIndexedAccess, `!` after a checked index is the honest way to say "present".
      "@typescript-eslint/no-non-null-assertion": "off",
      "@typescript-eslint/no-unused-vars": ["error", { argsIgnorePattern: "^_", varsIgnorePattern: "^_" }],
    },
  },
  {
    files: ["electron/pacs/**", "shared/**", "electron/headless.ts", "electron/cli.ts", "electron/cli/**"],
    rules: {
      "no-restricted-imports": [
        "error",
        {
          paths: [
            { name: "electron", message: "The core (electron/pacs) and shared/ run under plain Node." },
          ],
        },
      ],
    },
  },
  {
    files: ["renderer/**"],
    languageOptions: { globals: { ...globals.browser } },
  },
  {
    files: ["renderer/**/*.svelte", "renderer/**/*.svelte.ts"],
    languageOptions: { parserOptions: { parser: tseslint.parser, extraFileExtensions: [".svelte"] } },
  },
  prettier,
  ...svelte.configs["flat/prettier"],
);
