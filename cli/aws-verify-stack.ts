import { DescribeStacksCommand, type CloudFormationClient } from '@aws-sdk/client-cloudformation';

import { fail, ok, type VerifyLine } from './verify-line.js';

/** The outputs of infra/floe-stack.ts that `floe aws verify` reads or the README tells users to use. */
export const STACK_OUTPUTS = [
  'BusName', 'StateStore', 'RawRoot', 'GlueJobName', 'GlueSparkJobName', 'JobConnections', 'SourceSecrets',
  'AlarmTopicArn', 'IngestUrl', 'SnowflakeRoleArn', 'SnowflakeStorageRoleArn',
] as const;
export type StackOutputName = (typeof STACK_OUTPUTS)[number];
export type StackOutputs = Partial<Record<StackOutputName, string>>;

/** A stack whose last operation ended well; anything else runs another template than the last deploy's, or none yet. */
const SETTLED = new Set(['CREATE_COMPLETE', 'UPDATE_COMPLETE', 'IMPORT_COMPLETE']);

/** How to run the deploy again, as the README's deploy section gives it. */
export const REDEPLOY = 'deploy the stack again from the repository root (npx cdk deploy, with the README\'s context and parameters)';

/**
 * DescribeStacks: the stack's status and its outputs. Outputs exist only once an operation has
 * completed (none while the stack is IN_PROGRESS).
 * @see https://docs.aws.amazon.com/AWSCloudFormation/latest/APIReference/API_DescribeStacks.html
 * @see https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/outputs-section-structure.html
 */
export async function checkStack(client: CloudFormationClient, stackName: string): Promise<{ line: VerifyLine; outputs: StackOutputs; found: boolean }> {
  const check = `stack ${stackName}: status and outputs`;
  let stack;
  try {
    [stack] = (await client.send(new DescribeStacksCommand({ StackName: stackName }))).Stacks ?? [];
  } catch (error) {
    const region = await client.config.region().catch(() => 'the configured region');
    return {
      line: fail(check, `CloudFormation could not describe it in ${region}`,
        'pass --stack NAME (or state: dynamodb://NAME in the config), and run with the credentials and region (AWS_PROFILE, AWS_REGION) of the account it was deployed to',
        { by: 'CloudFormation', error }),
      outputs: {},
      found: false,
    };
  }
  const outputs: StackOutputs = {};
  for (const output of stack?.Outputs ?? []) {
    if ((STACK_OUTPUTS as readonly string[]).includes(output.OutputKey ?? '') && output.OutputValue !== undefined) {
      outputs[output.OutputKey as StackOutputName] = output.OutputValue;
    }
  }
  const status = stack?.StackStatus ?? 'unknown';
  const missing = STACK_OUTPUTS.filter((name) => outputs[name] === undefined);
  if (!SETTLED.has(status)) {
    const fix = status.endsWith('_IN_PROGRESS')
      ? 'wait for the operation to end, then verify again'
      : `read why in its events (aws cloudformation describe-stack-events --stack-name ${stackName}), fix that, and ${REDEPLOY}`;
    return { line: fail(check, `status ${status}${stack?.StackStatusReason ? ` (${stack.StackStatusReason})` : ''}`, fix), outputs, found: true };
  }
  if (missing.length > 0) {
    return { line: fail(check, `${status}, but output(s) ${missing.join(', ')} missing: the stack was deployed from an older floe`, REDEPLOY), outputs, found: true };
  }
  return { line: ok(check, `${status}; ${STACK_OUTPUTS.length} outputs (${STACK_OUTPUTS.join(', ')})`), outputs, found: true };
}
