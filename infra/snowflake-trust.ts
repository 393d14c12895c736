import { Aws, CfnCondition, CfnParameter, Fn, Stack } from 'aws-cdk-lib';
import { ArnPrincipal, type IPrincipal } from 'aws-cdk-lib/aws-iam';
import { Construct } from 'constructs';

/** Who may assume one of the roles Snowflake uses, and with which external id. */
export interface RoleTrust {
  principal: IPrincipal;
  externalId: string;
}

/** The external id the roles require until Snowflake's own is given (the first deploy). */
export const PENDING_EXTERNAL_ID = 'floe-pending-snowflake';

/**
 * Snowflake's trust, as stack parameters that all have defaults, so the first `cdk deploy` needs
 * none: Snowflake tells its IAM user and external ids only once its integrations exist, and they
 * need this stack's outputs.
 *
 * Until `SnowflakeIamUserArn` is given, the roles trust this account itself (its root principal,
 * which IAM accepts: a nonexistent user is refused with `MalformedPolicyDocument: Invalid
 * principal`), with the external id {@link PENDING_EXTERNAL_ID}: only this account's principals
 * whose own IAM policies allow `sts:AssumeRole` on the role can use it. The second deploy, with
 * Snowflake's values, replaces both; later deploys keep them (cdk deploy reuses a parameter's
 * previous value unless given another).
 * @see https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_principal.html
 * @see https://docs.aws.amazon.com/IAM/latest/UserGuide/id_roles_common-scenarios_third-party.html
 * @see https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/parameters-section-structure.html
 * @see https://docs.aws.amazon.com/cdk/v2/guide/ref-cli-cmd-deploy.html (--previous-parameters, default true)
 */
export class SnowflakeTrust extends Construct {
  readonly userArn: CfnParameter;
  readonly apiExternalId: CfnParameter;
  readonly storageExternalId: CfnParameter;
  /** True once SnowflakeIamUserArn is given. */
  readonly userKnown: CfnCondition;
  readonly api: RoleTrust;
  readonly storage: RoleTrust;

  constructor(scope: Stack, id = 'SnowflakeTrust') {
    super(scope, id);
    // Parameters keep their logical ids at the stack's top level: the README's --parameters name them.
    this.userArn = new CfnParameter(scope, 'SnowflakeIamUserArn', {
      type: 'String',
      default: '',
      description: "API_AWS_IAM_USER_ARN of Snowflake's API integration (DESCRIBE API INTEGRATION); empty until it exists: this account is trusted meanwhile",
      allowedPattern: '^(arn:aws[a-z-]*:iam::\\d{12}:user/\\S+)?$',
      constraintDescription: 'an IAM user ARN (arn:aws:iam::<account>:user/<name>), or empty before the Snowflake integrations exist',
    });
    this.apiExternalId = new CfnParameter(scope, 'SnowflakeExternalId', {
      type: 'String',
      default: PENDING_EXTERNAL_ID,
      description: "API_AWS_EXTERNAL_ID of Snowflake's API integration",
      minLength: 2,
      allowedPattern: '^[\\w+=,.@:/-]+$',
    });
    this.storageExternalId = new CfnParameter(scope, 'SnowflakeStorageExternalId', {
      type: 'String',
      default: PENDING_EXTERNAL_ID,
      description: "STORAGE_AWS_EXTERNAL_ID of Snowflake's storage integration (DESC INTEGRATION)",
      minLength: 2,
      allowedPattern: '^[\\w+=,.@:/-]+$',
    });
    this.userKnown = new CfnCondition(scope, 'SnowflakeUserKnown', { expression: Fn.conditionNot(Fn.conditionEquals(this.userArn.valueAsString, '')) });
    const principal = new ArnPrincipal(Fn.conditionIf(this.userKnown.logicalId, this.userArn.valueAsString, `arn:${Aws.PARTITION}:iam::${Aws.ACCOUNT_ID}:root`).toString());
    this.api = { principal, externalId: this.apiExternalId.valueAsString };
    this.storage = { principal, externalId: this.storageExternalId.valueAsString };
  }
}
