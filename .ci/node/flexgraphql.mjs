// Flex UI's own GraphQL operations against /flex/graphql: extracts the documents of the
// Unified Profiles operations from @twilio/flex-ui 2.17.1's bundle (unpacked by flex.mjs),
// validates each against the gateway's schema (read by introspection), runs each against the
// demo with realistic variables as Flex's Apollo client sends them (with __typename added to
// every selection set), and type-checks every answer and its variables with tsc --strict
// against the package's own generated types for that operation.
//
// Usage: node flexgraphql.mjs http://127.0.0.1:8080   (after flex.mjs)
import { execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import {
  buildClientSchema, getIntrospectionQuery, getNamedType, isEnumType, isInputObjectType, isListType,
  isNonNullType, isObjectType, Kind, parse, print, typeFromAST, validate, visit,
} from 'graphql';

const base = process.argv[2];
if (!base) {
  console.error('usage: node flexgraphql.mjs <gateway URL>');
  process.exit(2);
}
const pkg = join('flex-ui', 'package');
const OPERATIONS = ['ProfileHeaderConfiguration', 'ProfileAndHistoryConfiguration', 'TraitMappingsConfiguration',
  'IdentifierConfiguration', 'ChannelAddressMappingConfiguration', 'RecentActivityMappingsConfiguration',
  'ActivityCustomizationsConfig', 'FlexUnifyShowComponentConfig', 'FlexUnifyGetActivities', 'TimelineViewGetActivities',
  'TimelineViewActivityDetails'];

function fail(message) {
  console.error(message);
  process.exit(1);
}

function ok(message) {
  console.log(`ok  ${message}`);
}

// The documents: the bundle keeps each as the template literal gql was called with.
const bundle = readFileSync(join(pkg, 'bundle', 'twilio-flex.prod.js'), 'utf8');
const documents = {};
for (const m of bundle.matchAll(/\(\[("(?:[^"\\]|\\.)*")\]/g)) {
  let text;
  try {
    text = JSON.parse(m[1]);
  } catch {
    continue;
  }
  for (const name of OPERATIONS) {
    if (new RegExp(`query ${name}\\b`).test(text)) documents[name] ??= parse(text);
  }
}
for (const name of OPERATIONS) {
  if (!documents[name]) fail(`the bundle has no operation ${name}`);
}
ok(`${OPERATIONS.length} operations extracted from the bundle`);

const auth = 'Basic ' + Buffer.from('token:flex-token').toString('base64');
async function post(body) {
  const res = await fetch(`${base}/flex/graphql`, {
    method: 'POST', headers: { 'Content-Type': 'application/json', Authorization: auth }, body: JSON.stringify(body),
  });
  const text = await res.text();
  if (res.status !== 200) fail(`/flex/graphql: HTTP ${res.status} ${text}`);
  return JSON.parse(text);
}

const introspection = await post({ query: getIntrospectionQuery() });
if (introspection.errors) fail(`introspection: ${JSON.stringify(introspection.errors)}`);
const schema = buildClientSchema(introspection.data);
for (const name of OPERATIONS) {
  const errors = validate(schema, documents[name]);
  if (errors.length) fail(`${name} does not validate against /flex/graphql:\n${errors.map((e) => '  ' + e.message).join('\n')}`);
}
ok('every operation validates against /flex/graphql\'s schema');

// Apollo's addTypename: __typename in every selection set but the operation's own.
function withTypename(doc) {
  return visit(doc, {
    SelectionSet(node, _key, parent) {
      if (parent && parent.kind === Kind.OPERATION_DEFINITION) return undefined;
      if (node.selections.some((s) => s.kind === Kind.FIELD && s.name.value === '__typename')) return undefined;
      return { ...node, selections: [...node.selections, { kind: Kind.FIELD, name: { kind: Kind.NAME, value: '__typename' } }] };
    },
  });
}

const results = {};
async function run(name, variables) {
  const r = await post({ query: print(withTypename(documents[name])), operationName: name, variables });
  if (r.errors) fail(`${name} ${JSON.stringify(variables)}: errors ${JSON.stringify(r.errors)}`);
  results[name] = { variables, data: r.data };
  return r.data;
}

// Ada's profile, as Flex's automated search finds it.
const find = new URLSearchParams({ UniqueName: 'profilegate', Attributes: JSON.stringify({ key: 'from', value: '+14155550100' }) });
const found = await (await fetch(`${base}/flex/profile-connector/Profiles/Find`, {
  method: 'POST', body: find, headers: { 'Content-Type': 'application/x-www-form-urlencoded', Authorization: auth },
})).json();
const profileConnectSid = found.profiles[0].profile.sid;
const configs = (data) => data.profileAndHistoryConfigurations.configurations.map((c) => c.data);
const byType = (data, type) => configs(data).find((d) => d.__typename === type);

const header = await run('ProfileHeaderConfiguration', { input: { context: 'PROFILE_HEADER_CONFIGURATIONS', secondaryIdentifier: 'profilegate' } });
const customerHeader = byType(header, 'ProfilesAndHistoryConfigurationCustomerHeader');
if (!customerHeader || customerHeader.profileName.customerNameTraits.length === 0) fail(`header configuration: ${JSON.stringify(header)}`);
const groups = await run('ProfileAndHistoryConfiguration', { input: { context: 'PROFILE_DETAILS_TRAIT_GROUPS', secondaryIdentifier: 'profilegate' } });
const traitGroups = byType(groups, 'ProfilesAndHistoryConfigurationProfileTraitGroups');
if (!traitGroups || traitGroups.profileTraitGroups.length === 0) fail(`trait groups: ${JSON.stringify(groups)}`);
const mapping = await run('TraitMappingsConfiguration', { input: { configurationSid: customerHeader.profileName.customerNameTraits[0].referenceSid } });
if (mapping.profileAndHistoryConfiguration?.data?.from !== 'first_name') fail(`the first name trait's mapping: ${JSON.stringify(mapping)}`);
const visibility = await run('FlexUnifyShowComponentConfig', { input: { context: 'UNIFY_COMPONENT_VISIBILITY', secondaryIdentifier: 'profilegate' } });
if (byType(visibility, 'ProfilesAndHistoryConfigurationProfileHistoryEnabled')?.profileHistoryEnabled !== true) fail(`visibility: ${JSON.stringify(visibility)}`);
const search = byType(visibility, 'ProfilesAndHistoryConfigurationManualProfileSearchOptions');
const identifier = await run('IdentifierConfiguration', { input: { configurationSid: search.identifiers[0].referenceSid } });
if (!identifier.profileAndHistoryConfiguration?.data?.identifier) fail(`identifier configuration: ${JSON.stringify(identifier)}`);
const channels = await run('ChannelAddressMappingConfiguration', { input: { context: 'PROFILE_CONNECTOR_IDENTIFIER_CONFIGURATION', secondaryIdentifier: 'profilegate' } });
if (!configs(channels).some((d) => d.__typename === 'ProfilesAndHistoryConfigurationChannelAddressMapping' && d.address === 'PHONE')) fail(`channel address mappings: ${JSON.stringify(channels)}`);
const customizations = await run('ActivityCustomizationsConfig', { input: { context: 'PROFILE_HISTORY_ACTIVITY_SELECTIONS', secondaryIdentifier: 'profilegate' } });
const customization = byType(customizations, 'ProfilesAndHistoryConfigurationActivityCustomization');
if (!customization?.eventName) fail(`activity customizations: ${JSON.stringify(customizations)}`);
const recent = (await post({ query: '{ profileAndHistoryConfigurations(input: {context: PROFILE_HISTORY_ACTIVITY_SELECTIONS}) { configurations { sid data { __typename } } } }' }))
  .data.profileAndHistoryConfigurations.configurations.find((c) => c.data.__typename === 'ProfilesAndHistoryConfigurationActivityCustomization');
await run('RecentActivityMappingsConfiguration', { input: { configurationSid: recent.sid } });
const recentPage = await run('FlexUnifyGetActivities', { input: { profileConnectSid, pagination: { pageSize: 5 }, profileEventConfigType: 'RECENT' } });
if (recentPage.activities.activities.length !== 5 || !recentPage.activities.meta.nextPageToken) fail(`recent activities: ${JSON.stringify(recentPage)}`);
const timeline = await run('TimelineViewGetActivities', { input: { profileConnectSid, pagination: { pageSize: 5 } } });
const interaction = timeline.activities.activities.find((a) => a.attributes?.__typename === 'InteractionAttributes');
if (!interaction || interaction.attributes.channelType !== 'VOICE') fail(`timeline: ${JSON.stringify(timeline)}`);
const next = await run('TimelineViewGetActivities', { input: { profileConnectSid, pagination: { pageSize: 5, pageToken: timeline.activities.meta.nextPageToken } } });
const firstSids = new Set(timeline.activities.activities.map((a) => a.sid ?? a.timestamp + a.label));
if (next.activities.activities.length === 0 || next.activities.activities.some((a) => firstSids.has(a.sid ?? a.timestamp + a.label))) fail(`the timeline's next page: ${JSON.stringify(next)}`);
const details = await run('TimelineViewActivityDetails', { input: { activitySid: interaction.sid, profileConnectSid } });
if (details.activityDetails?.sid !== interaction.sid) fail(`activity details: ${JSON.stringify(details)}`);
ok('every operation runs against the demo without errors, with the demo\'s data in its answer');

// Type-check: each answer and its variables as typed literals. Enum values become the
// package's enum members (declared enums take no string literals), found by walking the
// answer with the schema and its __typenames.
const dts = readFileSync(join(pkg, 'src', 'core', 'FlexDataClient', 'generated', 'graphql.d.ts'), 'utf8');
const tsEnums = {};
for (const m of dts.matchAll(/export declare enum (\w+) \{([^}]*)\}/g)) {
  tsEnums[m[1].toLowerCase()] = { name: m[1], members: Object.fromEntries([...m[2].matchAll(/(\w+) = "([^"]*)"/g)].map((x) => [x[2], x[1]])) };
}
const used = new Set();
function enumRef(type, value) {
  const e = tsEnums[type.name.toLowerCase()];
  if (!e || !e.members[value]) fail(`no TypeScript enum member for ${type.name}.${value}`);
  used.add(e.name);
  return `${e.name}.${e.members[value]}`;
}
function literal(value, type, indent = '') {
  if (value === null || value === undefined) return 'null';
  if (isNonNullType(type)) return literal(value, type.ofType, indent);
  if (isListType(type)) return `[${value.map((v) => literal(v, type.ofType, indent)).join(', ')}]`;
  if (isEnumType(type)) return enumRef(type, value);
  const named = getNamedType(type);
  if (typeof value !== 'object') return JSON.stringify(value);
  if (named.name === 'JSON') return JSON.stringify(value);
  const concrete = isInputObjectType(named) ? named : schema.getType(value.__typename ?? named.name);
  if (!concrete || !(isObjectType(concrete) || isInputObjectType(concrete))) return JSON.stringify(value);
  const fields = concrete.getFields();
  const inner = indent + '  ';
  const entries = Object.entries(value).map(([k, v]) => `${inner}${JSON.stringify(k)}: ${k === '__typename' ? JSON.stringify(v) : literal(v, fields[k]?.type ?? named, inner)}`);
  return `{\n${entries.join(',\n')}\n${indent}}`;
}
let ts = '';
for (const name of OPERATIONS) {
  const doc = documents[name];
  const op = doc.definitions.find((d) => d.kind === Kind.OPERATION_DEFINITION);
  const varTypes = Object.fromEntries(op.variableDefinitions.map((v) => [v.variable.name.value, typeFromAST(schema, v.type)]));
  const vars = `{\n${Object.entries(results[name].variables).map(([k, v]) => `  ${JSON.stringify(k)}: ${literal(v, varTypes[k], '  ')}`).join(',\n')}\n}`;
  ts += `export const ${name}Variables: ${name}QueryVariables = ${vars};\n\n`;
  ts += `export const ${name}Data: ${name}Query = ${literal(results[name].data, schema.getQueryType())};\n\n`;
}
const imports = [...used, ...OPERATIONS.flatMap((n) => [`${n}Query`, `${n}QueryVariables`])];
ts = `// Generated by flexgraphql.mjs from the gateway's answers; type-checked against @twilio/flex-ui's generated types.\n` +
  `import { ${imports.join(', ')} } from '../${pkg}/src/core/FlexDataClient/generated/graphql';\n\n` + ts;
mkdirSync('generated', { recursive: true });
writeFileSync('generated/flex-operations.ts', ts);
writeFileSync('generated/tsconfig.flexgraphql.json', JSON.stringify({
  compilerOptions: { target: 'ES2022', module: 'ESNext', moduleResolution: 'Bundler', strict: true, noEmit: true, skipLibCheck: true, types: [] },
  files: ['flex-operations.ts'],
}, null, 2));
try {
  execFileSync('npx', ['tsc', '-p', 'generated/tsconfig.flexgraphql.json'], { stdio: 'inherit' });
} catch {
  fail('the answers do not type-check against the package\'s generated operation types (generated/flex-operations.ts)');
}
ok('every answer and its variables type-check (tsc --strict) against the package\'s generated types of its operation');
