jest.mock('../request', () => ({
  ...jest.requireActual('../request'),
  get: jest.fn(),
  post: jest.fn()
}));

import { groupItems, ReadinessView, renderReadiness } from '../readiness';
import { IReadinessItem } from '../api';
import { ApiError, get, post } from '../request';
import { answers, makeEnv, scorecard } from './fixtures';

// The recorded scorecard is the real test build's: no-go, six blocking items (M1: no git commit in the test
// project; M7 and the fairness audit: the bundled data's demographic parity; ...), manual items awaiting attestation.

const flush = () => new Promise(r => setTimeout(r, 0));

function actions() {
  return { attest: jest.fn(), saveIntake: jest.fn() };
}

describe('renderReadiness', () => {
  it('shows the gate, what blocks it, the ML Test Score band and the production version at the top', () => {
    const el = renderReadiness(scorecard(), null, makeEnv(), actions());
    const head = el.querySelector('.ss-header')!.textContent!;
    expect(el.querySelector('.ss-gate')!.textContent).toBe(
      'Release gate: NO-GO'
    );
    expect(head).toContain(
      'blocking: M1, M7, training-reproducible, serving-latency, monitoring-coverage, fairness-audit'
    );
    expect(head).toContain('to review: M3, M4, I3, drift-retraining, D3');
    expect(head).toContain('ML Test Score: 4 — strong');
    expect(head).toContain('model mlp v0001 · production v0001');
  });

  it('groups items by section, the worst first (fail, unknown, warn, manual, n/a, pass)', () => {
    const card = scorecard();
    const groups = groupItems(card.items as IReadinessItem[]);
    expect(groups.map(g => g[0])).toEqual([
      'model',
      'checklist',
      'dimensions',
      'infrastructure',
      'data',
      'monitoring'
    ]);
    expect(groups[0][1].map(i => i.id)).toEqual([
      'M1',
      'M7',
      'M3',
      'M4',
      'M2',
      'M5',
      'M6'
    ]);
    expect(groups[5][1].map(i => i.status).slice(0, 2)).toEqual(['n/a', 'n/a']);
    const el = renderReadiness(card, null, makeEnv(), actions());
    expect(
      [...el.querySelectorAll('section')].map(s =>
        s.getAttribute('data-section')
      )
    ).toEqual(groups.map(g => g[0]));
  });

  it('shows each measurement against its threshold', () => {
    const el = renderReadiness(scorecard(), null, makeEnv(), actions());
    const m1 = el.querySelector('li[data-item="M1"] .ss-measure')!;
    expect(m1.textContent).toBe('✘ git commit the run was built from: — != —');
    expect(m1.classList.contains('ss-measure-fail')).toBe(true);
    const m7 = el.querySelector('li[data-item="M7"] .ss-measure')!;
    expect(m7.textContent).toBe(
      '✘ sex: demographic parity difference: 0.2016 <= 0.1'
    );
  });

  it('folds long measurement lists and long reasons (M7: 21 measurements)', () => {
    const el = renderReadiness(scorecard(), null, makeEnv(), actions());
    const li = el.querySelector('li[data-item="M7"]')!;
    expect(li.querySelectorAll(':scope > .ss-measure').length).toBe(6);
    expect(li.querySelector('details.ss-more summary')!.textContent).toBe(
      '15 more measurement(s)'
    );
    expect(
      li.querySelector('details.ss-reason summary')!.textContent!.length
    ).toBeLessThan(140);
  });

  it('opens the evidence in JupyterLab', () => {
    const env = makeEnv();
    const el = renderReadiness(scorecard(), null, env, actions());
    (
      el.querySelector('li[data-item="D1"] .ss-evidence a') as HTMLElement
    ).click();
    expect(env.open).toHaveBeenCalledWith(
      'project/products/02_validated/validation.json'
    );
  });

  it('lets manual and unknown items be attested, not automated ones that pass', () => {
    const act = actions();
    const el = renderReadiness(scorecard(), null, makeEnv(), act);
    expect(el.querySelector('li[data-item="D1"] .ss-attest')).toBeNull();
    expect(el.querySelector('li[data-item="M3"] .ss-attest')).not.toBeNull();
    expect(el.querySelector('li[data-item="dim-data"] .ss-attest')).toBeNull(); // a dimension is never attested
    const d3 = el.querySelector('li[data-item="D3"]')!;
    (d3.querySelector('.ss-attest-box') as HTMLInputElement).checked = true;
    (d3.querySelector('.ss-attest-comment') as HTMLInputElement).value =
      'costs reviewed in docs/costs.md';
    (d3.querySelector('.ss-attest-save') as HTMLButtonElement).click();
    expect(act.attest).toHaveBeenCalledWith(
      'D3',
      'done',
      'costs reviewed in docs/costs.md'
    );
  });

  it('edits the intake questionnaire and the sign-offs in place', () => {
    const act = actions();
    const a = answers();
    a.answers.sign_offs!.fairness = {
      status: 'done',
      who: 'grace',
      when: '2026-12-01T17:00:00+00:00',
      comment: 'reviewed'
    };
    const el = renderReadiness(scorecard(), a, makeEnv(), act);
    expect(el.querySelector('.ss-intake summary')!.textContent).toContain(
      '6 of 7 unanswered'
    );
    (
      el.querySelector('textarea[data-key="decision"]') as HTMLTextAreaElement
    ).value = 'which applications get a manual review';
    (el.querySelector('input[data-key="owner"]') as HTMLInputElement).value =
      'risk team';
    (el.querySelector('.ss-intake-save') as HTMLButtonElement).click();
    const [intake, metric] = act.saveIntake.mock.calls[0];
    expect(intake.decision).toBe('which applications get a manual review');
    expect(intake.data_available).toContain('UCI Adult');
    expect(metric).toEqual({
      metric: '',
      baseline: '',
      target: '',
      owner: 'risk team'
    });
    const fair = el.querySelector('.ss-signoffs li[data-item="fairness"]')!;
    expect(fair.textContent).toContain('done — attested by grace');
    expect(
      (fair.querySelector('.ss-attest-box') as HTMLInputElement).checked
    ).toBe(true);
  });
});

describe('ReadinessView', () => {
  beforeEach(() => jest.resetAllMocks());

  it('says plainly when no scorecard exists yet', async () => {
    (get as jest.Mock).mockRejectedValue(
      new ApiError(
        404,
        'no readiness scorecard exists yet (…). Make one by running the pipeline: `make run`'
      )
    );
    const v = new ReadinessView(makeEnv());
    await v.load();
    const box = v.node.querySelector('[role="alert"]')!;
    expect(box.className).toBe('ss-notice');
    expect(box.textContent).toContain('make run');
    expect(box.querySelector('button')!.textContent).toBe('Retry');
  });

  it('shows a refused attestation with the server message and keeps the scorecard', async () => {
    (get as jest.Mock).mockImplementation(async (p: string) =>
      p === 'readiness' ? scorecard() : answers()
    );
    (post as jest.Mock).mockRejectedValue(
      new ApiError(
        400,
        "evidence[0]: 'docs' is a folder; evidence must be a file of the project or an http(s) URL",
        { field: 'evidence[0]' }
      )
    );
    const v = new ReadinessView(makeEnv());
    await v.load();
    (
      v.node.querySelector(
        'li[data-item="D3"] .ss-attest-save'
      ) as HTMLButtonElement
    ).click();
    await flush();
    expect(post).toHaveBeenCalledWith('readiness/attest', {
      item: 'D3',
      status: 'failed',
      comment: ''
    });
    expect(v.node.querySelector('.ss-error')!.textContent).toContain(
      "evidence[0]: 'docs' is a folder"
    );
    expect(v.node.querySelector('li[data-item="M1"]')).not.toBeNull();
  });

  it('re-renders the refreshed scorecard after saving', async () => {
    (get as jest.Mock).mockImplementation(async (p: string) =>
      p === 'readiness' ? scorecard() : answers()
    );
    const after = scorecard();
    after.scores.gate = { decision: 'needs-review', blocking: [] };
    (post as jest.Mock).mockResolvedValue({
      message: 'saved D3 (done) in readiness.yaml',
      scorecard: after,
      refresh_error: null
    });
    const v = new ReadinessView(makeEnv());
    await v.load();
    (
      v.node.querySelector(
        'li[data-item="D3"] .ss-attest-box'
      ) as HTMLInputElement
    ).checked = true;
    (
      v.node.querySelector(
        'li[data-item="D3"] .ss-attest-save'
      ) as HTMLButtonElement
    ).click();
    await flush();
    await flush();
    expect(v.node.querySelector('.ss-gate')!.textContent).toContain(
      'NEEDS-REVIEW'
    );
    expect(v.node.querySelector('[role="status"]')!.textContent).toContain(
      'Saved D3 (done)'
    );
  });

  it('says so when the answer was saved but the scorecard could not be refreshed', async () => {
    (get as jest.Mock).mockImplementation(async (p: string) =>
      p === 'readiness' ? scorecard() : answers()
    );
    (post as jest.Mock).mockResolvedValue({
      message: 'saved D3 (done) in readiness.yaml',
      scorecard: null,
      refresh_error:
        'ValueError: products/05_evaluation/metrics.json: test: Field required'
    });
    const v = new ReadinessView(makeEnv());
    await v.load();
    (
      v.node.querySelector(
        'li[data-item="D3"] .ss-attest-save'
      ) as HTMLButtonElement
    ).click();
    await flush();
    await flush();
    expect(v.node.querySelector('.ss-notice')!.textContent).toContain(
      'saved D3 (done) in readiness.yaml; the scorecard was not refreshed: ValueError'
    );
    expect(v.node.querySelector('.ss-gate')!.textContent).toContain('NO-GO');
  });
});
