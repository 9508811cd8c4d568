/**
 * Notifications for the jobs the dashboard and the sidebar summary watch: a pipeline or monitoring job that
 * finishes, and a drift alert on a newly checked batch; each raised once.
 */
import { IDriftState, IRunsState } from './api';
import { runOutcome } from './outcome';

export type NoticeKind = 'success' | 'warning' | 'error' | 'info';

/** How a notice is raised (JupyterLab's `Notification.emit` in the extension). */
export type Notify = (kind: NoticeKind, message: string) => void;

/** The notice kind of an outcome: ok → success, alert → warning, failed (or unknown) → error. */
export function noticeKind(outcome: string | null | undefined): NoticeKind {
  return outcome === 'ok'
    ? 'success'
    : outcome === 'alert'
      ? 'warning'
      : 'error';
}

/** Watches what the routes answer; raises a notice when a watched job finishes or a new drift alert appears. */
export class JobWatcher {
  private pipelineJob: string | null = null;
  private driftJob: string | null = null;
  private lastAlert: string | null | undefined = undefined;
  private said = new Set<string>();

  constructor(private notify: Notify) {}

  private once(key: string, kind: NoticeKind, message: string): void {
    if (!this.said.has(key)) {
      this.said.add(key);
      this.notify(kind, message);
    }
  }

  /** `GET pipeline/runs` (or `pipeline`): a run seen running and now finished is announced with its outcome. */
  pipeline(state: IRunsState): void {
    if (state.running) {
      this.pipelineJob =
        state.live?.id ??
        state.job?.id ??
        state.job?.started_at ??
        this.pipelineJob ??
        'running';
      return;
    }
    if (this.pipelineJob === null) {
      return;
    }
    const key = this.pipelineJob;
    this.pipelineJob = null;
    const run =
      state.runs.find(r => r.id === key) ??
      state.runs.find(r => (r.kind ?? 'pipeline') === 'pipeline');
    const outcome = run ? runOutcome(run) : (state.last_job?.outcome ?? null);
    const what = run
      ? outcome === 'failed'
        ? `failed${run.error?.task ? ` in ${run.error.task}` : ''}: ${run.error?.message ?? ''}`
        : `${outcome}: ${run.summary}`
      : (outcome ?? 'finished');
    this.once(
      `pipeline ${key}`,
      noticeKind(outcome),
      `Shipshape pipeline run ${run?.id ?? ''} ${what}`.replace(/\s+/g, ' ')
    );
  }

  /** `GET drift`: a monitoring job that finished, and a drift alert on a batch checked since the first look. */
  drift(state: IDriftState): void {
    const newest = (state.timeline ?? [])[0];
    const alertKey =
      newest && (newest.outcome === 'alert' || newest.outcome === 'rejected')
        ? `${newest.batch} ${newest.checked_at ?? newest.processed_at ?? ''}`
        : null;
    if (state.job) {
      // while it runs, what it finds is its own to tell when it ends
      this.driftJob = `${state.job.started_at ?? ''} ${state.job.batch ?? ''}`;
      return;
    } else if (this.driftJob !== null) {
      const key = this.driftJob;
      this.driftJob = null;
      const last = state.last_job;
      this.once(
        `drift ${key}`,
        noticeKind(last?.outcome),
        `Shipshape monitoring of ${last?.batch ?? 'the batch'} finished: ${last?.outcome ?? 'unknown'}${last?.summary ? ` — ${last.summary}` : ''}`
      );
      if (alertKey) {
        this.said.add(`alert ${alertKey}`); // the job's own notice said it
      }
      this.lastAlert = undefined; // and what stands at the next look is the job's doing, not news
      return;
    }
    if (this.lastAlert === undefined) {
      this.lastAlert = alertKey; // what stood before we looked is not news
      if (alertKey) {
        this.said.add(`alert ${alertKey}`);
      }
      return;
    }
    this.lastAlert = alertKey;
    if (alertKey && newest) {
      this.once(
        `alert ${alertKey}`,
        'warning',
        `Shipshape drift ${newest.outcome}: batch ${newest.batch}`
      );
    }
  }
}
