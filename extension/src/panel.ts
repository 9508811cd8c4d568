import { Widget } from '@lumino/widgets';

import { IContext, IEnv } from './context';
import { h } from './dom';
import { DriftView } from './drift';
import { ExportView } from './exporting';
import { PipelineView } from './pipeline';
import { ReadinessView } from './readiness';
import { get } from './request';
import { View, errorBox } from './view';

/** The names a view answers to in `shipshape:open-view` (`export` is the Models view's old name). */
export const VIEW_NAMES: { [name: string]: string } = {
  readiness: 'Readiness',
  drift: 'Drift',
  export: 'Models',
  models: 'Models',
  pipeline: 'Pipeline'
};

/** The Shipshape dashboard (a main-area tab): four views behind a tab row. */
export class ShipshapeDashboard extends Widget {
  readonly views: View[];
  private ctx: IContext | null = null;
  private current = 0;
  private tabs: HTMLElement;
  private body: HTMLElement;
  private banner: HTMLElement;

  constructor(env: Omit<IEnv, 'context'>) {
    super();
    this.addClass('ss-panel');
    this.addClass('ss-dashboard');
    const full: IEnv = { ...env, context: () => this.ctx };
    this.views = [
      new ReadinessView(full),
      new DriftView(full),
      new ExportView(full),
      new PipelineView(full)
    ];
    this.tabs = h('div', {
      class: 'ss-tabs',
      role: 'tablist',
      'aria-label': 'Shipshape views'
    });
    this.body = h('div', { class: 'ss-body', role: 'tabpanel' });
    this.banner = h('div', {});
    this.node.append(
      h(
        'div',
        { class: 'ss-title' },
        h('b', {}, 'Shipshape'),
        this.banner,
        h(
          'button',
          {
            class: 'ss-button ss-small ss-refresh',
            title: 'reload this view',
            'aria-label': 'reload this view',
            onclick: () => void this.refresh()
          },
          '⟳'
        )
      ),
      this.tabs,
      this.body
    );
    this.renderTabs();
  }

  /** The title of the view shown (Readiness, Drift, Models, Pipeline). */
  get currentView(): string {
    return this.views[this.current].title;
  }

  /** Show the view called `title` (Readiness, Drift, Models, Pipeline, or a name of VIEW_NAMES) and load it (if `load`). */
  async select(title: string, load = true): Promise<void> {
    const name = VIEW_NAMES[title.toLowerCase()] ?? title;
    const i = this.views.findIndex(
      v => v.title.toLowerCase() === name.toLowerCase()
    );
    if (i >= 0) {
      this.current = i;
      this.renderTabs();
      if (load) {
        await this.refresh();
      }
    }
  }

  /** Load the project context (once) and the current view. */
  async refresh(): Promise<void> {
    const v = this.views[this.current];
    v.node.setAttribute('aria-busy', 'true'); // until the view has loaded and rendered
    try {
      await this.loadInto(v);
    } finally {
      v.node.removeAttribute('aria-busy');
    }
  }

  private async loadInto(v: View): Promise<void> {
    if (!this.ctx) {
      try {
        this.ctx = await get<IContext>('context');
        this.banner.replaceChildren(
          h(
            'span',
            { class: 'ss-muted ss-project', title: this.ctx.root },
            `project: ${this.ctx.root}`
          )
        );
      } catch (err) {
        this.banner.replaceChildren(errorBox(err, () => void this.refresh()));
      }
    }
    if (this.body.firstChild !== v.node) {
      this.body.replaceChildren(v.node);
    }
    this.body.setAttribute('aria-label', v.title);
    await v.load();
  }

  private renderTabs(): void {
    this.tabs.replaceChildren(
      ...this.views.map((v, i) =>
        h(
          'button',
          {
            class: `ss-tab${i === this.current ? ' ss-tab-active' : ''}`,
            role: 'tab',
            'data-view': v.title.toLowerCase(),
            'aria-selected': String(i === this.current),
            onclick: () => void this.select(v.title)
          },
          v.title
        )
      )
    );
  }

  protected onAfterShow(): void {
    void this.refresh();
  }

  dispose(): void {
    this.views.forEach(v => v.dispose());
    super.dispose();
  }
}
