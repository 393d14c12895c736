/**
 * Where the sources live on the network (context `floe:network`): the VPC, the subnets the
 * extraction job may run in, their route tables (for the S3 gateway endpoint), and per source the
 * security group that guards the database and its port (so the stack can admit the job to it).
 *
 * ```json
 * {
 *   "vpcId": "vpc-0a1b2c3d4e5f60718",
 *   "subnetIds": ["subnet-0aaa1111bbbb2222c", "subnet-0ddd3333eeee4444f"],
 *   "availabilityZones": ["eu-west-1a", "eu-west-1b"],
 *   "routeTableIds": ["rtb-0123456789abcdef0"],
 *   "sources": { "clr": { "securityGroupId": "sg-0fedcba9876543210", "port": 5432 } },
 *   "endpoints": "create"
 * }
 * ```
 */
export interface SourceNetwork {
  vpcId: string;
  /** Private subnets of the VPC that reach the databases: one Glue NETWORK connection each. */
  subnetIds: readonly string[];
  /** The availability zone of each subnet, in the same order (a Glue connection names both). */
  availabilityZones: readonly string[];
  /** The route tables of those subnets: the S3 gateway endpoint is added to them. */
  routeTableIds: readonly string[];
  /** Per source (its name in floe.config.yaml): the database's security group, admitting the job on `port`. */
  sources: Readonly<Record<string, { securityGroupId: string; port: number }>>;
  /**
   * `create` (default): the stack creates the S3 gateway endpoint and the interface endpoints the
   * job calls. `existing`: the VPC already has them (with private DNS), or routes to a NAT gateway;
   * the stack creates none and `floe aws verify` shows whether the job gets through.
   */
  endpoints: 'create' | 'existing';
}

export const NETWORK_CONTEXT = 'floe:network';

const ID = {
  vpc: /^vpc-[0-9a-f]{8,17}$/,
  subnet: /^subnet-[0-9a-f]{8,17}$/,
  routeTable: /^rtb-[0-9a-f]{8,17}$/,
  securityGroup: /^sg-[0-9a-f]{8,17}$/,
  availabilityZone: /^[a-z]{2}(-[a-z]+)+-\d[a-z]$/,
};

class NetworkContextError extends Error {
  override readonly name = 'NetworkContextError';
}

function fail(path: string, problem: string): never {
  throw new NetworkContextError(`context ${NETWORK_CONTEXT}.${path}: ${problem}`);
}

function idList(fields: Record<string, unknown>, key: string, pattern: RegExp, example: string): string[] {
  const value = fields[key];
  if (!Array.isArray(value) || value.length === 0) fail(key, `expected a non-empty array of ids like "${example}"`);
  return value.map((item, index) => {
    if (typeof item !== 'string' || !pattern.test(item)) fail(`${key}[${index}]`, `expected an id like "${example}"`);
    return item;
  });
}

/**
 * Reads and checks the context value (an object in cdk.json, or JSON on the command line); absent
 * is undefined (the job then runs in AWS's network, reaching only databases open to the internet).
 * A typo fails the synth, naming the key, instead of a job that times out connecting.
 */
export function parseSourceNetwork(value: unknown): SourceNetwork | undefined {
  if (value === undefined || value === null) return undefined;
  const parsed: unknown = typeof value === 'string' ? JSON.parse(value) : value;
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    throw new NetworkContextError(`context ${NETWORK_CONTEXT} must be an object {"vpcId", "subnetIds", "availabilityZones", "routeTableIds", "sources"?, "endpoints"?}`);
  }
  const fields = parsed as Record<string, unknown>;
  const known = new Set(['vpcId', 'subnetIds', 'availabilityZones', 'routeTableIds', 'sources', 'endpoints']);
  const unknown = Object.keys(fields).filter((key) => !known.has(key));
  if (unknown.length > 0) fail(unknown[0]!, `unknown key (known: ${[...known].join(', ')})`);
  const vpcId = fields['vpcId'];
  if (typeof vpcId !== 'string' || !ID.vpc.test(vpcId)) fail('vpcId', 'expected an id like "vpc-0a1b2c3d4e5f60718"');
  const subnetIds = idList(fields, 'subnetIds', ID.subnet, 'subnet-0aaa1111bbbb2222c');
  const availabilityZones = idList(fields, 'availabilityZones', ID.availabilityZone, 'eu-west-1a');
  if (availabilityZones.length !== subnetIds.length) {
    fail('availabilityZones', `expected one zone per subnet, in the same order (${subnetIds.length} subnets, ${availabilityZones.length} zones)`);
  }
  const repeated = availabilityZones.find((zone, index) => availabilityZones.indexOf(zone) !== index);
  // An interface endpoint takes one subnet per zone, and a second connection in a zone adds nothing.
  // https://docs.aws.amazon.com/vpc/latest/privatelink/create-interface-endpoint.html
  if (repeated !== undefined) fail('availabilityZones', `one subnet per zone: ${repeated} appears twice`);
  const routeTableIds = idList(fields, 'routeTableIds', ID.routeTable, 'rtb-0123456789abcdef0');
  const sources: Record<string, { securityGroupId: string; port: number }> = {};
  const rawSources = fields['sources'] ?? {};
  if (typeof rawSources !== 'object' || rawSources === null || Array.isArray(rawSources)) fail('sources', 'expected {"<source>": {"securityGroupId", "port"}}');
  for (const [source, entry] of Object.entries(rawSources)) {
    const { securityGroupId, port } = (entry ?? {}) as Record<string, unknown>;
    if (typeof securityGroupId !== 'string' || !ID.securityGroup.test(securityGroupId)) fail(`sources.${source}.securityGroupId`, 'expected an id like "sg-0fedcba9876543210"');
    if (typeof port !== 'number' || !Number.isInteger(port) || port < 1 || port > 65535) fail(`sources.${source}.port`, 'expected the database port, e.g. 5432 or 3306');
    sources[source] = { securityGroupId, port };
  }
  const endpoints = fields['endpoints'] ?? 'create';
  if (endpoints !== 'create' && endpoints !== 'existing') fail('endpoints', 'expected "create" or "existing"');
  return { vpcId, subnetIds, availabilityZones, routeTableIds, sources, endpoints };
}
