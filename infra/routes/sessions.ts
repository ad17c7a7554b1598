/** Session commands, messages, channel and client commands (issue 4). */
import type { RouteDefinition } from '../routes.ts';

export const sessionRoutes: readonly RouteDefinition[] = [];
