import { execFileSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Stack } from 'aws-cdk-lib';
import type { Template } from 'aws-cdk-lib/assertions';
import type { CfnResource } from 'aws-cdk-lib';

import { JOB_GATEWAY_ENDPOINTS, JOB_INTERFACE_ENDPOINTS } from '../../infra/extraction-network.js';
import type { FloeStack } from '../../infra/floe-stack.js';
import { parseSourceNetwork } from '../../infra/source-network.js';
import { parseSourceSecrets } from '../../infra/source-secrets.js';
import { PENDING_EXTERNAL_ID } from '../../infra/snowflake-trust.js';
import { START_INGEST_BATCH_SIZE } from '../../infra/start-ingest-queues.js';
import { JOB_TIMEOUT_MINUTES, LEASE_TTL_MS } from '../../pipeline/lease.js';
import { repoRoot } from '../state/helpers.js';
import { NETWORK, PARSED_NETWORK, allStatements, asArray, synthFloeStack, type Resource } from './helpers.js';

const RDS_SECRET = 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:rds!db-0f3c9a1e-5b7d-4e2a-9c1f-2a3b4c5d6e7f-AbCdEf';
const KMS_KEY = 'arn:aws:kms:eu-west-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab';
/** The README's example: an RDS-managed, KMS-encrypted secret in a private VPC. */
const SECRETS = {
  clr: { secretArn: RDS_SECRET, kmsKeyArn: KMS_KEY, host: 'clr.cluster-abc.eu-west-1.rds.amazonaws.com', port: 5432, dbname: 'clr' },
  shop: 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:floe/shop-GhIjKl',
};

let stack: FloeStack;
let template: Template;
let resources: Record<string, Resource>;

beforeAll(() => {
  ({ stack, template } = synthFloeStack({ network: PARSED_NETWORK, sourceSecrets: SECRETS }));
  resources = template.toJSON()['Resources'] as Record<string, Resource>;
});

const ofType = (type: string) => Object.entries(resources).filter(([, resource]) => resource.Type === type);
const idOf = (construct: CfnResource) => Stack.of(stack).getLogicalId(construct);

describe('Stack in a real account: the extraction job runs in the sources\' VPC', () => {
  it('gives the job one Glue NETWORK connection per subnet and zone, all with the job security group', () => {
    // Prepare
    const groupId = idOf(stack.extraction.network!.securityGroup);
    const connections = ofType('AWS::Glue::Connection').map(([, connection]) => connection.Properties?.['ConnectionInput'] as Record<string, unknown>);

    // Assess
    expect(connections).toEqual(NETWORK.subnetIds.map((subnetId, index) => expect.objectContaining({
      ConnectionType: 'NETWORK',
      Name: `FloeTest-network-${NETWORK.availabilityZones[index]}-${index + 1}`,
      PhysicalConnectionRequirements: { SubnetId: subnetId, AvailabilityZone: NETWORK.availabilityZones[index], SecurityGroupIdList: [{ 'Fn::GetAtt': [groupId, 'GroupId'] }] },
    })));
    const [, job] = ofType('AWS::Glue::Job')[0]!;
    expect(job.Properties?.['Connections']).toEqual({ Connections: connections.map((connection) => connection['Name']) });
  });

  it('has the self-referencing rule Glue requires, open outbound, and admits the job to the source on its port', () => {
    // Prepare
    const groupRef = { 'Fn::GetAtt': [idOf(stack.extraction.network!.securityGroup), 'GroupId'] };
    const ingress = ofType('AWS::EC2::SecurityGroupIngress').map(([, rule]) => rule.Properties);

    // Assess
    expect(ingress).toContainEqual(expect.objectContaining({ GroupId: groupRef, SourceSecurityGroupId: groupRef, IpProtocol: 'tcp', FromPort: 0, ToPort: 65535 }));
    expect(ingress).toContainEqual(expect.objectContaining({ GroupId: NETWORK.sources.clr.securityGroupId, SourceSecurityGroupId: groupRef, IpProtocol: 'tcp', FromPort: 5432, ToPort: 5432 }));
    expect(resources[idOf(stack.extraction.network!.securityGroup)]?.Properties).toMatchObject({
      VpcId: NETWORK.vpcId, SecurityGroupEgress: [expect.objectContaining({ IpProtocol: '-1', CidrIp: '0.0.0.0/0' })],
    });
  });

  it('creates the S3 gateway endpoint on the subnets\' route tables and an interface endpoint, private DNS, for each service the job calls', () => {
    // Prepare
    const endpoints = ofType('AWS::EC2::VPCEndpoint').map(([, endpoint]) => endpoint.Properties ?? {});
    const service = (properties: Record<string, unknown>) => String((properties['ServiceName'] as { 'Fn::Sub': string })['Fn::Sub']).split('.').at(-1);

    // Assess
    expect(endpoints.filter((endpoint) => endpoint['VpcEndpointType'] === 'Gateway')).toEqual([
      expect.objectContaining({ VpcId: NETWORK.vpcId, RouteTableIds: NETWORK.routeTableIds, ServiceName: { 'Fn::Sub': 'com.amazonaws.${AWS::Region}.s3' } }),
    ]);
    const interfaces = endpoints.filter((endpoint) => endpoint['VpcEndpointType'] === 'Interface');
    expect(interfaces.map(service).sort()).toEqual(Object.keys(JOB_INTERFACE_ENDPOINTS).sort());
    for (const endpoint of interfaces) expect(endpoint).toMatchObject({ SubnetIds: NETWORK.subnetIds, PrivateDnsEnabled: true });
  });

  it('has an endpoint for every AWS service the job\'s code calls (its boto3 clients, read from glue/)', () => {
    // Prepare: every boto3.client("…") in the job's own code
    const files = [join(repoRoot, 'glue', 'extract.py'), ...pythonFiles(join(repoRoot, 'glue', 'floe_extract'))];
    const called = new Set(files.flatMap((file) => [...readFileSync(file, 'utf8').matchAll(/boto3\.client\(\s*"([a-z0-9-]+)"/g)].map((match) => match[1]!)));

    // Assess
    expect([...called].sort()).toEqual(['s3', 'secretsmanager']);
    for (const service of called) expect(Object.keys({ ...JOB_INTERFACE_ENDPOINTS, ...JOB_GATEWAY_ENDPOINTS })).toContain(service);
  });

  it('creates no endpoint when the VPC has its own (endpoints: existing), and still runs the job through the connections', () => {
    // Act
    const { template: existing } = synthFloeStack({ network: { ...PARSED_NETWORK, endpoints: 'existing' }, stackName: 'FloeExisting' });

    // Assess
    existing.resourceCountIs('AWS::EC2::VPCEndpoint', 0);
    existing.resourceCountIs('AWS::Glue::Connection', 2);
  });

  it('lets Glue create the job\'s network interfaces only in the given subnets, with its security group', () => {
    // Prepare
    const statements = allStatements(template);
    const create = statements.find((statement) => asArray(statement['Action']).includes('ec2:CreateNetworkInterface'));
    const describe = statements.find((statement) => asArray(statement['Action']).includes('ec2:DescribeSubnets'));

    // Assess: EC2's Describe actions take no resource ARN, so only they have "*"
    expect(JSON.stringify(create?.['Resource'])).toContain(`:subnet/${NETWORK.subnetIds[0]}`);
    expect(describe?.['Resource']).toBe('*');
    expect(asArray(describe?.['Action']).every((action) => String(action).startsWith('ec2:Describe'))).toBe(true);
    const starred = statements.filter((statement) => statement['Resource'] === '*' && statement['Effect'] === 'Allow' && statement['Principal'] === undefined);
    expect(starred.flatMap((statement) => asArray(statement['Action'])).every((action) => String(action).startsWith('ec2:Describe'))).toBe(true);
  });

  it('passes cfn-lint with the network', () => {
    // Prepare
    const dir = mkdtempSync(join(tmpdir(), 'floe-cfn-net-'));
    const file = join(dir, 'floe.template.json');
    writeFileSync(file, JSON.stringify(template.toJSON(), null, 2));

    // Act
    // W3005: CDK's redundant DependsOn on Lambda roles. W3010: a Glue connection must name its subnet's
    // zone, which the context gives beside the subnet (a zone cannot be looked up for a given subnet in a template).
    let output = '';
    try {
      execFileSync(join(repoRoot, '.venv', 'bin', 'cfn-lint'), ['--ignore-checks', 'W3005', 'W3010', '--', file], { encoding: 'utf8' });
    } catch (error) {
      output = `${(error as { stdout?: string }).stdout ?? ''}${(error as { stderr?: string }).stderr ?? ''}`;
    }
    rmSync(dir, { recursive: true, force: true });

    // Assess
    expect(output).toBe('');
  });
});

describe('Stack in a real account: the first deploy needs no parameter', () => {
  it('gives every parameter a default that its own constraints accept', () => {
    // Prepare
    const parameters = template.toJSON()['Parameters'] as Record<string, { Default?: string; AllowedPattern?: string; MinLength?: number }>;
    const ours = Object.entries(parameters).filter(([name]) => !name.startsWith('BootstrapVersion'));

    // Assess
    expect(ours.map(([name]) => name).sort()).toEqual(['SnowflakeExternalId', 'SnowflakeIamUserArn', 'SnowflakeStorageExternalId']);
    for (const [, parameter] of Object.entries(parameters)) {
      expect(parameter.Default).toBeDefined();
      if (parameter.AllowedPattern !== undefined) expect(new RegExp(parameter.AllowedPattern).test(parameter.Default!)).toBe(true);
      expect(parameter.Default!.length).toBeGreaterThanOrEqual(parameter.MinLength ?? 0);
    }
    expect(parameters['SnowflakeExternalId']?.Default).toBe(PENDING_EXTERNAL_ID);
  });

  it('names no user that may not exist in any trust policy: this account until Snowflake\'s user is given', () => {
    // Prepare
    const trusts = ofType('AWS::IAM::Role').map(([, role]) => JSON.stringify(role.Properties?.['AssumeRolePolicyDocument']));

    // Assess
    expect(trusts.join()).not.toMatch(/:user\/|placeholder/);
    const snowflake = trusts.filter((trust) => trust.includes('SnowflakeIamUserArn'));
    expect(snowflake).toHaveLength(2);
    for (const trust of snowflake) expect(trust).toContain('"Fn::If":["SnowflakeUserKnown",{"Ref":"SnowflakeIamUserArn"}');
    expect(template.toJSON()['Conditions']['SnowflakeUserKnown']).toEqual({ 'Fn::Not': [{ 'Fn::Equals': [{ Ref: 'SnowflakeIamUserArn' }, ''] }] });
  });
});

describe('Stack in a real account: leases, secrets, concurrency, names', () => {
  it('holds a run\'s lease longer than the job may run, by at least half an hour, from one constant', () => {
    // Prepare
    const [, job] = ofType('AWS::Glue::Job')[0]!;
    const timeoutMinutes = Number(job.Properties?.['Timeout']);

    // Assess
    expect(timeoutMinutes).toBe(JOB_TIMEOUT_MINUTES);
    expect(LEASE_TTL_MS - timeoutMinutes * 60_000).toBeGreaterThanOrEqual(30 * 60_000);
  });

  it('reads an RDS-managed secret (rds!…) with the address the stack was given, and decrypts it with its KMS key through Secrets Manager only', () => {
    // Prepare
    const startIngest = ofType('AWS::Lambda::Function').find(([, fn]) => JSON.stringify(fn.Properties).includes('floe-start-ingest'))!;
    const variables = (startIngest[1].Properties?.['Environment'] as { Variables: Record<string, string> }).Variables;
    const kms = allStatements(template).filter((statement) => asArray(statement['Action']).includes('kms:Decrypt'));

    // Assess
    expect(JSON.parse(variables['FLOE_SOURCE_SECRETS']!)).toEqual({
      clr: `${RDS_SECRET}?host=clr.cluster-abc.eu-west-1.rds.amazonaws.com&port=5432&dbname=clr`,
      shop: SECRETS.shop,
    });
    expect(kms).toEqual([{ Action: 'kms:Decrypt', Effect: 'Allow', Resource: KMS_KEY, Condition: { StringEquals: { 'kms:ViaService': { 'Fn::Join': ['', ['secretsmanager.', { Ref: 'AWS::Region' }, '.amazonaws.com']] } } } }]);
  });

  it('queues a start Glue refuses for its concurrency limit: start-ingest sends to, and reads from, its start-later queue', () => {
    // Prepare
    const queueId = idOf(stack.startLater.node.defaultChild as CfnResource);
    const fnId = idOf(stack.handlers['start-ingest'].fn.node.defaultChild as CfnResource);

    // Assess
    template.hasResourceProperties('AWS::Lambda::EventSourceMapping', { FunctionName: { Ref: fnId }, EventSourceArn: { 'Fn::GetAtt': [queueId, 'Arn'] }, BatchSize: START_INGEST_BATCH_SIZE });
    expect(JSON.stringify(resources[fnId]?.Properties?.['Environment'])).toContain(`"FLOE_START_LATER_QUEUE_URL":{"Ref":"${queueId}"}`);
    expect(resources[queueId]?.Properties?.['RedrivePolicy']).toEqual({ deadLetterTargetArn: { 'Fn::GetAtt': [idOf(stack.handlers['start-ingest'].deadLetterQueue.node.defaultChild as CfnResource), 'Arn'] }, maxReceiveCount: 5 });
  });

  it('prefixes every named resource with the stack name, so two stacks share an account and region', () => {
    // Act
    const names = (name: string) => namedResources(synthFloeStack({ stackName: name, network: PARSED_NETWORK }).template);
    const [first, second] = [names('FloeBlue'), names('FloeGreen')];

    // Assess
    expect(first.length).toBeGreaterThan(8);
    expect(first.every((name) => name.startsWith('FloeBlue'))).toBe(true);
    expect(second.every((name) => name.startsWith('FloeGreen'))).toBe(true);
  });
});

describe('Infra: the network and secrets context', () => {
  it.each([
    [{ ...NETWORK, vpcId: 'my-vpc' }, /floe:network\.vpcId: expected an id like "vpc-/],
    [{ ...NETWORK, availabilityZones: ['eu-west-1a'] }, /one zone per subnet/],
    [{ ...NETWORK, availabilityZones: ['eu-west-1a', 'eu-west-1a'] }, /one subnet per zone: eu-west-1a appears twice/],
    [{ ...NETWORK, sources: { clr: { securityGroupId: 'sg-0fedcba9876543210' } } }, /sources\.clr\.port: expected the database port/],
    [{ ...NETWORK, endpoints: 'nat' }, /endpoints: expected "create" or "existing"/],
  ])('refuses a network context with a mistake, naming the key (%#)', (value, message) => {
    // Act & Assess
    expect(() => parseSourceNetwork(JSON.stringify(value))).toThrow(message);
  });

  it('refuses an RDS-managed secret without the address it lacks', () => {
    // Act & Assess
    expect(() => parseSourceSecrets({ clr: RDS_SECRET })).toThrow(/clr: an RDS-managed secret \(rds!…\) holds only username and password: give "host" and "dbname"/);
    expect(() => parseSourceSecrets({ clr: { secretArn: RDS_SECRET, host: 'db', dbname: 'clr', password: 'x' } })).toThrow(/clr\.password: unknown key/);
  });
});

/** Every resource name property in the template, with the names AWS forces on it left out. */
function namedResources(template: Template): string[] {
  const nameKeys = ['Name', 'TableName', 'EventBusName', 'QueueName', 'FunctionName', 'RoleName', 'TopicName'];
  const found: string[] = [];
  for (const resource of Object.values(template.toJSON()['Resources'] as Record<string, Resource>)) {
    if (['AWS::Lambda::EventSourceMapping', 'AWS::Lambda::EventInvokeConfig', 'AWS::Lambda::Permission', 'AWS::Events::Rule'].includes(resource.Type) && resource.Properties?.['Name'] === undefined) continue;
    for (const key of nameKeys) {
      const value = resource.Properties?.[key];
      if (typeof value === 'string' && !(key === 'EventBusName' && resource.Type !== 'AWS::Events::EventBus')) found.push(value);
    }
    const input = resource.Properties?.['ConnectionInput'] as { Name?: string } | undefined;
    if (input?.Name !== undefined) found.push(input.Name);
  }
  return found;
}

function pythonFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) return name === '__pycache__' ? [] : pythonFiles(path);
    return name.endsWith('.py') ? [path] : [];
  });
}
