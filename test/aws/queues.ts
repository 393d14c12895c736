import { randomUUID } from 'node:crypto';
import {
  ChangeMessageVisibilityCommand,
  CreateQueueCommand,
  GetQueueAttributesCommand,
  ReceiveMessageCommand,
  DeleteMessageCommand,
  type SQSClient,
} from '@aws-sdk/client-sqs';
import type { SQSBatchResponse, SQSEvent, SQSRecord } from 'aws-lambda';

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

/** What Lambda's SQS event source hands a function for one message of `queue`. */
export function sqsEvent(queue: TestQueue, body: string): SQSEvent {
  return {
    Records: [{
      messageId: randomUUID(), receiptHandle: 'test', body, attributes: { ApproximateReceiveCount: '1' } as never, messageAttributes: {},
      md5OfBody: '', eventSource: 'aws:sqs', eventSourceARN: queue.arn, awsRegion: 'us-east-1',
    }],
  };
}

/**
 * Plays Lambda's SQS event source mapping (moto cannot invoke Lambdas): receives every visible
 * message of `queue` (SQS hands out ten per receive) into one batch of records, as the mapping
 * gathers them within its batching window, invokes `lambda` with it, deletes the records the
 * response does not name, and makes the named ones visible again at once (as when the visibility
 * timeout ends). Returns the batch and the response. An EventBridge event's body gets the
 * envelope's `account` back: moto's rule delivery drops it, and real EventBridge delivers it.
 * @see https://docs.aws.amazon.com/lambda/latest/dg/with-sqs.html
 * @see https://docs.aws.amazon.com/lambda/latest/dg/services-sqs-errorhandling.html#services-sqs-batchfailurereporting
 */
export async function deliverBatch(
  sqs: SQSClient,
  queue: TestQueue,
  lambda: (event: SQSEvent) => Promise<SQSBatchResponse>,
): Promise<{ records: SQSRecord[]; response: SQSBatchResponse }> {
  const received: { record: SQSRecord; receiptHandle: string }[] = [];
  for (;;) {
    const { Messages = [] } = await sqs.send(new ReceiveMessageCommand({
      QueueUrl: queue.url, MaxNumberOfMessages: 10, WaitTimeSeconds: 0, VisibilityTimeout: 300, MessageSystemAttributeNames: ['All'],
    }));
    if (Messages.length === 0) break;
    for (const message of Messages) {
      received.push({
        receiptHandle: message.ReceiptHandle!,
        record: {
          messageId: message.MessageId!, receiptHandle: message.ReceiptHandle!, body: withAccount(message.Body ?? ''),
          attributes: (message.Attributes ?? {}) as unknown as SQSRecord['attributes'], messageAttributes: {},
          md5OfBody: message.MD5OfBody ?? '', eventSource: 'aws:sqs', eventSourceARN: queue.arn, awsRegion: 'us-east-1',
        },
      });
    }
  }
  const records = received.map((one) => one.record);
  const response = await lambda({ Records: records });
  const failed = new Set(response.batchItemFailures.map((failure) => failure.itemIdentifier));
  for (const { record, receiptHandle } of received) {
    if (failed.has(record.messageId)) await sqs.send(new ChangeMessageVisibilityCommand({ QueueUrl: queue.url, ReceiptHandle: receiptHandle, VisibilityTimeout: 0 }));
    else await sqs.send(new DeleteMessageCommand({ QueueUrl: queue.url, ReceiptHandle: receiptHandle }));
  }
  return { records, response };
}

/** The body with the envelope's `account` that moto's EventBridge target leaves out; any other body as it is. */
export function withAccount(body: string): string {
  let parsed: unknown;
  try {
    parsed = JSON.parse(body) as unknown;
  } catch {
    return body;
  }
  const isEvent = typeof parsed === 'object' && parsed !== null && 'detail-type' in parsed && !('account' in parsed);
  return isEvent ? JSON.stringify({ account: '123456789012', ...(parsed as object) }) : body;
}
