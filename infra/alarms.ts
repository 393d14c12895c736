import { Duration } from 'aws-cdk-lib';
import { Alarm, ComparisonOperator, TreatMissingData } from 'aws-cdk-lib/aws-cloudwatch';
import { SnsAction } from 'aws-cdk-lib/aws-cloudwatch-actions';
import { Rule, type EventBus } from 'aws-cdk-lib/aws-events';
import { SnsTopic } from 'aws-cdk-lib/aws-events-targets';
import type { IQueue } from 'aws-cdk-lib/aws-sqs';
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
 * Where people hear about trouble: one SNS topic (subscribe to it after deploying) that gets
 * every IngestFailed event and every CheckCompleted that is not in sync (drift, or a check that
 * could not run), and an alarm per dead-letter queue as soon as it holds a message.
 */
export class Alarms extends Construct {
  readonly topic: Topic;

  constructor(scope: Construct, id: string, props: AlarmsProps) {
    super(scope, id);
    this.topic = new Topic(this, 'Topic', { displayName: 'floe alarms', enforceSSL: true });
    new Rule(this, 'IngestFailed', {
      description: 'floe: every IngestFailed event to the alarm topic',
      eventBus: props.bus,
      eventPattern: { source: [FLOE_EVENT_SOURCE], detailType: [INGEST_FAILED] },
      targets: [new SnsTopic(this.topic)],
    });
    new Rule(this, 'CheckDrift', {
      description: 'floe: every CheckCompleted not in sync (check: after-merge) to the alarm topic',
      eventBus: props.bus,
      eventPattern: { source: [FLOE_EVENT_SOURCE], detailType: [CHECK_COMPLETED], detail: { inSync: [false] } },
      targets: [new SnsTopic(this.topic)],
    });
    for (const [name, queue] of Object.entries(props.deadLetterQueues)) {
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
