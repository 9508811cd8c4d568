/**
 * What the `/shipshape/` routes answer, built on the generated product types (src/products.ts, from
 * nbs_lib.products). The routes are thin translations of nbs_lib.app: each interface names the function.
 */
import {
  IAliases,
  IAvailability,
  IBlocker,
  IExportReport,
  IHistoryEntry,
  IItem,
  ILatestDrift,
  IRunRecord,
  IScorecard,
  IVersionEntry,
  Outcome
} from './products';

/** A run record as the panel shows it (`app.run_view`): with its one-line summary and its log file. */
export interface IRun extends IRunRecord {
  summary: string;
  log: string | null;
  /** monitoring runs: what happened, in one line */
  message?: string | null;
  /** monitoring runs: the alerts they raised (or repeated, `standing`) */
  alerts?: IAlertRecord[];
}

/** One alert of a monitoring run (`ledger.alert`). */
export interface IAlertRecord {
  kind: string;
  layer?: string | null;
  message: string;
  file?: string | null;
  standing?: boolean;
  [k: string]: unknown;
}

/** A background job of the `shipshape` command (`app.start_job`), while it runs. */
export interface IJob {
  kind: 'pipeline' | 'monitor' | 'export';
  pid?: number;
  argv?: string[];
  log?: string;
  started_at?: string;
  starting?: boolean;
  id?: string;
  trigger?: string;
  env_file?: string | null;
  batch?: string;
  target?: string;
  version?: string;
}

/** A finished job (`app.last_job`): its exit code and outcome; the tail of its log only when it failed. */
export interface IFinishedJob extends IJob {
  finished_at: string;
  returncode: number | null;
  outcome: Outcome | null;
  run_id?: string;
  summary?: string;
  log_tail: string | null;
}

/** Who holds a library lock (`app.lock_holder`), e.g. `make run` in a terminal. */
export interface ILockHolder {
  pid: number;
  what: string;
  since: string;
}

/** `GET /shipshape/context` (`app.context`). */
export interface IContext {
  root: string;
  products: string;
  registry: string;
  server_root: string;
  lab_root: string | null;
  user: string;
  env_files: string[];
}

/** `GET /shipshape/pipeline/runs` (`app.pipeline_runs`). */
export interface IRunsState {
  runs: IRun[];
  job: IJob | null;
  last_job: IFinishedJob | null;
  live: IRun | null;
  holder: ILockHolder | null;
  running: boolean;
  env_files: string[];
}

/** One task of `pipeline.status`. */
export interface ITaskStatus {
  name: string;
  outdated: boolean;
  why: string[];
  /** The tasks it reads from (the DAG's edges). */
  upstream?: string[];
}

/** `GET /shipshape/pipeline` (`app.pipeline_state`). */
export interface IPipelineState extends IRunsState {
  tasks: ITaskStatus[];
  status_error: string | null;
}

/** `monitoring/status.json`: the standing verdict of the monitoring job, until a newer one replaces it. */
export interface IMonitoringStatus {
  outcome: Outcome;
  alerts: IAlertRecord[];
  message: string;
  run_id: string;
  at: string;
}

/** A batch's estimated performance as the timeline shows it (`app.estimate_view`). */
export interface IEstimateView {
  status: 'estimated' | 'refused' | 'none';
  metric?: string;
  method?: string | null;
  level?: number | null;
  estimate?: number | null;
  low?: number | null;
  high?: number | null;
  baseline?: number | null;
  max_drop?: number | null;
  drop?: boolean;
  reasons?: string[];
  realised?: number | null;
  reason?: string;
}

/** One feature of a batch's drift report as the trend shows it (`app.feature_view`); `score` is statistic / threshold (> 1: drift). */
export interface IFeatureTrend {
  severity: 'high' | 'moderate' | 'watch' | 'none' | 'n/a';
  method: string | null;
  statistic: number | null;
  threshold: number | null;
  score: number | null;
  drifted: boolean;
}

/** One batch of the timeline (`app.batch_timeline`), newest first. */
export interface ITimelineEntry {
  batch: string;
  processed_at: string | null;
  health: string | null;
  labelled: boolean | null;
  checked_at: string | null;
  outcome: string | null;
  model_version: string | null;
  signals: { [signal: string]: boolean };
  estimate: IEstimateView | null;
  /** the batch's own report: the HTML of its executed drift notebook (else the notebook), or null */
  report: string | null;
  /** the trend's features (`app.trend_features`: drifted in any batch first, then the top by score) in this batch's report */
  features?: { [feature: string]: IFeatureTrend };
  /** how many of the timeline's features the trend leaves out */
  features_left_out?: number;
}

/** `GET /shipshape/drift` (`app.drift_state`). */
export interface IDriftState {
  report: ILatestDrift | null;
  path: string | null;
  report_error: string | null;
  status: IMonitoringStatus | null;
  message: string | null;
  runs: IRun[];
  /** the batches the monitoring job took, newest first (`app.batch_timeline`); see drift.ts */
  timeline?: ITimelineEntry[];
  batches: string[];
  incoming: string | null;
  job: IJob | null;
  last_job: IFinishedJob | null;
}

/** A registered version as `registry.list_versions` lists it. */
export interface IListedVersion extends IVersionEntry {
  aliases: string[];
  missing_evidence: string[];
  promotable: boolean;
}

/** `registry.list_versions`. */
export interface IVersionList {
  registry: string;
  aliases: IAliases;
  history: IHistoryEntry[];
  versions: IListedVersion[];
  pending: string[];
}

/** The readiness gate (`app.gate`): `unavailable` with the reason when the scorecard is missing, malformed or stale. */
export interface IGateState {
  decision: 'go' | 'no-go' | 'needs-review' | 'unavailable';
  blocking: IBlocker[];
  reason?: string | null;
  generated_at?: string;
}

/** `GET /shipshape/export` (`app.export_state`). */
export interface IExportState {
  registry: IVersionList | null;
  availability: { [target: string]: IAvailability };
  export: IExportReport | null;
  on_demand: { [version: string]: IExportReport };
  errors: string[];
  export_path: string;
  gate: IGateState;
  job: IJob | null;
  last_job: IFinishedJob | null;
}

/** A scorecard item with the fields the panel reads beyond the typed ones. */
export interface IReadinessItem extends IItem {
  rubric_mode?: string | null;
  accepted?: { by: string; who: string; when: string } | null;
}

/** The reply of attest and intake (`app.attest`, `app.intake`): the refreshed scorecard, or why it was not refreshed. */
export interface ISaved {
  message: string;
  scorecard: IScorecard | null;
  refresh_error: string | null;
}

/** One file of a registered version (`app.version_page`): its size on disk, recorded sha256, whether it still matches. */
export interface IVersionFile {
  name: string;
  path: string;
  sha256: string | null;
  size_bytes: number | null;
  /** a NUL byte in its first 8 KB: offered for download rather than opened */
  binary: boolean | null;
  /** null when no sha256 was recorded or the file is missing */
  intact: boolean | null;
  missing: string | null;
}

/** The readiness gate's verdict when the version was registered (`registry.readiness_at_registration`), or n/a and why. */
export interface IReadinessAtRegistration {
  status: 'recorded' | 'n/a';
  reason?: string;
  version?: string;
  decision?: 'go' | 'no-go' | 'needs-review';
  blocking?: { id: string; title: string; status: string }[];
  review?: { id: string; title: string; status: string }[];
  counts?: { [status: string]: number };
  score?: number;
  band?: string;
  git_commit?: string | null;
  git_dirty?: boolean | null;
  data_version?: string | null;
  scorecard?: {
    generated_at: string;
    path: string | null;
    sha256: string | null;
  };
}

/** `GET /shipshape/registry/version?version=v0001` (`app.version_page`). */
export interface IVersionPage {
  version: string;
  asked: string;
  registry: string;
  record: IListedVersion;
  lineage: {
    git_commit: string | null;
    git_dirty: boolean | null;
    data_version: string | null;
    created_at: string;
    registered_by: string;
    wandb_run: string | null;
  };
  files: IVersionFile[];
  export: {
    registered: IExportReport | null;
    registered_path: string | null;
    on_demand: IExportReport | null;
    on_demand_path: string;
  };
  readiness: IReadinessAtRegistration;
  history: IHistoryEntry[];
  errors: string[];
}
