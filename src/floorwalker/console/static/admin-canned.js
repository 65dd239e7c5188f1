// Canned replies: short answers agents insert with a shortcut (/api/canned-replies).
import {
  Form, act, adminPage, api, cell, clear, confirmDialog, h, input, loading, navigate, select,
  table, textarea, toast,
} from './admin-ui.js';

adminPage('admin/canned', 'Canned replies', (body, params) => {
  if (params.edit || params.new) return void cannedEditor(body, params.edit || null);
  const draw = async () => {
    let replies;
    try {
      replies = await api('GET', '/api/canned-replies');
    } catch (err) {
      if (err.status === 404 || err.status === 405) {
        clear(body, h('p', { class: 'form-error', role: 'alert' },
          'This server does not offer canned replies yet (GET /api/canned-replies answered ' + err.status + ').'));
        return;
      }
      throw err;
    }
    const list = Array.isArray(replies) ? replies : replies.canned_replies || replies.replies || [];
    const departments = new Map((await api('GET', '/api/departments')).map((d) => [d.key, d.name]));
    const rows = list.map((r) => {
      const drop = h('button', { type: 'button', class: 'danger', 'aria-label': 'Delete ' + (r.title || r.shortcut) }, 'Delete');
      drop.addEventListener('click', async () => {
        if (!(await confirmDialog(`Delete the canned reply “${r.title || r.shortcut}”?`))) return;
        await act(drop, async () => {
          await api('DELETE', '/api/canned-replies/' + encodeURIComponent(r.id));
          toast('Deleted.');
          await draw();
        });
      });
      return h('tr', { 'data-id': r.id },
        cell('Shortcut', h('code', {}, '/' + r.shortcut)), cell('Title', r.title || ''),
        cell('Text', h('span', { class: 'clip' }, r.text)),
        cell('Department', r.department ? departments.get(r.department) || r.department : 'everyone'),
        cell('', h('div', { class: 'row' },
          h('a', { class: 'button', href: '#/admin/canned?edit=' + encodeURIComponent(r.id), 'aria-label': 'Edit ' + (r.title || r.shortcut) }, 'Edit'),
          drop)));
    });
    clear(body,
      h('div', { class: 'row toolbar' }, h('a', { class: 'button primary', href: '#/admin/canned?new=1' }, 'New canned reply'),
        h('span', { class: 'muted' }, 'Agents type / and the shortcut in a chat.')),
      list.length ? table(['Shortcut', 'Title', 'Text', 'Department', ''], rows, { 'data-test': 'canned' })
        : h('p', { class: 'muted' }, 'No canned replies yet.'));
  };
  loading(body, draw);
});

function cannedEditor(body, id) {
  loading(body, async () => {
    const [replies, departments] = await Promise.all([
      id ? api('GET', '/api/canned-replies') : [], api('GET', '/api/departments')]);
    const list = Array.isArray(replies) ? replies : replies.canned_replies || replies.replies || [];
    const reply = id ? list.find((r) => r.id === id) : { shortcut: '', title: '', text: '', department: null };
    if (!reply) {
      clear(body, h('p', { class: 'form-error', role: 'alert' }, 'This canned reply no longer exists.'));
      return;
    }
    const form = new Form({ 'aria-label': id ? 'Edit canned reply' : 'New canned reply', 'data-test': 'canned-form' });
    const shortcut = input(reply.shortcut, { required: true, 'data-test': 'canned-shortcut' });
    const title = input(reply.title || '', { 'data-test': 'canned-title' });
    const text = textarea(reply.text, { rows: 5, required: true, 'data-test': 'canned-text' });
    const dept = select([['', 'Everyone'], ...departments.map((d) => [d.key, d.name])], reply.department || '');
    const save = h('button', { type: 'submit', class: 'primary', 'data-test': 'save' }, 'Save reply');
    form.el.append(h('div', { class: 'grid' },
      form.field('Shortcut', shortcut, '$.shortcut', 'Agents type /shortcut.'), form.field('Title', title, '$.title'),
      form.field('Department', dept, '$.department')),
    form.field('Text', text, '$.text', 'A template: {{ visitor.first_name or "there" }} is the visitor\'s first name.'),
    form.status, h('div', { class: 'row' }, save, h('a', { class: 'button', href: '#/admin/canned' }, 'Cancel')));
    form.el.addEventListener('submit', async (event) => {
      event.preventDefault();
      const doc = { shortcut: shortcut.value.trim(), title: title.value.trim(), text: text.value, department: dept.value || null };
      save.disabled = true;
      try {
        if (id) await api('PUT', '/api/canned-replies/' + encodeURIComponent(id), doc);
        else await api('POST', '/api/canned-replies', doc);
        toast('Saved the canned reply.');
        navigate('admin/canned');
      } catch (err) {
        form.showError(err);
      } finally {
        save.disabled = false;
      }
    });
    clear(body, form.el);
    shortcut.focus();
  });
}
