/** Response schemas shared by several routes, with their OpenAPI component names. */

import { ChannelSchema, ClientSchema, LineSchema, MessageSchema, OperatorSchema, SessionSchema } from '../schemas.ts';
import { named } from '../spec.ts';

export const Line = named('Line', LineSchema);
export const Channel = named('Channel', ChannelSchema);
export const Client = named('Client', ClientSchema);
export const Session = named('Session', SessionSchema);
export const Message = named('Message', MessageSchema);
export const Operator = named('Operator', OperatorSchema);
