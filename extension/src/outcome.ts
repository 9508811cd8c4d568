/**
 * Outcomes, the same everywhere: `ok` (exit 0), `alert` (exit 1: the data or the model needs attention) and
 * `failed` (exit 2: the software could not do its job). An alert is not a failure: its own colour and wording,
 * and no log tail.
 */
import { IAlertRecord, IFinishedJob, IRun } from './api';
import { Child, badge, h } from './dom';
import { IAlert } from './products';

/** The outcome of a run record: its status while it runs, else its outcome. */
export function runOutcome(run: IRun): string {
  return run.status === 'running' ? 'running' : (run.outcome ?? run.status);
}

/** An outcome badge: ok (green), alert (amber), failed (red), running. */
export function outcomeBadge(outcome: string | null | undefined): HTMLElement {
  return badge(outcome ?? 'unknown');
}

/** "alert: drift in age, hours-per-week" — what a drift verdict's alert says, in the panel's words. */
export function alertWords(alert: IAlert): string {
  const parts: string[] = [];
  if (alert.signals.data && alert.drifted_columns.length) {
    parts.push(`drift in ${alert.drifted_columns.join(', ')}`);
  }
  if (alert.signals.prediction) {
    parts.push('prediction drift');
  }
  if (alert.signals.concept) {
    parts.push('concept drift');
  }
  return `alert: ${parts.length ? parts.join('; ') : alert.message}`;
}

/** "alert: b2.csv: data drift in age; b3.csv rejected …" — a monitoring run's alerts, one line. */
export function alertsLine(alerts: IAlertRecord[]): string {
  return `alert: ${alerts.map(a => a.message).join('; ')}`;
}

/** A box in the outcome's colour: ss-ok, ss-alert or ss-error (role alert only for alerts and failures). */
export function outcomeBox(
  outcome: string | null | undefined,
  ...children: Child[]
): HTMLElement {
  const cls =
    outcome === 'alert'
      ? 'ss-alert'
      : outcome === 'failed'
        ? 'ss-error'
        : 'ss-ok-box';
  return h(
    'div',
    { class: cls, role: outcome === 'ok' ? 'status' : 'alert' },
    children
  );
}

/** The exit of a finished job, in words: "exit 1: alert". */
export function exitWords(job: IFinishedJob): string {
  const code =
    job.returncode === null ? 'exit code unknown' : `exit ${job.returncode}`;
  return `${code}: ${job.outcome ?? 'finished'}`;
}
