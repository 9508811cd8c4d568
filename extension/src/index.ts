import {
  ILayoutRestorer,
  JupyterFrontEnd,
  JupyterFrontEndPlugin
} from '@jupyterlab/application';

import { Dialog, ICommandPalette, showDialog } from '@jupyterlab/apputils';

import { ILauncher } from '@jupyterlab/launcher';

import { shipIcon } from './icon';
// The side panel is added to the shell at activation, so it is needed at once (not a lazy import).
// eslint-disable-next-line jupyter/prefer-lazy-imports
import { ShipshapePanel } from './panel';

const COMMAND = 'shipshape:open';

/**
 * The Shipshape side panel: readiness checklist, drift, export and pipeline runs of the project JupyterLab serves.
 */
const plugin: JupyterFrontEndPlugin<void> = {
  id: 'shipshape-lab:plugin',
  description:
    'Shipshape side panel: readiness checklist, drift, export and pipeline runs.',
  autoStart: true,
  optional: [ICommandPalette, ILauncher, ILayoutRestorer],
  activate: (
    app: JupyterFrontEnd,
    palette: ICommandPalette | null,
    launcher: ILauncher | null,
    restorer: ILayoutRestorer | null
  ) => {
    const panel = new ShipshapePanel({
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
        ).button.accept
    });
    panel.title.icon = shipIcon;
    panel.title.caption = 'Shipshape';
    app.shell.add(panel, 'left', { rank: 900 });
    restorer?.add(panel, 'shipshape-panel');

    app.commands.addCommand(COMMAND, {
      label: 'Shipshape: open panel',
      caption: 'Readiness, drift, export and pipeline runs',
      icon: shipIcon,
      describedBy: { args: { type: 'object', properties: {} } },
      execute: () => app.shell.activateById(panel.id)
    });
    palette?.addItem({ command: COMMAND, category: 'Shipshape' });
    launcher?.add({ command: COMMAND, category: 'Other', rank: 1 });
  }
};

export default plugin;
