/** The timer sweeper: run every minute by its own schedule. The line policies travel in `PATCH /v1/lines/{id}` (core.ts). */
import type { ScheduledFunctionDefinition } from '../spec.ts';

export const scheduledFunctions: readonly ScheduledFunctionDefinition[] = [
  {
    function: 'sweep-timers',
    access: 'write',
    everyMinutes: 1,
    description: 'Timer sweep: fires the SLA, auto-close and return-to-queue clocks that have come due (lib/app/timers/sweep.ts).',
  },
];
