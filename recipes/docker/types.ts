/**
 * The Docker recipes' option and value types (public), and the specs the tasks carry (internal).
 */

/** Options shared by every Docker recipe. */
export interface DockerTaskOptions {
  /**
   * The task name is `docker:<name>` (for `image` with `stages`: `docker:<name>:<stage>` per stage
   * plus the aggregate `docker:<name>`). Letters, digits, `-`, `_`, `.`, `/`, `:`.
   */
  name: string
  /** One line shown by `tasks --list`. @default a summary of the options */
  description?: string
  /** Tasks that must succeed first (e.g. the task that builds a binary the Dockerfile copies). @default [] */
  deps?: readonly string[]
  /**
   * Extra environment variable names whose values enter the fingerprint. `DOCKER_HOST` is always
   * included (another daemon means other images). @default []
   */
  env?: readonly string[]
}

/** Options of {@link image}. */
export interface ImageOptions extends DockerTaskOptions {
  /**
   * The build context folder, relative to the project root (the folder of `tasks.config.*`).
   * It becomes the task's `cwd`. @default '.'
   */
  context?: string
  /** The Dockerfile, relative to `context`. It must be inside the context. @default 'Dockerfile' */
  dockerfile?: string
  /**
   * The stage to build (`docker build --target`). Without it the last stage is built. Not allowed
   * together with `stages` (the last of `stages` is the target then). @default undefined
   */
  target?: string
  /**
   * Build these stages as separate tasks `docker:<name>:<stage>`, each depending on the previous
   * one, plus an aggregate task `docker:<name>` depending on the last. A `test` stage can then run
   * in parallel with other work, and the final image waits for it. `tags` go on the last stage only.
   * @default undefined (one task `docker:<name>`)
   * @example stages: ['build', 'test', 'runtime']
   */
  stages?: readonly string[]
  /**
   * Tags to apply to the image (`repo:tag`, `registry:5000/repo:tag`). A stored result is only
   * reused while every tag still points at the built image. @default []
   */
  tags?: readonly string[]
  /** Build arguments (`--build-arg`). They enter the fingerprint (and the image history: no secrets). @default {} */
  buildArgs?: Readonly<Record<string, string>>
  /** Labels set on the image (`--label`). They enter the fingerprint. @default {} */
  labels?: Readonly<Record<string, string>>
  /** Target platform, e.g. `'linux/amd64'` (`--platform`). @default the daemon's platform */
  platform?: string
  /** Always try to pull newer versions of the base images (`--pull`). @default false */
  pull?: boolean
  /** Do not use the daemon's layer cache (`--no-cache`). @default false */
  noCache?: boolean
  /**
   * Input globs relative to `context` (tinyglobby syntax). Replaces the default: every file of the
   * context minus the `.dockerignore` patterns. @default derived from the context and `.dockerignore`
   */
  inputs?: readonly string[]
  /**
   * The project root, absolute, used to read `.dockerignore` while the config loads. Only needed
   * when the config was given with `--config` from outside the project's folders.
   * @default the nearest folder from the current directory upwards holding `tasks.config.*`
   */
  root?: string
}

/** The value an {@link image} task returns (shown in `--json`, stored with the cache entry). */
export interface ImageValue {
  /** The image ID, `sha256:<hex>`. */
  imageId: string
  /** The tags applied. */
  tags: string[]
  /** The stage built, when one was named. */
  target?: string
}

/** Options of {@link run}. */
export interface RunOptions extends DockerTaskOptions {
  /** The image to run: a tag or an image ID. Add the task that builds it to `deps`. */
  image: string
  /** The command (`docker run IMAGE cmd...`). @default the image's CMD */
  cmd?: readonly string[]
  /** Override the image's ENTRYPOINT. @default the image's ENTRYPOINT */
  entrypoint?: readonly string[]
  /** Environment variables set inside the container. They enter the fingerprint. @default {} */
  containerEnv?: Readonly<Record<string, string>>
  /** Working directory inside the container. @default the image's WORKDIR */
  workdir?: string
  /** User inside the container (`uid[:gid]` or name). @default the image's USER */
  user?: string
  /** Network mode (`'none'`, `'bridge'`, `'host'`, ...). @default 'bridge' */
  network?: string
  /**
   * Cache the result: the task is skipped while its definition, its deps and the image ID are the
   * same as in a stored successful run. `false`: it runs every time. @default true
   */
  cache?: boolean
  /** Kill the container after this many ms (the task fails). @default no limit */
  timeoutMs?: number
}

/** The value a {@link run} task returns. */
export interface RunValue {
  image: string
  imageId: string
  exitCode: number
  /** The container's standard output (the first 64 KiB). */
  stdout: string
  /** The container's standard error (the first 64 KiB). */
  stderr: string
}

/** Credentials for a registry, in the Docker Engine API's shape. */
export interface RegistryAuth {
  username?: string
  password?: string
  /** An OAuth identity token (what `docker login` stores for some registries). */
  identitytoken?: string
  /** The registry host, e.g. `'localhost:5000'`; filled in from the image reference when omitted. */
  serveraddress?: string
}

/** Options of {@link push}. */
export interface PushOptions extends DockerTaskOptions {
  /** The reference to push, with its registry: `'registry.example.com/team/api:1.2'`. */
  image: string
  /**
   * A local image (tag or ID) to tag as `image` before pushing, e.g. the tag an {@link image} task
   * applied. @default undefined (`image` must already exist locally)
   */
  source?: string
  /**
   * Credentials. @default read from the Docker config (`$DOCKER_CONFIG/config.json` or
   * `~/.docker/config.json`): `auths` entries, `credHelpers` and `credsStore` helpers
   */
  auth?: RegistryAuth
  /** Docker config file to read credentials from. @default `$DOCKER_CONFIG/config.json` or `~/.docker/config.json` */
  dockerConfig?: string
}

/** The value a {@link push} task returns. */
export interface PushValue {
  image: string
  imageId: string
  /** The manifest digest the registry reported, `sha256:<hex>`. */
  digest: string
}

// ---- specs: the validated options a task's run and check work from ----

/** What a build task builds. */
export interface BuildSpec {
  context: string
  dockerfile: string
  target?: string
  tags: string[]
  buildArgs: Readonly<Record<string, string>>
  labels: Readonly<Record<string, string>>
  platform?: string
  pull: boolean
  noCache: boolean
}

/** What a run task runs. */
export interface RunSpec {
  image: string
  cmd?: string[]
  entrypoint?: string[]
  containerEnv: Readonly<Record<string, string>>
  workdir?: string
  user?: string
  network?: string
  timeoutMs?: number
}

/** What a push task pushes. */
export interface PushSpec {
  image: string
  source?: string
  dockerConfig?: string
}
