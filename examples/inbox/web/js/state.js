// Reference data loaded once per page (and refreshed on demand), shared by the views.
import { api } from './api.js';

export const state = {
  me: null,
  workspaceId: '',
  users: new Map(),
  teams: [],
  categories: [],
  classifications: [],
  connections: [],
  rules: [],
};

export async function loadReference() {
  const [me, users, teams, cats, classes, conns] = await Promise.all([
    api('GET', '/me'), api('GET', '/users'), api('GET', '/teams'), api('GET', '/categories'),
    api('GET', '/classifications'), api('GET', '/connections'),
  ]);
  state.me = me.user;
  state.workspaceId = me.workspaceId;
  state.users = new Map(users.items.map((u) => [u.id, u]));
  state.teams = teams.items;
  state.categories = cats.items;
  state.classifications = classes.items;
  state.connections = conns.items;
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
