// Flex UI compatibility: fetches the published @twilio/flex-ui package from npm (nothing of it
// is committed), calls a running demo gateway's Profile Connector the way the package's bundle
// does (a URLSearchParams body with one Attributes field per attribute, HTTP Basic with the
// user "token", query strings), checks the demo's answers, and type-checks every answer with
// tsc --strict against the package's own ProfileConnector types.
//
// Usage: node flex.mjs http://127.0.0.1:8080
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

const FLEX_UI = '@twilio/flex-ui@2.17.1';
const base = process.argv[2];
if (!base) {
  console.error('usage: node flex.mjs <gateway URL>');
  process.exit(2);
}

// The package, unpacked under flex-ui/ (ignored by git).
const dir = 'flex-ui';
if (!existsSync(join(dir, 'package', 'package.json'))) {
  mkdirSync(dir, { recursive: true });
  const tgz = execFileSync('npm', ['pack', FLEX_UI, '--pack-destination', dir, '--silent'], { encoding: 'utf8' }).trim().split('\n').pop();
  execFileSync('tar', ['xzf', join(dir, tgz), '-C', dir]);
}
const version = JSON.parse(readFileSync(join(dir, 'package', 'package.json'), 'utf8')).version;
console.log(`@twilio/flex-ui ${version} unpacked in .ci/node/${dir}`);

// The bundle's own calls, so a change in how Flex asks shows up here.
const bundle = readFileSync(join(dir, 'package', 'bundle', 'twilio-flex.prod.js'), 'utf8');
for (const call of ['/Profiles/Find', '"Content-Type":"application/x-www-form-urlencoded"', 'username:"token"',
  'r.append("Attributes",JSON.stringify(e))', '/Identifiers?UniqueName=', '/Traits?UniqueName=']) {
  if (!bundle.includes(call)) {
    console.error(`the bundle no longer contains ${call}: Flex calls the Profile Connector differently`);
    process.exit(1);
  }
}

const connector = `${base}/flex/profile-connector`;
const auth = 'Basic ' + Buffer.from('token:flex-token').toString('base64');

// findProfileByIdentifiers, as the bundle builds it.
async function find(attributes, writeIfNotFound) {
  const body = new URLSearchParams();
  body.append('UniqueName', 'profilegate');
  attributes.forEach((a) => body.append('Attributes', JSON.stringify(a)));
  if (writeIfNotFound !== undefined) body.append('WriteIfNotFound', writeIfNotFound ? 'true' : 'false');
  const res = await fetch(`${connector}/Profiles/Find`, {
    method: 'POST', body, headers: { 'Content-Type': 'application/x-www-form-urlencoded', Authorization: auth },
  });
  return answer(res, 'Profiles/Find');
}

async function get(path) {
  const res = await fetch(`${connector}/${path}`, { headers: { Authorization: auth } });
  return answer(res, path);
}

async function answer(res, what) {
  const text = await res.text();
  if (res.status !== 200) {
    console.error(`${what}: HTTP ${res.status} ${text}`);
    process.exit(1);
  }
  return JSON.parse(text);
}

function check(ok, what, value) {
  if (!ok) {
    console.error(`${what}: ${JSON.stringify(value)}`);
    process.exit(1);
  }
  console.log(`ok  ${what}`);
}

const unknownNumber = `+1646555${String(Date.now() % 10000).padStart(4, '0')}`;
const answers = {
  ada: await find([{ key: 'from', value: '+14155550100' }]),
  family: await find([{ key: 'from', value: '+14155550199' }]),
  unknownFirst: await find([{ key: 'from', value: unknownNumber }], true),
  unknownAgain: await find([{ key: 'from', value: unknownNumber }], false),
};
check(answers.ada.profiles.length === 1 && answers.ada.profiles[0].profile.given_name === 'Ada' && answers.ada.profiles[0].status === 'identified',
  'Ada is found by the task\'s from', answers.ada);
check(answers.family.profiles.length === 2 && answers.family.profiles[0].match_percentage >= answers.family.profiles[1].match_percentage,
  'the family phone gives two ranked profiles', answers.family);
check(answers.unknownFirst.profiles.length === 1 && answers.unknownFirst.profiles[0].status === 'unknown',
  'an unknown number with WriteIfNotFound is an unknown profile', answers.unknownFirst);
check(answers.unknownAgain.profiles[0]?.profile.sid === answers.unknownFirst.profiles[0].profile.sid,
  'and the same profile next time', answers.unknownAgain);
const profile = await get(`Profiles/${encodeURIComponent(answers.ada.profiles[0].profile.sid)}?UniqueName=${encodeURIComponent('profilegate')}`);
const identifiers = await get(`Identifiers?UniqueName=${encodeURIComponent('profilegate')}`);
const traits = await get(`Traits?UniqueName=${encodeURIComponent('profilegate')}`);
check(profile.sid === answers.ada.profiles[0].profile.sid, 'Profiles/{sid} gives the profile Find gave', profile);

// Each answer as a typed literal: excess properties, missing ones and wrong types all fail.
// The status strings become the package's enum members, as a client's code would compare them.
const literal = (v) => JSON.stringify(v, null, 2)
  .replace(/"status": "identified"/g, '"status": ProfileStatus.Identified')
  .replace(/"status": "unknown"/g, '"status": ProfileStatus.Unknown');
const types = `../${dir}/package/src/flex-ui-core/src/FlexSDK/API/ProfileConnector/types`;
let ts = `// Generated by flex.mjs from the gateway's answers; type-checked against ${FLEX_UI}.\n`;
ts += `import { ProfileStatus } from '${types}';\n`;
ts += `import type { ProfilesResponse, Profile, IdentifiersResponse, TraitsResponse } from '${types}';\n\n`;
for (const [name, v] of Object.entries(answers)) ts += `export const ${name}: ProfilesResponse = ${literal(v)};\n\n`;
ts += `export const profile: Profile = ${literal(profile)};\n\n`;
ts += `export const identifiers: IdentifiersResponse = ${literal(identifiers)};\n\n`;
ts += `export const traits: TraitsResponse = ${literal(traits)};\n`;
mkdirSync('generated', { recursive: true });
writeFileSync('generated/flex-answers.ts', ts);
writeFileSync('generated/tsconfig.flex.json', JSON.stringify({
  compilerOptions: { target: 'ES2022', module: 'ESNext', moduleResolution: 'Bundler', strict: true, noEmit: true, skipLibCheck: true, types: [] },
  files: ['flex-answers.ts'],
}, null, 2));
try {
  execFileSync('npx', ['tsc', '-p', 'generated/tsconfig.flex.json'], { stdio: 'inherit' });
} catch {
  console.error('the Profile Connector answers do not type-check against the package\'s types (generated/flex-answers.ts)');
  process.exit(1);
}
console.log(`ok  every Profile Connector answer type-checks (tsc --strict) against ${FLEX_UI}'s ProfileConnector/types.d.ts`);
