/** The plumbing the WhatsApp, Instagram and Viber adapters share (lib/adapters/messengers/wire.ts). */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { apiBase, isoFromEpoch, keepDigits, parseJson, retryAfterMs, safeEqual, splitText } from '../../lib/adapters/messengers/wire.ts';

describe('messenger wire helpers', () => {
  it('keeps 64-bit ids as their digits, other numbers as numbers', () => {
    const parsed = parseJson('{"message_token":5098034272017990001,"timestamp":1457764197627,"n":{"message_token":12}}', keepDigits('message_token')) as any;
    assert.equal(parsed.message_token, '5098034272017990001');
    assert.equal(parsed.timestamp, 1457764197627);
    assert.equal(parsed.n.message_token, '12');
    assert.equal(parseJson('{'), undefined);
  });

  it('splits long texts at a space or line break, never inside a surrogate pair, losing nothing', () => {
    assert.deepEqual(splitText('', 10), []);
    assert.deepEqual(splitText('short', 10), ['short']);
    assert.deepEqual(splitText('aaaa bbbb cccc', 10), ['aaaa bbbb ', 'cccc']);
    const emoji = `${'x'.repeat(9)}😀${'y'.repeat(5)}`;
    const pieces = splitText(emoji, 10);
    assert.equal(pieces.join(''), emoji);
    assert.ok(pieces.every((p) => p.length <= 10 && !/^[\uDC00-\uDFFF]/.test(p)));
  });

  it('compares secrets fully (length too), reads Retry-After, dates and base URLs', () => {
    assert.equal(safeEqual('abc', 'abc'), true);
    assert.equal(safeEqual('abc', 'abcd'), false);
    assert.equal(safeEqual('', 'a'), false);
    assert.equal(retryAfterMs(new Headers({ 'retry-after': '2' })), 2000);
    assert.equal(retryAfterMs(new Headers({ 'retry-after': new Date(10_000).toUTCString() }), 4_000), 6000);
    assert.equal(retryAfterMs(new Headers()), undefined);
    assert.equal(isoFromEpoch('1749416383', 's'), '2025-06-08T20:59:43.000Z');
    assert.equal(isoFromEpoch('x', 's'), undefined);
    process.env.X_TEST_API_URL = 'http://127.0.0.1:9/v1/';
    assert.equal(apiBase('X_TEST_API_URL', 'https://real'), 'http://127.0.0.1:9/v1');
    delete process.env.X_TEST_API_URL;
    assert.equal(apiBase('X_TEST_API_URL', 'https://real/'), 'https://real');
  });
});
