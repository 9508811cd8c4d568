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
  it('shows the gate, what blocks it and what is to review by title, the ML Test Score band and the production version at the top', () => {
    const el = renderReadiness(scorecard(), null, makeEnv(), actions());
    const head = el.querySelector('.ss-header')!;
    expect(el.firstElementChild).toBe(head);
    expect(head.firstElementChild!.className).toBe('ss-gate');
    expect(el.querySelector('.ss-gate')!.textContent).toBe(
      'Release gate: NO-GO'
    );
    const entries = (sel: string) =>
      [...head.querySelectorAll(`${sel} .ss-gate-link`)].map(b => [
        b.querySelector('.ss-gate-title')!.textContent,
        b.querySelector('.ss-gate-id')!.textContent
      ]);
    expect(head.querySelector('.ss-blocking .ss-gate-label')!.textContent).toBe(
      'Blocking (6):'
    );
    expect(entries('.ss-blocking').slice(0, 3)).toEqual([
      ['The model spec is reviewed and versioned', 'M1'],
      ['The model is tested for inclusion (fairness)', 'M7'],
      [
        'Training is reproducible and version-controlled',
        'training-reproducible'
      ]
    ]);
    expect(entries('.ss-blocking').map(e => e[1])).toEqual([
      'M1',
      'M7',
      'training-reproducible',
      'serving-latency',
      'monitoring-coverage',
      'fairness-audit'
    ]);
    const review = head.querySelector(
      'details.ss-review'
    ) as HTMLDetailsElement;
    expect(review.open).toBe(false);
    expect(review.querySelector('summary')!.textContent).toBe('10 to review');
    expect(entries('.ss-review').slice(0, 5)).toEqual([
      ['Hyperparameters are tuned', 'M3'],
      ['The impact of staleness is known', 'M4'],
      ['The pipeline is integration tested', 'I3'],
      [
        'Drift detection and retraining are documented and tested',
        'drift-retraining'
      ],
      ['No feature is too costly', 'D3']
    ]);
    expect(head.textContent).toContain('ML Test Score: 4 — strong');
    expect(head.textContent).toContain('model mlp v0001 · production v0001');
  });

  it('puts the sign-offs directly under the gate', () => {
    const el = renderReadiness(scorecard(), answers(), makeEnv(), actions());
    expect(el.children[0].className).toBe('ss-header');
    expect(el.children[1].className).toBe('ss-signoffs');
    expect(
      [...el.children[1].querySelectorAll('li[data-item]')].map(li =>
        li.getAttribute('data-item')
      )
    ).toEqual(['fairness', 'model-card']);
  });

  it('folds the passing items of each section into a closed "N passing" at its end, the others open worst first', () => {
    const el = renderReadiness(scorecard(), null, makeEnv(), actions());
    const model = el.querySelector('section[data-section="model"]')!;
    const ids = (root: Element) =>
      [...root.querySelectorAll('li.ss-item')].map(li =>
        li.getAttribute('data-item')
      );
    expect(ids(model.querySelector(':scope > ul.ss-items')!)).toEqual([
      'M1',
      'M7',
      'M3',
      'M4',
      'M2'
    ]);
    const folded = model.lastElementChild as HTMLDetailsElement;
    expect(folded.matches('details.ss-passing')).toBe(true);
    expect(folded.open).toBe(false);
    expect(folded.querySelector('summary')!.textContent).toBe('2 passing');
    expect(ids(folded)).toEqual(['M5', 'M6']);
    const monitoring = el.querySelector('section[data-section="monitoring"]')!;
    expect(monitoring.querySelector(':scope > ul.ss-items')).toBeNull(); // all pass or n/a
    expect(
      monitoring.querySelector('details.ss-passing summary')!.textContent
    ).toBe('7 passing');
    for (const li of el.querySelectorAll('li.ss-item')) {
      const inFold = li.closest('details.ss-passing') !== null;
      expect([li.getAttribute('data-item'), inFold]).toEqual([
        li.getAttribute('data-item'),
        /ss-item-(pass|n\/a)/.test(li.className)
      ]);
    }
  });

  it('filters the items by id or title and by status, hiding empty sections', () => {
    const el = renderReadiness(scorecard(), null, makeEnv(), actions());
    const text = el.querySelector('input.ss-filter-text') as HTMLInputElement;
    const status = el.querySelector(
      'select.ss-filter-status'
    ) as HTMLSelectElement;
    expect(text.closest('label')!.textContent).toContain('Find items');
    const shown = () =>
      [...el.querySelectorAll<HTMLElement>('li.ss-item')]
        .filter(li => !li.hidden)
        .map(li => li.getAttribute('data-item'));
    const sections = () =>
      [...el.querySelectorAll<HTMLElement>('section.ss-section')]
        .filter(s => !s.hidden)
        .map(s => s.getAttribute('data-section'));
    expect(shown().length).toBe(42);
    text.value = 'FAIRNESS';
    text.dispatchEvent(new Event('input'));
    expect(shown()).toEqual(['M7', 'fairness-audit', 'dim-ethical']);
    expect(sections()).toEqual(['model', 'checklist', 'dimensions']);
    expect(el.querySelector('.ss-filter-count')!.textContent).toBe(
      '3 of 42 items shown'
    );
    text.value = 'mo5';
    text.dispatchEvent(new Event('input'));
    expect(shown()).toEqual(['Mo5']);
    const fold = el.querySelector(
      'section[data-section="monitoring"] details.ss-passing'
    ) as HTMLDetailsElement;
    expect(fold.open).toBe(true); // a match among the passing items is shown
    text.value = '';
    status.value = 'blocking';
    status.dispatchEvent(new Event('change'));
    expect(shown()).toEqual([
      'M1',
      'M7',
      'training-reproducible',
      'serving-latency',
      'monitoring-coverage',
      'fairness-audit'
    ]);
    status.value = 'manual';
    status.dispatchEvent(new Event('change'));
    expect([...shown()].sort()).toEqual(
      [
        'D3',
        'D5',
        'D6',
        'M2',
        'business-metrics',
        'dim-data',
        'dim-organizational',
        'end-users-trained'
      ].sort()
    );
    status.value = 'all';
    status.dispatchEvent(new Event('change'));
    expect(shown().length).toBe(42);
    expect(fold.open).toBe(false); // closed again once the filter is gone
  });

  it('shows a gate item when its entry is clicked: the filter that hid it is cleared, the item opened and focused', () => {
    const el = renderReadiness(scorecard(), null, makeEnv(), actions());
    document.body.append(el);
    const status = el.querySelector(
      'select.ss-filter-status'
    ) as HTMLSelectElement;
    status.value = 'pass';
    status.dispatchEvent(new Event('change'));
    const m7 = el.querySelector<HTMLElement>('li.ss-item[data-item="M7"]')!;
    expect(m7.hidden).toBe(true);
    (
      el.querySelector('.ss-blocking button[data-goto="M7"]') as HTMLElement
    ).click();
    expect(m7.hidden).toBe(false);
    expect(status.value).toBe('all');
    expect(document.activeElement).toBe(m7);
    expect(
      [...m7.querySelectorAll('details')].every(
        d => (d as HTMLDetailsElement).open
      )
    ).toBe(true);
    el.remove();
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

  it('shows the save confirmation beside the Save of its item, and opens the passing list the item went to', async () => {
    (get as jest.Mock).mockImplementation(async (p: string) =>
      p === 'readiness' ? scorecard() : answers()
    );
    const after = scorecard();
    after.items.find(i => i.id === 'D3')!.status = 'pass';
    (post as jest.Mock).mockResolvedValue({
      message: 'saved D3 (done) in readiness.yaml',
      scorecard: after,
      refresh_error: null
    });
    const v = new ReadinessView(makeEnv());
    await v.load();
    const d3 = () =>
      v.node.querySelector('li[data-item="D3"] .ss-attest') as HTMLElement;
    (d3().querySelector('.ss-attest-box') as HTMLInputElement).checked = true;
    (d3().querySelector('.ss-attest-save') as HTMLButtonElement).click();
    await flush();
    await flush();
    const ok = v.node.querySelectorAll('[role="status"]');
    expect(ok.length).toBe(1);
    expect(ok[0].parentElement).toBe(d3());
    expect(ok[0].previousElementSibling!.textContent).toBe('Save');
    expect(ok[0].textContent).toContain('Saved D3 (done)');
    const fold = d3().closest('details.ss-passing') as HTMLDetailsElement;
    expect(fold.open).toBe(true);
  });

  it('keeps the filter, what was typed and the focus across a poll and a save', async () => {
    (get as jest.Mock).mockImplementation(async (p: string) =>
      p === 'readiness' ? scorecard() : answers()
    );
    (post as jest.Mock).mockResolvedValue({
      message: 'saved the intake answers',
      scorecard: scorecard(),
      refresh_error: null
    });
    const v = new ReadinessView(makeEnv());
    document.body.append(v.node);
    await v.load();
    const text = () =>
      v.node.querySelector('input.ss-filter-text') as HTMLInputElement;
    const shown = () =>
      [...v.node.querySelectorAll<HTMLElement>('section li.ss-item')]
        .filter(li => !li.hidden)
        .map(li => li.getAttribute('data-item'));
    text().focus();
    text().value = 'stale';
    text().dispatchEvent(new Event('input', { bubbles: true }));
    expect(shown()).toEqual(['M4', 'Mo4']);
    await v.load(); // what the poll does
    expect(text().value).toBe('stale');
    expect(document.activeElement).toBe(text());
    expect(shown()).toEqual(['M4', 'Mo4']);
    (v.node.querySelector('.ss-intake-save') as HTMLButtonElement).click();
    await flush();
    await flush();
    expect(text().value).toBe('stale');
    expect(shown()).toEqual(['M4', 'Mo4']);
    const ok = v.node.querySelector('[role="status"]')!;
    expect(ok.previousElementSibling!.className).toContain('ss-intake-save');
    v.node.remove();
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
