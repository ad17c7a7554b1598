/**
 * The chatlines web-chat widget for `livechat` channels. A site embeds
 *   <script src="https://<console>/widget.js" data-channel="<livechat channel id>" async></script>
 * and its visitors write to the line's operators. It talks to chatlines only through the visitor
 * routes (`/v1/visitors…`) with an anonymous visitor token scoped to that channel and one client
 * — never a staff token. Replies arrive by polling its own route (live push is for staff).
 * Self-contained: no dependencies, styles inside a shadow root.
 */
interface VisitorFile {
  id: string;
  name: string;
  type: string;
  size: number;
  state: 'pending' | 'ready' | 'rejected';
}
interface VisitorMessage {
  id: string;
  at: string;
  from: 'visitor' | 'operator' | 'bot';
  body: string;
  files?: VisitorFile[];
}
interface Conversation {
  session: { id: string; state: string } | null;
  messages: VisitorMessage[];
}
interface Queue {
  state: string | null;
  position: number | null;
  expectedWaitSeconds: number | null;
}

const script = document.currentScript as HTMLScriptElement | null;
const channel = script?.dataset.channel ?? '';
const POLL_MS = Number(script?.dataset.pollMs ?? 2000);
const STORE = `chatlines.visitor.${channel}`;

const CSS = `
:host { all: initial; font: 15px/1.4 system-ui, -apple-system, "Segoe UI", sans-serif; color: #1f2933; }
.launcher { position: fixed; right: 20px; bottom: 20px; border: 0; border-radius: 999px; padding: 12px 18px; background: #2563eb; color: #fff; font: inherit; font-weight: 600; cursor: pointer; box-shadow: 0 4px 14px rgba(0,0,0,.2); z-index: 2147483000; }
.panel { position: fixed; right: 20px; bottom: 76px; width: min(360px, calc(100vw - 40px)); height: min(480px, calc(100vh - 110px)); display: flex; flex-direction: column; background: #fff; border: 1px solid #d9dee5; border-radius: 12px; box-shadow: 0 10px 30px rgba(0,0,0,.18); overflow: hidden; z-index: 2147483000; }
.panel[hidden] { display: none; }
header { background: #2563eb; color: #fff; padding: 10px 14px; display: flex; justify-content: space-between; align-items: center; }
header h2 { font-size: 16px; margin: 0; }
header button { background: none; border: 0; color: #fff; font-size: 20px; cursor: pointer; line-height: 1; }
.status { padding: 6px 14px; font-size: 13px; background: #fef3c7; color: #78350f; }
.status:empty { display: none; }
ol { list-style: none; margin: 0; padding: 10px; flex: 1; overflow-y: auto; display: flex; flex-direction: column; gap: 6px; }
li { max-width: 80%; padding: 6px 10px; border-radius: 10px; white-space: pre-wrap; word-wrap: break-word; }
li.visitor { align-self: flex-end; background: #2563eb; color: #fff; }
li.operator, li.bot { align-self: flex-start; background: #f1f5f9; }
li .who { display: block; font-size: 11px; opacity: .75; }
.hint { color: #5f6b7a; font-size: 13px; align-self: center; background: none; }
form { display: flex; gap: 6px; padding: 8px; border-top: 1px solid #e5e7eb; }
label.sr { position: absolute; width: 1px; height: 1px; overflow: hidden; clip: rect(0 0 0 0); }
textarea { flex: 1; resize: none; font: inherit; border: 1px solid #d9dee5; border-radius: 8px; padding: 6px 8px; }
.files { display: block; margin-top: 4px; }
.files img { display: block; max-width: 100%; max-height: 160px; border-radius: 6px; margin-top: 4px; }
.files a { color: inherit; text-decoration: underline; display: block; }
.attach { display: flex; align-items: center; cursor: pointer; padding: 0 10px; border: 1px solid #d9dee5; border-radius: 8px; font-size: 20px; color: #2563eb; }
.attach input { position: absolute; width: 1px; height: 1px; opacity: 0; }
.chosen { font-size: 12px; color: #5f6b7a; padding: 0 10px; }
.chosen:empty { display: none; }
form button { border: 0; border-radius: 8px; background: #2563eb; color: #fff; font: inherit; padding: 0 14px; cursor: pointer; }
.error { color: #b42318; font-size: 13px; padding: 0 10px 6px; }
.error:empty { display: none; }
button:focus-visible, textarea:focus-visible, .attach:focus-within { outline: 3px solid #f59e0b; outline-offset: 2px; }
`;

function el<K extends keyof HTMLElementTagNameMap>(tag: K, attrs: Record<string, string> = {}, text?: string): HTMLElementTagNameMap[K] {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) e.setAttribute(k, v);
  if (text !== undefined) e.textContent = text;
  return e;
}

async function apiBase(): Promise<string> {
  if (script?.dataset.api) return script.dataset.api.replace(/\/+$/, '');
  const url = new URL('console/config.json', script?.src ?? location.href);
  const r = await fetch(url.toString(), { cache: 'no-store' });
  const cfg = (await r.json()) as { apiUrl: string };
  return cfg.apiUrl.replace(/\/+$/, '');
}

function start(): void {
  if (!channel) {
    console.error('chatlines widget: data-channel (a livechat channel id) is missing');
    return;
  }
  const host = el('div', { 'data-chatlines-widget': '' });
  document.body.append(host);
  const root = host.attachShadow({ mode: 'open' });
  root.append(el('style', {}, CSS));

  const launcher = el('button', { class: 'launcher', 'aria-expanded': 'false', 'aria-controls': 'chatlines-panel' }, script?.dataset.title ?? 'Chat with us');
  const panel = el('section', { class: 'panel', id: 'chatlines-panel', role: 'dialog', 'aria-label': 'Chat with us', hidden: '' });
  const close = el('button', { 'aria-label': 'Close the chat', title: 'Close' }, '×');
  const head = el('header');
  head.append(el('h2', {}, script?.dataset.title ?? 'Chat with us'), close);
  const status = el('p', { class: 'status', role: 'status', 'aria-live': 'polite' });
  const log = el('ol', { role: 'log', 'aria-live': 'polite', 'aria-label': 'Messages' });
  const error = el('p', { class: 'error', role: 'alert' });
  const form = el('form');
  const label = el('label', { class: 'sr', for: 'chatlines-text' }, 'Your message');
  const text = el('textarea', { id: 'chatlines-text', rows: '2', placeholder: 'Type your message…' });
  const send = el('button', { type: 'submit' }, 'Send');
  // Attach: the files go straight to storage (pre-signed PUT), then with the message.
  const attachLabel = el('label', { class: 'attach', title: 'Attach a file' });
  const attach = el('input', { type: 'file', multiple: '', 'aria-label': 'Attach a file' });
  attachLabel.append(document.createTextNode('+'), attach);
  const chosen = el('p', { class: 'chosen', 'aria-live': 'polite' });
  attach.addEventListener('change', () => {
    chosen.textContent = [...(attach.files ?? [])].map((f) => f.name).join(', ');
  });
  form.append(attachLabel, label, text, send);
  panel.append(head, status, log, error, chosen, form);
  root.append(launcher, panel);

  let base: Promise<string> | undefined;
  let token: string | undefined;
  let shown: string[] = [];
  let timer: ReturnType<typeof setTimeout> | undefined;
  let state: string | null = null;
  let queueCheckedAt = 0;

  try {
    const saved = JSON.parse(localStorage.getItem(STORE) ?? 'null') as { token: string; expiresAt: string } | null;
    if (saved && Date.parse(saved.expiresAt) > Date.now() + 60_000) token = saved.token;
  } catch {
    // no storage: the conversation lasts as long as the page
  }

  const call = async <T>(method: string, path: string, body?: unknown): Promise<T> => {
    base ??= apiBase();
    const headers: Record<string, string> = {};
    if (token) headers.authorization = `Bearer ${token}`;
    if (body !== undefined) headers['content-type'] = 'application/json';
    const r = await fetch(`${await base}${path}`, { method, headers, ...(body !== undefined ? { body: JSON.stringify(body) } : {}) });
    const parsed = (await r.json().catch(() => ({}))) as T & { detail?: string };
    if (!r.ok) throw Object.assign(new Error(parsed.detail ?? `HTTP ${r.status}`), { status: r.status });
    return parsed;
  };

  const ensureToken = async () => {
    if (token) return;
    const v = await call<{ token: string; expiresAt: string }>('POST', '/v1/visitors', { channel });
    token = v.token;
    try {
      localStorage.setItem(STORE, JSON.stringify(v));
    } catch {
      // storage refused: keep it in memory
    }
  };

  const render = (c: Conversation) => {
    const ids = c.messages.map((m) => m.id);
    if (ids.join() !== shown.join()) {
      log.replaceChildren(
        ...(c.messages.length ? [] : [el('li', { class: 'hint' }, 'Ask us anything — an operator will answer here.')]),
        ...c.messages.map((m) => {
          const li = el('li', { class: m.from });
          li.append(el('span', { class: 'who' }, m.from === 'visitor' ? 'You' : m.from === 'bot' ? 'Bot' : 'Operator'), document.createTextNode(m.body));
          const files = (m.files ?? []).filter((f) => f.state === 'ready');
          if (files.length) li.append(renderFiles(files));
          return li;
        }),
      );
      log.scrollTop = log.scrollHeight;
      shown = ids;
    }
    state = c.session?.state ?? null;
    if (state === 'Closed') status.textContent = 'This conversation has ended. Write again to start a new one.';
    else if (state !== 'Waiting') status.textContent = '';
  };

  /** Images inline, other files as links; each URL asked for when shown (it lives minutes). */
  const renderFiles = (files: VisitorFile[]) => {
    const box = el('span', { class: 'files' });
    for (const f of files) {
      if (f.type.startsWith('image/')) {
        const img = el('img', { alt: f.name });
        void link(f.id).then((url) => {
          if (url) img.src = url;
        });
        box.append(img);
      } else {
        const a = el('a', { href: '#', 'data-file': f.id }, `↓ ${f.name}`);
        a.addEventListener('click', async (e) => {
          e.preventDefault();
          const url = await link(f.id);
          if (url) window.open(url, '_blank', 'noopener');
        });
        box.append(a);
      }
    }
    return box;
  };
  const link = async (id: string) => {
    try {
      return (await call<{ url: string }>('GET', `/v1/visitors/files/${id}?redirect=false`)).url;
    } catch (err) {
      error.textContent = (err as Error).message;
      return undefined;
    }
  };

  const upload = async (file: File): Promise<string> => {
    const u = await call<{ __id: string; uploadUrl: string; headers: Record<string, string> }>('POST', '/v1/visitors/files', {
      name: file.name,
      contentType: file.type || 'application/octet-stream',
      size: file.size,
    });
    const put = await fetch(u.uploadUrl, { method: 'PUT', headers: u.headers, body: file });
    if (!put.ok) throw new Error(`${file.name} could not be uploaded`);
    return u.__id;
  };

  const refreshQueue = async () => {
    const q = await call<Queue>('GET', '/v1/visitors/queue');
    if (q.state !== 'Waiting' || q.position === null) return;
    const wait = q.expectedWaitSeconds === null ? '' : ` Expected wait: about ${Math.max(1, Math.round(q.expectedWaitSeconds / 60))} min.`;
    status.textContent = `You are number ${q.position} in the queue.${wait}`;
  };

  const poll = async () => {
    clearTimeout(timer);
    if (!token || panel.hasAttribute('hidden')) return;
    try {
      render(await call<Conversation>('GET', '/v1/visitors/messages'));
      if (state === 'Waiting' && Date.now() - queueCheckedAt > 4000) {
        queueCheckedAt = Date.now();
        await refreshQueue();
      }
      error.textContent = '';
    } catch (err) {
      if ((err as { status?: number }).status === 401) {
        token = undefined; // expired: a new one on the next message
        localStorage.removeItem(STORE);
      } else error.textContent = (err as Error).message;
    }
    timer = setTimeout(() => void poll(), POLL_MS);
  };

  const open = (yes: boolean) => {
    panel.hidden = !yes;
    launcher.setAttribute('aria-expanded', String(yes));
    if (yes) {
      if (!token) render({ session: null, messages: [] });
      text.focus();
      void poll();
    } else {
      clearTimeout(timer);
      launcher.focus();
    }
  };

  launcher.addEventListener('click', () => open(panel.hasAttribute('hidden')));
  close.addEventListener('click', () => open(false));
  panel.addEventListener('keydown', (e) => {
    if (e.key === 'Escape') open(false);
  });
  text.addEventListener('keydown', (e) => {
    if (e.key === 'Enter' && !e.shiftKey) {
      e.preventDefault();
      form.requestSubmit();
    }
  });
  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    const body = text.value.trim();
    const picked = [...(attach.files ?? [])];
    if (!body && picked.length === 0) return;
    send.disabled = true;
    try {
      await ensureToken();
      const files: string[] = [];
      for (const file of picked) files.push(await upload(file));
      await call('POST', '/v1/visitors/messages', { ...(body ? { body } : {}), ...(files.length ? { files } : {}) });
      text.value = '';
      attach.value = '';
      chosen.textContent = '';
      queueCheckedAt = 0;
      await poll();
    } catch (err) {
      error.textContent = (err as Error).message;
    } finally {
      send.disabled = false;
      text.focus();
    }
  });

  if (script?.dataset.open === 'true') open(true);
}

if (document.readyState === 'loading') document.addEventListener('DOMContentLoaded', start);
else start();

export {};
