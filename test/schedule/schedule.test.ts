/** Business hours (lib/domain/schedule/schedule.ts): open at, next change, open time added — across DST, midnight and holidays. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { type Schedule, ScheduleSchema } from '../../lib/contract/schedule.ts';
import type { Session } from '../../lib/contract/schemas.ts';
import { sessionFigures } from '../../lib/domain/metrics/definitions.ts';
import { addOpenTime, instantOf, isOpenAt, nextChangeAt, openState } from '../../lib/domain/schedule/schedule.ts';
import { rate } from '../../lib/domain/sessions/rating.ts';
import { changed, historyMessage, newMessage, openSession } from '../../lib/domain/sessions/session.ts';
import { desiredClocks } from '../../lib/domain/timers/clocks.ts';
import { emptyTimerState } from '../../lib/domain/timers/state.ts';

const ms = (iso: string) => Date.parse(iso);
const iso = (t: number | null) => (t === null ? null : new Date(t).toISOString());
const weekdays = (from: string, to: string) => ({ mon: [{ from, to }], tue: [{ from, to }], wed: [{ from, to }], thu: [{ from, to }], fri: [{ from, to }] });
const schedule = (input: unknown): Schedule => ScheduleSchema.parse(input);

const berlin = schedule({ timeZone: 'Europe/Berlin', weekly: weekdays('09:00', '18:00') });

describe('business hours', () => {
  it('is open inside the hours and closed outside, in the line’s zone', () => {
    // 2026-12-04 is a Friday; Berlin is UTC+1 in winter.
    assert.equal(isOpenAt(berlin, ms('2026-12-04T08:00:00Z')), true); // 09:00 local
    assert.equal(isOpenAt(berlin, ms('2026-12-04T07:59:59Z')), false);
    assert.equal(isOpenAt(berlin, ms('2026-12-04T16:59:59Z')), true);
    assert.equal(isOpenAt(berlin, ms('2026-12-04T17:00:00Z')), false); // 18:00: the end is not open
    assert.equal(isOpenAt(berlin, ms('2026-12-05T10:00:00Z')), false); // Saturday
  });

  it('next change: the close when open, the next opening when closed (over a weekend)', () => {
    assert.equal(iso(nextChangeAt(berlin, ms('2026-12-04T10:00:00Z'))), '2026-12-04T17:00:00.000Z');
    assert.equal(iso(nextChangeAt(berlin, ms('2026-12-04T18:00:00Z'))), '2026-12-07T08:00:00.000Z');
    assert.deepEqual(openState(berlin, ms('2026-12-05T12:00:00Z')), { openNow: false, nextChangeAt: '2026-12-07T08:00:00.000Z' });
    assert.deepEqual(openState(null, ms('2026-12-05T12:00:00Z')), { openNow: true, nextChangeAt: null });
  });

  it('open time: 10 minutes left at 17:55 on Friday are due at 09:05 on Monday', () => {
    const ny = schedule({ timeZone: 'America/New_York', weekly: weekdays('09:00', '18:00') });
    // 2026-12-04 17:55 EST = 22:55Z; Monday 2026-12-07 09:05 EST = 14:05Z.
    assert.equal(iso(addOpenTime(ny, ms('2026-12-04T22:55:00Z'), 600)), '2026-12-07T14:05:00.000Z');
    // From a closed moment, the count starts at the opening.
    assert.equal(iso(addOpenTime(ny, ms('2026-12-05T12:00:00Z'), 60)), '2026-12-07T14:01:00.000Z');
    // Exactly the rest of the day ends at the close.
    assert.equal(iso(addOpenTime(ny, ms('2026-12-04T22:55:00Z'), 300)), '2026-12-04T23:00:00.000Z');
  });

  it('spring forward: a day with 23 hours still opens at 09:00 local; a wall time in the gap moves forward', () => {
    // Europe/Berlin: 2026-03-29 02:00 → 03:00 (UTC+1 → UTC+2).
    const allDay = schedule({ timeZone: 'Europe/Berlin', weekly: { sat: [{ from: '09:00', to: '24:00' }], sun: [{ from: '00:00', to: '24:00' }] } });
    assert.equal(iso(nextChangeAt(allDay, ms('2026-03-28T12:00:00Z'))), '2026-03-29T22:00:00.000Z'); // Sunday 24:00 CEST
    // Sunday open all day: 24 hours of open time from Sunday 00:00 local need Saturday? No: Sunday is 23 h long.
    assert.equal(iso(addOpenTime(allDay, ms('2026-03-28T23:00:00Z'), 23 * 3600)), '2026-03-29T22:00:00.000Z');
    assert.equal(addOpenTime(allDay, ms('2026-03-28T23:00:00Z'), 23 * 3600 + 1) !== null, true);
    // 02:30 does not exist that night: it is 03:30 CEST (01:30Z).
    assert.equal(iso(instantOf('Europe/Berlin', Date.UTC(2026, 2, 29, 2, 30))), '2026-03-29T01:30:00.000Z');
    const gap = schedule({ timeZone: 'Europe/Berlin', weekly: { sun: [{ from: '02:30', to: '05:00' }] } });
    assert.equal(isOpenAt(gap, ms('2026-03-29T01:15:00Z')), false); // 03:15 CEST
    assert.equal(isOpenAt(gap, ms('2026-03-29T01:30:00Z')), true); // 03:30 CEST
    assert.equal(iso(nextChangeAt(gap, ms('2026-03-29T01:30:00Z'))), '2026-03-29T03:00:00.000Z');
  });

  it('fall back: a day with 25 hours counts 25 hours of open time; the repeated hour is taken once', () => {
    // America/New_York: 2026-11-01 02:00 EDT → 01:00 EST.
    const sunday = schedule({ timeZone: 'America/New_York', weekly: { sun: [{ from: '00:00', to: '24:00' }] } });
    const start = ms('2026-11-01T04:00:00Z'); // 00:00 EDT
    assert.equal(iso(nextChangeAt(sunday, start)), '2026-11-02T05:00:00.000Z'); // 24:00 EST: 25 h later
    assert.equal(iso(addOpenTime(sunday, start, 25 * 3600)), '2026-11-02T05:00:00.000Z');
    // 01:30 exists twice: the earlier (EDT).
    assert.equal(iso(instantOf('America/New_York', Date.UTC(2026, 10, 1, 1, 30))), '2026-11-01T05:30:00.000Z');
    // Open hours across the change: 09:00–17:00 local both days, 8 h each.
    const days = schedule({ timeZone: 'America/New_York', weekly: { sat: [{ from: '09:00', to: '17:00' }], sun: [{ from: '09:00', to: '17:00' }] } });
    assert.equal(iso(addOpenTime(days, ms('2026-10-31T20:00:00Z'), 2 * 3600)), '2026-11-01T15:00:00.000Z'); // Sat 16:00 EDT + 1 h + Sun 09:00 EST + 1 h
  });

  it('an interval that crosses midnight belongs to its first day, and touching intervals are one opening', () => {
    const night = schedule({ timeZone: 'UTC', weekly: { fri: [{ from: '22:00', to: '06:00' }], sat: [{ from: '06:00', to: '08:00' }] } });
    assert.equal(isOpenAt(night, ms('2026-12-05T03:00:00Z')), true); // Saturday 03:00, from Friday's interval
    assert.equal(iso(nextChangeAt(night, ms('2026-12-04T23:00:00Z'))), '2026-12-05T08:00:00.000Z');
    assert.equal(isOpenAt(night, ms('2026-12-06T03:00:00Z')), false); // Sunday: Saturday has no night interval
    assert.equal(iso(addOpenTime(night, ms('2026-12-05T07:00:00Z'), 3600 + 60)), '2026-12-11T22:01:00.000Z');
  });

  it('holidays close all day; special hours replace the week’s', () => {
    const s = schedule({
      timeZone: 'Europe/Berlin',
      weekly: weekdays('09:00', '18:00'),
      exceptions: [
        { date: '2026-12-24', hours: [{ from: '09:00', to: '12:00' }] },
        { date: '2026-12-25', hours: [], name: 'Christmas' },
      ],
    });
    assert.equal(isOpenAt(s, ms('2026-12-24T12:00:00Z')), false); // 13:00 on the 24th: closed at 12
    assert.equal(isOpenAt(s, ms('2026-12-25T10:00:00Z')), false);
    assert.equal(iso(nextChangeAt(s, ms('2026-12-24T11:00:00Z'))), '2026-12-28T08:00:00.000Z'); // Thu closed → Fri holiday → weekend → Mon
    assert.equal(iso(addOpenTime(s, ms('2026-12-24T10:50:00Z'), 20 * 60)), '2026-12-28T08:10:00.000Z');
  });

  it('a schedule that never opens has no next change and no due time', () => {
    const never = schedule({ timeZone: 'UTC', weekly: {} });
    assert.equal(isOpenAt(never, 0), false);
    assert.equal(nextChangeAt(never, 0), null);
    assert.equal(addOpenTime(never, 0, 60), null);
  });

  it('refuses what is not a schedule', () => {
    const bad = (input: unknown) => assert.equal(ScheduleSchema.safeParse(input).success, false, JSON.stringify(input));
    bad({ timeZone: 'Mars/Olympus', weekly: {} });
    bad({ timeZone: 'UTC', weekly: { mon: [{ from: '9:00', to: '18:00' }] } });
    bad({ timeZone: 'UTC', weekly: { mon: [{ from: '24:00', to: '18:00' }] } });
    bad({ timeZone: 'UTC', weekly: { mon: [{ from: '09:00', to: '09:00' }] } });
    bad({ timeZone: 'UTC', weekly: { funday: [] } });
    bad({ timeZone: 'UTC', weekly: {}, exceptions: [{ date: '2026-02-30', hours: [] }] });
    bad({
      timeZone: 'UTC',
      weekly: {},
      exceptions: [
        { date: '2026-12-25', hours: [] },
        { date: '2026-12-25', hours: [] },
      ],
    });
  });
});

describe('SLA clocks on business hours (lib/domain/timers/clocks.ts)', () => {
  const session = (createdAt: string) =>
    ({ ...openSession({ line: 'l', channel: 'c', client: 'k', state: 'Waiting', by: 'x', now: createdAt }), __createdAt: createdAt }) as Session;
  const ny = schedule({ timeZone: 'America/New_York', weekly: weekdays('09:00', '18:00') });

  it('SLA targets count open time; autoClose and returnToQueue keep wall time', () => {
    // Friday 17:50 EST (22:50Z): first response in 15 min → 10 min on Friday + 5 min on Monday from 09:00 → 09:05 EST.
    const s = session('2026-12-04T22:50:00.000Z');
    const state = { ...emptyTimerState(), waitingSince: s.__createdAt, clientAt: s.__createdAt };
    const clocks = desiredClocks({ _sla: { firstResponse: 900, resolution: 3600 }, _autoClose: null, _returnToQueue: null, _schedule: ny }, s, state);
    assert.equal(clocks.firstResponse?.dueAt, '2026-12-07T14:05:00.000Z');
    assert.equal(clocks.resolution?.dueAt, '2026-12-07T14:50:00.000Z');
    const held = { ...s, _state: 'AssignedToOperator', _userId: 'op' } as Session;
    const wall = desiredClocks({ _sla: null, _autoClose: { afterInactive: 600 }, _returnToQueue: { afterNoReply: 300 }, _schedule: ny }, held, {
      ...state,
      heldSince: s.__createdAt,
    });
    assert.equal(wall.autoClose?.dueAt, '2026-12-04T23:00:00.000Z');
    assert.equal(wall.returnToQueue?.dueAt, '2026-12-04T22:55:00.000Z');
    // Without a schedule: wall time, as always.
    assert.equal(
      desiredClocks({ _sla: { firstResponse: 900 }, _autoClose: null, _returnToQueue: null }, s, state).firstResponse?.dueAt,
      '2026-12-04T23:05:00.000Z',
    );
  });
});

describe('the csat metric (lib/domain/metrics/definitions.ts)', () => {
  it('a rating is one sample at the rating, to the operator who last held the session', () => {
    const s = session2();
    const closed = changed({ ...s, _state: 'AssignedToOperator', _userId: 'op-1' }, {}, 'op-1', '2026-12-04T10:05:00.000Z');
    const end = changed({ ...closed, _state: 'Closed', _userId: null, _csatRequestedAt: '2026-12-04T10:10:00.000Z' }, {}, 'op-1', '2026-12-04T10:10:00.000Z');
    const { history } = rate(end, { score: 4, comment: 'fine', at: '2026-12-05T08:00:00.000Z', via: 'widget' }, 'visitor:v');
    const messages = [
      historyMessage(null, s, 'create', 'x'),
      historyMessage(s, closed, 'assignToOperator', 'op-1'),
      historyMessage(closed, end, 'close', 'op-1'),
      history,
    ];
    const csat = sessionFigures(messages).samples.filter((x) => x.metric === 'csat');
    assert.deepEqual(csat, [{ metric: 'csat', at: '2026-12-05T08:00:00.000Z', value: 4, operator: 'op-1', group: null }]);
    assert.throws(
      () =>
        rate(
          { ...end, _rating: { score: 4, comment: null, at: '2026-12-05T08:00:00.000Z', via: 'widget' } },
          { score: 5, comment: null, at: '2026-12-05T08:01:00.000Z', via: 'widget' },
          'v',
        ),
      /rated already/,
    );
  });
  const session2 = () => openSession({ line: 'l', channel: 'c', client: 'k', state: 'Waiting', by: 'x', now: '2026-12-04T10:00:00.000Z' });
});

describe('sla_met_share in open time (lib/domain/metrics/definitions.ts)', () => {
  const ny = schedule({ timeZone: 'America/New_York', weekly: weekdays('09:00', '18:00') });
  const firstResponseMet = (replyAt: string, withSchedule = true) => {
    const s = openSession({ line: 'l', channel: 'c', client: 'k', state: 'Waiting', by: 'x', now: '2026-12-05T17:00:00.000Z' }); // Saturday
    const created = historyMessage(null, s, 'create', 'x');
    const payload = { ...created.payload!, sla: { firstResponse: 600 }, ...(withSchedule ? { schedule: ny } : {}) };
    const reply = newMessage({ session: s.__id, type: 'text', author: 'operator', operator: 'op', body: 'hi', now: replyAt });
    return sessionFigures([{ ...created, payload }, reply]).samples.find((x) => x.metric === 'sla_met_share_firstResponse')?.value;
  };
  it('a reply at 09:05 on Monday to a Saturday session met a 10-minute target; at 09:11 it missed', () => {
    assert.equal(firstResponseMet('2026-12-07T14:05:00.000Z'), 1);
    assert.equal(firstResponseMet('2026-12-07T14:11:00.000Z'), 0);
    assert.equal(firstResponseMet('2026-12-07T14:05:00.000Z', false), 0, 'without hours: wall time');
  });
});
