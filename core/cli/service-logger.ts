/**
 * The service's log as `serve` writes it to stdout: pino's JSON lines for machines (a pipe, a
 * file, journald), or, on a terminal, pino-pretty's readable lines with the same fields.
 */
import { pino, type Logger } from 'pino';
import { CliError } from './cli-error.js';

export const LOG_LEVELS = ['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent'] as const;
export const LOG_FORMATS = ['auto', 'json', 'pretty'] as const;

export async function createServiceLogger(level: string, format: string, isTerminal: boolean): Promise<Logger> {
  if (!(LOG_LEVELS as readonly string[]).includes(level)) throw new CliError(`--log-level must be one of ${LOG_LEVELS.join(', ')}`, 2);
  if (!(LOG_FORMATS as readonly string[]).includes(format)) throw new CliError(`--log-format must be one of ${LOG_FORMATS.join(', ')}`, 2);
  const options = { name: 'hooklaunch', level };
  if (format === 'json' || (format === 'auto' && !isTerminal)) return pino(options);
  const { default: pretty } = await import('pino-pretty');
  // In this thread and synchronous: a line logged just before the process exits is still shown.
  return pino(options, pretty({ colorize: isTerminal, sync: true, translateTime: 'SYS:HH:MM:ss.l', ignore: 'pid,hostname,name', singleLine: true }));
}
