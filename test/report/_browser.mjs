// Headless Chromium for the report's browser tests: Debian's /usr/bin/chromium driven by
// playwright-core (never a downloaded browser), a fresh profile per launch, no background
// networking. Screenshots go to test/.artifacts/ (git-ignored, kept by CI as artifacts).
import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { REPO, missingTool } from '../rig.mjs'

export const CHROMIUM = process.env.TASKS_TEST_CHROMIUM || '/usr/bin/chromium'
export const ARTIFACTS = join(REPO, 'test', '.artifacts')

/** Why the browser tests cannot run (Chromium or playwright-core missing), or undefined when they can; for `skipUnless`. */
export async function missingBrowser() {
  if (!existsSync(CHROMIUM)) return missingTool(CHROMIUM, ['--version'], 'chromium (apt-get install -y chromium)')
  try {
    await import('playwright-core')
    return undefined
  } catch (err) {
    return `playwright-core is not installed (npm ci): ${err.message}`
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
