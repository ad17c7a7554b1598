/**
 * The key of messenger credentials: a KMS key of the stack (rotation on) that wraps the data
 * keys sealing each natively connected channel's credentials in the table
 * (lib/adapters/sealing.ts). Only the functions granted `credentialsKey` in infra/grants.ts may
 * Encrypt and Decrypt with it (`CREDENTIALS_KEY_ID`); the functions that register webhooks also
 * get the API's URL as `PUBLIC_URL` (the hook URLs start with it). No secret is in an environment.
 */
import { RemovalPolicy } from 'aws-cdk-lib';
import { PolicyStatement } from 'aws-cdk-lib/aws-iam';
import { Key } from 'aws-cdk-lib/aws-kms';
import type { Function as LambdaFunction } from 'aws-cdk-lib/aws-lambda';
import { Construct } from 'constructs';

export class CredentialsKey extends Construct {
  readonly key: Key;

  constructor(scope: Construct, id: string, props: { functions: readonly LambdaFunction[]; publicUrl: string }) {
    super(scope, id);
    this.key = new Key(this, 'Key', {
      description: 'chatlines: wraps the data keys of messenger channel credentials',
      enableKeyRotation: true,
      // Losing the key loses every stored credential: it outlives the stack.
      removalPolicy: RemovalPolicy.RETAIN,
    });
    for (const fn of props.functions) {
      fn.addToRolePolicy(new PolicyStatement({ actions: ['kms:Encrypt', 'kms:Decrypt'], resources: [this.key.keyArn] }));
      fn.addEnvironment('CREDENTIALS_KEY_ID', this.key.keyArn);
      fn.addEnvironment('PUBLIC_URL', props.publicUrl);
    }
  }
}
