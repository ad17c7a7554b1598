/** The console: sign-in, then the operator workspace (#/) or the supervisor dashboard (#/dashboard). */
import './styles.css';
import { completeHostedSignIn, current, devSignIn, type Identity, signOut, startHostedSignIn } from './auth.ts';
import { type ConsoleConfig, config } from './config.ts';
import { h, mount } from './dom.ts';

const top = document.getElementById('top')!;
const main = document.getElementById('main')!;
let stopPage: (() => void) | undefined;

const isSupervisor = (id: Identity) => id.roles.includes('supervisor') || id.roles.includes('admin');
const isAdmin = (id: Identity) => id.roles.includes('admin');
/** The page a hash names. */
const pageOf = (hash: string) => (hash.startsWith('#/dashboard') ? 'dashboard' : hash.startsWith('#/channels') ? 'channels' : 'workspace');

function signInForm(cfg: ConsoleConfig) {
  const error = h('p', { class: 'error', role: 'alert' });
  if (cfg.auth.mode === 'cognito') {
    mount(
      main,
      h(
        'section',
        { class: 'card signin' },
        h('h1', {}, 'Sign in to chatlines'),
        h('button', { onclick: () => void startHostedSignIn(cfg) }, 'Sign in'),
        error,
      ),
    );
    return;
  }
  const sub = h('input', { id: 'sub', name: 'sub', required: true, autocomplete: 'username', value: 'alice' });
  const groups = h('input', { id: 'groups', name: 'groups', value: 'support', 'aria-describedby': 'groups-help' });
  const role = (name: string, checked: boolean) => h('label', { class: 'check' }, h('input', { type: 'checkbox', name: 'roles', value: name, checked }), name);
  const form = h(
    'form',
    {
      class: 'card signin',
      'aria-labelledby': 'signin-title',
      onsubmit: async (e: Event) => {
        e.preventDefault();
        const roles = [...form.querySelectorAll<HTMLInputElement>('input[name=roles]:checked')].map((i) => i.value);
        try {
          await devSignIn(cfg, { sub: sub.value.trim(), roles, groups: groups.value.split(/[\s,]+/).filter(Boolean) });
          void route();
        } catch (err) {
          error.textContent = (err as Error).message;
        }
      },
    },
    h('h1', { id: 'signin-title' }, 'Development sign-in'),
    h('p', { class: 'muted' }, 'Local only: the host mints a token with its development key. In AWS this is the Cognito hosted UI.'),
    h('label', { for: 'sub' }, 'User id'),
    sub,
    h('fieldset', {}, h('legend', {}, 'Roles'), role('operator', true), role('supervisor', false), role('admin', false)),
    h('label', { for: 'groups' }, 'Groups'),
    groups,
    h('p', { id: 'groups-help', class: 'muted' }, 'Operator or supervisor groups, comma-separated.'),
    h('button', { type: 'submit' }, 'Sign in'),
    error,
  );
  mount(main, form);
  sub.focus();
}

function header(id: Identity | undefined) {
  if (!id) return mount(top, h('span', { class: 'brand' }, 'chatlines'));
  const page = pageOf(location.hash);
  const link = (href: string, text: string) => h('a', { href, ...(pageOf(href) === page ? { 'aria-current': 'page' } : {}) }, text);
  mount(
    top,
    h('span', { class: 'brand' }, 'chatlines'),
    h(
      'nav',
      { 'aria-label': 'Main' },
      link('#/', 'Workspace'),
      isSupervisor(id) ? link('#/dashboard', 'Dashboard') : null,
      isAdmin(id) ? link('#/channels', 'Channels') : null,
    ),
    h('span', { class: 'who' }, `${id.sub} · ${id.roles.join(', ') || 'no roles'}`),
    h(
      'button',
      {
        class: 'link',
        onclick: () => {
          signOut();
          void route();
        },
      },
      'Sign out',
    ),
  );
}

async function route() {
  stopPage?.();
  stopPage = undefined;
  const cfg = await config();
  let id = current();
  if (!id) {
    try {
      id = await completeHostedSignIn(cfg);
    } catch (err) {
      header(undefined);
      signInForm(cfg);
      main.querySelector('.error')!.textContent = (err as Error).message;
      return;
    }
  }
  header(id);
  if (!id) return signInForm(cfg);
  if (location.hash.startsWith('#/dashboard') && isSupervisor(id)) {
    const { dashboard } = await import('./dashboard.ts');
    stopPage = dashboard(main, id);
  } else if (location.hash.startsWith('#/channels') && isAdmin(id)) {
    const { channels } = await import('./channels.ts');
    stopPage = channels(main, id);
  } else {
    const { workspace } = await import('./workspace.ts');
    stopPage = workspace(main, id);
  }
}

let lastPage = '';
window.addEventListener('hashchange', () => {
  // Opening a session stays on the workspace page (it handles #/s/<id> itself).
  const page = pageOf(location.hash);
  if (page !== lastPage) {
    lastPage = page;
    void route();
  }
});
lastPage = pageOf(location.hash);
void route();
