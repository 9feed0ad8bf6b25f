/**
 * `npm run hilum -- user add|list|passwd|remove`: local accounts in a data folder's index, for the
 * first admin of a server and for recovery when no admin can log in. Works while the node runs
 * (SQLite WAL): a removed user or a new password takes effect on the node's next request.
 * Passwords are read from stdin: typed without echo on a terminal (asked twice), or the first line
 * of a pipe.
 */
import { existsSync, mkdirSync } from "node:fs";
import { userInfo } from "node:os";
import { join } from "node:path";
import { ConfigError, mergeConfig, readConfigFile, validateConfig } from "../pacs/config/load.js";
import type { HilumConfig } from "../pacs/config/schema.js";
import { type Index, openIndex } from "../pacs/db/database.js";
import { hashPassword, scryptParams } from "../pacs/web/auth/passwords.js";
import {
  isRole,
  isValidUsername,
  normalizeUsername,
  UnknownUser,
  UserExists,
  USERNAME_RULE,
  type UserInfo,
  UserStore,
} from "../pacs/web/auth/users.js";
import { ROLES } from "../pacs/web/auth/permissions.js";

const USER_USAGE = `Usage: npm run hilum -- user add NAME --role ROLE | list | passwd NAME | remove NAME
  [--data DIR | --config FILE]; roles: ${ROLES.join(", ")}; passwords are read from stdin`;

export interface UserFlags {
  role?: string;
  data?: string;
  config?: string;
  json?: boolean;
}

/** Longest password input read from a pipe. */
const MAX_INPUT = 64 * 1024;

function loadConfig(flags: UserFlags): HilumConfig {
  const fromFile = flags.config ? readConfigFile(flags.config) : {};
  return validateConfig(
    mergeConfig(fromFile, flags.data ? { dataDir: flags.data } : {}),
    flags.config ?? "defaults",
  );
}

/**
 * Lines typed on a terminal without echo, one per prompt; raw mode holds from the first prompt to the
 * last, so nothing typed ahead is ever echoed. Enter ends a line; Backspace erases; Ctrl-C, or Ctrl-D
 * on an empty line, cancels.
 */
function readHidden(prompts: readonly string[]): Promise<string[]> {
  const stdin = process.stdin;
  return new Promise((resolve, reject) => {
    const lines: string[] = [];
    let value = "";
    const finish = (error?: Error) => {
      stdin.off("data", onData);
      stdin.setRawMode(false);
      stdin.pause();
      if (error) {
        process.stderr.write("\n");
        reject(error);
      } else {
        resolve(lines);
      }
    };
    const onData = (chunk: string) => {
      for (const ch of chunk) {
        if (ch === "\u0003" || (ch === "\u0004" && value === "")) return finish(new ConfigError("cancelled"));
        if (ch === "\r" || ch === "\n") {
          lines.push(value);
          value = "";
          process.stderr.write("\n");
          const next = prompts[lines.length];
          if (next === undefined) return finish();
          process.stderr.write(next);
        } else if (ch === "\u007f" || ch === "\b") {
          value = [...value].slice(0, -1).join("");
        } else if (ch >= " ") {
          value += ch;
        }
      }
    };
    stdin.setEncoding("utf8");
    stdin.setRawMode(true);
    process.stderr.write(prompts[0] ?? "");
    stdin.on("data", onData);
    stdin.resume();
  });
}

/** The first line of a pipe (without its line ending). */
async function readPiped(): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of process.stdin as AsyncIterable<Buffer>) {
    chunks.push(chunk);
    size += chunk.length;
    if (size > MAX_INPUT) throw new ConfigError("password input on stdin is too long");
  }
  const text = Buffer.concat(chunks).toString("utf8");
  return text.split(/\r?\n/, 1)[0] ?? "";
}

async function readNewPassword(config: HilumConfig, name: string): Promise<string> {
  let password: string;
  if (process.stdin.isTTY) {
    const [first = "", again] = await readHidden([`Password for ${name}: `, "Repeat it: "]);
    if (again !== first) throw new ConfigError("the two passwords differ");
    password = first;
  } else {
    password = await readPiped();
  }
  const min = config.auth.passwordMinLength;
  if ([...password.normalize("NFC")].length < min) {
    throw new ConfigError(`the password must be at least ${min} characters (auth.passwordMinLength)`);
  }
  return password;
}

/** `add` may start a new data folder; the other commands need an existing one (a typo in --data is not a new node). */
function openUsers(config: HilumConfig, create = false): { index: Index; users: UserStore } {
  const path = join(config.dataDir, "index.sqlite");
  if (create) mkdirSync(config.dataDir, { recursive: true });
  else if (!existsSync(path)) throw new ConfigError(`no Hilum index at ${path}: check --data or --config`);
  const index = openIndex(path);
  return { index, users: new UserStore(index.connection) };
}

function audit(index: Index, action: string, detail: Record<string, unknown>): void {
  let osUser = "unknown";
  try {
    osUser = userInfo().username;
  } catch {
    // No passwd entry for this uid (containers): keep "unknown".
  }
  index.audit.append({
    actorType: "system",
    actor: "cli",
    action,
    outcome: "success",
    detail: { ...detail, osUser },
  });
}

function table(users: readonly UserInfo[]): string {
  const rows = [
    ["NAME", "ROLE", "STATUS", "CREATED", "LAST LOGIN"],
    ...users.map((u) => [
      u.name,
      u.role,
      u.disabled ? "disabled" : "enabled",
      u.createdAt.slice(0, 19).replace("T", " "),
      u.lastLoginAt ? u.lastLoginAt.slice(0, 19).replace("T", " ") : "never",
    ]),
  ];
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((row) => [...(row[i] ?? "")].length)));
  return rows
    .map((row) =>
      row
        .map((cell, i) => cell.padEnd(widths[i] ?? 0))
        .join("  ")
        .trimEnd(),
    )
    .join("\n");
}

function needName(name: string | undefined, action: string): string {
  if (!name) throw new ConfigError(`user ${action}: name the user\n\n${USER_USAGE}`);
  if (!isValidUsername(name)) throw new ConfigError(`user name ${JSON.stringify(name)}: ${USERNAME_RULE}`);
  return normalizeUsername(name);
}

export async function userCommand(args: string[], flags: UserFlags): Promise<number> {
  const [action, name, ...extra] = args;
  if (extra.length > 0)
    throw new ConfigError(`user ${action}: unexpected ${extra.join(" ")}\n\n${USER_USAGE}`);
  const config = loadConfig(flags);
  switch (action) {
    case "add": {
      const user = needName(name, "add");
      const role = flags.role;
      if (!role || !isRole(role)) {
        throw new ConfigError(`user add: --role ${role ?? "(missing)"}: expected one of ${ROLES.join(", ")}`);
      }
      // Before asking for a password, so a typo is caught at once; checked again on insert.
      const { index, users } = openUsers(config, true);
      try {
        if (users.get(user)) throw new UserExists(`user ${user} exists already`);
        const password = await readNewPassword(config, user);
        const created = users.create({
          name: user,
          role,
          passwordHash: await hashPassword(password, scryptParams(config.auth.passwordHashCost)),
        });
        audit(index, "user-create", { user: created.name, after: { role: created.role, disabled: false } });
        console.log(`created ${created.role} ${created.name} in ${config.dataDir}`);
        return 0;
      } finally {
        index.close();
      }
    }
    case "list": {
      if (name) throw new ConfigError(`user list: unexpected ${name}\n\n${USER_USAGE}`);
      const { index, users } = openUsers(config);
      try {
        const all = users.list();
        if (flags.json) console.log(JSON.stringify(all, null, 2));
        else console.log(all.length === 0 ? `no users in ${config.dataDir}` : table(all));
        return 0;
      } finally {
        index.close();
      }
    }
    case "passwd": {
      const user = needName(name, "passwd");
      const { index, users } = openUsers(config);
      try {
        const existing = users.get(user);
        if (!existing) throw new UnknownUser(`no user ${user} in ${config.dataDir}`);
        const password = await readNewPassword(config, existing.name);
        const passwordHash = await hashPassword(password, scryptParams(config.auth.passwordHashCost));
        users.update(existing.name, { passwordHash });
        audit(index, "user-update", { user: existing.name, passwordChanged: true, sessionsEnded: true });
        console.log(`new password for ${existing.name}; their sessions have ended`);
        return 0;
      } finally {
        index.close();
      }
    }
    case "remove": {
      const user = needName(name, "remove");
      const { index, users } = openUsers(config);
      try {
        const removed = users.remove(user);
        audit(index, "user-delete", {
          user: removed.name,
          before: { role: removed.role, disabled: removed.disabled },
        });
        console.log(`removed ${removed.name}`);
        return 0;
      } finally {
        index.close();
      }
    }
    default:
      throw new ConfigError(`user: expected add, list, passwd or remove\n\n${USER_USAGE}`);
  }
}
