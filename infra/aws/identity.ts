/**
 * Who issues the API's tokens. Issuer and audience are stack parameters; when no issuer is
 * given the stack makes a Cognito user pool and app client and uses them instead, so a
 * plain `cdk deploy` works and an existing identity provider can still be plugged in.
 */
import { CfnCondition, CfnOutput, CfnParameter, CfnRule, Duration, Fn, RemovalPolicy, type CfnResource } from 'aws-cdk-lib';
import {
  AccountRecovery,
  FeaturePlan,
  Mfa,
  StandardThreatProtectionMode,
  StringAttribute,
  UserPool,
  type UserPoolClient,
} from 'aws-cdk-lib/aws-cognito';
import { Construct } from 'constructs';

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
    this.client = this.userPool.addClient('ApiClient', {
      // SRP for apps; USER_PASSWORD_AUTH (over TLS) so that `aws cognito-idp initiate-auth` can get a token.
      authFlows: { userSrp: true, userPassword: true },
      generateSecret: false,
      preventUserExistenceErrors: true,
      enableTokenRevocation: true,
      idTokenValidity: Duration.hours(1),
      accessTokenValidity: Duration.hours(1),
      refreshTokenValidity: Duration.days(1),
    });
    for (const resource of [this.userPool, this.client]) {
      (resource.node.defaultChild as CfnResource).cfnOptions.condition = this.createsUserPool;
    }

    this.issuer = Fn.conditionIf(this.createsUserPool.logicalId, this.userPool.userPoolProviderUrl, issuerParameter.valueAsString).toString();
    this.audience = Fn.conditionIf(this.createsUserPool.logicalId, this.client.userPoolClientId, audienceParameter.valueAsString).toString();

    new CfnOutput(scope, 'UserPoolId', { value: this.userPool.userPoolId, condition: this.createsUserPool, description: 'The Cognito user pool the stack made.' });
    new CfnOutput(scope, 'UserPoolClientId', { value: this.client.userPoolClientId, condition: this.createsUserPool, description: 'Its app client (the JWT audience).' });
    new CfnOutput(scope, 'UserPoolIssuer', { value: this.userPool.userPoolProviderUrl, condition: this.createsUserPool, description: 'The JWT issuer (the pool).' });
  }
}
