/**
 * `npm run hilum -- user …` as a user runs it (the bundle), against a data folder, then the same
 * folder served by a node: the account made on the command line logs in over HTTP.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { CLI_BUNDLE, REPO_ROOT, scratchDir, startTestNode, type TestNode } from "../support/hilum.js";
import { type RunResult, run } from "../support/process.js";

function hilum(args: string[], input?: string): Promise<RunResult> {
  return run(process.execPath, [CLI_BUNDLE, ...args], {
    cwd: REPO_ROOT,
    timeoutMs: 60_000,
    input: input ?? "",
  });
}

/**
 * The same command on a real terminal (a pseudo-terminal from Python's pty module): the password is
 * typed, asked twice, and must not be echoed. Returns everything the terminal showed.
 */
async function onTerminal(
  args: string[],
  typed: ReadonlyArray<readonly [prompt: string, line: string]>,
): Promise<{ code: number | null; screen: string }> {
  const script = String.raw`
import json, os, pty, sys, time
args, typed = json.loads(sys.argv[1]), json.loads(sys.argv[2])
pid, fd = pty.fork()
if pid == 0:
    os.execv(args[0], args)
screen = b""
def read_until(marker, start, seconds=20):
    global screen
    end = time.time() + seconds
    while screen.find(marker, start) < 0 and time.time() < end:
        try:
            screen += os.read(fd, 4096)
        except OSError:
            return
for prompt, line in typed:
    read_until(prompt.encode(), 0)
    os.write(fd, line.encode() + b"\r")
while True:
    try:
        chunk = os.read(fd, 4096)
    except OSError:
        break
    if not chunk:
        break
    screen += chunk
_, status = os.waitpid(pid, 0)
print(json.dumps({"code": os.waitstatus_to_exitcode(status), "screen": screen.decode("utf8", "replace")}))
`;
  const result = await run(
    "/usr/bin/python3",
    ["-c", script, JSON.stringify([process.execPath, CLI_BUNDLE, ...args]), JSON.stringify(typed)],
    { cwd: REPO_ROOT, timeoutMs: 60_000 },
  );
  expect(result.code, result.stderr).toBe(0);
  return JSON.parse(result.stdout) as { code: number | null; screen: string };
}

async function login(base: string, username: string, password: string): Promise<Response> {
  return fetch(new URL("/api/login", base), {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ username, password }),
  });
}

describe("hilum user", () => {
  const dataDir = scratchDir("cli-user");
  let node: TestNode | undefined;

  beforeAll(async () => {
    // Created on the command line before any node ever ran on this folder.
    const added = await hilum(
      ["user", "add", "Dr.House", "--role", "admin", "--data", dataDir],
      "vicodin and lupus\n",
    );
    expect(added.code, added.stderr).toBe(0);
    expect(added.stdout).toContain(`created admin Dr.House in ${dataDir}`);
    expect(added.stdout + added.stderr).not.toContain("vicodin");
  });
  afterAll(async () => {
    await node?.close();
  });

  it("adds a user with the password from a pipe, who then logs in over HTTP", async () => {
    node = await startTestNode({ dataDir });
    const base = node.node.http.url;
    const setup = (await (await fetch(new URL("/api/setup", base))).json()) as { setupRequired: boolean };
    expect(setup.setupRequired).toBe(false);
    const ok = await login(base, "dr.house", "vicodin and lupus");
    expect(ok.status).toBe(200);
    const body = (await ok.json()) as { user: { name: string; role: string } };
    expect(body.user).toEqual({ name: "Dr.House", role: "admin" });
    expect((await login(base, "Dr.House", "vicodin and lupus\n")).status).toBe(401);

    const [created] = node.node.index.audit.query({ action: "user-create" });
    expect(created).toMatchObject({ actorType: "system", actor: "cli", outcome: "success" });
    expect(created?.detail).toMatchObject({ user: "Dr.House", after: { role: "admin", disabled: false } });
  });

  it("refuses a bad role, a short password, a taken name and a bad name, saying why", async () => {
    const badRole = await hilum(
      ["user", "add", "wilson", "--role", "surgeon", "--data", dataDir],
      "long enough pw\n",
    );
    expect(badRole.code).toBe(2);
    expect(badRole.stderr).toContain(
      "--role surgeon: expected one of admin, radiologist, technologist, viewer",
    );
    const noRole = await hilum(["user", "add", "wilson", "--data", dataDir], "long enough pw\n");
    expect(noRole.code).toBe(2);
    const short = await hilum(["user", "add", "wilson", "--role", "viewer", "--data", dataDir], "short\n");
    expect(short.code).toBe(2);
    expect(short.stderr).toContain("at least 10 characters");
    const taken = await hilum(
      ["user", "add", "DR.HOUSE", "--role", "viewer", "--data", dataDir],
      "long enough pw\n",
    );
    expect(taken.code).toBe(1);
    expect(taken.stderr).toContain("user DR.HOUSE exists already");
    const badName = await hilum(
      ["user", "add", "a/b", "--role", "viewer", "--data", dataDir],
      "long enough pw\n",
    );
    expect(badName.code).toBe(2);
    expect(badName.stderr).toContain('user name "a/b"');
    // Only `add` starts a new data folder: a mistyped --data is not taken for an empty node.
    const missing = await hilum(["user", "list", "--data", `${dataDir}-typo`]);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toContain(`no Hilum index at ${dataDir}-typo/index.sqlite`);
  });

  it("reads the password on a terminal without echoing it, asked twice", async () => {
    const typed = await onTerminal(
      ["user", "add", "Cuddy", "--role", "radiologist", "--data", dataDir],
      [
        ["Password for Cuddy: ", "dean of medicine"],
        ["Repeat it: ", "dean of medicine"],
      ],
    );
    expect(typed.code, typed.screen).toBe(0);
    expect(typed.screen).toContain("Password for Cuddy: ");
    expect(typed.screen).toContain("Repeat it: ");
    expect(typed.screen).toContain("created radiologist Cuddy");
    expect(typed.screen).not.toContain("dean");
    const mismatch = await onTerminal(
      ["user", "add", "Chase", "--role", "viewer", "--data", dataDir],
      [
        ["Password for Chase: ", "first password"],
        ["Repeat it: ", "second password"],
      ],
    );
    expect(mismatch.code).toBe(2);
    expect(mismatch.screen).toContain("the two passwords differ");
    expect((await login(node!.node.http.url, "Cuddy", "dean of medicine")).status).toBe(200);
  });

  it("lists, changes a password (ending sessions) and removes, never the last admin", async () => {
    const base = node!.node.http.url;
    const list = await hilum(["user", "list", "--data", dataDir, "--json"]);
    expect(list.code, list.stderr).toBe(0);
    const users = JSON.parse(list.stdout) as Array<Record<string, unknown>>;
    expect(users.map((user) => [user.name, user.role])).toEqual([
      ["Cuddy", "radiologist"],
      ["Dr.House", "admin"],
    ]);
    expect(list.stdout).not.toContain("scrypt");
    const table = await hilum(["user", "list", "--data", dataDir]);
    expect(table.stdout).toMatch(/^NAME +ROLE +STATUS +CREATED +LAST LOGIN\n/);
    expect(table.stdout).toMatch(/\nDr\.House +admin +enabled +\d{4}-\d\d-\d\d \d\d:\d\d:\d\d +\d{4}-/);

    const session = (await (await login(base, "Cuddy", "dean of medicine")).json()) as { token: string };
    const passwd = await hilum(["user", "passwd", "cuddy", "--data", dataDir], "princeton plainsboro\n");
    expect(passwd.code, passwd.stderr).toBe(0);
    // The running node sees the change at once: the old session is gone, the new password works.
    const me = await fetch(new URL("/api/me", base), {
      headers: { authorization: `Bearer ${session.token}` },
    });
    expect(me.status).toBe(401);
    expect((await login(base, "Cuddy", "dean of medicine")).status).toBe(401);
    expect((await login(base, "Cuddy", "princeton plainsboro")).status).toBe(200);

    const last = await hilum(["user", "remove", "Dr.House", "--data", dataDir]);
    expect(last.code).toBe(1);
    expect(last.stderr).toContain("Dr.House is the last enabled admin");
    const unknown = await hilum(["user", "passwd", "foreman", "--data", dataDir], "long enough pw\n");
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toContain("no user foreman");
    const removed = await hilum(["user", "remove", "CUDDY", "--data", dataDir]);
    expect(removed.code, removed.stderr).toBe(0);
    expect((await login(base, "Cuddy", "princeton plainsboro")).status).toBe(401);
    expect(node!.node.index.audit.query({ action: "user-delete" })[0]?.detail).toMatchObject({
      user: "Cuddy",
    });
  });
});
