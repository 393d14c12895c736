import { Annotations, Fn, Stack } from 'aws-cdk-lib';
import { CfnSecurityGroup, CfnSecurityGroupIngress, CfnVPCEndpoint } from 'aws-cdk-lib/aws-ec2';
import { CfnConnection } from 'aws-cdk-lib/aws-glue';
import { PolicyStatement, type Role } from 'aws-cdk-lib/aws-iam';
import { Construct } from 'constructs';
import type { SourceNetwork } from './source-network.js';

/**
 * The AWS services the extraction job calls from inside the VPC, each with why, for the interface
 * endpoints the stack creates (S3 goes through a gateway endpoint instead). The job's own calls
 * are found in its code (boto3 clients in glue/), and a test holds this list to them; the rest are
 * the Glue runtime's. A job in a private subnet reaches only what is in the VPC: ENIs with private
 * addresses, no public IP.
 * @see https://docs.aws.amazon.com/glue/latest/dg/start-connecting.html
 * @see https://repost.aws/knowledge-center/glue-test-connection-failed ("access to AWS Secrets Manager and AWS STS, then attach the endpoints")
 */
export const JOB_INTERFACE_ENDPOINTS: Readonly<Record<string, string>> = {
  secretsmanager: "the job reads the source's connection secret (glue/floe_extract/connection.py)",
  logs: 'the Glue runtime writes the job output and errors to CloudWatch Logs (/aws-glue/python-jobs/*)',
  glue: "the Glue runtime's calls to the Glue API from the job's network",
  sts: 'credentials for the job role, as AWS lists for Glue connections that use Secrets Manager',
};

/** The job's S3 calls: the raw bucket (glue/floe_extract/storage.py), its script and its wheel set (assets). */
export const JOB_GATEWAY_ENDPOINTS = { s3: 'raw files, manifests and logs (glue/floe_extract/storage.py); the script and wheel set the job starts from' } as const;

export interface ExtractionNetworkProps {
  network: SourceNetwork;
  /** The extraction job's role: Glue creates the job's network interfaces with it. */
  jobRole: Role;
}

/**
 * The extraction job's way into the sources' VPC:
 * - a security group for the job, with the self-referencing inbound rule (all TCP) and open
 *   outbound that Glue requires of a connection's security groups;
 * - one Glue NETWORK connection per subnet (and its zone), all given to the job, so that a run
 *   can start in another zone when one is unavailable;
 * - a rule on each listed source's security group admitting the job on the database port;
 * - with `endpoints: create`, an S3 gateway endpoint on the subnets' route tables and interface
 *   endpoints (private DNS) for {@link JOB_INTERFACE_ENDPOINTS}, reachable on 443 from the job only.
 * @see https://docs.aws.amazon.com/glue/latest/dg/setup-vpc-for-glue-access.html
 * @see https://docs.aws.amazon.com/glue/latest/dg/disaster-recovery-resiliency.html (failover between a job's connections)
 * @see https://docs.aws.amazon.com/AWSCloudFormation/latest/TemplateReference/aws-resource-glue-connection.html
 */
export class ExtractionNetwork extends Construct {
  readonly securityGroup: CfnSecurityGroup;
  /** The Glue connection names, in the order of the subnets. */
  readonly connectionNames: string[];
  readonly endpoints: CfnVPCEndpoint[] = [];

  constructor(scope: Construct, id: string, props: ExtractionNetworkProps) {
    super(scope, id);
    const stack = Stack.of(this);
    const { network } = props;
    this.securityGroup = new CfnSecurityGroup(this, 'JobSecurityGroup', {
      groupDescription: `${stack.stackName} extraction job: Glue network interfaces in the sources VPC`,
      vpcId: network.vpcId,
      securityGroupEgress: [{ ipProtocol: '-1', cidrIp: '0.0.0.0/0', description: 'to the databases, the endpoints and S3' }],
    });
    const groupId = this.securityGroup.attrGroupId;
    new CfnSecurityGroupIngress(this, 'SelfReference', {
      groupId, sourceSecurityGroupId: groupId, ipProtocol: 'tcp', fromPort: 0, toPort: 65535,
      description: 'Glue: the self-referencing rule every connection security group needs',
    });
    for (const [source, { securityGroupId, port }] of Object.entries(network.sources)) {
      new CfnSecurityGroupIngress(this, `Admit${alnum(source)}`, {
        groupId: securityGroupId, sourceSecurityGroupId: groupId, ipProtocol: 'tcp', fromPort: port, toPort: port,
        description: `${stack.stackName}: the floe extraction job reads source ${source}`,
      });
    }

    this.connectionNames = network.subnetIds.map((subnetId, index) => {
      const availabilityZone = network.availabilityZones[index]!;
      const name = `${stack.stackName}-network-${availabilityZone}-${index + 1}`;
      const connection = new CfnConnection(this, `Connection${index + 1}`, {
        catalogId: stack.account,
        connectionInput: {
          name,
          description: `floe extraction job's network interfaces in ${subnetId} (${availabilityZone})`,
          connectionType: 'NETWORK',
          connectionProperties: {},
          physicalConnectionRequirements: { subnetId, availabilityZone, securityGroupIdList: [groupId] },
        },
      });
      // A Glue connection names its subnet's zone; the zone comes from the context, beside the subnet.
      Annotations.of(connection).acknowledgeWarning('CloudFormation-Validate::W3010', "the subnet's zone, given in context floe:network");
      return name;
    });

    // Glue creates (and removes) the job's network interfaces in the subnets with the job's role.
    // EC2's Describe actions take no resource: IAM requires "*" for them.
    // https://docs.aws.amazon.com/glue/latest/dg/create-service-policy.html
    // https://docs.aws.amazon.com/service-authorization/latest/reference/list_amazonec2.html
    props.jobRole.addToPolicy(new PolicyStatement({
      actions: ['ec2:DescribeVpcEndpoints', 'ec2:DescribeRouteTables', 'ec2:DescribeNetworkInterfaces', 'ec2:DescribeSecurityGroups', 'ec2:DescribeSubnets', 'ec2:DescribeVpcAttribute'],
      resources: ['*'],
    }));
    props.jobRole.addToPolicy(new PolicyStatement({
      actions: ['ec2:CreateNetworkInterface', 'ec2:DeleteNetworkInterface', 'ec2:CreateTags', 'ec2:DeleteTags'],
      resources: [
        stack.formatArn({ service: 'ec2', resource: 'network-interface', resourceName: '*' }),
        ...network.subnetIds.map((subnetId) => stack.formatArn({ service: 'ec2', resource: 'subnet', resourceName: subnetId })),
        stack.formatArn({ service: 'ec2', resource: 'security-group', resourceName: groupId }),
      ],
    }));
    props.jobRole.addToPolicy(new PolicyStatement({
      actions: ['glue:GetConnection'],
      resources: [
        stack.formatArn({ service: 'glue', resource: 'catalog' }),
        ...this.connectionNames.map((name) => stack.formatArn({ service: 'glue', resource: 'connection', resourceName: name })),
      ],
    }));

    if (network.endpoints === 'create') this.createEndpoints(network, groupId);
  }

  private createEndpoints(network: SourceNetwork, jobGroupId: string): void {
    const stack = Stack.of(this);
    const endpointGroup = new CfnSecurityGroup(this, 'EndpointSecurityGroup', {
      groupDescription: `${stack.stackName}: interface endpoints the extraction job calls`,
      vpcId: network.vpcId,
      securityGroupIngress: [{ ipProtocol: 'tcp', fromPort: 443, toPort: 443, sourceSecurityGroupId: jobGroupId, description: 'HTTPS from the extraction job' }],
      securityGroupEgress: [{ ipProtocol: '-1', cidrIp: '127.0.0.1/32', description: 'no outbound: endpoints only answer' }],
    });
    this.endpoints.push(new CfnVPCEndpoint(this, 'S3Gateway', {
      vpcId: network.vpcId,
      vpcEndpointType: 'Gateway',
      serviceName: Fn.sub('com.amazonaws.${AWS::Region}.s3'),
      routeTableIds: [...network.routeTableIds],
    }));
    for (const service of Object.keys(JOB_INTERFACE_ENDPOINTS)) {
      this.endpoints.push(new CfnVPCEndpoint(this, `${alnum(service)}Interface`, {
        vpcId: network.vpcId,
        vpcEndpointType: 'Interface',
        serviceName: Fn.sub(`com.amazonaws.\${AWS::Region}.${service}`),
        subnetIds: [...network.subnetIds],
        securityGroupIds: [endpointGroup.attrGroupId],
        privateDnsEnabled: true,
      }));
    }
  }
}

function alnum(name: string): string {
  const cleaned = name.replace(/[^A-Za-z0-9]/g, '');
  return cleaned.charAt(0).toUpperCase() + cleaned.slice(1);
}
