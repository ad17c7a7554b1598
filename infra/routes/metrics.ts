/** The metrics API and the scheduled aggregation (issue 6). */
import type { RouteDefinition, ScheduledFunctionDefinition } from '../routes.ts';

export const metricsRoutes: readonly RouteDefinition[] = [];

export const scheduledFunctions: readonly ScheduledFunctionDefinition[] = [];
