/** Shared by the app API, launch and static tests: HTTP calls, problem checks, nodes with a config file. */
import { writeFileSync } from "node:fs";
import { request as httpRequest } from "node:http";
import { join } from "node:path";
import { Writable } from "node:stream";
import pino from "pino";
import { expect } from "vitest";
import { mergeConfig, readConfigFile, validateConfig } from "../../electron/pacs/config/load.js";
import type { ConfigInput } from "../../electron/pacs/config/schema.js";
import type { Logger } from "../../electron/pacs/core/logger.js";
import { type HilumNode, startNode } from "../../electron/pacs/node.js";
import { scratchDir } from "../support/hilum.js";

export interface Answer {
  status: number;
  headers: Headers;
  text: string;
  json: any; // eslint-disable-line @typescript-eslint/no-explicit-any
}

export interface CallOptions {
  method?: string;
  body?: unknown;
  token?: string;
  headers?: Record<string, string>;
}

export async function call(base: string, path: string, options: CallOptions = {}): Promise<Answer> {
  const headers: Record<string, string> = { ...options.headers };
  if (options.body !== undefined) headers["content-type"] = "application/json";
  if (options.token) headers.authorization = `Bearer ${options.token}`;
  const response = await fetch(new URL(path, base), {
    method: options.method ?? (options.body === undefined ? "GET" : "POST"),
    headers,
    body: options.body === undefined ? undefined : JSON.stringify(options.body),
    redirect: "manual",
  });
  const text = await response.text();
  let json: unknown;
  try {
    json = text ? JSON.parse(text) : undefined;
  } catch {
    json = undefined;
  }
  return { status: response.status, headers: response.headers, text, json };
}

export function expectProblem(answer: Answer, status: number, detail?: RegExp): void {
  expect(answer.status, answer.text).toBe(status);
  expect(answer.headers.get("content-type")).toMatch(/^application\/problem\+json/);
  expect(answer.json.status).toBe(status);
  if (detail) expect(answer.json.detail).toMatch(detail);
}

/** A GET with the path sent exactly as given (fetch would normalise `..` and `%2e%2e` away). */
export function rawGet(
  base: string,
  path: string,
): Promise<{ status: number; headers: Record<string, string | string[] | undefined>; text: string }> {
  const url = new URL(base);
  return new Promise((resolve, reject) => {
    const req = httpRequest(
      { host: url.hostname, port: url.port, path, method: "GET", headers: { connection: "close" } },
      (res) => {
        const chunks: Buffer[] = [];
        res.on("data", (chunk: Buffer) => chunks.push(chunk));
        res.on("end", () =>
          resolve({
            status: res.statusCode ?? 0,
            headers: res.headers,
            text: Buffer.concat(chunks).toString("utf8"),
          }),
        );
      },
    );
    req.on("error", reject);
    req.end();
  });
}

export interface FileNode {
  node: HilumNode;
  log: Logger;
  /** What the node logged, one JSON line each (nothing while the level is "silent"). */
  logLines: string[];
  configFile: string;
  dataDir: string;
  close(): Promise<void>;
}

/**
 * A node started as `npm run serve -- --config FILE` starts one: the file's text as given, with the test's
 * loopback ports, data folder and silent log as command-line overrides.
 */
export async function startNodeWithConfigFile(text: string, name = "hilum.yaml"): Promise<FileNode> {
  const dir = scratchDir("api");
  const configFile = join(dir, name);
  writeFileSync(configFile, text);
  const dataDir = join(dir, "data");
  const flags: ConfigInput = {
    dataDir,
    dicom: { port: 0, bind: "127.0.0.1" },
    http: { port: 0, bind: "127.0.0.1" },
    log: { level: "silent", file: false },
  };
  const config = validateConfig(mergeConfig(readConfigFile(configFile), flags), configFile);
  const logLines: string[] = [];
  const sink = new Writable({
    write(chunk: Buffer, _encoding, done) {
      logLines.push(...chunk.toString("utf8").split("\n").filter(Boolean));
      done();
    },
  });
  const log = pino({ level: config.log.level }, sink);
  const node = await startNode(config, log, { configFile });
  return { node, log, logLines, configFile, dataDir, close: () => node.close() };
}

/** Creates the first admin through first-run setup and accounts of the other roles; returns their tokens. */
export async function createAccounts(
  base: string,
): Promise<{ admin: string; radiologist: string; technologist: string; viewer: string }> {
  const password = "a long enough password";
  const setup = await call(base, "/api/setup", { body: { username: "admin", password } });
  expect(setup.status, setup.text).toBe(201);
  const admin = setup.json.token as string;
  const tokens = { admin, radiologist: "", technologist: "", viewer: "" };
  for (const role of ["radiologist", "technologist", "viewer"] as const) {
    const created = await call(base, "/api/users", {
      token: admin,
      body: { username: role, password, role },
    });
    expect(created.status, created.text).toBe(201);
    const login = await call(base, "/api/login", { body: { username: role, password } });
    expect(login.status, login.text).toBe(200);
    tokens[role] = login.json.token as string;
  }
  return tokens;
}
