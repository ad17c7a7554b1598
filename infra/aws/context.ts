/**
 * The CDK context flags of the app (`cdk deploy -c name=value`, or `context` in cdk.json):
 *
 * - `apiGatewayAccountRole` (default false): the stack makes a CloudWatch Logs role for API
 *   Gateway and sets it as the account's (`AWS::ApiGateway::Account`), which turns on the live
 *   WebSocket stage's access logs. That setting is one per account and region: it replaces the
 *   role every REST and WebSocket API of the region logs through, and CloudFormation cannot
 *   undo it, so the role is retained when the stack is deleted. Leave it off in an account whose
 *   API Gateway logging someone else manages.
 * - `liveAccessLogs` (default false): access logs on the live WebSocket stage without touching
 *   the account setting, for an account whose API Gateway CloudWatch role is set already (the
 *   stage fails to deploy without one).
 * - `lineShards` (infra/aws/chatlines-function.ts): shards of a line's hot partitions.
 * - `filesMalwareScan` (default false; infra/aws/files.ts): GuardDuty Malware Protection for S3
 *   on the file bucket; a file is sent only with a clean verdict (charged per GB scanned).
 */
import type { Construct } from 'constructs';

export const API_GATEWAY_ACCOUNT_ROLE_CONTEXT = 'apiGatewayAccountRole';
export const LIVE_ACCESS_LOGS_CONTEXT = 'liveAccessLogs';

/** A boolean context flag: `true`/`"true"` on, absent/`false`/`"false"` off, anything else an error. */
export function contextFlag(scope: Construct, name: string): boolean {
  const raw: unknown = scope.node.tryGetContext(name);
  if (raw === undefined || raw === false || raw === 'false') return false;
  if (raw === true || raw === 'true') return true;
  throw new Error(`context ${name} must be true or false, not ${JSON.stringify(raw)}`);
}
