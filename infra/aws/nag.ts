/**
 * cdk-nag (v3) wiring. cdk-nag is CommonJS with exports Node's ESM loader cannot detect
 * statically, so named imports fail at run time; the packs are taken off the default export
 * here. v3 runs as a CDK policy-validation plugin: a violation interrupts synthesis, and an
 * acknowledgement is CDK's own `Validations.of(construct).acknowledge()`.
 */
import { Validations } from 'aws-cdk-lib';
import cdkNag from 'cdk-nag';
import type { IConstruct } from 'constructs';

export const { AwsSolutionsChecks, ServerlessChecks } = cdkNag;

/**
 * Acknowledges exactly one finding on one construct: `id` is a rule id, or `Rule[Finding]`
 * for rules that report several findings per resource (e.g. `AwsSolutions-IAM5[Resource::*]`).
 */
export function acknowledge(scope: IConstruct, id: string, reason: string): void {
  Validations.of(scope).acknowledge({ id, reason });
}
