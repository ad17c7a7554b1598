/**
 * The messenger registry (lib/adapters/messengers/index.ts): every native channel type has a lazy
 * adapter, the fixed hook paths name the adapter that answers them, a stand-in put in is found
 * first and taken out again, and e-mail's adapter is found once registered.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { emailMessenger } from '../../lib/adapters/messengers/email.ts';
import { HOOK_PATHS, loadMessenger, messengerByHookPath, registerMessenger, replaceMessenger } from '../../lib/adapters/messengers/index.ts';
import type { Messenger } from '../../lib/adapters/messengers/port.ts';
import { CREDENTIALS_BY_TYPE, type NativeChannelType } from '../../lib/contract/messengers.ts';

test('every native channel type loads its adapter, and its hook path maps back to it', async () => {
  for (const type of Object.keys(CREDENTIALS_BY_TYPE) as NativeChannelType[]) {
    const messenger = await loadMessenger(type);
    assert.equal(messenger?.type, type);
    assert.equal(HOOK_PATHS[messenger.hookPath], type, `${type}'s hook path ${messenger.hookPath}`);
    assert.equal(await messengerByHookPath(messenger.hookPath), messenger);
    assert.equal(await loadMessenger(type), messenger, 'loaded once');
  }
  assert.deepEqual(Object.values(HOOK_PATHS).sort(), Object.keys(CREDENTIALS_BY_TYPE).sort());
  assert.equal(await messengerByHookPath('nothing'), undefined);
  assert.equal(await messengerByHookPath('toString'), undefined);
  assert.equal(await loadMessenger('livechat'), undefined);
});

test('a stand-in is found before the native adapter, and taking it out brings the native one back', async () => {
  const native = await loadMessenger('viberbot');
  const standIn: Messenger<Record<string, string>> = {
    type: 'viberbot',
    hookPath: 'viber',
    verify: () => ({ ok: true }),
    parse: () => [],
    send: async () => ({ ok: true, externalId: 'x' }),
  };
  assert.equal(replaceMessenger(standIn, 'viberbot'), undefined);
  assert.equal(await loadMessenger('viberbot'), standIn);
  assert.equal(await messengerByHookPath('viber'), standIn);
  assert.equal(replaceMessenger(undefined, 'viberbot'), standIn);
  assert.equal(await loadMessenger('viberbot'), native);
  assert.equal(await messengerByHookPath('viber'), native);
});

test("e-mail's adapter is found once registered", async () => {
  registerMessenger(emailMessenger);
  assert.equal(await loadMessenger('inbox'), emailMessenger);
  replaceMessenger(undefined, 'inbox');
  assert.equal(await loadMessenger('inbox'), undefined);
});
