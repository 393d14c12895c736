import { DescribeEventBusCommand, ListRulesCommand, ListTargetsByRuleCommand, type EventBridgeClient, type Rule } from '@aws-sdk/client-eventbridge';

import { routesFor, type Route } from '../events/routes.js';
import { fail, ok, type VerifyLine } from './verify-line.js';
import { REDEPLOY } from './aws-verify-stack.js';

/** A pattern with its keys and "any of" arrays in one order, so equal patterns compare equal as text. */
function canonical(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(canonical).map((item) => JSON.stringify(item)).sort().map((item) => JSON.parse(item) as unknown);
  if (typeof value === 'object' && value !== null) {
    return Object.fromEntries(Object.entries(value).sort(([a], [b]) => a.localeCompare(b)).map(([key, item]) => [key, canonical(item)]));
  }
  return value;
}

function samePattern(rule: Rule, pattern: Route['pattern']): boolean {
  try {
    return JSON.stringify(canonical(JSON.parse(rule.EventPattern ?? 'null'))) === JSON.stringify(canonical(pattern));
  } catch {
    return false;
  }
}

/** Every rule on `bus` (ListRules, page by page). */
async function listRules(client: EventBridgeClient, bus: string): Promise<Rule[]> {
  const rules: Rule[] = [];
  let token: string | undefined;
  do {
    const page = await client.send(new ListRulesCommand({ EventBusName: bus, ...(token === undefined ? {} : { NextToken: token }) }));
    rules.push(...(page.Rules ?? []));
    token = page.NextToken;
  } while (token !== undefined);
  return rules;
}

async function targetsOf(client: EventBridgeClient, rule: Rule, bus: string): Promise<string[]> {
  const { Targets = [] } = await client.send(new ListTargetsByRuleCommand({ Rule: rule.Name, EventBusName: bus }));
  return Targets.map((target) => target.Arn ?? '');
}

const routeName = (route: Route) => `${route.pattern['detail-type'].join('|')} -> ${route.handler}`;

/**
 * The bus has one enabled rule per route of the routing table (events/routes.ts, the Glue route
 * narrowed to the stack's jobs), each with a target; and the default bus has the rule forwarding the
 * job's state changes to floe's bus. Rules are found by their pattern, not their generated names; two
 * routes with one pattern (StageMerged) need two rules, told apart by the stack's descriptions.
 * @see https://docs.aws.amazon.com/eventbridge/latest/APIReference/API_ListRules.html
 * @see https://docs.aws.amazon.com/eventbridge/latest/APIReference/API_ListTargetsByRule.html
 */
export async function checkRules(client: EventBridgeClient, bus: string, jobNames: readonly string[]): Promise<VerifyLine[]> {
  const routes = routesFor(jobNames);
  let rules: Rule[];
  try {
    rules = await listRules(client, bus);
  } catch (error) {
    return [fail(`rules on bus ${bus}`, 'could not be listed', `check that the bus exists (the BusName output) and these credentials may events:ListRules; else ${REDEPLOY}`, { by: 'EventBridge', error })];
  }
  const lines: VerifyLine[] = [];
  const claimed = new Set<string>();
  for (const route of routes) {
    const check = `rule ${routeName(route)} on bus ${bus}`;
    const candidates = rules.filter((rule) => samePattern(rule, route.pattern) && !claimed.has(rule.Name ?? ''));
    const rule = candidates.find((candidate) => candidate.Description?.endsWith(`→ ${route.handler}`)) ?? candidates[0];
    if (rule === undefined) {
      lines.push(fail(check, `no rule with the routing table's pattern ${JSON.stringify(route.pattern)}`, `${REDEPLOY}; it makes the rule from events/routes.ts`));
      continue;
    }
    claimed.add(rule.Name ?? '');
    lines.push(await ruleLine(client, check, rule, bus));
  }
  lines.push(await forwardingLine(client, bus, routes));
  return lines;
}

/** A rule found by its pattern: enabled, with a target. */
async function ruleLine(client: EventBridgeClient, check: string, rule: Rule, bus: string, wantedTarget?: string): Promise<VerifyLine> {
  if (rule.State !== 'ENABLED') {
    return fail(check, `rule ${rule.Name} is ${rule.State ?? 'in no state'}`, `enable it: aws events enable-rule --name ${rule.Name} --event-bus-name ${bus}`);
  }
  let targets: string[];
  try {
    targets = await targetsOf(client, rule, bus);
  } catch (error) {
    return fail(check, `the targets of rule ${rule.Name} could not be listed`, 'run verify with credentials that may events:ListTargetsByRule', { by: 'EventBridge', error });
  }
  if (wantedTarget !== undefined && !targets.includes(wantedTarget)) {
    return fail(check, `rule ${rule.Name} sends to ${targets.join(', ') || 'nothing'}, not to ${wantedTarget}`, REDEPLOY);
  }
  if (targets.length === 0) return fail(check, `rule ${rule.Name} has no target`, REDEPLOY);
  return ok(check, `${rule.Name}, enabled, to ${targets.join(', ')}`);
}

/** AWS puts Glue's state changes on the default bus only: the stack's rule there sends the job's to floe's bus. */
async function forwardingLine(client: EventBridgeClient, bus: string, routes: readonly Route[]): Promise<VerifyLine> {
  const route = routes.find((candidate) => candidate.handler === 'glue-finished')!;
  const check = `rule forwarding the job's Glue state changes from the default bus to ${bus}`;
  try {
    const { Arn: busArn } = await client.send(new DescribeEventBusCommand({ Name: bus }));
    const rule = (await listRules(client, 'default')).find((candidate) => samePattern(candidate, route.pattern));
    if (rule === undefined) return fail(check, `no rule on the default bus with the pattern ${JSON.stringify(route.pattern)}`, REDEPLOY);
    return await ruleLine(client, check, rule, 'default', busArn);
  } catch (error) {
    return fail(check, 'could not be read', 'run verify with credentials that may events:DescribeEventBus and events:ListRules', { by: 'EventBridge', error });
  }
}
