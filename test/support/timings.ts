/**
 * A second test reporter (test/run.ts adds it beside `spec`): at the end of the run, each test
 * file's wall time, from its process's start to its end, slowest first, so a slow file shows.
 */
import { relative, resolve } from 'node:path';

interface FileEvent {
  type: string;
  data?: { file?: string; name?: string; nesting?: number };
}

export default async function* timings(source: AsyncIterable<FileEvent>) {
  const started = Date.now();
  const start = new Map<string, number>();
  const seconds = new Map<string, number>();
  for await (const event of source) {
    const { file, name } = event.data ?? {};
    // The runner's own test for each file (named by its path) is dequeued when the file's
    // process starts and completes when it ends; the file's tests come inside it.
    if (!file || !name || resolve(name) !== resolve(file)) continue;
    if (event.type === 'test:dequeue') start.set(file, Date.now());
    if (event.type === 'test:complete') seconds.set(file, (Date.now() - (start.get(file) ?? started)) / 1000);
  }
  const rows = [...seconds].sort((a, b) => b[1] - a[1]);
  yield `\nper-file wall time (whole run ${((Date.now() - started) / 1000).toFixed(1)} s):\n`;
  for (const [file, s] of rows) yield `${s.toFixed(1).padStart(7)} s  ${relative(process.cwd(), file)}\n`;
}
