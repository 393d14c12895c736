import { DynamoDBClient } from '@aws-sdk/client-dynamodb';

import { ConfigError, type FloeConfig } from '../config/index.js';
import { DEFAULT_TABLE_PREFIX, DynamoDbStateStore, stateTableNamesFor } from '../state/dynamodb.js';
import { LocalStateStore, type StateStore } from '../state/index.js';

/**
 * The state store the config's `state` names: a local folder, or the deployed stack's DynamoDB
 * tables (`dynamodb` for the stack named Floe, `dynamodb://<stack name>` otherwise). DynamoDB is
 * reached with the AWS SDK's usual credentials and region (AWS_PROFILE, AWS_REGION, …).
 */
export function openStateStore(config: FloeConfig): StateStore {
  if (config.state === 'dynamodb' || config.state.startsWith('dynamodb://')) {
    const prefix = config.state === 'dynamodb' ? DEFAULT_TABLE_PREFIX : config.state.slice('dynamodb://'.length) || DEFAULT_TABLE_PREFIX;
    // The stack's name: CloudFormation allows letters, digits and hyphens.
    if (!/^[A-Za-z][A-Za-z0-9-]*$/.test(prefix)) {
      throw new ConfigError(`state ${config.state}: expected dynamodb://<stack name> (letters, digits, hyphens), e.g. dynamodb://Floe`);
    }
    return new DynamoDbStateStore(new DynamoDBClient({}), stateTableNamesFor(prefix));
  }
  return new LocalStateStore(config.state);
}
