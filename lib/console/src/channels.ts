/**
 * Channels (admins): per line, its channels with their type, state and last error; disconnect and
 * reconnect; and connecting a Telegram bot, which takes the token from @BotFather and nothing
 * else (chatlines registers the webhook itself; the token is never shown again).
 */
import { ApiError, api, type Line, search } from './api.ts';
import type { Identity } from './auth.ts';
import { h, mount } from './dom.ts';

interface Channel {
  __id: string;
  __name: string;
  _line: string;
  _type: string;
  _state: 'active' | 'disconnected' | 'error';
  _lastError?: string | null;
}

const TYPE_NAMES: Record<string, string> = {
  telegramBot: 'Telegram bot',
  whatsapp: 'WhatsApp',
  viberbot: 'Viber bot',
  instagram: 'Instagram',
  livechat: 'Web chat',
  inbox: 'E-mail',
};
const typeName = (type: string) => TYPE_NAMES[type] ?? type;

export function channels(root: HTMLElement, _me: Identity): () => void {
  const alert = h('p', { class: 'error', role: 'alert' });
  const status = h('p', { class: 'muted', role: 'status' });
  const cards = h('div', { class: 'lines' });
  mount(root, h('div', { class: 'channels-page' }, h('h1', {}, 'Channels'), alert, status, cards));
  const fail = (err: unknown) => {
    status.textContent = '';
    alert.textContent = err instanceof ApiError ? err.detail : String((err as Error).message ?? err);
  };
  let stopped = false;

  function row(channel: Channel) {
    const command = async (name: 'disconnect' | 'reconnect') => {
      alert.textContent = '';
      try {
        await api('POST', `/v1/channels/${channel.__id}/${name}`);
        status.textContent = `${channel.__name}: ${name === 'disconnect' ? 'disconnected' : 'reconnected'}.`;
        await load();
      } catch (err) {
        fail(err);
      }
    };
    return h(
      'tr',
      { 'data-state': channel._state },
      h('td', {}, channel.__name),
      h('td', {}, typeName(channel._type)),
      h('td', {}, h('span', { class: `state state-${channel._state}` }, channel._state)),
      h('td', { class: 'last-error' }, channel._lastError ?? ''),
      h(
        'td',
        {},
        channel._state === 'active'
          ? h('button', { class: 'row-action', onclick: () => void command('disconnect'), 'aria-label': `Disconnect ${channel.__name}` }, 'Disconnect')
          : h('button', { class: 'row-action', onclick: () => void command('reconnect'), 'aria-label': `Reconnect ${channel.__name}` }, 'Reconnect'),
      ),
    );
  }

  function connectTelegram(line: Line) {
    const id = `token-${line.__id}`;
    const token = h('input', { id, name: 'botToken', type: 'password', autocomplete: 'off', required: true, placeholder: '123456789:AA…' });
    return h(
      'form',
      {
        class: 'connect',
        onsubmit: async (e: Event) => {
          e.preventDefault();
          alert.textContent = '';
          status.textContent = 'Connecting…';
          try {
            const channel = await api<Channel>('POST', '/v1/channels', {
              _line: line.__id,
              _type: 'telegramBot',
              __name: 'Telegram bot',
              _credentials: { botToken: token.value.trim() },
            });
            token.value = '';
            status.textContent = `${channel.__name} connected: Telegram now sends its messages here.`;
            await load();
          } catch (err) {
            fail(err);
          }
        },
      },
      h('label', { for: id }, 'Connect a Telegram bot: token from @BotFather'),
      token,
      h('button', { type: 'submit' }, 'Connect'),
    );
  }

  async function load() {
    const lines = (await search<Line>('lines', { size: 100, sort: [{ field: '__name', ascending: true }] })).items;
    const all = (await search<Channel>('channels', { size: 500 })).items;
    if (stopped) return;
    mount(
      cards,
      lines.length
        ? lines.map((line) => {
            const mine = all.filter((c) => c._line === line.__id);
            return h(
              'section',
              { class: 'card line', 'aria-labelledby': `channels-${line.__id}` },
              h('h2', { id: `channels-${line.__id}` }, line.__name),
              mine.length
                ? h(
                    'table',
                    { class: 'channels', 'aria-label': `Channels of ${line.__name}` },
                    h('thead', {}, h('tr', {}, h('th', {}, 'Name'), h('th', {}, 'Type'), h('th', {}, 'State'), h('th', {}, 'Last error'), h('th', {}, ''))),
                    h('tbody', {}, mine.map(row)),
                  )
                : h('p', { class: 'muted' }, 'No channels yet.'),
              connectTelegram(line),
            );
          })
        : h('p', { class: 'muted' }, 'No lines yet.'),
    );
  }

  load().catch(fail);
  return () => {
    stopped = true;
  };
}
