/** Tracing loads only when on (lib/adapters/observability.ts): the rule, and the lazy import. */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { tracer, tracingWanted } from '../../lib/adapters/observability.ts';

const ROOT = join(import.meta.dirname, '..', '..');

describe('tracing', () => {
  it("follows Powertools' rule: on in a Lambda execution environment unless turned off", () => {
    const lambda = { AWS_EXECUTION_ENV: 'AWS_Lambda_nodejs24.x' };
    assert.equal(tracingWanted({}), false, 'outside Lambda');
    assert.equal(tracingWanted(lambda), true);
    assert.equal(tracingWanted({ ...lambda, POWERTOOLS_TRACE_ENABLED: 'FALSE' }), false);
    assert.equal(tracingWanted({ ...lambda, AWS_SAM_LOCAL: 'true' }), false);
    assert.equal(tracingWanted({ AWS_EXECUTION_ENV: 'AWS_Lambda_amplify-mock' }), false);
  });

  it('off (outside Lambda): no tracer is loaded', () => {
    assert.equal(tracer, undefined);
  });

  it('on: the tracer is imported and enabled', () => {
    const script = "const o = await import('./lib/adapters/observability.ts'); process.stdout.write(String(o.tracer?.isTracingEnabled()));";
    const out = spawnSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], {
      cwd: ROOT,
      encoding: 'utf8',
      env: { PATH: process.env.PATH ?? '', AWS_EXECUTION_ENV: 'AWS_Lambda_nodejs24.x', AWS_REGION: 'us-east-1' },
    });
    assert.equal(out.status, 0, out.stderr);
    assert.equal(out.stdout, 'true');
  });
});
