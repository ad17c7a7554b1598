/**
 * Authorization of every call a function makes, by an offline IAM policy simulator
 * (@cloud-copilot/iam-simulate, AGPL: used here, by the verification harness only, and never
 * bundled into a function). The identity policies are the function role's policies as the
 * template writes them, resolved to the harness's stand-in names and ARNs.
 */
import { runSimulation } from '@cloud-copilot/iam-simulate';
import { ACCOUNT, type PolicyDocument } from './template.ts';

export type { PolicyDocument } from './template.ts';

export interface Decision {
  allowed: boolean;
  /** `Allowed`, `ImplicitlyDenied`, `ExplicitlyDenied`, or the simulator's validation error. */
  result: string;
}

export interface AuthorizedCall {
  principal: string;
  action: string;
  resource: string;
  decision: Decision;
  /** What was called, for the report (service action, table, connection…). */
  detail?: string;
}

/** The simulator, with one cache per (policies, action, resource): a run repeats the same calls. */
export class Authorizer {
  readonly calls: AuthorizedCall[] = [];
  private readonly cache = new Map<string, Promise<Decision>>();

  /** Decides without recording (the negative control). */
  async decide(
    principalArn: string,
    policies: readonly PolicyDocument[],
    action: string,
    resource: string,
    resourcePolicy?: PolicyDocument,
  ): Promise<Decision> {
    const key = JSON.stringify([principalArn, action, resource, resourcePolicy ?? null]);
    let decision = this.cache.get(key);
    if (!decision) {
      decision = simulate(principalArn, policies, action, resource, resourcePolicy);
      this.cache.set(key, decision);
    }
    return decision;
  }

  /** Decides and records the call. */
  async authorize(
    principal: string,
    principalArn: string,
    policies: readonly PolicyDocument[],
    action: string,
    resource: string,
    detail?: string,
    resourcePolicy?: PolicyDocument,
  ): Promise<Decision> {
    const decision = await this.decide(principalArn, policies, action, resource, resourcePolicy);
    this.calls.push({ principal, action, resource, decision, ...(detail ? { detail } : {}) });
    return decision;
  }

  get denied(): AuthorizedCall[] {
    return this.calls.filter((c) => !c.decision.allowed);
  }
}

/**
 * `resourcePolicy`: the resource's own policy where the service has one that counts (a KMS key's
 * key policy: without one that lets the account's IAM policies grant access, KMS refuses every
 * call whatever the role allows, and the simulator follows it).
 */
async function simulate(
  principalArn: string,
  policies: readonly PolicyDocument[],
  action: string,
  resource: string,
  resourcePolicy?: PolicyDocument,
): Promise<Decision> {
  const response = await runSimulation(
    {
      request: { principal: principalArn, action, resource: { resource, accountId: ACCOUNT }, contextVariables: {} },
      identityPolicies: policies.map((policy, i) => ({ name: `policy${i}`, policy })),
      serviceControlPolicies: [],
      resourceControlPolicies: [],
      ...(resourcePolicy ? { resourcePolicy } : {}),
    },
    {},
  );
  if (response.resultType === 'error') return { allowed: false, result: `simulation error: ${response.errors.message}` };
  return { allowed: response.overallResult === 'Allowed', result: response.overallResult };
}
