// The load generator of `npm run bench` (step 4), in its own process so that it does not share
// the host's event loop: autocannon cycles each connection through a support conversation —
// a client writes, writes again, an operator takes it, replies and closes it, then a queue
// search and a fetch — and prints autocannon's result as JSON.

import { randomUUID } from 'node:crypto';
import autocannon from 'autocannon';

const config = JSON.parse(process.argv[2]);
const json = (token) => ({ 'content-type': 'application/json', authorization: `Bearer ${token}` });
const byStep = {};
const count = (step, status) => {
  byStep[step] ??= {};
  byStep[step][status] = (byStep[step][status] ?? 0) + 1;
};
const step = (name, build) => ({
  ...build,
  onResponse(status, body, context) {
    count(name, status);
    build.onResponse?.(status, body, context);
  },
});

const requests = [
  step('inbound (new session)', {
    method: 'POST',
    path: `/v1/channels/${config.channelId}/inbound`,
    headers: json(config.integration),
    setupRequest(req, context) {
      context.account = `load-${randomUUID()}`;
      return { ...req, body: JSON.stringify({ account: context.account, body: 'Hello, my order is late' }) };
    },
    onResponse(_status, body, context) {
      try {
        context.sessionId = JSON.parse(body).session.__id;
      } catch {
        context.sessionId = undefined;
      }
    },
  }),
  step('inbound (open session)', {
    method: 'POST',
    path: `/v1/channels/${config.channelId}/inbound`,
    headers: json(config.integration),
    setupRequest: (req, context) => ({ ...req, body: JSON.stringify({ account: context.account, body: 'Order 1234' }) }),
  }),
  step('assign', {
    method: 'POST',
    headers: json(config.operator),
    setupRequest: (req, context) => ({ ...req, path: `/v1/sessions/${context.sessionId}/assign`, body: JSON.stringify({ operator: config.operatorId }) }),
  }),
  step('reply', {
    method: 'POST',
    headers: json(config.operator),
    setupRequest: (req, context) => ({
      ...req,
      path: `/v1/sessions/${context.sessionId}/messages`,
      body: JSON.stringify({ type: 'text', body: 'On its way!' }),
    }),
  }),
  step('close', {
    method: 'POST',
    headers: json(config.operator),
    setupRequest: (req, context) => ({ ...req, path: `/v1/sessions/${context.sessionId}/close` }),
  }),
  step('search (waiting queue)', {
    method: 'POST',
    path: '/v1/sessions/search',
    headers: json(config.operator),
    body: JSON.stringify({ where: { and: [{ eq: ['_line', config.lineId] }, { eq: ['_state', 'Waiting'] }] }, from: 0, size: 10 }),
  }),
  step('fetch', {
    method: 'GET',
    headers: { authorization: `Bearer ${config.operator}` },
    setupRequest: (req, context) => ({ ...req, path: `/v1/sessions/${context.sessionId}` }),
  }),
];

const result = await autocannon({
  url: config.url,
  connections: config.connections,
  duration: config.duration,
  requests,
});
process.stdout.write(JSON.stringify({ result, byStep }));
