// Admin pages (admins only): one "Admin" entry in the top bar, tabs inside.
import { route } from './core.js';
import { TABS } from './admin-ui.js';
import './admin-rules.js';
import './admin-team.js';
import './admin-canned.js';
import './admin-sites.js';

route('admin', {
  title: 'Admin', nav: true, admin: true,
  render() {
    // The last admin page used (or the first), without a history entry of its own.
    const last = localStorage.getItem('fw.admin.tab');
    const name = TABS.some(([n]) => n === last) ? last : TABS[0][0];
    location.replace('#/' + name);
  },
});
