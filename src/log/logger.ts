// Structured JSON logs (pino): one line per connection, decision, queued and
// delivered message. Every component gets a child logger naming itself.

import { pino, type Logger as PinoLogger } from 'pino';

export type Logger = PinoLogger;

export function createLogger(level: string, destination?: NodeJS.WritableStream): Logger {
  return pino(
    { level, base: undefined, timestamp: pino.stdTimeFunctions.isoTime, formatters: { level: (label) => ({ level: label }) } },
    (destination ?? pino.destination({ dest: 1, sync: false })) as pino.DestinationStream,
  );
}
