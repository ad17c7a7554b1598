/**
 * Which function the local host is running: the host runs every handler in one process, so a
 * watcher of the DynamoDB calls (lib/adapters/dynamodb/db.ts `observeDynamo`) learns from here
 * which function made each call, as a separate Lambda would in AWS. The grants test
 * (test/infra/grants.test.ts) compares those calls with each function's declared grant.
 */
import { AsyncLocalStorage } from 'node:async_hooks';

const current = new AsyncLocalStorage<string>();

/** Runs `work` as the function `name` (a function file name, infra/functions.ts). */
export const asFunction = <T>(name: string, work: () => T): T => current.run(name, work);

/** The function the current call runs in; undefined in the host's own work (stream checkpoints, sockets). */
export const currentFunction = (): string | undefined => current.getStore();
