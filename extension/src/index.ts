import {
  ILayoutRestorer,
  JupyterFrontEnd,
  JupyterFrontEndPlugin
} from '@jupyterlab/application';

import {
  Dialog,
  ICommandPalette,
  MainAreaWidget,
  Notification,
  WidgetTracker,
  showDialog
} from '@jupyterlab/apputils';

import { ILauncher } from '@jupyterlab/launcher';

import { shipIcon } from './icon';
// The watcher and the summary are built at activation (the summary is added to the shell at once).
// eslint-disable-next-line jupyter/prefer-lazy-imports
import { JobWatcher } from './notify';
import { ShipshapeDashboard, VIEW_NAMES } from './panel';
// eslint-disable-next-line jupyter/prefer-lazy-imports
import { ShipshapeSummary } from './summary';

const OPEN = 'shipshape:open';
const OPEN_VIEW = 'shipshape:open-view';
const VIEWS = Object.keys(VIEW_NAMES);

/**
 * Shipshape in JupyterLab: a main-area dashboard (readiness checklist, drift, export and pipeline runs of the
 * project JupyterLab serves) and a compact summary in the left sidebar that links into it.
 */
const plugin: JupyterFrontEndPlugin<void> = {
  id: 'shipshape-lab:plugin',
  description:
    'Shipshape dashboard and sidebar summary: readiness checklist, drift, export and pipeline runs.',
  autoStart: true,
  optional: [ICommandPalette, ILauncher, ILayoutRestorer],
  activate: (
    app: JupyterFrontEnd,
    palette: ICommandPalette | null,
    launcher: ILauncher | null,
    restorer: ILayoutRestorer | null
  ) => {
    const watcher = new JobWatcher((kind, message) => {
      Notification.emit(message, kind, {
        autoClose: kind === 'success' ? 10000 : false
      });
    });
    const tracker = new WidgetTracker<MainAreaWidget<ShipshapeDashboard>>({
      namespace: 'shipshape'
    });
    let dashboard: MainAreaWidget<ShipshapeDashboard> | null = null;

    const open = async (view?: string): Promise<void> => {
      if (!dashboard || dashboard.isDisposed) {
        const content = new ShipshapeDashboard({
          open: path => void app.commands.execute('docmanager:open', { path }),
          confirm: async (title, body) =>
            (
              await showDialog({
                title,
                body,
                buttons: [
                  Dialog.cancelButton(),
                  Dialog.warnButton({ label: 'Confirm' })
                ]
              })
            ).button.accept,
          watch: watcher
        });
        dashboard = new MainAreaWidget({ content });
        dashboard.id = 'shipshape-dashboard';
        dashboard.title.label = 'Shipshape';
        dashboard.title.icon = shipIcon;
        dashboard.title.caption = 'Shipshape dashboard';
        dashboard.title.closable = true;
        if (view) {
          await content.select(view, false); // loaded when shown
        }
        app.shell.add(dashboard, 'main');
        void tracker.add(dashboard);
      } else if (view) {
        void dashboard.content.select(view);
      }
      app.shell.activateById(dashboard.id);
    };

    const summary = new ShipshapeSummary(
      view =>
        void app.commands.execute(
          view ? OPEN_VIEW : OPEN,
          view ? { view } : {}
        ),
      watcher
    );
    summary.title.icon = shipIcon;
    summary.title.caption = 'Shipshape';
    app.shell.add(summary, 'left', { rank: 900 });
    restorer?.add(summary, 'shipshape-panel');

    app.commands.addCommand(OPEN, {
      label: 'Shipshape: open dashboard',
      caption: 'Readiness, drift, export and pipeline runs',
      icon: shipIcon,
      describedBy: {
        args: {
          type: 'object',
          properties: { view: { type: 'string', enum: VIEWS } }
        }
      },
      execute: args => open((args.view as string | undefined) ?? undefined)
    });
    app.commands.addCommand(OPEN_VIEW, {
      label: args =>
        args.view
          ? `Shipshape: open ${String(args.view)}`
          : 'Shipshape: open a view',
      caption: 'Open the Shipshape dashboard on one view',
      icon: shipIcon,
      describedBy: {
        args: {
          type: 'object',
          properties: { view: { type: 'string', enum: VIEWS } },
          required: ['view']
        }
      },
      execute: args => open(String(args.view ?? 'readiness'))
    });
    palette?.addItem({ command: OPEN, category: 'Shipshape' });
    launcher?.add({ command: OPEN, category: 'Other', rank: 1 });
    if (restorer) {
      void restorer.restore(tracker, {
        command: OPEN,
        args: w => ({ view: w.content.currentView.toLowerCase() }),
        name: () => 'dashboard'
      });
    }
  }
};

export default plugin;
