import { CfnOutput, Duration, type CfnParameter } from 'aws-cdk-lib';
import { AuthorizationType, EndpointType, LambdaIntegration, RestApi } from 'aws-cdk-lib/aws-apigateway';
import { ArnPrincipal, PolicyStatement, Role } from 'aws-cdk-lib/aws-iam';
import { Construct } from 'constructs';
import { HandlerFunction } from './handler-function.js';

export interface SnowflakeEntryProps {
  environment: Record<string, string>;
  /** Snowflake's IAM user (`API_AWS_IAM_USER_ARN` from `DESCRIBE API INTEGRATION`). */
  snowflakeUserArn: CfnParameter;
  /** `API_AWS_EXTERNAL_ID` from the same DESCRIBE. */
  snowflakeExternalId: CfnParameter;
}

const STAGE = 'v1';
const METHODS = ['POST', 'GET'] as const;

/**
 * Snowflake's external function → API Gateway (IAM auth) → request-ingest. Snowflake signs its
 * calls as the role created here, which its IAM user may assume only with the integration's
 * external id, and which may invoke only `POST /ingest` (a request) and `GET /ingest` (its poll).
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
    this.api = new RestApi(this, 'Api', {
      description: 'floe: entry for Snowflake external functions',
      endpointTypes: [EndpointType.REGIONAL],
      cloudWatchRole: false,
      deployOptions: { stageName: STAGE },
      defaultMethodOptions: { authorizationType: AuthorizationType.IAM },
    });
    // POST requests; GET is Snowflake polling a batch that was answered 202.
    const ingest = this.api.root.addResource('ingest');
    const integration = new LambdaIntegration(this.handler.fn);
    for (const method of METHODS) ingest.addMethod(method, integration);

    this.role = new Role(this, 'SnowflakeRole', {
      description: "Assumed by Snowflake's API integration to call floe's external function",
      assumedBy: new ArnPrincipal(props.snowflakeUserArn.valueAsString),
      externalIds: [props.snowflakeExternalId.valueAsString],
      maxSessionDuration: Duration.hours(1),
    });
    this.role.addToPolicy(
      new PolicyStatement({
        actions: ['execute-api:Invoke'],
        resources: METHODS.map((method) => this.api.arnForExecuteApi(method, '/ingest', STAGE)),
      }),
    );

    new CfnOutput(this, 'IngestUrl', { value: this.api.urlForPath('/ingest'), description: 'API_ALLOWED_PREFIXES / external function URL' });
    new CfnOutput(this, 'SnowflakeRoleArn', { value: this.role.roleArn, description: 'API_AWS_ROLE_ARN of the API integration' });
  }
}
