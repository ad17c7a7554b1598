/**
 * `npm run synth:sizes`: synthesizes the app into `cdk.out/` with cdk-nag (AwsSolutions and
 * Serverless) and CDK's CloudFormation validation as policy-validation plugins. Any
 * unacknowledged finding interrupts synthesis: CDK prints the report and this exits 1.
 * On success it prints one line per function bundle with its size.
 * `npm run synth` is `cdk synth` itself (same app, same checks); this variant adds the sizes.
 */
import { existsSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { App } from 'aws-cdk-lib';
import { buildApp } from './build-app.ts';
import { FUNCTION_TAG, REPO_ROOT } from './chatlines-function.ts';

const outdir = process.env.CDK_OUTDIR ?? join(REPO_ROOT, 'cdk.out');
const started = performance.now();
const { app, stack } = buildApp({}, new App({ outdir }));
let template: { Resources: Record<string, unknown> };
try {
  template = app.synth().getStackByName(stack.stackName).template;
} catch (error) {
  console.error(error instanceof Error ? error.message : error);
  process.exit(1);
}
const seconds = ((performance.now() - started) / 1000).toFixed(1);

interface TemplateResource {
  Type: string;
  Properties?: { Code?: { S3Key?: unknown }; Tags?: { Key: string; Value: string }[] };
}
const bundles: string[] = [];
for (const resource of Object.values(template.Resources as Record<string, TemplateResource>)) {
  if (resource.Type !== 'AWS::Lambda::Function') continue;
  const file = resource.Properties?.Tags?.find((t) => t.Key === FUNCTION_TAG)?.Value ?? '(CDK helper)';
  const key = resource.Properties?.Code?.S3Key;
  const path = typeof key === 'string' ? join(outdir, `asset.${key.replace(/\.zip$/, '')}`, 'index.mjs') : undefined;
  const size = path && existsSync(path) ? `${(statSync(path).size / 1024).toFixed(0)} KB` : '?';
  bundles.push(`  ${file.padEnd(28)} ${size.padStart(7)}  ${path ? relative(REPO_ROOT, path) : ''}`);
}
console.log(`synthesized ${stack.stackName} into ${relative(REPO_ROOT, outdir)}/ in ${seconds}s: cdk-nag AwsSolutions + Serverless, no unacknowledged finding`);
console.log(`function bundles (index.mjs, minified ESM, @aws-sdk/* external):\n${bundles.join('\n')}`);
