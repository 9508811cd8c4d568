import { LabIcon } from '@jupyterlab/ui-components';

/** A ship's wheel: the Shipshape icon. */
export const shipIcon = new LabIcon({
  name: 'shipshape-lab:ship',
  svgstr: `<svg xmlns="http://www.w3.org/2000/svg" width="16" height="16" viewBox="0 0 24 24">
  <g class="jp-icon3" fill="none" stroke="#616161" stroke-width="1.8" stroke-linecap="round">
    <circle cx="12" cy="12" r="6"/><circle cx="12" cy="12" r="1.6" fill="#616161"/>
    <path d="M12 2v4M12 18v4M2 12h4M18 12h4M4.9 4.9l2.8 2.8M16.3 16.3l2.8 2.8M4.9 19.1l2.8-2.8M16.3 7.7l2.8-2.8"/>
  </g></svg>`
});
