// 工作台: the work queue, as the workflow computes it (`workQueue`): tabs mine, my unit's,
// claimable, approaching, overdue and all, each with its count; rows least working time left
// first, each with its governing clock's badge (正常/临期/超期, 暂停) apart from its risk colour,
// the holder, the place and the category. The server searches, filters, counts and pages: one
// request gives the tab's first 50 rows and every tab's count under the same search and
// filters; 显示更多 asks the next 50 after the last row. Every 30 s `queueChanges` says whether
// anything moved since the queue was read; if so the tab is read again.

import { useEffect, useState } from 'preact/hooks';
import { gql } from './api.js';
import { PlacePicker } from './place.js';
import { FlowClock, Problem, RiskFlag, Tabs, TabPanel, html, link, useLoad } from './ui.js';
import { LABEL, STATE, WARNING, name } from './zh.js';

export const POLL_MS = 30000;
const PAGE = 50; // rows a request reads
const TYPING_MS = 300; // the search is sent once the typing pauses

const VIEWS = ['MINE', 'UNIT', 'CLAIMABLE', 'APPROACHING', 'OVERDUE', 'ALL'];

const PARTY = `participants { side party { __typename
  ... on Person { id name idNumber mobile } ... on Organisation { id name } } }`;
export const ROW = `fragment Row on QueueRow {
  state version warning bounces holder { label key name }
  clock { name status due unit limit remainingMinutes overdueMinutes who { label key name } }
  dispute { id title reportedOn domain { code name }
    grid { id name unit { code name parent { code name } } } ${PARTY} }
}`;
const QUEUE = `query Queue($view: QueueView!, $within: String, $first: Int!, $after: String,
    $search: String, $states: [WorkflowState!], $warnings: [Warning!], $domain: String) {
  workQueue(view: $view, within: $within, first: $first, after: $after, search: $search,
      states: $states, warnings: $warnings, domain: $domain) {
    totalCount cursor counts { mine unit claimable approaching overdue all }
    pageInfo { endCursor hasNextPage } items { ...Row }
  }
} ${ROW}`;
const CHANGES = `query Changes($since: String!, $within: String) {
  queueChanges(since: $since, within: $within) { cursor removed rows { dispute { id } } }
}`;
const DOMAINS = `{ domains(first: 100) { items { code name } } }`;

function tabsFor(me, counts) {
  const unit = me.actsFor ? '本单位' : '本单位（令牌未关联单位）';
  return [
    { key: 'MINE', label: '我的', count: counts?.mine },
    { key: 'UNIT', label: unit, count: counts?.unit },
    { key: 'CLAIMABLE', label: '可抢单', count: counts?.claimable },
    { key: 'APPROACHING', label: '临期', count: counts?.approaching },
    { key: 'OVERDUE', label: '超期', count: counts?.overdue },
    { key: 'ALL', label: '全部在办', count: counts?.all },
  ];
}

// The query's variables for a tab, a place and the filters (an empty filter: none).
function asked(view, within, f) {
  return {
    view, within, first: PAGE,
    search: f.search.trim() || null,
    states: f.state ? [f.state.toUpperCase()] : null,
    warnings: f.warning ? [f.warning] : null,
    domain: f.domain || null,
  };
}

// The tab's first page and every tab's count, read again when the tab, the place, the filters
// or `reloads` change; then `queueChanges` polled every 30 s, reading again on a change.
// `more()` appends the next page.
function useWorkQueue(view, within, filters) {
  const [state, setState] = useState({ rows: null, total: null, counts: null, next: null, error: null });
  const [reloads, setReloads] = useState(0);
  const key = JSON.stringify(asked(view, within, filters));
  useEffect(() => {
    let current = true;
    let cursor = null;
    setState((s) => ({ ...s, rows: null, error: null }));
    gql(QUEUE, JSON.parse(key)).then(
      ({ workQueue: q }) => {
        if (!current) return;
        cursor = q.cursor;
        setState({ rows: q.items, total: q.totalCount, counts: q.counts, next: q.pageInfo.hasNextPage ? q.pageInfo.endCursor : null, error: null });
      },
      (error) => current && setState((s) => ({ ...s, rows: s.rows || [], error })),
    );
    const poll = async () => {
      if (!cursor) return;
      try {
        const { queueChanges: c } = await gql(CHANGES, { since: cursor, within });
        if (!current) return;
        if (c.rows.length || c.removed.length) setReloads((n) => n + 1);
        cursor = c.cursor;
      } catch (error) {
        if (current) setState((s) => ({ ...s, error }));
      }
    };
    const timer = setInterval(poll, POLL_MS);
    return () => {
      current = false;
      clearInterval(timer);
    };
  }, [key, reloads]);
  const more = async () => {
    try {
      const { workQueue: q } = await gql(QUEUE, { ...JSON.parse(key), after: state.next });
      setState((s) => ({ ...s, rows: [...s.rows, ...q.items], next: q.pageInfo.hasNextPage ? q.pageInfo.endCursor : null }));
    } catch (error) {
      setState((s) => ({ ...s, error }));
    }
  };
  return [state, () => setReloads((n) => n + 1), more];
}

// The search text as typed, and as sent once the typing pauses.
function useTyped(delay) {
  const [typed, setTyped] = useState('');
  const [settled, setSettled] = useState('');
  useEffect(() => {
    const timer = setTimeout(() => setSettled(typed), delay);
    return () => clearTimeout(timer);
  }, [typed]);
  return [typed, settled, setTyped];
}

export function Queue({ me }) {
  const [tab, setTab] = useState(me.actsFor ? 'UNIT' : 'ALL');
  const [place, setPlace] = useState(null);
  const [filters, setFilters] = useState({ state: '', warning: '', domain: '' });
  const [typed, search, setTyped] = useTyped(TYPING_MS);
  const within = place ? place.code : null; // null: the caller's own scope
  const [queue, reload, more] = useWorkQueue(tab, within, { ...filters, search });
  const domains = useLoad(() => gql(DOMAINS), []);
  const rows = queue.rows || [];
  const set = (key) => (event) => setFilters({ ...filters, [key]: event.target.value });

  return html`<section aria-labelledby="queue-title">
    <div class="page-head">
      <h1 id="queue-title" tabindex="-1">工作台</h1>
      <p class="status" role="status">${progress(queue)}</p>
      <button type="button" onClick=${reload}>刷新</button>
    </div>
    <form class="filters" role="search" aria-label="筛选与搜索" onSubmit=${(e) => e.preventDefault()}>
      <span class="field grow">
        <label for="queue-search">搜索</label>
        <input id="queue-search" type="search" value=${typed} onInput=${(e) => setTyped(e.target.value)}
          placeholder="当事人姓名、身份证号、手机号、编号或地名" autocomplete="off" />
      </span>
      <span class="field">
        <label for="queue-state">状态</label>
        <select id="queue-state" value=${filters.state} onChange=${set('state')}>
          <option value="">全部</option>
          ${Object.entries(STATE).filter(([k]) => k !== 'new' && k !== 'closed').map(([k, v]) => html`<option value=${k}>${v}</option>`)}
        </select>
      </span>
      <span class="field">
        <label for="queue-warning">风险</label>
        <select id="queue-warning" value=${filters.warning} onChange=${set('warning')}>
          <option value="">全部</option>
          ${Object.entries(WARNING).map(([k, v]) => html`<option value=${k}>${v}色</option>`)}
        </select>
      </span>
      <span class="field">
        <label for="queue-domain">类别</label>
        <select id="queue-domain" value=${filters.domain} onChange=${set('domain')}>
          <option value="">全部</option>
          ${(domains.data?.domains.items || []).map((d) => html`<option value=${d.code}>${d.name}</option>`)}
        </select>
      </span>
      <${PlacePicker} root=${me.place ? { kind: 'unit', ...me.place } : null} idPrefix="queue-place"
        legend="地区" onChange=${setPlace} />
    </form>
    <${Tabs} label="队列" idPrefix="queue" tabs=${tabsFor(me, queue.counts)} selected=${tab}
      onSelect=${setTab} />
    <${TabPanel} idPrefix="queue" selected=${tab}>
      ${queue.error ? html`<${Problem} error=${queue.error} />` : ''}
      <${Rows} rows=${rows} />
      ${queue.next
        ? html`<button type="button" class="more" onClick=${more}>显示更多（还有 ${queue.total - rows.length} 条）</button>`
        : ''}
      ${queue.rows && !rows.length ? html`<p class="empty">没有符合条件的在办事项。</p>` : ''}
    </${TabPanel}>
    <p class="note">时限按流程每个环节的时钟以工作时间计（节假日、调休和挂账不计），取剩余时间最少的一个；
      风险颜色（红/橙/黄）是三色预警，与时限状态无关。每 30 秒检查一次变化。</p>
  </section>`;
}

function progress(queue) {
  if (queue.error && !queue.rows?.length) return '读取中断';
  if (queue.rows === null) return '正在读取在办事项…';
  return `在办 ${queue.total} 件`;
}

function Rows({ rows }) {
  if (!rows.length) return null;
  return html`<table class="queue">
    <caption class="visually-hidden">在办事项，剩余时间最少的在前</caption>
    <thead>
      <tr>
        <th scope="col">事项</th>
        <th scope="col">时限</th>
        <th scope="col">风险</th>
        <th scope="col">状态</th>
        <th scope="col">当前办理</th>
        <th scope="col">地点</th>
        <th scope="col">类别</th>
      </tr>
    </thead>
    <tbody>
      ${rows.map(({ dispute: d, ...r }) => html`<tr key=${d.id}>
          <td data-label="事项"><div>
            <a href=${link('/dispute/' + d.id)} class="case">${d.title}</a>
            <span class="sub">${d.id} · ${d.reportedOn} 登记</span>
            <span class="sub parties">${d.participants.map((p) => p.party.name).join('、')}</span>
          </div></td>
          <td data-label="时限"><div><${FlowClock} clock=${r.clock} named=${true} /></div></td>
          <td data-label="风险"><div><${RiskFlag} warning=${r.warning} /></div></td>
          <td data-label="状态"><div>${name(STATE, r.state)}${r.bounces ? html`<span class="sub">退单 ${r.bounces} 次</span>` : ''}</div></td>
          <td data-label="当前办理"><div>
            ${r.holder ? html`${r.holder.name}<span class="sub">${name(LABEL, r.holder.label)}</span>` : '—'}
          </div></td>
          <td data-label="地点"><div>${d.grid?.name || '—'}<span class="sub">${[d.grid?.unit?.parent?.name, d.grid?.unit?.name].filter(Boolean).join(' · ')}</span></div></td>
          <td data-label="类别"><div>${d.domain?.name || '—'}</div></td>
        </tr>`,
      )}
    </tbody>
  </table>`;
}
