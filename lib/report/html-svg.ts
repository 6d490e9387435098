/**
 * The drawings of the `--report` page, server-rendered SVG (no script): the timeline (a Gantt row
 * per task, coloured by outcome, the critical path outlined) with its legend, and the task graph
 * (layered by dependency depth, labelled boxes or, for large graphs, dots with tooltips).
 */
import type { RunModel } from './model.js'
import { FILL, STATUS_LABEL, esc, fillOf, ms } from './html-style.js'

/** The colour legend of the timeline and graph: a `<p class="legend">`. */
export function legend(): string {
  const items: [string, string][] = [
    ['ran', FILL.ran],
    ['cache hit (local)', FILL['cache-hit']],
    ['cache hit (remote)', FILL.remote],
    ['up to date', FILL['up-to-date']],
    ['failed', FILL.failed],
    ['skipped', FILL.skipped],
    ['interrupted', FILL.interrupted],
  ]
  return `<p class="legend">${items.map(([l, f]) => `<span><i style="background:${f}"></i>${l}</span>`).join('')}<span><i style="border:2px solid var(--crit)"></i>critical path</span></p>`
}

/** A round step for an axis of `span` ms with about `n` ticks. */
function niceStep(span: number, n: number): number {
  const raw = Math.max(1, span / n)
  const p = 10 ** Math.floor(Math.log10(raw))
  return [1, 2, 5, 10].map((k) => k * p).find((s) => s >= raw)!
}

/** The timeline: an `<svg>` with a row per task that started, in start order, over a ms axis. */
export function timeline(m: RunModel): string {
  const rows = m.tasks
    .filter((t) => t.startMs !== undefined)
    .sort((a, b) => a.startMs! - b.startMs! || b.durationMs - a.durationMs)
  const span = Math.max(1, m.wallMs, ...rows.map((t) => (t.startMs ?? 0) + t.durationMs))
  const labelW = 260,
    chartW = 900,
    rowH = 16,
    top = 22
  const width = labelW + chartW + 70
  const height = top + rows.length * rowH + 8
  const x = (t: number) => labelW + (t / span) * chartW
  const out = [
    `<svg width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" role="img" aria-label="timeline of ${rows.length} tasks">`,
  ]
  const step = niceStep(span, 8)
  for (let t = 0; t <= span; t += step) {
    out.push(
      `<line class="axis" x1="${x(t).toFixed(1)}" y1="${top - 4}" x2="${x(t).toFixed(1)}" y2="${height}"/><text class="tick" x="${x(t).toFixed(1)}" y="12" text-anchor="middle">${ms(t)}</text>`,
    )
  }
  rows.forEach((t, i) => {
    const y = top + i * rowH
    const name = t.name.length > 36 ? '…' + t.name.slice(-35) : t.name
    const w = Math.max(2, (t.durationMs / span) * chartW)
    out.push(
      `<g data-task="${esc(t.name)}" data-status="${t.status}"${t.critical ? ' data-critical="1"' : ''}><title>${esc(`${t.name}: ${STATUS_LABEL[t.status]} in ${ms(t.durationMs)}${t.why ? ` (${t.why})` : ''}`)}</title>`,
    )
    out.push(
      `<text x="${labelW - 6}" y="${y + 11}" text-anchor="end"${t.critical ? ' font-weight="700"' : ''}>${esc(name)}</text>`,
    )
    out.push(
      `<rect x="${x(t.startMs!).toFixed(1)}" y="${y + 2}" width="${w.toFixed(1)}" height="${rowH - 4}" rx="2" fill="${fillOf(t)}"${t.critical ? ' class="c"' : ''}/>`,
    )
    if (t.durationMs > 0)
      out.push(`<text class="tick" x="${(x(t.startMs!) + w + 4).toFixed(1)}" y="${y + 11}">${ms(t.durationMs)}</text>`)
    out.push(`</g>`)
  })
  out.push(`</svg>`)
  return out.join('')
}

/** Depth of each task: 0 for tasks without dependencies in the run, else 1 + the deepest dependency. */
function depths(m: RunModel): Map<string, number> {
  const byName = new Map(m.tasks.map((t) => [t.name, t]))
  const d = new Map<string, number>()
  const visit = (n: string, guard: Set<string>): number => {
    const k = d.get(n)
    if (k !== undefined) return k
    if (guard.has(n)) return 0
    guard.add(n)
    const deps = (byName.get(n)?.deps ?? []).filter((x) => byName.has(x))
    const v = deps.length ? 1 + Math.max(...deps.map((x) => visit(x, guard))) : 0
    guard.delete(n)
    d.set(n, v)
    return v
  }
  for (const t of m.tasks) visit(t.name, new Set())
  return d
}

/**
 * The task graph: an `<svg>`, dependencies left to right, the critical path drawn thick. Graphs of
 * more than `labelledMax` tasks are drawn as dots with tooltips; an empty run draws nothing ("").
 */
export function graphSvg(m: RunModel, labelledMax: number): string {
  if (!m.tasks.length) return ''
  const labelled = m.tasks.length <= labelledMax
  const d = depths(m)
  const layers: string[][] = []
  for (const t of m.tasks) (layers[d.get(t.name)!] ??= []).push(t.name)
  const pos = new Map<string, { x: number; y: number }>()
  const byName = new Map(m.tasks.map((t) => [t.name, t]))
  const colW = labelled ? 210 : 60,
    rowH = labelled ? 30 : 9,
    nodeW = labelled ? 180 : 7,
    nodeH = labelled ? 20 : 7,
    pad = 10
  layers.forEach((layer, li) => {
    // Barycentre ordering: each task near the mean row of its dependencies (fewer crossings).
    if (li > 0) {
      const key = (n: string) => {
        const ys = (byName.get(n)?.deps ?? []).map((x) => pos.get(x)?.y).filter((y): y is number => y !== undefined)
        return ys.length ? ys.reduce((a, b) => a + b, 0) / ys.length : 0
      }
      const keys = new Map(layer.map((n) => [n, key(n)]))
      layer.sort((a, b) => keys.get(a)! - keys.get(b)!)
    }
    layer.forEach((n, i) => pos.set(n, { x: pad + li * colW, y: pad + i * rowH }))
  })
  const width = pad * 2 + (layers.length - 1) * colW + nodeW
  const height = pad * 2 + Math.max(...layers.map((l) => l.length)) * rowH
  const crit = new Set(m.criticalPath.tasks)
  let edges = '',
    critEdges = ''
  for (const t of m.tasks) {
    const b = pos.get(t.name)!
    for (const dep of t.deps) {
      const a = pos.get(dep)
      if (!a) continue
      const x1 = a.x + nodeW,
        y1 = a.y + nodeH / 2,
        x2 = b.x,
        y2 = b.y + nodeH / 2,
        mx = (x1 + x2) / 2
      const seg = `M${x1} ${y1}C${mx} ${y1} ${mx} ${y2} ${x2} ${y2}`
      if (
        crit.has(t.name) &&
        crit.has(dep) &&
        m.criticalPath.tasks.indexOf(dep) === m.criticalPath.tasks.indexOf(t.name) - 1
      )
        critEdges += seg
      else edges += seg
    }
  }
  const out = [
    `<svg width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" role="img" aria-label="task graph">`,
  ]
  out.push(
    `<path d="${edges}" fill="none" stroke="var(--line)" stroke-width="1"/><path d="${critEdges}" fill="none" stroke="var(--crit)" stroke-width="2.5"/>`,
  )
  for (const t of m.tasks) {
    const p = pos.get(t.name)!
    const c = crit.has(t.name)
    if (labelled) {
      const label = t.name.length > 24 ? t.name.slice(0, 23) + '…' : t.name
      out.push(
        `<g data-node="${esc(t.name)}"><title>${esc(`${t.name}: ${STATUS_LABEL[t.status]}`)}</title><rect x="${p.x}" y="${p.y}" width="${nodeW}" height="${nodeH}" rx="4" fill="${fillOf(t)}"${c ? ' class="c"' : ''}/><text x="${p.x + 6}" y="${p.y + 14}" style="fill:#fff">${esc(label)}</text></g>`,
      )
    } else {
      out.push(
        `<rect x="${p.x}" y="${p.y}" width="${nodeW}" height="${nodeH}" fill="${fillOf(t)}"${c ? ' class="c"' : ''}><title>${esc(t.name)}</title></rect>`,
      )
    }
  }
  out.push(`</svg>`)
  return out.join('')
}
