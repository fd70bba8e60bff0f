// Reference data loaded once per page (and refreshed on demand), shared by the views.
import { api, bootstrap } from './api.js';

export const state = {
  me: null,
  workspaceId: '',
  users: new Map(),
  teams: [],
  categories: [],
  classifications: [],
  connections: [],
  rules: [],
  // firstPage is the landing view's first list page from the bootstrap (used once).
  firstPage: null,
};

// loadReference loads the reference data the views need in one request (GET /app/bootstrap: the
// agent API's /me, /users, /teams, /categories, /classifications, /connections and /rules, plus
// the first page of the landing view), so the list paints after one round trip.
export async function loadReference() {
  const b = await bootstrap();
  state.me = b.me.user;
  state.workspaceId = b.me.workspaceId;
  state.users = new Map(b.users.items.map((u) => [u.id, u]));
  state.teams = b.teams.items;
  state.categories = b.categories.items;
  state.classifications = b.classifications.items;
  state.connections = b.connections.items;
  state.rules = b.rules.items;
  state.firstPage = b.list || null;
}

// hasClaimRules tells whether some rule makes agents claim conversations ("Chờ nhận chat").
export function hasClaimRules() {
  return state.rules.some((r) => r.method === 'claim');
}

export async function reloadConnections() {
  state.connections = (await api('GET', '/connections')).items;
  return state.connections;
}

export async function reloadRules() {
  state.rules = (await api('GET', '/rules')).items;
  return state.rules;
}

export function userName(id) {
  const u = state.users.get(id);
  return u ? u.name : id || '';
}

export function teamName(id) {
  const t = state.teams.find((x) => x.id === id);
  return t ? t.name : id || '';
}

export function isSupervisor() {
  return state.me && state.me.role === 'supervisor';
}

export function categoryName(id) {
  const c = state.categories.find((x) => x.id === id);
  return c ? c.name : '';
}

export function connectionName(id) {
  const c = state.connections.find((x) => x.id === id);
  return c ? c.displayName : '';
}

export function classificationName(id) {
  const c = state.classifications.find((x) => x.id === id);
  return c ? c.name : '';
}
