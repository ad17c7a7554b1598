/**
 * The routing step's tally of what the host asks of DynamoDB Local (bench/item-work.ts): items
 * by kind from each call's keys, per new session.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { emptyItemWork, itemKind, perSession, tallyCall, totalOf } from '../../bench/item-work.ts';

test('item kinds follow the key patterns of lib/adapters/dynamodb/keys.ts', () => {
  assert.equal(itemKind({ pk: 'SESSION#s1', sk: '#META' }), 'session');
  assert.equal(itemKind({ pk: 'SESSION#s1', sk: 'MSG#1796690570494-0001-7a852dee' }), 'message');
  assert.equal(itemKind({ pk: 'CHANNEL#c1#ACCOUNT#alice', sk: '#GUARD' }), 'account guard');
  assert.equal(itemKind({ pk: 'CHANNEL#c1', sk: '#META' }), 'channel');
  assert.equal(itemKind({ pk: 'OPEN#c1#k1', sk: '#GUARD' }), 'open-session guard');
  assert.equal(itemKind({ pk: 'EVENT#s1.1', sk: '#EVENT' }), 'live event log');
  assert.equal(itemKind({ pk: 'CLIENT#k1', sk: '#META' }), 'client');
  assert.equal(itemKind(undefined), 'other');
});

test('a new session and its routing, tallied per session', () => {
  const work = emptyItemWork();
  const put = (pk: string, sk = '#META') => ({ Put: { Item: { pk, sk } } });
  for (const n of [1, 2]) {
    tallyCall(work, {
      command: 'BatchGetItem',
      input: {
        RequestItems: {
          t: {
            Keys: [
              { pk: 'CHANNEL#c', sk: '#META' },
              { pk: `CHANNEL#c#ACCOUNT#a${n}`, sk: '#GUARD' },
            ],
          },
        },
      },
    });
    tallyCall(work, {
      command: 'TransactWriteItems',
      input: {
        TransactItems: [
          put(`CLIENT#k${n}`),
          put(`CHANNEL#c#ACCOUNT#a${n}`, '#GUARD'),
          put(`SESSION#s${n}`),
          put(`SESSION#s${n}`, 'MSG#1'),
          { ConditionCheck: { Key: { pk: 'CHANNEL#c', sk: '#META' } } },
        ],
      },
    });
  }
  tallyCall(work, {
    command: 'TransactWriteItems',
    input: { TransactItems: [{ Update: { Key: { pk: 'SESSION#s1', sk: '#META' } } }, { Update: { Key: { pk: 'USER#o', sk: '#OPERATOR' } } }] },
  });
  tallyCall(work, {
    command: 'BatchWriteItem',
    input: {
      RequestItems: { t: [{ PutRequest: { Item: { pk: 'EVENT#s1.1', sk: '#EVENT' } } }, { PutRequest: { Item: { pk: 'EVENT#s2.1', sk: '#EVENT' } } }] },
    },
  });
  tallyCall(work, { command: 'Query', input: { ExpressionAttributeValues: { ':pk': 'ONLINE#GROUP#g' } }, output: { Count: 4 } });
  tallyCall(work, { command: 'Query', input: { IndexName: 'gsi1', ExpressionAttributeValues: { ':pk': 'x' } }, output: { Count: 0 } });
  const each = perSession(work, 2);
  assert.deepEqual(each.writes, { session: 1.5, client: 1, 'account guard': 1, message: 1, 'live event log': 1, operator: 0.5 });
  assert.deepEqual(each.reads, { channel: 2, 'online operators': 2, 'account guard': 1 });
  assert.equal(each.calls, 4);
  assert.equal(totalOf(each.writes), 6);
  // The largest kind comes first.
  assert.equal(Object.keys(each.writes)[0], 'session');
});
