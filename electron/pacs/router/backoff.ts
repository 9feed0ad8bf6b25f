import type { RouterConfig } from "./config.js";

/**
 * When a job that has failed `attempts` times is tried again: exponential back-off capped at
 * `maxDelaySeconds`, with jitter (50–100 % of the delay) so that many jobs failed together do not
 * return together. Null when the attempts are used up: the job goes to the dead-letter list.
 */
export function nextAttemptAt(
  retry: RouterConfig["retry"],
  attempts: number,
  now: number,
  random: () => number = Math.random,
): number | null {
  const { maxAttempts, initialDelaySeconds, maxDelaySeconds } = retry;
  if (attempts >= maxAttempts) return null;
  const delay = Math.min(maxDelaySeconds, initialDelaySeconds * 2 ** (attempts - 1)) * 1000;
  return Math.round(now + delay * (0.5 + random() * 0.5));
}
