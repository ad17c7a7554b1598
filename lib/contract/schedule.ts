/**
 * A line's business hours (`_schedule`), its offline reply (`_offlineMessage`) and its
 * satisfaction survey (`_csat`). The rules that read them are in lib/domain/schedule/.
 */
import * as z from './zod.ts';

/** `HH:MM`, 00:00–23:59; `24:00` only as an interval's end. */
const Clock = z.string().check(z.regex(/^([01]\d|2[0-3]):[0-5]\d$/, { error: 'a time HH:MM (00:00–23:59)' }));
const EndClock = z.string().check(z.regex(/^(([01]\d|2[0-3]):[0-5]\d|24:00)$/, { error: 'a time HH:MM (00:00–24:00)' }));

/**
 * One opening interval of a day, local time. `to` at or before `from` crosses midnight (ends
 * the next day); `24:00` is the end of the day. An interval belongs to the day it starts on.
 */
export const OpeningIntervalSchema = z
  .strictObject({ from: Clock, to: EndClock })
  .check(z.refine((i) => i.from !== i.to, { error: 'from and to must differ (00:00–24:00 is the whole day)' }));
export type OpeningInterval = z.infer<typeof OpeningIntervalSchema>;

const DayHours = z.array(OpeningIntervalSchema).check(z.maxLength(12));

export const WEEKDAYS = ['sun', 'mon', 'tue', 'wed', 'thu', 'fri', 'sat'] as const;
export type Weekday = (typeof WEEKDAYS)[number];

/** An IANA time zone the runtime knows (`Europe/Berlin`, `UTC`). */
export const TimeZoneSchema = z.string().check(
  z.minLength(1),
  z.maxLength(64),
  z.refine(
    (tz) => {
      try {
        new Intl.DateTimeFormat('en-US', { timeZone: tz });
        return true;
      } catch {
        return false;
      }
    },
    { error: 'not an IANA time zone (e.g. Europe/Berlin)' },
  ),
);

const CalendarDate = z.string().check(
  z.regex(/^\d{4}-\d{2}-\d{2}$/, { error: 'a date yyyy-mm-dd' }),
  z.refine((s) => new Date(`${s}T00:00:00Z`).toISOString().slice(0, 10) === s, { error: 'not a real date' }),
);

/** A dated exception: `hours: []` closed all day (a holiday), else these hours instead of the week's. */
export const ScheduleExceptionSchema = z.strictObject({
  date: CalendarDate,
  hours: DayHours,
  name: z.optional(z.string().check(z.maxLength(128))),
});

export const ScheduleSchema = z
  .strictObject({
    timeZone: TimeZoneSchema,
    /** Opening hours per weekday (absent or `[]`: closed that day). */
    weekly: z.strictObject({
      mon: z.optional(DayHours),
      tue: z.optional(DayHours),
      wed: z.optional(DayHours),
      thu: z.optional(DayHours),
      fri: z.optional(DayHours),
      sat: z.optional(DayHours),
      sun: z.optional(DayHours),
    }),
    exceptions: z._default(z.array(ScheduleExceptionSchema).check(z.maxLength(400)), []),
  })
  .check(
    z.superRefine((s, ctx) => {
      const seen = new Set<string>();
      s.exceptions.forEach((e, i) => {
        if (seen.has(e.date)) ctx.addIssue({ code: 'custom', path: ['exceptions', i, 'date'], message: `${e.date} is given twice` });
        seen.add(e.date);
      });
    }),
  );
export type Schedule = z.output<typeof ScheduleSchema>;

/** What a closed line answers a new session with. */
export const OfflineMessageSchema = z.string().check(z.trim(), z.minLength(1), z.maxLength(2000));
export const DEFAULT_OFFLINE_MESSAGE = 'We are closed right now. We will answer as soon as we open.';

/** `_csat`: after a close, ask the client to rate the conversation (1–5). */
export const CsatSettingsSchema = z.strictObject({
  enabled: z.boolean(),
  /** The request text (messengers get it with "reply with a number from 1 to 5"). */
  message: z.optional(z.string().check(z.trim(), z.minLength(1), z.maxLength(2000))),
});
export type CsatSettings = z.infer<typeof CsatSettingsSchema>;
export const DEFAULT_CSAT_MESSAGE = 'How did we do? Please rate this conversation from 1 (bad) to 5 (excellent).';
/** How long after the close a rating is taken. */
export const CSAT_WINDOW_SECONDS = 24 * 3600;

/** A client's rating of a closed session. */
export const RatingSchema = z.object({
  score: z.number().check(z.int(), z.gte(1), z.lte(5)),
  comment: z.nullable(z.string()),
  at: z.iso.datetime({ offset: true }),
  /** `widget` (the visitor route) or `message` (an inbound "1".."5"). */
  via: z.enum(['widget', 'message']),
});
export type Rating = z.infer<typeof RatingSchema>;

/** `POST /v1/visitors/rating`. */
export const RateBody = z.strictObject({
  score: z.number().check(z.int(), z.gte(1), z.lte(5)),
  comment: z.optional(z.string().check(z.trim(), z.maxLength(2000))),
});
