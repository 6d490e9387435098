/** The package's own version, read once from package.json (it enters every fingerprint). */
import { readFileSync } from 'node:fs'

/** `version` of typed-tasks' package.json, e.g. `'0.1.0'`. */
export const VERSION: string = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')).version
