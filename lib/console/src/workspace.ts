/**
 * The operator workspace: presence, the queue(s) and own sessions (live), one open session with
 * its history (client messages, replies, staff notes and history entries each look different)
 * and every command the API offers on it. Every refusal shows the problem's `detail`. Typing `/`
 * in the composer offers the line's response templates (the server fills their variables when
 * one is sent); a transfer may carry a comment, shown to the next operator as a highlighted note.
 */
import { ApiError, api, type FileRef, fileLink, type Line, type Message, type Session, search, type Template, uploadFile } from './api.ts';
import type { Identity } from './auth.ts';
import { duration, h, mount, time } from './dom.ts';
import { onTyping, sendTyping, watch } from './live.ts';

const RANK: Record<string, number> = { High: 0, Medium: 1, Low: 2 };
const rank = (s: Session) => (s._priority ? (RANK[s._priority] ?? 3) : 3);
const STATE_LABEL: Record<Session['_state'], string> = {
  Waiting: 'In the queue',
  AssignedToBot: 'With the bot',
  AssignedToOperator: 'With an operator',
  MarkedAsSpam: 'Spam',
  Closed: 'Closed',
};
const STATUS_KEY = 'chatlines.status';

const show = (v: unknown) => (v === null || v === undefined || v === '' ? '—' : Array.isArray(v) ? v.join(', ') || '—' : String(v));

const who = (by: string) => (by.startsWith('visitor:') ? 'the visitor' : by);

function historyText(m: Message): string {
  const p = m.payload;
  if (!p) return m.body;
  if (p.kind === 'SessionCreated') return `Session created by ${who(p.by)}`;
  const changes = p.changes
    .filter((c) => show(c.old) !== show(c.new))
    .map((c) => `${c.field.replace(/^_+/, '')}: ${show(c.old)} → ${show(c.new)}`)
    .join('; ');
  return `${p.command} by ${who(p.by)}${changes ? ` — ${changes}` : ''}`;
}

export function workspace(root: HTMLElement, me: Identity): () => void {
  const lines = new Map<string, Line>();
  const status = h('p', { class: 'status', role: 'status' });
  const alert = h('p', { class: 'error', role: 'alert' });
  const queueList = h('ul', { class: 'list', 'aria-label': 'Queue' });
  const mineList = h('ul', { class: 'list', 'aria-label': 'My sessions' });
  const queueCount = h('span', { class: 'count' });
  const mineCount = h('span', { class: 'count' });
  const panel = h('section', { class: 'panel', 'aria-label': 'Session' }, h('p', { class: 'muted' }, 'Choose a session from the queue or your sessions.'));
  let presence = sessionStorage.getItem(STATUS_KEY) ?? 'unknown';

  const fail = (err: unknown) => {
    status.textContent = '';
    alert.textContent = err instanceof ApiError ? err.detail : String((err as Error).message ?? err);
  };
  const ok = (text: string) => {
    alert.textContent = '';
    status.textContent = text;
  };

  const presenceButton = h('button', { class: 'presence', 'aria-pressed': 'false' });
  const renderPresence = () => {
    presenceButton.textContent = presence === 'online' ? 'Online — go offline' : 'Offline — go online';
    presenceButton.setAttribute('aria-pressed', String(presence === 'online'));
    presenceButton.dataset.state = presence;
  };
  presenceButton.addEventListener('click', async () => {
    const next = presence === 'online' ? 'offline' : 'online';
    try {
      await api('PUT', '/v1/operators/me/status', { status: next });
      presence = next;
      sessionStorage.setItem(STATUS_KEY, next);
      renderPresence();
      ok(`You are ${next}.`);
    } catch (err) {
      fail(err);
    }
  });
  renderPresence();

  const sessionItem = (s: Session, openId: string | undefined) => {
    const line = lines.get(s._line)?.__name ?? 'line';
    const waited = duration(Date.now() - Date.parse(s.__createdAt));
    return h(
      'li',
      {},
      h(
        'a',
        { href: `#/s/${s.__id}`, class: 'item', ...(s.__id === openId ? { 'aria-current': 'true' } : {}), 'data-session': s.__id },
        h('span', { class: 'item-title' }, s.__name),
        h('span', { class: 'item-meta' }, `${line} · ${STATE_LABEL[s._state]}${s._userGroupId ? ` · group ${s._userGroupId}` : ''} · ${waited}`),
        s._priority ? h('span', { class: `badge p-${s._priority}` }, s._priority) : null,
      ),
    );
  };

  const openId = () => /^#\/s\/([0-9a-f-]{36})/.exec(location.hash)?.[1];

  async function refreshLists() {
    if (lines.size === 0) for (const l of (await search<Line>('lines', { size: 100 })).items) lines.set(l.__id, l);
    const [queue, mine] = await Promise.all([
      search<Session>('sessions', { where: { eq: ['_state', 'Waiting'] }, size: 100, sort: [{ field: '__createdAt', ascending: true }] }),
      search<Session>('sessions', {
        where: { and: [{ eq: ['_userId', me.sub] }, { in: ['_state', ['AssignedToOperator', 'MarkedAsSpam']] }] },
        size: 100,
        sort: [{ field: '__createdAt', ascending: true }],
      }),
    ]);
    const ordered = [...queue.items].sort((a, b) => rank(a) - rank(b) || a.__createdAt.localeCompare(b.__createdAt));
    const id = openId();
    // One queue per line and group (a group's queue is for its members): a heading before each.
    const queues = new Map<string, Session[]>();
    for (const s of ordered) {
      const name = `${lines.get(s._line)?.__name ?? 'Line'}${s._userGroupId ? ` · group ${s._userGroupId}` : ''}`;
      queues.set(name, [...(queues.get(name) ?? []), s]);
    }
    mount(
      queueList,
      ordered.length
        ? [...queues].flatMap(([name, items]) => [
            h('li', { class: 'queue-head' }, h('h3', {}, `${name} (${items.length})`)),
            ...items.map((s) => sessionItem(s, id)),
          ])
        : h('li', { class: 'muted' }, 'Nobody is waiting.'),
    );
    mount(mineList, mine.items.length ? mine.items.map((s) => sessionItem(s, id)) : h('li', { class: 'muted' }, 'You hold no sessions.'));
    queueCount.textContent = String(ordered.length);
    mineCount.textContent = String(mine.items.length);
  }

  // ---------------------------------------------------------------- the open session
  let current: { id: string; session?: Session; messages: Message[] } | undefined;
  const head = h('div', { class: 'session-head' });
  const log = h('ol', { class: 'log', role: 'log', 'aria-live': 'polite', 'aria-label': 'Conversation' });
  const text = h('textarea', {
    id: 'composer',
    rows: 3,
    placeholder: 'Write to the client, or a note for staff — type / for templates',
    'aria-controls': 'template-picker',
    'aria-autocomplete': 'list',
  });
  const attach = h('input', { type: 'file', id: 'attach', multiple: true, 'aria-label': 'Attach files' });
  const actions = h('div', { class: 'actions', role: 'group', 'aria-label': 'Session actions' });
  const typingLine = h('p', { class: 'typing muted', 'aria-live': 'polite' });
  let typingTimer: ReturnType<typeof setTimeout> | undefined;
  const stopTyping = onTyping((frame) => {
    if (frame.from !== 'client' || frame.session !== current?.id) return;
    clearTimeout(typingTimer);
    typingLine.textContent = 'Client is typing…';
    typingTimer = setTimeout(() => (typingLine.textContent = ''), 4000);
  });
  text.addEventListener('input', () => {
    if (current?.session?._userId === me.sub && current.session._state === 'AssignedToOperator') sendTyping(current.id);
  });
  /** The newest client message this console has marked read. */
  let readSent = '';
  /** The holder has the conversation open: the client's messages up to the newest are read. */
  const markRead = async (session: Session, messages: Message[]) => {
    if (session._userId !== me.sub || session._state !== 'AssignedToOperator' || document.visibilityState === 'hidden') return;
    const newest = [...messages].reverse().find((m) => m.author === 'client');
    if (!newest || newest.isRead || newest.__id <= readSent) return;
    readSent = newest.__id;
    try {
      await api('POST', `/v1/sessions/${session.__id}/read`, { upTo: newest.__id });
    } catch {
      readSent = '';
    }
  };

  // ------------------------------------------------ response templates: `/` in the composer
  const templatesByLine = new Map<string, Promise<Template[]>>();
  const templatesOf = (lineId: string) => {
    if (!templatesByLine.has(lineId)) {
      const loading = api<{ items: Template[] }>('GET', `/v1/lines/${lineId}/templates`).then((r) => r.items);
      // A failed read is not kept: the next `/` asks again.
      loading.catch(() => templatesByLine.delete(lineId));
      templatesByLine.set(lineId, loading);
    }
    return templatesByLine.get(lineId)!;
  };
  const picker = h('ul', { id: 'template-picker', class: 'picker', role: 'listbox', 'aria-label': 'Templates', hidden: true });
  const templateHint = h('p', { class: 'hint', 'aria-live': 'polite' });
  let offered: Template[] = [];
  let active = 0;
  /** The template the composer holds, as chosen (sent by id while its text is unchanged). */
  let chosen: Template | undefined;
  const closePicker = () => {
    picker.hidden = true;
    offered = [];
    text.removeAttribute('aria-activedescendant');
  };
  const renderPicker = () => {
    mount(
      picker,
      offered.map((t, i) =>
        h(
          'li',
          {
            id: `template-${t.__id}`,
            role: 'option',
            class: 'option',
            'aria-selected': String(i === active),
            'data-template': t._shortcut,
            onmousedown: (e: Event) => {
              e.preventDefault();
              choose(t);
            },
          },
          h('strong', {}, `/${t._shortcut}`),
          ` ${t.__name}`,
          h('span', { class: 'preview' }, t._text),
        ),
      ),
    );
    picker.hidden = offered.length === 0;
    const highlighted = offered[active];
    if (highlighted) text.setAttribute('aria-activedescendant', `template-${highlighted.__id}`);
  };
  const choose = (t: Template) => {
    chosen = t;
    text.value = t._text;
    templateHint.textContent = `Template /${t._shortcut}: the names in {{…}} are filled when it is sent.`;
    closePicker();
    text.focus();
  };
  const offerTemplates = async () => {
    const typed = /^\/(\S*)$/.exec(text.value);
    if (chosen && text.value !== chosen._text) {
      chosen = undefined;
      templateHint.textContent = '';
    }
    const lineId = current?.session?._line;
    if (!typed || !lineId) return closePicker();
    const query = typed[1]!.toLowerCase();
    try {
      const all = await templatesOf(lineId);
      offered = all.filter((t) => t._shortcut.startsWith(query) || t.__name.toLowerCase().includes(query)).slice(0, 8);
      active = 0;
      renderPicker();
    } catch (err) {
      fail(err);
    }
  };
  text.addEventListener('input', () => void offerTemplates());
  text.addEventListener('blur', () => closePicker());

  const command = async (label: string, method: string, suffix: string, body?: unknown) => {
    if (!current) return;
    try {
      await api(method, `/v1/sessions/${current.id}${suffix}`, body);
      ok(`${label}: done.`);
      await refreshSession();
      lists.poke();
    } catch (err) {
      fail(err);
    }
  };

  const send = async (type: 'text' | 'system') => {
    const body = text.value.trim();
    const picked = [...(attach.files ?? [])];
    if (!body && picked.length === 0) {
      alert.textContent = 'Write something or attach a file first.';
      text.focus();
      return;
    }
    if (!current) return;
    // A chosen template goes by id (the server fills it); edited, it is the text as written.
    const template = type === 'text' && chosen && text.value === chosen._text ? chosen : undefined;
    try {
      // Files first, straight to storage; then one message that carries them (checked by the API).
      const files: string[] = [];
      for (const file of picked) {
        status.textContent = `Uploading ${file.name}…`;
        files.push(await uploadFile(current.id, file));
      }
      const kind = files.length > 0 && type === 'text' ? 'file' : type;
      await api(
        'POST',
        `/v1/sessions/${current.id}/messages`,
        template && files.length === 0 ? { template: template.__id } : { type: kind, ...(body ? { body } : {}), ...(files.length ? { files } : {}) },
      );
      text.value = '';
      attach.value = '';
      chosen = undefined;
      templateHint.textContent = '';
      ok(
        template && files.length === 0
          ? `Template /${template._shortcut} sent.`
          : type === 'text'
            ? files.length
              ? 'Sent with files.'
              : 'Reply sent.'
            : 'Note added.',
      );
      await refreshSession();
    } catch (err) {
      fail(err);
    }
  };
  text.addEventListener('keydown', (e) => {
    if (!picker.hidden && offered.length > 0) {
      if (e.key === 'ArrowDown' || e.key === 'ArrowUp') {
        e.preventDefault();
        active = (active + (e.key === 'ArrowDown' ? 1 : offered.length - 1)) % offered.length;
        renderPicker();
        return;
      }
      if (e.key === 'Enter' || e.key === 'Tab') {
        e.preventDefault();
        choose(offered[active]!);
        return;
      }
      if (e.key === 'Escape') {
        e.preventDefault();
        closePicker();
        return;
      }
    }
    if (e.key === 'Enter' && (e.ctrlKey || e.metaKey)) void send('text');
  });

  /** Whether the actions were drawn with their line known (its groups fill the transfer list). */
  let actionsHadLine = false;
  function renderActions(s: Session) {
    const line = lines.get(s._line);
    actionsHadLine = line !== undefined;
    const priority = h(
      'select',
      { id: 'priority', 'aria-label': 'Priority' },
      ...['', 'High', 'Medium', 'Low'].map((p) => h('option', { value: p, ...(p === (s._priority ?? '') ? { selected: true } : {}) }, p || 'No priority')),
    );
    const target = h('input', { id: 'transfer-operator', placeholder: 'operator id', 'aria-label': 'Transfer to operator (id)' });
    const group = h(
      'select',
      { id: 'transfer-group', 'aria-label': 'Transfer to group' },
      ...(line?._operatorGroups ?? []).map((g) => h('option', { value: g }, g)),
    );
    const comment = h('input', {
      id: 'transfer-comment',
      class: 'wide',
      placeholder: 'why, for the next operator',
      'aria-label': 'Transfer comment (staff only)',
    });
    const withComment = (body: Record<string, unknown>) => (comment.value.trim() ? { ...body, comment: comment.value.trim() } : body);
    const spam = s._state === 'MarkedAsSpam';
    mount(
      actions,
      s._userId === me.sub && s._state === 'AssignedToOperator'
        ? null
        : h('button', { onclick: () => command('Taken', 'POST', '/assign', { operator: me.sub }) }, 'Take'),
      h(
        'span',
        { class: 'field' },
        h('label', { for: 'priority' }, 'Priority'),
        priority,
        h('button', { onclick: () => command('Priority set', 'PUT', '/priority', { priority: priority.value || null }) }, 'Set'),
      ),
      h(
        'span',
        { class: 'field' },
        h('label', { for: 'transfer-operator' }, 'Operator'),
        target,
        h('button', { onclick: () => command('Transferred', 'POST', '/assign', withComment({ operator: target.value.trim() })) }, 'Transfer'),
      ),
      h(
        'span',
        { class: 'field' },
        h('label', { for: 'transfer-group' }, 'Group'),
        group,
        h('button', { onclick: () => command('Sent to the group', 'POST', '/assign', withComment({ group: group.value })) }, 'Send to group'),
      ),
      h('span', { class: 'field' }, h('label', { for: 'transfer-comment' }, 'Comment'), comment),
      h('button', { onclick: () => command('Handed to the bot', 'POST', '/assign', { bot: true }) }, 'Hand to bot'),
      spam
        ? h('button', { onclick: () => command('Unmarked', 'DELETE', '/spam') }, 'Not spam')
        : h('button', { onclick: () => command('Marked as spam', 'PUT', '/spam') }, 'Spam'),
      h('button', { class: 'danger', onclick: () => command('Closed', 'POST', '/close') }, 'Close'),
    );
  }

  /** A message's files: images inline, anything else a download link; refused ones say why. */
  function renderFiles(files: FileRef[] | undefined) {
    if (!files?.length) return null;
    return h(
      'ul',
      { class: 'files', 'aria-label': 'Files' },
      files.map((f) => {
        const size = f.size < 1024 * 1024 ? `${Math.ceil(f.size / 1024)} KB` : `${(f.size / 1024 / 1024).toFixed(1)} MB`;
        if (f.state !== 'ready')
          return h('li', { class: 'file refused' }, `${f.name} — ${f.state === 'rejected' ? `refused (${f.reason ?? 'check'})` : 'not ready'}`);
        if (f.type.startsWith('image/')) {
          const img = h('img', { alt: f.name, class: 'file-image', 'data-file': f.id });
          void fileLink(f.id)
            .then((l) => {
              img.src = l.url;
            })
            .catch(() => undefined);
          return h('li', { class: 'file' }, img);
        }
        // A fresh link at each click: the signed URL lives minutes.
        const link = h('a', { href: '#', class: 'file-link', 'data-file': f.id }, `${f.name} (${size})`);
        link.addEventListener('click', async (e) => {
          e.preventDefault();
          try {
            location.assign((await fileLink(f.id)).url);
          } catch (err) {
            fail(err);
          }
        });
        return h('li', { class: 'file' }, link);
      }),
    );
  }

  /** A transfer's comment: the note written with a reassignment, at its instant, right after it. */
  const isTransferNote = (m: Message, previous: Message | undefined) =>
    m.type === 'system' && previous?.payload?.kind === 'SessionReassigned' && previous.__createdAt === m.__createdAt;

  function renderMessage(m: Message, i: number, all: Message[]) {
    if (isTransferNote(m, all[i - 1])) {
      return h(
        'li',
        { class: 'msg note transfer', 'data-kind': 'transfer-note' },
        h('span', { class: 'tag' }, `Transfer note from ${m.operator ?? ''} (staff only) · ${time(m.__createdAt)}`),
        h('p', {}, m.body),
      );
    }
    if (m.type === 'payload') {
      return h('li', { class: 'msg history', 'data-kind': 'history' }, h('span', { class: 'sr' }, 'History: '), `${time(m.__createdAt)} · ${historyText(m)}`);
    }
    if (m.type === 'system') {
      return h(
        'li',
        { class: 'msg note', 'data-kind': 'note' },
        h('span', { class: 'tag' }, `Note (staff only) · ${m.operator ?? ''} · ${time(m.__createdAt)}`),
        m.body ? h('p', {}, m.body) : null,
        renderFiles(m.attachments),
      );
    }
    const mine = m.author !== 'client';
    // A mail whose sender failed DMARC may not be from who it says: the operator sees so.
    const spoofed = m._mailAuth?.dmarc === 'fail';
    // Read state: a reply read by the client (✓✓) or only sent (✓); a client message read by staff or not yet.
    const readState = mine ? (m.isRead ? '✓✓ Read' : '✓ Sent') : m.isRead ? 'Read' : 'Unread';
    return h(
      'li',
      { class: `msg ${mine ? 'reply' : 'client'}`, 'data-kind': mine ? 'reply' : 'client', 'data-read': String(m.isRead) },
      h('span', { class: 'tag' }, `${mine ? (m.author === 'bot' ? 'Bot' : (m.operator ?? 'Operator')) : 'Client'} · ${time(m.__createdAt)}`),
      ...(spoofed ? [h('span', { class: 'tag warn', title: 'The sender failed DMARC: the mail may not come from this address' }, 'DMARC failed')] : []),
      m.body ? h('p', {}, m.body) : null,
      renderFiles(m.attachments),
      h('span', { class: 'read-state', 'aria-label': m.isRead ? 'Read' : mine ? 'Sent' : 'Unread' }, readState),
    );
  }

  async function refreshSession() {
    const id = openId();
    if (!id) return;
    if (current?.id !== id) {
      current = { id, messages: [] };
      mount(
        panel,
        head,
        actions,
        log,
        typingLine,
        h(
          'div',
          { class: 'composer' },
          h('label', { for: 'composer' }, 'Message'),
          text,
          picker,
          templateHint,
          h(
            'div',
            { class: 'row' },
            h('label', { for: 'attach', class: 'attach' }, 'Attach'),
            attach,
            h('button', { onclick: () => send('text') }, 'Send reply'),
            h('button', { class: 'secondary', onclick: () => send('system') }, 'Add note (staff only)'),
          ),
        ),
      );
      mount(head, h('p', { class: 'muted' }, 'Loading…'));
      mount(log);
    }
    const [session, messages] = await Promise.all([
      api<Session>('GET', `/v1/sessions/${id}`),
      api<Message[]>('GET', `/v1/sessions/${id}/messages?from=0&size=1000`),
    ]);
    if (current.id !== id) return;
    const readKey = (list: Message[]) => list.map((m) => (m.isRead ? '1' : '0')).join('');
    void markRead(session, messages);
    // The head and the actions only when the session changed: a new message or a read receipt
    // leaves what the operator is typing into the action fields alone.
    const sessionChanged = current.session?.__updatedAt !== session.__updatedAt || !current.session;
    current.session = session;
    // Also once the lines have loaded, if the actions were drawn before them (an empty group list).
    if (sessionChanged || (!actionsHadLine && lines.has(session._line))) {
      const line = lines.get(session._line);
      mount(
        head,
        h('h2', { id: 'session-title' }, session.__name),
        h(
          'p',
          { class: 'meta' },
          h('span', { class: `badge s-${session._state}` }, STATE_LABEL[session._state]),
          session._priority ? h('span', { class: `badge p-${session._priority}` }, session._priority) : null,
          ` ${line?.__name ?? ''} · operator ${show(session._userId)} · group ${show(session._userGroupId)}`,
        ),
      );
      renderActions(session);
    }
    const atBottom = log.scrollHeight - log.scrollTop - log.clientHeight < 40;
    if (
      messages.length !== current.messages.length ||
      readKey(messages) !== readKey(current.messages) ||
      messages.some((m, i) => m.__id !== current!.messages[i]?.__id)
    ) {
      mount(log, messages.map(renderMessage));
      if (atBottom || current.messages.length === 0) log.scrollTop = log.scrollHeight;
    }
    current.messages = messages;
  }

  mount(
    root,
    h(
      'div',
      { class: 'workspace' },
      h(
        'aside',
        { class: 'side', 'aria-label': 'Queues' },
        presenceButton,
        h('h2', {}, 'Queue ', queueCount),
        queueList,
        h('h2', {}, 'My sessions ', mineCount),
        mineList,
      ),
      h('div', { class: 'main-col' }, alert, status, panel),
    ),
  );

  const lists = watch(async () => {
    try {
      await refreshLists();
    } catch (err) {
      fail(err);
    }
  }, 2000);
  const sessionWatch = watch(async () => {
    try {
      await refreshSession();
    } catch (err) {
      fail(err);
    }
  }, 2000);
  const onHash = () => {
    alert.textContent = '';
    sessionWatch.poke();
    lists.poke();
  };
  window.addEventListener('hashchange', onHash);
  return () => {
    lists.stop();
    sessionWatch.stop();
    stopTyping();
    window.removeEventListener('hashchange', onHash);
  };
}
