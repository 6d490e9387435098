/**
 * The `typed-tasks/report` door: what turns a run's events into something to read. Wording of a
 * task's reason and of the summary, the {@link Reporter} contract and how to combine reporters,
 * and the run model (collected from events) with its HTML rendering. Reporters consume events
 * only (`RunEvent` and friends come from the core door).
 */
export { formatReason, type FormatReasonOptions } from '../reason.js'
export { formatMs, summaryLine } from '../report/format.js'
export { combineReporters, type Reporter } from '../report/reporter.js'
export {
  createRunCollector,
  criticalPath,
  RUN_MODEL_SCHEMA,
  type RunModel,
  type TaskModel,
  type RunCollector,
  type CollectorOptions,
  type Comparison,
} from '../report/model.js'
export { renderHtml, type HtmlOptions } from '../report/html.js'
