/**
 * Environment the functions see when hosted locally (set before any function module loads):
 * the table, DynamoDB Local's endpoint, and quiet Powertools defaults (EMF metrics and tracing
 * off, warnings only) unless the caller set them.
 */
export function configureLocalEnvironment(tableName: string, endpoint: string): void {
  process.env.TABLE_NAME = tableName;
  process.env.DYNAMODB_ENDPOINT = endpoint;
  process.env.AWS_REGION ??= 'us-east-1';
  // Webhooks and messenger endpoints on loopback (http://127.0.0.1:<port>) are allowed locally only.
  process.env.CHATLINES_LOCAL_HOST = 'true';
  process.env.POWERTOOLS_SERVICE_NAME ??= 'chatlines';
  process.env.POWERTOOLS_METRICS_DISABLED ??= 'true';
  process.env.POWERTOOLS_TRACE_ENABLED ??= 'false';
  process.env.POWERTOOLS_LOG_LEVEL ??= 'WARN';
  process.env.AWS_LAMBDA_LOG_LEVEL ??= process.env.POWERTOOLS_LOG_LEVEL;
}
