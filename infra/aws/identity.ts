/**
 * Who issues the API's tokens. Issuer and audience are stack parameters; when no issuer is
 * given the stack makes a Cognito user pool and app client and uses them instead, so a
 * plain `cdk deploy` works and an existing identity provider can still be plugged in.
 *
 * The app client: sign-in by SRP (no password auth flow), OAuth only as the authorization code
 * grant (public client, no secret: the app sends a PKCE code challenge; no implicit grant) and
 * only when `OAuthCallbackUrls` is given. Users can write none of the attributes the API
 * trusts: the client's `writeAttributes` lists only `name`, so `custom:roles` is set by an
 * administrator (AdminUpdateUserAttributes, IAM) and is only readable by the client.
 */
import { Aws, CfnCondition, CfnOutput, CfnParameter, type CfnResource, CfnRule, Duration, Fn, RemovalPolicy } from 'aws-cdk-lib';
import {
  AccountRecovery,
  type CfnUserPoolClient,
  ClientAttributes,
  FeaturePlan,
  Mfa,
  OAuthScope,
  StandardThreatProtectionMode,
  StringAttribute,
  UserPool,
  type UserPoolClient,
  UserPoolClientIdentityProvider,
} from 'aws-cdk-lib/aws-cognito';
import { Construct } from 'constructs';
import { acknowledge } from './nag.ts';

export class ApiIdentity extends Construct {
  /** The issuer URL the JWT authorizer trusts (a token, resolved at deploy time). */
  readonly issuer: string;
  /** The audience (`aud` or `client_id`) the JWT authorizer requires. */
  readonly audience: string;
  /** True when the stack makes the Cognito user pool (no `JwtIssuer` given). */
  readonly createsUserPool: CfnCondition;
  readonly userPool: UserPool;
  readonly client: UserPoolClient;

  constructor(scope: Construct, id: string) {
    super(scope, id);
    const issuerParameter = new CfnParameter(scope, 'JwtIssuer', {
      type: 'String',
      default: '',
      allowedPattern: '^$|^https://\\S+$',
      description: 'Issuer URL of the JWTs the API accepts. Empty: the stack creates a Cognito user pool and uses it.',
    });
    const audienceParameter = new CfnParameter(scope, 'JwtAudience', {
      type: 'String',
      default: '',
      description: 'Audience (aud or client_id) the API requires. Required with JwtIssuer; ignored without it.',
    });
    const issuerGiven = Fn.conditionNot(Fn.conditionEquals(issuerParameter.valueAsString, ''));
    new CfnRule(scope, 'AudienceRequiredWithIssuer', {
      ruleCondition: issuerGiven,
      assertions: [
        {
          assert: Fn.conditionNot(Fn.conditionEquals(audienceParameter.valueAsString, '')),
          assertDescription: 'JwtAudience is required when JwtIssuer is given.',
        },
      ],
    });
    this.createsUserPool = new CfnCondition(scope, 'CreateUserPool', {
      expression: Fn.conditionEquals(issuerParameter.valueAsString, ''),
    });

    this.userPool = new UserPool(this, 'UserPool', {
      selfSignUpEnabled: false,
      signInAliases: { username: true, email: true },
      passwordPolicy: {
        minLength: 12,
        requireDigits: true,
        requireLowercase: true,
        requireUppercase: true,
        requireSymbols: true,
        tempPasswordValidity: Duration.days(3),
      },
      mfa: Mfa.REQUIRED,
      mfaSecondFactor: { otp: true, sms: false },
      accountRecovery: AccountRecovery.EMAIL_ONLY,
      // Plus: threat protection (compromised credentials, risky sign-ins) enforced; billed per
      // monthly active user only, so an idle pool costs nothing.
      featurePlan: FeaturePlan.PLUS,
      standardThreatProtectionMode: StandardThreatProtectionMode.FULL_FUNCTION,
      // The API reads roles from this attribute's claim (`custom:roles`, e.g. "operator supervisor").
      customAttributes: { roles: new StringAttribute({ minLen: 0, maxLen: 256, mutable: true }) },
      deletionProtection: true,
      removalPolicy: RemovalPolicy.RETAIN,
    });
    const callbackUrls = new CfnParameter(scope, 'OAuthCallbackUrls', {
      type: 'String',
      default: '',
      allowedPattern: '^$|^https://[^,\\s]+(,https://[^,\\s]+)*$',
      description:
        'Comma-separated https:// redirect URLs of the apps that sign in through Cognito (authorization code grant with PKCE). Empty: no OAuth on the app client (SRP sign-in only).',
    });
    const oauthOn = new CfnCondition(scope, 'OAuthEnabled', {
      expression: Fn.conditionNot(Fn.conditionEquals(callbackUrls.valueAsString, '')),
    });
    const callbackList = Fn.split(',', callbackUrls.valueAsString);
    this.client = this.userPool.addClient('ApiClient', {
      // SRP only: no password is ever sent, and there is no USER_PASSWORD_AUTH to brute-force.
      authFlows: { userSrp: true },
      generateSecret: false,
      // The code grant only (a public client: PKCE); never the implicit grant.
      oAuth: {
        flows: { authorizationCodeGrant: true, implicitCodeGrant: false, clientCredentials: false },
        scopes: [OAuthScope.OPENID, OAuthScope.EMAIL, OAuthScope.PROFILE],
        callbackUrls: callbackList,
      },
      supportedIdentityProviders: [UserPoolClientIdentityProvider.COGNITO],
      // Users may change their name and nothing else: roles (`custom:roles`) are an administrator's.
      writeAttributes: new ClientAttributes().withStandardAttributes({ fullname: true }),
      readAttributes: new ClientAttributes().withStandardAttributes({ email: true, emailVerified: true, fullname: true }).withCustomAttributes('roles'),
      preventUserExistenceErrors: true,
      enableTokenRevocation: true,
      idTokenValidity: Duration.hours(1),
      accessTokenValidity: Duration.hours(1),
      refreshTokenValidity: Duration.days(1),
    });
    for (const resource of [this.userPool, this.client]) {
      (resource.node.defaultChild as CfnResource).cfnOptions.condition = this.createsUserPool;
    }
    // Without callback URLs the client has no OAuth settings at all.
    const cfnClient = this.client.node.defaultChild as CfnUserPoolClient;
    const whenOAuth = (value: unknown) => Fn.conditionIf(oauthOn.logicalId, value, Aws.NO_VALUE);
    cfnClient.allowedOAuthFlowsUserPoolClient = whenOAuth(true) as unknown as boolean;
    cfnClient.allowedOAuthFlows = whenOAuth(['code']) as unknown as string[];
    cfnClient.allowedOAuthScopes = whenOAuth(cfnClient.allowedOAuthScopes) as unknown as string[];
    cfnClient.callbackUrLs = whenOAuth(callbackList) as unknown as string[];
    // CloudFormation validation reads the parameter's empty default through the Fn::If; CallbackURLs only exists when the parameter is not empty.
    for (const rule of ['CloudFormation-Validate::F3031', 'CloudFormation-Validate::F3033']) {
      acknowledge(cfnClient, rule, 'CallbackURLs is set only under OAuthEnabled (OAuthCallbackUrls not empty); the empty default never reaches it.');
    }

    this.issuer = Fn.conditionIf(this.createsUserPool.logicalId, this.userPool.userPoolProviderUrl, issuerParameter.valueAsString).toString();
    this.audience = Fn.conditionIf(this.createsUserPool.logicalId, this.client.userPoolClientId, audienceParameter.valueAsString).toString();

    new CfnOutput(scope, 'UserPoolId', {
      value: this.userPool.userPoolId,
      condition: this.createsUserPool,
      description: 'The Cognito user pool the stack made.',
    });
    new CfnOutput(scope, 'UserPoolClientId', {
      value: this.client.userPoolClientId,
      condition: this.createsUserPool,
      description: 'Its app client (the JWT audience).',
    });
    new CfnOutput(scope, 'UserPoolIssuer', {
      value: this.userPool.userPoolProviderUrl,
      condition: this.createsUserPool,
      description: 'The JWT issuer (the pool).',
    });
  }
}
