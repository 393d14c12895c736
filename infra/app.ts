/**
 * The CDK app: `npx cdk synth` from the repository root (cdk.json) (offline; Lambdas are bundled with the local esbuild).
 * Source secrets come from context `floe:sourceSecrets`, the sources' network from `floe:network`,
 * Snowflake's connection from `floe:snowflake`; Snowflake's trust (for its API and storage
 * integrations) from stack parameters, which all have defaults (infra/snowflake-trust.ts).
 */
import { App } from 'aws-cdk-lib';
import { FloeStack } from './floe-stack.js';
import { SNOWFLAKE_CONTEXT, parseSnowflakeSettings } from './snowflake-settings.js';
import { SOURCE_SECRETS_CONTEXT, parseSourceSecrets } from './source-secrets.js';
import { NETWORK_CONTEXT, parseSourceNetwork } from './source-network.js';

const app = new App();
new FloeStack(app, 'Floe', {
  description: 'floe: PostgreSQL and MySQL/MariaDB into Snowflake, kept in sync',
  sourceSecrets: parseSourceSecrets(app.node.tryGetContext(SOURCE_SECRETS_CONTEXT)),
  network: parseSourceNetwork(app.node.tryGetContext(NETWORK_CONTEXT)),
  snowflake: parseSnowflakeSettings(app.node.tryGetContext(SNOWFLAKE_CONTEXT)),
});
app.synth();
