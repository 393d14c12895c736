/**
 * The CDK app: `cd infra && npx cdk synth` (offline; Lambdas are bundled with the local esbuild).
 * Source secrets come from context `floe:sourceSecrets`; Snowflake's trust from stack parameters.
 */
import { App } from 'aws-cdk-lib';
import { FloeStack } from './floe-stack.js';
import { SOURCE_SECRETS_CONTEXT, parseSourceSecrets } from './source-secrets.js';

const app = new App();
new FloeStack(app, 'Floe', {
  description: 'floe: PostgreSQL and MySQL/MariaDB into Snowflake, kept in sync',
  sourceSecrets: parseSourceSecrets(app.node.tryGetContext(SOURCE_SECRETS_CONTEXT)),
});
app.synth();
