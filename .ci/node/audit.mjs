// Runs graphql-http's GraphQL-over-HTTP audit against a running profilegate and fails on any
// MUST or SHOULD that is not met. Usage: node audit.mjs http://127.0.0.1:8080/query
import { auditServer } from 'graphql-http';

const url = process.argv[2];
if (!url) {
  console.error('usage: node audit.mjs <graphql endpoint URL>');
  process.exit(2);
}
const results = await auditServer({ url });
let failed = 0;
for (const r of results) {
  const level = r.name.split(' ')[0];
  if (r.status === 'ok') {
    console.log(`ok    ${r.name}`);
    continue;
  }
  const blocking = level === 'MUST' || level === 'SHOULD';
  if (blocking) failed++;
  console.log(`${blocking ? 'FAIL' : 'note'}  ${r.name}\n      ${r.reason}`);
  if (blocking) {
    console.log(`      response: ${r.response.status} ${r.response.headers.get('content-type')} ${await r.response.text()}`);
  }
}
console.log(`${results.length} audits, ${failed} MUST/SHOULD not met`);
process.exit(failed ? 1 : 0);
