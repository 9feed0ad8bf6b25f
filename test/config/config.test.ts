import { writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { describe, expect, it } from "vitest";
import { parseServeFlags } from "../../electron/pacs/config/flags.js";
import { ConfigError, mergeConfig, readConfigFile, validateConfig } from "../../electron/pacs/config/load.js";
import { scratchDir } from "../support/hilum.js";

describe("configuration", () => {
  it("has the embedded defaults of `npm run serve`", () => {
    const config = validateConfig({}, "defaults");
    expect(config.dataDir).toBe(resolve("./hilum-data"));
    expect(config.aeTitle).toBe("HILUM");
    expect(config.dicom).toMatchObject({ port: 11112, bind: "0.0.0.0", allowUnknownCallers: true });
    expect(config.http.port).toBe(8042);
    expect(config.peers).toEqual([]);
  });

  it("lets flags override the file, key by key", () => {
    const dir = scratchDir("config");
    const file = join(dir, "hilum.yaml");
    writeFileSync(
      file,
      "aeTitle: FROMFILE\ndicom:\n  port: 2000\n  maxAssociations: 5\nhttp:\n  port: 9000\n",
    );
    const flags = parseServeFlags([
      "--config",
      file,
      "--dicom-port",
      "3000",
      "--peer",
      "PACS@10.0.0.5:104",
      "--peer",
      "AI@ai.local:11112",
      "--allow-unknown-callers",
      "false",
    ]);
    const config = validateConfig(mergeConfig(readConfigFile(flags.configFile!), flags.overrides), file);
    expect(config.aeTitle).toBe("FROMFILE");
    expect(config.dicom).toMatchObject({ port: 3000, maxAssociations: 5, allowUnknownCallers: false });
    expect(config.http.port).toBe(9000);
    expect(config.peers).toEqual([
      { aeTitle: "PACS", host: "10.0.0.5", port: 104 },
      { aeTitle: "AI", host: "ai.local", port: 11112 },
    ]);
  });

  it("reads JSON as well as YAML", () => {
    const file = join(scratchDir("config"), "hilum.json");
    writeFileSync(file, JSON.stringify({ aeTitle: "JSONAE", peers: [{ aeTitle: "X", host: "h", port: 1 }] }));
    expect(validateConfig(readConfigFile(file), file).aeTitle).toBe("JSONAE");
  });

  it.each([
    [{ dicom: { port: 70000 } }, "dicom.port"],
    [{ aeTitle: "THIS_TITLE_IS_TOO_LONG" }, "aeTitle"],
    [{ aeTitle: "BACK\\SLASH" }, "aeTitle"],
    [{ peers: [{ aeTitle: "P", host: "h" }] }, "peers.0.port"],
    [{ dicom: { prot: 104 } }, "dicom"],
    [{ storage: { duplicates: "merge" } }, "storage.duplicates"],
  ])("names the bad key in %j", (input, key) => {
    expect(() => validateConfig(input, "test.yaml")).toThrow(ConfigError);
    expect(() => validateConfig(input, "test.yaml")).toThrow(
      new RegExp(`^invalid configuration in test.yaml:\\n  ${key.replace(".", "\\.")}`),
    );
  });

  it.each([
    [["--dicom-port", "abc"], /--dicom-port abc: expected a whole number/],
    [["--peer", "nohost"], /--peer nohost: expected AE@HOST:PORT/],
    [["--allow-unknown-callers", "maybe"], /expected true or false/],
    [["--no-such-flag"], /Unknown option '--no-such-flag'/],
  ])("refuses bad flags %j with a clear message", (argv, message) => {
    expect(() => parseServeFlags(argv)).toThrow(message);
  });

  it("refuses an unreadable or unparsable file with its path", () => {
    const dir = scratchDir("config");
    expect(() => readConfigFile(join(dir, "missing.yaml"))).toThrow(
      /cannot read configuration file .*missing\.yaml/,
    );
    const broken = join(dir, "broken.json");
    writeFileSync(broken, "{ not json");
    expect(() => readConfigFile(broken)).toThrow(/cannot parse configuration file .*broken\.json/);
  });
});

describe("the README's configuration example", () => {
  it("validates as written", async () => {
    const { readFileSync } = await import("node:fs");
    const { parse } = await import("yaml");
    const readme = readFileSync(join(import.meta.dirname, "../../README.md"), "utf8");
    const block = /### Configuration file[\s\S]*?```yaml\n([\s\S]*?)```/.exec(readme)?.[1];
    expect(block).toBeDefined();
    const config = validateConfig(parse(block!), "README.md");
    expect(config.router.rules.map((r) => r.name)).toEqual(["ct-to-reading", "all-to-cloud"]);
  });
});
