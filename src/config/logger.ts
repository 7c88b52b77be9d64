import { pino, destination, type Logger as PinoLogger } from 'pino'

/** Structured logger (pino); child loggers carry node, job and unit ids. */
export type Logger = PinoLogger

export const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const
export type LogLevel = typeof LOG_LEVELS[number]

/** Logs JSON lines to stderr, so stdout stays free for command output. */
export function createLogger (level: LogLevel = 'info', bindings: Record<string, unknown> = {}): Logger {
  return pino({ level, base: { pid: process.pid, ...bindings } }, destination({ fd: 2, sync: false }))
}

/** A logger that drops everything: for tests and library use. */
export function silentLogger (): Logger {
  return pino({ level: 'silent' })
}
