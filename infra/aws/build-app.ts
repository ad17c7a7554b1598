/**
 * The CDK app with its one stack and cdk-nag's AwsSolutions and Serverless packs applied, so
 * every synthesis reports an unacknowledged finding as an error annotation. `app.ts` (run by
 * `cdk.json`) and the tests both build it here.
 */
import { App, Validations } from 'aws-cdk-lib';
import { AwsSolutionsChecks, ServerlessChecks } from './nag.ts';
import { ChatlinesStack, type ChatlinesStackProps } from './stack.ts';

/** The stack's name in CloudFormation. */
export const STACK_NAME = 'Chatlines';

/** Registers cdk-nag's AwsSolutions and Serverless packs on the app: a finding fails synthesis. */
export function addNagChecks(app: App): void {
  Validations.of(app).addPlugins(new AwsSolutionsChecks(app, { verbose: true }), new ServerlessChecks(app, { verbose: true }));
}

/** Builds the app and its stack (environment-agnostic: no lookups, deploys to any account/region). */
export function buildApp(props: ChatlinesStackProps = {}, app = new App()): { app: App; stack: ChatlinesStack } {
  addNagChecks(app);
  const stack = new ChatlinesStack(app, STACK_NAME, props);
  return { app, stack };
}
