/** The CDK app entry (`cdk.json`: `node --import tsx infra/aws/app.ts`). */
import { buildApp } from './build-app.ts';

buildApp().app.synth();
