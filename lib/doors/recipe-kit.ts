/**
 * The `typed-tasks/recipe-kit` door: what a recipe (a function returning task definitions: the
 * library's own in `recipes/`, or a user's) needs. The config author's types, one error class for
 * a wrong option (with did-you-mean), a command's failure, where the project's config is, shell
 * quoting and canonical JSON (for a stable `version` of a function task).
 */
export type * from '../model/config.js'
export { RecipeError, TaskCommandError, type RecipeErrorCode, type RecipeErrorDetails } from '../errors.js'
export { configRoot, CONFIG_FILES } from '../config/load.js'
export { suggest } from '../util/suggest.js'
export { shellQuote } from '../util/quote.js'
export { canonicalJson } from '../util/hash.js'
