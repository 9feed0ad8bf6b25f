/**
 * What the operating system asks the app to open: `hilum://launch?…` links from the EMR (the protocol
 * handler) and `.dcm` files or DICOMDIRs (the file association), from the command line of the first or a
 * second instance. A hilum:// link is the web `/launch` URL under another scheme: the shell opens the
 * core's `/launch` with the same query, so the one verification (signature, expiry, patient check, audit;
 * electron/pacs/web/launch.ts) decides, exactly as for a browser.
 */
import { basename, resolve } from "node:path";

export const LAUNCH_SCHEME = "hilum";

/** The parameters `/launch` accepts (LAUNCH_PARAMETERS of electron/pacs/web/launch.ts; a test keeps them equal). */
export const LAUNCH_PARAMETERS: readonly string[] = ["patientId", "accession", "studyUid", "exp", "token"];

export class LaunchUrlError extends Error {
  override readonly name = "LaunchUrlError";
}

/**
 * The query string to hand to the core's `/launch`, from `hilum://launch?…` (or `hilum:launch?…`,
 * `hilum:///launch?…`). Only the shape is checked here: an unknown target or parameter, or no token, is
 * refused before anything is opened; the token itself is the core's to verify.
 */
export function launchQuery(link: string): string {
  let url: URL;
  try {
    url = new URL(link);
  } catch {
    throw new LaunchUrlError("not a URL");
  }
  if (url.protocol !== `${LAUNCH_SCHEME}:`) throw new LaunchUrlError(`not a ${LAUNCH_SCHEME}:// link`);
  const target = `${url.host}${url.pathname}`.replace(/^\/+|\/+$/g, "");
  if (target !== "launch")
    throw new LaunchUrlError(`unknown target "${target.slice(0, 40)}" (expected launch)`);
  for (const name of url.searchParams.keys()) {
    if (!LAUNCH_PARAMETERS.includes(name)) {
      throw new LaunchUrlError(`the link has a parameter Hilum does not know: "${name.slice(0, 40)}"`);
    }
  }
  if (!url.searchParams.has("token"))
    throw new LaunchUrlError("the link has no token: it was not signed by the EMR");
  return url.search.slice(1);
}

/** The core URL a hilum:// link opens. */
export function coreLaunchUrl(origin: string, link: string): string {
  return `${origin}/launch?${launchQuery(link)}`;
}

const isDicomFile = (arg: string) => /\.dcm$/i.test(arg) || basename(arg).toUpperCase() === "DICOMDIR";

/** hilum:// links and DICOM files among command-line arguments (Chromium's own switches are skipped). */
export function argsToOpen(argv: readonly string[], cwd: string): { links: string[]; files: string[] } {
  const links: string[] = [];
  const files: string[] = [];
  for (const arg of argv) {
    if (arg.toLowerCase().startsWith(`${LAUNCH_SCHEME}:`)) links.push(arg);
    else if (!arg.startsWith("-") && isDicomFile(arg)) files.push(resolve(cwd, arg));
  }
  return { links, files };
}
