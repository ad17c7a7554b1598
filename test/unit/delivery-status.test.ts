/**
 * The order of a reply's delivery statuses (lib/domain/channels/delivery-status.ts): every
 * (current, reported) pair against the table written there.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { DELIVERY_STATUSES, type DeliveryStatus, decideStatusReport, replaceableBy } from '../../lib/domain/channels/delivery-status.ts';

type Kind = 'set' | 'unchanged' | 'refused';
/** Rows: the reported status; columns: none, sent, delivered, read, failed (the module's table). */
const TABLE: Record<DeliveryStatus, [Kind, Kind, Kind, Kind, Kind]> = {
  sent: ['set', 'unchanged', 'unchanged', 'unchanged', 'refused'],
  delivered: ['set', 'set', 'unchanged', 'unchanged', 'refused'],
  read: ['set', 'set', 'set', 'unchanged', 'refused'],
  failed: ['set', 'set', 'refused', 'refused', 'unchanged'],
};
const CURRENT: (DeliveryStatus | null)[] = [null, 'sent', 'delivered', 'read', 'failed'];

describe('delivery status order', () => {
  test('every report on every status decides as the table says', () => {
    for (const reported of DELIVERY_STATUSES) {
      CURRENT.forEach((current, i) => {
        const decision = decideStatusReport(current, reported);
        assert.equal(decision.kind, TABLE[reported][i], `${current ?? 'none'} ← ${reported}`);
        if (decision.kind === 'refused') assert.match(decision.reason, /cannot/);
      });
    }
  });

  test('the probe cases: delivered → failed and failed → read are refused, a repeat changes nothing', () => {
    assert.equal(decideStatusReport('delivered', 'failed').kind, 'refused');
    assert.equal(decideStatusReport('failed', 'read').kind, 'refused');
    assert.equal(decideStatusReport('read', 'read').kind, 'unchanged');
  });

  test('what a conditional write may replace is exactly what the rule sets', () => {
    assert.deepEqual(replaceableBy('sent'), []);
    assert.deepEqual(replaceableBy('delivered'), ['sent']);
    assert.deepEqual(replaceableBy('read'), ['sent', 'delivered']);
    assert.deepEqual(replaceableBy('failed'), ['sent']);
  });

  test('no way back: from any status, a chain of applied reports never returns to an earlier one', () => {
    // Every path of applied reports from none visits each status at most once.
    const walk = (current: DeliveryStatus | null, seen: DeliveryStatus[]) => {
      for (const next of DELIVERY_STATUSES) {
        if (decideStatusReport(current, next).kind !== 'set') continue;
        assert.ok(!seen.includes(next), `${[...seen, next].join(' → ')} returns to ${next}`);
        walk(next, [...seen, next]);
      }
    };
    walk(null, []);
  });
});
