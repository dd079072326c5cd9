// The sync server's structured log: one JSON object a line (pino), to standard error by default.
import { randomBytes } from 'node:crypto';
import { pino, type DestinationStream, type LevelWithSilent, type Logger } from 'pino';

export type { DestinationStream, Logger };

/** A logger, or how to make one: its level (`silent` logs nothing) and where its lines go. */
export type LoggerOption = Logger | { level?: LevelWithSilent; destination?: DestinationStream };

/**
 * Field names that would hold a secret, blanked wherever a caller puts them, as a second line of
 * defence: the server never hands a token (nor its hash) to the logger in the first place.
 */
const SECRET_PATHS = ['token', 'tokenHash', '*.token', '*.tokenHash'];

export function createLogger(option: LoggerOption = {}): Logger {
  if (isLogger(option)) return option;
  return pino(
    { name: 'coachdesk-sync', level: option.level ?? 'info', redact: { paths: SECRET_PATHS, censor: '[secret]' } },
    // Synchronous, as console.error was: nothing is lost when the process exits right after.
    option.destination ?? pino.destination({ dest: 2, sync: true }),
  );
}

/** A logger whose every line (JSON, without its newline) is handed to `log`. */
export function lineLogger(log: (line: string) => void): Logger {
  return createLogger({ destination: { write: (line: string) => log(line.replace(/\n$/, '')) } });
}

function isLogger(option: LoggerOption): option is Logger {
  return typeof (option as Logger).child === 'function';
}

/** A short id for one connection, on each of its log lines. */
export function connectionId(): string {
  return randomBytes(4).toString('hex');
}
