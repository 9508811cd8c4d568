import { Widget } from '@lumino/widgets';

import { IContext, IEnv } from './context';
import { h } from './dom';
import { DriftView } from './drift';
import { ExportView } from './exporting';
import { PipelineView } from './pipeline';
import { ReadinessView } from './readiness';
import { get } from './request';
import { View, errorBox } from './view';

/** The Shipshape side panel: four views behind a tab row. */
export class ShipshapePanel extends Widget {
  readonly views: View[];
  private ctx: IContext | null = null;
  private current = 0;
  private tabs: HTMLElement;
  private body: HTMLElement;
  private banner: HTMLElement;

  constructor(env: Omit<IEnv, 'context'>) {
    super();
    this.id = 'shipshape-panel';
    this.addClass('ss-panel');
    const full: IEnv = { ...env, context: () => this.ctx };
    this.views = [
      new ReadinessView(full),
      new DriftView(full),
      new ExportView(full),
      new PipelineView(full)
    ];
    this.tabs = h('div', { class: 'ss-tabs', role: 'tablist' });
    this.body = h('div', { class: 'ss-body' });
    this.banner = h('div', {});
    this.node.append(
      h(
        'div',
        { class: 'ss-title' },
        h('b', {}, 'Shipshape'),
        h(
          'button',
          {
            class: 'ss-button ss-small ss-refresh',
            title: 'reload this view',
            onclick: () => void this.refresh()
          },
          '⟳'
        )
      ),
      this.banner,
      this.tabs,
      this.body
    );
    this.renderTabs();
  }

  /** Show the view called `title` (Readiness, Drift, Export, Pipeline) and load it. */
  async select(title: string): Promise<void> {
    const i = this.views.findIndex(
      v => v.title.toLowerCase() === title.toLowerCase()
    );
    if (i >= 0) {
      this.current = i;
      this.renderTabs();
      await this.refresh();
    }
  }

  /** Load the project context (once) and the current view. */
  async refresh(): Promise<void> {
    if (!this.ctx) {
      try {
        this.ctx = await get<IContext>('context');
        this.banner.replaceChildren(
          h(
            'div',
            { class: 'ss-muted ss-project', title: this.ctx.root },
            `project: ${this.ctx.root}`
          )
        );
      } catch (err) {
        this.banner.replaceChildren(errorBox(err, () => void this.refresh()));
      }
    }
    const v = this.views[this.current];
    this.body.replaceChildren(v.node);
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
