/**
 * E-mail for inbox channels, made when the `mailDomain` context is given (docs/email.md):
 *
 * - inbound: an SES receipt rule set with one rule for the domain — store the mail in an
 *   encrypted bucket (`inbound/<SES message id>`, kept 30 days), then invoke receive-mail
 *   (asynchronously; what still fails lands in a dead-letter queue). SES uses only the ACTIVE
 *   rule set of a region, which CloudFormation cannot choose: activate it once (docs/email.md).
 * - outbound: the domain's SES identity (Easy DKIM) with a configuration set whose delivery,
 *   bounce, complaint and reject events go to an SNS topic that mail-events reads, and the right
 *   to send from the domain through that configuration set for the functions that send replies
 *   (the delivery worker and the sweeper).
 */
import { Duration, RemovalPolicy, Stack } from 'aws-cdk-lib';
import { Alarm, ComparisonOperator, TreatMissingData } from 'aws-cdk-lib/aws-cloudwatch';
import { PolicyStatement, ServicePrincipal } from 'aws-cdk-lib/aws-iam';
import { BlockPublicAccess, Bucket, BucketEncryption } from 'aws-cdk-lib/aws-s3';
import { ConfigurationSet, EmailIdentity, EmailSendingEvent, EventDestination, Identity, ReceiptRuleSet, TlsPolicy } from 'aws-cdk-lib/aws-ses';
import { Lambda as LambdaAction, LambdaInvocationType, S3 as S3Action } from 'aws-cdk-lib/aws-ses-actions';
import { Topic } from 'aws-cdk-lib/aws-sns';
import { LambdaSubscription } from 'aws-cdk-lib/aws-sns-subscriptions';
import { Queue, QueueEncryption } from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { grantOf } from '../grants.ts';
import { ChatlinesFunction } from './chatlines-function.ts';
import { acknowledge } from './nag.ts';
import type { ChatlinesTable } from './table.ts';

export const MAIL_DOMAIN_CONTEXT = 'mailDomain';
/** The function files only this construct makes (none without the context). */
export const MAIL_FUNCTIONS: readonly string[] = ['receive-mail', 'mail-events'];
const INBOUND_PREFIX = 'inbound/';

/** The `mailDomain` context (`cdk deploy -c mailDomain=example.com`): undefined when not given. */
export function mailDomainContext(scope: Construct): string | undefined {
  const raw: unknown = scope.node.tryGetContext(MAIL_DOMAIN_CONTEXT);
  if (raw === undefined || raw === '' || raw === false) return undefined;
  if (typeof raw !== 'string' || !/^(?=.{1,253}$)([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$/i.test(raw)) {
    throw new Error(`context ${MAIL_DOMAIN_CONTEXT} must be a domain name such as example.com, not ${JSON.stringify(raw)}`);
  }
  return raw.toLowerCase();
}

export interface ChatlinesMailProps {
  readonly domain: string;
  readonly table: ChatlinesTable;
  /** The functions that send inbox channels' replies (they get SES's send right and the configuration set's name). */
  readonly senders: readonly ChatlinesFunction[];
}

export class ChatlinesMail extends Construct {
  readonly bucket: Bucket;
  readonly receive: ChatlinesFunction;
  readonly events: ChatlinesFunction;
  readonly configurationSet: ConfigurationSet;
  readonly deadLetterQueue: Queue;
  readonly deadLetterAlarm: Alarm;

  constructor(scope: Construct, id: string, props: ChatlinesMailProps) {
    super(scope, id);
    const stack = Stack.of(this);

    this.deadLetterQueue = new Queue(this, 'DeadLetterQueue', {
      encryption: QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
      retentionPeriod: Duration.days(14),
    });
    acknowledge(this.deadLetterQueue, 'AwsSolutions-SQS3', "This queue is itself the dead-letter queue of the mail functions' asynchronous invocations.");
    acknowledge(
      this.deadLetterQueue,
      'Serverless-SQSRedrivePolicy',
      'This queue is itself a dead-letter queue; a redrive policy would need yet another queue.',
    );
    this.deadLetterAlarm = new Alarm(this, 'DeadLetterAlarm', {
      alarmDescription: 'chatlines mail: a received mail or a sending event failed after its retries (see the mail dead-letter queue)',
      metric: this.deadLetterQueue.metricApproximateNumberOfMessagesVisible({ period: Duration.minutes(1) }),
      threshold: 1,
      evaluationPeriods: 1,
      comparisonOperator: ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
      treatMissingData: TreatMissingData.NOT_BREACHING,
    });

    // ------------------------------------------------------------------ inbound
    this.bucket = new Bucket(this, 'Inbound', {
      encryption: BucketEncryption.S3_MANAGED,
      enforceSSL: true,
      blockPublicAccess: BlockPublicAccess.BLOCK_ALL,
      lifecycleRules: [{ expiration: Duration.days(30) }],
      removalPolicy: RemovalPolicy.RETAIN,
    });
    acknowledge(
      this.bucket,
      'AwsSolutions-S1',
      'Only SES writes here (one object per received mail) and only the receipt function reads; CloudTrail data events, not access logs, are where to audit that.',
    );

    this.receive = new ChatlinesFunction(this, 'ReceiveMail', {
      functionFile: 'receive-mail',
      table: props.table,
      description: 'chatlines mail: a received mail (SES → S3) becomes a client message on its inbox channel',
      timeout: Duration.seconds(30),
      asyncFailureQueue: this.deadLetterQueue,
      environment: { MAIL_BUCKET: this.bucket.bucketName, MAIL_PREFIX: INBOUND_PREFIX },
    });
    // HeadObject and GetObject are both s3:GetObject; only the stored mails, nothing else of the bucket.
    if (grantOf(this.receive.functionFile).readMail) {
      this.receive.role.addToPolicy(new PolicyStatement({ actions: ['s3:GetObject'], resources: [this.bucket.arnForObjects(`${INBOUND_PREFIX}*`)] }));
    }
    acknowledge(
      this.receive.role,
      `AwsSolutions-IAM5[Resource::<${stack.getLogicalId(this.bucket.node.defaultChild as never)}.Arn>/${INBOUND_PREFIX}*]`,
      'Each received mail is its own object named by SES at run time; the read is limited to the inbound prefix of the mail bucket.',
    );

    const ruleSet = new ReceiptRuleSet(this, 'RuleSet', { dropSpam: false });
    ruleSet.addRule('Domain', {
      recipients: [props.domain],
      scanEnabled: true,
      tlsPolicy: TlsPolicy.OPTIONAL,
      actions: [
        new S3Action({ bucket: this.bucket, objectKeyPrefix: INBOUND_PREFIX }),
        new LambdaAction({ function: this.receive.function, invocationType: LambdaInvocationType.EVENT }),
      ],
    });

    // ------------------------------------------------------------------ outbound
    const topic = new Topic(this, 'SendingEvents', { displayName: 'chatlines mail: SES sending events', enforceSSL: true });
    acknowledge(
      topic,
      'AwsSolutions-SNS2',
      "SES publishes sending events only to topics it may encrypt for; they carry delivery status and the recipient's address, no message content.",
    );
    topic.addToResourcePolicy(
      new PolicyStatement({
        principals: [new ServicePrincipal('ses.amazonaws.com')],
        actions: ['sns:Publish'],
        resources: [topic.topicArn],
        conditions: { StringEquals: { 'aws:SourceAccount': stack.account } },
      }),
    );
    this.configurationSet = new ConfigurationSet(this, 'ConfigurationSet', {});
    this.configurationSet.addEventDestination('ToTopic', {
      destination: EventDestination.snsTopic(topic),
      events: [EmailSendingEvent.DELIVERY, EmailSendingEvent.BOUNCE, EmailSendingEvent.COMPLAINT, EmailSendingEvent.REJECT],
    });
    new EmailIdentity(this, 'Identity', { identity: Identity.domain(props.domain), configurationSet: this.configurationSet });

    this.events = new ChatlinesFunction(this, 'MailEvents', {
      functionFile: 'mail-events',
      table: props.table,
      description: "chatlines mail: SES sending events set the replies' _deliveryStatus",
      asyncFailureQueue: this.deadLetterQueue,
    });
    topic.addSubscription(new LambdaSubscription(this.events.function, { deadLetterQueue: this.deadLetterQueue }));

    const identityArn = stack.formatArn({ service: 'ses', resource: 'identity', resourceName: props.domain });
    const configurationSetArn = stack.formatArn({ service: 'ses', resource: 'configuration-set', resourceName: this.configurationSet.configurationSetName });
    for (const sender of props.senders) {
      sender.role.addToPolicy(new PolicyStatement({ actions: ['ses:SendEmail', 'ses:SendRawEmail'], resources: [identityArn, configurationSetArn] }));
      sender.function.addEnvironment('SES_CONFIGURATION_SET', this.configurationSet.configurationSetName);
    }
  }
}
