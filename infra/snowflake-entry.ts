import { CfnOutput, Duration, Stack } from 'aws-cdk-lib';
import { AuthorizationType, EndpointType, LambdaIntegration, RestApi } from 'aws-cdk-lib/aws-apigateway';
import { AnyPrincipal, ArnPrincipal, Effect, PolicyDocument, PolicyStatement, Role } from 'aws-cdk-lib/aws-iam';
import type { RoleTrust } from './snowflake-trust.js';
import { Construct } from 'constructs';
import { HandlerFunction } from './handler-function.js';

export interface SnowflakeEntryProps {
  environment: Record<string, string>;
  /** Snowflake's IAM user (`API_AWS_IAM_USER_ARN`) and `API_AWS_EXTERNAL_ID`, from `DESCRIBE API INTEGRATION` (infra/snowflake-trust.ts). */
  trust: RoleTrust;
}

const STAGE = 'v1';
const METHODS = ['POST', 'GET'] as const;

/**
 * The stage's throttle: steady calls per second and the burst above it. Without one, the stage
 * shares the account's regional limit (10,000 requests per second, burst 5,000) with every other
 * API. A legitimate FLOE_INGEST query makes a handful of calls (one per batch of rows, then a poll
 * every few seconds while a row waits), and each call may start many runs (request-ingest caps
 * them per call) of a Glue job that runs 10 at a time, so anything above this is a runaway query
 * or an attack. API Gateway answers it 429 Too Many Requests; the query then fails or is retried
 * by Snowflake, and either way no run is requested for the refused call.
 * @see https://docs.aws.amazon.com/apigateway/latest/developerguide/api-gateway-request-throttling.html
 */
export const INGEST_THROTTLE = { rateLimit: 5, burstLimit: 10 } as const;

/**
 * Snowflake's external function → API Gateway (IAM auth) → request-ingest. Snowflake signs its
 * calls as the role created here, which its IAM user may assume only with the integration's
 * external id, and which may invoke only `POST /ingest` (a request) and `GET /ingest` (its poll).
 * The API's resource policy refuses every other principal, and its stage is throttled.
 */
export class SnowflakeEntry extends Construct {
  readonly handler: HandlerFunction;
  readonly api: RestApi;
  readonly role: Role;

  constructor(scope: Construct, id: string, props: SnowflakeEntryProps) {
    super(scope, id);
    // Snowflake calls synchronously; the DLQ only catches asynchronous invocations (e.g. manual tests).
    this.handler = new HandlerFunction(this, 'RequestIngest', {
      name: 'request-ingest',
      environment: props.environment,
      timeout: Duration.seconds(25),
    });
    this.role = new Role(this, 'SnowflakeRole', {
      description: "Assumed by Snowflake's API integration to call floe's external function",
      assumedBy: props.trust.principal,
      externalIds: [props.trust.externalId],
      maxSessionDuration: Duration.hours(1),
    });
    const policy = snowflakeOnly(this.role.roleArn);
    this.api = new RestApi(this, 'Api', {
      restApiName: `${Stack.of(this).stackName}-ingest`,
      description: 'floe: entry for Snowflake external functions',
      endpointTypes: [EndpointType.REGIONAL],
      cloudWatchRole: false,
      policy,
      deployOptions: { stageName: STAGE, throttlingRateLimit: INGEST_THROTTLE.rateLimit, throttlingBurstLimit: INGEST_THROTTLE.burstLimit },
      defaultMethodOptions: { authorizationType: AuthorizationType.IAM },
    });
    // A changed resource policy takes effect only with a new deployment: make the policy part of its id.
    // https://docs.aws.amazon.com/apigateway/latest/developerguide/apigateway-resource-policies-create-attach.html
    this.api.latestDeployment?.addToLogicalId({ resourcePolicy: policy.toJSON() as unknown });
    // POST requests; GET is Snowflake polling a batch that was answered 202.
    const ingest = this.api.root.addResource('ingest');
    const integration = new LambdaIntegration(this.handler.fn);
    for (const method of METHODS) ingest.addMethod(method, integration);

    this.role.addToPolicy(
      new PolicyStatement({
        actions: ['execute-api:Invoke'],
        resources: METHODS.map((method) => this.api.arnForExecuteApi(method, '/ingest', STAGE)),
      }),
    );

    // Keyed as the README names them, not by their path in the construct tree (SnowflakeIngestUrl2221BC9B):
    // `floe aws verify` and a person reading DescribeStacks find them by these keys.
    new CfnOutput(this, 'IngestUrl', { value: this.api.urlForPath('/ingest'), description: 'API_ALLOWED_PREFIXES / external function URL' }).overrideLogicalId('IngestUrl');
    new CfnOutput(this, 'SnowflakeRoleArn', { value: this.role.roleArn, description: 'API_AWS_ROLE_ARN of the API integration' }).overrideLogicalId('SnowflakeRoleArn');
  }
}

/**
 * The API's resource policy: Snowflake's role may invoke `/ingest`, and every other principal is
 * denied, whatever its own IAM policies allow. The deny is what does the work: for a caller of the
 * API's own account, an Allow in either its IAM policy or the resource policy is enough, so only an
 * explicit Deny keeps out the account's other principals with `execute-api:Invoke`.
 * `aws:PrincipalArn` of a session of an assumed role is the role's ARN, so every session Snowflake
 * opens with the role matches it.
 * @see https://docs.aws.amazon.com/apigateway/latest/developerguide/apigateway-authorization-flow.html
 * @see https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_condition-keys.html#condition-keys-principalarn
 */
function snowflakeOnly(roleArn: string): PolicyDocument {
  const ingest = METHODS.map((method) => `execute-api:/${STAGE}/${method}/ingest`);
  return new PolicyDocument({
    statements: [
      new PolicyStatement({ effect: Effect.ALLOW, principals: [new ArnPrincipal(roleArn)], actions: ['execute-api:Invoke'], resources: ingest }),
      new PolicyStatement({
        effect: Effect.DENY,
        principals: [new AnyPrincipal()],
        actions: ['execute-api:Invoke'],
        resources: ['execute-api:/*'],
        conditions: { StringNotEquals: { 'aws:PrincipalArn': roleArn } },
      }),
    ],
  });
}
