/** The subset of a pino logger the store uses. */
export interface CasLogger {
  info: (obj: object, msg?: string) => void
  warn: (obj: object, msg?: string) => void
}

export const silentLogger: CasLogger = { info: () => {}, warn: () => {} }
