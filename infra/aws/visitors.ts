/**
 * The visitor-token secret: a Secrets Manager secret the stack generates; the
 * visitor functions (routes marked `visitor` in the manifest) read it once per cold start
 * (`VISITOR_SECRET_ARN`, lib/adapters/secrets.ts) to sign and verify visitor tokens.
 */
import { PolicyStatement } from 'aws-cdk-lib/aws-iam';
import type { Function as LambdaFunction } from 'aws-cdk-lib/aws-lambda';
import { Secret } from 'aws-cdk-lib/aws-secretsmanager';
import { Construct } from 'constructs';
import { acknowledge } from './nag.ts';

export class VisitorTokenSecret extends Construct {
  readonly secret: Secret;

  constructor(scope: Construct, id: string, props: { functions: readonly LambdaFunction[] }) {
    super(scope, id);
    this.secret = new Secret(this, 'Secret', {
      description: 'chatlines: HMAC key of the web-chat visitor tokens',
      generateSecretString: { passwordLength: 64, excludePunctuation: true },
    });
    acknowledge(
      this.secret,
      'AwsSolutions-SMG4',
      'Rotating the key would end every open visitor conversation (tokens live 24 h and are verified with one key); rotate by replacing the secret value when needed.',
    );
    for (const fn of props.functions) {
      // GetSecretValue only (grantRead adds DescribeSecret, which no function calls).
      fn.addToRolePolicy(new PolicyStatement({ actions: ['secretsmanager:GetSecretValue'], resources: [this.secret.secretArn] }));
      fn.addEnvironment('VISITOR_SECRET_ARN', this.secret.secretArn);
    }
  }
}
