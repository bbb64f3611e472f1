// Structured JSON logs (pino) with the service name and pid on every line.
import { pino, type DestinationStream, type Level, type Logger } from "pino";

export type { Logger };
export type LogLevel = Level | "silent";

export interface LoggerOptions {
  service: string;
  level: LogLevel;
  /** Where lines go; stdout when absent. */
  destination?: DestinationStream;
}

export function createLogger({ service, level, destination }: LoggerOptions): Logger {
  const options = { level, base: { service, pid: process.pid }, timestamp: pino.stdTimeFunctions.isoTime };
  return destination ? pino(options, destination) : pino(options);
}
