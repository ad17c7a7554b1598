/**
 * The chatlines web-chat widget for `livechat` channels. A site embeds
 *   <script src="https://<console>/widget.js" data-channel="<livechat channel id>" async></script>
 * and its visitors write to the line's operators. It talks to chatlines only through the visitor
 * routes (`/v1/visitors…`) with an anonymous visitor token scoped to that channel and one client
 * — never a staff token. Replies, state changes, read receipts and "typing…" arrive over the live
 * socket (`GET /v1/live?token=<visitor token>`, scoped to the visitor's own session); while the
 * socket is down the widget polls its messages route instead, and reconnects with backoff
 * (resuming after the last event it saw). It sends typing frames while the visitor types
 * (at most one per 2 s) and a read receipt for the replies it shows. Self-contained: no
 * dependencies, styles inside a shadow root.
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
  /** `system`: the line's automatic reply (closed, rating request). */
  from: 'visitor' | 'operator' | 'bot' | 'system';
  body: string;
  files?: VisitorFile[];
  /** Read by the other side: ✓✓ on the visitor's own messages. */
  read: boolean;
}
/** An event as the visitor's socket receives it (the server's `visitorEvent`). */
interface VisitorEvent {
  id: string;
  type: string;
  session: string;
  data: { state: string; message?: VisitorMessage; read?: { of: 'visitor' | 'operator'; upTo: string; messages: string[] } };
}
interface Conversation {
  session: { id: string; state: string; rating?: 'requested' | 'rated' | null } | null;
  messages: VisitorMessage[];
  /** The line's business hours (absent from an older API). */
  hours?: { openNow: boolean; nextChangeAt: string | null };
}
interface Queue {
  state: string | null;
  position: number | null;
  expectedWaitSeconds: number | null;
}

const script = document.currentScript as HTMLScriptElement | null;
const channel = script?.dataset.channel ?? '';
const POLL_MS = Number(script?.dataset.pollMs ?? 2000);
/** How long "typing…" shows after the last typing frame (the server sends at most one per 2 s). */
const TYPING_SHOWN_MS = 4000;
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
li.system { align-self: flex-start; background: #eef2ff; color: #312e81; }
.rating { padding: 8px 12px; border-top: 1px solid #e5e7eb; display: flex; flex-direction: column; gap: 6px; }
.rating[hidden] { display: none; }
.rating p { margin: 0; font-size: 14px; font-weight: 600; }
.stars { display: flex; gap: 2px; }
.stars button { background: none; border: 0; padding: 0 2px; font-size: 28px; line-height: 1; color: #cbd5e1; cursor: pointer; }
.stars button.on { color: #f59e0b; }
.rating textarea { min-height: 2.5em; }
.rating .send { align-self: flex-end; border: 0; border-radius: 8px; background: #2563eb; color: #fff; font: inherit; padding: 4px 14px; cursor: pointer; }
.rating .send:disabled { background: #94a3b8; cursor: default; }
.thanks { margin: 0; padding: 8px 12px; font-size: 14px; color: #166534; background: #f0fdf4; }
.thanks[hidden] { display: none; }
li .who { display: block; font-size: 11px; opacity: .75; }
li .ticks { display: block; text-align: right; font-size: 11px; opacity: .85; }
.typing { padding: 0 14px 4px; font-size: 13px; color: #5f6b7a; font-style: italic; min-height: 1.2em; }
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

/** The live socket's URL from the console's config (the stack's WebSocket stage in AWS), when it has one. */
let configuredLive: string | null | undefined;

async function apiBase(): Promise<string> {
  if (script?.dataset.api) return script.dataset.api.replace(/\/+$/, '');
  const url = new URL('console/config.json', script?.src ?? location.href);
  const r = await fetch(url.toString(), { cache: 'no-store' });
  const cfg = (await r.json()) as { apiUrl: string; liveUrl?: string | null };
  configuredLive = cfg.liveUrl ?? null;
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
  const typingLine = el('p', { class: 'typing', 'aria-live': 'polite' });
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

  // The satisfaction survey: five stars and a comment, shown while the closed session may be rated.
  const rating = el('section', { class: 'rating', 'aria-label': 'Rate this conversation', hidden: '' });
  const stars = el('div', { class: 'stars', role: 'radiogroup', 'aria-label': 'Your rating' });
  const starButtons = [1, 2, 3, 4, 5].map((n) => {
    const b = el('button', { type: 'button', role: 'radio', 'aria-checked': 'false', 'aria-label': `${n} star${n === 1 ? '' : 's'}`, title: `${n} of 5` }, '★');
    b.addEventListener('click', () => choose(n));
    return b;
  });
  stars.append(...starButtons);
  const commentLabel = el('label', { class: 'sr', for: 'chatlines-comment' }, 'Comment (optional)');
  const comment = el('textarea', { id: 'chatlines-comment', rows: '2', placeholder: 'Anything to add? (optional)' });
  const rate = el('button', { type: 'button', class: 'send', disabled: '' }, 'Send rating');
  rating.append(el('p', {}, 'Rate this conversation'), stars, commentLabel, comment, rate);
  const thanks = el('p', { class: 'thanks', role: 'status', hidden: '' }, 'Thank you for your rating!');
  panel.append(head, status, log, typingLine, error, rating, thanks, chosen, form);
  root.append(launcher, panel);

  let base: Promise<string> | undefined;
  let token: string | undefined;
  let shown = '';
  let timer: ReturnType<typeof setTimeout> | undefined;
  let state: string | null = null;
  let queueCheckedAt = 0;
  let score = 0;
  /** While the line is closed, that (and when it opens) says more than a queue position. */
  let closedNote = '';
  const choose = (n: number) => {
    score = n;
    starButtons.forEach((b, i) => {
      b.classList.toggle('on', i < n);
      b.setAttribute('aria-checked', String(i === n - 1));
    });
    rate.disabled = false;
  };
  const opensAt = (iso: string) =>
    new Date(iso).toLocaleString(undefined, {
      weekday: 'long',
      hour: '2-digit',
      minute: '2-digit',
      ...(Date.parse(iso) - Date.now() > 6 * 86_400_000 ? { day: 'numeric', month: 'long' } : {}),
    });
  /** The conversation as last rendered: the poll replaces it, socket events update it. */
  let conversation: Conversation = { session: null, messages: [] };
  /** The live socket while it is open (then the widget does not poll). */
  let socket: WebSocket | undefined;
  let socketUp = false;
  let connecting = false;
  let retryMs = 1000;
  let lastEventId: string | undefined;
  let typingSentAt = 0;
  let typingTimer: ReturnType<typeof setTimeout> | undefined;
  /** The newest reply the widget has told the server it read. */
  let readSent = '';

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
    conversation = c;
    const key = c.messages.map((m) => `${m.id}:${m.read}`).join();
    if (key !== shown) {
      log.replaceChildren(
        ...(c.messages.length ? [] : [el('li', { class: 'hint' }, 'Ask us anything — an operator will answer here.')]),
        ...c.messages.map((m) => {
          const li = el('li', { class: m.from, 'data-id': m.id });
          const who = m.from === 'visitor' ? 'You' : m.from === 'bot' ? 'Bot' : m.from === 'system' ? 'Automatic reply' : 'Operator';
          li.append(el('span', { class: 'who' }, who), document.createTextNode(m.body));
          const files = (m.files ?? []).filter((f) => f.state === 'ready');
          if (files.length) li.append(renderFiles(files));
          // ✓ sent, ✓✓ read by an operator.
          if (m.from === 'visitor')
            li.append(el('span', { class: 'ticks', 'aria-label': m.read ? 'Read' : 'Sent', 'data-read': String(m.read) }, m.read ? '✓✓' : '✓'));
          return li;
        }),
      );
      log.scrollTop = log.scrollHeight;
      shown = key;
    }
    state = c.session?.state ?? null;
    const closedLine = c.hours && !c.hours.openNow;
    const opening = closedLine ? (c.hours?.nextChangeAt ? ` We open ${opensAt(c.hours.nextChangeAt)}.` : '') : '';
    closedNote = closedLine ? `We are closed right now.${opening} Leave a message and we will answer then.` : '';
    if (state === 'Closed') status.textContent = 'This conversation has ended. Write again to start a new one.';
    else if (closedNote) status.textContent = closedNote;
    else if (state !== 'Waiting') status.textContent = '';
    const asking = c.session?.rating === 'requested';
    const changed = rating.hidden === asking || thanks.hidden === (c.session?.rating === 'rated');
    rating.hidden = !asking;
    thanks.hidden = c.session?.rating !== 'rated';
    // The survey takes room from the log: keep its newest message (the request) in view.
    if (changed) log.scrollTop = log.scrollHeight;
    if (c.session) connect();
    void markRead();
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

  /** Tells the server the visitor has read the replies shown (once per newest reply, while the panel is open). */
  const markRead = async () => {
    if (!token || panel.hasAttribute('hidden')) return;
    const replies = conversation.messages.filter((m) => m.from !== 'visitor');
    const newest = replies[replies.length - 1];
    if (!newest || newest.read || newest.id <= readSent) return;
    readSent = newest.id;
    try {
      await call('POST', '/v1/visitors/read', { upTo: newest.id });
      for (const m of replies) m.read = true;
    } catch {
      readSent = ''; // told again on the next render
    }
  };

  const showTyping = () => {
    clearTimeout(typingTimer);
    typingLine.textContent = 'Operator is typing…';
    typingTimer = setTimeout(() => (typingLine.textContent = ''), TYPING_SHOWN_MS);
  };

  /** One event of the visitor's own session: the conversation follows it without a poll. */
  const apply = (e: VisitorEvent) => {
    lastEventId = e.id;
    const current = conversation.session?.id;
    if (current && e.session !== current && e.type !== 'session.created') return;
    // A new session after a closed one: a new conversation.
    const messages = current && e.session !== current ? [] : [...conversation.messages];
    if (e.type === 'message.created' && e.data.message && !messages.some((m) => m.id === e.data.message!.id)) {
      messages.push(e.data.message);
      if (e.data.message.from !== 'visitor') typingLine.textContent = '';
    }
    if (e.type === 'message.read' && e.data.read) {
      const read = new Set(e.data.read.messages);
      for (const m of messages) if (read.has(m.id) || ((m.from === 'visitor') === (e.data.read.of === 'visitor') && m.id <= e.data.read.upTo)) m.read = true;
    }
    const same = conversation.session?.id === e.session ? conversation.session : null;
    render({ ...conversation, session: { ...same, id: e.session, state: e.data.state }, messages });
  };

  /** `data-live`, else the config's `liveUrl` (AWS: the WebSocket stage), else `/v1/live` on the API's host. */
  const wsUrl = async () => {
    base ??= apiBase();
    const api = await base;
    const live = script?.dataset.live ?? configuredLive ?? `${api.replace(/^http/, 'ws')}/v1/live`;
    return `${live.replace(/\/+$/, '')}?token=${encodeURIComponent(token ?? '')}`;
  };

  /** Opens the live socket (once the visitor has a session); while it is down the widget polls. */
  const connect = () => {
    if (socket || connecting || !token || typeof WebSocket === 'undefined') return;
    connecting = true;
    void wsUrl().then((url) => {
      const ws = new WebSocket(url);
      socket = ws;
      ws.addEventListener('message', (m) => {
        let frame: { type?: string; from?: string; session?: string };
        try {
          frame = JSON.parse(String(m.data));
        } catch {
          return;
        }
        if (frame.type === 'ready') {
          connecting = false;
          socketUp = true;
          retryMs = 1000;
          clearTimeout(timer); // the socket carries what the poll fetched
          if (lastEventId) ws.send(JSON.stringify({ action: 'resume', after: lastEventId }));
          else void poll(); // one read to catch up with what happened before the socket
        } else if (frame.type === 'typing' && frame.from === 'operator') showTyping();
        else if (frame.type?.includes('.')) apply(frame as VisitorEvent);
      });
      ws.addEventListener('close', () => {
        const wasUp = socketUp;
        socket = undefined;
        socketUp = false;
        connecting = false;
        // Back to polling while the socket is down; reconnect with backoff.
        if (!panel.hasAttribute('hidden')) void poll();
        setTimeout(connect, wasUp ? 500 : retryMs);
        retryMs = Math.min(retryMs * 2, 30_000);
      });
    });
  };

  /** A typing frame while the visitor types (at most one per 2 s, as the server allows). */
  const typing = () => {
    const session = conversation.session;
    if (!socketUp || !socket || !session || Date.now() - typingSentAt < 2000) return;
    typingSentAt = Date.now();
    socket.send(JSON.stringify({ type: 'typing', session: session.id }));
  };

  const refreshQueue = async () => {
    const q = await call<Queue>('GET', '/v1/visitors/queue');
    if (q.state !== 'Waiting' || q.position === null || closedNote) return;
    const wait = q.expectedWaitSeconds === null ? '' : ` Expected wait: about ${Math.max(1, Math.round(q.expectedWaitSeconds / 60))} min.`;
    status.textContent = `You are number ${q.position} in the queue.${wait}`;
  };

  /** Reads the conversation; again after POLL_MS only while the socket is down. */
  const poll = async () => {
    clearTimeout(timer);
    if (!token || panel.hasAttribute('hidden')) return;
    try {
      const polled = await call<Conversation>('GET', '/v1/visitors/messages');
      // A message the socket brought while this read was on its way stays.
      const newest = polled.messages[polled.messages.length - 1]?.id ?? '';
      const later = polled.session?.id === conversation.session?.id ? conversation.messages.filter((m) => m.id > newest) : [];
      render({ ...polled, messages: [...polled.messages, ...later] });
      if (state === 'Waiting' && Date.now() - queueCheckedAt > 4000) {
        queueCheckedAt = Date.now();
        await refreshQueue();
      }
      error.textContent = '';
    } catch (err) {
      if ((err as { status?: number }).status === 401) {
        token = undefined; // expired: a new one on the next message
        localStorage.removeItem(STORE);
        socket?.close();
      } else error.textContent = (err as Error).message;
    }
    // Messages come over the socket while it is up; the queue position still needs asking while waiting.
    if (!socketUp) timer = setTimeout(() => void poll(), POLL_MS);
    else if (state === 'Waiting') timer = setTimeout(() => void poll(), POLL_MS * 2);
  };

  const open = (yes: boolean) => {
    panel.hidden = !yes;
    launcher.setAttribute('aria-expanded', String(yes));
    if (yes) {
      if (!token) render({ session: null, messages: [] });
      text.focus();
      // A token at once (it writes nothing), so the widget can say whether the line is open before the visitor writes.
      void ensureToken()
        .then(poll)
        .catch((err: Error) => (error.textContent = err.message));
    } else {
      clearTimeout(timer);
      launcher.focus();
    }
  };

  rate.addEventListener('click', async () => {
    if (!score) return;
    rate.disabled = true;
    try {
      await call('POST', '/v1/visitors/rating', { score, ...(comment.value.trim() ? { comment: comment.value.trim() } : {}) });
      error.textContent = '';
      await poll();
    } catch (err) {
      error.textContent = (err as Error).message;
      rate.disabled = false;
    }
  });

  launcher.addEventListener('click', () => open(panel.hasAttribute('hidden')));
  close.addEventListener('click', () => open(false));
  panel.addEventListener('keydown', (e) => {
    if (e.key === 'Escape') open(false);
  });
  text.addEventListener('input', typing);
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
      const sent = await call<{ session: { id: string; state: string }; message: VisitorMessage }>('POST', '/v1/visitors/messages', {
        ...(body ? { body } : {}),
        ...(files.length ? { files } : {}),
      });
      text.value = '';
      attach.value = '';
      chosen.textContent = '';
      queueCheckedAt = 0;
      if (socketUp && conversation.session?.id === sent.session.id) {
        // The socket brings the rest; show the message at once.
        if (!conversation.messages.some((m) => m.id === sent.message.id))
          render({ ...conversation, session: sent.session, messages: [...conversation.messages, sent.message] });
      } else await poll();
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
