/**
 * Who may do what, for every route of the manifest: the expected status per role and case.
 * One table, read by two users: `authorization-matrix.test.ts` calls every cell over HTTP and
 * checks the answer, and `test/docs/generate.ts` writes it out as docs/routes-by-role.md.
 *
 * Roles: `admin`; `supervisor` of line A; `operator` = alice, online operator of line A;
 * `offline` = carol, operator of line A who is offline; `bot` = line A's bot; `integration`
 * bound to line A's channel. Ownership cases of a session: `queued` (Waiting, line A), `own`
 * (held by the caller: alice's / carol's / the bot's; for the other roles alice's), `other`
 * (held by bob on line A), `foreign` (held by dave on line B). Other objects: `A` / `B` = the
 * line, channel or client of line A / line B.
 */

export const ROLES = ['admin', 'supervisor', 'operator', 'offline', 'bot', 'integration'] as const;
export type Role = (typeof ROLES)[number];
export type Case = 'queued' | 'own' | 'other' | 'foreign' | 'A' | 'B' | '-';
export const SESSION: readonly Case[] = ['queued', 'own', 'other', 'foreign'];
export const LINES: readonly Case[] = ['A', 'B'];
export const NONE: readonly Case[] = ['-'];

/** One row of the matrix: a route (and a variant of its body), its cases, the expected status per role and case. */
export interface Expectation {
  route: string;
  variant?: string;
  cases: readonly Case[];
  expect: Record<Role, readonly number[]>;
  /** Why the row looks as it does, in a sentence (shown in the generated docs). */
  note?: string;
}

/** The key that pairs a row with its request in the test. */
export const rowKey = (row: { route: string; variant?: string }) => `${row.route}${row.variant ? ` (${row.variant})` : ''}`;

const all = (status: number) => ({ admin: [status], supervisor: [status], operator: [status], offline: [status], bot: [status], integration: [status] });
const search = (collection: string): Expectation => ({
  route: `POST /v1/${collection}/search`,
  cases: NONE,
  expect: { admin: [200], supervisor: [200], operator: [200], offline: [200], bot: [200], integration: [403] },
  note: 'Everyone but integrations searches, within the lines it sees.',
});
/** Visibility of a session: everyone who sees its line (the bot: its line's), the rest 404. */
const SEE_SESSION = {
  //            queued own  other foreign
  admin: [200, 200, 200, 200],
  supervisor: [200, 200, 200, 404],
  operator: [200, 200, 200, 404],
  offline: [200, 200, 200, 404],
  bot: [200, 200, 200, 404],
  integration: [404, 404, 404, 404],
};
/** Commands open to admins, the line's supervisors and the holding operator (not to the bot). */
const STAFF_COMMAND = {
  //            queued own  other foreign
  admin: [200, 200, 200, 200],
  supervisor: [200, 200, 200, 404],
  operator: [403, 200, 403, 404],
  offline: [403, 403, 403, 404],
  bot: [403, 403, 403, 404],
  integration: [404, 404, 404, 404],
};
const STAFF_COMMAND_NOTE = 'Admins, the line’s supervisors and the online operator who holds the session.';

export const EXPECTATIONS: Expectation[] = [
  { route: 'GET /v1/health', cases: NONE, expect: all(200), note: 'No token needed.' },
  { route: 'GET /v1/openapi.json', cases: NONE, expect: all(200), note: 'No token needed.' },
  // Visitor routes take no staff token: a staff JWT is no visitor token (401), and a
  // visitor starts on livechat channels only (line A's is telegram: 404 to everyone).
  {
    route: 'POST /v1/visitors',
    cases: NONE,
    expect: all(404),
    note: 'No token; line A’s channel is not `livechat`, so 404 for everyone (a `livechat` channel gives 201).',
  },
  { route: 'POST /v1/visitors/messages', cases: NONE, expect: all(401), note: 'A staff JWT is no visitor token.' },
  { route: 'GET /v1/visitors/messages', cases: NONE, expect: all(401), note: 'A staff JWT is no visitor token.' },
  { route: 'GET /v1/visitors/queue', cases: NONE, expect: all(401), note: 'A staff JWT is no visitor token.' },
  { route: 'POST /v1/visitors/rating', cases: NONE, expect: all(401), note: 'A staff JWT is no visitor token.' },
  // Messenger hooks take no staff token: only the messenger's own proof, checked against the
  // channel's stored secrets; line A's channel is not connected natively, so 401 for everyone.
  ...(
    [
      ['POST', 'telegram'],
      ['GET', 'whatsapp'],
      ['POST', 'whatsapp'],
      ['POST', 'viber'],
      ['GET', 'instagram'],
      ['POST', 'instagram'],
    ] as const
  ).map(
    ([method, messenger]): Expectation => ({
      route: `${method} /v1/hooks/${messenger}/{channelId}`,
      cases: LINES,
      expect: { admin: [401, 401], supervisor: [401, 401], operator: [401, 401], offline: [401, 401], bot: [401, 401], integration: [401, 401] },
      note: 'Public: the messenger’s own proof, never a staff JWT; a channel not connected natively (or missing) is 401, the same as a forged proof.',
    }),
  ),
  { route: 'POST /v1/visitors/files', cases: NONE, expect: all(401), note: 'A staff JWT is no visitor token.' },
  { route: 'GET /v1/visitors/files/{id}', cases: NONE, expect: all(401), note: 'A staff JWT is no visitor token.' },
  {
    route: 'POST /v1/sessions/{id}/files',
    cases: SESSION,
    expect: {
      admin: [201, 201, 201, 201],
      supervisor: [201, 201, 201, 404],
      operator: [403, 201, 403, 404],
      offline: [403, 403, 403, 404],
      bot: [403, 201, 403, 404],
      integration: [404, 404, 404, 404],
    },
    note: 'Whoever may write to the session: reply (the holder) or add a note (admins, the line’s supervisors, the holder).',
  },
  {
    route: 'GET /v1/files/{id}',
    cases: SESSION,
    expect: SEE_SESSION,
    note: 'A file of a session (here a note’s, `?redirect=false`): whoever sees the session; everyone else 404.',
  },
  { route: 'POST /v1/visitors/read', cases: NONE, expect: all(401), note: 'A staff JWT is no visitor token.' },
  {
    route: 'POST /v1/lines',
    cases: NONE,
    expect: { admin: [201], supervisor: [403], operator: [403], offline: [403], bot: [403], integration: [403] },
  },
  {
    route: 'GET /v1/lines/{id}',
    cases: LINES,
    //                     A    B
    expect: { admin: [200, 200], supervisor: [200, 404], operator: [200, 404], offline: [200, 404], bot: [200, 404], integration: [404, 404] },
  },
  {
    route: 'PATCH /v1/lines/{id}',
    variant: 'timer policies',
    cases: LINES,
    // Admins only; the line's staff see it (403), other lines' and integrations do not (404).
    expect: { admin: [200, 200], supervisor: [403, 404], operator: [403, 404], offline: [403, 404], bot: [403, 404], integration: [404, 404] },
    note: 'Admins only; the line’s staff see the line (403), others do not (404).',
  },
  {
    route: 'POST /v1/channels',
    cases: LINES,
    expect: { admin: [201, 201], supervisor: [403, 403], operator: [403, 403], offline: [403, 403], bot: [403, 403], integration: [403, 403] },
  },
  {
    route: 'POST /v1/channels/{id}/inbound',
    cases: LINES,
    // The line's staff see the channel (403); other lines' staff and other channels' integrations do not (404).
    expect: { admin: [201, 201], supervisor: [403, 404], operator: [403, 404], offline: [403, 404], bot: [403, 404], integration: [201, 404] },
    note: 'The channel’s integration and admins; the line’s staff see the channel (403), others do not (404).',
  },
  {
    route: 'POST /v1/channels/{id}/disconnect',
    cases: LINES,
    expect: { admin: [200, 200], supervisor: [200, 404], operator: [403, 404], offline: [403, 404], bot: [403, 404], integration: [404, 404] },
  },
  {
    route: 'POST /v1/channels/{id}/reconnect',
    cases: LINES,
    expect: { admin: [200, 200], supervisor: [200, 404], operator: [403, 404], offline: [403, 404], bot: [403, 404], integration: [404, 404] },
  },
  {
    route: 'PATCH /v1/clients/{id}',
    variant: 'block',
    cases: LINES,
    expect: { admin: [200, 200], supervisor: [200, 404], operator: [403, 404], offline: [403, 404], bot: [403, 404], integration: [404, 404] },
    note: '`_blockedStatus`: admins and the line’s supervisors.',
  },
  {
    route: 'PATCH /v1/clients/{id}',
    variant: 'account link',
    cases: LINES,
    expect: { admin: [200, 200], supervisor: [200, 404], operator: [200, 404], offline: [403, 404], bot: [403, 404], integration: [404, 404] },
    note: '`_applicationItem`: also online operators of the line.',
  },
  {
    route: 'PUT /v1/operators/me/status',
    cases: NONE,
    expect: { admin: [403], supervisor: [403], operator: [200], offline: [200], bot: [403], integration: [403] },
    note: 'Needs the `operator` role; an offline operator may still set its own status.',
  },
  {
    route: 'POST /v1/sessions',
    cases: LINES,
    // Started on behalf of the calling operator: only an online operator of the line.
    expect: { admin: [403, 403], supervisor: [403, 404], operator: [201, 404], offline: [403, 404], bot: [403, 404], integration: [404, 404] },
    note: 'Started on behalf of the caller: only an online operator of the line.',
  },
  { route: 'GET /v1/sessions/{id}', cases: SESSION, expect: SEE_SESSION, note: 'Whoever sees the line (the bot: its line).' },
  { route: 'GET /v1/sessions/{id}/messages', cases: SESSION, expect: SEE_SESSION, note: 'Whoever sees the line (the bot: its line).' },
  { route: 'GET /v1/sessions/{id}/messages/last', cases: SESSION, expect: SEE_SESSION, note: 'Whoever sees the line (the bot: its line).' },
  { route: 'PATCH /v1/sessions/{id}', cases: SESSION, expect: STAFF_COMMAND, note: STAFF_COMMAND_NOTE },
  { route: 'PUT /v1/sessions/{id}/priority', cases: SESSION, expect: STAFF_COMMAND, note: STAFF_COMMAND_NOTE },
  { route: 'PUT /v1/sessions/{id}/spam', cases: SESSION, expect: STAFF_COMMAND, note: STAFF_COMMAND_NOTE },
  // Sessions marked as spam (the operator stays on them): the holder may unmark its own.
  {
    route: 'DELETE /v1/sessions/{id}/spam',
    cases: SESSION,
    expect: STAFF_COMMAND,
    note: `${STAFF_COMMAND_NOTE} A spam session stays its operator’s.`,
  },
  {
    route: 'POST /v1/sessions/{id}/assign',
    cases: SESSION,
    expect: {
      //            queued own  other foreign
      admin: [200, 200, 200, 200],
      supervisor: [200, 200, 200, 404],
      // takes the queued one; passes its own to erin; taking bob's: 409 (already taken)
      operator: [200, 200, 409, 404],
      offline: [403, 403, 403, 404],
      // hands its own to erin
      bot: [403, 200, 403, 404],
      integration: [404, 404, 404, 404],
    },
    note: 'An operator takes a queued session for itself or passes its own on; taking one another operator holds is 409 (it lost the race). The bot hands its own on.',
  },
  {
    route: 'POST /v1/sessions/{id}/close',
    cases: SESSION,
    // A queued session has nobody who could close it (409, the transitions table, before who).
    expect: {
      admin: [409, 403, 403, 403],
      supervisor: [409, 403, 403, 404],
      operator: [409, 200, 403, 404],
      offline: [409, 403, 403, 404],
      bot: [409, 200, 403, 404],
      integration: [404, 404, 404, 404],
    },
    note: 'The holder only (admins and supervisors reassign first). A queued session: 409 from the transitions table, checked before who.',
  },
  {
    route: 'POST /v1/sessions/{id}/messages',
    variant: 'reply',
    cases: SESSION,
    expect: {
      admin: [409, 403, 403, 403],
      supervisor: [409, 403, 403, 404],
      operator: [409, 201, 403, 404],
      offline: [409, 403, 403, 404],
      bot: [409, 201, 403, 404],
      integration: [404, 404, 404, 404],
    },
    note: 'A text reply: the holder only. A queued session: 409 (take it first).',
  },
  {
    route: 'POST /v1/sessions/{id}/messages',
    variant: 'system note',
    cases: SESSION,
    expect: {
      admin: [201, 201, 201, 201],
      supervisor: [201, 201, 201, 404],
      operator: [403, 201, 403, 404],
      offline: [403, 403, 403, 404],
      bot: [403, 201, 403, 404],
      integration: [404, 404, 404, 404],
    },
    note: 'A staff note: admins, the line’s supervisors, the holder.',
  },
  {
    route: 'POST /v1/sessions/{id}/read',
    cases: SESSION,
    expect: {
      admin: [403, 403, 403, 403],
      supervisor: [403, 403, 403, 404],
      operator: [403, 200, 403, 404],
      offline: [403, 403, 403, 404],
      bot: [403, 200, 403, 404],
      integration: [404, 404, 404, 404],
    },
    note: 'A read receipt for the client’s messages: only the holder of the session (online, or the bot).',
  },
  search('lines'),
  search('channels'),
  search('clients'),
  search('sessions'),
  {
    route: 'GET /v1/metrics',
    cases: LINES,
    // Operators read their own figures (the default for them); the bot sees the line but no metrics.
    expect: { admin: [200, 200], supervisor: [200, 404], operator: [200, 404], offline: [200, 404], bot: [403, 404], integration: [404, 404] },
    note: 'Operators read only their own series (`operator=<self>`, their default; anything else 403). The bot sees the line but no metrics.',
  },
  {
    route: 'PATCH /v1/channels/{id}',
    cases: LINES,
    expect: { admin: [200, 200], supervisor: [403, 404], operator: [403, 404], offline: [403, 404], bot: [403, 404], integration: [404, 404] },
  },
  {
    route: 'POST /v1/channels/{id}/messages/{messageId}/status',
    cases: LINES,
    // The channel's integration (and admins) report; the line's staff see the channel (403), others do not (404).
    expect: { admin: [200, 200], supervisor: [403, 404], operator: [403, 404], offline: [403, 404], bot: [403, 404], integration: [200, 404] },
    note: 'The channel’s integration and admins report; the line’s staff see the channel (403).',
  },
  {
    route: 'POST /v1/webhooks',
    cases: LINES,
    // Admins subscribe to any line, a supervisor to its own; line B is not the supervisor's (404: it does not see it).
    expect: { admin: [201, 201], supervisor: [201, 404], operator: [403, 403], offline: [403, 403], bot: [403, 403], integration: [403, 403] },
    note: 'Admins for any line (or all), a supervisor for its own line.',
  },
  {
    route: 'GET /v1/webhooks',
    cases: NONE,
    expect: { admin: [200], supervisor: [200], operator: [403], offline: [403], bot: [403], integration: [403] },
    note: 'Admins see all, supervisors their lines’.',
  },
  {
    route: 'DELETE /v1/webhooks/{id}',
    cases: LINES,
    expect: { admin: [200, 200], supervisor: [200, 404], operator: [404, 404], offline: [404, 404], bot: [404, 404], integration: [404, 404] },
  },
  {
    route: 'GET /v1/webhooks/{id}/deliveries',
    cases: LINES,
    expect: { admin: [200, 200], supervisor: [200, 404], operator: [404, 404], offline: [404, 404], bot: [404, 404], integration: [404, 404] },
  },
  {
    route: 'POST /v1/webhooks/{id}/deliveries/{deliveryId}/retry',
    cases: LINES,
    // No such delivery: 404 to whoever sees the subscription, and to everyone else for the subscription itself
    // (a failed delivery is retried in test/events/webhooks.test.ts).
    expect: { admin: [404, 404], supervisor: [404, 404], operator: [404, 404], offline: [404, 404], bot: [404, 404], integration: [404, 404] },
    note: 'Probed with a delivery that does not exist, so 404 everywhere; whoever sees the subscription retries a failed one (202).',
  },
  {
    route: 'GET /v1/lines/{id}/operators',
    cases: LINES,
    // The line's staff; the bot sees the line but not its people (403); other lines' staff and integrations: 404.
    expect: { admin: [200, 200], supervisor: [200, 404], operator: [200, 404], offline: [200, 404], bot: [403, 404], integration: [404, 404] },
    note: 'The line’s staff; the bot sees the line but not its people (403).',
  },
  {
    route: 'PATCH /v1/lines/{id}',
    variant: 'routing',
    cases: LINES,
    // The same route as the timer policies': admins only, 404 to whoever does not see the line.
    expect: { admin: [200, 200], supervisor: [403, 404], operator: [403, 404], offline: [403, 404], bot: [403, 404], integration: [404, 404] },
    note: 'Admins only; 404 to whoever does not see the line.',
  },
  {
    route: 'PUT /v1/operators/{id}',
    cases: LINES,
    // An operator of line A / of line B: admins, and a supervisor of one of the operator's lines.
    expect: { admin: [200, 200], supervisor: [200, 404], operator: [403, 403], offline: [403, 403], bot: [403, 403], integration: [403, 403] },
    note: 'Cases A / B: an operator of line A / of line B. Admins, and a supervisor of one of the operator’s lines.',
  },
  {
    route: 'GET /v1/sessions/{id}/queue',
    cases: SESSION,
    // Waiting sessions only (409 otherwise), to whoever sees the session and to its channel's integration.
    expect: {
      //            queued own  other foreign
      admin: [200, 409, 409, 409],
      supervisor: [200, 409, 409, 404],
      operator: [200, 409, 409, 404],
      offline: [200, 409, 409, 404],
      bot: [200, 409, 409, 404],
      integration: [200, 409, 409, 404],
    },
    note: 'Waiting sessions only (409 otherwise), to whoever sees the session and to its channel’s integration.',
  },
  {
    route: 'GET /v1/lines/{id}/templates',
    cases: LINES,
    expect: { admin: [200, 200], supervisor: [200, 404], operator: [200, 404], offline: [200, 404], bot: [200, 404], integration: [404, 404] },
    note: 'Whoever sees the line (its operators use them).',
  },
  {
    route: 'POST /v1/lines/{id}/templates',
    cases: LINES,
    expect: { admin: [201, 201], supervisor: [201, 404], operator: [403, 404], offline: [403, 404], bot: [403, 404], integration: [404, 404] },
    note: 'Admins and the line’s supervisors; the line’s other staff see it (403).',
  },
  {
    route: 'PATCH /v1/templates/{id}',
    cases: LINES,
    expect: { admin: [200, 200], supervisor: [200, 404], operator: [403, 404], offline: [403, 404], bot: [403, 404], integration: [404, 404] },
    note: 'Admins and the supervisors of the template’s line.',
  },
  {
    route: 'DELETE /v1/templates/{id}',
    cases: LINES,
    expect: { admin: [200, 200], supervisor: [200, 404], operator: [403, 404], offline: [403, 404], bot: [403, 404], integration: [404, 404] },
    note: 'Admins and the supervisors of the template’s line.',
  },
  {
    route: 'POST /v1/sessions/{id}/messages',
    variant: 'template',
    cases: SESSION,
    expect: {
      admin: [409, 403, 403, 403],
      supervisor: [409, 403, 403, 404],
      operator: [409, 201, 403, 404],
      offline: [409, 403, 403, 404],
      bot: [409, 201, 403, 404],
      integration: [404, 404, 404, 404],
    },
    note: 'A reply filled from a template of the session’s line: the holder only (a template of another line: 404).',
  },
  {
    route: 'GET /v1/clients/{id}/export',
    cases: LINES,
    expect: { admin: [200, 200], supervisor: [403, 404], operator: [403, 404], offline: [403, 404], bot: [403, 404], integration: [404, 404] },
    note: 'Admins only; the line’s staff see the client (403), others do not (404).',
  },
  {
    route: 'DELETE /v1/clients/{id}',
    cases: LINES,
    expect: { admin: [200, 200], supervisor: [403, 404], operator: [403, 404], offline: [403, 404], bot: [403, 404], integration: [404, 404] },
    note: 'Admins only; the line’s staff see the client (403), others do not (404).',
  },
];
