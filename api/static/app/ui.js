// Small pieces every screen uses: html, badges, a graph path, tabs, loading and errors.

import { h } from 'preact';
import { useEffect, useRef, useState } from 'preact/hooks';
import htm from 'htm';
import { CLOCK_NAME, FLOW_STATUS, span, when } from './clock.js';
import { CLOCK, LABEL, REL, WARNING, detail, name } from './zh.js';

export const html = htm.bind(h);

// Run `load` when `deps` change; {data, error, loading} for the view, stale answers dropped.
export function useLoad(load, deps) {
  const [state, setState] = useState({ data: null, error: null, loading: true });
  useEffect(() => {
    let current = true;
    setState((s) => ({ data: s.data, error: null, loading: true }));
    load().then(
      (data) => current && setState({ data, error: null, loading: false }),
      (error) => current && setState({ data: null, error, loading: false }),
    );
    return () => {
      current = false;
    };
  }, deps);
  return state;
}

export function Loading({ what }) {
  return html`<p class="loading" role="status">正在读取${what || ''}…</p>`;
}

export function Problem({ error }) {
  return html`<p class="problem" role="alert">${error.message}</p>`;
}

// A section's body: loading, its error, or `children(data)`.
export function Loaded({ state, what, children }) {
  if (state.error) return html`<${Problem} error=${state.error} />`;
  if (state.loading && !state.data) return html`<${Loading} what=${what} />`;
  return children(state.data);
}

// The clock's three states, as text and shape, never colour alone.
export function ClockBadge({ clock }) {
  if (!clock) return html`<span class="clock none">无时限</span>`;
  const left = clock.state === 'breached' ? `超 ${clock.over} 天` : `剩 ${clock.left} 天`;
  return html`<span class="clock-cell">
    <span class=${'clock ' + clock.state}>${CLOCK_NAME[clock.state]}</span>
    <span class="clock-left">${left}</span>
    <span class="clock-due">至 ${clock.due}</span>
  </span>`;
}

// A workflow clock (the API's Clock): the same three states in working time, and 暂停 while
// the dispute is parked; `named` adds which step's clock it is.
export function FlowClock({ clock, named }) {
  if (!clock) return html`<span class="clock none">无时限</span>`;
  const over = clock.status === 'breached';
  const left = over ? `超 ${span(clock.overdueMinutes, clock.unit)}` : `剩 ${span(clock.remainingMinutes, clock.unit)}`;
  return html`<span class="clock-cell">
    <span class=${'clock ' + clock.status}>${FLOW_STATUS[clock.status] || clock.status}</span>
    <span class="clock-left">${named ? name(CLOCK, clock.name) + ' ' : ''}${left}</span>
    <span class="clock-due">${clock.due ? '至 ' + when(clock.due) : '已暂停计时'}</span>
  </span>`;
}

// The risk colour (三色预警), apart from the clock: a flag with its character.
export function RiskFlag({ warning }) {
  if (!warning) return html`<span class="risk none">无</span>`;
  return html`<span class=${'risk ' + warning.toLowerCase()} title=${name(WARNING, warning) + '色预警'}
    >${name(WARNING, warning)}</span
  >`;
}

function nodeText(node) {
  const kind = LABEL[node.label] || node.label;
  return node.label === 'Dispute' ? `${kind} ${node.key}` : node.name || node.key;
}

// A path of the graph, read in Chinese: 顾某 —工作于→ 嘉善县中医医院 —当事人（被申请人）→ 纠纷 ….
export function PathChain({ path }) {
  if (!path || !path.nodes?.length) return null;
  const parts = [];
  path.nodes.forEach((node, i) => {
    parts.push(html`<span class="path-node" title=${(LABEL[node.label] || node.label) + ' ' + node.key}
      >${nodeText(node)}</span
    >`);
    const rel = path.rels[i];
    if (rel) {
      const words = name(REL, rel.type) + (rel.detail ? `（${detail(rel.detail)}）` : '');
      parts.push(html`<span class="path-rel">${rel.forward ? `—${words}→` : `←${words}—`}</span>`);
    }
  });
  return html`<span class="path">${parts}</span>`;
}

// Tabs as WAI-ARIA describes them: arrow keys move between tabs, Tab enters the panel.
export function Tabs({ label, tabs, selected, onSelect, idPrefix }) {
  const refs = useRef({});
  const keys = tabs.map((t) => t.key);
  const move = (event) => {
    const i = keys.indexOf(selected);
    let next = null;
    if (event.key === 'ArrowRight') next = keys[(i + 1) % keys.length];
    if (event.key === 'ArrowLeft') next = keys[(i - 1 + keys.length) % keys.length];
    if (event.key === 'Home') next = keys[0];
    if (event.key === 'End') next = keys[keys.length - 1];
    if (next) {
      event.preventDefault();
      onSelect(next);
      refs.current[next]?.focus();
    }
  };
  return html`<div class="tabs" role="tablist" aria-label=${label} onKeyDown=${move}>
    ${tabs.map(
      (t) => html`<button
        type="button"
        role="tab"
        id=${`${idPrefix}-tab-${t.key}`}
        aria-controls=${`${idPrefix}-panel`}
        aria-selected=${t.key === selected ? 'true' : 'false'}
        tabindex=${t.key === selected ? 0 : -1}
        ref=${(el) => (refs.current[t.key] = el)}
        onClick=${() => onSelect(t.key)}
      >
        ${t.label}${t.count !== undefined && t.count !== null ? html` <span class="count">${t.count}</span>` : ''}
      </button>`,
    )}
  </div>`;
}

export function TabPanel({ idPrefix, selected, children }) {
  return html`<div
    class="tab-panel"
    role="tabpanel"
    id=${`${idPrefix}-panel`}
    aria-labelledby=${`${idPrefix}-tab-${selected}`}
    tabindex="0"
  >
    ${children}
  </div>`;
}

export function link(path) {
  return '#' + path;
}
