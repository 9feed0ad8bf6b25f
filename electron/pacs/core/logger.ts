import pino from "pino";

export type Logger = pino.Logger;

/** A logger that drops everything: the default for library calls that were given none. */
export const silentLogger: Logger = pino({ level: "silent" });
