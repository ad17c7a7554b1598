// Imported first by bench/run.ts: Powertools reads these when lib/adapters/observability.ts loads, so
// they must be set before any function module is imported (the handlers run in this process).
process.env.POWERTOOLS_LOG_LEVEL = 'SILENT';
process.env.AWS_LAMBDA_LOG_LEVEL = 'SILENT';
process.env.POWERTOOLS_METRICS_DISABLED = 'true';
process.env.POWERTOOLS_TRACE_ENABLED = 'false';

export {};
