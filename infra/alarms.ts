import { Duration, Stack } from 'aws-cdk-lib';
import { Alarm, ComparisonOperator, TreatMissingData } from 'aws-cdk-lib/aws-cloudwatch';
import { SnsAction } from 'aws-cdk-lib/aws-cloudwatch-actions';
import { Rule, type EventBus } from 'aws-cdk-lib/aws-events';
import { SnsTopic } from 'aws-cdk-lib/aws-events-targets';
import { Role, ServicePrincipal } from 'aws-cdk-lib/aws-iam';
import { Queue, QueueEncryption, type IQueue } from 'aws-cdk-lib/aws-sqs';
import { Topic } from 'aws-cdk-lib/aws-sns';
import { Construct } from 'constructs';
import { FLOE_EVENT_SOURCE } from '../events/bus.js';
import { CHECK_COMPLETED } from '../events/check-completed.js';
import { INGEST_FAILED } from '../events/ingest-failed.js';

export interface AlarmsProps {
  bus: EventBus;
  deadLetterQueues: Readonly<Record<string, IQueue>>;
}

/**
 * The rules that send floe events to the topic, by name (the stack's name first, so two stacks can
 * share an account): their ARNs are known before they exist (see {@link Alarms}).
 */
export function alarmRuleNames(stackName: string): { ingestFailed: string; checkDrift: string } {
  return { ingestFailed: `${stackName}-alarm-ingest-failed`, checkDrift: `${stackName}-alarm-check-drift` };
}

/**
 * Where people hear about trouble: one SNS topic (subscribe to it after deploying) that gets
 * every IngestFailed event and every CheckCompleted that is not in sync (drift, or a check that
 * could not run), and an alarm per dead-letter queue as soon as it holds a message.
 *
 * The two rules publish through a role, not through a topic policy for `events.amazonaws.com`:
 * EventBridge's guide says a condition block cannot be used in an SNS topic policy for
 * EventBridge, so a grant there could not be limited to these rules. The role can be assumed only
 * by EventBridge on behalf of these two rules (`aws:SourceArn`, the rule ARN for event bus rule
 * targets, and `aws:SourceAccount`), and may publish only to this topic. Rule names are fixed so
 * the trust policy can name the ARNs without referring to the rules, which refer to the role. An
 * event the rules cannot deliver goes to their dead-letter queue, whose alarm reaches the topic
 * the other way, through CloudWatch.
 * @see https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-use-resource-based.html#eb-sns-permissions
 * @see https://docs.aws.amazon.com/eventbridge/latest/userguide/cross-service-confused-deputy-prevention.html
 * @see https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-rule-dlq.html
 */
export class Alarms extends Construct {
  readonly topic: Topic;
  /** What EventBridge assumes to publish the two rules' events to the topic. */
  readonly deliveryRole: Role;
  /** Events the two rules could not deliver to the topic. */
  readonly deliveryDeadLetters: Queue;

  constructor(scope: Construct, id: string, props: AlarmsProps) {
    super(scope, id);
    const stack = Stack.of(this);
    const ruleNames = alarmRuleNames(stack.stackName);
    this.topic = new Topic(this, 'Topic', { displayName: 'floe alarms', enforceSSL: true });
    this.deliveryRole = new Role(this, 'DeliveryRole', {
      description: 'floe: EventBridge publishes IngestFailed and drifted CheckCompleted to the alarm topic',
      assumedBy: new ServicePrincipal('events.amazonaws.com').withConditions({
        ArnEquals: {
          'aws:SourceArn': Object.values(ruleNames).map((ruleName) =>
            stack.formatArn({ service: 'events', resource: 'rule', resourceName: `${props.bus.eventBusName}/${ruleName}` })),
        },
        StringEquals: { 'aws:SourceAccount': stack.account },
      }),
    });
    this.deliveryDeadLetters = new Queue(this, 'DeliveryDeadLetters', {
      retentionPeriod: Duration.days(14),
      encryption: QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
    });
    const target = new SnsTopic(this.topic, { role: this.deliveryRole, deadLetterQueue: this.deliveryDeadLetters });
    new Rule(this, 'IngestFailed', {
      ruleName: ruleNames.ingestFailed,
      description: 'floe: every IngestFailed event to the alarm topic',
      eventBus: props.bus,
      eventPattern: { source: [FLOE_EVENT_SOURCE], detailType: [INGEST_FAILED] },
      targets: [target],
    });
    new Rule(this, 'CheckDrift', {
      ruleName: ruleNames.checkDrift,
      description: 'floe: every CheckCompleted that found drift (check: after-merge) to the alarm topic',
      eventBus: props.bus,
      // Drift only: a check that could not run (status failed) compared nothing. On AWS no check runs
      // yet (config validation refuses check: and deletes: for a DynamoDB state store), and an alarm
      // for a check that never ran would fire after every merge.
      eventPattern: { source: [FLOE_EVENT_SOURCE], detailType: [CHECK_COMPLETED], detail: { status: ['drift'] } },
      targets: [target],
    });
    const deadLetterQueues = { ...props.deadLetterQueues, AlarmDelivery: this.deliveryDeadLetters };
    for (const [name, queue] of Object.entries(deadLetterQueues)) {
      const alarm = new Alarm(this, `${name}DeadLetters`, {
        alarmDescription: `floe ${name}: events that failed every retry are waiting in its dead-letter queue`,
        metric: queue.metricApproximateNumberOfMessagesVisible({ period: Duration.minutes(1), statistic: 'Maximum' }),
        threshold: 0,
        comparisonOperator: ComparisonOperator.GREATER_THAN_THRESHOLD,
        evaluationPeriods: 1,
        treatMissingData: TreatMissingData.NOT_BREACHING,
      });
      alarm.addAlarmAction(new SnsAction(this.topic));
    }
  }
}
