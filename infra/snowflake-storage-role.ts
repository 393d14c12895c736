import { Duration } from 'aws-cdk-lib';
import { Role } from 'aws-cdk-lib/aws-iam';
import type { RoleTrust } from './snowflake-trust.js';
import type { Bucket } from 'aws-cdk-lib/aws-s3';
import { Construct } from 'constructs';

export interface SnowflakeStorageRoleProps {
  rawBucket: Bucket;
  /** Snowflake's IAM user (`STORAGE_AWS_IAM_USER_ARN`) and `STORAGE_AWS_EXTERNAL_ID`, from `DESC INTEGRATION` (infra/snowflake-trust.ts). */
  trust: RoleTrust;
}

/**
 * The role Snowflake's storage integration assumes to COPY the raw files: read-only on the raw
 * bucket, for Snowflake's IAM user with the integration's external id only.
 */
export class SnowflakeStorageRole extends Construct {
  readonly role: Role;

  constructor(scope: Construct, id: string, props: SnowflakeStorageRoleProps) {
    super(scope, id);
    this.role = new Role(this, 'Role', {
      description: "Assumed by Snowflake's storage integration to read floe's raw files",
      assumedBy: props.trust.principal,
      externalIds: [props.trust.externalId],
      maxSessionDuration: Duration.hours(1),
    });
    props.rawBucket.grantRead(this.role);
  }
}
