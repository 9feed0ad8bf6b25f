/**
 * The generic provider's feed (latest.yml, beta.yml, …), read the way electron-updater reads it. The
 * settings screen's "Test" uses it to check an update URL before saving it; electron-updater itself does
 * the checks and downloads of the running app.
 */
import { parse } from "yaml";
import { z } from "zod";
import type { UpdateChannel } from "../../../shared/desktop/updates.js";

const SEMVER = /^(\d+)\.(\d+)\.(\d+)(?:-([0-9A-Za-z.-]+))?(?:\+[0-9A-Za-z.-]+)?$/;

const feedSchema = z.object({
  version: z.string().regex(SEMVER, "not a semantic version"),
  files: z
    .array(
      z.object({
        url: z.string().min(1),
        sha512: z.string().min(1),
        size: z.number().int().positive().optional(),
      }),
    )
    .min(1, "lists no files"),
  releaseDate: z.string().optional(),
});

export type UpdateFeed = z.infer<typeof feedSchema>;

export class FeedError extends Error {
  override readonly name = "FeedError";
}

/** electron-builder's channel names: "stable" is its "latest". */
export function feedChannel(channel: UpdateChannel): "latest" | "beta" {
  return channel === "stable" ? "latest" : "beta";
}

/** The feed file electron-updater asks for on a platform: latest.yml (Windows), latest-mac.yml, latest-linux.yml. */
export function feedFileName(channel: UpdateChannel, platform: string): string {
  const suffix = platform === "darwin" ? "-mac" : platform === "linux" ? "-linux" : "";
  return `${feedChannel(channel)}${suffix}.yml`;
}

export function parseFeed(text: string, name: string): UpdateFeed {
  let data: unknown;
  try {
    data = parse(text);
  } catch (err) {
    throw new FeedError(`${name} is not YAML: ${(err as Error).message.split("\n")[0]}`);
  }
  const result = feedSchema.safeParse(data);
  if (!result.success) {
    const issue = result.error.issues[0]!;
    throw new FeedError(`${name}: ${issue.path.join(".") || "document"}: ${issue.message}`);
  }
  return result.data;
}

/** Semantic-version precedence (semver.org §11): negative when a < b, 0 when equal, positive when a > b. */
export function compareVersions(a: string, b: string): number {
  const pa = SEMVER.exec(a);
  const pb = SEMVER.exec(b);
  if (!pa || !pb) throw new FeedError(`cannot compare versions "${a}" and "${b}"`);
  for (let i = 1; i <= 3; i++) {
    const diff = Number(pa[i]) - Number(pb[i]);
    if (diff !== 0) return Math.sign(diff);
  }
  const [preA, preB] = [pa[4], pb[4]];
  if (preA === undefined || preB === undefined) return preA === preB ? 0 : preA === undefined ? 1 : -1;
  const idsA = preA.split(".");
  const idsB = preB.split(".");
  for (let i = 0; i < Math.max(idsA.length, idsB.length); i++) {
    const [x, y] = [idsA[i], idsB[i]];
    if (x === undefined) return -1;
    if (y === undefined) return 1;
    const [nx, ny] = [/^\d+$/.test(x), /^\d+$/.test(y)];
    if (nx && ny && Number(x) !== Number(y)) return Math.sign(Number(x) - Number(y));
    if (nx !== ny) return nx ? -1 : 1;
    if (!nx && x !== y) return x < y ? -1 : 1;
  }
  return 0;
}

/** Fetches and checks the feed at a generic provider URL; errors say what was wrong with which URL. */
export async function fetchFeed(
  baseUrl: string,
  channel: UpdateChannel,
  platform: string,
  options: { fetch?: typeof fetch; timeoutMs?: number } = {},
): Promise<UpdateFeed> {
  const name = feedFileName(channel, platform);
  const url = new URL(name, baseUrl.endsWith("/") ? baseUrl : `${baseUrl}/`).toString();
  let response: Response;
  try {
    response = await (options.fetch ?? fetch)(url, {
      signal: AbortSignal.timeout(options.timeoutMs ?? 10_000),
      headers: { accept: "application/x-yaml, text/yaml, */*" },
    });
  } catch (err) {
    throw new FeedError(`cannot reach ${url}: ${(err as Error).message}`);
  }
  if (!response.ok) throw new FeedError(`${url} answered ${response.status} ${response.statusText}`.trim());
  return parseFeed(await response.text(), name);
}
