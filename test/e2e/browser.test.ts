/**
 * The app shell and the study browser in Debian's Chromium against a real node: first-run setup, login
 * (wrong password, lockout countdown, continuing to the wanted route), search filters and date shortcuts
 * against what the fixture predicts, sorting, paging, keyboard navigation, reading status set by a
 * radiologist (persisted) and refused to a viewer (UI and API), series thumbnails, import through STOW-RS,
 * and the screenshot in docs/screenshots/study-browser.png.
 */
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import type { Browser, BrowserContext, Page } from "playwright-core";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { encodePart10, uidFrom } from "../fixtures/part10.js";
import { launchBrowser } from "../support/browser.js";
import { cachedStudies } from "../support/fixture-cache.js";
import { signLaunchUrl } from "../../electron/pacs/web/launch.js";
import { REPO_ROOT, scratchDir, startTestNode, type TestNode } from "../support/hilum.js";
import { storescu } from "../support/peers.js";
import { call, createAccounts } from "../web/api-support.js";

const PASSWORD = "a long enough password";
const LAUNCH_SECRET = "an EMR launch secret of 32+ characters";
const SCREENSHOT = join(REPO_ROOT, "docs/screenshots/study-browser.png");

/** What a study in the archive should show in the list. */
interface Expected {
  studyInstanceUid: string;
  patientName: string;
  patientId: string;
  accessionNumber: string;
  /** YYYYMMDD */
  studyDate: string;
  studyTime: string;
  modality: string;
  studyDescription: string;
}

function localDate(daysAgo: number): string {
  const now = new Date();
  const day = new Date(now.getFullYear(), now.getMonth(), now.getDate() - daysAgo);
  const pad = (n: number) => String(n).padStart(2, "0");
  return `${day.getFullYear()}${pad(day.getMonth() + 1)}${pad(day.getDate())}`;
}

const iso = (da: string) => `${da.slice(0, 4)}-${da.slice(4, 6)}-${da.slice(6, 8)}`;

/** A one-instance study (8×8 CT-like pixels) written as a Part 10 file. */
function writeStudy(dir: string, study: Expected): string {
  const pixels = new Uint16Array(64).map((_, i) => (i * 37) % 4096);
  const file = join(dir, `${study.accessionNumber}.dcm`);
  writeFileSync(
    file,
    encodePart10({
      _vrMap: { PixelData: "OW" },
      SOPClassUID: "1.2.840.10008.5.1.4.1.1.7",
      SOPInstanceUID: uidFrom(`${study.studyInstanceUid}/instance`),
      StudyInstanceUID: study.studyInstanceUid,
      SeriesInstanceUID: uidFrom(`${study.studyInstanceUid}/series`),
      StudyDate: study.studyDate,
      StudyTime: study.studyTime,
      AccessionNumber: study.accessionNumber,
      Modality: study.modality,
      ConversionType: "WSD",
      StudyDescription: study.studyDescription,
      SeriesDescription: study.studyDescription,
      PatientName: study.patientName,
      PatientID: study.patientId,
      PatientBirthDate: "19600101",
      PatientSex: "F",
      SeriesNumber: "1",
      InstanceNumber: "1",
      SamplesPerPixel: 1,
      PhotometricInterpretation: "MONOCHROME2",
      Rows: 8,
      Columns: 8,
      BitsAllocated: 16,
      BitsStored: 12,
      HighBit: 11,
      PixelRepresentation: 0,
      PixelData: [pixels.buffer],
    }),
  );
  return file;
}

/** Studies dated relative to today, for the date shortcuts (the cached fixture's dates are years back). */
function recentStudies(): Expected[] {
  return [0, 1, 5, 10].map((daysAgo, index) => ({
    studyInstanceUid: uidFrom(`browser-test/recent/${daysAgo}`),
    patientName: `Recent^Case${index + 1}`,
    patientId: `RECENT${index + 1}`,
    accessionNumber: `R${String(daysAgo).padStart(7, "0")}`,
    studyDate: localDate(daysAgo),
    studyTime: "093000",
    modality: ["CT", "MR", "CR", "US"][index]!,
    studyDescription: `RECENT STUDY ${daysAgo} DAYS AGO`,
  }));
}

const fold = (text: string) => text.normalize("NFD").replace(/\p{M}/gu, "").toUpperCase();

/** The server's search box: the start of any name component, or of the patient ID or accession number. */
function matchesSearch(study: Expected, q: string): boolean {
  const key = fold(q);
  return (
    fold(study.patientName)
      .split("^")
      .some((part) => part.startsWith(key)) ||
    fold(study.patientId).startsWith(key) ||
    fold(study.accessionNumber).startsWith(key)
  );
}

const sorted = (values: string[]) => [...values].sort();

/** What the tests read in the page, typed here: the test's own type check runs without the DOM library. */
interface LoadedImage {
  complete: boolean;
  naturalWidth: number;
}
interface DropGlobals {
  DataTransfer: new () => { items: { add(file: unknown): unknown } };
  File: new (parts: Uint8Array[], name: string, options: { type: string }) => unknown;
}

/** Whether the element with this test id has the keyboard focus. */
const focused = (page: Page, testId: string) =>
  page.getByTestId(testId).evaluate((element) => element === element.ownerDocument.activeElement);

describe("the study browser", () => {
  let browser: Browser;
  let hilum: TestNode;
  let base: string;
  let all: Expected[];
  let tokens: Awaited<ReturnType<typeof createAccounts>>;
  const contexts: BrowserContext[] = [];
  const consoleErrors: string[] = [];

  beforeAll(async () => {
    const [launched, node, fixture] = await Promise.all([
      launchBrowser(),
      startTestNode({
        auth: { lockout: { failures: 2, delaySeconds: 2 } },
        launch: { hmacSecret: LAUNCH_SECRET },
      }),
      cachedStudies({ count: 60, seed: "browser-e2e" }),
    ]);
    browser = launched;
    hilum = node;
    base = hilum.node.http.url;
    const recent = recentStudies();
    const dir = scratchDir("browser-recent");
    const recentFiles = recent.map((study) => writeStudy(dir, study));
    const sent = await storescu(hilum.target, [...fixture.files, ...recentFiles]);
    expect(sent.code, sent.stderr).toBe(0);
    all = [
      ...fixture.studies.map((s) => ({
        studyInstanceUid: s.studyInstanceUid,
        patientName: s.patientName,
        patientId: s.patientId,
        accessionNumber: s.accessionNumber,
        studyDate: s.studyDate,
        studyTime: s.studyTime,
        modality: s.modality,
        studyDescription: s.studyDescription,
      })),
      ...recent,
    ];
    tokens = await createAccounts(base);
  });

  // Each test's windows close with it: open pages keep polling the node and load the machine.
  afterEach(async () => {
    await Promise.all(contexts.splice(0).map((context) => context.close().catch(() => undefined)));
  });

  afterAll(async () => {
    await browser?.close();
    await hilum?.close();
  });

  /** A 1280×800 window signed in as `role` (the session cookie of an API login), or signed out. */
  async function open(role?: keyof typeof tokens, hash = "#/studies"): Promise<Page> {
    const context = await browser.newContext({
      viewport: { width: 1280, height: 800 },
      deviceScaleFactor: 1,
    });
    contexts.push(context);
    // A wait that cannot succeed fails with the locator it waited for, well inside the test's time.
    context.setDefaultTimeout(20_000);
    if (role) await context.addCookies([{ name: "hilum_session", value: tokens[role], url: base }]);
    const page = await context.newPage();
    page.on("console", (message) => {
      // Refused logins and forced calls are expected to fail; anything else (a CSP violation…) is not.
      if (message.type() === "error" && !message.text().startsWith("Failed to load resource")) {
        consoleErrors.push(message.text());
      }
    });
    page.on("pageerror", (error) => consoleErrors.push(error.message));
    await page.goto(`${base}/${hash}`);
    return page;
  }

  const accessions = (page: Page) =>
    page.$$eval("tr.study", (rows) => rows.map((row) => row.getAttribute("data-accession") ?? ""));

  async function expectRows(page: Page, expected: string[], ordered = false): Promise<void> {
    await expect
      .poll(async () => (ordered ? accessions(page) : sorted(await accessions(page))), { timeout: 10_000 })
      .toEqual(ordered ? expected : sorted(expected));
    await expect.poll(() => page.getAttribute("[data-testid=study-table]", "aria-busy")).toBe("false");
  }

  const byDateDesc = (a: Expected, b: Expected) =>
    (b.studyDate + b.studyTime).localeCompare(a.studyDate + a.studyTime);

  it("first run: the first-admin form creates the admin and signs in", async () => {
    const fresh = await startTestNode();
    try {
      const context = await browser.newContext();
      contexts.push(context);
      context.setDefaultTimeout(20_000);
      const page = await context.newPage();
      await page.goto(`${fresh.node.http.url}/#/studies`);
      await page.getByRole("heading", { name: "Create the first administrator" }).waitFor();
      expect(new URL(page.url()).hash).toBe("#/login");
      await page.getByLabel("User name").fill("chief");
      await page.getByLabel("Password", { exact: true }).fill("short");
      await page.getByLabel("Repeat the password").fill("short");
      await page.getByRole("button", { name: "Create administrator" }).click();
      await expect
        .poll(() => page.getByTestId("login-error").textContent())
        .toMatch(/at least 10 characters/);
      await page.getByLabel("Password", { exact: true }).fill(PASSWORD);
      await page.getByLabel("Repeat the password").fill(PASSWORD);
      await page.getByRole("button", { name: "Create administrator" }).click();
      await expect
        .poll(() => page.getByTestId("current-user").textContent())
        .toMatch(/chief\s*Administrator/);
      expect(new URL(page.url()).hash).toBe("#/studies");
      await expect.poll(() => page.getByTestId("page-range").textContent()).toMatch(/0 studies/);
      // Setup is done: the node says so, and signing out leads to the ordinary login form.
      expect((await call(fresh.node.http.url, "/api/setup")).json.setupRequired).toBe(false);
      await page.getByRole("button", { name: "Log out" }).click();
      await page.getByRole("heading", { name: "Sign in" }).waitFor();
    } finally {
      // The window first: the node's close waits for the requests its pages still have open.
      await Promise.all(contexts.splice(0).map((context) => context.close()));
      await fresh.close();
    }
  });

  it("login: a wrong password is refused, the right one continues to the EMR launch's route", async () => {
    const patient = all[0]!.patientId;
    // The EMR's signed URL answers 302 to the patient's list; the viewer asks for a login first.
    const launch = signLaunchUrl({
      base,
      secret: LAUNCH_SECRET,
      target: { patientId: patient },
      ttlSeconds: 60,
    });
    const page = await open(undefined, "");
    await page.goto(launch);
    await page.getByRole("heading", { name: "Sign in" }).waitFor();
    expect(new URL(page.url()).hash).toBe("#/login");
    await page.getByLabel("User name").fill("radiologist");
    await page.getByLabel("Password").fill("not the password");
    await page.getByRole("button", { name: "Sign in" }).click();
    await expect
      .poll(() => page.getByTestId("login-error").textContent())
      .toBe("Wrong user name or password.");
    await page.getByLabel("Password").fill(PASSWORD);
    await page.getByRole("button", { name: "Sign in" }).click();
    await expect
      .poll(() => page.getByTestId("current-user").textContent())
      .toMatch(/radiologist\s*Radiologist/);
    expect(new URL(page.url()).hash).toBe(`#/patient/${patient}`);
    await expectRows(
      page,
      all.filter((s) => s.patientId === patient).map((s) => s.accessionNumber),
    );
    // Logging out ends the session: the list is out of reach until the next login.
    await page.getByRole("button", { name: "Log out" }).click();
    await page.getByRole("heading", { name: "Sign in" }).waitFor();
    await page.goto(`${base}/#/studies`);
    await page.getByRole("heading", { name: "Sign in" }).waitFor();
  });

  it("login: a locked-out name sees the Retry-After countdown, then may sign in", async () => {
    const created = await call(base, "/api/users", {
      token: tokens.admin,
      body: { username: "locked", password: PASSWORD, role: "viewer" },
    });
    expect(created.status).toBe(201);
    const page = await open(undefined, "#/login");
    await page.getByLabel("User name").fill("locked");
    const attempt = async (password: string) => {
      await page.getByLabel("Password").fill(password);
      const answered = page.waitForResponse((r) => r.url().endsWith("/api/login"));
      await page.getByRole("button", { name: "Sign in" }).click();
      return (await answered).status();
    };
    expect(await attempt("wrong password")).toBe(401);
    expect(await attempt("wrong password")).toBe(401);
    expect(await page.getByTestId("login-error").textContent()).toBe("Wrong user name or password.");
    // Locked now: even the right password is refused until Retry-After has passed.
    expect(await attempt(PASSWORD)).toBe(429);
    const countdown = page.getByTestId("lockout-countdown");
    await expect.poll(() => countdown.textContent()).toMatch(/^Try again in [12] s\.$/);
    expect(await page.getByTestId("login-error").textContent()).toMatch(/Too many failed sign-ins/);
    await page.getByLabel("Password").fill(PASSWORD);
    expect(await page.getByRole("button", { name: "Sign in" }).isDisabled()).toBe(true);
    await expect.poll(() => countdown.count(), { timeout: 5000 }).toBe(0);
    expect(await attempt(PASSWORD)).toBe(200);
    await expect.poll(() => page.getByTestId("current-user").textContent()).toMatch(/locked\s*Viewer/);
  });

  it("search filters give the rows the fixture predicts", async () => {
    const page = await open("admin");
    await expect.poll(() => page.locator("tr.study").count()).toBe(50);
    const shownAt = await page.evaluate(() => performance.now());
    const apiMs: number[] = [];
    for (let i = 0; i < 5; i++) {
      const start = performance.now();
      await call(base, "/api/studies?limit=50", { token: tokens.admin });
      apiMs.push(performance.now() - start);
    }
    console.log(
      `study list: first page (50 of ${all.length}) on screen ${shownAt.toFixed(0)} ms after navigation; ` +
        `GET /api/studies?limit=50 median ${sorted(apiMs.map((ms) => ms.toFixed(1).padStart(8)))[2]!.trim()} ms`,
    );
    await expectRows(
      page,
      [...all]
        .sort(byDateDesc)
        .slice(0, 50)
        .map((s) => s.accessionNumber),
      true,
    );
    expect(await page.getByTestId("page-range").textContent()).toMatch(`1–50 of ${all.length} studies`);

    // The search box: a name prefix common enough to match several studies, in another case.
    const families = all.map((s) => s.patientName.split("^")[0]!).filter((f) => /^[A-Za-z]{4,}$/.test(f));
    const q = families
      .map((family) => family.slice(0, 4).toLowerCase())
      .find((prefix) => all.filter((s) => matchesSearch(s, prefix)).length >= 2)!;
    const search = page.getByTestId("search");
    await search.fill(q);
    await expectRows(
      page,
      all.filter((s) => matchesSearch(s, q)).map((s) => s.accessionNumber),
    );
    expect(new URL(page.url()).hash).toBe(`#/studies?q=${q}`);
    // The patient ID box matches the start of the ID too.
    await search.fill(all[3]!.patientId);
    await expectRows(
      page,
      all.filter((s) => s.patientId === all[3]!.patientId).map((s) => s.accessionNumber),
    );
    await search.fill("");

    await page.getByTestId("filter-accession").fill(all[7]!.accessionNumber);
    await expectRows(page, [all[7]!.accessionNumber]);
    await page.getByTestId("filter-accession").fill("");

    await page.getByTestId("filter-modality").selectOption("MR");
    await expectRows(
      page,
      all.filter((s) => s.modality === "MR").map((s) => s.accessionNumber),
    );
    await page.getByTestId("filter-description").fill("chest");
    await expectRows(
      page,
      all
        .filter((s) => s.modality === "MR" && /chest/i.test(s.studyDescription))
        .map((s) => s.accessionNumber),
    );
    await page.getByTestId("filter-modality").selectOption("");
    await expectRows(
      page,
      all.filter((s) => /chest/i.test(s.studyDescription)).map((s) => s.accessionNumber),
    );
    await page.getByTestId("filter-description").fill("");

    // A date range typed in, then the shortcuts.
    await page.getByTestId("filter-from").fill("2010-01-01");
    await page.getByTestId("filter-to").fill("2014-12-31");
    await expectRows(
      page,
      all.filter((s) => s.studyDate >= "20100101" && s.studyDate <= "20141231").map((s) => s.accessionNumber),
    );
    const within = (from: number, to: number) =>
      all
        .filter((s) => s.studyDate >= localDate(from) && s.studyDate <= localDate(to))
        .sort(byDateDesc)
        .map((s) => s.accessionNumber);
    await page.click("[data-shortcut=today]");
    await expectRows(page, within(0, 0), true);
    expect(within(0, 0)).toHaveLength(1);
    expect(await page.getByTestId("filter-from").inputValue()).toBe(iso(localDate(0)));
    await page.click("[data-shortcut=yesterday]");
    await expectRows(page, within(1, 1), true);
    await page.click("[data-shortcut=last7]");
    await expectRows(page, within(6, 0), true);
    expect(within(6, 0)).toHaveLength(3);
    expect(await page.getAttribute("[data-shortcut=last7]", "aria-pressed")).toBe("true");
    await page.click("[data-shortcut=any]");
    await expect.poll(() => page.getByTestId("page-range").textContent()).toMatch(`of ${all.length} studies`);

    // The filters live in the URL: a reload (or a link) shows the same list.
    await page.getByTestId("filter-modality").selectOption("CT");
    const ct = all.filter((s) => s.modality === "CT").map((s) => s.accessionNumber);
    await expectRows(page, ct.slice(0, 50));
    await page.reload();
    await expectRows(page, ct.slice(0, 50));
    expect(await page.getByTestId("filter-modality").inputValue()).toBe("CT");
  });

  it("sorts by the column headers and pages through the list", async () => {
    const page = await open("admin", "#/studies?limit=25");
    await expect
      .poll(() => page.getByTestId("page-range").textContent())
      .toBe(`1–25 of ${all.length} studies`);
    await page.click("button[data-sort=studyDate]"); // the default sort, newest first: now oldest first
    const oldestFirst = [...all].sort((a, b) => byDateDesc(b, a)).map((s) => s.accessionNumber);
    await expectRows(page, oldestFirst.slice(0, 25), true);
    expect(await page.getAttribute("th.date", "aria-sort")).toBe("ascending");
    await page.getByTestId("next-page").click();
    await expectRows(page, oldestFirst.slice(25, 50), true);
    expect(await page.getByTestId("page-range").textContent()).toBe(`26–50 of ${all.length} studies`);
    await page.getByTestId("next-page").click();
    await expectRows(page, oldestFirst.slice(50), true);
    expect(await page.getByTestId("next-page").isDisabled()).toBe(true);
    await page.getByTestId("previous-page").click();
    await expectRows(page, oldestFirst.slice(25, 50), true);

    const column = (cls: string) =>
      page.$$eval(`tr.study td.${cls}`, (cells) => cells.map((cell) => cell.textContent?.trim() ?? ""));
    const ascending = (values: string[]) => values.every((v, i) => i === 0 || values[i - 1]! <= v);
    // Sorting starts again on the first page.
    await page.click("button[data-sort=modalities]");
    await expect
      .poll(() => page.getByTestId("page-range").textContent())
      .toBe(`1–25 of ${all.length} studies`);
    const modalities = sorted(all.map((s) => s.modality));
    await expect.poll(() => column("modality")).toEqual(modalities.slice(0, 25));
    await page.click("button[data-sort=modalities]");
    await expect.poll(() => column("modality")).toEqual([...modalities].reverse().slice(0, 25));
    expect(await page.getAttribute("th.modality", "aria-sort")).toBe("descending");
    await page.click("button[data-sort=studyDescription]");
    await expect
      .poll(() => column("description"))
      .toEqual(sorted(all.map((s) => s.studyDescription)).slice(0, 25));
    expect(ascending(await column("description"))).toBe(true);
    // A bigger page shows them all.
    await page.getByTestId("page-size").selectOption("100");
    await expect
      .poll(() => page.getByTestId("page-range").textContent())
      .toBe(`1–${all.length} of ${all.length} studies`);
  });

  it("is keyboard navigable: / focuses the search, arrows move the selection, Enter opens the study", async () => {
    const page = await open("admin");
    const expected = [...all].sort(byDateDesc);
    await expectRows(
      page,
      expected.slice(0, 50).map((s) => s.accessionNumber),
      true,
    );
    await page.keyboard.press("/");
    expect(await focused(page, "search")).toBe(true);
    await page.keyboard.press("ArrowDown"); // from the search box into the list
    expect(await focused(page, "study-table")).toBe(true);
    for (const key of ["ArrowDown", "ArrowDown", "ArrowDown", "ArrowUp"]) await page.keyboard.press(key);
    const selected = () => page.getAttribute("tr.study[aria-selected=true]", "data-uid");
    expect(await selected()).toBe(expected[2]!.studyInstanceUid);
    await page.keyboard.press("End");
    expect(await selected()).toBe(expected[49]!.studyInstanceUid);
    await page.keyboard.press("Home");
    await page.keyboard.press("ArrowDown");
    await page.keyboard.press("Enter");
    await expect.poll(() => new URL(page.url()).hash).toBe(`#/study/${expected[1]!.studyInstanceUid}`);
  });

  it("a radiologist sets reading status and priority, and they persist", async () => {
    const study = all[11]!;
    const page = await open("radiologist", `#/studies?accessionNumber=${study.accessionNumber}`);
    await expectRows(page, [study.accessionNumber]);
    const status = page.locator("tr.study select[data-kind=status]");
    const priority = page.locator("tr.study select[data-kind=priority]");
    expect(await status.inputValue()).toBe("unread");
    const saved = page.waitForResponse((r) => r.url().endsWith("/status") && r.request().method() === "PUT");
    await status.selectOption("in-progress");
    expect((await saved).status()).toBe(200);
    const savedPriority = page.waitForResponse((r) => r.url().endsWith("/status") && r.status() === 200);
    await priority.selectOption("stat");
    await savedPriority;
    await page.reload();
    await expectRows(page, [study.accessionNumber]);
    expect(await status.inputValue()).toBe("in-progress");
    expect(await priority.inputValue()).toBe("stat");
    const row = await call(base, `/api/studies?studyInstanceUid=${study.studyInstanceUid}`, {
      token: tokens.admin,
    });
    expect(row.json.studies[0]).toMatchObject({
      status: "in-progress",
      priority: "stat",
      statusChangedBy: "radiologist",
    });
    // The status filter finds it.
    await page.goto(`${base}/#/studies?status=in-progress`);
    await expectRows(page, [study.accessionNumber]);
  });

  it("a viewer sees the status but no control to change it, and the server refuses a forced change", async () => {
    const page = await open("viewer");
    await expectRows(
      page,
      [...all]
        .sort(byDateDesc)
        .slice(0, 50)
        .map((s) => s.accessionNumber),
      true,
    );
    expect(await page.locator("tr.study select").count()).toBe(0);
    expect(await page.locator("tr.study span.badge[data-kind=status]").count()).toBe(50);
    expect(await page.getByTestId("import-files").count()).toBe(0);
    const uid = all[11]!.studyInstanceUid;
    const status = await page.evaluate(async (studyUid) => {
      const response = await fetch(`/api/studies/${studyUid}/status`, {
        method: "PUT",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ status: "read" }),
      });
      return response.status;
    }, uid);
    expect(status).toBe(403);
    const row = await call(base, `/api/studies?studyInstanceUid=${uid}`, { token: tokens.admin });
    expect(row.json.studies[0].status).toBe("in-progress");
  });

  it("expanding a row shows its series thumbnails", async () => {
    const page = await open("admin");
    await expectRows(
      page,
      [...all]
        .sort(byDateDesc)
        .slice(0, 50)
        .map((s) => s.accessionNumber),
      true,
    );
    await page.locator("tr.study").nth(2).locator("[data-testid=expand]").click();
    const strip = page.getByTestId("series-thumbnails");
    const image = strip.locator("img");
    await expect.poll(() => image.count()).toBe(1);
    await expect
      .poll(() =>
        image.evaluate(
          (img) => (img as unknown as LoadedImage).complete && (img as unknown as LoadedImage).naturalWidth,
        ),
      )
      .toBeGreaterThan(0);
    expect(await strip.textContent()).toMatch(/1 image/);
    // The keyboard collapses and expands the selected row.
    await page.focus("[data-testid=study-table]");
    await page.keyboard.press("ArrowLeft");
    await expect.poll(() => strip.count()).toBe(0);
    await page.keyboard.press("ArrowRight");
    await expect.poll(() => page.getByTestId("series-thumbnails").locator("img").count()).toBe(1);
  });

  it("imports 3 files (one not DICOM): 2 stored, 1 refused, and the new rows appear", async () => {
    const dir = scratchDir("browser-import");
    const imported: Expected[] = [1, 2].map((n) => ({
      studyInstanceUid: uidFrom(`browser-test/imported/${n}`),
      patientName: "Imported^Patient",
      patientId: "IMPORTED1",
      accessionNumber: `IMP000${n}`,
      studyDate: "20230405",
      studyTime: `12${n}000`,
      modality: "OT",
      studyDescription: `IMPORTED STUDY ${n}`,
    }));
    const files = imported.map((study) => writeStudy(dir, study));
    const notes = join(dir, "notes.txt");
    writeFileSync(notes, "not a DICOM file, just notes\n".repeat(20));

    const page = await open("technologist");
    await expect.poll(() => page.getByTestId("page-range").textContent()).toMatch(`of ${all.length} studies`);
    await page.getByTestId("import-files-input").setInputFiles([files[0]!, notes, files[1]!]);
    const summary = page.getByTestId("import-summary");
    await expect
      .poll(() => summary.textContent(), { timeout: 15_000 })
      .toMatch(/Done · 2 stored · 1 refused/);
    const outcomes = await page.$$eval("[data-testid=import-file]", (items) =>
      items.map((item) => [item.getAttribute("data-outcome"), item.textContent?.replace(/\s+/g, " ").trim()]),
    );
    expect(outcomes[0]).toEqual(["stored", expect.stringMatching(/IMP0001\.dcm.*Stored$/)]);
    expect(outcomes[1]).toEqual([
      "refused",
      expect.stringMatching(/notes\.txt.*Cannot understand: not a DICOM Part 10 file.*\(C000\)$/),
    ]);
    expect(outcomes[2]).toEqual(["stored", expect.stringMatching(/IMP0002\.dcm.*Stored$/)]);
    expect(await page.locator("progress").getAttribute("value")).toBe(
      await page.locator("progress").getAttribute("max"),
    );
    all.push(...imported);
    // The list refreshed by itself.
    await expect.poll(() => page.getByTestId("page-range").textContent()).toMatch(`of ${all.length} studies`);
    await page.getByTestId("search").fill("imported");
    await expectRows(page, ["IMP0001", "IMP0002"]);
  });

  it("imports a file dropped onto the list", async () => {
    const dropped: Expected = {
      studyInstanceUid: uidFrom("browser-test/dropped"),
      patientName: "Dropped^File",
      patientId: "DROPPED1",
      accessionNumber: "DROP0001",
      studyDate: "20220301",
      studyTime: "080000",
      modality: "OT",
      studyDescription: "DROPPED STUDY",
    };
    const file = writeStudy(scratchDir("browser-drop"), dropped);
    const page = await open("admin");
    await expect.poll(() => page.getByTestId("page-range").textContent()).toMatch(`of ${all.length} studies`);
    const transfer = await page.evaluateHandle(
      ({ name, base64 }) => {
        const browser = globalThis as unknown as DropGlobals;
        const bytes = Uint8Array.from(atob(base64), (c) => c.charCodeAt(0));
        const transfer = new browser.DataTransfer();
        transfer.items.add(new browser.File([bytes], name, { type: "application/dicom" }));
        return transfer;
      },
      { name: "DROP0001.dcm", base64: readFileSync(file).toString("base64") },
    );
    const list = page.locator("tbody");
    await list.dispatchEvent("dragenter", { dataTransfer: transfer });
    await list.dispatchEvent("dragover", { dataTransfer: transfer });
    await page.locator(".drop-overlay").waitFor();
    await list.dispatchEvent("drop", { dataTransfer: transfer });
    expect(await page.locator(".drop-overlay").count()).toBe(0);
    await expect
      .poll(async () => (await page.getByTestId("import-summary").textContent())?.replace(/\s+/g, " "))
      .toMatch(/Done · 1 stored · 0 refused/);
    all.push(dropped);
    await expect.poll(() => page.getByTestId("page-range").textContent()).toMatch(`of ${all.length} studies`);
  });

  it("takes the screenshot of the study browser for the README", async () => {
    // Some variety in status and priority, as a reading room's list has.
    const marks: Array<[number, string, string]> = [
      [0, "in-progress", "urgent"],
      [2, "read", "routine"],
      [3, "unread", "stat"],
      [5, "read", "routine"],
      [6, "unread", "urgent"],
      [9, "read", "routine"],
    ];
    const list = [...all].sort(byDateDesc);
    for (const [index, status, priority] of marks) {
      const answer = await call(base, `/api/studies/${list[index]!.studyInstanceUid}/status`, {
        method: "PUT",
        token: tokens.admin,
        body: { status, priority },
      });
      expect(answer.status).toBe(200);
    }
    const page = await open("radiologist");
    await expectRows(
      page,
      list.slice(0, 50).map((s) => s.accessionNumber),
      true,
    );
    await page.locator("tr.study").nth(1).locator("[data-testid=expand]").click();
    const image = page.getByTestId("series-thumbnails").locator("img");
    await expect
      .poll(() =>
        image.evaluate(
          (img) => (img as unknown as LoadedImage).complete && (img as unknown as LoadedImage).naturalWidth,
        ),
      )
      .toBeGreaterThan(0);
    await page.focus("[data-testid=study-table]");
    await page.keyboard.press("ArrowDown");
    mkdirSync(join(REPO_ROOT, "docs/screenshots"), { recursive: true });
    await page.screenshot({ path: SCREENSHOT });
    expect(consoleErrors).toEqual([]);
  });
});
