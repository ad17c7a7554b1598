/**
 * The stack with the `mailDomain` context: SES's receipt rule set (S3, then the receipt
 * function), the configuration set with its event destination (SNS → mail-events), the domain
 * identity, the send grant on exactly the functions that send replies — cdk-nag clean, and
 * without the context none of it.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { App } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { buildApp } from '../../infra/aws/build-app.ts';
import { FUNCTION_TAG, REPO_ROOT } from '../../infra/aws/chatlines-function.ts';
import { mailDomainContext } from '../../infra/aws/mail.ts';
import { functionFiles, grantOf } from '../../infra/grants.ts';

type Json = Record<string, any>;

const outdir = mkdtempSync(join(tmpdir(), 'chatlines-mail-cdk-'));
let resources: Record<string, Json>;
let synthError: unknown;

before(() => {
  const context = JSON.parse(readFileSync(join(REPO_ROOT, 'cdk.json'), 'utf8')).context as Record<string, unknown>;
  const { app, stack } = buildApp({}, new App({ outdir, context: { ...context, mailDomain: 'Mail.Example.com', 'aws:cdk:bundling-stacks': [] } }));
  try {
    app.synth();
  } catch (error) {
    synthError = error;
  }
  resources = Template.fromStack(stack).toJSON().Resources;
});
after(() => rmSync(outdir, { recursive: true, force: true }));

const ofType = (type: string) => Object.entries(resources).filter(([, r]) => r.Type === type);
const functionOf = (file: string) =>
  ofType('AWS::Lambda::Function').find(([, r]) =>
    (r.Properties.Tags as { Key: string; Value: string }[] | undefined)?.some((t) => t.Key === FUNCTION_TAG && t.Value === file),
  );
const statementsOfRole = (roleId: string): Json[] => (resources[roleId]!.Properties.Policies ?? []).flatMap((p: Json) => p.PolicyDocument.Statement);
const roleOf = (file: string) => functionOf(file)![1].Properties.Role['Fn::GetAtt'][0] as string;

describe('mail in AWS (mailDomain)', () => {
  test('cdk-nag: no unacknowledged finding', () => {
    const report = JSON.parse(readFileSync(join(outdir, 'validation-report.json'), 'utf8'));
    const violations = (report.pluginReports as Json[]).flatMap((p) => p.violations as Json[]);
    assert.equal(synthError, undefined, JSON.stringify(violations, null, 1).slice(0, 4000));
    assert.deepEqual(violations, []);
  });

  test('a receipt rule for the domain: store in S3 under inbound/, then invoke receive-mail asynchronously', () => {
    assert.equal(ofType('AWS::SES::ReceiptRuleSet').length, 1);
    const [[, rule]] = ofType('AWS::SES::ReceiptRule') as [[string, Json]];
    assert.deepEqual(rule.Properties.Rule.Recipients, ['mail.example.com']);
    assert.equal(rule.Properties.Rule.ScanEnabled, true);
    const [s3, lambda] = rule.Properties.Rule.Actions as [Json, Json];
    assert.equal(s3.S3Action.ObjectKeyPrefix, 'inbound/');
    assert.equal(lambda.LambdaAction.InvocationType, 'Event');
    assert.equal(lambda.LambdaAction.FunctionArn['Fn::GetAtt'][0], functionOf('receive-mail')![0]);
    const env = functionOf('receive-mail')![1].Properties.Environment.Variables;
    assert.equal(env.MAIL_PREFIX, 'inbound/');
    assert.ok(env.MAIL_BUCKET);
  });

  test('a configuration set sends delivery, bounce, complaint and reject to the topic mail-events reads', () => {
    const [[, destination]] = ofType('AWS::SES::ConfigurationSetEventDestination') as [[string, Json]];
    assert.deepEqual([...destination.Properties.EventDestination.MatchingEventTypes].sort(), ['bounce', 'complaint', 'delivery', 'reject']);
    const topicId = destination.Properties.EventDestination.SnsDestination.TopicARN.Ref as string;
    const [[, subscription]] = ofType('AWS::SNS::Subscription') as [[string, Json]];
    assert.equal(subscription.Properties.TopicArn.Ref, topicId);
    assert.equal(subscription.Properties.Endpoint['Fn::GetAtt'][0], functionOf('mail-events')![0]);
    assert.equal(ofType('AWS::SES::EmailIdentity')[0]![1].Properties.EmailIdentity, 'mail.example.com');
  });

  test('SES send rights (and the configuration set) exactly on the functions whose grant says sendMail; S3 reads of received mail on receive-mail only', () => {
    for (const file of functionFiles()) {
      const fn = functionOf(file);
      if (!fn) continue;
      const statements = statementsOfRole(roleOf(file));
      const ses = statements.filter((s) => [s.Action].flat().some((a: string) => a.startsWith('ses:')));
      assert.equal(ses.length > 0, grantOf(file).sendMail === true, `${file}: ses`);
      for (const s of ses) assert.deepEqual([s.Action].flat().sort(), ['ses:SendEmail', 'ses:SendRawEmail']);
      if (grantOf(file).sendMail) assert.ok(fn[1].Properties.Environment.Variables.SES_CONFIGURATION_SET, `${file}: configuration set`);
      // The received mail's objects (`inbound/` of the mail bucket); the file bucket has grants of its own.
      const s3 = statements.filter((s) => [s.Action].flat().some((a: string) => a.startsWith('s3:')) && JSON.stringify(s.Resource).includes('inbound/'));
      assert.equal(s3.length > 0, grantOf(file).readMail === true, `${file}: s3`);
      for (const s of s3) assert.deepEqual([s.Action].flat(), ['s3:GetObject']);
    }
  });

  test('the context must be a domain name; without it nothing of mail is made', () => {
    const probe = (value: unknown) => mailDomainContext(new App({ context: { mailDomain: value } }));
    assert.equal(probe('example.com'), 'example.com');
    assert.equal(probe(undefined), undefined);
    assert.throws(() => probe('not a domain'), /mailDomain/);
    assert.throws(() => probe('support@example.com'), /mailDomain/);
  });
});
