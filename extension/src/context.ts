import { IContext } from './api';
import { h } from './dom';
import type { JobWatcher } from './notify';

export type { IContext };

/** What the views need from JupyterLab. */
export interface IEnv {
  /** The project context, once loaded. */
  context(): IContext | null;
  /** Open a file (a path relative to what JupyterLab serves) in JupyterLab. */
  open(labPath: string): void;
  /** Ask the user to confirm an action. */
  confirm(title: string, body: string): Promise<boolean>;
  /** What announces finished jobs and new alerts (a notification each), if anything. */
  watch?: JobWatcher;
}

/**
 * A path as JupyterLab's file browser knows it (relative to the server root), or null when the file lies outside.
 * Relative paths are relative to the project root.
 */
export function labPath(
  ctx: IContext | null,
  p: string | null | undefined
): string | null {
  if (!ctx || !p) {
    return null;
  }
  const path = p.replace(/^file:\/\//, '');
  if (/^[a-z]+:\/\//i.test(path)) {
    return null;
  }
  if (path.startsWith('/')) {
    const root = ctx.server_root.replace(/\/$/, '');
    return path === root
      ? ''
      : path.startsWith(root + '/')
        ? path.slice(root.length + 1)
        : null;
  }
  if (ctx.lab_root === null) {
    return null;
  }
  return ctx.lab_root ? `${ctx.lab_root}/${path}` : path;
}

/** A link that opens `path` in JupyterLab; plain text when JupyterLab cannot reach the file. */
export function fileLink(
  env: IEnv,
  path: string | null | undefined,
  text?: string
): HTMLElement | null {
  if (!path) {
    return null;
  }
  const label = text ?? path.split('/').pop() ?? path;
  if (/^https?:\/\//.test(path)) {
    return h(
      'a',
      { class: 'ss-link', href: path, target: '_blank', rel: 'noopener' },
      label
    );
  }
  const lp = labPath(env.context(), path);
  if (lp === null) {
    return h('span', { class: 'ss-path', title: path }, label);
  }
  return h(
    'a',
    {
      class: 'ss-link',
      href: '#',
      title: `open ${lp}`,
      'data-path': lp,
      onclick: (e: Event) => {
        e.preventDefault();
        env.open(lp);
      }
    },
    label
  );
}
