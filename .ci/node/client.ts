// A typed profilegate client as a Flex UI plugin would write it, against the generated types:
// it fails to compile when the schema or the operations drift from what the plugin expects.
import type {
  CustomerHeaderQuery,
  CustomerHeaderQueryVariables,
  SearchProfilesQuery,
  SearchProfilesQueryVariables,
  UpdateSettingsMutation,
  UpdateSettingsMutationVariables,
} from './generated/operations.js';
import { readFileSync } from 'node:fs';

type GraphQLResponse<T> = { data?: T | null; errors?: { message: string; extensions?: { code?: string } }[] };

const operation = (name: string): string => readFileSync(`../../examples/operations/${name}.graphql`, 'utf8');

async function request<T, V>(url: string, query: string, variables: V, token?: string): Promise<GraphQLResponse<T>> {
  const res = await fetch(url, {
    method: 'POST',
    headers: {
      'Content-Type': 'application/json',
      Accept: 'application/graphql-response+json',
      ...(token ? { Authorization: `Bearer ${token}` } : {}),
      'X-Flex-UI-Version': '2.8.0',
    },
    body: JSON.stringify({ query, variables }),
  });
  return (await res.json()) as GraphQLResponse<T>;
}

export async function headerLine(url: string, phone: string): Promise<string> {
  const vars: CustomerHeaderQueryVariables = { identifier: { key: 'phonenumber', value: phone } };
  const { data } = await request<CustomerHeaderQuery, CustomerHeaderQueryVariables>(url, operation('CustomerHeader'), vars);
  const header = data?.customerHeader;
  if (!header) return 'lookup failed';
  const since = header.secondaryTrait?.formatted ?? '';
  const badge: string | null | undefined = header.badge;
  const status: 'IDENTIFIED' | 'UNIDENTIFIED' = header.profile.status;
  return `${header.name}${badge ? ` (${badge})` : ''} ${since} ${status}`;
}

export async function firstMatches(url: string, email: string): Promise<string[]> {
  const vars: SearchProfilesQueryVariables = { identifier: { key: 'email', value: email }, first: 5 };
  const { data } = await request<SearchProfilesQuery, SearchProfilesQueryVariables>(url, operation('SearchProfiles'), vars);
  return (data?.searchProfiles.edges ?? []).map((e) => `${e.node.id}: ${e.node.traits.map((t) => t.value ?? '').join(' ')}`);
}

export async function renameBadge(url: string, version: number, label: string): Promise<string[]> {
  const vars: UpdateSettingsMutationVariables = {
    input: { expectedVersion: version, unidentifiedProfiles: { showToAgents: true, badgeLabel: label } },
  };
  const { data, errors } = await request<UpdateSettingsMutation, UpdateSettingsMutationVariables>(url, operation('UpdateSettings'), vars);
  const problems = data?.updateSettings?.userErrors.map((e) => `${e.field.join('.')}: ${e.message} (${e.code})`) ?? [];
  return [...problems, ...(errors ?? []).map((e) => e.extensions?.code ?? e.message)];
}
