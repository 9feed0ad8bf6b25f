import { readFileSync } from "node:fs";
import { extname, resolve } from "node:path";
import { parse as parseYaml } from "yaml";
import type { z } from "zod";
import { ConfigError } from "./errors.js";
import { type ConfigInput, type HilumConfig, configSchema } from "./schema.js";

export { ConfigError };

/** Formats zod issues as "key.path: problem" lines, so the bad key is named. */
export function describeIssues(error: z.ZodError, source: string): string {
  const lines = error.issues.map((issue) => {
    const path = issue.path.length > 0 ? issue.path.join(".") : "(root)";
    return `  ${path}: ${issue.message}`;
  });
  return `invalid configuration in ${source}:\n${lines.join("\n")}`;
}

export function readConfigFile(path: string): ConfigInput {
  let text: string;
  try {
    text = readFileSync(path, "utf8");
  } catch (err) {
    throw new ConfigError(`cannot read configuration file ${path}: ${(err as Error).message}`);
  }
  try {
    const data: unknown = extname(path).toLowerCase() === ".json" ? JSON.parse(text) : parseYaml(text);
    if (data === null || data === undefined) return {};
    if (typeof data !== "object" || Array.isArray(data)) throw new Error("the top level must be a mapping");
    return data as ConfigInput;
  } catch (err) {
    throw new ConfigError(`cannot parse configuration file ${path}: ${(err as Error).message}`);
  }
}

/** Validates the merged configuration and resolves the data folder against the working directory. */
export function validateConfig(input: unknown, source: string): HilumConfig {
  const parsed = configSchema.safeParse(input);
  if (!parsed.success) throw new ConfigError(describeIssues(parsed.error, source));
  return { ...parsed.data, dataDir: resolve(parsed.data.dataDir) };
}

/** Deep merge for plain objects; arrays and scalars in `over` replace those in `base`. */
export function mergeConfig(base: ConfigInput, over: ConfigInput): ConfigInput {
  const out: Record<string, unknown> = { ...base };
  for (const [key, value] of Object.entries(over)) {
    const current = out[key];
    out[key] =
      isPlainObject(current) && isPlainObject(value)
        ? mergeConfig(current as ConfigInput, value as ConfigInput)
        : value;
  }
  return out as ConfigInput;
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}
