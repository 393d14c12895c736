import { App } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { FloeStack } from '../../infra/floe-stack.js';
import { parseSourceNetwork, type SourceNetwork } from '../../infra/source-network.js';
import { parseSourceSecrets } from '../../infra/source-secrets.js';

/** Source secrets the test stack is given: ARNs only, as in a real deployment. */
/** Snowflake as the test stack is given it: a secret ARN, never a key or password. */
export const SNOWFLAKE = {
  account: 'myorg-myaccount', user: 'FLOE', database: 'ANALYTICS', warehouse: 'FLOE_WH', role: 'FLOE',
  secretArn: 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:floe/snowflake-MnOpQr',
};

export const SOURCE_SECRETS = {
  clr: 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:floe/clr-AbCdEf',
  shop: 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:floe/shop-GhIjKl',
};

/** The sources' network as the README's example gives it: an RDS instance in two private subnets. */
export const NETWORK = {
  vpcId: 'vpc-0a1b2c3d4e5f60718',
  subnetIds: ['subnet-0aaa1111bbbb2222c', 'subnet-0ddd3333eeee4444f'],
  availabilityZones: ['eu-west-1a', 'eu-west-1b'],
  routeTableIds: ['rtb-0123456789abcdef0', 'rtb-0fedcba9876543210'],
  sources: { clr: { securityGroupId: 'sg-0fedcba9876543210', port: 5432 } },
};

/** The stack as `cdk synth` builds it (real local esbuild bundling, no stubs), and its template. */
export function synthFloeStack(options: { network?: SourceNetwork; sourceSecrets?: unknown; stackName?: string } = {}): { stack: FloeStack; template: Template } {
  const app = new App();
  const stack = new FloeStack(app, options.stackName ?? 'FloeTest', {
    sourceSecrets: parseSourceSecrets(options.sourceSecrets ?? SOURCE_SECRETS), snowflake: SNOWFLAKE, network: options.network,
  });
  return { stack, template: Template.fromStack(stack) };
}

/** The network context as `cdk synth -c floe:network=…` reads it. */
export const PARSED_NETWORK = parseSourceNetwork(JSON.stringify(NETWORK))!;

export type Resource = { Type: string; Properties?: Record<string, unknown> };

/** Every IAM-style statement in the template: role, user and resource policies alike. */
export function allStatements(template: Template): Record<string, unknown>[] {
  const resources = template.toJSON()['Resources'] as Record<string, Resource>;
  const statements: Record<string, unknown>[] = [];
  const collect = (document: unknown) => {
    const list = (document as { Statement?: unknown } | undefined)?.Statement;
    if (Array.isArray(list)) statements.push(...(list as Record<string, unknown>[]));
  };
  for (const resource of Object.values(resources)) {
    const props = resource.Properties ?? {};
    collect(props['PolicyDocument']);
    collect(props['AssumeRolePolicyDocument']);
    for (const policy of (props['Policies'] as { PolicyDocument: unknown }[] | undefined) ?? []) collect(policy.PolicyDocument);
  }
  return statements;
}

export function asArray<T>(value: T | T[] | undefined): T[] {
  if (value === undefined) return [];
  return Array.isArray(value) ? value : [value];
}

/** The statements of every policy attached to the role of the Lambda whose POWERTOOLS_SERVICE_NAME is `service`. */
export function functionStatements(template: Template, service: string): Record<string, unknown>[] {
  const resources = template.toJSON()['Resources'] as Record<string, Resource>;
  const fn = Object.values(resources).find((resource) =>
    resource.Type === 'AWS::Lambda::Function' &&
    (resource.Properties?.['Environment'] as { Variables?: Record<string, unknown> } | undefined)?.Variables?.['POWERTOOLS_SERVICE_NAME'] === service);
  if (fn === undefined) throw new Error(`no Lambda function with POWERTOOLS_SERVICE_NAME ${service}`);
  const roleId = (fn.Properties?.['Role'] as { 'Fn::GetAtt': [string, string] })['Fn::GetAtt'][0];
  return Object.values(resources)
    .filter((resource) => resource.Type === 'AWS::IAM::Policy' && JSON.stringify(resource.Properties?.['Roles']) === JSON.stringify([{ Ref: roleId }]))
    .flatMap((policy) => (policy.Properties?.['PolicyDocument'] as { Statement: Record<string, unknown>[] }).Statement);
}
