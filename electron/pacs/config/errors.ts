/** A configuration file, flag or command line that cannot be used; the message says which and why. */
export class ConfigError extends Error {
  override name = "ConfigError";
}
