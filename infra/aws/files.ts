/**
 * The file bucket: uploads and downloads by pre-signed URL only (lib/adapters/files/s3.ts).
 * All public access blocked, TLS only, SSE-S3, CORS for the console's origin and the API's
 * allowed origins (the widget's sites) only. Lifecycle: incomplete multipart uploads aborted
 * after a day; objects still tagged `chatlines-state=pending` (uploaded, never sent) expire
 * after two days. Each function's S3 actions come from infra/grants.ts, on `files/*` only.
 *
 * Optional malware scan (context flag `filesMalwareScan`): a GuardDuty Malware Protection plan
 * on the bucket's `files/` prefix, which tags each new object with its verdict
 * (`GuardDutyMalwareScanStatus`); the functions that send files then accept only
 * `NO_THREATS_FOUND` (`FILES_MALWARE_SCAN=true`) and ask the sender to retry while no verdict is there.
 */
import { Aws, type CfnCondition, type CfnParameter, Duration, Fn, RemovalPolicy, Stack } from 'aws-cdk-lib';
import { CfnMalwareProtectionPlan } from 'aws-cdk-lib/aws-guardduty';
import { Effect, PolicyDocument, PolicyStatement, Role, ServicePrincipal } from 'aws-cdk-lib/aws-iam';
import type { Function as LambdaFunction } from 'aws-cdk-lib/aws-lambda';
import { BlockPublicAccess, Bucket, BucketEncryption, type CfnBucket, ObjectOwnership } from 'aws-cdk-lib/aws-s3';
import { Construct } from 'constructs';
import type { FileAction } from '../grants.ts';
import { acknowledge } from './nag.ts';

/** The lifecycle rule's tag (lib/adapters/files/s3.ts PENDING_TAG). */
const PENDING_TAG = { key: 'chatlines-state', value: 'pending' };
export const FILES_MALWARE_SCAN_CONTEXT = 'filesMalwareScan';

export interface FileBucketProps {
  /** Each function that touches files, with its S3 actions (infra/grants.ts). */
  readonly functions: readonly { fn: LambdaFunction; actions: readonly FileAction[] }[];
  /** The console's origin (`https://<distribution>`). */
  readonly consoleOrigin: string;
  /** Turn on GuardDuty Malware Protection for S3 on the bucket. */
  readonly malwareScan: boolean;
}

export class FileBucket extends Construct {
  readonly bucket: Bucket;

  constructor(scope: Construct, id: string, props: FileBucketProps) {
    super(scope, id);
    const stack = Stack.of(this);
    this.bucket = new Bucket(this, 'Files', {
      blockPublicAccess: BlockPublicAccess.BLOCK_ALL,
      enforceSSL: true,
      encryption: BucketEncryption.S3_MANAGED,
      objectOwnership: ObjectOwnership.BUCKET_OWNER_ENFORCED,
      lifecycleRules: [
        { id: 'abort-incomplete-uploads', abortIncompleteMultipartUploadAfter: Duration.days(1) },
        { id: 'expire-unsent', tagFilters: { [PENDING_TAG.key]: PENDING_TAG.value }, expiration: Duration.days(2) },
      ],
      // The conversation's files outlive a stack replaced by mistake.
      removalPolicy: RemovalPolicy.RETAIN,
    });
    acknowledge(
      this.bucket,
      'AwsSolutions-S1',
      'Every object access is already authorized and logged by a function (CloudWatch) before a URL is signed; server access logs would log the pre-signed GETs and PUTs again at a cost per request.',
    );

    // CORS: the console's origin and the API's allowed origins (where the widget is embedded).
    const origins = stack.node.tryFindChild('CorsAllowedOrigins') as CfnParameter | undefined;
    const apiOrigins = stack.node.tryFindChild('CorsEnabled') as CfnCondition | undefined;
    const rule = (allowed: unknown) => ({
      AllowedOrigins: allowed,
      AllowedMethods: ['GET', 'PUT', 'HEAD'],
      AllowedHeaders: ['content-type', 'x-amz-tagging'],
      ExposedHeaders: ['etag'],
      MaxAge: 600,
    });
    const allowed =
      origins && apiOrigins
        ? Fn.conditionIf(apiOrigins.logicalId, Fn.split(',', Fn.join(',', [props.consoleOrigin, origins.valueAsString])), [props.consoleOrigin])
        : [props.consoleOrigin];
    (this.bucket.node.defaultChild as CfnBucket).addPropertyOverride('CorsConfiguration', { CorsRules: [rule(allowed)] });

    const objects = `AwsSolutions-IAM5[Resource::<${stack.getLogicalId(this.bucket.node.defaultChild as CfnBucket)}.Arn>/files/*]`;
    for (const { fn, actions } of props.functions) {
      fn.addToRolePolicy(new PolicyStatement({ actions: actions.map((a) => `s3:${a}`), resources: [this.bucket.arnForObjects('files/*')] }));
      acknowledge(
        fn.role!,
        objects,
        'Files are objects under files/ named by ids minted at upload time; each function gets only the actions its grant names (infra/grants.ts) on that prefix.',
      );
      fn.addEnvironment('FILES_BUCKET', this.bucket.bucketName);
      if (props.malwareScan) fn.addEnvironment('FILES_MALWARE_SCAN', 'true');
    }

    if (props.malwareScan) {
      // The role GuardDuty scans and tags with (AWS's documented policy, scoped to this bucket).
      const role = new Role(this, 'MalwareScanRole', {
        assumedBy: new ServicePrincipal('malware-protection-plan.guardduty.amazonaws.com'),
        inlinePolicies: {
          scan: new PolicyDocument({
            statements: [
              new PolicyStatement({
                actions: ['events:PutRule', 'events:DeleteRule', 'events:PutTargets', 'events:RemoveTargets'],
                resources: [`arn:${Aws.PARTITION}:events:${Aws.REGION}:${Aws.ACCOUNT_ID}:rule/DO-NOT-DELETE-AmazonGuardDutyMalwareProtectionS3*`],
                conditions: { StringLike: { 'events:ManagedBy': 'malware-protection-plan.guardduty.amazonaws.com' } },
              }),
              new PolicyStatement({
                actions: ['events:DescribeRule', 'events:ListTargetsByRule'],
                resources: [`arn:${Aws.PARTITION}:events:${Aws.REGION}:${Aws.ACCOUNT_ID}:rule/DO-NOT-DELETE-AmazonGuardDutyMalwareProtectionS3*`],
              }),
              new PolicyStatement({
                actions: ['s3:PutBucketNotification', 's3:GetBucketNotification', 's3:ListBucket'],
                resources: [this.bucket.bucketArn],
              }),
              new PolicyStatement({
                actions: [
                  's3:GetObject',
                  's3:GetObjectVersion',
                  's3:GetObjectTagging',
                  's3:GetObjectVersionTagging',
                  's3:PutObjectTagging',
                  's3:PutObjectVersionTagging',
                ],
                resources: [this.bucket.arnForObjects('files/*')],
              }),
              new PolicyStatement({
                effect: Effect.ALLOW,
                actions: ['s3:PutObject'],
                resources: [this.bucket.arnForObjects('malware-protection-resource-validation-object')],
              }),
            ],
          }),
        },
      });
      acknowledge(
        role,
        'AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:events:<AWS::Region>:<AWS::AccountId>:rule/DO-NOT-DELETE-AmazonGuardDutyMalwareProtectionS3*]',
        'GuardDuty names its managed EventBridge rule itself; the prefix is the one AWS documents.',
      );
      acknowledge(role, objects, 'GuardDuty scans and tags every new object under files/.');
      new CfnMalwareProtectionPlan(this, 'MalwareScan', {
        role: role.roleArn,
        protectedResource: { s3Bucket: { bucketName: this.bucket.bucketName, objectPrefixes: ['files/'] } },
        actions: { tagging: { status: 'ENABLED' } },
      });
    }
  }
}
