/**
 * Compile-time checks of the typed client, verified by `npx tsc --noEmit -p .` (this file is
 * never run). Every `@ts-expect-error` line must fail to compile: if one ever compiles, tsc
 * reports the unused directive. The `Same` checks prove the client's hand-written wire types
 * equal the server's zod schemas, so they cannot drift apart.
 */

import type * as Package from '@chatlines/client';
import type { z } from 'zod';
import type { LinesClient } from '../../lib/client/index.ts';
import {
  createLinesClient,
  type LineChannelData,
  LineChannelState,
  LineChannelType,
  type LineClientData,
  type LineData,
  type LineMessageData,
  type LineMetricsData,
  type LineSessionData,
  LineSessionPriority,
  LineSessionState,
  type LiveEventData,
  type OperatorData,
  type ProblemDetails,
  type QueuePositionData,
} from '../../lib/client/index.ts';
import type { ChatlinesEventSchema } from '../../lib/contract/events.ts';
import type { MetricsResponse } from '../../lib/contract/metrics.ts';
import type {
  ChannelSchema,
  ClientSchema,
  LineSchema,
  MessageSchema,
  OperatorSchema,
  ProblemSchema,
  QueuePositionSchema,
  SessionSchema,
} from '../../lib/contract/schemas.ts';

type Same<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;
const same = <T extends true>(): T => true as T;

// `@chatlines/client` resolves (its package.json `exports`, built `.d.ts`) to this very client:
// the same surface and the same wire types. (Its classes have private fields, so they are
// compared by their public keys: TypeScript never equates two declarations of a private field.)
same<Same<keyof typeof Package, keyof typeof import('../../lib/client/index.ts')>>();
same<Same<keyof Package.LinesClient, keyof LinesClient>>();
same<Same<Package.LineSessionData, LineSessionData>>();
same<Same<Package.LineData, LineData>>();
same<Same<Package.ProblemDetails, ProblemDetails>>();
same<Same<Parameters<typeof Package.createLinesClient>, Parameters<typeof createLinesClient>>>();

// The client's wire types are exactly the server's response types.
same<Same<LineData, z.output<typeof LineSchema>>>();
same<Same<LineChannelData, z.output<typeof ChannelSchema>>>();
same<Same<LineClientData, z.output<typeof ClientSchema>>>();
same<Same<LineSessionData, z.output<typeof SessionSchema>>>();
same<Same<LineMessageData, z.output<typeof MessageSchema>>>();
same<Same<OperatorData, z.output<typeof OperatorSchema>>>();
same<Same<ProblemDetails, z.output<typeof ProblemSchema>>>();
same<Same<LineMetricsData, z.output<typeof MetricsResponse>>>();
same<Same<LiveEventData, z.output<typeof ChatlinesEventSchema>>>();
same<Same<QueuePositionData, z.output<typeof QueuePositionSchema>>>();

export async function typeChecks(): Promise<void> {
  const lines = createLinesClient({ baseUrl: 'http://localhost:3000', token: 't' });
  const channel = await lines.channels.search().first();
  const client = await lines.clients.search().first();
  const session = await lines.sessions.search().first();

  // What compiles: the seed's forms.
  lines.sessions.search().where((f, g) => g.and(f.__deletedAt.eq(null), f._state.neq(LineSessionState.Closed)));
  lines.sessions.search().where((f, g) => g.or(f._priority.eq(LineSessionPriority.High), g.not(f._priority.eq(null))));
  lines.sessions.search().where((f) => f._clients.all([client]));
  lines.sessions.search().where((f) => f._clients.all([client.id, 'another-id']));
  lines.sessions.search().where((f) => f._channel.eq(channel));
  lines.sessions
    .search()
    .where((f) => f.__createdAt.gte(new Date()))
    .sort('__createdAt', false);
  lines.channels.search().where((f) => f._type.in([LineChannelType.inbox, LineChannelType.telegramBot]));
  lines.channels.search().where((f) => f._state.neq(LineChannelState.active));
  lines.clients.search().where((f) => f._username.eq('telegram_username'));
  await lines.sessions.create(channel, 'account');
  await lines.sessions.create(channel.id, 'account');
  await session.setPriority();
  await session.setPriority(LineSessionPriority.Low);

  // A field that does not exist.
  // @ts-expect-error: sessions have no `_colour`
  lines.sessions.search().where((f) => f._colour.eq('red'));
  // @ts-expect-error: `_username` is a client field, not a channel field
  lines.channels.search().where((f) => f._username.eq('x'));
  // @ts-expect-error: sorting by a field that does not exist
  lines.sessions.search().sort('_colour');

  // A value of the wrong type.
  // @ts-expect-error: not a session state
  lines.sessions.search().where((f) => f._state.eq('Open'));
  // @ts-expect-error: a channel state is not a session state
  lines.sessions.search().where((f) => f._state.eq(LineChannelState.active));
  // @ts-expect-error: `__name` holds a string
  lines.lines.search().where((f) => f.__name.eq(42));
  // @ts-expect-error: `in` takes a list
  lines.channels.search().where((f) => f._type.in(LineChannelType.inbox));
  // @ts-expect-error: a session is not a channel reference
  lines.sessions.search().where((f) => f._channel.eq(session));
  // @ts-expect-error: `_clients` holds clients, not channels
  lines.sessions.search().where((f) => f._clients.all([channel]));
  // @ts-expect-error: `all` is for array fields only
  lines.sessions.search().where((f) => f._state.all([LineSessionState.Closed]));
  // @ts-expect-error: array fields have no `gt`
  lines.sessions.search().where((f) => f._clients.gt('x'));
  // @ts-expect-error: `gt` takes a value, never null
  lines.sessions.search().where((f) => f.__createdAt.gt(null));
  // @ts-expect-error: a combinator takes filters, not booleans
  lines.sessions.search().where((_f, g) => g.and(true));

  // Commands and data.
  // @ts-expect-error: not a priority
  await session.setPriority('Urgent');
  // @ts-expect-error: sessions are created in channels, not in clients
  await lines.sessions.create(client, 'account');
  // @ts-expect-error: `_state` is a session state
  session.data._state = 'Open';
  // @ts-expect-error: channels cannot be saved (no such route)
  await channel.save();
}
