/**
 * The console in AWS: the built assets (`dist/console`: workspace, dashboard,
 * widget.js) in a private S3 bucket behind CloudFront with origin access control; CloudFront
 * also forwards `/v1/*` to the HTTP API, so the console calls the API on its own origin (no
 * CORS for staff pages; CSP `connect-src 'self'`). `console/config.json` is written at deploy
 * (BucketDeployment `Source.jsonData`) with the API URL, the live WebSocket URL when the stack
 * has one, and the Cognito hosted UI (code flow + PKCE) of the stack's user pool.
 *
 * Why S3 + CloudFront: static files need no compute; OAC keeps the bucket private; one
 * distribution gives HTTPS, caching, security headers and the same-origin API path.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { Aws, type CfnCondition, CfnOutput, type CfnParameter, Duration, Fn, RemovalPolicy, Stack } from 'aws-cdk-lib';
import {
  AllowedMethods,
  CachePolicy,
  Distribution,
  HeadersFrameOption,
  HeadersReferrerPolicy,
  HttpVersion,
  OriginRequestPolicy,
  PriceClass,
  ResponseHeadersPolicy,
  ViewerProtocolPolicy,
} from 'aws-cdk-lib/aws-cloudfront';
import { HttpOrigin, S3BucketOrigin } from 'aws-cdk-lib/aws-cloudfront-origins';
import { type CfnUserPoolClient, CfnUserPoolDomain } from 'aws-cdk-lib/aws-cognito';
import { BlockPublicAccess, Bucket, BucketEncryption, ObjectOwnership } from 'aws-cdk-lib/aws-s3';
import { BucketDeployment, Source } from 'aws-cdk-lib/aws-s3-deployment';
import { Construct } from 'constructs';
import { REPO_ROOT } from './chatlines-function.ts';
import type { ApiIdentity } from './identity.ts';
import { acknowledge } from './nag.ts';

export const CONSOLE_DIR = join(REPO_ROOT, 'dist', 'console');

/**
 * The console pages' Content-Security-Policy (the local host sends the same: infra/local/console.ts).
 * `files`: the file bucket's origin, where images are shown from and files uploaded to.
 */
export const consoleCsp = (files?: string) =>
  [
    "default-src 'self'",
    "script-src 'self'",
    "style-src 'self' 'unsafe-inline'",
    `img-src 'self' data: blob:${files ? ` ${files}` : ''}`,
    `connect-src 'self' wss: https://*.amazoncognito.com${files ? ` ${files}` : ''}`,
    "frame-ancestors 'none'",
    "base-uri 'self'",
    "object-src 'none'",
    "form-action 'self' https://*.amazoncognito.com",
  ].join('; ');
/** The CSP without a file bucket. */
export const CONSOLE_CSP = consoleCsp();

export interface ChatlinesConsoleProps {
  /** `https://<id>.execute-api.<region>.amazonaws.com` (the HTTP API's endpoint, no stage path). */
  readonly apiEndpoint: string;
  /** The live WebSocket URL (`wss://…`), when the stack has one. */
  readonly liveUrl?: string;
  readonly identity: ApiIdentity;
  /** Tests: a directory of built assets other than dist/console. */
  readonly assetsDir?: string;
  /**
   * Where files are shown from and uploaded to, allowed by the CSP: `https://*.s3.<region>.amazonaws.com`
   * (the bucket's own name would make a cycle: the bucket's CORS names the distribution).
   */
  readonly filesOrigin?: string;
}

export class ChatlinesConsole extends Construct {
  readonly bucket: Bucket;
  readonly logs: Bucket;
  readonly distribution: Distribution;
  readonly url: string;

  constructor(scope: Construct, id: string, props: ChatlinesConsoleProps) {
    super(scope, id);
    const assets = props.assetsDir ?? CONSOLE_DIR;
    if (!existsSync(join(assets, 'index.html'))) {
      throw new Error(`the console is not built (${assets}/index.html is missing): run \`npm run build:console\` (npm ci does it)`);
    }

    this.logs = new Bucket(this, 'AccessLogs', {
      blockPublicAccess: BlockPublicAccess.BLOCK_ALL,
      enforceSSL: true,
      encryption: BucketEncryption.S3_MANAGED,
      // CloudFront standard logging writes with ACLs.
      objectOwnership: ObjectOwnership.OBJECT_WRITER,
      lifecycleRules: [{ expiration: Duration.days(90) }],
      removalPolicy: RemovalPolicy.RETAIN,
    });
    acknowledge(this.logs, 'AwsSolutions-S1', 'This is the access-log bucket of the console bucket and distribution; logging it into itself would loop.');

    this.bucket = new Bucket(this, 'Assets', {
      blockPublicAccess: BlockPublicAccess.BLOCK_ALL,
      enforceSSL: true,
      encryption: BucketEncryption.S3_MANAGED,
      serverAccessLogsBucket: this.logs,
      serverAccessLogsPrefix: 's3/',
      removalPolicy: RemovalPolicy.DESTROY,
      autoDeleteObjects: false,
    });

    const headers = new ResponseHeadersPolicy(this, 'SecurityHeaders', {
      comment: 'chatlines console: CSP, HSTS, nosniff, no framing',
      securityHeadersBehavior: {
        contentSecurityPolicy: { contentSecurityPolicy: consoleCsp(props.filesOrigin), override: true },
        contentTypeOptions: { override: true },
        frameOptions: { frameOption: HeadersFrameOption.DENY, override: true },
        referrerPolicy: { referrerPolicy: HeadersReferrerPolicy.STRICT_ORIGIN_WHEN_CROSS_ORIGIN, override: true },
        strictTransportSecurity: { accessControlMaxAge: Duration.days(365), includeSubdomains: true, override: true },
      },
    });
    // widget.js (and the config.json it reads) are loaded by other sites: cross-origin allowed.
    const widgetHeaders = new ResponseHeadersPolicy(this, 'WidgetHeaders', {
      comment: 'chatlines widget.js: loadable by any site',
      corsBehavior: {
        accessControlAllowOrigins: ['*'],
        accessControlAllowMethods: ['GET', 'HEAD'],
        accessControlAllowHeaders: ['*'],
        accessControlAllowCredentials: false,
        originOverride: true,
      },
      securityHeadersBehavior: {
        contentTypeOptions: { override: true },
        strictTransportSecurity: { accessControlMaxAge: Duration.days(365), includeSubdomains: true, override: true },
      },
    });

    const assetsOrigin = S3BucketOrigin.withOriginAccessControl(this.bucket);
    const apiDomain = Fn.select(2, Fn.split('/', props.apiEndpoint));
    this.distribution = new Distribution(this, 'Cdn', {
      comment: 'chatlines console',
      defaultRootObject: 'index.html',
      httpVersion: HttpVersion.HTTP2_AND_3,
      priceClass: PriceClass.PRICE_CLASS_100,
      enableLogging: true,
      logBucket: this.logs,
      logFilePrefix: 'cloudfront/',
      defaultBehavior: {
        origin: assetsOrigin,
        viewerProtocolPolicy: ViewerProtocolPolicy.REDIRECT_TO_HTTPS,
        cachePolicy: CachePolicy.CACHING_OPTIMIZED,
        responseHeadersPolicy: headers,
        compress: true,
      },
      additionalBehaviors: {
        '/widget.js': {
          origin: assetsOrigin,
          viewerProtocolPolicy: ViewerProtocolPolicy.REDIRECT_TO_HTTPS,
          cachePolicy: CachePolicy.CACHING_OPTIMIZED,
          responseHeadersPolicy: widgetHeaders,
          compress: true,
        },
        // The widget reads its API URL from config.json on other sites' pages.
        '/console/config.json': {
          origin: assetsOrigin,
          viewerProtocolPolicy: ViewerProtocolPolicy.REDIRECT_TO_HTTPS,
          cachePolicy: CachePolicy.CACHING_DISABLED,
          responseHeadersPolicy: widgetHeaders,
        },
        // The API on the console's own origin: never cached, every viewer header but Host forwarded.
        '/v1/*': {
          origin: new HttpOrigin(apiDomain),
          viewerProtocolPolicy: ViewerProtocolPolicy.HTTPS_ONLY,
          allowedMethods: AllowedMethods.ALLOW_ALL,
          cachePolicy: CachePolicy.CACHING_DISABLED,
          originRequestPolicy: OriginRequestPolicy.ALL_VIEWER_EXCEPT_HOST_HEADER,
        },
      },
    });
    this.url = `https://${this.distribution.distributionDomainName}`;
    acknowledge(this.distribution, 'AwsSolutions-CFR1', 'The console and the widget serve visitors and staff worldwide; no geographic restriction is wanted.');
    acknowledge(
      this.distribution,
      'AwsSolutions-CFR2',
      'No WAF web ACL (a fixed monthly cost): the API behind /v1/* keeps its stage and per-route throttles, and the assets are static.',
    );
    acknowledge(
      this.distribution,
      'AwsSolutions-CFR4',
      'The distribution uses the default CloudFront certificate, whose TLS policy cannot be set; a custom domain with its own certificate would set TLSv1.2_2021.',
    );

    // Cognito hosted UI for the console: code flow + PKCE on the stack's app client (when it made the pool).
    const identity = props.identity;
    const domain = new CfnUserPoolDomain(this, 'SignInDomain', {
      userPoolId: identity.userPool.userPoolId,
      domain: Fn.join('-', ['chatlines', Aws.ACCOUNT_ID, Fn.select(0, Fn.split('-', Fn.select(2, Fn.split('/', Aws.STACK_ID))))]),
    });
    domain.cfnOptions.condition = identity.createsUserPool;
    // The app client's code grant (identity.ts: only with OAuthCallbackUrls) is always on with the
    // console: its URL is a callback, plus the parameter's URLs when given.
    const client = identity.client.node.defaultChild as CfnUserPoolClient;
    const stack = Stack.of(this);
    const callbackParameter = stack.node.tryFindChild('OAuthCallbackUrls') as CfnParameter | undefined;
    const oauthCondition = stack.node.tryFindChild('OAuthEnabled') as CfnCondition | undefined;
    client.allowedOAuthFlowsUserPoolClient = true;
    client.allowedOAuthFlows = ['code'];
    client.allowedOAuthScopes = ['openid', 'email', 'profile'];
    client.supportedIdentityProviders = ['COGNITO'];
    client.callbackUrLs = (callbackParameter && oauthCondition
      ? Fn.conditionIf(oauthCondition.logicalId, Fn.split(',', Fn.join(',', [`${this.url}/`, callbackParameter.valueAsString])), [`${this.url}/`])
      : [`${this.url}/`]) as unknown as string[];
    client.logoutUrLs = [`${this.url}/`];
    const region = Stack.of(this).region;
    const hostedUi = Fn.conditionIf(identity.createsUserPool.logicalId, `https://${domain.ref}.auth.${region}.amazoncognito.com`, '').toString();
    const clientId = Fn.conditionIf(identity.createsUserPool.logicalId, identity.client.userPoolClientId, '').toString();

    const deployment = new BucketDeployment(this, 'Deploy', {
      sources: [
        Source.asset(assets),
        Source.jsonData('console/config.json', {
          apiUrl: this.url,
          liveUrl: props.liveUrl ?? null,
          auth: { mode: 'cognito', domain: hostedUi, clientId, redirectUri: `${this.url}/` },
        }),
      ],
      destinationBucket: this.bucket,
      distribution: this.distribution,
      distributionPaths: ['/index.html', '/demo.html', '/widget.js', '/console/config.json'],
      prune: true,
      memoryLimit: 256,
    });

    this.acknowledgeDeploymentHandler(deployment);

    new CfnOutput(Stack.of(this), 'ConsoleUrl', {
      value: `${this.url}/`,
      description: 'The console (operator workspace, supervisor dashboard); widget: <ConsoleUrl>widget.js',
    });
  }

  /**
   * BucketDeployment's handler is CDK's own singleton Lambda (a CloudFormation custom resource
   * that runs at deploy time only); its findings are CDK's choices, acknowledged one by one.
   */
  private acknowledgeDeploymentHandler(deployment: BucketDeployment): void {
    const handler = Stack.of(this).node.children.find((c) => c.node.id.startsWith('Custom::CDKBucketDeployment'));
    if (!handler) throw new Error('the BucketDeployment handler was not found');
    void deployment;
    const why: [string, string][] = [
      [
        'AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole]',
        "CDK's deployment handler writes only its own logs with the basic execution policy.",
      ],
      ['AwsSolutions-IAM5[Action::s3:GetBucket*]', "CDK's grantRead on the CDK asset bucket, which holds the console's zip."],
      ['AwsSolutions-IAM5[Action::s3:GetObject*]', "CDK's grantRead on the asset bucket and the console bucket (object versions and ACL reads)."],
      ['AwsSolutions-IAM5[Action::s3:List*]', "CDK's grantRead on the asset bucket and grantReadWrite on the console bucket, to list what it replaces."],
      ['AwsSolutions-IAM5[Action::s3:Abort*]', "CDK's grantReadWrite on the console bucket, to abort a failed multipart upload of an asset."],
      ['AwsSolutions-IAM5[Action::s3:DeleteObject*]', 'The deployment prunes files of the previous console version from the console bucket.'],
      [
        'AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:s3:::cdk-hnb659fds-assets-<AWS::AccountId>-<AWS::Region>/*]',
        "The console's zip is one object of the CDK bootstrap asset bucket, whose key is known only at publish time.",
      ],
      ['AwsSolutions-IAM5[Resource::<ConsoleAssets8400950A.Arn>/*]', 'The deployment writes every object of the console bucket and nothing else.'],
      ['AwsSolutions-IAM5[Resource::*]', 'CloudFront CreateInvalidation/GetInvalidation support no resource-level scoping in CDK’s handler policy.'],
      ['AwsSolutions-L1', "The runtime of CDK's deployment handler is pinned by aws-cdk-lib and upgraded with it."],
      ['Serverless-LambdaLatestVersion', "The runtime of CDK's deployment handler is pinned by aws-cdk-lib and upgraded with it."],
      ['Serverless-LambdaDLQ', 'CloudFormation invokes the deployment handler synchronously as a custom resource and reports its failure as a stack event.'],
      ['Serverless-LambdaTracing', 'A deploy-time custom resource: tracing would record one CloudFormation call per deployment.'],
    ];
    for (const [id, reason] of why) acknowledge(handler, id, reason);
  }
}
