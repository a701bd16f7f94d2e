// 工作台: the work queue. Tabs (mine, my unit's, claimable, approaching, overdue), filters, a
// search, rows sorted by least time left, each with its clock badge apart from its risk colour,
// the current holder, the place and the category.

import { useMemo, useState } from 'preact/hooks';
import { byTimeLeft, clock, matches } from './clock.js';
import { reloadOpen, useOpenDisputes } from './open.js';
import { PlacePicker } from './place.js';
import { ClockBadge, Problem, RiskFlag, Tabs, TabPanel, html, link } from './ui.js';
import { STEP, WARNING, name } from './zh.js';

const SHOWN = 50; // rows drawn at first; 显示更多 draws the next ones

const WAITING = {
  mine:
    '“我的”列出由您本人签收或抢单、正在办理的事项。当前令牌只带角色和辖区，尚未关联到具体人员；' +
    '纠纷流程接口（议题 12）上线后，这里按剩余工作时间列出您的事项。',
  claimable:
    '“可抢单”列出中心开放抢单、且与您专业对口又无利益冲突的事项。' +
    '抢单属于纠纷流程（议题 12），其接口上线后在此列出。',
};

function tabsFor(me, counts) {
  const unit = me.role === 'mediator' ? '本单位' : '所选地区';
  return [
    { key: 'mine', label: '我的', count: '—' },
    { key: 'unit', label: unit, count: counts.unit },
    { key: 'claimable', label: '可抢单', count: '—' },
    { key: 'approaching', label: '临期', count: counts.approaching },
    { key: 'breached', label: '超期', count: counts.breached },
  ];
}

export function Queue({ me, date }) {
  const [tab, setTab] = useState('unit');
  const [place, setPlace] = useState(null);
  const [filters, setFilters] = useState({ text: '', step: '', warning: '', domain: '' });
  const [shown, setShown] = useState(SHOWN);
  const scope = me.place?.code || me.scope || null;
  const within = place ? place.code : scope;
  const open = useOpenDisputes(within);

  const rows = useMemo(
    () =>
      open.rows
        .map((r) => ({ ...r, clock: clock(r.reportedOn, r.listItem?.timeLimitDays, date) }))
        .sort(byTimeLeft),
    [open.rows, date],
  );
  const filtered = rows.filter(
    (r) =>
      matches(r, filters.text) &&
      (!filters.step || r.status === filters.step) &&
      (!filters.warning || (r.warning || 'NONE') === filters.warning) &&
      (!filters.domain || r.domain?.code === filters.domain),
  );
  const counts = {
    unit: filtered.length,
    approaching: filtered.filter((r) => r.clock?.state === 'approaching').length,
    breached: filtered.filter((r) => r.clock?.state === 'breached').length,
  };
  const inTab = tab === 'unit' ? filtered : filtered.filter((r) => r.clock?.state === tab);
  const domains = [...new Map(rows.filter((r) => r.domain).map((r) => [r.domain.code, r.domain])).values()];
  const set = (key) => (event) => {
    setFilters({ ...filters, [key]: event.target.value });
    setShown(SHOWN);
  };

  return html`<section aria-labelledby="queue-title">
    <div class="page-head">
      <h1 id="queue-title" tabindex="-1">工作台</h1>
      <p class="status" role="status">${progress(open)}</p>
      <button type="button" onClick=${() => reloadOpen(within)}>刷新</button>
    </div>
    <form class="filters" role="search" aria-label="筛选与搜索" onSubmit=${(e) => e.preventDefault()}>
      <span class="field grow">
        <label for="queue-search">搜索</label>
        <input id="queue-search" type="search" value=${filters.text} onInput=${set('text')}
          placeholder="当事人姓名、身份证号、手机号或地名" autocomplete="off" />
      </span>
      <span class="field">
        <label for="queue-step">步骤</label>
        <select id="queue-step" value=${filters.step} onChange=${set('step')}>
          <option value="">全部</option>
          ${Object.entries(STEP).map(([k, v]) => html`<option value=${k}>${v}</option>`)}
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
    <${Tabs} label="队列" idPrefix="queue" tabs=${tabsFor(me, counts)} selected=${tab}
      onSelect=${(t) => { setTab(t); setShown(SHOWN); }} />
    <${TabPanel} idPrefix="queue" selected=${tab}>
      ${WAITING[tab]
        ? html`<p class="waiting">${WAITING[tab]}</p>`
        : html`${open.error ? html`<${Problem} error=${open.error} />` : ''}
            <${Rows} rows=${inTab.slice(0, shown)} />
            ${inTab.length > shown
              ? html`<button type="button" class="more" onClick=${() => setShown(shown + SHOWN * 4)}>
                  显示更多（还有 ${inTab.length - shown} 条）</button>`
              : ''}
            ${open.done && !inTab.length ? html`<p class="empty">没有符合条件的在办事项。</p>` : ''}`}
    </${TabPanel}>
    <p class="note">时限按事项清单的办理时限（自然日）自登记日起算；流程时钟上线后改按每个环节的工作时间计。
      风险颜色（红/橙/黄）是三色预警，与时限状态无关。</p>
  </section>`;
}

function progress(open) {
  if (open.error) return '读取中断';
  if (open.total === null) return '正在读取在办事项…';
  if (!open.done) return `已读取 ${open.rows.length} / ${open.total} 件在办事项…`;
  return `在办 ${open.total} 件`;
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
        <th scope="col">步骤</th>
        <th scope="col">当前办理</th>
        <th scope="col">地点</th>
        <th scope="col">类别</th>
      </tr>
    </thead>
    <tbody>
      ${rows.map(
        (r) => html`<tr key=${r.id}>
          <td data-label="事项"><div>
            <a href=${link('/dispute/' + r.id)} class="case">${r.title}</a>
            <span class="sub">${r.id} · ${r.reportedOn} 登记</span>
            <span class="sub parties">${r.participants.map((p) => p.party.name).join('、')}</span>
          </div></td>
          <td data-label="时限"><div><${ClockBadge} clock=${r.clock} /></div></td>
          <td data-label="风险"><div><${RiskFlag} warning=${r.warning} /></div></td>
          <td data-label="步骤"><div>${name(STEP, r.status)}</div></td>
          <td data-label="当前办理"><div>
            ${r.holder ? html`${r.holder.name}<span class="sub">${name(STEP, r.holder.step)} ${r.holder.onDate || ''}</span>` : '—'}
          </div></td>
          <td data-label="地点"><div>${r.grid?.name || '—'}<span class="sub">${[r.town?.name, r.village?.name].filter(Boolean).join(' · ')}</span></div></td>
          <td data-label="类别"><div>${r.domain?.name || '—'}</div></td>
        </tr>`,
      )}
    </tbody>
  </table>`;
}
