/**
 * Pick the store for a URL's protocol. Each protocol module is imported on demand, so a run with
 * a Bazel HTTP cache never loads gRPC (about 100 ms of imports).
 */
import type { RemoteStore } from './store.js'
import type { RemoteSettings } from './settings.js'

/** Open the store the settings name. */
export async function openRemoteStore(s: Extract<RemoteSettings, { on: true }>): Promise<RemoteStore> {
  const options = {
    token: s.token,
    team: s.team,
    signatureKey: s.signatureKey,
    requestTimeoutMs: s.timeoutMs,
    connectTimeoutMs: Math.min(1500, s.timeoutMs),
  }
  switch (s.url.protocol) {
    case 'bazel-http':
      return new (await import('./bazel-http.js')).BazelHttpStore(s.url, options)
    case 'bazel-grpc':
      return new (await import('./bazel-grpc.js')).BazelGrpcStore(s.url, options)
    case 'turbo':
      return new (await import('./turbo.js')).TurboStore(s.url, options)
  }
}
