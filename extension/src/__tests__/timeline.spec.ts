import {
  ESTIMATED_DROP,
  estimateWords,
  renderDrift,
  renderTimeline,
  renderTrends
} from '../drift';
import { drift, makeEnv } from './fixtures';

// The recorded drift state (fixtures/drift.json) holds the timeline of its two monitoring runs, newest first: the
// drifted batch, whose estimate was refused (too many rows where the reference barely covers), then the clean
// batch, estimated with its 90 % interval; both came with labels, so the realised ROC AUC stands beside each.

const acts = () => ({ select: jest.fn(), selected: null, run: jest.fn() });

/** The recorded state with the clean batch's estimate turned into an estimated drop, as the monitoring job writes one. */
function withEstimatedDrop() {
  const st = drift();
  const clean = st.timeline![1];
  clean.estimate = {
    ...clean.estimate!,
    estimate: 0.79,
    low: 0.77,
    high: 0.81,
    drop: true
  };
  clean.outcome = 'alert';
  clean.signals = { ...clean.signals, estimate: true };
  st.status!.alerts.push({
    file: clean.batch,
    kind: ESTIMATED_DROP,
    layer: 'model',
    message: `${clean.batch}: estimated roc_auc 0.790 (at most 0.810) below production's 0.915 - 0.05`
  });
  return st;
}

describe('the batch timeline', () => {
  it('lists the batches newest first with the estimate and its interval, and the realised value beside it', () => {
    const el = renderTimeline(drift().timeline, makeEnv());
    const rows = [...el.querySelectorAll('li.ss-tl-batch')];
    expect(rows.map(r => r.getAttribute('data-batch'))).toEqual([
      'uci-adult-2026-09-01.csv',
      'uci-adult-2026-10-01.csv'
    ]);
    const clean = rows[1];
    expect(clean.classList.contains('ss-tl-estimated')).toBe(true);
    expect(clean.querySelector('.ss-tl-est')!.textContent).toBe(
      'est. ROC AUC 0.91 [0.89–0.92]'
    );
    expect(clean.querySelector('.ss-tl-realised')!.textContent).toBe(
      ' · realised ROC AUC 0.92'
    );
    expect(clean.textContent).toContain("production's test value 0.92");
    expect(clean.querySelector('.ss-b-estimated-drop')).toBeNull();
  });

  it('shows a refused estimate with its reasons, the realised value still beside it', () => {
    const drifted = renderTimeline(drift().timeline, makeEnv()).querySelector(
      "li[data-batch='uci-adult-2026-09-01.csv']"
    )!;
    expect(drifted.classList.contains('ss-tl-refused')).toBe(true);
    expect(drifted.querySelector('.ss-tl-est')!.textContent).toBe(
      "estimate refused: 6.0% of the batch's rows lie where the reference barely covers (> 5%): native-country 3.2%, education-num 1.6%, education 0.7%"
    );
    expect(drifted.querySelector('.ss-tl-realised')!.textContent).toBe(
      ' · realised ROC AUC 0.91'
    );
    expect(drifted.querySelector('.ss-tl-drift')!.textContent).toBe(
      'alert: data drift, prediction drift'
    );
  });

  it('says why a batch has no estimate', () => {
    const st = drift();
    st.timeline![0].estimate = {
      status: 'none',
      reason: 'drift.estimate.enabled is false'
    };
    const row = renderTimeline(st.timeline, makeEnv()).querySelector(
      'li.ss-tl-batch'
    )!;
    expect(row.classList.contains('ss-tl-none')).toBe(true);
    expect(row.querySelector('.ss-tl-est')!.textContent).toBe(
      'no estimate: drift.estimate.enabled is false'
    );
    expect(estimateWords(null)).toBe(
      'no estimate: the batch has no drift report'
    );
  });

  it('marks an estimated drop as a model alert of its own, apart from data drift', () => {
    const st = withEstimatedDrop();
    const el = renderDrift(st, makeEnv(), acts());
    const row = el.querySelector(
      "li.ss-tl-batch[data-batch='uci-adult-2026-10-01.csv']"
    )!;
    expect(row.classList.contains('ss-tl-drop')).toBe(true);
    expect(row.querySelector('.ss-tl-est')!.textContent).toBe(
      'est. ROC AUC 0.79 [0.77–0.81]'
    );
    expect(row.querySelector('.ss-b-estimated-drop')!.textContent).toBe(
      'estimated performance drop'
    );
    expect(row.querySelector('.ss-tl-drift')).toBeNull(); // no data drift on this batch
    const drifted = el.querySelector(
      "li.ss-tl-batch[data-batch='uci-adult-2026-09-01.csv']"
    )!;
    expect(drifted.querySelector('.ss-b-estimated-drop')).toBeNull();
    const box = el.querySelector('.ss-alert')!;
    const estimated = box.querySelector('li.ss-alert-estimate')!;
    expect(estimated.textContent).toBe(
      "model alert estimated performance drop: uci-adult-2026-10-01.csv: estimated roc_auc 0.790 (at most 0.810) below production's 0.915 - 0.05"
    );
    expect(box.querySelector('.ss-verdict-alert')!.textContent).toBe(
      'alert: drift in education-num, age, education, workclass; prediction drift'
    );
  });

  it('heads the verdict with the estimated drop when no drift fired', () => {
    const st = withEstimatedDrop();
    st.status!.alerts = st.status!.alerts.filter(
      a => a.kind === ESTIMATED_DROP
    );
    st.report = null;
    const el = renderDrift(st, makeEnv(), acts());
    expect(el.querySelector('.ss-verdict-alert')!.textContent).toBe(
      'alert: estimated performance drop'
    );
    expect(el.querySelectorAll('li.ss-tl-batch').length).toBe(2);
  });

  it('says when the monitoring job has taken no batch yet', () => {
    const el = renderTimeline([], makeEnv());
    expect(el.querySelector('.ss-muted')!.textContent).toBe(
      'No batch has been taken by the monitoring job yet.'
    );
    expect(renderTimeline(undefined, makeEnv()).querySelector('ol')).toBeNull();
  });
});

// The recorded timeline also carries each batch's per-feature summary (app.feature_view): on the drifted batch
// education-num, age and education drifted high, workclass moderate, capital-gain is on watch; nothing drifted on the
// clean one.

const CLEAN = 'uci-adult-2026-10-01.csv';
const DRIFTED = 'uci-adult-2026-09-01.csv';

describe('the feature trends', () => {
  const cell = (el: HTMLElement, feature: string, batch: string) =>
    el.querySelector(
      `tr[data-feature='${feature}'] td[data-batch='${batch}']`
    )!;

  it('has one row per feature, most drifted first, and one cell per batch, oldest first', () => {
    const el = renderTrends(drift().timeline)!;
    expect(el.querySelector('h3')!.textContent).toBe('Feature trends');
    const heads = [...el.querySelectorAll('thead th[title]')];
    expect(heads.map(t => t.getAttribute('title'))).toEqual([CLEAN, DRIFTED]);
    expect(heads.map(t => t.textContent)).toEqual(['1', '2']);
    const rows = [...el.querySelectorAll('tbody tr')];
    expect(rows.map(r => r.getAttribute('data-feature'))).toEqual([
      'education-num',
      'age',
      'education',
      'workclass',
      'capital-gain',
      'occupation',
      'native-country',
      'relationship',
      'hours-per-week',
      'marital-status',
      'capital-loss'
    ]);
    expect(rows.every(r => r.querySelectorAll('td').length === 2)).toBe(true);
    expect(el.textContent).not.toContain('left out');
  });

  it('shows each severity in its own colour and sign, and says the batch and the test in the cell label', () => {
    const el = renderTrends(drift().timeline)!;
    const high = cell(el, 'education-num', DRIFTED);
    expect([high.className, high.textContent]).toEqual([
      'ss-sev ss-sev-high',
      'H'
    ]);
    expect(high.getAttribute('aria-label')).toBe(
      'education-num · uci-adult-2026-09-01.csv: high (psi 2.39 vs threshold 0.1, score 23.9)'
    );
    expect(high.getAttribute('title')).toBe(high.getAttribute('aria-label'));
    const signs = (f: string, b: string) => {
      const c = cell(el, f, b);
      return [c.className, c.textContent];
    };
    expect(signs('workclass', DRIFTED)).toEqual([
      'ss-sev ss-sev-moderate',
      'M'
    ]);
    expect(signs('capital-gain', DRIFTED)).toEqual([
      'ss-sev ss-sev-watch',
      'W'
    ]);
    expect(signs('education-num', CLEAN)).toEqual(['ss-sev ss-sev-none', '·']);
    expect(el.querySelector('.ss-trend-legend')!.textContent).toContain(
      'H high M moderate W watch · none – n/a'
    );
  });

  it('marks a feature that was not compared, a batch without a report, and the features left out', () => {
    const st = drift();
    const [drifted, clean] = st.timeline!;
    clean.features!['age'] = {
      ...clean.features!['age'],
      severity: 'n/a',
      score: null,
      drifted: false
    };
    drifted.features = {}; // as the server answers for a batch that waits for its drift check
    for (const r of st.timeline!) {
      r.features_left_out = 7;
    }
    const el = renderTrends(st.timeline)!;
    const na = cell(el, 'age', CLEAN);
    expect([na.className, na.textContent]).toEqual(['ss-sev ss-sev-na', '–']);
    expect(na.getAttribute('aria-label')).toBe(
      'age · uci-adult-2026-10-01.csv: n/a (not compared)'
    );
    const none = cell(el, 'age', DRIFTED);
    expect([none.className, none.textContent]).toEqual([
      'ss-sev ss-sev-missing',
      ''
    ]);
    expect(none.getAttribute('aria-label')).toBe(
      'age · uci-adult-2026-09-01.csv: no drift report for this batch'
    );
    expect(el.textContent).toContain(
      '7 more feature(s) left out: no drift in any batch and lower scores'
    );
  });

  it('is left out of the drift view while no batch has a drift report', () => {
    const st = drift();
    for (const r of st.timeline!) {
      r.features = {};
    }
    expect(renderTrends(st.timeline)).toBeNull();
    expect(
      renderDrift(st, makeEnv(), acts()).querySelector('.ss-trends')
    ).toBeNull();
    expect(
      renderDrift(drift(), makeEnv(), acts()).querySelector('.ss-trends')
    ).not.toBeNull();
  });

  it('links each batch to its own HTML report', () => {
    const env = makeEnv();
    const el = renderTimeline(drift().timeline, env);
    const link = el.querySelector(
      `li[data-batch='${DRIFTED}'] a.ss-link`
    ) as HTMLAnchorElement;
    expect(link.textContent).toBe('batch report');
    link.click();
    expect(env.open).toHaveBeenCalledWith(
      'project/products/uci-adult/monitoring/uci-adult-2026-09-01/drift.html'
    );
  });
});
