/**
 * Recipes: functions that return task definitions, composed into a config by spreading them.
 * Each recipe imports the library through the recipe kit only (`../lib/doors/recipe-kit.js`);
 * heavy tools (dockerode) are loaded when a task runs, never when the config loads.
 *
 * @example
 * import { defineConfig } from 'typed-tasks'
 * import { go, docker } from 'typed-tasks/recipes'
 * export default defineConfig({ tasks: { ...go.build({ ... }), ...docker.image({ name: 'api', context: '.' }) } })
 */
export * as go from './go.js'
export * as python from './python.js'
export * as rust from './rust.js'
export * as docker from './docker/index.js'
