import { randomUUID } from 'node:crypto';
import {
  CreateQueueCommand,
  GetQueueAttributesCommand,
  ReceiveMessageCommand,
  DeleteMessageCommand,
  type SQSClient,
} from '@aws-sdk/client-sqs';
import type { SQSEvent } from 'aws-lambda';

/** An SQS queue standing in for a Lambda behind a rule (moto cannot invoke Lambdas). */
export interface TestQueue {
  url: string;
  arn: string;
}

export async function createQueue(sqs: SQSClient, name: string): Promise<TestQueue> {
  const { QueueUrl: url } = await sqs.send(new CreateQueueCommand({ QueueName: name }));
  if (!url) throw new Error(`CreateQueue ${name} returned no URL`);
  const { Attributes } = await sqs.send(new GetQueueAttributesCommand({ QueueUrl: url, AttributeNames: ['QueueArn'] }));
  const arn = Attributes?.['QueueArn'];
  if (!arn) throw new Error(`queue ${name} has no ARN`);
  return { url, arn };
}

/** Every message waiting in the queue, parsed from JSON, and deleted. Moto delivers during PutEvents. */
export async function drainQueue(sqs: SQSClient, queue: TestQueue): Promise<unknown[]> {
  const bodies: unknown[] = [];
  for (;;) {
    const { Messages = [] } = await sqs.send(
      new ReceiveMessageCommand({ QueueUrl: queue.url, MaxNumberOfMessages: 10, WaitTimeSeconds: 0 }),
    );
    if (Messages.length === 0) return bodies;
    for (const message of Messages) {
      bodies.push(JSON.parse(message.Body ?? 'null') as unknown);
      await sqs.send(new DeleteMessageCommand({ QueueUrl: queue.url, ReceiptHandle: message.ReceiptHandle }));
    }
  }
}

/** What Lambda's SQS event source hands start-ingest for one message of the start-later queue. */
export function sqsEvent(queue: TestQueue, body: string): SQSEvent {
  return {
    Records: [{
      messageId: randomUUID(), receiptHandle: 'test', body, attributes: { ApproximateReceiveCount: '1' } as never, messageAttributes: {},
      md5OfBody: '', eventSource: 'aws:sqs', eventSourceARN: queue.arn, awsRegion: 'us-east-1',
    }],
  };
}
