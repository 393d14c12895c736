import {
  CreateEventBusCommand,
  DescribeEventBusCommand,
  PutRuleCommand,
  PutTargetsCommand,
  ResourceAlreadyExistsException,
  type EventBridgeClient,
} from '@aws-sdk/client-eventbridge';

import type { HandlerName, Route } from '../../events/index.js';

/** One EventBridge rule derived from one route of the routing table. */
export interface RuleDefinition {
  /** `<bus>-<handler>`, e.g. `floe-glue-finished`; unique on the bus. */
  name: string;
  handler: HandlerName;
  /** The route's pattern as JSON, exactly what `PutRule`'s `EventPattern` (or CDK's `eventPattern`) gets. */
  eventPattern: string;
}

/**
 * The rules a bus needs for `routes`, one per route, in table order. The CDK stack and
 * {@link ensureRules} both derive their rules here, so neither can drift from the local bus.
 */
export function ruleDefinitions(busName: string, routes: readonly Route[]): RuleDefinition[] {
  const used = new Set<string>();
  return routes.map((route) => {
    let name = `${busName}-${route.handler}`;
    for (let n = 2; used.has(name); n += 1) name = `${busName}-${route.handler}-${n}`;
    used.add(name);
    return { name, handler: route.handler, eventPattern: JSON.stringify(route.pattern) };
  });
}

/**
 * Creates the bus (if missing) and, for each route, a rule with the route's pattern targeting the
 * ARN given for its handler. Idempotent: PutRule and PutTargets overwrite what is there.
 * Tests put SQS queues behind the rules (moto cannot invoke Lambdas); the deployed stack puts
 * each handler's Lambda there instead, through CDK, from the same {@link ruleDefinitions}.
 */
export async function ensureRules(
  client: EventBridgeClient,
  busName: string,
  routes: readonly Route[],
  targets: Partial<Record<HandlerName, string>>,
): Promise<RuleDefinition[]> {
  const rules = ruleDefinitions(busName, routes);
  const missing = rules.filter((rule) => targets[rule.handler] === undefined).map((rule) => rule.handler);
  if (missing.length > 0) {
    throw new Error(`ensureRules: no target ARN for handler(s) ${missing.join(', ')}; give one per handler in the routes`);
  }
  try {
    await client.send(new CreateEventBusCommand({ Name: busName }));
  } catch (error) {
    if (!(error instanceof ResourceAlreadyExistsException)) throw error;
  }
  for (const rule of rules) {
    await client.send(new PutRuleCommand({ Name: rule.name, EventBusName: busName, EventPattern: rule.eventPattern, State: 'ENABLED' }));
    const output = await client.send(
      new PutTargetsCommand({ Rule: rule.name, EventBusName: busName, Targets: [{ Id: rule.handler, Arn: targets[rule.handler] }] }),
    );
    if ((output.FailedEntryCount ?? 0) > 0) {
      const failed = output.FailedEntries?.[0];
      throw new Error(`rule ${rule.name} on bus ${busName}: target refused: ${failed?.ErrorCode ?? 'unknown'} ${failed?.ErrorMessage ?? ''}`.trim());
    }
  }
  return rules;
}

/**
 * AWS services publish to the default bus only: a rule there sends the state changes of floe's
 * Glue job (the glue-finished route's pattern) on to `busName`, as the stack's
 * ForwardGlueStateChanges rule does. Idempotent.
 */
export async function ensureGlueForwarding(client: EventBridgeClient, busName: string, routes: readonly Route[]): Promise<void> {
  const glueRoute = routes.find((route) => route.handler === 'glue-finished');
  if (glueRoute === undefined) throw new Error('ensureGlueForwarding: the routes have no glue-finished route to take the pattern from');
  const { Arn: busArn } = await client.send(new DescribeEventBusCommand({ Name: busName }));
  if (!busArn) throw new Error(`ensureGlueForwarding: bus ${busName} has no ARN; create it first (ensureRules)`);
  const name = `${busName}-forward-glue-state-changes`;
  await client.send(new PutRuleCommand({ Name: name, EventBusName: 'default', EventPattern: JSON.stringify(glueRoute.pattern), State: 'ENABLED' }));
  const output = await client.send(new PutTargetsCommand({ Rule: name, EventBusName: 'default', Targets: [{ Id: busName, Arn: busArn }] }));
  if ((output.FailedEntryCount ?? 0) > 0) throw new Error(`rule ${name}: target ${busArn} refused: ${output.FailedEntries?.[0]?.ErrorMessage ?? 'unknown'}`);
}
