import { h } from '../dom';
import { View, controlKey } from '../view';
import { makeEnv } from './fixtures';

/** A view whose render is a text field and a select per item, re-rendered as a poll does. */
class Form extends View {
  constructor() {
    super(makeEnv(), 'Form');
  }
  async load(): Promise<void> {
    this.render();
  }
  render(): void {
    this.show(
      h(
        'div',
        { 'data-item': 'D3' },
        h('input', { type: 'text', class: 'ss-note', value: 'from server' }),
        h(
          'select',
          { class: 'ss-version' },
          h('option', { value: 'v1' }, 'v1'),
          h('option', { value: 'v2' }, 'v2')
        )
      ),
      h(
        'div',
        { 'data-item': 'D4' },
        h('input', { type: 'text', class: 'ss-note', value: 'd4' })
      )
    );
  }
}

describe('form state across polls', () => {
  it('shows a loading line until the first render', async () => {
    const v = new Form();
    expect(v.node.textContent).toContain('Loading form');
    expect(v.loaded).toBe(false);
    await v.load();
    expect(v.loaded).toBe(true);
  });

  it('keeps what was typed and chosen, and the focus and caret, when the view re-renders', async () => {
    const v = new Form();
    document.body.append(v.node);
    await v.load();
    const note = v.node.querySelector<HTMLInputElement>(
      '[data-item=D3] .ss-note'
    )!;
    note.focus();
    note.value = 'typed by a person';
    note.dispatchEvent(new Event('input', { bubbles: true }));
    note.setSelectionRange(3, 5);
    const sel = v.node.querySelector<HTMLSelectElement>('.ss-version')!;
    sel.value = 'v2';
    sel.dispatchEvent(new Event('change', { bubbles: true }));
    note.focus();
    v.render(); // the poll
    const after = v.node.querySelector<HTMLInputElement>(
      '[data-item=D3] .ss-note'
    )!;
    expect(after).not.toBe(note);
    expect(after.value).toBe('typed by a person');
    expect(document.activeElement).toBe(after);
    expect([after.selectionStart, after.selectionEnd]).toEqual([3, 5]);
    expect(v.node.querySelector<HTMLSelectElement>('.ss-version')!.value).toBe(
      'v2'
    );
    // the untouched field of another item shows what the server says
    expect(
      v.node.querySelector<HTMLInputElement>('[data-item=D4] .ss-note')!.value
    ).toBe('d4');
    v.node.remove();
  });

  it('tells controls apart by the item they belong to', () => {
    const a = h('div', { 'data-item': 'A' }, h('input', { class: 'x' }));
    const b = h('div', { 'data-item': 'B' }, h('input', { class: 'x' }));
    expect(controlKey(a.firstElementChild)).not.toBe(
      controlKey(b.firstElementChild)
    );
  });
});
