// The agent panel: what an agent sees for an inbound address, from profilegate's public
// GraphQL API only. Every value from the API is put on the page as text (textContent), never
// as HTML; links are only the LINK details the gateway formatted as http(s) URLs.
'use strict';

const $ = (id) => document.getElementById(id);

const HEADER = `query PanelHeader($identifier: IdentifierInput!) {
  customerHeader(identifier: $identifier) {
    name badge otherMatches avatarUrl
    secondaryTrait { label formatted value }
    profile { id status }
  }
}`;

const SEARCH = `query PanelSearch($identifier: IdentifierInput!) {
  searchProfiles(identifier: $identifier, first: 20) {
    edges { node { id status sources traits { key value } } }
  }
}`;

const DETAILS = `query PanelDetails($id: ID!) {
  customerDetails(profileId: $id) {
    groups { name traits { key label type value formatted source updatedAt } }
  }
}`;

const HISTORY = `query PanelHistory($id: ID!, $first: Int, $after: String, $filter: HistoryFilter) {
  customerHistory(profileId: $id, first: $first, after: $after, filter: $filter) {
    edges { cursor node { id occurredAt kind source label channel direction durationSeconds properties { label value } } }
    pageInfo { hasNextPage endCursor }
    coverage { source from }
  }
}`;

const SETTINGS = `query PanelSettings {
  settings {
    identifiers { key displayName searchable }
    customerHeader { nameTraits secondaryTrait secondaryLabel avatarTrait }
    unidentifiedProfiles { badgeLabel }
  }
}`;

const state = {
  settings: null,
  profileId: null,
  after: null,
  loading: false,
  done: false,
  generation: 0, // bumped when the profile or the filter changes, so late pages are dropped
  // secondary is the header's secondary trait of a picked profile, shown raw until the details
  // bring its formatted value.
  secondary: null,
};

async function gql(query, variables) {
  const headers = { 'Content-Type': 'application/json', Accept: 'application/graphql-response+json, application/json' };
  const key = $('apikey').value.trim();
  if (key) headers.Authorization = 'Bearer ' + key;
  let res;
  try {
    res = await fetch('/query', { method: 'POST', headers, body: JSON.stringify({ query, variables }) });
  } catch (e) {
    return { errors: [{ message: 'the gateway cannot be reached: ' + e.message }] };
  }
  try {
    return await res.json();
  } catch (e) {
    return { errors: [{ message: `HTTP ${res.status}: the answer is not JSON` }] };
  }
}

function el(tag, attrs, ...children) {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (v === null || v === undefined) continue;
    if (k === 'class') e.className = v;
    else e.setAttribute(k, v);
  }
  for (const c of children) {
    if (c === null || c === undefined) continue;
    e.append(typeof c === 'string' ? document.createTextNode(c) : c);
  }
  return e;
}

function showErrors(errors) {
  const box = $('errors');
  box.replaceChildren();
  for (const e of errors || []) {
    const code = e.extensions && e.extensions.code ? ` (${e.extensions.code})` : '';
    box.append(el('div', { class: 'error' }, e.message + code));
  }
}

function when(iso) {
  const d = new Date(iso);
  return d.toLocaleString('en-US', { dateStyle: 'medium', timeStyle: 'short', timeZone: 'UTC' }) + ' UTC';
}

function nameOf(traits) {
  const h = state.settings ? state.settings.customerHeader : { nameTraits: ['first_name', 'last_name'] };
  const byKey = Object.fromEntries((traits || []).map((t) => [t.key, t.value]));
  const name = h.nameTraits.map((k) => byKey[k]).filter(Boolean).join(' ');
  return name || 'No name recorded';
}

// Header

function renderHeader(h) {
  $('card').hidden = false;
  $('name').textContent = h.name;
  const badge = $('badge');
  badge.hidden = !h.badge;
  badge.textContent = h.badge || '';
  const s = h.secondaryTrait;
  $('secondary').textContent = s && (s.formatted || s.value) ? `${s.label}: ${s.formatted || s.value}` : '';
  const initials = h.name.split(/\s+/).map((w) => (w.match(/\p{L}/u) || [''])[0]).join('').slice(0, 2).toUpperCase();
  $('initials').textContent = initials || '#';
  const img = $('avatar-img');
  img.hidden = true;
  img.removeAttribute('src');
  if (h.avatarUrl && /^https?:\/\//.test(h.avatarUrl)) {
    img.onload = () => { img.hidden = false; };
    img.onerror = () => { img.hidden = true; };
    img.src = h.avatarUrl;
  }
}

function renderPicker(address, people, currentId) {
  const picker = $('picker');
  const list = $('picker-list');
  list.replaceChildren();
  picker.hidden = people.length < 2;
  if (picker.hidden) return;
  $('picker-label').textContent = `${people.length} people share ${address}:`;
  for (const p of people) {
    const b = el('button', { type: 'button', class: p.id === currentId ? 'picked' : '', 'data-profile': p.id }, nameOf(p.traits));
    b.addEventListener('click', () => pick(p, people, address));
    list.append(el('li', {}, b));
  }
}

function pick(p, people, address) {
  const h = state.settings.customerHeader;
  const trait = (k) => (p.traits.find((t) => t.key === k) || {}).value;
  renderHeader({
    name: nameOf(p.traits),
    badge: p.status === 'UNIDENTIFIED' ? state.settings.unidentifiedProfiles.badgeLabel : null,
    avatarUrl: h.avatarTrait ? trait(h.avatarTrait) : null,
    secondaryTrait: h.secondaryTrait ? { label: h.secondaryLabel || h.secondaryTrait, value: trait(h.secondaryTrait) } : null,
  });
  state.secondary = h.secondaryTrait ? { key: h.secondaryTrait, label: h.secondaryLabel || h.secondaryTrait } : null;
  renderPicker(address, people, p.id);
  open(p.id);
}

// Lookups

async function inbound(key, value) {
  showErrors([]);
  $('results').hidden = true;
  const identifier = { key, value };
  const r = await gql(HEADER, { identifier });
  showErrors(r.errors);
  const h = r.data && r.data.customerHeader;
  if (!h) return;
  renderHeader(h);
  state.secondary = null;
  $('picker').hidden = true;
  open(h.profile.id);
  if (h.otherMatches > 0) {
    const s = await gql(SEARCH, { identifier });
    const people = s.data ? s.data.searchProfiles.edges.map((e) => e.node) : [];
    renderPicker(value, people, h.profile.id);
  }
}

async function search(key, value) {
  showErrors([]);
  const r = await gql(SEARCH, { identifier: { key, value } });
  showErrors(r.errors);
  const list = $('result-list');
  list.replaceChildren();
  const people = r.data ? r.data.searchProfiles.edges.map((e) => e.node) : [];
  $('results').hidden = false;
  if (people.length === 0) list.append(el('li', {}, 'Nobody found.'));
  for (const p of people) {
    const b = el('button', { type: 'button', 'data-profile': p.id }, `${nameOf(p.traits)} · ${p.sources.join(', ') || 'new contact'}`);
    b.addEventListener('click', () => { $('results').hidden = true; pick(p, [p], value); });
    list.append(el('li', {}, b));
  }
}

function open(profileId) {
  state.profileId = profileId;
  loadDetails();
  resetHistory();
}

// Details

async function loadDetails() {
  const id = state.profileId;
  const box = $('details');
  box.replaceChildren(el('p', { class: 'muted' }, 'Loading…'));
  const r = await gql(DETAILS, { id });
  if (id !== state.profileId) return;
  box.replaceChildren();
  if (r.errors) showErrors(r.errors);
  const d = r.data && r.data.customerDetails;
  if (!d) return;
  if (d.groups.length === 0) box.append(el('p', { class: 'muted' }, 'No details recorded for this contact.'));
  for (const g of d.groups) {
    const dl = el('dl');
    for (const t of g.traits) {
      let value = t.formatted === null || t.formatted === undefined ? '—' : t.formatted;
      if (t.type === 'LINK' && t.formatted) value = el('a', { href: t.formatted, target: '_blank', rel: 'noopener noreferrer' }, t.formatted);
      const provenance = t.source ? `from ${t.source}` + (t.updatedAt ? `, changed ${when(t.updatedAt)}` : '') : 'not recorded';
      dl.append(el('dt', {}, t.label), el('dd', { title: provenance, 'data-key': t.key, 'data-source': t.source || '' }, value));
    }
    box.append(el('section', { class: 'group' }, el('h3', {}, g.name), dl));
  }
  for (const g of d.groups) {
    const t = state.secondary && g.traits.find((x) => x.key === state.secondary.key);
    if (t && t.formatted) $('secondary').textContent = `${state.secondary.label}: ${t.formatted}`;
  }
}

// History

function filter() {
  const kinds = [...document.querySelectorAll('.kind:checked')].map((c) => c.value);
  const f = { kinds };
  const channel = $('channel').value;
  if (channel) f.channels = [channel];
  return f;
}

function resetHistory() {
  state.generation++;
  state.after = null;
  state.done = false;
  state.loading = false;
  $('timeline').replaceChildren();
  $('timeline-end').hidden = true;
  $('coverage').textContent = '';
  loadMore();
}

async function loadMore() {
  if (!state.profileId || state.loading || state.done) return;
  state.loading = true;
  const gen = state.generation;
  const r = await gql(HISTORY, { id: state.profileId, after: state.after, filter: filter() });
  if (gen !== state.generation) return;
  state.loading = false;
  if (r.errors) showErrors(r.errors);
  const c = r.data && r.data.customerHistory;
  if (!c) {
    state.done = true;
    return;
  }
  for (const e of c.edges) $('timeline').append(activity(e.node));
  state.after = c.pageInfo.endCursor;
  state.done = !c.pageInfo.hasNextPage;
  const end = $('timeline-end');
  end.hidden = !state.done;
  end.textContent = $('timeline').children.length ? 'Nothing older.' : 'No history for this contact.';
  const partial = c.coverage.filter((s) => s.from).map((s) => `${s.source} from ${when(s.from)}`);
  $('coverage').textContent = partial.length ? 'Complete: ' + partial.join('; ') : '';
  if (!state.done && visible($('sentinel'))) loadMore(); // the page did not fill the screen
}

function visible(e) {
  const r = e.getBoundingClientRect();
  return r.top < window.innerHeight && !$('history').hidden;
}

function activity(a) {
  const meta = [a.kind.replace('_', ' ').toLowerCase(), a.channel, a.direction, a.durationSeconds !== null && a.durationSeconds !== undefined ? duration(a.durationSeconds) : null, a.source]
    .filter(Boolean).join(' · ');
  const props = el('ul', { class: 'props' });
  for (const p of a.properties) props.append(el('li', {}, el('span', { class: 'muted' }, p.label + ': '), p.value || ''));
  return el('li', { class: 'activity kind-' + a.kind.toLowerCase(), 'data-id': a.id },
    el('time', { datetime: a.occurredAt }, when(a.occurredAt)),
    el('div', { class: 'label' }, a.label),
    el('div', { class: 'meta' }, meta),
    a.properties.length ? props : null);
}

function duration(s) {
  return s >= 60 ? `${Math.floor(s / 60)}m ${s % 60}s` : `${s}s`;
}

function tab(which) {
  const details = which === 'details';
  $('details').hidden = !details;
  $('history').hidden = details;
  $('tab-details').setAttribute('aria-selected', String(details));
  $('tab-history').setAttribute('aria-selected', String(!details));
  if (!details && visible($('sentinel'))) loadMore();
}

// Start

async function start() {
  const r = await gql(SETTINGS, {});
  showErrors(r.errors);
  state.settings = r.data ? r.data.settings : null;
  const select = $('key');
  const ids = state.settings ? state.settings.identifiers.filter((i) => i.searchable) : [{ key: 'phonenumber', displayName: 'phonenumber' }];
  for (const i of ids) select.append(el('option', { value: i.key }, i.displayName));

  $('lookup').addEventListener('submit', (e) => { e.preventDefault(); inbound($('key').value, $('value').value); });
  $('search').addEventListener('click', () => search($('key').value, $('value').value));
  $('tab-details').addEventListener('click', () => tab('details'));
  $('tab-history').addEventListener('click', () => tab('history'));
  for (const c of document.querySelectorAll('.kind, #channel')) c.addEventListener('change', resetHistory);
  new IntersectionObserver((entries) => { if (entries.some((e) => e.isIntersecting)) loadMore(); }).observe($('sentinel'));

  const q = new URLSearchParams(location.search);
  if (q.get('key') && q.get('value')) {
    select.value = q.get('key');
    $('value').value = q.get('value');
    inbound(q.get('key'), q.get('value'));
  }
}

start();
