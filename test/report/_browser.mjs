// Headless Chromium for the report's browser tests: Debian's /usr/bin/chromium driven by
// playwright-core (never a downloaded browser), a fresh profile per launch, no background
// networking. Screenshots go to test/.artifacts/ (git-ignored, kept by CI as artifacts).
import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { REPO, requireTool } from '../helpers.mjs'

export const CHROMIUM = process.env.TASKS_TEST_CHROMIUM || '/usr/bin/chromium'
export const ARTIFACTS = join(REPO, 'test', '.artifacts')

/** True when Chromium and playwright-core are there; in CI a missing one throws (see requireTool). */
export async function haveBrowser() {
  if (!existsSync(CHROMIUM)) return requireTool(CHROMIUM, ['--version'], 'chromium (apt-get install -y chromium)')
  try {
    await import('playwright-core')
    return true
  } catch (err) {
    if (process.env.CI === 'true') throw new Error(`playwright-core is not installed: ${err.message}`)
    console.log('  SKIP: playwright-core is not installed (npm ci)')
    return false
  }
}

/**
 * Launch Chromium with a fresh profile. Returns the playwright `browser` and `close()`, which also
 * removes the profile.
 */
export async function launch() {
  const { chromium } = await import('playwright-core')
  const profile = mkdtempSync(join(tmpdir(), 'tasks-chromium-'))
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM,
    headless: true,
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      '--no-first-run',
      '--disable-dev-shm-usage',
    ],
    viewport: { width: 1280, height: 900 },
    javaScriptEnabled: false,
    offline: true,
  })
  return {
    context,
    async close() {
      await context.close().catch(() => {})
      rmSync(profile, { recursive: true, force: true })
    },
  }
}

/** `test/.artifacts/<name>`, creating the folder. */
export function artifact(name) {
  mkdirSync(ARTIFACTS, { recursive: true })
  return join(ARTIFACTS, name)
}
