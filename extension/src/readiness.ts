import { IReadinessItem, ISaved } from './api';
import { IEnv, fileLink } from './context';
import { badge, fmt, h, longText, when } from './dom';
import { IMeasurement, IScorecard } from './products';
import { get } from './request';
import { View, errorBox } from './view';

export { IScorecard };
type IItem = IReadinessItem;

/** An attestation as readiness.yaml holds it (who, when, comment, evidence). */
export interface IAttested {
  status?: string | null;
  who?: string | null;
  when?: string | null;
  comment?: string | null;
  evidence?: string[];
}

/** readiness.yaml as `GET /shipshape/readiness/answers` returns it, with the questions it asks. */
export interface IAnswers {
  answers: {
    intake?: {
      who?: string | null;
      when?: string | null;
      answers?: { [k: string]: unknown };
    };
    business_metric?: { [k: string]: unknown };
    manual_items?: { [id: string]: IAttested };
    sign_offs?: { [id: string]: IAttested };
  };
  questions: { [key: string]: string };
  business_metric: string[];
  manual_items: { [id: string]: string };
  sign_offs: { [id: string]: string };
  path?: string;
}

export interface IReadinessActions {
  attest(item: string, status: 'done' | 'failed', comment: string): void;
  saveIntake(
    answers: { [k: string]: string },
    metric: { [k: string]: string }
  ): void;
  /** The outcome of the last action, shown beside the control that caused it. */
  notice?: HTMLElement | null;
  /** Where the notice goes: an item or sign-off id (beside its Save), 'intake' (beside Save answers), else at the top. */
  noticeAt?: string | null;
  /** The filter, kept by the view across re-renders (the renderer updates it as the person types). */
  filter?: IFilter;
  /** The sections whose "N passing" list the person opened, kept across re-renders. */
  opened?: Set<string>;
}

/** The items filter: text matched against id and title (case-insensitive), and a status (or 'blocking'). */
export interface IFilter {
  text: string;
  status: string;
}

/** The choices of the status filter: 'blocking' is what the gate says blocks it. */
export const FILTER_STATUSES = [
  'all',
  'blocking',
  'fail',
  'unknown',
  'warn',
  'manual',
  'pass',
  'n/a'
];

/** Passing items (pass, n/a) fold away in their section. */
export function passing(it: IItem): boolean {
  return it.status === 'pass' || it.status === 'n/a';
}

/** Whether an item shows under a filter (`blocking`: the ids the gate's blocking list marks as blocking). */
export function matches(
  it: IItem,
  filter: IFilter,
  blocking: Set<string>
): boolean {
  const text = filter.text.trim().toLowerCase();
  const st = filter.status || 'all';
  const okText =
    !text ||
    it.id.toLowerCase().includes(text) ||
    (it.title ?? '').toLowerCase().includes(text);
  const okStatus =
    st === 'all' ||
    (st === 'blocking' ? blocking.has(it.id) : it.status === st);
  return okText && okStatus;
}

/** Worst first: the order items are shown in (the library's order). */
export const STATUS_ORDER = [
  'fail',
  'unknown',
  'warn',
  'manual',
  'n/a',
  'pass'
];

export const SECTION_TITLES: { [s: string]: string } = {
  data: 'Data (ML Test Score)',
  model: 'Model (ML Test Score)',
  infrastructure: 'Infrastructure (ML Test Score)',
  monitoring: 'Monitoring (ML Test Score)',
  checklist: 'Production checklist',
  dimensions: 'Readiness dimensions'
};

function rank(it: IItem): number {
  const s = it.status === 'warn' && it.accepted ? 'pass' : it.status;
  const i = STATUS_ORDER.indexOf(s);
  return i < 0 ? STATUS_ORDER.length : i;
}

/** Items grouped by section, sections with the worst item first, items failing first. */
export function groupItems(items: IItem[]): [string, IItem[]][] {
  const groups = new Map<string, IItem[]>();
  for (const it of items) {
    const s = it.section ?? 'other';
    groups.set(s, [...(groups.get(s) ?? []), it]);
  }
  const out = [...groups.entries()].map(
    ([s, its]) =>
      [s, [...its].sort((a, b) => rank(a) - rank(b))] as [string, IItem[]]
  );
  return out.sort((a, b) => rank(a[1][0]) - rank(b[1][0]));
}

/** "name: value op threshold", with a pass/fail mark when known. */
export function renderMeasurement(m: IMeasurement): HTMLElement {
  const cmp = m.op ? ` ${m.op} ${fmt(m.threshold)}` : '';
  return h(
    'div',
    { class: `ss-measure${m.passed === false ? ' ss-measure-fail' : ''}` },
    m.passed === true ? '✔ ' : m.passed === false ? '✘ ' : '? ',
    m.name ? `${m.name}: ` : '',
    h('b', {}, fmt(m.value)),
    h('span', { class: 'ss-muted' }, cmp),
    m.note ? h('span', { class: 'ss-muted' }, ` — ${m.note}`) : null
  );
}

function evidence(it: IItem, env: IEnv): HTMLElement | null {
  const ev = it.evidence ?? [];
  if (!ev.length) {
    return null;
  }
  return h(
    'div',
    { class: 'ss-evidence' },
    'evidence: ',
    ev.map((e, i) => [i ? ' · ' : '', fileLink(env, e.path ?? e.uri)])
  );
}

/** An item's measurements; past the first few, the rest fold away. */
export function measurementList(ms: IMeasurement[], shown = 6): HTMLElement[] {
  const out = ms.slice(0, shown).map(renderMeasurement);
  if (ms.length > shown) {
    out.push(
      h(
        'details',
        { class: 'ss-more' },
        h(
          'summary',
          { class: 'ss-muted' },
          `${ms.length - shown} more measurement(s)`
        ),
        ms.slice(shown).map(renderMeasurement)
      )
    );
  }
  return out;
}

/** Tick (done) or untick (checked and failed) an attestation, with a comment. */
export function attestForm(
  id: string,
  a: IAttested | null | undefined,
  actions: IReadinessActions
): HTMLElement {
  const box = h('input', {
    type: 'checkbox',
    class: 'ss-attest-box',
    checked: a?.status === 'done',
    'aria-label': `attest ${id}`
  });
  const comment = h('input', {
    type: 'text',
    class: 'ss-attest-comment',
    placeholder: 'comment: what was checked, where it is written up',
    'aria-label': `comment on ${id}`,
    value: a?.comment ?? ''
  });
  return h(
    'div',
    { class: 'ss-attest', 'data-item': id },
    h(
      'label',
      { title: 'ticked: done; unticked: checked and not fine' },
      box,
      ' done'
    ),
    comment,
    h(
      'button',
      {
        class: 'ss-button ss-small ss-attest-save',
        onclick: () =>
          actions.attest(id, box.checked ? 'done' : 'failed', comment.value)
      },
      'Save'
    ),
    actions.noticeAt === id ? (actions.notice ?? null) : null,
    a && a.who
      ? h(
          'div',
          { class: 'ss-muted ss-attested' },
          `${a.status} — attested by ${a.who} at ${when(a.when)}`
        )
      : null
  );
}

/** Whether a person can answer for an item here: manual items, and evidence that is missing or needs a review. */
export function editable(it: IItem): boolean {
  return (
    it.rubric !== 'dimension' &&
    (it.rubric_mode === 'M' ||
      it.status === 'unknown' ||
      (it.status === 'warn' && !it.accepted))
  );
}

/** One item: status, title, measurements against thresholds, evidence links, attestation. */
export function renderItem(
  it: IItem,
  env: IEnv,
  actions: IReadinessActions
): HTMLElement {
  return h(
    'li',
    {
      class: `ss-item ss-item-${it.status}`,
      'data-item': it.id,
      tabindex: -1
    },
    h(
      'div',
      { class: 'ss-item-head' },
      badge(it.status),
      ' ',
      h('b', {}, it.id),
      ' ',
      it.title ?? '',
      h('span', { class: 'ss-muted' }, ` · ${it.mode ?? ''}`)
    ),
    measurementList(it.measurements ?? []),
    it.reason ? longText(it.reason, 'ss-muted ss-reason') : null,
    it.accepted
      ? h(
          'div',
          { class: 'ss-muted' },
          `warning accepted by ${it.accepted.who} (${it.accepted.by}) at ${when(it.accepted.when)}`
        )
      : null,
    evidence(it, env),
    editable(it) ? attestForm(it.id, it.attestation, actions) : null
  );
}

/** A gate entry: the item's title with its id small, a button that shows the item (`reveal`). */
function gateLink(
  b: { id: string; title?: string | null; status?: string },
  reveal: (id: string) => void
): HTMLElement {
  return h(
    'li',
    {},
    h(
      'button',
      {
        class: 'ss-gate-link',
        'data-goto': b.id,
        title: `show ${b.id}`,
        onclick: () => reveal(b.id)
      },
      badge(b.status ?? 'unknown'),
      ' ',
      h('span', { class: 'ss-gate-title' }, b.title || b.id),
      ' ',
      h('span', { class: 'ss-gate-id' }, b.id)
    )
  );
}

/** The gate decision, what blocks it and what is to review (by title), and the ML Test Score band. */
export function renderHeader(
  card: IScorecard,
  reveal: (id: string) => void = () => undefined
): HTMLElement {
  const s = card.scores;
  const gate = s.gate;
  const blocking = gate.blocking;
  const nogo = blocking.filter(b => b.blocking);
  const review = blocking.filter(b => !b.blocking);
  const m = card.subject.model;
  return h(
    'div',
    { class: 'ss-header' },
    h(
      'div',
      { class: 'ss-gate' },
      'Release gate: ',
      badge(
        gate.decision ?? 'unknown',
        (gate.decision ?? 'unknown').toUpperCase()
      )
    ),
    nogo.length
      ? h(
          'div',
          { class: 'ss-blocking' },
          h('div', { class: 'ss-gate-label' }, `Blocking (${nogo.length}):`),
          h(
            'ul',
            { class: 'ss-gate-list' },
            nogo.map(b => gateLink(b, reveal))
          )
        )
      : null,
    review.length
      ? h(
          'details',
          { class: 'ss-review' },
          h('summary', {}, `${review.length} to review`),
          h(
            'ul',
            { class: 'ss-gate-list' },
            review.map(b => gateLink(b, reveal))
          )
        )
      : null,
    h(
      'div',
      { class: 'ss-score' },
      'ML Test Score: ',
      h('b', {}, fmt(s.final)),
      s.band ? ` — ${s.band}` : ''
    ),
    s.sections
      ? h(
          'div',
          { class: 'ss-muted' },
          Object.entries(s.sections)
            .map(([k, v]) => `${k} ${fmt(v)}/${s.max_per_section ?? 7}`)
            .join(' · ')
        )
      : null,
    h(
      'div',
      { class: 'ss-muted' },
      `model ${m.name ?? '—'} ${m.version ?? '(unregistered)'}${m.production ? ` · production ${m.production}` : ''} · commit ${String(card.subject.git_commit ?? '—').slice(0, 10)} · scorecard of ${when(card.generated_at)}`
    )
  );
}

/** The intake questionnaire and the business success metric, editable in place. */
export function renderIntake(
  a: IAnswers,
  actions: IReadinessActions
): HTMLElement {
  const intake = a.answers.intake ?? {};
  const text = (v: unknown) => (v === undefined || v === null ? '' : String(v));
  const qs = Object.entries(a.questions).map(
    ([k, q]) =>
      [
        k,
        q,
        h('textarea', {
          class: 'ss-intake-answer',
          'data-key': k,
          rows: 2,
          value: text(intake.answers?.[k])
        })
      ] as const
  );
  const ms = a.business_metric.map(
    k =>
      [
        k,
        h('input', {
          type: 'text',
          class: 'ss-metric-field',
          'data-key': k,
          value: text(a.answers.business_metric?.[k])
        })
      ] as const
  );
  const unanswered = qs.filter(([, , t]) => !t.value.trim()).length;
  return h(
    'details',
    { class: 'ss-intake' },
    h(
      'summary',
      {},
      'Intake questionnaire and business metric',
      h(
        'span',
        { class: 'ss-muted' },
        ` (${unanswered} of ${qs.length} unanswered)`
      )
    ),
    qs.map(([k, q, t]) =>
      h('label', { class: 'ss-field', 'data-key': k }, h('div', {}, q), t)
    ),
    h(
      'div',
      { class: 'ss-metric' },
      'Business success metric: ',
      ms.map(([k, i]) => h('label', { class: 'ss-field-inline' }, `${k} `, i))
    ),
    h(
      'button',
      {
        class: 'ss-button ss-intake-save',
        onclick: () =>
          actions.saveIntake(
            Object.fromEntries(qs.map(([k, , t]) => [k, t.value])),
            Object.fromEntries(ms.map(([k, i]) => [k, i.value]))
          )
      },
      'Save answers'
    ),
    actions.noticeAt === 'intake' ? (actions.notice ?? null) : null,
    intake.who
      ? h(
          'span',
          { class: 'ss-muted' },
          ` last saved by ${intake.who} at ${when(intake.when)}`
        )
      : null,
    a.path ? h('div', { class: 'ss-muted' }, `written to ${a.path}`) : null
  );
}

/** The sign-offs readiness.yaml asks for (the fairness audit, the model card). */
export function renderSignOffs(
  a: IAnswers,
  actions: IReadinessActions
): HTMLElement {
  return h(
    'div',
    { class: 'ss-signoffs' },
    h('h3', {}, 'Sign-offs'),
    h(
      'ul',
      { class: 'ss-items' },
      Object.entries(a.sign_offs).map(([id, q]) =>
        h(
          'li',
          { class: 'ss-item', 'data-item': id },
          h('b', {}, id),
          ' ',
          q,
          attestForm(id, a.answers.sign_offs?.[id], actions)
        )
      )
    )
  );
}

/** The search box and the status filter. */
function filterBar(filter: IFilter, apply: () => void): HTMLElement {
  const text = h('input', {
    type: 'search',
    class: 'ss-filter-text',
    placeholder: 'id or title',
    value: filter.text
  });
  const status = h(
    'select',
    { class: 'ss-filter-status' },
    FILTER_STATUSES.map(st => h('option', { value: st }, st))
  );
  status.value = filter.status || 'all';
  const changed = () => {
    filter.text = text.value;
    filter.status = status.value;
    apply();
  };
  for (const el of [text, status]) {
    el.addEventListener('input', changed);
    el.addEventListener('change', changed);
  }
  return h(
    'div',
    { class: 'ss-filter', role: 'search' },
    h('label', {}, 'Find items ', text),
    h('label', {}, ' status ', status),
    h('span', { class: 'ss-muted ss-filter-count' })
  );
}

/** One section: its open items worst first, then its passing items (pass, n/a) in a closed "N passing". */
function renderSection(
  section: string,
  items: IItem[],
  env: IEnv,
  actions: IReadinessActions,
  opened: Set<string>,
  filtering: () => boolean
): HTMLElement {
  const open = items.filter(i => !passing(i));
  const done = items.filter(passing);
  return h(
    'section',
    { class: 'ss-section', 'data-section': section },
    h(
      'h3',
      {},
      SECTION_TITLES[section] ?? section,
      ' ',
      h(
        'span',
        { class: 'ss-muted' },
        `(${items.filter(i => i.status === 'pass').length}/${items.length} pass)`
      )
    ),
    open.length
      ? h(
          'ul',
          { class: 'ss-items' },
          open.map(it => renderItem(it, env, actions))
        )
      : null,
    done.length
      ? h(
          'details',
          {
            class: 'ss-passing',
            open: opened.has(section),
            ontoggle: (e: Event) => {
              if (!filtering()) {
                const d = e.target as HTMLDetailsElement;
                if (d.open) {
                  opened.add(section);
                } else {
                  opened.delete(section);
                }
              }
            }
          },
          h('summary', {}, `${done.length} passing`),
          h(
            'ul',
            { class: 'ss-items' },
            done.map(it => renderItem(it, env, actions))
          )
        )
      : null
  );
}

/**
 * The Readiness view: the gate (decision, blocking items and items to review by title), the sign-offs beside it,
 * the intake, a filter, then the items by section, failing first and passing ones folded away.
 */
export function renderReadiness(
  card: IScorecard,
  answers: IAnswers | null,
  env: IEnv,
  actions: IReadinessActions
): HTMLElement {
  const filter = actions.filter ?? { text: '', status: 'all' };
  const opened = actions.opened ?? new Set<string>();
  const blocking = new Set(
    card.scores.gate.blocking.filter(b => b.blocking).map(b => b.id)
  );
  const filtering = () => !!filter.text.trim() || filter.status !== 'all';
  const groups = groupItems(card.items as IItem[]);
  const sections = groups.map(([section, items]) =>
    renderSection(section, items, env, actions, opened, filtering)
  );
  const byId = new Map((card.items as IItem[]).map(i => [i.id, i]));
  const apply = () => {
    let shown = 0;
    for (const sec of sections) {
      let any = false;
      for (const li of Array.from(
        sec.querySelectorAll<HTMLElement>('li.ss-item')
      )) {
        const it = byId.get(li.dataset.item ?? '');
        const ok = !it || matches(it, filter, blocking);
        li.hidden = !ok;
        any = any || ok;
        shown += ok ? 1 : 0;
      }
      sec.hidden = !any;
      const folded =
        sec.querySelector<HTMLDetailsElement>('details.ss-passing');
      if (folded) {
        const hits = folded.querySelector('li.ss-item:not([hidden])') !== null;
        folded.hidden = !hits;
        folded.open = filtering() ? hits : opened.has(sec.dataset.section!);
      }
    }
    count.textContent = filtering()
      ? `${shown} of ${byId.size} items shown`
      : `${byId.size} items`;
  };
  const bar = filterBar(filter, apply);
  const count = bar.querySelector('.ss-filter-count')!;
  const reveal = (id: string) => {
    const li = Array.from(
      root.querySelectorAll<HTMLElement>('li.ss-item')
    ).find(e => e.dataset.item === id);
    if (!li) {
      return;
    }
    if (li.hidden) {
      // the filter hides it: show everything again
      filter.text = '';
      filter.status = 'all';
      bar.querySelector<HTMLInputElement>('.ss-filter-text')!.value = '';
      bar.querySelector<HTMLSelectElement>('.ss-filter-status')!.value = 'all';
      apply();
    }
    const folded = li.closest<HTMLDetailsElement>('details.ss-passing');
    if (folded && !folded.open) {
      folded.open = true;
    }
    li.querySelectorAll('details').forEach(d => (d.open = true));
    li.classList.add('ss-revealed');
    li.scrollIntoView?.({ block: 'start' });
    li.focus({ preventScroll: true });
  };
  const root = h(
    'div',
    { class: 'ss-readiness' },
    renderHeader(card, reveal),
    answers ? renderSignOffs(answers, actions) : null,
    actions.noticeAt ? null : (actions.notice ?? null),
    answers ? renderIntake(answers, actions) : null,
    bar,
    sections
  );
  const notice = actions.notice;
  if (notice && !root.contains(notice)) {
    // its control is gone (the item no longer asks for an answer): the notice goes under the gate
    root.children[0].after(notice);
  }
  apply();
  return root;
}

/** The Readiness view. */
export class ReadinessView extends View {
  private card: IScorecard | null = null;
  private answers: IAnswers | null = null;

  constructor(env: IEnv) {
    super(env, 'Readiness');
  }

  /** Bumped by each load and save: a load that a newer one or a save overtook shows nothing. */
  private generation = 0;

  async load(): Promise<void> {
    const g = ++this.generation;
    let card: IScorecard;
    try {
      card = await get<IScorecard>('readiness');
    } catch (err) {
      return g === this.generation ? this.showError(err) : undefined;
    }
    if (g !== this.generation) {
      return;
    }
    this.card = card;
    await this.loadAnswers();
    if (g === this.generation) {
      this.render();
    }
  }

  private async loadAnswers(): Promise<void> {
    try {
      this.answers = await get<IAnswers>('readiness/answers');
    } catch (err) {
      this.answers = null;
      this.notice = errorBox(err);
      this.noticeAt = null;
    }
  }

  private async save(
    route: string,
    body: object,
    done: string,
    at: string
  ): Promise<void> {
    ++this.generation; // what a load in flight brings is older than what the save answers
    this.noticeAt = at;
    const reply = await this.send<ISaved>(route, body, () => done);
    if (reply) {
      if (reply.scorecard) {
        this.card = reply.scorecard;
        const it = (this.card.items as IItem[]).find(i => i.id === at);
        if (it && passing(it)) {
          this.opened.add(it.section ?? 'other'); // the saved item went to its section's passing list: show it
        }
      } else {
        this.notice = h(
          'div',
          { class: 'ss-notice', role: 'status' },
          `${reply.message}; the scorecard was not refreshed: ${reply.refresh_error}`
        );
      }
      await this.loadAnswers();
    }
    this.render();
  }

  /** Where the notice goes (an item or sign-off id, 'intake'), null: at the top. */
  private noticeAt: string | null = null;
  /** The filter and the opened passing lists: kept across polls and saves. */
  private filter: IFilter = { text: '', status: 'all' };
  private opened = new Set<string>();

  private render(): void {
    if (this.card) {
      this.show(
        renderReadiness(this.card, this.answers, this.env, {
          attest: (item, status, comment) =>
            void this.save(
              'readiness/attest',
              { item, status, comment },
              `Saved ${item} (${status}) to readiness.yaml; the scorecard was refreshed.`,
              item
            ),
          saveIntake: (answers, metric) =>
            void this.save(
              'readiness/intake',
              { answers, business_metric: metric },
              'Saved the intake answers to readiness.yaml; the scorecard was refreshed.',
              'intake'
            ),
          notice: this.notice,
          noticeAt: this.noticeAt,
          filter: this.filter,
          opened: this.opened
        })
      );
    }
  }
}
