import { mkdirSync } from "node:fs";
import { join } from "node:path";
import pino from "pino";
import pretty from "pino-pretty";
import type { Logger } from "./logger.js";

/** The node's logger: readable lines on the console, JSON lines in `<data>/logs/hilum.log`. */
export function createNodeLogger(options: { level: string; dataDir: string; file: boolean }): Logger {
  // The streams take every level; the logger's own level filters, so that changing it at run time
  // (PUT /api/config log.level) works in both directions, for child loggers too.
  const streams: pino.StreamEntry[] = [
    { level: "trace", stream: pretty({ colorize: process.stdout.isTTY, sync: true }) },
  ];
  if (options.file) {
    const dir = join(options.dataDir, "logs");
    mkdirSync(dir, { recursive: true });
    streams.push({
      level: "trace",
      stream: pino.destination({ dest: join(dir, "hilum.log"), mkdir: true, sync: false }),
    });
  }
  return pino({ level: options.level }, pino.multistream(streams));
}
