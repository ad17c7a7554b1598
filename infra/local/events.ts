/**
 * The local host's event workers, as in AWS: the stream consumer (through the stream poller)
 * and the delivery sweeper on a timer (EventBridge Scheduler every minute in AWS; here every
 * second by default, so retries on the short test schedules happen on time).
 */
import { handler as retryDeliveries } from '../../functions/schedule/retry-deliveries.ts';
import { inBackground } from './dynamodb-calls.ts';
import { type StreamPoller, startStreamPoller } from './stream.ts';

export interface EventWorkers {
  poller: StreamPoller;
  /** Runs one delivery sweep now. */
  sweep(): Promise<void>;
  stop(): Promise<void>;
}

export async function startEventWorkers(options: {
  endpoint: string;
  tableName: string;
  sweepEveryMs?: number;
  onError?: (error: unknown) => void;
  /** The poller starts after what the stream already holds (see StreamPollerOptions.fromNow). */
  fromNow?: boolean;
}): Promise<EventWorkers> {
  const poller = await startStreamPoller({
    endpoint: options.endpoint,
    tableName: options.tableName,
    ...(options.fromNow ? { fromNow: true } : {}),
    ...(options.onError ? { onError: options.onError } : {}),
  });
  let sweeping: Promise<unknown> = Promise.resolve();
  const sweep = async () => {
    sweeping = sweeping.then(() => inBackground(retryDeliveries)).catch((error: unknown) => options.onError?.(error));
    await sweeping;
  };
  const timer = setInterval(() => void sweep(), options.sweepEveryMs ?? 1_000);
  timer.unref();
  return {
    poller,
    sweep,
    async stop() {
      clearInterval(timer);
      await poller.stop();
      await sweeping;
    },
  };
}
