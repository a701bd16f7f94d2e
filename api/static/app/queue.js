// 工作台: the work queue, as the workflow computes it (`workQueue`): tabs mine, my unit's,
// claimable, approaching, overdue and all, each with its count; rows least working time left
// first, each with its governing clock's badge (正常/临期/超期, 暂停) apart from its risk colour,
// the holder, the place and the category. The first 50 rows are asked first and drawn, then up
// to 500 for the search and the filters, then the tabs' counts. Every 30 s `queueChanges` says
// whether anything moved since the queue was read; if so the tab is read again.

import { useEffect, useState } from 'preact/hooks';
import { gql } from './api.js';
import { matches } from './clock.js';
import { PlacePicker } from './place.js';
import { FlowClock, Problem, RiskFlag, Tabs, TabPanel, html, link } from './ui.js';
import { LABEL, STATE, WARNING, name } from './zh.js';

export const POLL_MS = 30000;
const FIRST = 500; // rows a tab reads (the API's most); the search and filters run over them
const SHOWN = 50; // rows drawn at first; 显示更多 draws the next ones

const VIEWS = ['MINE', 'UNIT', 'CLAIMABLE', 'APPROACHING', 'OVERDUE', 'ALL'];

const PARTY = `participants { side party { __typename
  ... on Person { id name idNumber mobile } ... on Organisation { id name } } }`;
export const ROW = `fragment Row on QueueRow {
  state version warning bounces holder { label key name }
  clock { name status due unit limit remainingMinutes overdueMinutes who { label key name } }
  dispute { id title reportedOn domain { code name }
    grid { id name unit { code name parent { code name } } } ${PARTY} }
}`;
const QUEUE = `query Queue($view: QueueView!, $within: String, $first: Int!) {
  workQueue(view: $view, within: $within, first: $first) { totalCount cursor items { ...Row } }
} ${ROW}`;
// The tabs' counts, asked after the rows are shown: each view replays the scope's open logs
// on the server, so asking them with the rows would make the first row wait six times as long.
const COUNTS = `query Counts($within: String) {
  ${VIEWS.map((v) => `${v}: workQueue(view: ${v}, within: $within, first: 1) { totalCount }`).join('\n  ')}
}`;
const CHANGES = `query Changes($since: String!, $within: String) {
  queueChanges(since: $since, within: $within) { cursor removed rows { dispute { id } } }
}`;

function tabsFor(me, counts) {
  const unit = me.actsFor ? '本单位' : '本单位（令牌未关联单位）';
  return [
    { key: 'MINE', label: '我的', count: counts.MINE },
    { key: 'UNIT', label: unit, count: counts.UNIT },
    { key: 'CLAIMABLE', label: '可抢单', count: counts.CLAIMABLE },
    { key: 'APPROACHING', label: '临期', count: counts.APPROACHING },
    { key: 'OVERDUE', label: '超期', count: counts.OVERDUE },
    { key: 'ALL', label: '全部在办', count: counts.ALL },
  ];
}

// A row as the search (clock.js `matches`) reads it.
function searchable(r) {
  return { id: r.dispute.id, title: r.dispute.title, grid: r.dispute.grid, participants: r.dispute.participants };
}

// The tab's rows and every tab's count, read again when `within`, the tab or `reloads` change;
// then `queueChanges` polled every 30 s, reading again when it names a change.
function useWorkQueue(view, within) {
  const [state, setState] = useState({ rows: null, total: null, more: false, counts: {}, counting: false, error: null });
  const [reloads, setReloads] = useState(0);
  useEffect(() => {
    let current = true;
    let cursor = null;
    let timer = null;
    setState((s) => ({ ...s, rows: null, error: null }));
    const shown = (data, more) => {
      if (!current) return false;
      cursor = cursor || data.workQueue.cursor;
      setState((s) => ({ ...s, rows: data.workQueue.items, total: data.workQueue.totalCount, more, counting: true, error: null }));
      return true;
    };
    // The rows drawn at first, then up to FIRST for the search and filters, then the counts:
    // each row costs the server its dispute's fields, so the first paint asks only for 50.
    gql(QUEUE, { view, within, first: SHOWN })
      .then((data) => {
        const more = data.workQueue.totalCount > SHOWN;
        if (!shown(data, more)) return null;
        timer = setInterval(poll, POLL_MS);
        return more ? gql(QUEUE, { view, within, first: FIRST }).then((all) => shown(all, false)) : true;
      })
      .then((going) => (going && current ? gql(COUNTS, { within }) : null))
      .then(
        (data) => {
          if (!current || !data) return;
          const counts = Object.fromEntries(VIEWS.map((v) => [v, data[v].totalCount]));
          setState((s) => ({ ...s, counts, counting: false }));
        },
        (error) => current && setState((s) => ({ ...s, rows: s.rows || [], more: false, counting: false, error })),
      );
    const poll = async () => {
      try {
        const { queueChanges: c } = await gql(CHANGES, { since: cursor, within });
        if (!current) return;
        if (c.rows.length || c.removed.length) setReloads((n) => n + 1);
        cursor = c.cursor;
      } catch (error) {
        if (current) setState((s) => ({ ...s, error }));
      }
    };
    return () => {
      current = false;
      clearInterval(timer);
    };
  }, [view, within, reloads]);
  return [state, () => setReloads((n) => n + 1)];
}

export function Queue({ me }) {
  const [tab, setTab] = useState(me.actsFor ? 'UNIT' : 'ALL');
  const [place, setPlace] = useState(null);
  const [filters, setFilters] = useState({ text: '', state: '', warning: '', domain: '' });
  const [shown, setShown] = useState(SHOWN);
  const within = place ? place.code : null; // null: the caller's own scope
  const [queue, reload] = useWorkQueue(tab, within);
  const rows = queue.rows || [];
  const filtered = rows.filter(
    (r) =>
      matches(searchable(r), filters.text) &&
      (!filters.state || r.state === filters.state) &&
      (!filters.warning || (r.warning || 'NONE') === filters.warning) &&
      (!filters.domain || r.dispute.domain?.code === filters.domain),
  );
  const domains = [...new Map(rows.filter((r) => r.dispute.domain).map((r) => [r.dispute.domain.code, r.dispute.domain])).values()];
  const set = (key) => (event) => {
    setFilters({ ...filters, [key]: event.target.value });
    setShown(SHOWN);
  };

  return html`<section aria-labelledby="queue-title">
    <div class="page-head">
      <h1 id="queue-title" tabindex="-1">工作台</h1>
      <p class="status" role="status">${progress(queue)}</p>
      <button type="button" onClick=${reload}>刷新</button>
    </div>
    <form class="filters" role="search" aria-label="筛选与搜索" onSubmit=${(e) => e.preventDefault()}>
      <span class="field grow">
        <label for="queue-search">搜索</label>
        <input id="queue-search" type="search" value=${filters.text} onInput=${set('text')}
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
          <option value="NONE">无预警</option>
        </select>
      </span>
      <span class="field">
        <label for="queue-domain">类别</label>
        <select id="queue-domain" value=${filters.domain} onChange=${set('domain')}>
          <option value="">全部</option>
          ${domains.map((d) => html`<option value=${d.code}>${d.name}</option>`)}
        </select>
      </span>
      <${PlacePicker} root=${me.place ? { kind: 'unit', ...me.place } : null} idPrefix="queue-place"
        legend="地区" onChange=${(p) => { setPlace(p); setShown(SHOWN); }} />
    </form>
    <${Tabs} label="队列" idPrefix="queue" tabs=${tabsFor(me, queue.counts)} selected=${tab}
      onSelect=${(t) => { setTab(t); setShown(SHOWN); }} />
    <${TabPanel} idPrefix="queue" selected=${tab}>
      ${queue.error ? html`<${Problem} error=${queue.error} />` : ''}
      <${Rows} rows=${filtered.slice(0, shown)} />
      ${filtered.length > shown
        ? html`<button type="button" class="more" onClick=${() => setShown(shown + SHOWN * 4)}>
            显示更多（还有 ${filtered.length - shown} 条）</button>`
        : ''}
      ${queue.rows && !filtered.length ? html`<p class="empty">没有符合条件的在办事项。</p>` : ''}
      ${queue.total > rows.length ? html`<p class="note">本栏共 ${queue.total} 件，此处列出剩余时间最少的 ${rows.length} 件；搜索和筛选只在这些事项中进行。</p>` : ''}
    </${TabPanel}>
    <p class="note">时限按流程每个环节的时钟以工作时间计（节假日、调休和挂账不计），取剩余时间最少的一个；
      风险颜色（红/橙/黄）是三色预警，与时限状态无关。每 30 秒检查一次变化。</p>
  </section>`;
}

function progress(queue) {
  if (queue.error && !queue.rows?.length) return '读取中断';
  if (queue.rows === null) return '正在读取在办事项…';
  if (queue.more) return `在办 ${queue.total} 件，正在读取其余…`;
  return queue.counting ? `在办 ${queue.total} 件，正在统计各栏…` : `在办 ${queue.total} 件`;
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
