// Choosing a place by name from the division tree: county › town › village › grid › micro-grid,
// one labelled select per level, each filled when the level above is chosen.
//
// `root` is where the tree starts (a mediator's jurisdiction, as a unit); without it the first
// select lists the counties in the graph. `toGrid` goes on below villages to their grids (and a
// county's out-of-county grids); `onChange` gets the deepest choice: {kind: 'unit', code, name,
// level} or {kind: 'grid', id, name}, or null when nothing below the root is chosen.

import { useState } from 'preact/hooks';
import { gql } from './api.js';
import { html, useLoad } from './ui.js';

const COUNTIES = `{ units(level: COUNTY, first: 100, orderBy: CODE) { items { code name level } } }`;
const CHILDREN = `query ($code: String!) { unit(code: $code) { children { code name level } } }`;
const GRIDS = `query ($code: String!) {
  inUnit: grids(within: $code, level: 1, first: 100, orderBy: NAME) { items { id name kind } }
}`;
const OUT_OF_COUNTY = `query ($code: String!) {
  outside: grids(within: $code, kind: OUT_OF_COUNTY, first: 100, orderBy: NAME) { items { id name kind } }
}`;
const MICRO = `query ($id: ID!) { grid(id: $id) { microGrids { id name kind } } }`;

const LEVEL_NAME = { COUNTY: '县（区）', TOWN: '镇（街道）', VILLAGE: '村（社区）' };

// The options below `parent` (null: the counties), as [{value, text, node}] groups.
async function optionsBelow(parent, toGrid) {
  if (!parent) {
    const data = await gql(COUNTIES);
    return { label: '县（区）', groups: [{ items: data.units.items.map(unitOption) }] };
  }
  if (parent.kind === 'grid') {
    const data = await gql(MICRO, { id: parent.id });
    const items = (data.grid?.microGrids || []).map(gridOption);
    return { label: '微网格', optional: true, groups: [{ items }] };
  }
  const data = await gql(CHILDREN, { code: parent.code });
  const units = data.unit.children.map(unitOption);
  const groups = [{ items: units }];
  let label = units.length ? LEVEL_NAME[units[0].node.level] || '下级' : '网格';
  if (toGrid && parent.level === 'VILLAGE') {
    const grids = await gql(GRIDS, { code: parent.code });
    groups[0] = { items: grids.inUnit.items.map(gridOption) };
    label = '网格';
  } else if (toGrid && parent.level === 'COUNTY') {
    const outside = await gql(OUT_OF_COUNTY, { code: parent.code });
    if (outside.outside.items.length) {
      groups.push({ label: '域外网格', items: outside.outside.items.map(gridOption) });
    }
  }
  return { label, groups };
}

function unitOption(u) {
  return { value: u.code, text: u.name, node: { kind: 'unit', code: u.code, name: u.name, level: u.level } };
}

function gridOption(g) {
  return { value: g.id, text: g.name, node: { kind: 'grid', id: g.id, name: g.name } };
}

function Level({ parent, toGrid, chosen, onPick, idPrefix, index, blank }) {
  const key = parent ? parent.code || parent.id : 'top';
  const state = useLoad(() => optionsBelow(parent, toGrid), [key, toGrid]);
  const id = `${idPrefix}-${index}`;
  if (state.error) return html`<p class="problem" role="alert">${state.error.message}</p>`;
  if (!state.data) return html`<span class="loading" role="status">读取中…</span>`;
  const { label, groups, optional } = state.data;
  const all = groups.flatMap((g) => g.items);
  if (!all.length) return null;
  const pick = (event) => onPick(all.find((o) => o.value === event.target.value)?.node || null);
  const options = (items) => items.map((o) => html`<option value=${o.value}>${o.text}</option>`);
  return html`<span class="field">
    <label for=${id}>${label}</label>
    <select id=${id} value=${chosen ? chosen.code || chosen.id : ''} onChange=${pick}>
      <option value="">${optional ? '（不选）' : blank}</option>
      ${groups.map((g) =>
        g.label ? html`<optgroup label=${g.label}>${options(g.items)}</optgroup>` : options(g.items),
      )}
    </select>
  </span>`;
}

// `blank` names the empty choice: 全部 for a filter, 请选择 for a form.
export function PlacePicker({ root, toGrid = false, onChange, idPrefix = 'place', legend = '地点', blank = '全部' }) {
  const [chain, setChain] = useState([]);
  const pick = (index, node) => {
    const next = [...chain.slice(0, index), ...(node ? [node] : [])];
    setChain(next);
    onChange(next.length ? next[next.length - 1] : null);
  };
  const parents = [root || null, ...chain];
  const levels = [];
  for (let i = 0; i < parents.length; i += 1) {
    const parent = parents[i];
    if (parent && parent.kind === 'grid' && i > 0 && parents[i - 1]?.kind === 'grid') break;
    if (parent && parent.kind === 'unit' && parent.level === 'VILLAGE' && !toGrid) break;
    levels.push(html`<${Level}
      key=${parent ? parent.code || parent.id : 'top'}
      parent=${parent}
      toGrid=${toGrid}
      chosen=${chain[i]}
      index=${i}
      idPrefix=${idPrefix}
      blank=${blank}
      onPick=${(node) => pick(i, node)}
    />`);
  }
  return html`<fieldset class="place-picker">
    <legend>${legend}${root ? html`<span class="root">：${root.name}</span>` : ''}</legend>
    ${levels}
  </fieldset>`;
}
