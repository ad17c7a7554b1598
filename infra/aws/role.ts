/**
 * An execution role whose grants all live in the role itself (one inline policy), whoever adds
 * them: our statements, Lambda's tracing grant, an event source's stream reads, a secret's read.
 * A `Role` of CDK puts them in a separate `AWS::IAM::Policy` resource, one more resource per
 * function; inline, the grants stay exactly the same and the stack stays under CloudFormation's
 * resource limit (docs/decisions/stack-shape.md).
 */
import { type AddToPrincipalPolicyResult, PolicyDocument, type PolicyStatement, Role, type RoleProps } from 'aws-cdk-lib/aws-iam';
import type { Construct } from 'constructs';

/** The name of the inline policy that holds every grant. */
export const INLINE_POLICY_NAME = 'grants';

export class InlinePolicyRole extends Role {
  readonly document: PolicyDocument;

  constructor(scope: Construct, id: string, props: Omit<RoleProps, 'inlinePolicies'>) {
    const grants = new PolicyDocument();
    super(scope, id, { ...props, inlinePolicies: { [INLINE_POLICY_NAME]: grants } });
    this.document = grants;
  }

  override addToPrincipalPolicy(statement: PolicyStatement): AddToPrincipalPolicyResult {
    this.document.addStatements(statement);
    // The role itself carries the statement: whatever depends on the grant depends on the role.
    return { statementAdded: true, policyDependable: this };
  }
}
